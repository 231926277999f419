/**
 * An account snapshot: what the fake AWS endpoint serves (`kmslint audit --demo`, the tests, the bench).
 * Field names are AWS's own (DescribeKey's KeyMetadata, ListAliases' AliasListEntry, GetBucketEncryption's
 * rules), so that a snapshot reads like the API responses it stands for; anything left out gets the value
 * AWS would return for a key or bucket created with defaults. Dates are ISO 8601 text, epoch seconds, or a
 * time relative to when the snapshot is served (`now+12d`, `now-3h`, `now+30m`).
 */
import type { SnapshotAthena } from "./athena.js";

/** A request that fails on purpose: by operation, and optionally by key id / alias / bucket name and region. */
export interface SnapshotFault {
  /** The API operation: `GetKeyPolicy`, `GetBucketPolicy`, `ListKeys`, `ListFindingsV2`, … */
  Operation: string;
  /**
   * Key id, alias name or bucket name (or `*` / absent for every call of the operation). A key id also matches
   * a request naming the key by its ARN or through one of its aliases. For Access Analyzer: the analyzer's
   * name or ARN (ListFindingsV2, GetFindingV2) or the finding id (GetFindingV2).
   */
  Resource?: string;
  Region?: string;
  /**
   * `AccessDenied` (the service's own access-denied error: KMS AccessDeniedException, S3 AccessDenied,
   * Organizations AccessDeniedException, Access Analyzer 403 AccessDeniedException), `Throttling` (KMS
   * ThrottlingException, S3 SlowDown, Access Analyzer 429 ThrottlingException), `Timeout`
   * (no answer until the client gives up), or any other error code, sent as that service sends errors.
   */
  Error: string;
  /** How many matching calls fail; the rest succeed. Absent: all of them. */
  Count?: number;
  /** Message of the error; a realistic one is made up when absent. */
  Message?: string;
  /** HTTP status of the error; absent: the one the service uses for that code (400 for most, S3's own per code). */
  Status?: number;
}

export interface SnapshotKey {
  /** DescribeKey's KeyMetadata. KeyId is required; Arn, AWSAccountId, CreationDate, Enabled, KeyManager (CUSTOMER), KeySpec, KeyUsage, Origin, KeyState (Enabled), EncryptionAlgorithms, MultiRegion default as AWS sets them. */
  KeyMetadata: { KeyId: string } & Record<string, unknown>;
  /** The key policy (object or the exact text GetKeyPolicy returns). Absent: the default key policy for the account. */
  Policy?: unknown;
  /** GetKeyRotationStatus's answer; absent: rotation off (KeyRotationEnabled false). */
  Rotation?: { KeyRotationEnabled: boolean; RotationPeriodInDays?: number; NextRotationDate?: string; OnDemandRotationStartDate?: string };
  /** ListKeyRotations' Rotations (RotationsListEntry); absent: none. */
  Rotations?: Record<string, unknown>[];
}

export interface SnapshotAlias {
  AliasName: string;
  /** Absent for the predefined `alias/aws/*` aliases whose AWS managed key does not exist yet. */
  TargetKeyId?: string;
  CreationDate?: string;
  LastUpdatedDate?: string;
}

export interface SnapshotBucket {
  Name: string;
  /** The bucket's region (ListBuckets' BucketRegion, GetBucketLocation). */
  Region: string;
  /** ListBuckets answers without BucketRegion and BucketArn for it, as older answers do: the caller needs GetBucketLocation. */
  ListedWithoutRegion?: boolean;
  CreationDate?: string;
  /** The bucket policy (object or text); absent or null: NoSuchBucketPolicy. */
  Policy?: unknown;
  /**
   * GetBucketEncryption's ServerSideEncryptionConfiguration, with AWS's names: `{"Rules": [{"ApplyServerSideEncryptionByDefault":
   * {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "…"}, "BucketKeyEnabled": true}]}`. Absent: SSE-S3 (AES256), the default of every
   * bucket since January 2023; null: ServerSideEncryptionConfigurationNotFoundError.
   */
  Encryption?: { Rules: Record<string, unknown>[] } | null;
  /** GetBucketPolicyStatus's PolicyStatus; absent: not public (IsPublic false) when the bucket has a policy. */
  PolicyStatus?: { IsPublic: boolean };
}

/** An IAM Access Analyzer analyzer (ListAnalyzers' AnalyzerSummary). */
export interface SnapshotAnalyzer {
  /** The region the analyzer is in: only ListAnalyzers signed for that region lists it. */
  Region: string;
  /** Unique within its region; the ARN is `arn:<partition>:access-analyzer:<region>:<account>:analyzer/<name>`. */
  Name: string;
  Type: "ACCOUNT" | "ORGANIZATION" | "ACCOUNT_UNUSED_ACCESS" | "ORGANIZATION_UNUSED_ACCESS";
  /** Absent: ACTIVE. */
  Status?: "ACTIVE" | "CREATING" | "DISABLED" | "FAILED";
  /** Absent: 2024-01-15T09:30:00Z. */
  CreatedAt?: string;
  LastResourceAnalyzedAt?: string;
}

/**
 * An external-access finding of an analyzer: the summary fields of ListFindingsV2 and the
 * `externalAccessDetails` of GetFindingV2, with AWS's (camelCase) content: `Principal` `{"AWS": "999988887777"}`,
 * `Condition` `{"aws:PrincipalOrgID": "o-…"}`, `Action` `["kms:Decrypt"]`.
 */
export interface SnapshotFinding {
  /** The analyzer's Name; it must be an external-access analyzer (ACCOUNT or ORGANIZATION). */
  Analyzer: string;
  /** When analyzers of that name exist in several regions: the one the finding belongs to. Absent: all of them. */
  Region?: string;
  /** Unique among the findings of an analyzer. */
  Id: string;
  /** The resource's ARN (`arn:aws:kms:…:key/…`, `arn:aws:s3:::bucket`). */
  Resource: string;
  /** `AWS::KMS::Key`, `AWS::S3::Bucket`, … */
  ResourceType: string;
  /** Absent: the snapshot's Account. */
  ResourceOwnerAccount?: string;
  /** Absent: ACTIVE. */
  Status?: "ACTIVE" | "ARCHIVED" | "RESOLVED";
  Principal?: Record<string, string>;
  Action?: string[];
  /** Absent: `{}` (AWS always sends a condition map). */
  Condition?: Record<string, string>;
  /** Absent: false. */
  IsPublic?: boolean;
  /** ExternalAccessDetails' `sources` (`[{"type": "POLICY"}]`), sent as given. */
  Sources?: Record<string, unknown>[];
  /** Absent: 2024-01-15T09:30:00Z. */
  CreatedAt?: string;
  /** Absent: UpdatedAt. */
  AnalyzedAt?: string;
  /** Absent: CreatedAt. */
  UpdatedAt?: string;
  /** Why the resource could not be analyzed (`ACCESS_DENIED`, `INTERNAL_ERROR`). */
  Error?: string;
}

/** CheckNoPublicAccess's answer for the policies whose text contains `PolicyContains` (the first such entry wins). */
export interface SnapshotPublicAccessCheck {
  PolicyContains: string;
  Result: "PASS" | "FAIL";
  /** Absent: the fake's usual message for the result. */
  Message?: string;
}

export interface SnapshotAccessAnalyzer {
  /** Analyzers per region; absent: none. */
  Analyzers?: SnapshotAnalyzer[];
  /** External-access findings of the analyzers; absent: none. */
  Findings?: SnapshotFinding[];
  /** CheckNoPublicAccess answers that override the fake's approximation; absent: none. */
  PublicAccessChecks?: SnapshotPublicAccessCheck[];
}

export interface AccountSnapshot {
  /** The audited account (STS GetCallerIdentity's Account). */
  Account: string;
  /** `aws` unless said otherwise. */
  Partition?: string;
  /** GetCallerIdentity's Arn; default `arn:<partition>:sts::<account>:assumed-role/kmslint-audit/session`. */
  CallerArn?: string;
  /**
   * Organizations DescribeOrganization's Organization (`{"Id": "o-…", "MasterAccountId": "…"}`), or
   * `{"Error": "AccessDeniedException" | "AWSOrganizationsNotInUseException"}`. Absent: not in an organization.
   */
  Organization?: Record<string, unknown>;
  /** Regions enabled for the account (Account ListRegions); default: the regions of `Kms` and of the buckets. */
  Regions?: string[];
  /** Per region: its keys and aliases. */
  Kms: Record<string, { Keys: SnapshotKey[]; Aliases?: SnapshotAlias[] }>;
  Buckets: SnapshotBucket[];
  /** IAM Access Analyzer: analyzers, their external-access findings, CheckNoPublicAccess overrides. Absent: no analyzers. */
  AccessAnalyzer?: SnapshotAccessAnalyzer;
  /** Athena: CloudTrail tables (`database.table` → records) the fake runs kmslint's usage query on (see athena.ts). Absent: none. */
  Athena?: SnapshotAthena;
  Faults?: SnapshotFault[];
}
