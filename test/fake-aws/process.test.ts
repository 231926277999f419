/**
 * The fake AWS endpoint across processes, as the benchmark and `kmslint audit --demo` use it: the CLI
 * (bundled with esbuild, like the real build) prints its URL and serves until SIGTERM; an SDK client in a
 * child process configured by environment variables only (AWS_ENDPOINT_URL …) reaches it; and a process
 * whose fake holds a request still exits once the fake is closed.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/account.json", import.meta.url));

let dir: string;
let cli: ChildProcessWithoutNullStreams;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kmslint-fake-aws-"));
  await build({
    entryPoints: { "fake-aws": join(ROOT, "src/fake-aws/cli.ts"), "fake-aws-lib": join(ROOT, "src/fake-aws/index.ts") },
    outdir: dir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outExtension: { ".js": ".mjs" },
    logLevel: "silent",
  });
  cli = spawn(process.execPath, [join(dir, "fake-aws.mjs"), FIXTURE, "--latency", "5", "--page-size", "3"]);
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    cli.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline >= 0) resolve(out.slice(0, newline));
    });
    cli.once("exit", (code) => reject(new Error(`fake-aws exited early (${code})`)));
  });
});

afterAll(() => {
  if (cli.exitCode === null) cli.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** An empty HOME inside the test's folder: no AWS config or credentials files. */
function emptyHome(): string {
  return mkdtempSync(join(dir, "home-"));
}

/** Runs an ESM script with the given environment only (cwd: the project, for its node_modules). */
function runScript(script: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
}

describe("the CLI", () => {
  it("prints the loopback URL on its first line", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serves SDK clients configured by environment variables only", () => {
    const script = `
      import { KMSClient, paginateListKeys } from "@aws-sdk/client-kms";
      import { S3Client, paginateListBuckets, GetBucketPolicyCommand } from "@aws-sdk/client-s3";
      import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
      const keys = [];
      for await (const page of paginateListKeys({ client: new KMSClient({}) }, {})) keys.push(...page.Keys.map((k) => k.KeyId));
      const s3 = new S3Client({});
      const buckets = [];
      for await (const page of paginateListBuckets({ client: s3 }, {})) buckets.push(...page.Buckets.map((b) => b.Name));
      const policy = (await s3.send(new GetBucketPolicyCommand({ Bucket: "eu-archive-111122223333" }))).Policy;
      const me = await new STSClient({}).send(new GetCallerIdentityCommand({}));
      console.log(JSON.stringify({ keys, buckets, principal: JSON.parse(policy).Statement[0].Principal, account: me.Account }));
    `;
    const result = runScript(script, {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_REGION: "eu-west-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      HOME: emptyHome(),
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      keys: ["mrk-1234567890abcdef1234567890abcdef"],
      // Path-style without forcePathStyle: the SDK addresses an IP endpoint by path.
      buckets: ["app-assets-111122223333", "eu-archive-111122223333", "logs-111122223333", "orders-data-111122223333"],
      principal: "*",
      account: "111122223333",
    });
  });

  it("the us-east-1 keys page by 3 (--page-size) in the child too", () => {
    const script = `
      import { KMSClient, paginateListKeys } from "@aws-sdk/client-kms";
      const sizes = [];
      for await (const page of paginateListKeys({ client: new KMSClient({}) }, {})) sizes.push(page.Keys.length);
      console.log(JSON.stringify(sizes));
    `;
    const result = runScript(script, {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      HOME: emptyHome(),
    });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([3, 3, 2]);
  });

  it("exits 0 on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => cli.once("exit", (code) => resolve(code)));
    cli.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("rejects a bad snapshot with the field's path", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ Account: "111122223333", Kms: { "us-east-1": { Keys: [{ KeyMetadata: {} }] } }, Buckets: [] }));
    const result = spawnSync(process.execPath, [join(dir, "fake-aws.mjs"), bad], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`fake-aws: Invalid snapshot ${bad}: Kms["us-east-1"].Keys[0].KeyMetadata.KeyId must be a non-empty string\n`);
  });
});

describe("process lifetime", () => {
  it("a held request does not keep the process alive once the fake is closed", () => {
    const script = `
      import { request } from "node:http";
      import { startFakeAws } from ${JSON.stringify(join(dir, "fake-aws-lib.mjs"))};
      const fake = await startFakeAws({
        snapshot: { Account: "111122223333", Kms: {}, Buckets: [], Faults: [{ Operation: "ListKeys", Error: "Timeout" }] },
      });
      const req = request(fake.url, {
        method: "POST",
        headers: { "x-amz-target": "TrentService.ListKeys", authorization: "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0" },
      });
      req.on("error", () => console.log("client: connection ended"));
      req.end("{}");
      await new Promise((resolve) => setTimeout(resolve, 100));
      await fake.close();
      console.log("closed", fake.calls.length, fake.calls[0].errorCode);
    `;
    const started = Date.now();
    const result = runScript(script, { HOME: emptyHome() });
    expect(result.stderr).toBe("");
    expect(result.stdout.split("\n").sort()).toEqual(["", "client: connection ended", "closed 1 Timeout"]);
    expect(result.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
