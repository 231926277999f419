/**
 * Faults, throttling, latency and the call record, through the real clients: injected errors surface as
 * the services' own exceptions, retries get past a counted fault, a held request times out on the client's
 * clock, and every call is recorded with its resource, status and error code.
 */
import { describe, expect, it } from "vitest";
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, KMSServiceException, ListKeysCommand } from "@aws-sdk/client-kms";
import { DescribeOrganizationCommand, OrganizationsClient, TooManyRequestsException } from "@aws-sdk/client-organizations";
import { GetBucketPolicyCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { startFakeAws, type AccountSnapshot, type FakeAws, type FakeAwsOptions, type SnapshotFault } from "../../src/fake-aws/index.js";
import { ACCOUNT, accountSnapshot, clientConfig, rejection, s3Config } from "./fixtures/clients.js";

const ORDERS_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ORDERS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${ORDERS_KEY}`;
const PLAIN_KEY = "0987dcba-09fe-87dc-65ba-ab0987654321";
const ORDERS_BUCKET = "orders-data-111122223333";

async function withFake<T>(faults: SnapshotFault[], options: Omit<FakeAwsOptions, "snapshot">, run: (fake: FakeAws) => Promise<T>): Promise<T> {
  const snapshot: AccountSnapshot = { ...accountSnapshot(), Faults: faults };
  const fake = await startFakeAws({ ...options, snapshot });
  try {
    return await run(fake);
  } finally {
    await fake.close();
  }
}

describe("faults", () => {
  it("AccessDenied is KMS's AccessDeniedException, for the key named by id or ARN", async () => {
    await withFake([{ Operation: "GetKeyPolicy", Resource: ORDERS_KEY, Error: "AccessDenied" }], {}, async (fake) => {
      const kms = new KMSClient(clientConfig(fake));
      for (const KeyId of [ORDERS_KEY, ORDERS_ARN]) {
        const error = await rejection(kms.send(new GetKeyPolicyCommand({ KeyId })));
        expect(error).toBeInstanceOf(KMSServiceException);
        expect(error.name).toBe("AccessDeniedException");
        expect(error.message).toBe(
          `User: arn:aws:sts::111122223333:assumed-role/SecurityAudit/alice is not authorized to perform: kms:GetKeyPolicy on resource: ${ORDERS_ARN} because no resource-based policy allows the kms:GetKeyPolicy action`,
        );
      }
      // Another key, and another operation on the same key, are not affected.
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: PLAIN_KEY }))).PolicyName).toBe("default");
      expect((await kms.send(new DescribeKeyCommand({ KeyId: ORDERS_KEY }))).KeyMetadata?.KeyId).toBe(ORDERS_KEY);
      kms.destroy();
    });
  });

  it("a fault on a key matches the key's ARN and aliases, not other keys", async () => {
    await withFake([{ Operation: "DescribeKey", Resource: ORDERS_KEY, Error: "AccessDenied" }], {}, async (fake) => {
      const kms = new KMSClient(clientConfig(fake));
      for (const KeyId of [ORDERS_KEY, ORDERS_ARN, "alias/orders", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/orders-legacy`]) {
        expect((await rejection(kms.send(new DescribeKeyCommand({ KeyId })))).name).toBe("AccessDeniedException");
      }
      expect((await kms.send(new DescribeKeyCommand({ KeyId: PLAIN_KEY }))).KeyMetadata?.KeyId).toBe(PLAIN_KEY);
      kms.destroy();
      expect(fake.calls.map((c) => [c.resource, c.status, c.errorCode])).toEqual([
        [ORDERS_KEY, 400, "AccessDeniedException"],
        [ORDERS_ARN, 400, "AccessDeniedException"],
        ["alias/orders", 400, "AccessDeniedException"],
        [`arn:aws:kms:us-east-1:${ACCOUNT}:alias/orders-legacy`, 400, "AccessDeniedException"],
        [PLAIN_KEY, 200, undefined],
      ]);
    });
  });

  it("a fault limited to a region spares the others", async () => {
    await withFake([{ Operation: "ListKeys", Region: "eu-west-1", Error: "KMSInternalException", Message: "boom" }], {}, async (fake) => {
      const us = new KMSClient(clientConfig(fake, "us-east-1"));
      const eu = new KMSClient(clientConfig(fake, "eu-west-1"));
      expect((await us.send(new ListKeysCommand({}))).Keys).toHaveLength(8);
      const error = await rejection(eu.send(new ListKeysCommand({})));
      us.destroy();
      eu.destroy();
      expect(error.name).toBe("KMSInternalException");
      expect(error.message).toBe("boom");
      expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(500);
    });
  });

  it("S3 AccessDenied is a 403 AccessDenied", async () => {
    await withFake([{ Operation: "GetBucketPolicy", Resource: ORDERS_BUCKET, Error: "AccessDenied" }], {}, async (fake) => {
      const s3 = new S3Client(s3Config(fake));
      const error = await rejection(s3.send(new GetBucketPolicyCommand({ Bucket: ORDERS_BUCKET })));
      s3.destroy();
      expect(error).toBeInstanceOf(S3ServiceException);
      expect(error.name).toBe("AccessDenied");
      expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(403);
      expect(error.message).toContain(`s3:GetBucketPolicy on resource: arn:aws:s3:::${ORDERS_BUCKET}`);
      expect(fake.calls).toEqual([expect.objectContaining({ service: "s3", operation: "GetBucketPolicy", resource: ORDERS_BUCKET, status: 403, errorCode: "AccessDenied" })]);
    });
  });

  it("Throttling with Count 2: the SDK's third attempt succeeds", async () => {
    await withFake([{ Operation: "GetKeyPolicy", Error: "Throttling", Count: 2 }], {}, async (fake) => {
      const kms = new KMSClient(clientConfig(fake, "us-east-1", 3));
      const out = await kms.send(new GetKeyPolicyCommand({ KeyId: ORDERS_KEY }));
      kms.destroy();
      expect(out.$metadata.attempts).toBe(3);
      expect(out.Policy).toContain('"Id": "orders-key"');
      expect(fake.calls.map((c) => [c.status, c.errorCode])).toEqual([
        [400, "ThrottlingException"],
        [400, "ThrottlingException"],
        [200, undefined],
      ]);
    });
  });

  it("S3 throttling is 503 SlowDown, retried by the SDK", async () => {
    await withFake([{ Operation: "GetBucketPolicy", Error: "Throttling", Count: 1 }], {}, async (fake) => {
      const s3 = new S3Client(s3Config(fake, "us-east-1", 2));
      const out = await s3.send(new GetBucketPolicyCommand({ Bucket: ORDERS_BUCKET }));
      s3.destroy();
      expect(out.$metadata.attempts).toBe(2);
      expect(fake.calls.map((c) => [c.status, c.errorCode])).toEqual([
        [503, "SlowDown"],
        [200, undefined],
      ]);
    });
  });

  it("Organizations throttling is TooManyRequestsException", async () => {
    await withFake([{ Operation: "DescribeOrganization", Error: "Throttling" }], {}, async (fake) => {
      const client = new OrganizationsClient(clientConfig(fake));
      const error = await rejection(client.send(new DescribeOrganizationCommand({})));
      client.destroy();
      expect(error).toBeInstanceOf(TooManyRequestsException);
    });
  });

  // This SDK's node-http-handler only logs when requestTimeout passes, unless throwOnRequestTimeout is set;
  // socketTimeout (no data on the socket for that long) fails the request either way.
  for (const requestHandler of [{ requestTimeout: 200, throwOnRequestTimeout: true }, { socketTimeout: 200 }]) {
    it(`Timeout holds the request until the client gives up (${JSON.stringify(requestHandler)}); close() ends held requests at once`, async () => {
      const fake = await startFakeAws({ snapshot: { ...accountSnapshot(), Faults: [{ Operation: "ListKeys", Error: "Timeout" }] } });
      const kms = new KMSClient({ ...clientConfig(fake), requestHandler });
      const started = Date.now();
      const error = await rejection(kms.send(new ListKeysCommand({})));
      const elapsed = Date.now() - started;
      expect(error.name).toBe("TimeoutError");
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2000);
      expect(fake.calls).toEqual([expect.objectContaining({ operation: "ListKeys", status: 0, errorCode: "Timeout" })]);
      // A second request is held as well; close() does not wait for the 30 s hold.
      const held = kms.send(new ListKeysCommand({})).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closing = Date.now();
      await fake.close();
      expect(Date.now() - closing).toBeLessThan(1000);
      expect(await held).toBeInstanceOf(Error);
      expect(fake.calls).toHaveLength(2);
      // Held from its arrival until close(): some tens of milliseconds.
      expect(fake.calls[1]?.durationMs).toBeGreaterThan(10);
      expect(fake.calls[1]?.durationMs).toBeLessThan(1000);
      kms.destroy();
    });
  }

  it("Timeout destroys the connection after timeoutMs when the client waits longer", async () => {
    await withFake([{ Operation: "ListKeys", Error: "Timeout" }], { timeoutMs: 100 }, async (fake) => {
      const kms = new KMSClient(clientConfig(fake));
      const started = Date.now();
      const error = await rejection(kms.send(new ListKeysCommand({})));
      kms.destroy();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error.message).toMatch(/socket hang up|ECONNRESET/);
      expect(fake.calls[0]?.durationMs).toBeGreaterThanOrEqual(95);
    });
  });
});

describe("latency and throttling", () => {
  it("adds the latency to every response", async () => {
    await withFake([], { latencyMs: 150 }, async (fake) => {
      const kms = new KMSClient(clientConfig(fake));
      await kms.send(new ListKeysCommand({}));
      const started = Date.now();
      const error = await rejection(kms.send(new DescribeKeyCommand({ KeyId: "alias/nope" })));
      const elapsed = Date.now() - started;
      kms.destroy();
      expect(error.name).toBe("NotFoundException");
      expect(elapsed).toBeGreaterThanOrEqual(145);
      expect(fake.calls.every((c) => c.durationMs >= 150)).toBe(true);
    });
  });

  it("throttles about throttleRate of the calls, the same ones for the same seed", async () => {
    const run = () =>
      withFake([], { throttleRate: 0.3, seed: 42 }, async (fake) => {
        const kms = new KMSClient(clientConfig(fake));
        const outcomes: string[] = [];
        for (let i = 0; i < 200; i++) {
          outcomes.push(await kms.send(new ListKeysCommand({ Limit: 1 })).then(() => "ok", (e: Error) => e.name));
        }
        kms.destroy();
        return { outcomes, recorded: fake.calls.map((c) => c.errorCode ?? "ok") };
      });
    const first = await run();
    const throttled = first.outcomes.filter((o) => o === "ThrottlingException").length;
    expect(throttled).toBeGreaterThan(40);
    expect(throttled).toBeLessThan(80);
    expect(first.outcomes.filter((o) => o !== "ok" && o !== "ThrottlingException")).toEqual([]);
    expect(first.recorded).toEqual(first.outcomes.map((o) => (o === "ok" ? "ok" : o)));
    expect((await run()).outcomes).toEqual(first.outcomes);
  });
});

describe("the call record", () => {
  it("records every call with service, operation, region, resource, status, error, time", async () => {
    await withFake([], {}, async (fake) => {
      const kms = new KMSClient(clientConfig(fake, "eu-west-1"));
      const s3 = new S3Client(s3Config(fake));
      await kms.send(new ListKeysCommand({}));
      await rejection(kms.send(new GetKeyPolicyCommand({ KeyId: "00000000-0000-0000-0000-000000000000" })));
      await s3.send(new GetBucketPolicyCommand({ Bucket: ORDERS_BUCKET }));
      await rejection(s3.send(new GetBucketPolicyCommand({ Bucket: "logs-111122223333" })));
      kms.destroy();
      s3.destroy();
      expect(fake.calls.map(({ at: _at, durationMs: _d, ...rest }) => rest)).toEqual([
        { service: "kms", operation: "ListKeys", region: "eu-west-1", status: 200 },
        { service: "kms", operation: "GetKeyPolicy", region: "eu-west-1", resource: "00000000-0000-0000-0000-000000000000", status: 400, errorCode: "NotFoundException" },
        { service: "s3", operation: "GetBucketPolicy", region: "us-east-1", resource: ORDERS_BUCKET, status: 200 },
        { service: "s3", operation: "GetBucketPolicy", region: "us-east-1", resource: "logs-111122223333", status: 404, errorCode: "NoSuchBucketPolicy" },
      ]);
      const times = fake.calls.map((c) => c.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(fake.calls.every((c) => c.at >= 0 && c.durationMs >= 0)).toBe(true);
    });
  });

  it("does not route or record a request without a SigV4 credential scope", async () => {
    await withFake([], {}, async (fake) => {
      const response = await fetch(fake.url, { method: "POST", body: "{}" });
      expect(response.status).toBe(403);
      expect(fake.calls).toEqual([]);
    });
  });
});
