import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { BAD_KEY_POLICY, BIN, CLEAN_KEY_POLICY, WARNING_KEY_POLICY, ensureBuilt, fixture, kmslint } from "./helpers.js";

beforeAll(ensureBuilt);

describe("kmslint lint: exit codes and formats", () => {
  it("exits 0 on a clean policy and says so", () => {
    const dir = fixture({ "key.json": CLEAN_KEY_POLICY });
    const r = kmslint(["lint", join(dir, "key.json")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 file checked; 0 errors, 0 warnings.");
    expect(r.stderr).toBe("");
  });

  it("exits 1 on an error and prints file, line:column, message and rule id", () => {
    const dir = fixture({ "key.json": BAD_KEY_POLICY });
    const r = kmslint(["lint", join(dir, "key.json")], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("key.json:5:17");
    expect(r.stdout).toMatch(/5:17\s+Effect must be "Allow" or "Deny"/);
    expect(r.stdout).toContain("invalid-policy");
  });

  it("prints the ESLint LintResult[] contract with --format json", () => {
    const dir = fixture({ "key.json": BAD_KEY_POLICY });
    const r = kmslint(["lint", "--format", "json", "key.json"], dir);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ filePath: join(dir, "key.json"), errorCount: 1, warningCount: 0, kind: "key-policy" });
    expect(results[0].messages).toEqual([
      expect.objectContaining({ ruleId: "invalid-policy", severity: 2, level: "error", line: 5, column: 17, endLine: 5, endColumn: 24, statement: { index: 0 } }),
    ]);
  });

  it("--exit-zero exits 0 despite errors", () => {
    const dir = fixture({ "key.json": BAD_KEY_POLICY });
    expect(kmslint(["lint", "--exit-zero", join(dir, "key.json")]).code).toBe(0);
  });

  it("--max-warnings turns too many warnings into exit 1", () => {
    const dir = fixture({ "key.json": WARNING_KEY_POLICY });
    expect(kmslint(["lint", join(dir, "key.json")]).code).toBe(0);
    const r = kmslint(["lint", "--max-warnings", "0", join(dir, "key.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("more than --max-warnings 0");
    expect(kmslint(["lint", "--max-warnings", "1", join(dir, "key.json")]).code).toBe(0);
  });

  it("--quiet shows errors only", () => {
    const dir = fixture({ "a.json": WARNING_KEY_POLICY, "b.json": BAD_KEY_POLICY });
    const r = kmslint(["lint", "--quiet", "--format", "json", dir]);
    const results = JSON.parse(r.stdout);
    expect(results.flatMap((x: { messages: { ruleId: string }[] }) => x.messages.map((m) => m.ruleId))).toEqual(["invalid-policy"]);
    expect(results[0].warningCount).toBe(1);
  });

  it("--kind forces the kind", () => {
    const dir = fixture({ "p.json": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}' });
    const r = kmslint(["lint", "--kind", "bucket-policy", "--format", "json", join(dir, "p.json")]);
    const [result] = JSON.parse(r.stdout);
    expect(result.kind).toBe("bucket-policy");
    expect(result.kindReason).toBe("forced by --kind");
    expect(result.messages.map((m: { ruleId: string }) => m.ruleId)).toContain("unknown-action");
  });
});

describe("kmslint lint: usage errors exit 2", () => {
  it.each([
    [["lint", "does-not-exist.json"], "no such file or folder: does-not-exist.json"],
    [["lint", "--account", "1234", "."], "--account must be a 12-digit account id"],
    [["lint", "--org", "org-1", "."], "--org must be an organization id"],
    [["lint", "--trusted-account", "x", "."], "--trusted-account must be a 12-digit account id"],
    [["lint", "--format", "xml", "."], "Allowed choices are pretty, json"],
    [["lint", "--kind", "trust-policy", "."], "Allowed choices are key-policy, bucket-policy, identity-policy"],
    [["lint", "--max-warnings", "many", "."], "--max-warnings takes a whole number"],
    [["lint", "--no-such-flag"], "unknown option"],
    [["lints"], "unknown command"],
  ])("%j", (args, message) => {
    const dir = fixture({ "key.json": CLEAN_KEY_POLICY });
    const r = kmslint(args, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("kmslint lint: folders and bad input", () => {
  it("recurses into folders, skips JSON that is not a policy, reports bad files and still checks the others", () => {
    const dir = fixture({
      "keys/good.json": CLEAN_KEY_POLICY,
      "keys/bad.json": BAD_KEY_POLICY,
      "keys/truncated.json": CLEAN_KEY_POLICY.slice(0, 60),
      "keys/binary.json": new Uint8Array([0x7b, 0x00, 0x7d]),
      "keys/huge.json": " ".repeat(1024 * 1024 + 10),
      "package.json": '{"name": "x", "version": "1.0.0"}',
      "node_modules/dep/policy.json": BAD_KEY_POLICY,
      "notes.txt": "not json",
    });
    const r = kmslint(["lint", "--format", "json", "."], dir);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout) as { filePath: string; messages: { ruleId: string; line: number; column: number }[] }[];
    const byFile = Object.fromEntries(results.map((x) => [x.filePath.slice(dir.length + 1), x.messages.map((m) => `${m.ruleId}@${m.line}:${m.column}`)]));
    expect(byFile).toEqual({
      "keys/bad.json": ["invalid-policy@5:17"],
      "keys/binary.json": ["invalid-json@1:2"],
      "keys/good.json": [],
      "keys/huge.json": ["invalid-json@1:1048587"],
      "keys/truncated.json": ["invalid-json@4:7"],
    });
  });

  it("says how many files were skipped", () => {
    const dir = fixture({ "good.json": CLEAN_KEY_POLICY, "tsconfig.json": '{"compilerOptions": {}}' });
    const r = kmslint(["lint", "."], dir);
    expect(r.stdout).toContain("1 file checked, 1 file skipped (not a policy, template or plan)");
  });

  it("lints a non-policy file named on the command line instead of skipping it", () => {
    const dir = fixture({ "package.json": '{"name": "x"}' });
    const r = kmslint(["lint", "--format", "json", "package.json"], dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)[0].messages[0]).toMatchObject({ ruleId: "invalid-policy", messageId: "notPolicy" });
  });

  it("reports duplicate keys with both positions", () => {
    const dir = fixture({ "key.json": '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Deny",\n    "Effect": "Allow",\n    "Principal": {"AWS": "111122223333"},\n    "Action": "kms:*",\n    "Resource": "*"\n  }]\n}' });
    const r = kmslint(["lint", "key.json"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/5:5\s+Duplicate key "Effect" \(first at 4:5\)/);
  });
});

describe("kmslint help and version", () => {
  it("kmslint --help lists the commands", () => {
    const r = kmslint(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lint \[options\] \[paths\.\.\.\]/);
    expect(r.stdout).toContain("rules");
  });

  it("kmslint lint --help documents every option and the exit codes", () => {
    const r = kmslint(["lint", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--format", "--kind", "--max-warnings", "--config", "--account", "--org", "--trusted-account", "--quiet", "--exit-zero"]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain("Exit codes:");
    expect(r.stdout).toContain("kmslint.config.json");
  });

  it("kmslint with no arguments prints help and exits 0", () => {
    const r = kmslint([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: kmslint");
  });

  it("--version names the action catalogue", () => {
    const r = kmslint(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+ \(action catalogue: @cloud-copilot\/iam-data@/);
  });

  it("kmslint rules lists every rule with its severity", () => {
    const r = kmslint(["rules"]);
    expect(r.code).toBe(0);
    for (const id of ["invalid-json", "invalid-policy", "policy-size", "unknown-action", "unknown-condition-key"]) expect(r.stdout).toContain(id);
  });
});

describe("a reader that goes away", () => {
  it("`kmslint … | true` (the reader exits before kmslint writes) stops quietly, and help shows no empty defaults", () => {
    // `true` exits at once, so kmslint's first write meets a closed pipe (EPIPE).
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" rules | true; echo "status \${PIPESTATUS[0]}"`], { encoding: "utf8" });
    expect(r.stdout).toBe("status 0\n");
    expect(r.stderr).toBe("");
    const help = kmslint(["audit", "--help"]).stdout;
    expect(help).not.toContain("(default: [])");
    expect(help).not.toContain("(default: false)");
    expect(help).toContain("--all-regions");
  });
});

describe("pretty output to a pipe or file", () => {
  it("has no escape codes, even when TERM supports colour", () => {
    const dir = fixture({ "key.json": WARNING_KEY_POLICY });
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color" };
    delete env["FORCE_COLOR"];
    delete env["NO_COLOR"];
    const r = spawnSync(process.execPath, [BIN, "lint", "key.json"], { cwd: dir, encoding: "utf8", env });
    expect(r.stdout).toContain("unknown-action");
    expect(r.stdout).not.toContain("\u001b");
  });
});
