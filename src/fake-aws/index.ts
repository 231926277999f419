/**
 * The fake AWS endpoint (see server.ts): start it on an account snapshot, point the AWS SDK clients at its URL.
 *
 * What a client needs to know, as the installed SDK behaves against it:
 * - S3 is path-style: `forcePathStyle: true`, or an IP endpoint (the fake's URL is one), which the SDK
 *   addresses by path anyway.
 * - A bucket read signed for another region than the bucket's fails with `name` "PermanentRedirect",
 *   `$metadata.httpStatusCode` 301, the bucket's region in `$response.headers["x-amz-bucket-region"]`
 *   (plus `Endpoint` and `Bucket` from the error XML); `followRegionRedirects: true` makes the SDK retry there.
 * - IAM Access Analyzer (`@aws-sdk/client-accessanalyzer`) is signed as `access-analyzer`; the fake serves the
 *   snapshot's `AccessAnalyzer` (ListAnalyzers, ListFindingsV2, GetFindingV2) and runs its own ValidatePolicy
 *   and CheckNoPublicAccess (see access-analyzer.ts for what they check).
 * - A `Timeout` fault fails fast only with `requestHandler: { requestTimeout, throwOnRequestTimeout: true }`
 *   or `{ socketTimeout }`: without throwOnRequestTimeout, the SDK's requestTimeout only logs a warning.
 */
export { startFakeAws, type FakeAws, type FakeAwsOptions, type RecordedCall } from "./server.js";
export { loadSnapshot, validateSnapshot } from "./load.js";
export { generateSnapshot, SPOKE_ACCOUNT, type SnapshotSpec } from "./generate.js";
export type {
  AccountSnapshot,
  SnapshotAccessAnalyzer,
  SnapshotAlias,
  SnapshotAnalyzer,
  SnapshotBucket,
  SnapshotFault,
  SnapshotFinding,
  SnapshotKey,
  SnapshotPublicAccessCheck,
} from "./snapshot.js";
export type { CloudTrailRecord, SnapshotAthena } from "./athena.js";
export { parseJsonWithPositions, policyFindings, type JsonNode, type PolicyFinding } from "./access-analyzer.js";
