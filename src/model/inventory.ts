/**
 * The Inventory (DESIGN.md "Data flow"): the keys and buckets one source holds (a CloudFormation template,
 * a Terraform plan, later a live account), with their policies, the settings rules need, and the links
 * between them (which key encrypts which bucket). Every fact carries where it came from, so that a finding
 * about it can point at it; a value the source could not evaluate is kept as such, never guessed.
 */
import type { PolicyDocument } from "./document.js";
import type { Path, Range } from "./json.js";
import type { PolicyKind } from "./policy.js";
import type { TrustContext } from "../engine/rule.js";

/** What a source needs to evaluate values: the trust context (`AWS::AccountId` is --account) and template parameters. */
export interface SourceContext {
  trust: TrustContext;
  /** CloudFormation parameter values (`--parameter Name=Value`, config `parameters`); they win over a parameter's Default. */
  parameters?: Readonly<Record<string, string>>;
}

export type InventoryFormat = "cloudformation" | "terraform-plan" | "live";

/**
 * A value kmslint could not evaluate: a CloudFormation intrinsic it cannot resolve (a parameter without a
 * default, `Fn::ImportValue`, an attribute of a resource outside the template), or a Terraform value known
 * only after apply. Reported by `unresolved-value`.
 */
export interface UnresolvedValue {
  /** The expression as the user wrote it, short: `!Ref TrustedAccount`, `aws_kms_key.data.arn`. */
  expression: string;
  /** Why it could not be evaluated, as the end of a sentence: "the parameter has no Default". */
  reason: string;
  /** What is not checked because of it, as the end of a sentence: "the principal of statement "Share" is not checked". */
  consequence?: string;
  /** The resource it belongs to (logical id or address). */
  resource?: string;
  range: Range;
}

/** A setting of a resource: its value and where it is written. */
export type Fact<T> =
  | { known: true; value: T; range: Range }
  | { known: false; unresolved: UnresolvedValue; range: Range };

export function knownValue<T>(fact: Fact<T> | undefined): T | undefined {
  return fact && fact.known ? fact.value : undefined;
}

/** A resource as the source names it. */
export interface ResourceRef {
  /** CloudFormation logical id (`DataKey`), Terraform address (`module.lake.aws_kms_key.data`), or the ARN for live resources. */
  address: string;
  /** `AWS::KMS::Key`, `aws_kms_key`, … */
  type: string;
  /** Where findings about the resource as a whole point: its logical id or its address in the source. */
  anchor: Range;
  /** For live resources, a JSON pointer into the policy or setting (DESIGN.md). */
  pointer?: string;
}

export interface InventoryPolicy {
  kind: PolicyKind;
  /** The resource the policy is written in: the key, the bucket, or a separate policy resource (`AWS::S3::BucketPolicy`, `aws_kms_key_policy`). */
  resource: ResourceRef;
  /** Parsed with positions mapped into the source file; `undefined` when the policy itself could not be evaluated. */
  document: PolicyDocument | undefined;
  /** Why the policy could not be evaluated (also listed in Inventory.unresolved). */
  unresolved?: UnresolvedValue;
}

export type KeyManager = "CUSTOMER" | "AWS";

export interface InventoryKey {
  resource: ResourceRef;
  /** Known ARN (live, or a literal in the source); for IaC keys usually unknown until deployed. */
  arn?: string;
  keyManager: KeyManager;
  /** Defaults when absent (AWS-FACTS.md §2): SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, AWS_KMS, single-Region, enabled. */
  keySpec?: Fact<string>;
  keyUsage?: Fact<string>;
  origin?: Fact<string>;
  multiRegion?: Fact<boolean>;
  /** Set for a replica key (`AWS::KMS::ReplicaKey`, `aws_kms_replica_key`): the primary it replicates, as written. */
  replicaOf?: string;
  /** Set when the key lives in a custom key store (CloudHSM or external). */
  customKeyStore?: Fact<string>;
  enabled?: Fact<boolean>;
  rotationEnabled?: Fact<boolean>;
  rotationPeriodDays?: Fact<number>;
  /** Live only: Enabled, Disabled, PendingDeletion, … */
  state?: string;
  /** Live only: the key's region. */
  region?: string;
  /** Live only: when a key in PendingDeletion will be deleted (DescribeKey DeletionDate, ISO 8601). */
  deletionDate?: string;
  /** Live only, imported key material (Origin EXTERNAL): KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE. */
  expirationModel?: string;
  /** Live only: when the current imported key material expires (DescribeKey ValidTo, ISO 8601). */
  validTo?: Fact<string>;
  /** Live only: the key's imported key materials (ListKeyRotations with ALL_KEY_MATERIAL); `range` stands for the material's ValidTo. */
  keyMaterials?: { id?: string; state?: string; importState?: string; validTo?: string; range?: Range }[];
  /** Alias names (`alias/data`) that point at this key. */
  aliases: string[];
  /** The key's policy, also listed in Inventory.policies. */
  policy?: InventoryPolicy;
  /**
   * No policy is written for the key (no KeyPolicy, no `policy`, no `aws_kms_key_policy`): KMS gives it the
   * default key policy, which lets only the owner account (through its IAM policies) use and manage it.
   */
  defaultPolicy?: boolean;
}

/** How a bucket's default encryption names its KMS key (AWS-FACTS.md §4.1). */
export type KeyReferenceForm =
  /** No KMSMasterKeyID: S3 uses the AWS managed key aws/s3. */
  | "absent"
  | "key-arn"
  | "alias-arn"
  /** A bare key id or alias name: resolved in the *requester's* account. */
  | "key-id"
  | "alias-name"
  | "unknown";

export interface BucketEncryption {
  /** `AES256`, `aws:kms`, `aws:kms:dsse`, `aws:fsx`. */
  algorithm: Fact<string>;
  /** KMSMasterKeyID / kms_master_key_id as written (after resolving intrinsics). */
  keyReference?: Fact<string>;
  keyReferenceForm: KeyReferenceForm;
  /** Whether the reference is the AWS managed key aws/s3 (absent, `alias/aws/s3`, or its alias ARN). */
  awsManagedKey: boolean;
  /** The customer managed key of this inventory the reference resolves to, when it does. */
  key?: InventoryKey;
  /**
   * Live only: why the reference leads to no usable key although the account's keys and aliases were read in
   * full: the key does not exist, the alias does not exist, or the key is in another region than the bucket.
   */
  missingKey?: { kind: "no-key" | "no-alias" | "other-region"; reference: string; bucketRegion: string; keyRegion?: string };
  bucketKeyEnabled?: Fact<boolean>;
  /** The resource the encryption is written in (the bucket, or `aws_s3_bucket_server_side_encryption_configuration`). */
  resource: ResourceRef;
  /** Where findings about the encryption point: the rule, or the algorithm. */
  anchor: Range;
}

export interface InventoryBucket {
  resource: ResourceRef;
  /** The bucket name when known (BucketName, `bucket`, live). */
  name?: string;
  arn?: string;
  /** Bucket policies attached to it (normally one). */
  policies: InventoryPolicy[];
  encryption?: BucketEncryption;
  /** Live only: whether GetBucketEncryption answered (false: it failed, and audit-error says so). */
  encryptionRead?: boolean;
  /** Live only: the bucket's region. */
  region?: string;
}

export interface InventoryAlias {
  resource: ResourceRef;
  name: string;
  /** The key it points at, when it is in the inventory. */
  key?: InventoryKey;
  target?: string;
}

/** Live audits: a call that failed for one resource after the SDK's retries (reported by audit-error). */
export interface ReadFailure {
  /** The API operation (`GetKeyPolicy`). */
  operation: string;
  region: string;
  /** The key's or bucket's ARN; for listings, the ARN pattern of what was listed (`arn:aws:kms:eu-west-1:111122223333:key/*`). */
  resource: string;
  /** AWS's error code, or `TimeoutError`. */
  code: string;
  message: string;
  kind: "denied" | "credentials" | "throttled" | "timeout" | "state" | "unsupported" | "not-found" | "other";
  /** The IAM action that allows the call (for denials). */
  permission?: string;
  attempts: number;
  /** For a listing that failed after its first pages: how many entries were listed (and read) before. */
  listedBefore?: number;
  /** Where the finding points (line 1, column 1 of the resource, with the operation as its API). */
  range?: Range;
}

/** Live audits: something the report must say about the audit itself (organization unknown, interrupted, regions left out). */
export interface AuditNote {
  message: string;
  resource: string;
  range?: Range;
}

/** Live audits: where a finding points, as the API response and a JSON pointer into it (RFC 6901). */
export interface LiveLocation {
  /** The operation whose answer holds the value: `GetKeyPolicy`, `DescribeKey`, `GetBucketEncryption`, … */
  api: string;
  pointer: string;
}

/** Live audits: an IAM Access Analyzer external-access analyzer of one region. */
export interface AnalyzerCoverage {
  region: string;
  arn: string;
  name: string;
  /** ACCOUNT (zone of trust: the account) or ORGANIZATION (the organization). */
  type: string;
  status: string;
  lastResourceAnalyzedAt?: string;
}

/** Live audits: an Access Analyzer external-access finding on a key or bucket (GetFindingV2's externalAccessDetails). */
export interface AnalyzerFinding {
  analyzer: AnalyzerCoverage;
  id: string;
  resource: string;
  resourceType: string;
  status: string;
  principal?: Record<string, string>;
  action?: string[];
  condition?: Record<string, string>;
  isPublic?: boolean;
  error?: string;
  range?: Range;
}

/** A problem with the source itself (not a policy): reported as invalid-json or invalid-policy at its range. */
export interface SourceProblem {
  ruleId: "invalid-json" | "invalid-policy";
  severity?: "error" | "warning";
  message: string;
  range: Range;
  resource?: string;
}

export interface Inventory {
  filePath: string;
  format: InventoryFormat;
  /** The account that owns the resources, when the source says (Terraform `data.aws_caller_identity`, live STS). */
  owner?: { account: string; reason: string };
  keys: InventoryKey[];
  buckets: InventoryBucket[];
  aliases: InventoryAlias[];
  /** Every policy to lint: key policies, bucket policies, and policies of resources outside the inventory. */
  policies: InventoryPolicy[];
  unresolved: UnresolvedValue[];
  problems: SourceProblem[];
  /** Resources of the source kmslint read (for the summary). */
  resourceCount: number;
  /** Live audits: Access Analyzer's external-access analyzers and their findings on keys and buckets (absent: not read). */
  accessAnalyzer?: { analyzers: AnalyzerCoverage[]; findings: AnalyzerFinding[] };
  /** Live audits: the calls that failed, and notes about the audit itself. */
  readFailures?: ReadFailure[];
  auditNotes?: AuditNote[];
  /** Live audits: when the account was read (ISO 8601); rules measure expiry from it, not from the clock. */
  readAt?: string;
  /** Live audits: the API response and JSON pointer a range stands for (ranges of live values point nowhere in a file). */
  locationOf?(range: Range): LiveLocation | undefined;
}

/** Reads a KMSMasterKeyID the way S3 does (AWS-FACTS.md §4.1). */
export function keyReferenceForm(reference: string | undefined): { form: KeyReferenceForm; awsManagedKey: boolean } {
  if (reference === undefined || reference === "") return { form: "absent", awsManagedKey: true };
  if (/^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(reference)) return { form: "alias-arn", awsManagedKey: /:alias\/aws\/s3$/.test(reference) };
  if (/^arn:[^:]+:kms:[^:]*:[^:]*:key\//.test(reference)) return { form: "key-arn", awsManagedKey: false };
  if (reference.startsWith("alias/")) return { form: "alias-name", awsManagedKey: reference === "alias/aws/s3" };
  if (/^(mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/i.test(reference)) return { form: "key-id", awsManagedKey: false };
  return { form: "unknown", awsManagedKey: false };
}

/** Walks a path into a plain value (for sources that keep the parsed template). */
export function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
