import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin", "kmslint.js");

/** Builds dist/ once if a test run starts without it (npm test builds first). */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, "dist", "kmslint.js"))) return;
  const r = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kmslint(args: string[], cwd = ROOT): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes files (path → content) into a new temporary folder and returns it. */
export function fixture(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "kmslint-test-"));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

export const CLEAN_KEY_POLICY = JSON.stringify(
  {
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }],
  },
  null,
  2,
);

/** Line 5: `"Effect": "allow"` (wrong case), an error at 5:17. */
const ROOT_STATEMENT = '    {\n      "Effect": "Allow",\n      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},\n      "Action": "kms:*",\n      "Resource": "*"\n    }\n';

export const BAD_KEY_POLICY = `{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "allow",\n      "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"},\n      "Action": "kms:*",\n      "Resource": "*"\n    },\n${ROOT_STATEMENT}  ]\n}\n`;

/** Line 6: an unknown action, a warning at 6:17. */
export const WARNING_KEY_POLICY = `{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "kms:Decrpyt",\n      "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},\n      "Resource": "*"\n    },\n${ROOT_STATEMENT}  ]\n}\n`;

/**
 * The environment of a kmslint process that must reach AWS at `endpoint` (the fake) and nothing else: test
 * credentials, a region, an empty HOME (no profile files), no instance metadata.
 */
export function awsEnv(endpoint: string | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"],
    HOME: mkdtempSync(join(tmpdir(), "kmslint-home-")),
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    NO_COLOR: "1",
    ...(endpoint ? { AWS_ENDPOINT_URL: endpoint } : {}),
    ...extra,
  };
}
