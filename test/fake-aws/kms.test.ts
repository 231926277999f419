/**
 * The fake KMS through the real @aws-sdk/client-kms: listings and their markers, DescribeKey's defaults and
 * dates, key policies, rotation, and the key DescribeKey creates for a predefined alias.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  KMSServiceException,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  NotFoundException,
  UnsupportedOperationException,
  paginateListAliases,
  paginateListKeys,
} from "@aws-sdk/client-kms";
import { startFakeAws, type FakeAws } from "../../src/fake-aws/index.js";
import { ACCOUNT, accountSnapshot, clientConfig, rejection } from "./fixtures/clients.js";

const ORDERS_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const PLAIN_KEY = "0987dcba-09fe-87dc-65ba-ab0987654321";
const ORDERS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${ORDERS_KEY}`;
const US_EAST_1_KEYS = [
  ORDERS_KEY,
  PLAIN_KEY,
  "aaaa1111-2222-3333-4444-555566667777",
  "bbbb1111-2222-3333-4444-555566667777",
  "cccc1111-2222-3333-4444-555566667777",
  "dddd1111-2222-3333-4444-555566667777",
  "eeee1111-2222-3333-4444-555566667777",
  "ffff1111-2222-3333-4444-555566667777",
];

let fake: FakeAws;
let kms: KMSClient;

beforeAll(async () => {
  fake = await startFakeAws({ snapshot: accountSnapshot() });
  kms = new KMSClient(clientConfig(fake));
});
afterAll(async () => {
  kms.destroy();
  await fake.close();
});

describe("ListKeys", () => {
  it("lists the region's keys with their ARNs", async () => {
    const out = await kms.send(new ListKeysCommand({}));
    expect(out.Keys?.map((k) => k.KeyId)).toEqual(US_EAST_1_KEYS);
    expect(out.Keys?.[0]).toEqual({ KeyId: ORDERS_KEY, KeyArn: ORDERS_ARN });
    expect(out.Truncated).toBe(false);
    expect(out.NextMarker).toBeUndefined();
  });

  it("lists another region's keys when signed for it", async () => {
    const eu = new KMSClient(clientConfig(fake, "eu-west-1"));
    const out = await eu.send(new ListKeysCommand({}));
    eu.destroy();
    expect(out.Keys).toEqual([{ KeyId: "mrk-1234567890abcdef1234567890abcdef", KeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/mrk-1234567890abcdef1234567890abcdef` }]);
  });

  it("pages with Limit and NextMarker", async () => {
    const first = await kms.send(new ListKeysCommand({ Limit: 3 }));
    expect(first.Keys?.map((k) => k.KeyId)).toEqual(US_EAST_1_KEYS.slice(0, 3));
    expect(first.Truncated).toBe(true);
    expect(typeof first.NextMarker).toBe("string");
    const second = await kms.send(new ListKeysCommand({ Limit: 3, Marker: first.NextMarker }));
    expect(second.Keys?.map((k) => k.KeyId)).toEqual(US_EAST_1_KEYS.slice(3, 6));
  });

  it("pages through paginateListKeys when pageSize caps every page at 2", async () => {
    const paged = await startFakeAws({ snapshot: accountSnapshot(), pageSize: 2 });
    const client = new KMSClient(clientConfig(paged));
    const pages: string[][] = [];
    for await (const page of paginateListKeys({ client }, { Limit: 100 })) pages.push((page.Keys ?? []).map((k) => k.KeyId ?? ""));
    client.destroy();
    await paged.close();
    expect(pages).toEqual([US_EAST_1_KEYS.slice(0, 2), US_EAST_1_KEYS.slice(2, 4), US_EAST_1_KEYS.slice(4, 6), US_EAST_1_KEYS.slice(6, 8)]);
    expect(paged.calls.map((c) => c.operation)).toEqual(["ListKeys", "ListKeys", "ListKeys", "ListKeys"]);
  });

  it("rejects a Limit out of range and a forged marker", async () => {
    const limit = await rejection(kms.send(new ListKeysCommand({ Limit: 1001 })));
    expect(limit.name).toBe("ValidationException");
    const marker = await rejection(kms.send(new ListKeysCommand({ Marker: "bm90LWEtbWFya2Vy" })));
    expect(marker.name).toBe("InvalidMarkerException");
  });
});

describe("ListAliases", () => {
  it("lists aliases with ARNs and dates, and the predefined aliases without a key", async () => {
    const out = await kms.send(new ListAliasesCommand({}));
    expect(out.Aliases?.map((a) => a.AliasName)).toEqual(["alias/orders", "alias/orders-legacy", "alias/aws/s3", "alias/aws/ebs", "alias/aws/rds"]);
    const [orders, legacy, , ebs] = out.Aliases ?? [];
    expect(orders).toEqual({
      AliasName: "alias/orders",
      AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/orders`,
      TargetKeyId: ORDERS_KEY,
      CreationDate: new Date("2023-03-14T15:10:00Z"),
      LastUpdatedDate: new Date("2024-05-01T12:00:00Z"),
    });
    // Without dates of its own, the alias gets its key's creation date.
    expect(legacy?.CreationDate).toEqual(new Date("2023-03-14T15:09:26.535Z"));
    expect(ebs).toEqual({ AliasName: "alias/aws/ebs", AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/ebs` });
  });

  it("filters by KeyId (id or ARN)", async () => {
    for (const KeyId of [ORDERS_KEY, ORDERS_ARN]) {
      const out = await kms.send(new ListAliasesCommand({ KeyId }));
      expect(out.Aliases?.map((a) => a.AliasName)).toEqual(["alias/orders", "alias/orders-legacy"]);
    }
    const none = await kms.send(new ListAliasesCommand({ KeyId: PLAIN_KEY }));
    expect(none.Aliases).toEqual([]);
    const unknown = await rejection(kms.send(new ListAliasesCommand({ KeyId: "00000000-0000-0000-0000-000000000000" })));
    expect(unknown).toBeInstanceOf(NotFoundException);
  });

  it("pages with paginateListAliases", async () => {
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListAliases({ client: kms }, { Limit: 2 })) {
      pages++;
      names.push(...(page.Aliases ?? []).map((a) => a.AliasName ?? ""));
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(5);
  });
});

describe("DescribeKey", () => {
  it("fills KeyMetadata with AWS's defaults; dates parse as Date", async () => {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: PLAIN_KEY }));
    expect(out.KeyMetadata).toEqual({
      AWSAccountId: ACCOUNT,
      KeyId: PLAIN_KEY,
      Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${PLAIN_KEY}`,
      CreationDate: new Date("2024-01-15T09:30:00.000Z"),
      Enabled: true,
      Description: "",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      KeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    });
  });

  it("keeps the snapshot's values, with millisecond dates", async () => {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: ORDERS_KEY }));
    expect(out.KeyMetadata?.CreationDate).toBeInstanceOf(Date);
    expect(out.KeyMetadata?.CreationDate?.toISOString()).toBe("2023-03-14T15:09:26.535Z");
    expect(out.KeyMetadata?.Description).toBe("orders data");

    const pending = await kms.send(new DescribeKeyCommand({ KeyId: "dddd1111-2222-3333-4444-555566667777" }));
    expect(pending.KeyMetadata).toMatchObject({ KeyState: "PendingDeletion", Enabled: false, PendingDeletionWindowInDays: 7, DeletionDate: new Date("2026-12-01T00:00:00Z") });

    const rsa = await kms.send(new DescribeKeyCommand({ KeyId: "aaaa1111-2222-3333-4444-555566667777" }));
    expect(rsa.KeyMetadata).toMatchObject({ KeySpec: "RSA_2048", CustomerMasterKeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT", EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] });

    const hmac = await kms.send(new DescribeKeyCommand({ KeyId: "bbbb1111-2222-3333-4444-555566667777" }));
    expect(hmac.KeyMetadata).toMatchObject({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC", MacAlgorithms: ["HMAC_SHA_256"] });
    expect(hmac.KeyMetadata?.EncryptionAlgorithms).toBeUndefined();

    const eu = new KMSClient(clientConfig(fake, "eu-west-1"));
    const mrk = await eu.send(new DescribeKeyCommand({ KeyId: "alias/eu-data" }));
    eu.destroy();
    expect(mrk.KeyMetadata?.MultiRegion).toBe(true);
    expect(mrk.KeyMetadata?.MultiRegionConfiguration?.PrimaryKey?.Region).toBe("eu-west-1");
  });

  it("serves dates relative to now (now+12d) as the time they stand for", async () => {
    const snapshot = accountSnapshot();
    snapshot.Kms["us-east-1"]?.Keys.push({ KeyMetadata: { KeyId: "relative-dates", CreationDate: "now-3h", ValidTo: "now+12d", Origin: "EXTERNAL" } });
    const own = await startFakeAws({ snapshot });
    const client = new KMSClient(clientConfig(own));
    const before = Date.now();
    const out = await client.send(new DescribeKeyCommand({ KeyId: "relative-dates" }));
    client.destroy();
    await own.close();
    const hour = 3_600_000;
    expect(before - (out.KeyMetadata?.CreationDate?.getTime() ?? 0)).toBeGreaterThan(3 * hour - 60_000);
    expect(before - (out.KeyMetadata?.CreationDate?.getTime() ?? 0)).toBeLessThan(3 * hour + 60_000);
    expect((out.KeyMetadata?.ValidTo?.getTime() ?? 0) - before).toBeGreaterThan(12 * 24 * hour - 60_000);
    expect((out.KeyMetadata?.ValidTo?.getTime() ?? 0) - before).toBeLessThan(12 * 24 * hour + 60_000);
  });

  it("accepts a key ARN, an alias name and an alias ARN", async () => {
    for (const KeyId of [ORDERS_ARN, "alias/orders", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/orders-legacy`]) {
      const out = await kms.send(new DescribeKeyCommand({ KeyId }));
      expect(out.KeyMetadata?.KeyId).toBe(ORDERS_KEY);
    }
  });

  it("answers NotFoundException for an unknown key, alias, or a key ARN of another region", async () => {
    for (const KeyId of ["00000000-0000-0000-0000-000000000000", "alias/nope", `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${ORDERS_KEY}`]) {
      const error = await rejection(kms.send(new DescribeKeyCommand({ KeyId })));
      expect(error).toBeInstanceOf(NotFoundException);
      expect(error).toBeInstanceOf(KMSServiceException);
      expect(error.name).toBe("NotFoundException");
      expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    }
    const error = await rejection(kms.send(new DescribeKeyCommand({ KeyId: "alias/nope" })));
    expect(error.message).toBe(`Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/nope is not found.`);
  });

  it("creates the AWS managed key for a predefined alias without one, as AWS does, and records it", async () => {
    const own = await startFakeAws({ snapshot: accountSnapshot() });
    const client = new KMSClient(clientConfig(own));
    const before = await client.send(new ListKeysCommand({}));
    const out = await client.send(new DescribeKeyCommand({ KeyId: "alias/aws/ebs" }));
    expect(out.KeyMetadata?.KeyManager).toBe("AWS");
    const created = out.KeyMetadata?.KeyId ?? "";
    expect(created).toMatch(/^[0-9a-f-]{36}$/);

    const after = await client.send(new ListKeysCommand({}));
    expect(after.Keys?.length).toBe((before.Keys?.length ?? 0) + 1);
    expect(after.Keys?.at(-1)?.KeyId).toBe(created);
    const alias = (await client.send(new ListAliasesCommand({ KeyId: created }))).Aliases;
    expect(alias?.map((a) => a.AliasName)).toEqual(["alias/aws/ebs"]);
    // The same alias now resolves to the same key: nothing more is created.
    const again = await client.send(new DescribeKeyCommand({ KeyId: "alias/aws/ebs" }));
    expect(again.KeyMetadata?.KeyId).toBe(created);
    client.destroy();
    await own.close();

    const describes = own.calls.filter((c) => c.operation === "DescribeKey");
    expect(describes).toHaveLength(2);
    expect(describes[0]).toMatchObject({ service: "kms", resource: "alias/aws/ebs", status: 200, createdKeyId: created });
    expect(describes[1]?.createdKeyId).toBeUndefined();
    // The snapshot given to the server is not changed.
    expect(accountSnapshot().Kms["us-east-1"]?.Keys).toHaveLength(8);
  });

  it("does not create a key for an alias that is not predefined, nor for an alias ARN of another region", async () => {
    const error = await rejection(kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/not-a-service" })));
    expect(error.name).toBe("NotFoundException");
    const elsewhere = await rejection(kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/aws/rds` })));
    expect(elsewhere.name).toBe("NotFoundException");
    expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(8);
  });

  it("creates the key for an alias ARN of a predefined alias too", async () => {
    const own = await startFakeAws({ snapshot: accountSnapshot() });
    const client = new KMSClient(clientConfig(own));
    const out = await client.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/rds` }));
    const aliases = await client.send(new ListAliasesCommand({}));
    client.destroy();
    await own.close();
    expect(out.KeyMetadata?.KeyManager).toBe("AWS");
    // The alias keeps its place in the list and now points at the new key.
    expect(aliases.Aliases?.[4]).toMatchObject({ AliasName: "alias/aws/rds", TargetKeyId: out.KeyMetadata?.KeyId });
    expect(own.calls.at(0)?.createdKeyId).toBe(out.KeyMetadata?.KeyId);
  });
});

describe("GetKeyPolicy", () => {
  it("returns an object policy as 2-space JSON", async () => {
    const out = await kms.send(new GetKeyPolicyCommand({ KeyId: ORDERS_KEY, PolicyName: "default" }));
    expect(out.PolicyName).toBe("default");
    expect(out.Policy).toBe(JSON.stringify(accountSnapshot().Kms["us-east-1"]?.Keys[0]?.Policy, null, 2));
    expect(JSON.parse(out.Policy ?? "").Statement[2].Principal.AWS).toBe("arn:aws:iam::444455556666:root");
  });

  it("returns a text policy byte for byte", async () => {
    const out = await kms.send(new GetKeyPolicyCommand({ KeyId: "ffff1111-2222-3333-4444-555566667777" }));
    expect(out.Policy).toBe(accountSnapshot().Kms["us-east-1"]?.Keys[7]?.Policy);
  });

  it("returns the default key policy when the snapshot has none", async () => {
    const out = await kms.send(new GetKeyPolicyCommand({ KeyId: PLAIN_KEY, PolicyName: "default" }));
    expect(JSON.parse(out.Policy ?? "")).toEqual({
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }],
    });
  });

  it("returns AWS's policy for an AWS managed key, scoped to its service", async () => {
    const out = await kms.send(new GetKeyPolicyCommand({ KeyId: "eeee1111-2222-3333-4444-555566667777" }));
    const policy = JSON.parse(out.Policy ?? "");
    expect(policy.Id).toBe("auto-s3-2");
    expect(policy.Statement[0].Condition).toEqual({ StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
  });

  it("does not take an alias", async () => {
    const error = await rejection(kms.send(new GetKeyPolicyCommand({ KeyId: "alias/orders" })));
    expect(error.name).toBe("NotFoundException");
  });
});

describe("rotation", () => {
  it("reports the snapshot's rotation", async () => {
    const out = await kms.send(new GetKeyRotationStatusCommand({ KeyId: ORDERS_KEY }));
    expect(out).toMatchObject({ KeyRotationEnabled: true, KeyId: ORDERS_ARN, RotationPeriodInDays: 180, NextRotationDate: new Date("2026-09-10T15:09:26Z") });
    const off = await kms.send(new GetKeyRotationStatusCommand({ KeyId: PLAIN_KEY }));
    expect(off.KeyRotationEnabled).toBe(false);
    expect(off.RotationPeriodInDays).toBeUndefined();
  });

  it("reports AWS managed keys as rotating yearly, keys pending deletion as not rotating", async () => {
    const managed = await kms.send(new GetKeyRotationStatusCommand({ KeyId: "eeee1111-2222-3333-4444-555566667777" }));
    expect(managed.KeyRotationEnabled).toBe(true);
    expect(managed.RotationPeriodInDays).toBe(365);
    expect(managed.NextRotationDate?.getTime()).toBeGreaterThan(Date.now());
    expect((managed.NextRotationDate?.getTime() ?? 0) - Date.parse("2021-06-01T00:00:00Z")).toBe(Math.ceil((Date.now() - Date.parse("2021-06-01T00:00:00Z")) / (365 * 86_400_000)) * 365 * 86_400_000);
    const pending = await kms.send(new GetKeyRotationStatusCommand({ KeyId: "dddd1111-2222-3333-4444-555566667777" }));
    expect(pending.KeyRotationEnabled).toBe(false);
  });

  it("answers UnsupportedOperationException for keys that cannot rotate", async () => {
    for (const [KeyId, reason] of [
      ["aaaa1111-2222-3333-4444-555566667777", "key spec is RSA_2048"],
      ["bbbb1111-2222-3333-4444-555566667777", "key spec is HMAC_256"],
      ["cccc1111-2222-3333-4444-555566667777", "origin is EXTERNAL"],
    ] as const) {
      const error = await rejection(kms.send(new GetKeyRotationStatusCommand({ KeyId })));
      expect(error).toBeInstanceOf(UnsupportedOperationException);
      expect(error.message).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${KeyId} ${reason} which is not valid for this operation.`);
    }
  });

  it("lists rotations: by default those made by rotation, with ALL_KEY_MATERIAL the first material too", async () => {
    const out = await kms.send(new ListKeyRotationsCommand({ KeyId: ORDERS_KEY }));
    expect(out.Rotations).toEqual([
      { KeyId: ORDERS_KEY, KeyMaterialId: "0000000000000000000000000000000000000000000000000000000000000002", RotationDate: new Date("2024-03-14T15:09:26Z"), RotationType: "AUTOMATIC", KeyMaterialState: "NON_CURRENT" },
      { KeyId: ORDERS_KEY, KeyMaterialId: "0000000000000000000000000000000000000000000000000000000000000003", RotationDate: new Date("2025-01-02T03:04:05Z"), RotationType: "ON_DEMAND", KeyMaterialState: "CURRENT" },
    ]);
    expect(out.Truncated).toBe(false);
    const all = await kms.send(new ListKeyRotationsCommand({ KeyId: ORDERS_KEY, IncludeKeyMaterial: "ALL_KEY_MATERIAL", Limit: 2 }));
    expect(all.Rotations?.map((r) => r.KeyMaterialId?.slice(-1))).toEqual(["1", "2"]);
    expect(all.Truncated).toBe(true);
    const rest = await kms.send(new ListKeyRotationsCommand({ KeyId: ORDERS_KEY, IncludeKeyMaterial: "ALL_KEY_MATERIAL", Limit: 2, Marker: all.NextMarker }));
    expect(rest.Rotations?.map((r) => r.KeyMaterialId?.slice(-1))).toEqual(["3"]);
    const none = await kms.send(new ListKeyRotationsCommand({ KeyId: PLAIN_KEY }));
    expect(none.Rotations).toEqual([]);
    const asymmetric = await rejection(kms.send(new ListKeyRotationsCommand({ KeyId: "aaaa1111-2222-3333-4444-555566667777" })));
    expect(asymmetric.name).toBe("UnsupportedOperationException");
  });
});

describe("protocol", () => {
  it("answers an unknown operation with UnknownOperationException", async () => {
    const response = await fetch(fake.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "TrentService.Frobnicate",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ __type: "UnknownOperationException", message: "The operation Frobnicate is not supported by this endpoint." });
  });
});
