/**
 * Account snapshots: loadSnapshot's checks and messages, and generateSnapshot's sizes, mix and
 * determinism; a generated snapshot served to many concurrent SDK calls.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, paginateListKeys } from "@aws-sdk/client-kms";
import { GetBucketEncryptionCommand, S3Client, paginateListBuckets } from "@aws-sdk/client-s3";
import { generateSnapshot, loadSnapshot, SPOKE_ACCOUNT, startFakeAws, validateSnapshot, type AccountSnapshot } from "../../src/fake-aws/index.js";
import { accountSnapshot, clientConfig, s3Config } from "./fixtures/clients.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/account.json", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "kmslint-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSnapshot(content: unknown): string {
  const path = join(mkdtempSync(join(dir, "case-")), "snapshot.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("loadSnapshot", () => {
  it("reads the fixture", () => {
    const snapshot = loadSnapshot(FIXTURE);
    expect(snapshot.Account).toBe("111122223333");
    expect(snapshot.Kms["us-east-1"]?.Keys).toHaveLength(8);
    expect(snapshot.Buckets).toHaveLength(4);
  });

  it("names the file when it cannot be read or parsed", () => {
    expect(() => loadSnapshot("/nonexistent/snapshot.json")).toThrow(/^Cannot read snapshot \/nonexistent\/snapshot\.json: ENOENT/);
    const path = writeSnapshot("{ not json");
    expect(() => loadSnapshot(path)).toThrow(new RegExp(`^Snapshot ${path} is not valid JSON: `));
  });

  const base = (): Record<string, unknown> => JSON.parse(JSON.stringify(accountSnapshot())) as Record<string, unknown>;
  const cases: [string, (s: Record<string, unknown>) => void, string][] = [
    ["a missing account", (s) => delete s["Account"], "Account must be a non-empty string"],
    ["a short account", (s) => (s["Account"] = "1234"), 'Account must be a 12-digit account id, not "1234"'],
    ["Kms not an object", (s) => (s["Kms"] = []), "Kms must be an object"],
    ["a bad region name", (s) => ((s["Kms"] as Record<string, unknown>)["useast1"] = { Keys: [] }), 'Kms["useast1"] must be a region name like us-east-1, not "useast1"'],
    ["a key without KeyId", (s) => (kmsOf(s).Keys[1] = { KeyMetadata: { KeySpec: "RSA_2048" } }), 'Kms["us-east-1"].Keys[1].KeyMetadata.KeyId must be a non-empty string'],
    ["a repeated key id", (s) => (kmsOf(s).Keys[2] = kmsOf(s).Keys[1]), 'Kms["us-east-1"].Keys[2].KeyMetadata.KeyId repeats the key id "0987dcba-09fe-87dc-65ba-ab0987654321"'],
    ["a bad date", (s) => ((kmsOf(s).Keys[0] as { KeyMetadata: Record<string, unknown> }).KeyMetadata["CreationDate"] = "yesterday"), 'Kms["us-east-1"].Keys[0].KeyMetadata.CreationDate must be a date (ISO 8601 text, a time relative to now such as "now+12d", or epoch seconds), not "yesterday"'],
    ["a rotation without its flag", (s) => ((kmsOf(s).Keys[0] as Record<string, unknown>)["Rotation"] = { RotationPeriodInDays: 90 }), 'Kms["us-east-1"].Keys[0].Rotation.KeyRotationEnabled must be true or false'],
    ["an alias to a missing key", (s) => (kmsOf(s).Aliases[0] = { AliasName: "alias/x", TargetKeyId: "nope" }), 'Kms["us-east-1"].Aliases[0].TargetKeyId names no key of the region: "nope"'],
    ["an alias without the prefix", (s) => (kmsOf(s).Aliases[0] = { AliasName: "orders" }), 'Kms["us-east-1"].Aliases[0].AliasName must start with "alias/", not "orders"'],
    ["a bucket without region", (s) => delete (s["Buckets"] as Record<string, unknown>[])[1]?.["Region"], "Buckets[1].Region must be a non-empty string"],
    ["a repeated bucket", (s) => (s["Buckets"] as unknown[]).push({ Name: "logs-111122223333", Region: "us-east-1" }), 'Buckets[4].Name repeats the bucket name "logs-111122223333"'],
    ["encryption without rules", (s) => ((s["Buckets"] as Record<string, unknown>[])[0]!["Encryption"] = {}), "Buckets[0].Encryption.Rules must be an array"],
    ["a fault without error", (s) => (s["Faults"] = [{ Operation: "ListKeys" }]), "Faults[0].Error must be a non-empty string"],
    ["a negative fault count", (s) => (s["Faults"] = [{ Operation: "ListKeys", Error: "Timeout", Count: -1 }]), "Faults[0].Count must be a whole number, 0 or more"],
  ];
  for (const [name, change, message] of cases) {
    it(`says which field is wrong: ${name}`, () => {
      const snapshot = base();
      change(snapshot);
      const path = writeSnapshot(snapshot);
      expect(() => loadSnapshot(path)).toThrow(new Error(`Invalid snapshot ${path}: ${message}`));
    });
  }

  it("startFakeAws checks the snapshot too", async () => {
    await expect(startFakeAws({ snapshot: { Account: "x" } as unknown as AccountSnapshot })).rejects.toThrow('Invalid snapshot snapshot: Account must be a 12-digit account id, not "x"');
  });
});

function kmsOf(snapshot: Record<string, unknown>): { Keys: unknown[]; Aliases: unknown[] } {
  return (snapshot["Kms"] as Record<string, { Keys: unknown[]; Aliases: unknown[] }>)["us-east-1"] as { Keys: unknown[]; Aliases: unknown[] };
}

describe("generateSnapshot", () => {
  const spec = { regions: ["us-east-1", "eu-west-1", "ap-southeast-2"], keysPerRegion: 200, buckets: 300, seed: 7 };
  const snapshot = generateSnapshot(spec);

  it("has the requested sizes and passes its own checks", () => {
    expect(Object.keys(snapshot.Kms)).toEqual(spec.regions);
    for (const region of spec.regions) expect(snapshot.Kms[region]?.Keys).toHaveLength(200);
    expect(snapshot.Buckets).toHaveLength(300);
    expect(new Set(snapshot.Buckets.map((b) => b.Name)).size).toBe(300);
    expect(snapshot.Regions).toEqual(spec.regions);
    expect(() => validateSnapshot(snapshot, "generated")).not.toThrow();
    expect(snapshot.Account).toBe("111122223333");
    expect(generateSnapshot({ ...spec, account: "210987654321" }).Account).toBe("210987654321");
  });

  it("is the same for the same seed, different for another", () => {
    expect(generateSnapshot(spec)).toEqual(snapshot);
    expect(generateSnapshot({ ...spec, seed: 8 })).not.toEqual(snapshot);
  });

  it("has the realistic mix: mostly customer symmetric keys, AWS managed keys, an aws/s3 key per region, a few special keys", () => {
    const keys = spec.regions.flatMap((region) => snapshot.Kms[region]?.Keys ?? []);
    const meta = keys.map((k) => k.KeyMetadata);
    const customerSymmetric = meta.filter((m) => m["KeyManager"] === undefined && m["KeySpec"] === undefined && m["Origin"] === undefined);
    expect(customerSymmetric.length / keys.length).toBeGreaterThan(0.7);
    const managed = meta.filter((m) => m["KeyManager"] === "AWS");
    expect(managed.length).toBeGreaterThanOrEqual(3 * 5);
    for (const kind of ["RSA_2048", "HMAC_256", "ECC_NIST_P256"]) expect(meta.some((m) => m["KeySpec"] === kind)).toBe(true);
    expect(meta.some((m) => m["Origin"] === "EXTERNAL")).toBe(true);
    for (const region of spec.regions) {
      const aliases = snapshot.Kms[region]?.Aliases ?? [];
      const s3 = aliases.find((a) => a.AliasName === "alias/aws/s3");
      expect(snapshot.Kms[region]?.Keys.find((k) => k.KeyMetadata.KeyId === s3?.TargetKeyId)?.KeyMetadata["KeyManager"]).toBe("AWS");
      expect(aliases.some((a) => a.AliasName.startsWith("alias/aws/") && a.TargetKeyId === undefined)).toBe(true);
    }
    const withPolicy = keys.filter((k) => k.KeyMetadata["KeyManager"] !== "AWS");
    expect(withPolicy.every((k) => (k.Policy as { Statement: unknown[] }).Statement.length === 3)).toBe(true);
    expect(JSON.stringify(withPolicy[0]?.Policy)).toContain(`arn:aws:iam::${SPOKE_ACCOUNT}:root`);
    const rotating = keys.filter((k) => k.Rotation?.KeyRotationEnabled === true).length;
    expect(rotating / customerSymmetric.length).toBeGreaterThan(0.7);
  });

  it("spreads buckets over the regions, with policies, shares and each kind of default encryption", () => {
    const byRegion = spec.regions.map((region) => snapshot.Buckets.filter((b) => b.Region === region).length);
    expect(byRegion).toEqual([100, 100, 100]);
    expect(snapshot.Buckets.filter((b) => b.Policy !== undefined).length).toBeGreaterThan(150);
    expect(snapshot.Buckets.some((b) => JSON.stringify(b.Policy ?? "").includes(SPOKE_ACCOUNT))).toBe(true);
    const algorithms = snapshot.Buckets.map((b) => {
      const rule = b.Encryption?.Rules[0]?.["ApplyServerSideEncryptionByDefault"] as Record<string, string> | undefined;
      if (!rule) return "default";
      if (rule["SSEAlgorithm"] === "AES256") return "AES256";
      const keyArn = rule["KMSMasterKeyID"];
      if (keyArn === undefined) return "aws/s3 implicit";
      const region = keyArn.split(":")[3] ?? "";
      const keyId = keyArn.split("/")[1];
      const key = snapshot.Kms[region]?.Keys.find((k) => k.KeyMetadata.KeyId === keyId);
      expect(key).toBeDefined();
      return key?.KeyMetadata["KeyManager"] === "AWS" ? "aws/s3 by ARN" : "customer key";
    });
    for (const kind of ["default", "AES256", "aws/s3 implicit", "aws/s3 by ARN", "customer key"]) expect(algorithms).toContain(kind);
    expect(algorithms.filter((a) => a === "customer key").length).toBeGreaterThan(100);
  });

  it("is served to many concurrent calls with latency", async () => {
    const fake = await startFakeAws({ snapshot, latencyMs: 20 });
    const kms = new KMSClient(clientConfig(fake, "eu-west-1"));
    const s3 = new S3Client(s3Config(fake, "eu-west-1"));
    const keyIds: string[] = [];
    for await (const page of paginateListKeys({ client: kms }, { Limit: 1000 })) keyIds.push(...(page.Keys ?? []).map((k) => k.KeyId ?? ""));
    const bucketNames: string[] = [];
    for await (const page of paginateListBuckets({ client: s3 }, { BucketRegion: "eu-west-1", MaxBuckets: 1000 })) bucketNames.push(...(page.Buckets ?? []).map((b) => b.Name ?? ""));
    expect(keyIds).toHaveLength(200);
    expect(bucketNames).toHaveLength(100);

    const started = Date.now();
    const results = await Promise.all([
      ...keyIds.map((KeyId) => kms.send(new DescribeKeyCommand({ KeyId }))),
      ...keyIds.map((KeyId) => kms.send(new GetKeyPolicyCommand({ KeyId }))),
      ...bucketNames.map((Bucket) => s3.send(new GetBucketEncryptionCommand({ Bucket })).catch((e: Error) => e.name)),
    ]);
    const elapsed = Date.now() - started;
    kms.destroy();
    s3.destroy();
    await fake.close();
    expect(results).toHaveLength(500);
    // Only buckets whose snapshot says "no encryption configuration" fail, and the generator writes none.
    expect(results.filter((r) => typeof r === "string")).toEqual([]);
    // 500 calls at 20 ms each, sent together: far less than one after the other (10 s).
    expect(elapsed).toBeLessThan(5000);
    expect(fake.calls).toHaveLength(502);
    expect(fake.calls.every((c) => c.durationMs >= 20)).toBe(true);
  });
});
