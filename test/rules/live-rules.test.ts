/**
 * The rules on live accounts: key-state, imported-material-expiring, audit-error, and the IaC rules on what
 * the audit read, each through the fake AWS endpoint and the real SDK clients. Positions are asserted: a
 * line and column in the policy text as GetKeyPolicy/GetBucketPolicy returned it, or 1:1 with the API answer
 * and JSON pointer for settings.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/engine/linter.js";
import { auditSnapshot, baseSnapshot, keyArn, keyId, testCollectOptions } from "../audit-helpers.js";

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
    expect(found.map(at)).toEqual([
      { rule: "key-state", severity: "error", line: 1, column: 1, api: "GetBucketEncryption", pointer: "/ServerSideEncryptionConfiguration/Rules/0/ApplyServerSideEncryptionByDefault/KMSMasterKeyID", resource: "arn:aws:s3:::a" },
    ]);
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

describe("what the audit could not read is never a finding of its own", () => {
  it("a rotation status that was denied is unknown, not off: audit-error, and no rotation-disabled", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(1) }, Rotation: { KeyRotationEnabled: true } });
    snapshot.Faults = [{ Operation: "GetKeyRotationStatus", Error: "AccessDeniedException" }];
    const { findings } = await auditSnapshot(snapshot);
    expect(findings.map(at)).toEqual([{ rule: "audit-error", severity: "warning", line: 1, column: 1, api: "GetKeyRotationStatus", pointer: "", resource: keyArn(1) }]);
    expect(findings[0]!.message).toContain("so whether automatic rotation is on is not checked");
  });

  it("credentials a region does not accept are said as such, and a failed listing is an error", async () => {
    const snapshot = baseSnapshot();
    snapshot.Faults = [{ Operation: "ListKeys", Error: "UnrecognizedClientException", Message: "The security token included in the request is invalid." }];
    const { findings } = await auditSnapshot(snapshot);
    const found = findings.filter((f) => f.ruleId === "audit-error");
    expect(found.map((f) => [f.resource, f.severity])).toEqual([["arn:aws:kms:us-east-1:111122223333:key/*", "error"]]);
    expect(found[0]!.message).toBe(
      "ListKeys in us-east-1 was refused with UnrecognizedClientException: the credentials were not accepted there, so no key of us-east-1 is checked. This is not a missing permission: the region may be an opt-in region not enabled for the account (leave it out with --region), or the credentials expired or are invalid (sign in again).",
    );
  });

  it("reads a bucket's region with GetBucketLocation when ListBuckets does not give it", async () => {
    const snapshot = baseSnapshot();
    snapshot.Buckets.push({ Name: "old", Region: "us-east-1", ListedWithoutRegion: true, Policy: { Version: "2012-10-17", Statement: [{ Sid: "Open", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::old/*" }] } });
    const { findings, calls } = await auditSnapshot(snapshot);
    expect(calls.filter((c) => c.operation === "GetBucketLocation").map((c) => c.resource)).toEqual(["old"]);
    // The policy as GetBucketPolicy returned it (2-space indentation): "Principal": "*" of statement 0 at 7:20.
    expect(findings.filter((f) => f.ruleId === "public-access").map(at)).toEqual([
      { rule: "public-access", severity: "error", line: 7, column: 20, api: "GetBucketPolicy", pointer: "/Statement/0/Principal", resource: "arn:aws:s3:::old" },
    ]);
  });
});

describe("key-state: a bucket key that leads nowhere", () => {
  const encrypted = (name: string, keyReference: string) => ({
    Name: name,
    Region: "us-east-1",
    Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyReference } }] },
  });

  it("a key that does not exist, an alias that does not exist, a key of another region: errors; a key of another account: a note", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(1) }, Rotation: { KeyRotationEnabled: true } });
    snapshot.Buckets.push(
      encrypted("deleted-key", keyArn(7)),
      encrypted("bad-alias", "alias/nope"),
      encrypted("wrong-region", keyArn(1, "eu-west-1")),
      encrypted("partner-key", "arn:aws:kms:us-east-1:444455556666:key/11111111-2222-4333-8444-555555555555"),
      encrypted("fine", keyArn(1)),
    );
    const { findings } = await auditSnapshot(snapshot);
    const rows = findings.filter((f) => f.ruleId === "key-state" || f.ruleId === "audit-error").map((f) => [f.resource, f.ruleId, f.severity, f.api, f.pointer]);
    const pointer = "/ServerSideEncryptionConfiguration/Rules/0/ApplyServerSideEncryptionByDefault/KMSMasterKeyID";
    expect(rows.sort()).toEqual(
      [
        ["arn:aws:s3:::bad-alias", "key-state", "error", "GetBucketEncryption", pointer],
        ["arn:aws:s3:::deleted-key", "key-state", "error", "GetBucketEncryption", pointer],
        ["arn:aws:s3:::partner-key", "audit-error", "info", "GetBucketEncryption", pointer],
        ["arn:aws:s3:::wrong-region", "key-state", "error", "GetBucketEncryption", pointer],
      ].sort(),
    );
    const message = (bucket: string) => findings.find((f) => f.resource === `arn:aws:s3:::${bucket}`)!.message;
    expect(message("deleted-key")).toBe(
      `Bucket "deleted-key" is encrypted by default with ${keyArn(7)}, a key that does not exist in us-east-1 (ListKeys does not list it). S3 does not check the key when default encryption is set, so the mistake shows only now: uploads that S3 encrypts by default fail with an error from KMS. Fix: point the bucket's default encryption at an existing key, named by its key ARN.`,
    );
    expect(message("wrong-region")).toContain("a key in eu-west-1, but the bucket is in us-east-1: S3 uses only keys of the bucket's own region");
    expect(message("partner-key")).toContain("is in account 444455556666: its state and key policy cannot be read from this account");
  });

  it("says nothing about a missing key when the key listing was not read in full", async () => {
    const snapshot = baseSnapshot();
    snapshot.Buckets.push(encrypted("unknown", keyArn(7)));
    snapshot.Faults = [{ Operation: "ListKeys", Error: "AccessDeniedException" }];
    const { findings } = await auditSnapshot(snapshot);
    expect(findings.filter((f) => f.ruleId === "key-state")).toEqual([]);
  });
});

describe("imported-material-expiring: earlier key material", () => {
  it("reports a NON_CURRENT material that expires within the window at its ValidTo in ListKeyRotations", async () => {
    const snapshot = baseSnapshot();
    snapshot.Kms["us-east-1"]!.Keys.push({
      KeyMetadata: { KeyId: keyId(1), Origin: "EXTERNAL", ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" },
      Rotations: [
        { KeyId: keyId(1), KeyMaterialId: "c".repeat(64), KeyMaterialState: "NON_CURRENT", ImportState: "IMPORTED", ValidTo: "2026-11-27T00:00:00Z" },
        { KeyId: keyId(1), KeyMaterialId: "d".repeat(64), KeyMaterialState: "CURRENT", ImportState: "IMPORTED" },
      ],
    });
    const { findings } = await auditSnapshot(snapshot, { readAt: READ_AT });
    const found = findings.filter((f) => f.ruleId === "imported-material-expiring");
    expect(found.map(at)).toEqual([{ rule: "imported-material-expiring", severity: "warning", line: 1, column: 1, api: "ListKeyRotations", pointer: "/Rotations/0/ValidTo", resource: keyArn(1) }]);
    expect(found[0]!.message).toContain(`Key material ${"c".repeat(64)} of this key, no longer current but still needed to decrypt what it encrypted before the last rotation, expires on 2026-11-27T00:00:00.000Z, in 3 days (ValidTo in ListKeyRotations; the window is 30 days)`);
  });
});

describe("read-only by construction", () => {
  it("every client of the audit refuses a command that is not one of its operations, before it is sent", async () => {
    const { Collector, NotReadOnlyError } = await import("../../src/sources/aws/collect.js");
    const { PutKeyPolicyCommand, ScheduleKeyDeletionCommand } = await import("@aws-sdk/client-kms");
    const { startFakeAws } = await import("../../src/fake-aws/index.js");
    const fake = await startFakeAws({ snapshot: baseSnapshot() });
    try {
      const collector = new Collector(testCollectOptions(fake.url, { maxAttempts: 1 }));
      const client = collector.kmsClient("us-east-1");
      await expect(client.send(new PutKeyPolicyCommand({ KeyId: keyId(1), Policy: "{}" }))).rejects.toBeInstanceOf(NotReadOnlyError);
      await expect(collector.kmsSend(client, new ScheduleKeyDeletionCommand({ KeyId: keyId(1) }))).rejects.toThrow("kmslint audit refused to send ScheduleKeyDeletionCommand");
      expect(fake.calls).toEqual([]);
      collector.destroy();
    } finally {
      await fake.close();
    }
  });
});

describe("IAM Access Analyzer next to kmslint (audit)", () => {
  const ANALYZER = { Region: "us-east-1", Name: "org-external-access", Type: "ORGANIZATION" as const };
  const OPEN = { Version: "2012-10-17", Statement: [{ Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }] };
  const SPOKE = {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
      { Sid: "Spoke", Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "kms:Decrypt", Resource: "*" },
    ],
  };
  const finding = (id: string, key: number, principal: Record<string, string>, isPublic = false, status: "ACTIVE" | "ARCHIVED" = "ACTIVE") => ({
    Analyzer: ANALYZER.Name,
    Id: id,
    Resource: keyArn(key),
    ResourceType: "AWS::KMS::Key",
    Status: status,
    Principal: principal,
    Action: ["kms:Decrypt"],
    IsPublic: isPublic,
  });
  const withKeys = (...policies: unknown[]) => {
    const snapshot = baseSnapshot();
    policies.forEach((Policy, i) => snapshot.Kms["us-east-1"]!.Keys.push({ KeyMetadata: { KeyId: keyId(i + 1) }, Rotation: { KeyRotationEnabled: true }, Policy }));
    return snapshot;
  };
  const aa = { collect: { accessAnalyzer: true } };

  it("both report it: kmslint's finding says Access Analyzer reports it too", async () => {
    const snapshot = withKeys(OPEN);
    snapshot.AccessAnalyzer = { Analyzers: [ANALYZER], Findings: [finding("f-1", 1, { AWS: "*" }, true)] };
    const { findings } = await auditSnapshot(snapshot, aa);
    const open = findings.find((f) => f.ruleId === "public-access")!;
    expect(open.accessAnalyzer).toEqual({ agreement: "both", analyzer: "org-external-access", findingId: "f-1", status: "ACTIVE" });
    expect(open.message).toMatch(/ IAM Access Analyzer reports this access too \(analyzer org-external-access, finding f-1\)\.$/);
    expect(findings.filter((f) => f.ruleId === "access-analyzer")).toEqual([]);
  });

  it("only Access Analyzer reports it: an access-analyzer finding at GetFindingV2's details, an error when public", async () => {
    const snapshot = withKeys(SPOKE, SPOKE);
    snapshot.AccessAnalyzer = { Analyzers: [ANALYZER], Findings: [finding("f-2", 1, { AWS: "777788889999" }), finding("f-3", 2, { AWS: "*" }, true)] };
    const { findings } = await auditSnapshot(snapshot, aa);
    const only = findings.filter((f) => f.ruleId === "access-analyzer").sort((a, b) => a.resource!.localeCompare(b.resource!));
    expect(only.map((f) => [f.resource, f.severity, f.api, f.pointer, f.accessAnalyzer?.findingId, f.accessAnalyzer?.agreement])).toEqual([
      [keyArn(1), "warning", "GetFindingV2", "/findingDetails/0/externalAccessDetails", "f-2", "access-analyzer-only"],
      [keyArn(2), "error", "GetFindingV2", "/findingDetails/0/externalAccessDetails", "f-3", "access-analyzer-only"],
    ]);
    expect(only[0]!.message).toBe(
      "IAM Access Analyzer (analyzer org-external-access, zone of trust: the organization; finding f-2) reports that account 777788889999 can call kms:Decrypt on this key; kmslint's rules did not report it: the key policy does not let this party in by kmslint's reading, so the access likely comes from a KMS grant (kmslint does not read grants), or from a condition Access Analyzer does not count as restricting. Review the finding in Access Analyzer: if the access is intended, archive it there.",
    );
  });

  it("a trusted account in kmslint's config that the analyzer reports: Access Analyzer only, with that reason", async () => {
    const snapshot = withKeys(SPOKE);
    snapshot.AccessAnalyzer = { Analyzers: [{ ...ANALYZER, Type: "ACCOUNT" }], Findings: [finding("f-4", 1, { AWS: "444455556666" })] };
    const { findings } = await auditSnapshot(snapshot, { ...aa, trust: { trustedAccounts: ["444455556666"] } });
    const only = findings.filter((f) => f.ruleId === "access-analyzer");
    expect(only).toHaveLength(1);
    expect(only[0]!.message).toContain("kmslint's rules did not report it: account 444455556666 is a trusted account in kmslint's configuration (trustedAccounts), but outside the analyzer's zone of trust.");
  });

  it("only kmslint reports it while an ORGANIZATION analyzer covers the region: says why that can be", async () => {
    const snapshot = withKeys(SPOKE);
    snapshot.AccessAnalyzer = { Analyzers: [ANALYZER], Findings: [] };
    const { findings } = await auditSnapshot(snapshot, aa);
    const cross = findings.find((f) => f.ruleId === "cross-account-access")!;
    expect(cross.accessAnalyzer).toEqual({ agreement: "kmslint-only", analyzer: "org-external-access" });
    expect(cross.message).toContain(
      "IAM Access Analyzer (analyzer org-external-access) does not report this access: its zone of trust is the organization, so it does not report accounts of the organization (444455556666 may be one); or the finding may be archived",
    );
  });

  it("archived findings are compared only with --include-archived", async () => {
    const snapshot = withKeys(OPEN);
    snapshot.AccessAnalyzer = { Analyzers: [ANALYZER], Findings: [finding("f-5", 1, { AWS: "*" }, true, "ARCHIVED")] };
    const active = await auditSnapshot(snapshot, aa);
    expect(active.findings.find((f) => f.ruleId === "public-access")!.accessAnalyzer?.agreement).toBe("kmslint-only");
    const archived = await auditSnapshot(snapshot, { collect: { accessAnalyzer: true, includeArchived: true } });
    const open = archived.findings.find((f) => f.ruleId === "public-access")!;
    expect(open.accessAnalyzer).toEqual({ agreement: "both", analyzer: "org-external-access", findingId: "f-5", status: "ARCHIVED" });
    expect(open.message).toContain("finding f-5, archived)");
  });

  it("no analyzer is one info line; no permission is an audit-error naming it; throttling is retried", async () => {
    const none = await auditSnapshot(withKeys(OPEN), aa);
    expect(none.findings.filter((f) => f.ruleId === "audit-error").map((f) => [f.severity, f.message.slice(0, 100)])).toEqual([
      ["info", "No active IAM Access Analyzer external-access analyzer in us-east-1: kmslint's findings there are no"],
    ]);
    const denied = withKeys(OPEN);
    denied.AccessAnalyzer = { Analyzers: [ANALYZER], Findings: [] };
    denied.Faults = [{ Operation: "ListAnalyzers", Error: "AccessDeniedException" }];
    const refused = await auditSnapshot(denied, aa);
    const errors = refused.findings.filter((f) => f.ruleId === "audit-error");
    expect(errors.map((f) => [f.resource, f.severity])).toEqual([["arn:aws:access-analyzer:us-east-1:111122223333:analyzer/*", "warning"]]);
    expect(errors[0]!.message).toContain("ListAnalyzers was denied (AccessDeniedException), so Access Analyzer's findings in us-east-1 are not compared with kmslint's. Fix: allow access-analyzer:ListAnalyzers");
    expect(refused.findings.find((f) => f.ruleId === "public-access")!.accessAnalyzer).toBeUndefined();
    const throttled = withKeys(OPEN);
    throttled.AccessAnalyzer = { Analyzers: [ANALYZER], Findings: [finding("f-6", 1, { AWS: "*" }, true)] };
    throttled.Faults = [{ Operation: "ListFindingsV2", Error: "Throttling", Count: 2 }];
    const retried = await auditSnapshot(throttled, aa);
    expect(retried.findings.find((f) => f.ruleId === "public-access")!.accessAnalyzer?.agreement).toBe("both");
    expect(retried.calls.filter((c) => c.operation === "ListFindingsV2")).toHaveLength(3);
  });
});
