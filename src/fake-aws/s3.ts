/**
 * The fake S3: REST-XML, path-style (`GET /<bucket>?policy`). Answers ListBuckets, HeadBucket and the bucket
 * reads an audit makes — GetBucketLocation, GetBucketPolicy, GetBucketEncryption, GetBucketPolicyStatus —
 * with S3's errors. A bucket read signed for another region than the bucket's gets S3's answer to that:
 * 301 PermanentRedirect with the bucket's region in `x-amz-bucket-region`. GetBucketLocation and ListBuckets
 * work from any region, as they do on S3.
 */
import { createHash } from "node:crypto";
import type { Call } from "./call.js";
import type { AccountState, BucketRecord } from "./state.js";
import { s3XmlReply, ServiceError, xmlElement, xmlEscape, type Reply } from "./wire.js";

/** Bucket subresources (query parameters) and the GET operation each one selects. */
const GET_SUBRESOURCES: Record<string, string> = {
  location: "GetBucketLocation",
  policy: "GetBucketPolicy",
  encryption: "GetBucketEncryption",
  policyStatus: "GetBucketPolicyStatus",
};
/** Other subresources, named only to record the operation before answering NotImplemented. */
const OTHER_SUBRESOURCES: Record<string, string> = {
  acl: "GetBucketAcl",
  tagging: "GetBucketTagging",
  versioning: "GetBucketVersioning",
  logging: "GetBucketLogging",
  ownershipControls: "GetBucketOwnershipControls",
  publicAccessBlock: "GetPublicAccessBlock",
  lifecycle: "GetBucketLifecycleConfiguration",
  replication: "GetBucketReplication",
  website: "GetBucketWebsite",
  cors: "GetBucketCors",
  notification: "GetBucketNotificationConfiguration",
  "list-type": "ListObjectsV2",
  uploads: "ListMultipartUploads",
  versions: "ListObjectVersions",
};

export function s3Call(state: AccountState, region: string, method: string, rawUrl: string, pageSize: number | undefined): Call {
  const queryAt = rawUrl.indexOf("?");
  const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? "" : rawUrl.slice(queryAt + 1));
  const slash = path.indexOf("/", 1);
  const bucketName = safeDecode(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const objectKey = slash < 0 ? "" : path.slice(slash + 1);

  if (bucketName === "") {
    const operation = method === "GET" ? "ListBuckets" : (query.get("x-id") ?? `${method} /`);
    return { service: "s3", operation, answer: () => (operation === "ListBuckets" ? listBuckets(state, query, pageSize) : notImplemented(operation)) };
  }
  const operation = bucketOperation(method, query, objectKey);
  return {
    service: "s3",
    operation,
    resource: bucketName,
    names: () => [bucketName],
    arn: () => `arn:${state.partition}:s3:::${bucketName}`,
    answer: () => answerBucket(state, region, operation, bucketName),
  };
}

function bucketOperation(method: string, query: URLSearchParams, objectKey: string): string {
  const xId = query.get("x-id");
  if (objectKey !== "") return xId ?? (method === "GET" ? "GetObject" : method === "HEAD" ? "HeadObject" : `${method}Object`);
  if (method === "HEAD") return "HeadBucket";
  if (method === "GET") {
    for (const name of query.keys()) {
      const operation = GET_SUBRESOURCES[name] ?? OTHER_SUBRESOURCES[name];
      if (operation) return operation;
    }
    return xId ?? "ListObjects";
  }
  return xId ?? `${method}Bucket`;
}

function answerBucket(state: AccountState, region: string, operation: string, name: string): Reply {
  const bucket = state.buckets.get(name);
  if (!bucket) {
    if (operation === "HeadBucket") throw new ServiceError("NotFound", "Not Found", 404);
    throw new ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, { fields: { BucketName: name } });
  }
  if (operation === "GetBucketLocation") {
    // us-east-1 is the empty LocationConstraint.
    return s3XmlReply("LocationConstraint", bucket.region === "us-east-1" ? "" : xmlEscape(bucket.region));
  }
  if (bucket.region !== region) throw permanentRedirect(bucket, operation);
  switch (operation) {
    case "HeadBucket":
      return { status: 200, headers: { "x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false" }, body: "" };
    case "GetBucketPolicy":
      if (bucket.policyText === undefined) throw noSuchBucketPolicy(bucket);
      return { status: 200, headers: { "content-type": "application/json" }, body: bucket.policyText };
    case "GetBucketEncryption":
      if (bucket.encryption === null) {
        throw new ServiceError("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 404, { fields: { BucketName: bucket.name } });
      }
      return s3XmlReply("ServerSideEncryptionConfiguration", xmlElement("Rule", bucket.encryption.Rules));
    case "GetBucketPolicyStatus":
      // S3 answers NoSuchBucketPolicy for a bucket without a policy.
      if (bucket.policyText === undefined) throw noSuchBucketPolicy(bucket);
      return s3XmlReply("PolicyStatus", `<IsPublic>${bucket.isPublic}</IsPublic>`);
    default:
      return notImplemented(operation);
  }
}

function permanentRedirect(bucket: BucketRecord, operation: string): ServiceError {
  const headers = { "x-amz-bucket-region": bucket.region };
  // HEAD answers carry no body: the status and the header say it all.
  if (operation === "HeadBucket") return new ServiceError("PermanentRedirect", "Moved Permanently", 301, { headers });
  return new ServiceError(
    "PermanentRedirect",
    "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
    301,
    { fields: { Endpoint: `s3.${bucket.region}.amazonaws.com`, Bucket: bucket.name }, headers },
  );
}

function noSuchBucketPolicy(bucket: BucketRecord): ServiceError {
  return new ServiceError("NoSuchBucketPolicy", "The bucket policy does not exist", 404, { fields: { BucketName: bucket.name } });
}

function notImplemented(operation: string): never {
  throw new ServiceError("NotImplemented", `A header or query you provided implies functionality that is not implemented (${operation}).`, 501);
}

const MAX_BUCKETS = 10_000;

/**
 * ListBuckets: buckets by name, filtered by prefix and region. Without MaxBuckets and ContinuationToken S3
 * returns every bucket in one page; the continuation token is the last name returned (base64url).
 */
function listBuckets(state: AccountState, query: URLSearchParams, pageSize: number | undefined): Reply {
  const maxText = query.get("max-buckets");
  const max = maxText === null ? MAX_BUCKETS : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > MAX_BUCKETS) throw new ServiceError("InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000.");
  const limit = Math.min(max, pageSize ?? max);
  const prefix = query.get("prefix") ?? "";
  const regionFilter = query.get("bucket-region");
  const token = query.get("continuation-token");
  let after = prefix;
  if (token !== null) {
    const last = Buffer.from(token, "base64url").toString("utf8");
    if (last === "" || Buffer.from(last, "utf8").toString("base64url") !== token) throw new ServiceError("InvalidArgument", "The continuation token provided is incorrect");
    if (last > after) after = last;
  }
  const list = state.bucketList;
  // The first bucket at or after `after` (strictly after the token's name).
  let index = lowerBound(list, after);
  if (token !== null && list[index]?.name === after) index++;
  const page: BucketRecord[] = [];
  let more = false;
  for (; index < list.length; index++) {
    const bucket = list[index] as BucketRecord;
    if (!bucket.name.startsWith(prefix)) break;
    if (regionFilter !== null && bucket.region !== regionFilter) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(bucket);
  }
  let inner = "<Buckets>";
  for (const bucket of page) {
    inner +=
      `<Bucket><Name>${xmlEscape(bucket.name)}</Name><CreationDate>${bucket.creationDate}</CreationDate>` +
      (bucket.listedWithoutRegion ? "</Bucket>" : `<BucketRegion>${bucket.region}</BucketRegion><BucketArn>${xmlEscape(bucket.arn)}</BucketArn></Bucket>`);
  }
  inner += `</Buckets><Owner><ID>${canonicalUserId(state.account)}</ID></Owner>`;
  const lastName = page[page.length - 1]?.name;
  if (more && lastName !== undefined) inner += `<ContinuationToken>${Buffer.from(lastName, "utf8").toString("base64url")}</ContinuationToken>`;
  if (prefix !== "") inner += `<Prefix>${xmlEscape(prefix)}</Prefix>`;
  return s3XmlReply("ListAllMyBucketsResult", inner);
}

function lowerBound(list: readonly BucketRecord[], name: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((list[mid] as BucketRecord).name < name) low = mid + 1;
    else high = mid;
  }
  return low;
}

const ownerIds = new Map<string, string>();

/** The account's canonical user id: 64 hex digits, stable per account. */
function canonicalUserId(account: string): string {
  let id = ownerIds.get(account);
  if (id === undefined) {
    id = createHash("sha256").update(`kmslint-fake-owner:${account}`).digest("hex");
    ownerIds.set(account, id);
  }
  return id;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
