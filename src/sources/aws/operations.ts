/**
 * Every AWS API operation `kmslint audit` may call, with the IAM action that allows it and the default rate.
 * This table is the single source for three things: the calls the collector makes (it refuses any other),
 * the permission an `audit-error` finding names, and docs/audit-iam-policy.json (a test checks that the
 * policy allows exactly these actions, and that every recorded call of an audit is one of them).
 *
 * Default rates are per account and region, about a quarter of the KMS request quotas (AWS-FACTS.md §7.1),
 * so that an audit leaves the rest of each quota to the applications that share it. S3 documents no rate
 * quota for bucket-configuration reads (§7.2); 100 requests a second is a conservative choice, not a
 * documented limit. ListKeyRotations' quota is not documented (§10, UNVERIFIED): 25 a second; nor are Access
 * Analyzer's (§7.2): 10 a second.
 */

export type AwsService = "sts" | "organizations" | "account" | "kms" | "s3" | "access-analyzer";

export interface Operation {
  service: AwsService;
  /** The IAM action that allows the call; undefined for GetCallerIdentity, which needs no permission. */
  action: string | undefined;
  /** Default requests per second per region (global services: per account). */
  rate: number;
  /** The documented request quota per second, when there is one (AWS-FACTS.md §7.1). */
  quota?: number;
}

export const OPERATIONS = {
  GetCallerIdentity: { service: "sts", action: undefined, rate: 5 },
  DescribeOrganization: { service: "organizations", action: "organizations:DescribeOrganization", rate: 5 },
  ListRegions: { service: "account", action: "account:ListRegions", rate: 5 },
  ListKeys: { service: "kms", action: "kms:ListKeys", rate: 100, quota: 500 },
  ListAliases: { service: "kms", action: "kms:ListAliases", rate: 100, quota: 500 },
  DescribeKey: { service: "kms", action: "kms:DescribeKey", rate: 500, quota: 2000 },
  GetKeyPolicy: { service: "kms", action: "kms:GetKeyPolicy", rate: 250, quota: 1000 },
  GetKeyRotationStatus: { service: "kms", action: "kms:GetKeyRotationStatus", rate: 250, quota: 1000 },
  ListKeyRotations: { service: "kms", action: "kms:ListKeyRotations", rate: 25 },
  ListBuckets: { service: "s3", action: "s3:ListAllMyBuckets", rate: 10 },
  GetBucketLocation: { service: "s3", action: "s3:GetBucketLocation", rate: 100 },
  GetBucketPolicy: { service: "s3", action: "s3:GetBucketPolicy", rate: 100 },
  GetBucketEncryption: { service: "s3", action: "s3:GetEncryptionConfiguration", rate: 100 },
  // Access Analyzer documents no request quotas (AWS-FACTS.md §7.2, UNVERIFIED): 10 a second.
  ListAnalyzers: { service: "access-analyzer", action: "access-analyzer:ListAnalyzers", rate: 10 },
  ListFindingsV2: { service: "access-analyzer", action: "access-analyzer:ListFindings", rate: 10 },
  GetFindingV2: { service: "access-analyzer", action: "access-analyzer:GetFinding", rate: 10 },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];

/** Whether a string names an operation of the table (for `--rate Name=N`). */
export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATIONS, name);
}

/** The IAM actions the audit needs, sorted: what docs/audit-iam-policy.json must allow. */
export function requiredActions(): string[] {
  const actions = new Set<string>();
  for (const name of OPERATION_NAMES) {
    const action: string | undefined = OPERATIONS[name].action;
    if (action !== undefined) actions.add(action);
  }
  return [...actions].sort();
}
