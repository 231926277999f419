/**
 * `kmslint audit` as a user runs it: a child process that finds the (fake) AWS endpoint and credentials
 * through the environment alone, as it would find real ones. The fake records every call, so the tests also
 * prove what the audit does not do: no call outside docs/audit-iam-policy.json, no DescribeKey on an alias.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateSnapshot, startFakeAws, type FakeAws, type FakeAwsOptions } from "../../src/fake-aws/index.js";
import type { AccountSnapshot } from "../../src/fake-aws/snapshot.js";
import { OPERATIONS, requiredActions, type OperationName } from "../../src/sources/aws/operations.js";
import { baseSnapshot, keyArn, keyId } from "../audit-helpers.js";
import { BIN, ROOT, awsEnv, ensureBuilt, kmslint } from "./helpers.js";

beforeAll(() => ensureBuilt());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kmslint with only environment variables pointing at the fake; `onStart` can signal the child. */
function run(args: string[], fake: FakeAws | undefined, onStart?: (child: ReturnType<typeof spawn>) => void, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env = awsEnv(fake?.url, extraEnv);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "audit", ...args], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}

async function withFake<T>(snapshot: AccountSnapshot, options: Omit<FakeAwsOptions, "snapshot">, body: (fake: FakeAws) => Promise<T>): Promise<T> {
  const fake = await startFakeAws({ snapshot, ...options });
  try {
    return await body(fake);
  } finally {
    await fake.close();
  }
}

interface JsonResult {
  filePath: string;
  messages: { ruleId: string; level: string; line: number; column: number; message: string; api?: string; pointer?: string }[];
}

function keys(n: number): AccountSnapshot {
  const snapshot = baseSnapshot();
  for (let i = 1; i <= n; i++) snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(i) }, Rotation: { KeyRotationEnabled: true } });
  return snapshot;
}

describe("kmslint audit against the fake endpoint, configured through the environment", () => {
  it("reads every page of ListKeys and ListBuckets and reports every key and bucket, clean ones included", async () => {
    const snapshot = keys(7);
    for (let i = 1; i <= 5; i++) snapshot.Buckets.push({ Name: `bucket-${i}`, Region: "us-east-1" });
    await withFake(snapshot, { pageSize: 2 }, async (fake) => {
      const r = await run(["--format", "json", "--region", "us-east-1", "--no-access-analyzer"], fake);
      expect(r.code, r.stderr).toBe(0);
      const results = JSON.parse(r.stdout) as JsonResult[];
      expect(results.map((x) => x.filePath)).toEqual([...Array.from({ length: 7 }, (_, i) => keyArn(i + 1)), ...Array.from({ length: 5 }, (_, i) => `arn:aws:s3:::bucket-${i + 1}`)]);
      expect(results.every((x) => x.messages.length === 0)).toBe(true);
      expect(fake.calls.filter((c) => c.operation === "ListKeys")).toHaveLength(4);
      expect(fake.calls.filter((c) => c.operation === "ListBuckets")).toHaveLength(3);
      // A bucket without a policy: NoSuchBucketPolicy is "no policy", not an error.
      expect(fake.calls.filter((c) => c.operation === "GetBucketPolicy").map((c) => c.errorCode)).toEqual(Array(5).fill("NoSuchBucketPolicy"));
      expect(r.stderr).toMatch(/kmslint audit: \d+ calls \(\d+\/s\), 0 retries, 0 failed calls in/);
    });
  });

  it("goes on after AccessDenied on one key, and a PendingDeletion key behind a bucket is an error (exit 1)", async () => {
    const snapshot = keys(3);
    snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(4), KeyState: "PendingDeletion", DeletionDate: "2026-12-24T00:00:00Z" } });
    snapshot.Buckets.push({ Name: "archive", Region: "us-east-1", Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn(4) } }] } });
    snapshot.Faults = [{ Operation: "DescribeKey", Resource: keyId(2), Error: "AccessDeniedException" }];
    await withFake(snapshot, {}, async (fake) => {
      const r = await run(["--format", "json", "--region", "us-east-1"], fake);
      expect(r.code).toBe(1);
      const results = JSON.parse(r.stdout) as JsonResult[];
      const denied = results.find((x) => x.filePath === keyArn(2))!;
      expect(denied.messages.map((m) => [m.ruleId, m.level, m.line, m.column, m.api, m.pointer])).toEqual([["audit-error", "warning", 1, 1, "DescribeKey", ""]]);
      expect(denied.messages[0]!.message).toMatch(/^DescribeKey was denied \(AccessDeniedException\), so nothing about this key is checked .* Fix: allow kms:DescribeKey for the audit's role/);
      const archive = results.find((x) => x.filePath === "arn:aws:s3:::archive")!;
      expect(archive.messages.map((m) => [m.ruleId, m.level, m.api, m.pointer])).toEqual([
        ["key-state", "error", "GetBucketEncryption", "/ServerSideEncryptionConfiguration/Rules/0/ApplyServerSideEncryptionByDefault/KMSMasterKeyID"],
      ]);
      // The keys after the denied one were read.
      expect(fake.calls.filter((c) => c.operation === "GetKeyPolicy").map((c) => c.resource).sort()).toEqual([keyArn(1), keyArn(3), keyArn(4)]);
    });
  });

  it("survives a throttling storm: every key and bucket read, no audit-error, the retries counted", async () => {
    const snapshot = keys(40);
    for (let i = 1; i <= 10; i++) snapshot.Buckets.push({ Name: `b-${i}`, Region: "us-east-1" });
    await withFake(snapshot, { throttleRate: 0.3, seed: 7 }, async (fake) => {
      const r = await run(["--format", "json", "--region", "us-east-1", "--max-attempts", "10", "--no-access-analyzer"], fake);
      expect(r.code, r.stderr).toBe(0);
      const results = JSON.parse(r.stdout) as JsonResult[];
      expect(results).toHaveLength(50);
      expect(results.flatMap((x) => x.messages)).toEqual([]);
      const throttled = fake.calls.filter((c) => /Throttl|SlowDown|TooManyRequests/.test(c.errorCode ?? "")).length;
      expect(throttled).toBeGreaterThan(10);
      expect(r.stderr).toContain(`${throttled} retries`);
    });
  });

  it("reports a call that times out after its retries as audit-error, and the audit completes", async () => {
    const snapshot = keys(2);
    snapshot.Buckets.push({ Name: "slow", Region: "us-east-1" }, { Name: "fast", Region: "us-east-1" });
    snapshot.Faults = [{ Operation: "GetBucketEncryption", Resource: "slow", Error: "Timeout" }];
    await withFake(snapshot, { timeoutMs: 5000 }, async (fake) => {
      const started = Date.now();
      const r = await run(["--format", "json", "--region", "us-east-1", "--call-timeout", "300", "--max-attempts", "2"], fake);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(r.code).toBe(0);
      const slow = (JSON.parse(r.stdout) as JsonResult[]).find((x) => x.filePath === "arn:aws:s3:::slow")!;
      expect(slow.messages.map((m) => [m.ruleId, m.level, m.line, m.column, m.api, m.pointer])).toEqual([["audit-error", "warning", 1, 1, "GetBucketEncryption", ""]]);
      expect(slow.messages[0]!.message).toMatch(/^GetBucketEncryption got no answer within the call timeout, 2 attempts in all \(TimeoutError\), so its default encryption is not checked/);
      expect(fake.calls.filter((c) => c.operation === "GetBucketEncryption" && c.resource === "slow")).toHaveLength(2);
    });
  });

  it("Ctrl-C (SIGINT) mid-run prints what was read and exits 130", async () => {
    const snapshot = keys(60);
    await withFake(snapshot, { latencyMs: 100 }, async (fake) => {
      const r = await run(["--format", "json", "--region", "us-east-1", "--concurrency", "2"], fake, (child) => {
        const timer = setInterval(() => {
          if (fake.calls.filter((c) => c.operation === "DescribeKey").length >= 6) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 20);
      });
      expect(r.code).toBe(130);
      expect(r.stderr).toContain("interrupted; reporting what was read");
      const results = JSON.parse(r.stdout) as JsonResult[];
      const described = results.filter((x) => x.filePath.includes(":key/")).length;
      expect(described).toBeGreaterThan(0);
      expect(described).toBeLessThan(60);
      const note = results.flatMap((x) => x.messages).find((m) => m.message.startsWith("The audit was interrupted"));
      expect(note?.level).toBe("info");
    });
  });

  it("Ctrl-C while ListKeys is still paging stops cleanly: exit 130, JSON on stdout, no stack trace", async () => {
    const snapshot = keys(40);
    await withFake(snapshot, { latencyMs: 100, pageSize: 2 }, async (fake) => {
      const r = await run(["--format", "json", "--region", "us-east-1"], fake, (child) => {
        const timer = setInterval(() => {
          if (fake.calls.filter((c) => c.operation === "ListKeys").length >= 3) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 10);
      });
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).not.toMatch(/AbortError|at Collector|internal error/);
      const results = JSON.parse(r.stdout) as JsonResult[];
      // Keys it never finished reading have no finding of their own (no rotation-disabled "defaults to false").
      expect(results.flatMap((x) => x.messages).filter((m) => m.ruleId !== "audit-error")).toEqual([]);
    });
  });

  it("reads Access Analyzer by default, and not at all with --no-access-analyzer", async () => {
    const snapshot = keys(2);
    snapshot.AccessAnalyzer = { Analyzers: [{ Region: "us-east-1", Name: "account-external-access", Type: "ACCOUNT" }], Findings: [] };
    await withFake(snapshot, {}, async (fake) => {
      const on = await run(["--format", "json", "--region", "us-east-1"], fake);
      expect(on.code, on.stderr).toBe(0);
      expect([...new Set(fake.calls.filter((c) => c.service === "access-analyzer").map((c) => c.operation))].sort()).toEqual(["ListAnalyzers", "ListFindingsV2"]);
      const before = fake.calls.length;
      const off = await run(["--format", "json", "--region", "us-east-1", "--no-access-analyzer"], fake);
      expect(off.code, off.stderr).toBe(0);
      expect(fake.calls.slice(before).filter((c) => c.service === "access-analyzer")).toEqual([]);
    });
  });

  it("never calls DescribeKey on an alias (a predefined alias/aws/* alias would create the key)", async () => {
    const snapshot = keys(2);
    snapshot.Kms["us-east-1"]!.Aliases!.push({ AliasName: "alias/aws/ebs" }, { AliasName: "alias/aws/rds" }, { AliasName: "alias/app", TargetKeyId: keyId(1) });
    await withFake(snapshot, {}, async (fake) => {
      const r = await run(["--format", "json", "--region", "us-east-1"], fake);
      expect(r.code).toBe(0);
      const describes = fake.calls.filter((c) => c.operation === "DescribeKey").map((c) => c.resource);
      expect(describes.sort()).toEqual([keyArn(1), keyArn(2)]);
      // The endpoint records a key it created for DescribeKey on a predefined alias: there is none.
      expect(fake.calls.filter((c) => c.createdKeyId !== undefined)).toEqual([]);
    });
  });

  it("is a usage error (exit 2) without credentials that work, and with bad flags", async () => {
    // Flag errors: the endpoint exists, but nothing is asked of it.
    await withFake(keys(1), {}, async (fake) => {
      const badRegion = await run(["--region", "Europe"], fake);
      expect([badRegion.code, badRegion.stderr.trim()]).toEqual([2, 'kmslint: --region must be a region name like eu-west-1, not "Europe"']);
      const badRate = await run(["--rate", "PutKeyPolicy=5"], fake);
      expect(badRate.code).toBe(2);
      expect(badRate.stderr).toContain("--rate takes Operation=requests-per-second with one of GetCallerIdentity");
      const overQuota = await run(["--rate", "GetKeyPolicy=5000"], fake);
      expect(overQuota.stderr.trim()).toBe("kmslint: --rate GetKeyPolicy=5000 is above KMS's request quota of 1000 per second for GetKeyPolicy: the audit would only be throttled");
    });
    const denied = baseSnapshot();
    denied.Faults = [{ Operation: "GetCallerIdentity", Error: "InvalidClientTokenId" }];
    await withFake(denied, {}, async (fake) => {
      const r = await run(["--region", "us-east-1"], fake);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("kmslint: could not identify the account (STS GetCallerIdentity failed: InvalidClientTokenId");
    });
  });
});

describe("on a terminal", () => {
  // `script` (util-linux) gives the audit a terminal, so the task-list progress runs, as for a user.
  const hasScript = spawnSync("script", ["--version"]).status === 0;

  it.skipIf(!hasScript)("Ctrl-C with the task list on screen still reports what was read (exit 130)", async () => {
    const snapshot = keys(60);
    await withFake(snapshot, { latencyMs: 100 }, async (fake) => {
      const out = join(mkdtempSync(join(tmpdir(), "kmslint-tty-")), "out.json");
      const command = `exec "${process.execPath}" "${BIN}" audit --region us-east-1 --concurrency 2 --format json > "${out}"`;
      const r = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const env = { PATH: process.env["PATH"], HOME: tmpdir(), AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_EC2_METADATA_DISABLED: "true", AWS_ENDPOINT_URL: fake.url, TERM: "xterm" };
        const child = spawn("script", ["-qefc", command, "/dev/null"], { env });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        const timer = setInterval(() => {
          if (fake.calls.filter((c) => c.operation === "DescribeKey").length >= 6) {
            clearInterval(timer);
            // The audit is script's only child (exec): signal it as the terminal's Ctrl-C would.
            const pid = spawnSync("ps", ["-o", "pid=", "--ppid", String(child.pid)], { encoding: "utf8" }).stdout.trim();
            process.kill(Number(pid), "SIGINT");
          }
        }, 20);
        child.on("close", (code) => resolve({ code, output }));
      });
      expect(r.code, r.output).toBe(130);
      expect(r.output).toContain("interrupted; reporting what was read");
      const results = JSON.parse(readFileSync(out, "utf8")) as JsonResult[];
      expect(results.filter((x) => x.filePath.includes(":key/")).length).toBeGreaterThan(0);
    });
  });
});

describe("kmslint audit --demo", () => {
  it("audits the bundled demo account without AWS: exactly the findings policies-examples/README.md lists", async () => {
    const r = await run(["--demo", "--format", "json"], undefined, undefined, { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_REGION: "" });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("kmslint audit --demo: a local stand-in for AWS at http://127.0.0.1:");
    const rows = (JSON.parse(r.stdout) as JsonResult[]).flatMap((x) =>
      x.messages.map((m) => `| \`${x.filePath}\` | [${m.ruleId}](../rules/${m.ruleId}.md) | ${m.level} | ${m.line}:${m.column} | ${m.api ?? ""} \`${m.pointer ?? ""}\` |`),
    );
    const readme = readFileSync(join(ROOT, "policies-examples", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The demo account"));
    const listed = section.split("\n").filter((line) => line.startsWith("| `arn:"));
    expect(rows).toEqual(listed);
    const rules = new Set(rows.map((row) => /\[([a-z-]+)\]/.exec(row)![1]));
    expect([...rules].sort()).toEqual(
      [
        "access-analyzer", "audit-error", "aws-managed-key-on-shared-bucket", "bucket-key-mismatch", "cross-account-access", "external-admin-access", "grant-without-aws-resource-guard",
        "imported-material-expiring", "key-state", "lockout-risk", "not-principal-allow", "org-condition", "public-access", "rotation-disabled", "rotation-period",
        "service-principal-without-source", "unknown-action", "unknown-condition-key", "via-service-without-caller-account",
      ].sort(),
    );
  });

  it("pretty output names each resource by ARN with line:col, and ends with the audit summary", async () => {
    const r = await run(["--demo", "--no-progress"], undefined);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("arn:aws:s3:::hub-archive:1:1");
    expect(r.stdout.trim().split("\n").at(-1)).toMatch(/^kmslint: audited account 111122223333 \(o-a1b2c3d4e5\) in 2 regions: 17 keys \(15 customer managed\), 8 buckets; 10 errors, 17 warnings\. 1 call failed \(audit-error\)\. \(\d+\.\d s\)$/);
    const missing = await run(["--demo", "nope.json"], undefined);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^kmslint: --demo: no such snapshot file: .*nope\.json/);
  });
});

describe("worker threads for large regions", () => {
  it("spreads the per-key calls over 2 workers with the same report, failures and rates included", async () => {
    const snapshot = keys(320);
    snapshot.Kms["us-east-1"]!.Keys[5]!.Policy = { Version: "2012-10-17", Statement: [{ Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }] };
    snapshot.Faults = [{ Operation: "GetKeyPolicy", Resource: keyId(9), Error: "AccessDeniedException" }];
    const reports: JsonResult[][] = [];
    for (const workers of ["1", "2"]) {
      await withFake(snapshot, {}, async (fake) => {
        const r = await run(["--format", "json", "--region", "us-east-1", "--no-access-analyzer"], fake, undefined, { KMSLINT_WORKERS: workers });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/kmslint audit: 9\d\d calls/);
        reports.push(JSON.parse(r.stdout) as JsonResult[]);
        // Each worker paces its share: the per-operation rate is never exceeded in total.
        const policies = fake.calls.filter((c) => c.operation === "GetKeyPolicy").map((c) => c.at);
        expect(policies).toHaveLength(320);
        const spanMs = Math.max(...policies) - Math.min(...policies);
        expect(spanMs).toBeGreaterThanOrEqual(((320 - 1) / OPERATIONS.GetKeyPolicy.rate) * 1000 * 0.9);
      });
    }
    expect(reports[1]).toEqual(reports[0]);
    const messages = reports[1]!.flatMap((x) => x.messages.map((m) => `${x.filePath} ${m.ruleId} ${m.line}:${m.column}`));
    expect(messages).toEqual([`${keyArn(6)} lockout-risk 3:3`, `${keyArn(6)} public-access 7:20`, `${keyArn(9)} audit-error 1:1`]);
  });
});

describe("docs/audit-iam-policy.json", () => {
  const policy = JSON.parse(readFileSync(join(ROOT, "docs", "audit-iam-policy.json"), "utf8")) as { Statement: { Effect: string; Action: string[]; Resource: string }[] };
  const allowed = policy.Statement.flatMap((s) => s.Action);

  it("allows exactly the actions of the audit's operations, all of them Describe, Get or List", () => {
    expect([...allowed].sort()).toEqual(requiredActions());
    for (const action of allowed) expect(action.split(":")[1]).toMatch(/^(Describe|Get|List)/);
    expect(policy.Statement.every((s) => s.Effect === "Allow")).toBe(true);
  });

  it("covers every call a full audit makes (the demo account, every region, all faults included)", async () => {
    const snapshot = JSON.parse(readFileSync(join(ROOT, "policies-examples", "demo-account.json"), "utf8")) as AccountSnapshot;
    await withFake(snapshot, { pageSize: 3 }, async (fake) => {
      const r = await run(["--all-regions", "--format", "json"], fake);
      expect(r.code, r.stderr).toBe(1);
      const operations = new Set(fake.calls.map((c) => c.operation));
      for (const operation of operations) {
        expect(Object.hasOwn(OPERATIONS, operation), `${operation} is not in the audit's table`).toBe(true);
        const action: string | undefined = OPERATIONS[operation as OperationName].action;
        if (action !== undefined) expect(allowed, `${operation} needs ${action}`).toContain(action);
      }
      expect(operations.has("ListKeyRotations")).toBe(true);
      expect([...operations].filter((o) => !/^(Describe|Get|List)/.test(o))).toEqual([]);
    });
  });

  it("lints clean with kmslint", () => {
    const r = kmslint(["lint", "--format", "json", "docs/audit-iam-policy.json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as JsonResult[])[0]!.messages).toEqual([]);
  });

  it("scales: a generated account of 200 keys and 50 buckets in 2 regions is read in full", async () => {
    const snapshot = generateSnapshot({ regions: ["us-east-1", "eu-west-1"], keysPerRegion: 100, buckets: 50, seed: 3 });
    await withFake(snapshot, {}, async (fake) => {
      const r = await run(["--all-regions", "--format", "json", "--exit-zero", "--no-access-analyzer"], fake);
      expect(r.code, r.stderr).toBe(0);
      const results = JSON.parse(r.stdout) as JsonResult[];
      expect(results.filter((x) => x.filePath.includes(":key/"))).toHaveLength(Object.values(snapshot.Kms).reduce((n, r) => n + r.Keys.length, 0));
      expect(results.filter((x) => x.filePath.startsWith("arn:aws:s3:::"))).toHaveLength(50);
      expect(results.flatMap((x) => x.messages).filter((m) => m.ruleId === "audit-error")).toEqual([]);
    });
  });
});
