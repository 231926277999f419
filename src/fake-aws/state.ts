/**
 * The fake endpoint's view of an account snapshot: keys indexed by id, aliases by name and by target key,
 * buckets by name, Access Analyzer's analyzers by region and ARN, so that no request scans a list. Each key's KeyMetadata is completed with the values AWS
 * sets for a key created with defaults, and its JSON is written once. The snapshot itself is never changed:
 * a key created by a call (DescribeKey on a predefined `alias/aws/*` alias) goes into this state only.
 */
import { randomUUID } from "node:crypto";
import type { AccountSnapshot, SnapshotAlias, SnapshotBucket, SnapshotKey, SnapshotPublicAccessCheck } from "./snapshot.js";
import { epochSeconds, isoDate } from "./wire.js";

/** When a snapshot gives no CreationDate. */
export const DEFAULT_CREATION_DATE = "2024-01-15T09:30:00.000Z";

export interface KeyRecord {
  id: string;
  arn: string;
  region: string;
  /** KeyMetadata as DescribeKey returns it: defaults filled in, timestamps as epoch seconds. */
  metadata: Record<string, unknown>;
  keyManager: string;
  keyState: string;
  /** Symmetric encryption key with key material from KMS, outside a custom key store: the only keys rotation applies to. */
  rotatable: boolean;
  creationSeconds: number;
  source: SnapshotKey;
  /** Cached answers, written on first use. */
  describeJson?: string;
  policyText?: string;
}

export interface AliasRecord {
  name: string;
  arn: string;
  targetKeyId?: string;
  creationDate?: number;
  lastUpdatedDate?: number;
}

export interface RegionState {
  region: string;
  keys: KeyRecord[];
  keyById: Map<string, KeyRecord>;
  aliases: AliasRecord[];
  aliasByName: Map<string, AliasRecord>;
  aliasesByKey: Map<string, AliasRecord[]>;
}

export interface BucketRecord {
  name: string;
  region: string;
  arn: string;
  creationDate: string;
  /** The policy text; undefined: NoSuchBucketPolicy. */
  policyText: string | undefined;
  /** The encryption rules; null: ServerSideEncryptionConfigurationNotFoundError. */
  encryption: { Rules: Record<string, unknown>[] } | null;
  isPublic: boolean;
  /** ListBuckets leaves out BucketRegion and BucketArn for it (as older answers and other partitions do). */
  listedWithoutRegion: boolean;
}

/** An external-access finding as ListFindingsV2 and GetFindingV2 return it (timestamps as ISO 8601 text). */
export interface FindingRecord {
  id: string;
  resource: string;
  resourceType: string;
  resourceOwnerAccount: string;
  status: string;
  createdAt: string;
  analyzedAt: string;
  updatedAt: string;
  error?: string;
  principal?: Record<string, string>;
  action?: string[];
  condition: Record<string, string>;
  isPublic: boolean;
  sources?: Record<string, unknown>[];
}

export interface AnalyzerRecord {
  name: string;
  arn: string;
  region: string;
  type: string;
  status: string;
  createdAt: string;
  lastResourceAnalyzedAt?: string;
  /** In the snapshot's order. */
  findings: FindingRecord[];
  findingById: Map<string, FindingRecord>;
}

export interface AccessAnalyzerState {
  /** Region → its analyzers, in the snapshot's order. */
  analyzers: Map<string, AnalyzerRecord[]>;
  byArn: Map<string, AnalyzerRecord>;
  publicAccessChecks: SnapshotPublicAccessCheck[];
}

export interface AccountState {
  account: string;
  partition: string;
  callerArn: string;
  organization: Record<string, unknown> | undefined;
  regions: string[];
  kms: Map<string, RegionState>;
  buckets: Map<string, BucketRecord>;
  /** Buckets sorted by name, as ListBuckets lists them. */
  bucketList: BucketRecord[];
  accessAnalyzer: AccessAnalyzerState;
}

export function buildState(snapshot: AccountSnapshot): AccountState {
  const account = snapshot.Account;
  const partition = snapshot.Partition ?? "aws";
  const kms = new Map<string, RegionState>();
  for (const [region, content] of Object.entries(snapshot.Kms)) {
    const state = emptyRegion(region);
    for (const key of content.Keys) addKey(state, keyRecord(key, region, account, partition));
    for (const alias of content.Aliases ?? []) addAlias(state, aliasRecord(alias, state, account, partition));
    kms.set(region, state);
  }
  const buckets = new Map<string, BucketRecord>();
  for (const bucket of snapshot.Buckets) buckets.set(bucket.Name, bucketRecord(bucket, partition));
  const bucketList = [...buckets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const regions = snapshot.Regions ?? [...new Set([...kms.keys(), ...bucketList.map((b) => b.region)])].sort();
  return {
    account,
    partition,
    callerArn: snapshot.CallerArn ?? `arn:${partition}:sts::${account}:assumed-role/kmslint-audit/session`,
    organization: snapshot.Organization,
    regions,
    kms,
    buckets,
    bucketList,
    accessAnalyzer: accessAnalyzerState(snapshot, account, partition),
  };
}

function accessAnalyzerState(snapshot: AccountSnapshot, account: string, partition: string): AccessAnalyzerState {
  const given = snapshot.AccessAnalyzer ?? {};
  const analyzers = new Map<string, AnalyzerRecord[]>();
  const byArn = new Map<string, AnalyzerRecord>();
  for (const analyzer of given.Analyzers ?? []) {
    const arn = `arn:${partition}:access-analyzer:${analyzer.Region}:${account}:analyzer/${analyzer.Name}`;
    const record: AnalyzerRecord = {
      name: analyzer.Name,
      arn,
      region: analyzer.Region,
      type: analyzer.Type,
      status: analyzer.Status ?? "ACTIVE",
      createdAt: isoDate(analyzer.CreatedAt) ?? DEFAULT_CREATION_DATE,
      findings: [],
      findingById: new Map(),
    };
    const lastAnalyzed = isoDate(analyzer.LastResourceAnalyzedAt);
    if (lastAnalyzed !== undefined) record.lastResourceAnalyzedAt = lastAnalyzed;
    const list = analyzers.get(analyzer.Region);
    if (list) list.push(record);
    else analyzers.set(analyzer.Region, [record]);
    byArn.set(arn, record);
  }
  for (const finding of given.Findings ?? []) {
    const createdAt = isoDate(finding.CreatedAt) ?? DEFAULT_CREATION_DATE;
    const updatedAt = isoDate(finding.UpdatedAt) ?? createdAt;
    const record: FindingRecord = {
      id: finding.Id,
      resource: finding.Resource,
      resourceType: finding.ResourceType,
      resourceOwnerAccount: finding.ResourceOwnerAccount ?? account,
      status: finding.Status ?? "ACTIVE",
      createdAt,
      analyzedAt: isoDate(finding.AnalyzedAt) ?? updatedAt,
      updatedAt,
      condition: finding.Condition ?? {},
      isPublic: finding.IsPublic === true,
    };
    if (finding.Error !== undefined) record.error = finding.Error;
    if (finding.Principal !== undefined) record.principal = finding.Principal;
    if (finding.Action !== undefined) record.action = finding.Action;
    if (finding.Sources !== undefined) record.sources = finding.Sources;
    for (const [region, list] of analyzers) {
      if (finding.Region !== undefined && region !== finding.Region) continue;
      for (const analyzer of list) {
        if (analyzer.name !== finding.Analyzer) continue;
        analyzer.findings.push(record);
        analyzer.findingById.set(record.id, record);
      }
    }
  }
  return { analyzers, byArn, publicAccessChecks: given.PublicAccessChecks ?? [] };
}

function emptyRegion(region: string): RegionState {
  return { region, keys: [], keyById: new Map(), aliases: [], aliasByName: new Map(), aliasesByKey: new Map() };
}

/** The region's KMS state; a region the snapshot does not name has no keys and no aliases. */
export function regionState(state: AccountState, region: string): RegionState {
  let found = state.kms.get(region);
  if (!found) {
    found = emptyRegion(region);
    state.kms.set(region, found);
  }
  return found;
}

function addKey(region: RegionState, key: KeyRecord): void {
  region.keys.push(key);
  region.keyById.set(key.id, key);
}

function addAlias(region: RegionState, alias: AliasRecord): void {
  const previous = region.aliasByName.get(alias.name);
  if (previous) {
    // A later entry for the same name replaces the earlier one (keeps its place in the list).
    region.aliases[region.aliases.indexOf(previous)] = alias;
    if (previous.targetKeyId) {
      const list = region.aliasesByKey.get(previous.targetKeyId) ?? [];
      region.aliasesByKey.set(previous.targetKeyId, list.filter((a) => a !== previous));
    }
  } else {
    region.aliases.push(alias);
  }
  region.aliasByName.set(alias.name, alias);
  if (alias.targetKeyId) {
    const list = region.aliasesByKey.get(alias.targetKeyId);
    if (list) list.push(alias);
    else region.aliasesByKey.set(alias.targetKeyId, [alias]);
  }
}

const SIGNING_ALGORITHMS: Record<string, string[]> = {
  RSA: ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"],
  ECC_NIST_P256: ["ECDSA_SHA_256"],
  ECC_NIST_P384: ["ECDSA_SHA_384"],
  ECC_NIST_P521: ["ECDSA_SHA_512"],
  ECC_SECG_P256K1: ["ECDSA_SHA_256"],
  ECC_NIST_EDWARDS25519: ["ED25519_SHA_512", "ED25519_PH_SHA_512"],
  SM2: ["SM2DSA"],
  ML_DSA: ["ML_DSA_SHAKE_256"],
};
const CUSTOMER_MASTER_KEY_SPECS = new Set([
  "SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
  "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2",
]);

/** The KeyUsage AWS requires for a key spec when there is only one choice; ENCRYPT_DECRYPT otherwise. */
function defaultKeyUsage(keySpec: string): string {
  if (keySpec.startsWith("HMAC_")) return "GENERATE_VERIFY_MAC";
  if (keySpec.startsWith("ECC_") || keySpec.startsWith("ML_DSA_")) return "SIGN_VERIFY";
  return "ENCRYPT_DECRYPT";
}

/** The algorithm lists DescribeKey returns for a key spec and usage. */
function algorithms(keySpec: string, keyUsage: string): Record<string, string[]> {
  const family = keySpec.startsWith("RSA_") ? "RSA" : keySpec.startsWith("ML_DSA_") ? "ML_DSA" : keySpec;
  switch (keyUsage) {
    case "ENCRYPT_DECRYPT":
      return {
        EncryptionAlgorithms: keySpec === "SYMMETRIC_DEFAULT" ? ["SYMMETRIC_DEFAULT"] : keySpec === "SM2" ? ["SM2PKE"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
      };
    case "SIGN_VERIFY":
      return { SigningAlgorithms: SIGNING_ALGORITHMS[family] ?? [] };
    case "GENERATE_VERIFY_MAC":
      return { MacAlgorithms: [`HMAC_SHA_${keySpec.slice("HMAC_".length)}`] };
    case "KEY_AGREEMENT":
      return { KeyAgreementAlgorithms: ["ECDH"] };
    default:
      return {};
  }
}

const TIMESTAMP_FIELDS = ["CreationDate", "DeletionDate", "ValidTo"];

export function keyRecord(key: SnapshotKey, region: string, account: string, partition: string): KeyRecord {
  const given = key.KeyMetadata;
  const { KeyId: _keyId, ...rest } = given;
  const keySpec = typeof given["KeySpec"] === "string" ? given["KeySpec"] : typeof given["CustomerMasterKeySpec"] === "string" ? given["CustomerMasterKeySpec"] : "SYMMETRIC_DEFAULT";
  const keyUsage = typeof given["KeyUsage"] === "string" ? given["KeyUsage"] : defaultKeyUsage(keySpec);
  const keyState = typeof given["KeyState"] === "string" ? given["KeyState"] : "Enabled";
  const origin = typeof given["Origin"] === "string" ? given["Origin"] : "AWS_KMS";
  const keyManager = typeof given["KeyManager"] === "string" ? given["KeyManager"] : "CUSTOMER";
  const arn = typeof given["Arn"] === "string" ? given["Arn"] : `arn:${partition}:kms:${region}:${account}:key/${given.KeyId}`;
  // AWS's order of the members, then whatever else the snapshot gives (Description, MultiRegionConfiguration, …).
  const metadata: Record<string, unknown> = {
    AWSAccountId: account,
    KeyId: given.KeyId,
    Arn: arn,
    CreationDate: DEFAULT_CREATION_DATE,
    Enabled: keyState === "Enabled",
    Description: "",
    KeyUsage: keyUsage,
    KeyState: keyState,
    Origin: origin,
    KeyManager: keyManager,
    ...(CUSTOMER_MASTER_KEY_SPECS.has(keySpec) ? { CustomerMasterKeySpec: keySpec } : {}),
    KeySpec: keySpec,
    ...algorithms(keySpec, keyUsage),
    MultiRegion: false,
    ...rest,
  };
  for (const field of TIMESTAMP_FIELDS) {
    if (metadata[field] !== undefined) metadata[field] = epochSeconds(metadata[field]);
  }
  return {
    id: given.KeyId,
    arn,
    region,
    metadata,
    keyManager,
    keyState,
    rotatable: keySpec === "SYMMETRIC_DEFAULT" && origin === "AWS_KMS" && given["CustomKeyStoreId"] === undefined,
    creationSeconds: metadata["CreationDate"] as number,
    source: key,
  };
}

function aliasRecord(alias: SnapshotAlias, region: RegionState, account: string, partition: string): AliasRecord {
  const target = alias.TargetKeyId ? region.keyById.get(alias.TargetKeyId) : undefined;
  const record: AliasRecord = { name: alias.AliasName, arn: `arn:${partition}:kms:${region.region}:${account}:${alias.AliasName}` };
  if (alias.TargetKeyId) record.targetKeyId = alias.TargetKeyId;
  // An alias with a key has dates; AWS gives it the key's creation time when created with it.
  const created = epochSeconds(alias.CreationDate) ?? target?.creationSeconds;
  if (created !== undefined) record.creationDate = created;
  const updated = epochSeconds(alias.LastUpdatedDate) ?? created;
  if (alias.TargetKeyId && updated !== undefined) record.lastUpdatedDate = updated;
  return record;
}

function bucketRecord(bucket: SnapshotBucket, partition: string): BucketRecord {
  const policy = bucket.Policy;
  return {
    name: bucket.Name,
    region: bucket.Region,
    arn: `arn:${partition}:s3:::${bucket.Name}`,
    creationDate: isoDate(bucket.CreationDate) ?? DEFAULT_CREATION_DATE,
    policyText: policy === undefined || policy === null ? undefined : policyText(policy),
    encryption:
      bucket.Encryption === undefined ? { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }] } : bucket.Encryption,
    isPublic: bucket.PolicyStatus?.IsPublic === true,
    listedWithoutRegion: bucket.ListedWithoutRegion === true,
  };
}

/** A policy as the service returns it: stored text as is, an object as JSON with 2-space indentation. */
export function policyText(policy: unknown): string {
  return typeof policy === "string" ? policy : JSON.stringify(policy, null, 2);
}

/** The key policy GetKeyPolicy returns: the snapshot's, else the default policy of a key of that kind. */
export function keyPolicyText(state: AccountState, region: RegionState, key: KeyRecord): string {
  if (key.policyText !== undefined) return key.policyText;
  let text: string;
  if (key.source.Policy !== undefined && key.source.Policy !== null) text = policyText(key.source.Policy);
  else if (key.keyManager === "AWS") text = policyText(awsManagedKeyPolicy(state, region, key));
  else text = policyText(defaultKeyPolicy(state.partition, state.account));
  key.policyText = text;
  return text;
}

/** The key policy KMS gives a key created through the API without one. */
export function defaultKeyPolicy(partition: string, account: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
    ],
  };
}

/** The service of an AWS managed key: from its `alias/aws/<service>` alias; S3 when it has none. */
function managedKeyService(region: RegionState, key: KeyRecord): string {
  for (const alias of region.aliasesByKey.get(key.id) ?? []) {
    if (alias.name.startsWith("alias/aws/")) return alias.name.slice("alias/aws/".length);
  }
  return "s3";
}

/** The policy AWS writes on an AWS managed key: use through the service by the account's principals, read access for the account. */
export function awsManagedKeyPolicy(state: AccountState, region: RegionState, key: KeyRecord): Record<string, unknown> {
  const service = managedKeyService(region, key);
  return {
    Version: "2012-10-17",
    Id: `auto-${service}-2`,
    Statement: [
      {
        Sid: `Allow access through ${SERVICE_TITLES[service] ?? service} for all principals in the account that are authorized to use ${SERVICE_TITLES[service] ?? service}`,
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": state.account, "kms:ViaService": `${service}.${region.region}.amazonaws.com` } },
      },
      {
        Sid: "Allow direct access to key metadata to the account",
        Effect: "Allow",
        Principal: { AWS: `arn:${state.partition}:iam::${state.account}:root` },
        Action: ["kms:Describe*", "kms:Get*", "kms:List*"],
        Resource: "*",
      },
    ],
  };
}

const SERVICE_TITLES: Record<string, string> = {
  s3: "S3",
  ebs: "EBS",
  rds: "RDS",
  lambda: "Lambda",
  sns: "SNS",
  sqs: "SQS",
  dynamodb: "DynamoDB",
  secretsmanager: "Secrets Manager",
  ssm: "Systems Manager",
  elasticfilesystem: "EFS",
  backup: "Backup",
  kinesis: "Kinesis",
  redshift: "Redshift",
  glue: "Glue",
  acm: "ACM",
  es: "OpenSearch",
};

/**
 * The services with predefined `alias/aws/<service>` aliases: DescribeKey on one of them creates the AWS
 * managed key when it does not exist yet, whether or not ListAliases showed the alias.
 */
const MANAGED_KEY_SERVICES = new Set([
  ...Object.keys(SERVICE_TITLES),
  ...["codecommit", "codeartifact", "fsx", "kinesisvideo", "xray", "timestream", "connect", "workspaces", "cloud9", "lightsail", "dms", "logs"],
]);

/**
 * What DescribeKey does with a predefined alias whose key does not exist: AWS creates the AWS managed key
 * there and then (the reason an audit must not call DescribeKey on `alias/aws/*` names). Predefined: listed
 * by the snapshot without a target, or of a service known to have one. Returns the new key, or undefined
 * when the name is not a predefined alias.
 */
export function createManagedKey(state: AccountState, region: RegionState, aliasName: string): KeyRecord | undefined {
  const service = aliasName.slice("alias/aws/".length);
  if (!aliasName.startsWith("alias/aws/")) return undefined;
  if (!MANAGED_KEY_SERVICES.has(service) && !region.aliasByName.has(aliasName)) return undefined;
  const now = new Date().toISOString();
  const keyId = randomUUID();
  const description = `Default key that protects my ${SERVICE_TITLES[service] ?? service} resources when no other key is defined`;
  const key = keyRecord(
    { KeyMetadata: { KeyId: keyId, KeyManager: "AWS", CreationDate: now, Description: description } },
    region.region,
    state.account,
    state.partition,
  );
  addKey(region, key);
  const alias: AliasRecord = { name: aliasName, arn: `arn:${state.partition}:kms:${region.region}:${state.account}:${aliasName}`, targetKeyId: keyId };
  alias.creationDate = key.creationSeconds;
  alias.lastUpdatedDate = key.creationSeconds;
  addAlias(region, alias);
  return key;
}
