/**
 * The usage fact table (`kmslint usage`): KMS calls from CloudTrail, grouped by caller, key, event, whether S3
 * made the call for the caller, and error code. `--format json` prints `UsageFacts`; `records`, `files` and
 * each row's nine first fields are a contract (issue 8); the other fields are extra.
 */
export interface UsageRow {
  /** `userIdentity.accountId`: the account of the caller. */
  callerAccount: string;
  /** `userIdentity.principalId` ("AROA…:session" for a role session). */
  callerPrincipal: string;
  /** The role ARN from `userIdentity.sessionContext.sessionIssuer.arn` for role sessions, else `userIdentity.arn` (or ""). */
  callerArn: string;
  /** From `resources[]` (type AWS::KMS::Key, "ARN"), never from `requestParameters.keyId` (AWS-FACTS §8.2); "" when the event names no key. */
  keyArn: string;
  /** `resources[].accountId`, or the key ARN's account. */
  keyOwnerAccount: string;
  eventName: string;
  /** `requestParameters.encryptionContext["aws:s3:arn"]` is present: S3 called KMS for the caller. */
  viaS3: boolean;
  /** `errorCode`, or null when the call succeeded. */
  errorCode: string | null;
  count: number;
  /** Extra: the first and last `eventTime` of the group (ISO 8601). */
  firstTime: string;
  lastTime: string;
}

export interface UsageFacts {
  /** KMS records read (eventSource kms.amazonaws.com) in the time window. */
  records: number;
  /** Log files read. */
  files: number;
  rows: UsageRow[];
}

/** A log file that could not be read (malformed JSON, truncated gzip, not a CloudTrail file): reported and skipped. */
export interface UsageFileProblem {
  file: string;
  message: string;
}

/** The fields that group a row (everything but count and times), in a fixed order. */
export const GROUP_FIELDS = ["callerAccount", "callerPrincipal", "callerArn", "keyArn", "keyOwnerAccount", "eventName", "viaS3", "errorCode"] as const;

/** Whether the call crossed accounts: the caller's account is not the key's owner. */
export function isCrossAccount(row: Pick<UsageRow, "callerAccount" | "keyOwnerAccount">): boolean {
  return row.keyOwnerAccount !== "" && row.callerAccount !== "" && row.callerAccount !== row.keyOwnerAccount;
}
