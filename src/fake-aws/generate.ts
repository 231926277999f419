/**
 * Generated account snapshots for the benchmark and for tests that need volume: per region, the aws/s3 key,
 * some other AWS managed keys, mostly customer managed symmetric keys (rotation on for most, a key policy of
 * three statements including a grant to a spoke account), a few asymmetric, HMAC and imported-material keys;
 * buckets spread over the regions with bucket policies (some sharing with the spoke account) and default
 * encryption by customer keys, by aws/s3 or by SSE-S3. The same spec and seed give the same snapshot.
 */
import { seededRandom } from "./random.js";
import type { AccountSnapshot, SnapshotAlias, SnapshotBucket, SnapshotKey } from "./snapshot.js";

export interface SnapshotSpec {
  /** The audited account; default 111122223333. */
  account?: string;
  regions: string[];
  /** Keys in each region, the AWS managed ones included (at least the aws/s3 key). */
  keysPerRegion: number;
  buckets: number;
  seed?: number;
}

/** The account the generated policies share keys and buckets with. */
export const SPOKE_ACCOUNT = "444455556666";
const MANAGEMENT_ACCOUNT = "999988887777";
const MANAGED_SERVICES = ["ebs", "rds", "lambda", "secretsmanager", "sns", "sqs", "dynamodb", "ssm", "elasticfilesystem", "backup", "kinesis", "redshift", "glue", "acm", "es"];
const APPS = ["billing", "orders", "payments", "analytics", "ledger", "search", "media", "identity", "audit", "reports"];
const PURPOSES = ["data", "logs", "backup", "secrets", "queue", "archive"];
const ADMIN_ROLES = ["KeyAdmin", "PlatformSecurity", "CloudOps"];

export function generateSnapshot(spec: SnapshotSpec): AccountSnapshot {
  if (spec.regions.length === 0) throw new Error("generateSnapshot: at least one region is needed");
  const account = spec.account ?? "111122223333";
  const random = seededRandom(spec.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const uuid = (): string => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  // Between 2019 and the end of 2025.
  const date = (): string => new Date(Date.UTC(2019, 0, 1) + Math.floor(random() * 7 * 365) * 86_400_000 + Math.floor(random() * 86_400) * 1000).toISOString();

  const kms: AccountSnapshot["Kms"] = {};
  /** Per region: ARNs of the enabled customer symmetric keys (bucket encryption), and the aws/s3 key's ARN. */
  const customerKeys = new Map<string, string[]>();
  const awsS3Keys = new Map<string, string>();

  for (const region of spec.regions) {
    const keys: SnapshotKey[] = [];
    const aliases: SnapshotAlias[] = [];
    const arnOf = (id: string) => `arn:aws:kms:${region}:${account}:key/${id}`;
    const usable: string[] = [];
    const managedUsed = new Set<string>();

    const managedKey = (service: string) => {
      const id = uuid();
      const created = date();
      keys.push({ KeyMetadata: { KeyId: id, KeyManager: "AWS", CreationDate: created, Description: `Default key that protects my ${service} resources when no other key is defined` } });
      aliases.push({ AliasName: `alias/aws/${service}`, TargetKeyId: id, CreationDate: created, LastUpdatedDate: created });
      managedUsed.add(service);
      return id;
    };
    awsS3Keys.set(region, arnOf(managedKey("s3")));

    for (let i = 1; i < spec.keysPerRegion; i++) {
      const roll = random();
      // At most 8 services get their key; the others keep a predefined alias without one.
      const unusedService = MANAGED_SERVICES.slice(0, 8).find((service) => !managedUsed.has(service));
      if (roll < 0.1 && unusedService !== undefined) {
        managedKey(unusedService);
        continue;
      }
      const id = uuid();
      const created = date();
      const app = pick(APPS);
      const purpose = pick(PURPOSES);
      const metadata: SnapshotKey["KeyMetadata"] = { KeyId: id, CreationDate: created, Description: `${app} ${purpose} key` };
      const key: SnapshotKey = { KeyMetadata: metadata, Policy: customerKeyPolicy(account, id, pick(ADMIN_ROLES), region) };
      if (roll < 0.12) {
        metadata["KeySpec"] = "RSA_2048";
        metadata["KeyUsage"] = "ENCRYPT_DECRYPT";
      } else if (roll < 0.13) {
        metadata["KeySpec"] = "ECC_NIST_P256";
        metadata["KeyUsage"] = "SIGN_VERIFY";
      } else if (roll < 0.15) {
        metadata["KeySpec"] = "HMAC_256";
        metadata["KeyUsage"] = "GENERATE_VERIFY_MAC";
      } else if (roll < 0.17) {
        metadata["Origin"] = "EXTERNAL";
        metadata["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE";
      } else {
        const state = random();
        if (state < 0.02) {
          metadata["KeyState"] = "Disabled";
        } else if (state < 0.04) {
          metadata["KeyState"] = "PendingDeletion";
          metadata["DeletionDate"] = "2026-12-31T00:00:00.000Z";
          metadata["PendingDeletionWindowInDays"] = 30;
        } else {
          usable.push(arnOf(id));
        }
        if (random() < 0.85) {
          key.Rotation = { KeyRotationEnabled: true, RotationPeriodInDays: 365 };
          const rotated = Math.floor(random() * 3);
          if (rotated > 0) {
            key.Rotations = Array.from({ length: rotated }, (_, r) => ({
              KeyMaterialId: uuid().replace(/-/g, "") + uuid().replace(/-/g, ""),
              RotationDate: new Date(Date.parse(created) + (r + 1) * 365 * 86_400_000).toISOString(),
              RotationType: "AUTOMATIC",
            }));
          }
        } else {
          key.Rotation = { KeyRotationEnabled: false };
        }
      }
      keys.push(key);
      if (random() < 0.8) aliases.push({ AliasName: `alias/${app}-${purpose}-${i}`, TargetKeyId: id, CreationDate: created, LastUpdatedDate: created });
    }
    // The predefined aliases of services whose key does not exist yet.
    for (const service of MANAGED_SERVICES) if (!managedUsed.has(service)) aliases.push({ AliasName: `alias/aws/${service}` });
    kms[region] = { Keys: keys, Aliases: aliases };
    customerKeys.set(region, usable);
  }

  const buckets: SnapshotBucket[] = [];
  for (let b = 0; b < spec.buckets; b++) {
    const region = spec.regions[b % spec.regions.length] as string;
    const name = `${pick(APPS)}-${pick(PURPOSES)}-${account.slice(-4)}-${region}-${b}`;
    const arn = `arn:aws:s3:::${name}`;
    const bucket: SnapshotBucket = { Name: name, Region: region, CreationDate: date() };
    const statements: Record<string, unknown>[] = [];
    if (random() < 0.7) {
      statements.push({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    }
    if (random() < 0.25) {
      statements.push({
        Sid: "ShareWithSpoke",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${SPOKE_ACCOUNT}:root` },
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [arn, `${arn}/*`],
      });
    }
    if (statements.length > 0) bucket.Policy = { Version: "2012-10-17", Statement: statements };
    const encryption = random();
    const keysHere = customerKeys.get(region) ?? [];
    if (encryption < 0.55 && keysHere.length > 0) {
      bucket.Encryption = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: pick(keysHere) }, BucketKeyEnabled: random() < 0.8 }] };
    } else if (encryption < 0.75) {
      // aws/s3: named by its ARN, or left implicit (SSE-KMS without a key id).
      const byDefault: Record<string, unknown> = { SSEAlgorithm: "aws:kms" };
      if (random() < 0.5) byDefault["KMSMasterKeyID"] = awsS3Keys.get(region);
      bucket.Encryption = { Rules: [{ ApplyServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: false }] };
    } else if (encryption < 0.87) {
      bucket.Encryption = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }] };
    }
    // Otherwise no Encryption: the SSE-S3 default.
    buckets.push(bucket);
  }

  return {
    Account: account,
    Organization: { Id: "o-k3x9q2m7p1", MasterAccountId: MANAGEMENT_ACCOUNT },
    Regions: [...spec.regions],
    Kms: kms,
    Buckets: buckets,
  };
}

/** The key policy of a generated customer key: the account, its key administrators, and use by the spoke account. */
function customerKeyPolicy(account: string, keyId: string, adminRole: string, region: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Id: `key-policy-${keyId.slice(0, 8)}`,
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "Allow access for Key Administrators",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:role/${adminRole}` },
        Action: [
          "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*",
          "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
        ],
        Resource: "*",
      },
      {
        Sid: "Allow use of the key by the spoke account",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${SPOKE_ACCOUNT}:root` },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ],
  };
}
