/**
 * The fake S3 through the real @aws-sdk/client-s3 (path-style): ListBuckets and its pages, bucket location,
 * policy, encryption and policy status, S3's errors, and the redirect for a bucket of another region.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  NoSuchBucket,
  S3Client,
  S3ServiceException,
  paginateListBuckets,
} from "@aws-sdk/client-s3";
import { startFakeAws, type FakeAws } from "../../src/fake-aws/index.js";
import { ACCOUNT, accountSnapshot, rejection, s3Config } from "./fixtures/clients.js";

const ORDERS = "orders-data-111122223333";
const LOGS = "logs-111122223333";
const ARCHIVE = "eu-archive-111122223333";
const ASSETS = "app-assets-111122223333";
const SORTED = [ASSETS, ARCHIVE, LOGS, ORDERS];

let fake: FakeAws;
let s3: S3Client;

beforeAll(async () => {
  fake = await startFakeAws({ snapshot: accountSnapshot() });
  s3 = new S3Client(s3Config(fake));
});
afterAll(async () => {
  s3.destroy();
  await fake.close();
});

describe("ListBuckets", () => {
  it("lists every bucket by name, with its region, ARN and creation date, and the owner", async () => {
    const out = await s3.send(new ListBucketsCommand({}));
    expect(out.Buckets?.map((b) => b.Name)).toEqual(SORTED);
    expect(out.Buckets?.[3]).toEqual({ Name: ORDERS, CreationDate: new Date("2023-03-15T08:00:00Z"), BucketRegion: "us-east-1", BucketArn: `arn:aws:s3:::${ORDERS}` });
    expect(out.Buckets?.[0]?.BucketRegion).toBe("us-west-2");
    expect(out.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    expect(out.ContinuationToken).toBeUndefined();
  });

  it("pages with MaxBuckets and ContinuationToken through paginateListBuckets", async () => {
    const pages: string[][] = [];
    for await (const page of paginateListBuckets({ client: s3 }, { MaxBuckets: 3 })) pages.push((page.Buckets ?? []).map((b) => b.Name ?? ""));
    expect(pages).toEqual([SORTED.slice(0, 3), SORTED.slice(3)]);
  });

  it("caps pages at pageSize", async () => {
    const paged = await startFakeAws({ snapshot: accountSnapshot(), pageSize: 1 });
    const client = new S3Client(s3Config(paged));
    const pages: string[][] = [];
    for await (const page of paginateListBuckets({ client }, { MaxBuckets: 1000 })) pages.push((page.Buckets ?? []).map((b) => b.Name ?? ""));
    client.destroy();
    await paged.close();
    expect(pages).toEqual(SORTED.map((name) => [name]));
  });

  it("filters by BucketRegion and Prefix", async () => {
    const us = await s3.send(new ListBucketsCommand({ BucketRegion: "us-east-1" }));
    expect(us.Buckets?.map((b) => b.Name)).toEqual([LOGS, ORDERS]);
    const prefixed = await s3.send(new ListBucketsCommand({ Prefix: "eu-" }));
    expect(prefixed.Buckets?.map((b) => b.Name)).toEqual([ARCHIVE]);
    expect(prefixed.Prefix).toBe("eu-");
    const pagedRegion = await s3.send(new ListBucketsCommand({ BucketRegion: "us-east-1", MaxBuckets: 1 }));
    expect(pagedRegion.Buckets?.map((b) => b.Name)).toEqual([LOGS]);
    const next = await s3.send(new ListBucketsCommand({ BucketRegion: "us-east-1", MaxBuckets: 1, ContinuationToken: pagedRegion.ContinuationToken }));
    expect(next.Buckets?.map((b) => b.Name)).toEqual([ORDERS]);
    expect(next.ContinuationToken).toBeUndefined();
  });
});

describe("bucket reads", () => {
  it("GetBucketLocation: empty for us-east-1, the region otherwise, from any region", async () => {
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: ORDERS }))).LocationConstraint).toBeUndefined();
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: ARCHIVE }))).LocationConstraint).toBe("eu-west-1");
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: ASSETS }))).LocationConstraint).toBe("us-west-2");
  });

  it("GetBucketPolicy returns the policy text; NoSuchBucketPolicy when there is none", async () => {
    const out = await s3.send(new GetBucketPolicyCommand({ Bucket: ORDERS }));
    expect(out.Policy).toBe(JSON.stringify(accountSnapshot().Buckets[0]?.Policy, null, 2));
    const error = await rejection(s3.send(new GetBucketPolicyCommand({ Bucket: LOGS })));
    expect(error.name).toBe("NoSuchBucketPolicy");
    expect(error).toBeInstanceOf(S3ServiceException);
    expect(error.message).toBe("The bucket policy does not exist");
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(404);
  });

  it("GetBucketPolicy returns a text policy byte for byte", async () => {
    const eu = new S3Client(s3Config(fake, "eu-west-1"));
    const out = await eu.send(new GetBucketPolicyCommand({ Bucket: ARCHIVE }));
    eu.destroy();
    expect(out.Policy).toBe(accountSnapshot().Buckets[2]?.Policy);
  });

  it("GetBucketEncryption: SSE-KMS with the key and bucket key, the AES256 default, and not found", async () => {
    const kms = await s3.send(new GetBucketEncryptionCommand({ Bucket: ORDERS }));
    expect(kms.ServerSideEncryptionConfiguration).toEqual({
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
          BucketKeyEnabled: true,
        },
      ],
    });
    const defaulted = await s3.send(new GetBucketEncryptionCommand({ Bucket: LOGS }));
    expect(defaulted.ServerSideEncryptionConfiguration?.Rules).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }]);

    const eu = new S3Client(s3Config(fake, "eu-west-1"));
    const error = await rejection(eu.send(new GetBucketEncryptionCommand({ Bucket: ARCHIVE })));
    eu.destroy();
    expect(error.name).toBe("ServerSideEncryptionConfigurationNotFoundError");
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(404);
  });

  it("GetBucketPolicyStatus: public only when the snapshot says so", async () => {
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: ORDERS }))).PolicyStatus).toEqual({ IsPublic: false });
    const eu = new S3Client(s3Config(fake, "eu-west-1"));
    expect((await eu.send(new GetBucketPolicyStatusCommand({ Bucket: ARCHIVE }))).PolicyStatus).toEqual({ IsPublic: true });
    eu.destroy();
    // As on S3, a bucket without a policy has no policy status either.
    expect((await rejection(s3.send(new GetBucketPolicyStatusCommand({ Bucket: LOGS })))).name).toBe("NoSuchBucketPolicy");
  });

  it("NoSuchBucket for an unknown bucket", async () => {
    const error = await rejection(s3.send(new GetBucketPolicyCommand({ Bucket: "no-such-bucket-here" })));
    expect(error).toBeInstanceOf(NoSuchBucket);
    expect(error.name).toBe("NoSuchBucket");
    expect(error.BucketName).toBe("no-such-bucket-here");
  });

  it("HeadBucket gives the bucket's region", async () => {
    const out = await s3.send(new HeadBucketCommand({ Bucket: LOGS }));
    expect(out.BucketRegion).toBe("us-east-1");
    expect(out.$metadata.httpStatusCode).toBe(200);
    const missing = await rejection(s3.send(new HeadBucketCommand({ Bucket: "no-such-bucket-here" })));
    expect(missing.name).toBe("NotFound");
  });
});

describe("a bucket of another region", () => {
  it("answers 301 PermanentRedirect with x-amz-bucket-region, as S3 does", async () => {
    const error = await rejection(s3.send(new GetBucketPolicyCommand({ Bucket: ARCHIVE })));
    expect(error.name).toBe("PermanentRedirect");
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(301);
    expect((error.$response as { headers: Record<string, string> }).headers["x-amz-bucket-region"]).toBe("eu-west-1");
    expect(error.Endpoint).toBe("s3.eu-west-1.amazonaws.com");
    expect(error.Bucket).toBe(ARCHIVE);
  });

  it("HeadBucket's redirect has no body but the header", async () => {
    const error = await rejection(s3.send(new HeadBucketCommand({ Bucket: ASSETS })));
    expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(301);
    expect((error.$response as { headers: Record<string, string> }).headers["x-amz-bucket-region"]).toBe("us-west-2");
  });

  it("is followed by the SDK when followRegionRedirects is on", async () => {
    const client = new S3Client({ ...s3Config(fake), followRegionRedirects: true });
    const out = await client.send(new GetBucketEncryptionCommand({ Bucket: ASSETS }));
    client.destroy();
    expect(out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: "aws:kms" });
    const calls = fake.calls.filter((c) => c.operation === "GetBucketEncryption" && c.resource === ASSETS);
    expect(calls.map((c) => [c.region, c.status])).toEqual([
      ["us-east-1", 301],
      ["us-west-2", 200],
    ]);
  });
});

describe("protocol", () => {
  it("sends S3's request id headers and error XML", async () => {
    const response = await fetch(`${fake.url}/no-such-bucket-here?policy`, {
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" },
    });
    expect(response.status).toBe(404);
    const requestId = response.headers.get("x-amz-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-amzn-requestid")).toBe(requestId);
    expect(response.headers.get("x-amz-id-2")).toBeTruthy();
    expect(await response.text()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>` +
        `<BucketName>no-such-bucket-here</BucketName><RequestId>${requestId}</RequestId><HostId>${response.headers.get("x-amz-id-2")}</HostId></Error>`,
    );
  });

  it("answers NotImplemented for an operation it does not serve", async () => {
    const response = await fetch(`${fake.url}/${ORDERS}?acl`, {
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" },
    });
    expect(response.status).toBe(501);
    expect(await response.text()).toContain("<Code>NotImplemented</Code>");
    expect(fake.calls.at(-1)).toMatchObject({ service: "s3", operation: "GetBucketAcl", resource: ORDERS, status: 501, errorCode: "NotImplemented" });
  });
});
