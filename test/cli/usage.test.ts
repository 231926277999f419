/**
 * `kmslint usage` as a user runs it: a generated CloudTrail tree in, the fact table (JSON, CSV) or the views
 * out, with exact counts; bad files named and skipped; usage errors; the join with key policies.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrossAccount, type UsageFacts } from "../../src/usage/facts.js";
import { generateTrail, type GeneratedTrail } from "../../src/usage/generate.js";
import { loadSnapshot, startFakeAws, type CloudTrailRecord } from "../../src/fake-aws/index.js";
import { baseSnapshot } from "../audit-helpers.js";
import { awsEnv, BIN, ensureBuilt, kmslint, ROOT } from "./helpers.js";

/** kmslint as a child process configured only through the environment (the fake AWS endpoint). */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "kmslint-usage-cli-"));
let trail: GeneratedTrail;

beforeAll(async () => {
  ensureBuilt();
  trail = await generateTrail(join(dir, "logs"), {
    seed: 11,
    accounts: 3,
    days: 2,
    filesPerDay: 4,
    recordsPerFile: 80,
    kmsShare: 0.5,
    errorShare: 0.15,
    gzip: true,
    organizationLayout: true,
    start: new Date("2026-10-01T00:00:00Z"),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kmslint usage", () => {
  it("--format json prints the fact table: records, files and rows exactly as generated", () => {
    const r = kmslint(["usage", "--format", "json", "--no-progress", join(dir, "logs")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const facts = JSON.parse(r.stdout) as UsageFacts;
    expect(facts.records).toBe(trail.facts.records);
    expect(facts.files).toBe(trail.files.length);
    expect(facts.rows).toEqual(trail.facts.rows);
    expect(Object.keys(facts.rows[0]!).slice(0, 9)).toEqual(["callerAccount", "callerPrincipal", "callerArn", "keyArn", "keyOwnerAccount", "eventName", "viaS3", "errorCode", "count"]);
  });

  it("the views: totals, cross-account share and failed calls, with percentages", () => {
    const r = kmslint(["usage", "--no-progress", join(dir, "logs")]);
    expect(r.code).toBe(0);
    const rows = trail.facts.rows;
    const total = rows.reduce((n, x) => n + x.count, 0);
    const cross = rows.filter(isCrossAccount).reduce((n, x) => n + x.count, 0);
    const failed = rows.filter((x) => x.errorCode !== null).reduce((n, x) => n + x.count, 0);
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
    expect(r.stdout).toContain(`KMS usage: ${total.toLocaleString("en-US")} calls (${trail.facts.records.toLocaleString("en-US")} KMS records in ${trail.files.length} log files;`);
    expect(r.stdout).toContain(`  cross-account: ${cross.toLocaleString("en-US")} (${pct(cross, total)}); failed: ${failed.toLocaleString("en-US")} (${pct(failed, total)})`);
    for (const heading of ["Cross-account calls by caller account", "Cross-account calls by principal", "Calls by key: within the owner account and cross-account", "Calls by event", "Failed calls by error code", "Failed calls by caller", "Failed calls by key"]) {
      expect(r.stdout).toContain(`\n${heading}\n`);
    }
    // The busiest spoke account, with its calls and share of the cross-account calls.
    const byAccount = new Map<string, number>();
    for (const x of rows.filter(isCrossAccount)) byAccount.set(x.callerAccount, (byAccount.get(x.callerAccount) ?? 0) + x.count);
    const [top, calls] = [...byAccount].sort((a, b) => b[1] - a[1])[0]!;
    expect(r.stdout).toMatch(new RegExp(`\\n  ${top}\\s+${calls.toLocaleString("en-US")}\\s+${pct(calls, cross).replace(".", "\\.")}\\s`));
  });

  it("--format csv has the contract's columns and one line per row; --output writes it", () => {
    const r = kmslint(["usage", "--format", "csv", "--no-progress", "--output", join(dir, "out", "usage.csv"), join(dir, "logs")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const lines = readFileSync(join(dir, "out", "usage.csv"), "utf8").trimEnd().split("\r\n");
    expect(lines[0]).toBe("callerAccount,callerPrincipal,callerArn,keyArn,keyOwnerAccount,eventName,viaS3,errorCode,count,firstTime,lastTime");
    expect(lines).toHaveLength(trail.facts.rows.length + 1);
    const first = trail.facts.rows[0]!;
    expect(lines[1]).toBe([first.callerAccount, first.callerPrincipal, first.callerArn, first.keyArn, first.keyOwnerAccount, first.eventName, String(first.viaS3), first.errorCode ?? "", String(first.count), first.firstTime, first.lastTime].join(","));
  });

  it("a truncated or malformed file is named on stderr and skipped; the rest is counted", () => {
    const bad = mkdtempSync(join(tmpdir(), "kmslint-usage-bad-"));
    const good = trail.files[0]!;
    writeFileSync(join(bad, "good.json.gz"), readFileSync(good));
    const gz = readFileSync(trail.files[1]!);
    writeFileSync(join(bad, "truncated.json.gz"), gz.subarray(0, Math.floor(gz.length / 2)));
    writeFileSync(join(bad, "broken.json"), '{"Records": [{"eventSource": "kms.amazonaws.com",');
    const r = kmslint(["usage", "--format", "json", "--no-progress", bad]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/truncated\.json\.gz: truncated gzip .*skipped.*\.\n/);
    expect(r.stderr).toMatch(/broken\.json: malformed JSON .*skipped\.\n/);
    expect(r.stderr).not.toMatch(/skipped.*skipped/);
    const facts = JSON.parse(r.stdout) as UsageFacts & { problems: { file: string }[] };
    expect(facts.files).toBe(1);
    expect(facts.problems.map((p) => p.file.split("/").pop()).sort()).toEqual(["broken.json", "truncated.json.gz"]);
    rmSync(bad, { recursive: true, force: true });
  });

  it("usage errors exit 2 with a message", () => {
    expect(kmslint(["usage"]).stderr).toMatch(/^kmslint: name CloudTrail log files/);
    expect(kmslint(["usage"]).code).toBe(2);
    const badDate = kmslint(["usage", "--start", "2026-02-30", dir]);
    expect([badDate.code, badDate.stderr]).toEqual([2, 'kmslint: --start takes a date (2026-11-01) or a time (2026-11-01T12:00:00Z), not "2026-02-30"\n']);
    expect(kmslint(["usage", "--athena-table", "t"]).stderr).toMatch(/--athena-table and --athena-database go together/);
    const missing = kmslint(["usage", "--no-progress", join(dir, "nope")]);
    expect([missing.code, missing.stderr]).toEqual([2, `kmslint: no such file or folder: ${join(dir, "nope")}\n`]);
  });

  it("--print-sql prints the Athena query for the table and window without running it", () => {
    const r = kmslint(["usage", "--print-sql", "--athena-database", "default", "--athena-table", "cloudtrail_logs", "--start", "2026-11-01", "--end", "2026-11-30"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cloudtrail_logs/);
    expect(r.stdout).toMatch(/kms\.amazonaws\.com/);
    expect(r.stdout).toMatch(/2026-11-01/);
    expect(r.stdout).toMatch(/2026-12-01|2026-11-30T23|2026-12-01T00/);
  });

  it("--policies joins the usage with key policies: a granted account that made no call is reported at its principal", () => {
    const hub = trail.accounts[0]!;
    const idle = "999988887777";
    const policy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${hub}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Idle", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${idle}:root"}, "Action": "kms:Decrypt", "Resource": "*"}
  ]
}
`;
    writeFileSync(join(dir, "key-policy.json"), policy);
    const r = kmslint(["usage", "--format", "json", "--no-progress", "--account", hub, "--policies", join(dir, "key-policy.json"), join(dir, "logs")]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { findings: { filePath: string; messages: { ruleId: string; line: number; column: number; message: string }[] }[] };
    const unused = out.findings.flatMap((f) => f.messages).filter((m) => m.ruleId === "unused-cross-account-grant");
    expect(unused.map((m) => [m.line, m.column])).toEqual([[5, 61]]);
    expect(unused[0]!.message).toContain(idle);
    const warned = kmslint(["usage", "--no-progress", "--max-warnings", "0", "--account", hub, "--policies", join(dir, "key-policy.json"), join(dir, "logs")]);
    expect(warned.code).toBe(1);
    expect(warned.stdout).toContain("Against the key policies");
  });

  it("--athena-table runs the query on Athena (the fake endpoint) and prints the same fact table as the files give", async () => {
    const records = trail.files.flatMap((f) => (JSON.parse(gunzipSync(readFileSync(f)).toString()) as { Records: CloudTrailRecord[] }).Records);
    const fake = await startFakeAws({ snapshot: { ...baseSnapshot(), Athena: { Tables: { "security.cloudtrail_logs": records }, QueuedPolls: 1, RunningPolls: 1, PageSize: 7 } } });
    try {
      const env = awsEnv(fake.url);
      const r = await run(["usage", "--format", "json", "--no-progress", "--athena-database", "security", "--athena-table", "cloudtrail_logs", "--athena-output", "s3://results/"], env);
      expect(r.code, r.stderr).toBe(0);
      const facts = JSON.parse(r.stdout) as UsageFacts;
      expect(facts.rows).toEqual(trail.facts.rows);
      expect(facts.records).toBe(trail.facts.records);
      expect(facts.files).toBe(0);
      expect(r.stderr).toMatch(/^kmslint usage: Athena query [\w-]+/m);
      const operations = fake.calls.map((c) => c.operation);
      expect(operations[0]).toBe("StartQueryExecution");
      expect(operations.filter((o) => o === "GetQueryResults").length).toBe(Math.ceil((trail.facts.rows.length + 1) / 7));
      const missing = await run(["usage", "--athena-database", "security", "--athena-table", "nope", "--athena-output", "s3://results/"], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^kmslint: .*(TABLE_NOT_FOUND|nope)/m);
      expect(missing.stderr).not.toContain("internal error");
    } finally {
      await fake.close();
    }
  });

  it("--audit takes the key policies from the account (read-only) and joins them with the usage", async () => {
    const fake = await startFakeAws({ snapshot: loadSnapshot(`${ROOT}/policies-examples/demo-account.json`) });
    try {
      const r = await run(["usage", "--format", "json", "--no-progress", "--audit", "--all-regions", join(dir, "logs")], awsEnv(fake.url));
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { findings: { filePath: string; messages: { ruleId: string; line: number; message: string }[] }[] };
      const unused = out.findings.filter((f) => f.messages.some((m) => m.ruleId === "unused-cross-account-grant"));
      expect(unused.length).toBeGreaterThan(0);
      expect(unused.every((f) => f.filePath.startsWith("arn:aws:kms:"))).toBe(true);
      expect(new Set(fake.calls.map((c) => c.operation))).not.toContain("ListAnalyzers");
      expect(fake.calls.every((c) => /^(Describe|Get|List)/.test(c.operation))).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it("review regressions: a file reached twice counts once; nothing readable is exit 2; csv sends findings to stderr; -o - is stdout", () => {
    const once = JSON.parse(kmslint(["usage", "--format", "json", "--no-progress", trail.files[0]!]).stdout) as UsageFacts;
    const twice = JSON.parse(kmslint(["usage", "--format", "json", "--no-progress", trail.files[0]!, trail.files[0]!.replace(/\/([^/]+)$/, "//$1"), join(dir, "logs")]).stdout) as UsageFacts;
    expect(twice.records).toBe(trail.facts.records);
    expect(once.records).toBeLessThan(twice.records);

    const bad = mkdtempSync(join(tmpdir(), "kmslint-usage-none-"));
    writeFileSync(join(bad, "broken.json"), "{");
    const none = kmslint(["usage", "--no-progress", bad]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/kmslint: no log file could be read \(1 file was named above\)\n$/);
    rmSync(bad, { recursive: true, force: true });

    const csv = kmslint(["usage", "--format", "csv", "--no-progress", "-o", "-", "--max-warnings", "0", "--account", trail.accounts[0]!, "--policies", join(dir, "key-policy.json"), join(dir, "logs")]);
    expect(csv.code).toBe(1);
    expect(csv.stdout.split("\r\n")[0]).toBe("callerAccount,callerPrincipal,callerArn,keyArn,keyOwnerAccount,eventName,viaS3,errorCode,count,firstTime,lastTime");
    expect(csv.stderr).toContain("unused-cross-account-grant");
    expect(csv.stderr).toMatch(/5:61/);
  });
});
