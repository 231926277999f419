/**
 * The fake account-level services through the real clients: STS GetCallerIdentity (awsQuery),
 * Organizations DescribeOrganization (its three outcomes) and Account ListRegions with its pages and filter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountClient, ListRegionsCommand, paginateListRegions } from "@aws-sdk/client-account";
import { AccessDeniedException, AWSOrganizationsNotInUseException, DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startFakeAws, type AccountSnapshot, type FakeAws } from "../../src/fake-aws/index.js";
import { ACCOUNT, accountSnapshot, clientConfig, rejection } from "./fixtures/clients.js";

let fake: FakeAws;

beforeAll(async () => {
  fake = await startFakeAws({ snapshot: accountSnapshot() });
});
afterAll(async () => {
  await fake.close();
});

/** Runs one call with a client on a fake serving the fixture changed by `change`. */
async function withSnapshot<T>(change: (snapshot: AccountSnapshot) => void, run: (fake: FakeAws) => Promise<T>): Promise<T> {
  const snapshot = accountSnapshot();
  change(snapshot);
  const own = await startFakeAws({ snapshot });
  try {
    return await run(own);
  } finally {
    await own.close();
  }
}

describe("STS", () => {
  it("GetCallerIdentity answers the account, the caller ARN and its user id", async () => {
    const sts = new STSClient(clientConfig(fake));
    const out = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(out.Account).toBe(ACCOUNT);
    expect(out.Arn).toBe("arn:aws:sts::111122223333:assumed-role/SecurityAudit/alice");
    expect(out.UserId).toMatch(/^AROA[0-9A-F]{17}:alice$/);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.calls.at(-1)).toMatchObject({ service: "sts", operation: "GetCallerIdentity", region: "us-east-1", status: 200 });
  });

  it("defaults the caller to an assumed role of the account", async () => {
    const out = await withSnapshot(
      (s) => delete s.CallerArn,
      async (own) => {
        const sts = new STSClient(clientConfig(own, "eu-west-1"));
        const result = await sts.send(new GetCallerIdentityCommand({}));
        sts.destroy();
        return result;
      },
    );
    expect(out.Arn).toBe("arn:aws:sts::111122223333:assumed-role/kmslint-audit/session");
  });
});

describe("Organizations", () => {
  const describeOrganization = (own: FakeAws) => {
    const client = new OrganizationsClient(clientConfig(own));
    return client.send(new DescribeOrganizationCommand({})).finally(() => client.destroy());
  };

  it("DescribeOrganization fills the organization's ARNs and defaults", async () => {
    const out = await describeOrganization(fake);
    expect(out.Organization).toEqual({
      Id: "o-abc123defg",
      Arn: "arn:aws:organizations::999988887777:organization/o-abc123defg",
      FeatureSet: "ALL",
      MasterAccountArn: "arn:aws:organizations::999988887777:account/o-abc123defg/999988887777",
      MasterAccountId: "999988887777",
      MasterAccountEmail: "root@example.com",
      AvailablePolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }],
    });
  });

  it("answers AccessDeniedException when the snapshot says so", async () => {
    const error = await withSnapshot(
      (s) => (s.Organization = { Error: "AccessDeniedException" }),
      (own) => rejection(describeOrganization(own)),
    );
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.message).toBe("You don't have permissions to access this resource.");
  });

  it("answers AWSOrganizationsNotInUseException without an organization", async () => {
    const error = await withSnapshot(
      (s) => delete s.Organization,
      (own) => rejection(describeOrganization(own)),
    );
    expect(error).toBeInstanceOf(AWSOrganizationsNotInUseException);
    expect(error.name).toBe("AWSOrganizationsNotInUseException");
  });
});

describe("Account", () => {
  it("ListRegions lists the regions of the keys and buckets by default", async () => {
    const client = new AccountClient(clientConfig(fake));
    const out = await client.send(new ListRegionsCommand({}));
    client.destroy();
    expect(out.Regions).toEqual([
      { RegionName: "eu-west-1", RegionOptStatus: "ENABLED_BY_DEFAULT" },
      { RegionName: "us-east-1", RegionOptStatus: "ENABLED_BY_DEFAULT" },
      { RegionName: "us-west-2", RegionOptStatus: "ENABLED_BY_DEFAULT" },
    ]);
    expect(out.NextToken).toBeUndefined();
    expect(fake.calls.at(-1)).toMatchObject({ service: "account", operation: "ListRegions", status: 200 });
  });

  it("pages with MaxResults / NextToken and filters by RegionOptStatusContains", async () => {
    const regions = ["us-east-1", "eu-west-1", "ap-east-1", "me-south-1", "eu-central-1"];
    const [pages, optedIn] = await withSnapshot(
      (s) => (s.Regions = regions),
      async (own) => {
        const client = new AccountClient(clientConfig(own));
        const names: string[][] = [];
        for await (const page of paginateListRegions({ client }, { MaxResults: 2 })) names.push((page.Regions ?? []).map((r) => r.RegionName ?? ""));
        const filtered = await client.send(new ListRegionsCommand({ RegionOptStatusContains: ["ENABLED"] }));
        client.destroy();
        return [names, filtered.Regions] as const;
      },
    );
    expect(pages).toEqual([regions.slice(0, 2), regions.slice(2, 4), regions.slice(4)]);
    expect(optedIn).toEqual([
      { RegionName: "ap-east-1", RegionOptStatus: "ENABLED" },
      { RegionName: "me-south-1", RegionOptStatus: "ENABLED" },
    ]);
  });
});
