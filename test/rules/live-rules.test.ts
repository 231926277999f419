/**
 * The rules on live accounts: key-state, imported-material-expiring, audit-error, and the IaC rules on what
 * the audit read, each through the fake AWS endpoint and the real SDK clients. Positions are asserted: a
 * line and column in the policy text as GetKeyPolicy/GetBucketPolicy returned it, or 1:1 with the API answer
 * and JSON pointer for settings.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/engine/linter.js";
import { auditSnapshot, baseSnapshot, keyArn, keyId } from "../audit-helpers.js";

const at = (f: Finding) => ({ rule: f.ruleId, severity: f.severity, line: f.range.start.line, column: f.range.start.column, api: f.api, pointer: f.pointer, resource: f.resource });
const READ_AT = new Date("2026-11-24T00:00:00Z");

describe("key-state", () => {
  it("reports a bucket whose default key is PendingDeletion, with the deletion date, at KMSMasterKeyID", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(1), KeyState: "PendingDeletion", DeletionDate: "2026-12-01T00:00:00Z" } });
    snapshot.Kms["us-east-1"]!.Aliases!.push({ AliasName: "alias/archive", TargetKeyId: keyId(1) });
    snapshot.Buckets.push({ Name: "archive", Region: "us-east-1", Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn(1) } }] } });
    const { findings } = await auditSnapshot(snapshot, { readAt: READ_AT });
    const found = findings.filter((f) => f.ruleId === "key-state");
    expect(found.map(at)).toEqual([
      {
        rule: "key-state",
        severity: "error",
        line: 1,
        column: 1,
        api: "GetBucketEncryption",
        pointer: "/ServerSideEncryptionConfiguration/Rules/0/ApplyServerSideEncryptionByDefault/KMSMasterKeyID",
        resource: "arn:aws:s3:::archive",
      },
    ]);
    expect(found[0]!.message).toBe(
      `Bucket "archive" is encrypted by default with ${keyArn(1)} (alias/archive), which is scheduled for deletion on 2026-12-01: until then KMS refuses every cryptographic request with it (KMSInvalidStateException), and once it is deleted nothing encrypted under it can ever be decrypted. Uploads that S3 encrypts with it and reads of objects encrypted under it fail with an error from KMS. Fix: cancel the deletion (\`aws kms cancel-key-deletion --key-id ${keyArn(1)}\`, which leaves the key disabled) and enable it (\`aws kms enable-key --key-id ${keyArn(1)}\`), or re-encrypt the objects under another key before the deletion date.`,
    );
  });

  it("follows an alias name to a disabled key; an enabled key, or a bucket without KMS, is not reported", async () => {
    const snapshot = baseSnapshot();
    const keys = snapshot.Kms["us-east-1"]!;
    keys.Keys.push({ KeyMetadata: { KeyId: keyId(1), KeyState: "Disabled" } }, { KeyMetadata: { KeyId: keyId(2) } });
    keys.Aliases!.push({ AliasName: "alias/off", TargetKeyId: keyId(1) }, { AliasName: "alias/on", TargetKeyId: keyId(2) });
    snapshot.Buckets.push(
      { Name: "a", Region: "us-east-1", Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/off" } }] } },
      { Name: "b", Region: "us-east-1", Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/on" } }] } },
      { Name: "c", Region: "us-east-1" },
    );
    const { findings } = await auditSnapshot(snapshot, { readAt: READ_AT });
    const found = findings.filter((f) => f.ruleId === "key-state");
    expect(found.map((f) => f.resource)).toEqual(["arn:aws:s3:::a"]);
    expect(found[0]!.message).toContain("which is disabled: KMS refuses every cryptographic request with it (DisabledException)");
  });
});

describe("imported-material-expiring", () => {
  const imported = (validTo: string) => ({
    KeyMetadata: { KeyId: keyId(1), Origin: "EXTERNAL", ExpirationModel: "KEY_MATERIAL_EXPIRES", ValidTo: validTo },
  });

  it("reports material that expires within 30 days, at DescribeKey's ValidTo", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push(imported("2026-12-06T00:00:00Z"));
    const { findings } = await auditSnapshot(snapshot, { readAt: READ_AT });
    const found = findings.filter((f) => f.ruleId === "imported-material-expiring");
    expect(found.map(at)).toEqual([{ rule: "imported-material-expiring", severity: "warning", line: 1, column: 1, api: "DescribeKey", pointer: "/KeyMetadata/ValidTo", resource: keyArn(1) }]);
    expect(found[0]!.message).toContain("expires on 2026-12-06T00:00:00.000Z, in 12 days (ValidTo; the window is 30 days)");
  });

  it("is quiet beyond the window, and the window is the rule's days option", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push(imported("2027-02-01T00:00:00Z"));
    expect((await auditSnapshot(snapshot, { readAt: READ_AT })).findings.filter((f) => f.ruleId === "imported-material-expiring")).toEqual([]);
    const wide = await auditSnapshot(snapshot, { readAt: READ_AT, ruleOptions: { "imported-material-expiring": { days: 90 } } });
    expect(wide.findings.filter((f) => f.ruleId === "imported-material-expiring").map((f) => f.message.slice(0, 120))).toEqual([
      "The imported key material of this key expires on 2027-02-01T00:00:00.000Z, in 69 days (ValidTo; the window is 90 days). ",
    ]);
  });

  it("says when the material has already expired, and names new material waiting for rotation (ListKeyRotations)", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({
      ...imported("2026-11-20T00:00:00Z"),
      Rotations: [
        { KeyId: keyId(1), KeyMaterialId: "a".repeat(64), KeyMaterialState: "CURRENT", ImportState: "IMPORTED", ValidTo: "2026-11-20T00:00:00Z" },
        { KeyId: keyId(1), KeyMaterialId: "b".repeat(64), KeyMaterialState: "PENDING_ROTATION", ImportState: "IMPORTED" },
      ],
    });
    const { findings, calls } = await auditSnapshot(snapshot, { readAt: READ_AT });
    expect(calls.filter((c) => c.operation === "ListKeyRotations")).toHaveLength(1);
    const found = findings.filter((f) => f.ruleId === "imported-material-expiring");
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain("expired on 2026-11-20T00:00:00.000Z (ValidTo)");
    expect(found[0]!.message).toContain(`New key material bbbbbbbbbbbb… is imported and waiting (PENDING_ROTATION): \`aws kms rotate-key-on-demand --key-id ${keyArn(1)}\` makes it current.`);
  });
});

describe("audit-error", () => {
  it("names the call, the resource and the permission when GetKeyPolicy is denied for one key; the others are checked", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push(
      { KeyMetadata: { KeyId: keyId(1) }, Rotation: { KeyRotationEnabled: true } },
      { KeyMetadata: { KeyId: keyId(2) }, Rotation: { KeyRotationEnabled: true }, Policy: { Version: "2012-10-17", Statement: [{ Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }] } },
    );
    snapshot.Faults = [{ Operation: "GetKeyPolicy", Resource: keyId(1), Error: "AccessDeniedException" }];
    const { findings } = await auditSnapshot(snapshot);
    const errors = findings.filter((f) => f.ruleId === "audit-error");
    expect(errors.map(at)).toEqual([{ rule: "audit-error", severity: "warning", line: 1, column: 1, api: "GetKeyPolicy", pointer: "", resource: keyArn(1) }]);
    expect(errors[0]!.message).toMatch(/^GetKeyPolicy was denied \(AccessDeniedException\), so its key policy is not checked .*Fix: allow kms:GetKeyPolicy for the audit's role; KMS also needs the key policy to allow it/);
    // The other key's policy was read and linted: positions in its text as GetKeyPolicy returned it.
    const open = findings.find((f) => f.ruleId === "public-access");
    expect(open && at(open)).toEqual({ rule: "public-access", severity: "error", line: 7, column: 20, api: "GetKeyPolicy", pointer: "/Statement/0/Principal", resource: keyArn(2) });
  });

  it("reports a listing that failed for a whole region, and an organization it could not read as a note", async () => {
    const snapshot = baseSnapshot();
    snapshot.Organization = { Error: "AccessDeniedException" };
    snapshot.Faults = [{ Operation: "ListAliases", Error: "AccessDeniedException" }];
    const { findings } = await auditSnapshot(snapshot);
    const reported = findings.filter((f) => f.ruleId === "audit-error").map((f) => [f.resource, f.severity, f.api, f.message.slice(0, 90)]);
    expect(reported.sort()).toEqual([
      ["arn:aws:iam::111122223333:root", "info", "DescribeOrganization", "Organizations DescribeOrganization was denied (organizations:DescribeOrganization), so the"],
      ["arn:aws:kms:us-east-1:111122223333:alias/*", "warning", "ListAliases", "ListAliases was denied (AccessDeniedException), so the aliases of us-east-1 are unknown: b"],
    ]);
  });
});

describe("IaC rules on live data", () => {
  it("aws-managed-key-on-shared-bucket: a key ARN that is the AWS managed key (KeyManager AWS) counts as aws/s3", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(9), KeyManager: "AWS" } });
    snapshot.Kms["us-east-1"]!.Aliases!.push({ AliasName: "alias/aws/s3", TargetKeyId: keyId(9) });
    snapshot.Buckets.push({
      Name: "shared",
      Region: "us-east-1",
      Policy: { Version: "2012-10-17", Statement: [{ Sid: "Spoke", Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/*" }] },
      Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn(9) } }] },
    });
    const { findings, calls } = await auditSnapshot(snapshot);
    const found = findings.filter((f) => f.ruleId === "aws-managed-key-on-shared-bucket");
    expect(found.map(at)).toEqual([{ rule: "aws-managed-key-on-shared-bucket", severity: "error", line: 1, column: 1, api: "GetBucketEncryption", pointer: "/ServerSideEncryptionConfiguration/Rules/0", resource: "arn:aws:s3:::shared" }]);
    // AWS managed keys: DescribeKey only; their policy and rotation are AWS's and are not read.
    expect(calls.filter((c) => c.resource?.includes(keyId(9))).map((c) => c.operation)).toEqual(["DescribeKey"]);
  });

  it("rotation-disabled uses the real key facts: an HMAC key, an imported key and a replica are not read for rotation nor reported", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push(
      { KeyMetadata: { KeyId: keyId(1) }, Rotation: { KeyRotationEnabled: false } },
      { KeyMetadata: { KeyId: keyId(2), KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" } },
      { KeyMetadata: { KeyId: keyId(3), Origin: "EXTERNAL", ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" } },
      { KeyMetadata: { KeyId: keyId(4), MultiRegion: true, MultiRegionConfiguration: { MultiRegionKeyType: "REPLICA", PrimaryKey: { Arn: keyArn(4, "eu-west-1"), Region: "eu-west-1" } } } },
    );
    const { findings, calls } = await auditSnapshot(snapshot);
    expect(findings.filter((f) => f.ruleId === "rotation-disabled").map(at)).toEqual([
      { rule: "rotation-disabled", severity: "warning", line: 1, column: 1, api: "GetKeyRotationStatus", pointer: "/KeyRotationEnabled", resource: keyArn(1) },
    ]);
    expect(calls.filter((c) => c.operation === "GetKeyRotationStatus").map((c) => c.resource)).toEqual([keyArn(1)]);
    expect(findings.filter((f) => f.ruleId === "audit-error")).toEqual([]);
  });

  it("bucket-key-mismatch points into the bucket policy text", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(1) }, Rotation: { KeyRotationEnabled: true } });
    snapshot.Buckets.push({
      Name: "lake",
      Region: "us-east-1",
      Policy: '{"Version":"2012-10-17","Statement":[\n{"Sid":"Spoke","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::lake/*"}]}',
      Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn(1) } }] },
    });
    const { findings } = await auditSnapshot(snapshot);
    const found = findings.filter((f) => f.ruleId === "bucket-key-mismatch");
    expect(found.map(at)).toEqual([{ rule: "bucket-key-mismatch", severity: "warning", line: 2, column: 52, api: "GetBucketPolicy", pointer: "/Statement/0/Principal/AWS", resource: "arn:aws:s3:::lake" }]);
  });
});
