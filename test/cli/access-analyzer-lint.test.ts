/**
 * `kmslint lint --access-analyzer` as a user runs it: a child process that reaches the (fake) Access Analyzer
 * through the environment. ValidatePolicy findings land at their element in the file, the template or the
 * plan; CheckNoPublicAccess is compared with public-access; answers are cached; a refused call is one line.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { startFakeAws, type FakeAws } from "../../src/fake-aws/index.js";
import type { AccountSnapshot } from "../../src/fake-aws/snapshot.js";
import { baseSnapshot } from "../audit-helpers.js";
import { BIN, ROOT, awsEnv, ensureBuilt, fixture } from "./helpers.js";

beforeAll(() => ensureBuilt());

interface Message {
  ruleId: string;
  level: string;
  line: number;
  column: number;
  message: string;
}

function run(args: string[], fake: FakeAws): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = awsEnv(fake.url);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "lint", "--access-analyzer", ...args], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function withFake<T>(snapshot: AccountSnapshot, body: (fake: FakeAws) => Promise<T>): Promise<T> {
  const fake = await startFakeAws({ snapshot });
  try {
    return await body(fake);
  } finally {
    await fake.close();
  }
}

const KEY_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Admin",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "App",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
      "Action": ["kms:Encrypt", "kms:Decrypts"],
      "Resource": "*"
    }
  ]
}
`;

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Admin
            Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::\${AWS::AccountId}:root
            Action: kms:*
            Resource: "*"
          - Sid: App
            Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::\${AWS::AccountId}:role/app
            Action:
              - kms:Encrypt
              - kms:Decrypts
            Resource: "*"
`;

const rows = (stdout: string) => (JSON.parse(stdout) as { filePath: string; messages: Message[] }[]).flatMap((r) => r.messages.map((m) => [m.ruleId, m.level, `${m.line}:${m.column}`]));

describe("kmslint lint --access-analyzer", () => {
  it("places ValidatePolicy findings at their element in a policy file and in a YAML template", async () => {
    const dir = fixture({ "key.json": KEY_POLICY, "template.yaml": TEMPLATE });
    await withFake(baseSnapshot(), async (fake) => {
      const r = await run(["--format", "json", "--account", "111122223333", "--cache-dir", join(dir, "cache"), join(dir, "key.json"), join(dir, "template.yaml")], fake);
      expect(r.code, r.stderr).toBe(1);
      const results = JSON.parse(r.stdout) as { filePath: string; messages: Message[] }[];
      const at = (file: string) => results.find((x) => x.filePath.endsWith(file))!.messages.filter((m) => m.ruleId.startsWith("access-analyzer")).map((m) => [m.ruleId, m.level, `${m.line}:${m.column}`]);
      // kms:Decrypts is line 15, column 33 of the file (from Access Analyzer's span: line 15, column 32 from 0);
      // in the template, line 22, column 17 (from its path: Statement, 1, Action, 1).
      expect(at("key.json")).toEqual([["access-analyzer/INVALID_ACTION", "error", "15:33"]]);
      expect(at("template.yaml")).toEqual([["access-analyzer/INVALID_ACTION", "error", "22:17"]]);
      const message = results.find((x) => x.filePath.endsWith("template.yaml"))!.messages.find((m) => m.ruleId === "access-analyzer/INVALID_ACTION")!.message;
      expect(message).toMatch(/^DataKey: .*\(IAM Access Analyzer ValidatePolicy, ERROR INVALID_ACTION: https:\/\//);
      // The file is sent as written (its spans are file positions), the template's policy as its evaluated JSON.
      expect(fake.calls.map((c) => c.operation).sort()).toEqual(["CheckNoPublicAccess", "CheckNoPublicAccess", "ValidatePolicy", "ValidatePolicy"]);
    });
  });

  it("a ValidatePolicy finding keeps its fingerprint when the statements are reordered", async () => {
    const policy = JSON.parse(KEY_POLICY) as { Version: string; Statement: unknown[] };
    const swapped = JSON.stringify({ ...policy, Statement: [...policy.Statement].reverse() }, null, 2);
    const dir = fixture({ "a/key.json": KEY_POLICY, "b/key.json": swapped });
    await withFake(baseSnapshot(), async (fake) => {
      const r = await run(["--format", "json", "--account", "111122223333", "--cache-dir", join(dir, "cache"), join(dir, "a", "key.json"), join(dir, "b", "key.json")], fake);
      const results = JSON.parse(r.stdout) as { filePath: string; messages: (Message & { fingerprint: string })[] }[];
      const prints = results.map((x) => x.messages.filter((m) => m.ruleId === "access-analyzer/INVALID_ACTION").map((m) => [m.line, m.fingerprint]));
      expect(prints[0]![0]![0]).not.toBe(prints[1]![0]![0]);
      expect(prints[0]![0]![1]).toMatch(/^[0-9a-f]{32}:1$/);
      expect(prints[0]![0]![1]).toBe(prints[1]![0]![1]);
    });
  });

  it("a second run on unchanged policies makes no call (cache by policy and region)", async () => {
    const dir = fixture({ "key.json": KEY_POLICY });
    await withFake(baseSnapshot(), async (fake) => {
      const args = ["--format", "json", "--cache-dir", join(dir, "cache"), join(dir, "key.json")];
      const first = await run(args, fake);
      const calls = fake.calls.length;
      expect(calls).toBe(2);
      const second = await run(args, fake);
      expect(fake.calls.length).toBe(calls);
      expect(rows(second.stdout)).toEqual(rows(first.stdout));
    });
  });

  it("shows where CheckNoPublicAccess and public-access disagree, both ways", async () => {
    const open = `{\n  "Version": "2012-10-17",\n  "Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]\n}\n`;
    const dir = fixture({ "open.json": open, "clean.json": KEY_POLICY.replace("kms:Decrypts", "kms:Decrypt") });
    const snapshot = baseSnapshot();
    snapshot.AccessAnalyzer = { PublicAccessChecks: [{ PolicyContains: '"Open"', Result: "PASS" }, { PolicyContains: '"App"', Result: "FAIL", Message: "might allow public access" }] };
    await withFake(snapshot, async (fake) => {
      const r = await run(["--format", "json", "--account", "111122223333", "--cache-dir", join(dir, "cache"), join(dir, "open.json"), join(dir, "clean.json")], fake);
      const results = JSON.parse(r.stdout) as { filePath: string; messages: Message[] }[];
      const openMessages = results.find((x) => x.filePath.endsWith("open.json"))!.messages;
      expect(openMessages.find((m) => m.ruleId === "public-access")!.message).toContain("IAM Access Analyzer's CheckNoPublicAccess finds no public access in this policy: the two readings disagree");
      const clean = results.find((x) => x.filePath.endsWith("clean.json"))!.messages;
      expect(clean.map((m) => [m.ruleId, m.level, `${m.line}:${m.column}`])).toEqual([["access-analyzer", "warning", "1:1"]]);
      expect(clean[0]!.message).toMatch(/^IAM Access Analyzer's CheckNoPublicAccess says this policy might allow public access.*but kmslint's public-access rule did not report it/);
    });
  });

  it("a refused call is one line on stderr; the files are still checked by kmslint", async () => {
    const dir = fixture({ "key.json": KEY_POLICY });
    const snapshot = baseSnapshot();
    snapshot.Faults = [{ Operation: "ValidatePolicy", Error: "AccessDenied" }];
    await withFake(snapshot, async (fake) => {
      const r = await run(["--format", "json", "--cache-dir", join(dir, "cache"), join(dir, "key.json")], fake);
      expect(r.stderr.trim()).toBe(
        "kmslint: IAM Access Analyzer's policy check was denied (it needs access-analyzer:ValidatePolicy and access-analyzer:CheckNoPublicAccess); the rest of the files were checked by kmslint only.",
      );
      expect(rows(r.stdout)).toEqual([["unknown-action", "warning", "15:33"]]);
      expect(r.code).toBe(0);
    });
  });

  it("throttling is retried by the SDK", async () => {
    const dir = fixture({ "key.json": KEY_POLICY });
    const snapshot = baseSnapshot();
    snapshot.Faults = [{ Operation: "ValidatePolicy", Error: "Throttling", Count: 2 }];
    await withFake(snapshot, async (fake) => {
      const r = await run(["--format", "json", "--cache-dir", join(dir, "cache"), join(dir, "key.json")], fake);
      expect(r.stderr).toBe("");
      expect(rows(r.stdout)).toContainEqual(["access-analyzer/INVALID_ACTION", "error", "15:33"]);
      expect(fake.calls.filter((c) => c.operation === "ValidatePolicy")).toHaveLength(3);
    });
  });
});
