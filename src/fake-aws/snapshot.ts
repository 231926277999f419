/**
 * An account snapshot: what the fake AWS endpoint serves (`kmslint audit --demo`, the tests, the bench).
 * Field names are AWS's own (DescribeKey's KeyMetadata, ListAliases' AliasListEntry, GetBucketEncryption's
 * rules), so that a snapshot reads like the API responses it stands for; anything left out gets the value
 * AWS would return for a key or bucket created with defaults. Dates are ISO 8601 text, epoch seconds, or a
 * time relative to when the snapshot is served (`now+12d`, `now-3h`, `now+30m`).
 */

/** A request that fails on purpose: by operation, and optionally by key id / alias / bucket name and region. */
export interface SnapshotFault {
  /** The API operation: `GetKeyPolicy`, `GetBucketPolicy`, `ListKeys`, … */
  Operation: string;
  /**
   * Key id, alias name or bucket name (or `*` / absent for every call of the operation). A key id also matches
   * a request naming the key by its ARN or through one of its aliases.
   */
  Resource?: string;
  Region?: string;
  /**
   * `AccessDenied` (the service's own access-denied error: KMS AccessDeniedException, S3 AccessDenied,
   * Organizations AccessDeniedException), `Throttling` (KMS ThrottlingException, S3 SlowDown), `Timeout`
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
  Faults?: SnapshotFault[];
}
