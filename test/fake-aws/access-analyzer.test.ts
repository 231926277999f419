/**
 * The fake IAM Access Analyzer through the real client: analyzers per region, ListFindingsV2's filters and
 * pages, GetFindingV2's details, ValidatePolicy's checks with their exact paths and spans, CheckNoPublicAccess
 * and its snapshot override, faults, and the snapshot checks of the AccessAnalyzer section.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccessAnalyzerClient,
  AccessDeniedException,
  CheckNoPublicAccessCommand,
  GetFindingV2Command,
  ListAnalyzersCommand,
  ListFindingsV2Command,
  paginateListFindingsV2,
  paginateValidatePolicy,
  ResourceNotFoundException,
  ThrottlingException,
  ValidatePolicyCommand,
  ValidationException,
  type Criterion,
  type ValidatePolicyFinding,
} from "@aws-sdk/client-accessanalyzer";
import { parseJsonWithPositions, startFakeAws, validateSnapshot, type AccountSnapshot, type FakeAws, type FakeAwsOptions, type SnapshotAccessAnalyzer } from "../../src/fake-aws/index.js";
import { ACCOUNT, accountSnapshot, clientConfig, rejection } from "./fixtures/clients.js";

const US_ANALYZER = `arn:aws:access-analyzer:us-east-1:${ACCOUNT}:analyzer/external`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function accessAnalyzer(): SnapshotAccessAnalyzer {
  return {
    Analyzers: [
      { Region: "us-east-1", Name: "external", Type: "ACCOUNT", CreatedAt: "2024-03-01T10:00:00Z", LastResourceAnalyzedAt: "2024-06-01T08:00:00Z" },
      { Region: "us-east-1", Name: "unused", Type: "ACCOUNT_UNUSED_ACCESS", Status: "CREATING" },
      { Region: "eu-west-1", Name: "org", Type: "ORGANIZATION" },
    ],
    Findings: [
      {
        Analyzer: "external",
        Id: "f-1",
        Resource: KEY_ARN,
        ResourceType: "AWS::KMS::Key",
        Principal: { AWS: "999988887777" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Condition: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
        CreatedAt: "2024-05-01T12:00:00Z",
        UpdatedAt: "2024-05-02T12:00:00Z",
        Sources: [{ type: "POLICY" }],
      },
      { Analyzer: "external", Id: "f-2", Resource: "arn:aws:s3:::orders-data-111122223333", ResourceType: "AWS::S3::Bucket", Principal: { AWS: "*" }, Action: ["s3:GetObject"], IsPublic: true },
      { Analyzer: "external", Id: "f-3", Resource: "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321", ResourceType: "AWS::KMS::Key", Status: "ARCHIVED", Principal: { AWS: "444455556666" } },
      { Analyzer: "external", Id: "f-4", Resource: "arn:aws:kms:us-east-1:111122223333:key/aaaa", ResourceType: "AWS::KMS::Key", Error: "ACCESS_DENIED", CreatedAt: "now-3d" },
      { Analyzer: "external", Id: "f-5", Resource: "arn:aws:s3:::logs-111122223333", ResourceType: "AWS::S3::Bucket", Status: "RESOLVED", ResourceOwnerAccount: "555566667777" },
      { Analyzer: "external", Id: "f-6", Resource: "arn:aws:kms:us-east-1:111122223333:key/bbbb", ResourceType: "AWS::KMS::Key", Principal: { AWS: "999988887777" }, Condition: {} },
      { Analyzer: "org", Id: "f-eu", Resource: "arn:aws:kms:eu-west-1:111122223333:key/cccc", ResourceType: "AWS::KMS::Key" },
    ],
    PublicAccessChecks: [{ PolicyContains: "override-me", Result: "FAIL", Message: "Public through an access point." }],
  };
}

function snapshot(): AccountSnapshot {
  return { ...accountSnapshot(), AccessAnalyzer: accessAnalyzer() };
}

let fake: FakeAws;
beforeAll(async () => {
  fake = await startFakeAws({ snapshot: snapshot(), pageSize: 2 });
});
afterAll(async () => {
  await fake.close();
});

function client(on: FakeAws = fake, region = "us-east-1", maxAttempts = 1): AccessAnalyzerClient {
  return new AccessAnalyzerClient(clientConfig(on, region, maxAttempts));
}

async function withFake<T>(change: (s: AccountSnapshot) => void, options: Omit<FakeAwsOptions, "snapshot">, run: (fake: FakeAws) => Promise<T>): Promise<T> {
  const own = snapshot();
  change(own);
  const started = await startFakeAws({ ...options, snapshot: own });
  try {
    return await run(started);
  } finally {
    await started.close();
  }
}

describe("ListAnalyzers", () => {
  it("lists the analyzers of the signing region, with ARN, dates and status", async () => {
    const own = await startFakeAws({ snapshot: snapshot() });
    const aa = client(own);
    const out = await aa.send(new ListAnalyzersCommand({}));
    const eu = await client(own, "eu-west-1").send(new ListAnalyzersCommand({}));
    const west = await client(own, "us-west-2").send(new ListAnalyzersCommand({}));
    await own.close();
    expect(out.analyzers?.map((a) => [a.name, a.arn, a.type, a.status])).toEqual([
      ["external", US_ANALYZER, "ACCOUNT", "ACTIVE"],
      ["unused", `arn:aws:access-analyzer:us-east-1:${ACCOUNT}:analyzer/unused`, "ACCOUNT_UNUSED_ACCESS", "CREATING"],
    ]);
    expect(out.analyzers?.[0]?.createdAt).toEqual(new Date("2024-03-01T10:00:00Z"));
    expect(out.analyzers?.[0]?.lastResourceAnalyzedAt).toEqual(new Date("2024-06-01T08:00:00Z"));
    expect(out.analyzers?.[1]?.createdAt).toEqual(new Date("2024-01-15T09:30:00Z"));
    expect(eu.analyzers?.map((a) => a.arn)).toEqual([`arn:aws:access-analyzer:eu-west-1:${ACCOUNT}:analyzer/org`]);
    expect(west.analyzers).toEqual([]);
    expect(own.calls.map((c) => [c.service, c.operation, c.region, c.status])).toEqual([
      ["access-analyzer", "ListAnalyzers", "us-east-1", 200],
      ["access-analyzer", "ListAnalyzers", "eu-west-1", 200],
      ["access-analyzer", "ListAnalyzers", "us-west-2", 200],
    ]);
  });

  it("filters by type and rejects an unknown type", async () => {
    const aa = client();
    expect((await aa.send(new ListAnalyzersCommand({ type: "ACCOUNT_UNUSED_ACCESS" }))).analyzers?.map((a) => a.name)).toEqual(["unused"]);
    expect((await aa.send(new ListAnalyzersCommand({ type: "ORGANIZATION" }))).analyzers).toEqual([]);
    const error = await rejection(aa.send(new ListAnalyzersCommand({ type: "NOPE" as "ACCOUNT" })));
    expect(error).toBeInstanceOf(ValidationException);
  });
});

describe("ListFindingsV2", () => {
  const ids = async (input: Omit<ConstructorParameters<typeof ListFindingsV2Command>[0], "analyzerArn">) => {
    const pages: string[][] = [];
    for await (const page of paginateListFindingsV2({ client: client() }, { analyzerArn: US_ANALYZER, ...input })) pages.push((page.findings ?? []).map((f) => f.id ?? ""));
    return pages;
  };

  it("pages by the server's pageSize 2, in the snapshot's order", async () => {
    expect(await ids({})).toEqual([["f-1", "f-2"], ["f-3", "f-4"], ["f-5", "f-6"]]);
    expect(await ids({ maxResults: 1 })).toEqual([["f-1"], ["f-2"], ["f-3"], ["f-4"], ["f-5"], ["f-6"]]);
  });

  it("returns FindingSummaryV2 with RFC 3339 dates and the defaults", async () => {
    const out = await client().send(new ListFindingsV2Command({ analyzerArn: US_ANALYZER, filter: { id: { eq: ["f-1", "f-4", "f-5"] } } }));
    const [first, second] = out.findings ?? [];
    expect(first).toEqual({
      analyzedAt: new Date("2024-05-02T12:00:00Z"),
      createdAt: new Date("2024-05-01T12:00:00Z"),
      id: "f-1",
      resource: KEY_ARN,
      resourceType: "AWS::KMS::Key",
      resourceOwnerAccount: ACCOUNT,
      status: "ACTIVE",
      updatedAt: new Date("2024-05-02T12:00:00Z"),
      findingType: "ExternalAccess",
    });
    expect(second?.error).toBe("ACCESS_DENIED");
    expect(Math.abs((second?.createdAt?.getTime() ?? 0) - (Date.now() - 3 * 86_400_000))).toBeLessThan(60_000);
    expect(out.nextToken).toBeDefined();
    const rest = await client().send(new ListFindingsV2Command({ analyzerArn: US_ANALYZER, filter: { id: { eq: ["f-1", "f-4", "f-5"] } }, nextToken: out.nextToken }));
    expect(rest.findings?.map((f) => [f.id, f.resourceOwnerAccount, f.status])).toEqual([["f-5", "555566667777", "RESOLVED"]]);
    expect(rest.nextToken).toBeUndefined();
  });

  it("filters with eq, neq, contains and exists, across pages", async () => {
    expect(await ids({ filter: { resourceType: { eq: ["AWS::KMS::Key"] } } })).toEqual([["f-1", "f-3"], ["f-4", "f-6"]]);
    expect(await ids({ filter: { status: { eq: ["ACTIVE"] } } })).toEqual([["f-1", "f-2"], ["f-4", "f-6"]]);
    expect(await ids({ filter: { resourceType: { eq: ["AWS::KMS::Key"] }, status: { eq: ["ACTIVE"] } } })).toEqual([["f-1", "f-4"], ["f-6"]]);
    expect(await ids({ filter: { status: { neq: ["ACTIVE", "RESOLVED"] } } })).toEqual([["f-3"]]);
    expect(await ids({ filter: { resource: { contains: [":s3:::"] } } })).toEqual([["f-2", "f-5"]]);
    expect(await ids({ filter: { resourceOwnerAccount: { neq: [ACCOUNT] } } })).toEqual([["f-5"]]);
    expect(await ids({ filter: { isPublic: { eq: ["true"] } } })).toEqual([["f-2"]]);
    expect(await ids({ filter: { error: { exists: true } } })).toEqual([["f-4"]]);
    expect(await ids({ filter: { "principal.AWS": { eq: ["999988887777"] }, "condition.kms:ViaService": { exists: false } } })).toEqual([["f-6"]]);
    expect(await ids({ filter: { action: { eq: ["kms:GenerateDataKey"] } } })).toEqual([["f-1"]]);
    expect(await ids({ filter: { resourceType: { eq: ["AWS::SQS::Queue"] } } })).toEqual([[]]);
  });

  it("sorts by an attribute", async () => {
    const buckets = { resourceType: { eq: ["AWS::S3::Bucket"] } };
    // arn:aws:s3:::logs-… (f-5) sorts before arn:aws:s3:::orders-… (f-2).
    expect(await ids({ sort: { attributeName: "resource", orderBy: "ASC" }, filter: buckets })).toEqual([["f-5", "f-2"]]);
    expect(await ids({ sort: { attributeName: "resource", orderBy: "DESC" }, filter: buckets })).toEqual([["f-2", "f-5"]]);
    expect((await ids({ sort: { attributeName: "id", orderBy: "DESC" } })).flat()).toEqual(["f-6", "f-5", "f-4", "f-3", "f-2", "f-1"]);
  });

  it("rejects an unknown filter key or an empty criterion", async () => {
    const filters: Record<string, Criterion>[] = [{ colour: { eq: ["red"] } }, { status: {} }, { status: { eq: [] } }];
    for (const filter of filters) {
      const error = await rejection(client().send(new ListFindingsV2Command({ analyzerArn: US_ANALYZER, filter })));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error["reason"]).toBe("fieldValidationFailed");
    }
  });

  it("an unknown analyzer, or one of another region, is ResourceNotFoundException", async () => {
    for (const analyzerArn of [`arn:aws:access-analyzer:us-east-1:${ACCOUNT}:analyzer/nope`, `arn:aws:access-analyzer:eu-west-1:${ACCOUNT}:analyzer/org`]) {
      const error = await rejection(client().send(new ListFindingsV2Command({ analyzerArn })));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error["resourceId"]).toBe(analyzerArn);
      expect(error["resourceType"]).toBe("AWS::AccessAnalyzer::Analyzer");
      expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(404);
    }
    const eu = await client(fake, "eu-west-1").send(new ListFindingsV2Command({ analyzerArn: `arn:aws:access-analyzer:eu-west-1:${ACCOUNT}:analyzer/org` }));
    expect(eu.findings?.map((f) => f.id)).toEqual(["f-eu"]);
    expect(fake.calls.at(-1)).toMatchObject({ operation: "ListFindingsV2", resource: `arn:aws:access-analyzer:eu-west-1:${ACCOUNT}:analyzer/org`, status: 200 });
  });
});

describe("GetFindingV2", () => {
  it("returns the finding with its externalAccessDetails", async () => {
    const out = await client().send(new GetFindingV2Command({ analyzerArn: US_ANALYZER, id: "f-1" }));
    expect(out).toMatchObject({
      id: "f-1",
      resource: KEY_ARN,
      resourceType: "AWS::KMS::Key",
      resourceOwnerAccount: ACCOUNT,
      status: "ACTIVE",
      findingType: "ExternalAccess",
      createdAt: new Date("2024-05-01T12:00:00Z"),
      updatedAt: new Date("2024-05-02T12:00:00Z"),
      analyzedAt: new Date("2024-05-02T12:00:00Z"),
    });
    expect(out.nextToken).toBeUndefined();
    expect(out.findingDetails).toEqual([
      {
        externalAccessDetails: {
          action: ["kms:Decrypt", "kms:GenerateDataKey"],
          condition: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
          isPublic: false,
          principal: { AWS: "999988887777" },
          sources: [{ type: "POLICY" }],
        },
      },
    ]);
    const publicOne = await client().send(new GetFindingV2Command({ analyzerArn: US_ANALYZER, id: "f-2" }));
    expect(publicOne.findingDetails?.[0]?.externalAccessDetails).toEqual({ action: ["s3:GetObject"], condition: {}, isPublic: true, principal: { AWS: "*" } });
    expect(fake.calls.at(-1)).toMatchObject({ service: "access-analyzer", operation: "GetFindingV2", resource: "f-2", status: 200 });
  });

  it("an unknown finding is ResourceNotFoundException", async () => {
    const error = await rejection(client().send(new GetFindingV2Command({ analyzerArn: US_ANALYZER, id: "f-eu" })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error["resourceId"]).toBe("f-eu");
  });
});

/** Line (from 1) and column (from 0) → offset, counted here from the text itself. */
function offsetOf(text: string, line: number, column: number): number {
  return text.split("\n").slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + column;
}

function span(text: string, start: [number, number], end: [number, number]) {
  return {
    start: { line: start[0], column: start[1], offset: offsetOf(text, start[0], start[1]) },
    end: { line: end[0], column: end[1], offset: offsetOf(text, end[0], end[1]) },
  };
}

const LINK = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-";

const POLICY = `{
  "Statement": [
    {
      "Sid": "Use",
      "Effect": "Allow",
      "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["kms:Decrypt", "kms:Decrpyt"],
      "Resource": "*"
    },
    {
      "Sid": "Use",
      "Effect": "Allow",
      "Action": "kms:Encrypt",
      "Resource": "*"
    }
  ]
}`;

describe("ValidatePolicy", () => {
  const validate = async (policyDocument: string, policyType: "RESOURCE_POLICY" | "IDENTITY_POLICY" = "RESOURCE_POLICY") => {
    const findings: ValidatePolicyFinding[] = [];
    for await (const page of paginateValidatePolicy({ client: client() }, { policyDocument, policyType })) findings.push(...(page.findings ?? []));
    return findings;
  };

  it("reports each check with its issue code, type, path and span into the exact text", async () => {
    const findings = await validate(POLICY);
    const byCode = (code: string) => findings.filter((f) => f.issueCode === code);
    expect(findings.map((f) => f.issueCode)).toEqual(["MISSING_VERSION", "ALLOW_WITH_NOT_PRINCIPAL", "INVALID_ACTION", "MISSING_PRINCIPAL", "UNIQUE_SIDS_RECOMMENDED"]);

    expect(byCode("MISSING_VERSION")).toEqual([
      {
        findingDetails: "We recommend that you specify the Version element to help you with debugging permission issues.",
        findingType: "WARNING",
        issueCode: "MISSING_VERSION",
        learnMoreLink: `${LINK}general-warning-missing-version`,
        locations: [{ path: [], span: { start: { line: 1, column: 0, offset: 0 }, end: { line: 17, column: 1, offset: POLICY.length } } }],
      },
    ]);
    expect(byCode("ALLOW_WITH_NOT_PRINCIPAL")).toEqual([
      {
        findingDetails: "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.",
        findingType: "SECURITY_WARNING",
        issueCode: "ALLOW_WITH_NOT_PRINCIPAL",
        learnMoreLink: `${LINK}security-warning-allow-with-not-principal`,
        locations: [{ path: [{ value: "Statement" }, { index: 0 }, { key: "NotPrincipal" }], span: span(POLICY, [6, 6], [6, 20]) }],
      },
    ]);
    expect(byCode("INVALID_ACTION")).toEqual([
      {
        findingDetails: "The action kms:Decrpyt does not exist. Did you mean kms:Decrypt?",
        findingType: "ERROR",
        issueCode: "INVALID_ACTION",
        learnMoreLink: `${LINK}error-invalid-action`,
        locations: [{ path: [{ value: "Statement" }, { index: 0 }, { value: "Action" }, { index: 1 }], span: span(POLICY, [7, 32], [7, 45]) }],
      },
    ]);
    expect(byCode("MISSING_PRINCIPAL")).toEqual([
      {
        findingDetails: "Add a Principal element to the policy statement.",
        findingType: "ERROR",
        issueCode: "MISSING_PRINCIPAL",
        learnMoreLink: `${LINK}error-missing-principal`,
        locations: [{ path: [{ value: "Statement" }, { index: 1 }], span: span(POLICY, [10, 4], [15, 5]) }],
      },
    ]);
    expect(byCode("UNIQUE_SIDS_RECOMMENDED")).toEqual([
      {
        findingDetails: "We recommend that you use statement IDs that are unique to your policy. Update the Sid value.",
        findingType: "WARNING",
        issueCode: "UNIQUE_SIDS_RECOMMENDED",
        learnMoreLink: `${LINK}general-warning-unique-sids-recommended`,
        locations: [{ path: [{ value: "Statement" }, { index: 1 }, { value: "Sid" }], span: span(POLICY, [11, 13], [11, 18]) }],
      },
    ]);
    // The spans cut exactly the text they name.
    const cut = (f: ValidatePolicyFinding | undefined) => POLICY.slice(f?.locations?.[0]?.span?.start?.offset, f?.locations?.[0]?.span?.end?.offset);
    expect(cut(byCode("ALLOW_WITH_NOT_PRINCIPAL")[0])).toBe('"NotPrincipal"');
    expect(cut(byCode("INVALID_ACTION")[0])).toBe('"kms:Decrpyt"');
    expect(cut(byCode("UNIQUE_SIDS_RECOMMENDED")[0])).toBe('"Use"');
    expect(cut(byCode("MISSING_PRINCIPAL")[0])).toMatch(/^\{\n {6}"Sid": "Use",[\s\S]*"Resource": "\*"\n {4}\}$/);
  });

  it("pages its findings (server pageSize 2)", async () => {
    const out = await client().send(new ValidatePolicyCommand({ policyDocument: POLICY, policyType: "RESOURCE_POLICY" }));
    expect(out.findings).toHaveLength(2);
    expect(out.nextToken).toBeDefined();
  });

  it("MISSING_PRINCIPAL only for resource policies; a single Statement object and a string Action", async () => {
    const text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "KMS:decrypt", "NotAction": "kms:Nothing", "Resource": "*"}}';
    expect(await validate(text, "IDENTITY_POLICY")).toEqual([
      expect.objectContaining({
        issueCode: "INVALID_ACTION",
        findingDetails: "The action kms:Nothing does not exist.",
        locations: [{ path: [{ value: "Statement" }, { value: "NotAction" }], span: span(text, [1, 97], [1, 110]) }],
      }),
    ]);
    expect((await validate(text)).map((f) => [f.issueCode, f.locations?.[0]?.path])).toEqual([
      ["MISSING_PRINCIPAL", [{ value: "Statement" }]],
      ["INVALID_ACTION", [{ value: "Statement" }, { value: "NotAction" }]],
    ]);
  });

  it("a clean policy has no findings; wildcards and valid actions are not flagged", async () => {
    const text = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: ["kms:*", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext", "s3:GetObjectt"], Resource: "*" }] }, null, 2);
    expect(await validate(text)).toEqual([]);
  });

  it("malformed JSON is one JSON_SYNTAX_ERROR at the character where parsing stopped", async () => {
    const text = '{\n  "Version": "2012-10-17",\n  "Statement": [}\n}';
    expect(await validate(text)).toEqual([
      {
        findingDetails: "Fix the JSON syntax error at index 45 line 3 column 16.",
        findingType: "ERROR",
        issueCode: "JSON_SYNTAX_ERROR",
        learnMoreLink: `${LINK}error-json-syntax-error`,
        locations: [{ path: [], span: { start: { line: 3, column: 16, offset: 45 }, end: { line: 3, column: 17, offset: 46 } } }],
      },
    ]);
    expect(text[45]).toBe("}");
    const truncated = await validate('{"Version": "2012-10-17"');
    expect(truncated[0]?.locations?.[0]?.span).toEqual({ start: { line: 1, column: 24, offset: 24 }, end: { line: 1, column: 24, offset: 24 } });
  });

  it("checks its request", async () => {
    const error = await rejection(client().send(new ValidatePolicyCommand({ policyDocument: "{}", policyType: "IDENTITY_POLICY", validatePolicyResourceType: "AWS::S3::Bucket" })));
    expect(error).toBeInstanceOf(ValidationException);
    expect(await rejection(client().send(new ValidatePolicyCommand({ policyDocument: "{}", policyType: "BAD" as "IDENTITY_POLICY" })))).toBeInstanceOf(ValidationException);
  });
});

describe("the position parser", () => {
  it("accepts what JSON.parse accepts and rejects what it rejects", () => {
    const good = ['{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', " [ ] ", '"s"', "0", '{"a":{"b":{}}}'];
    const bad = ["", "{", '{"a" 1}', "[1,]", '{"a":1,}', "01", '"\\x"', '"a\tb"', "tru", "[1] 2", "{'a':1}", '"\\u12G4"'];
    for (const text of good) expect(() => parseJsonWithPositions(text), text).not.toThrow();
    for (const text of bad) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(() => parseJsonWithPositions(text), text).toThrow();
    }
    const root = parseJsonWithPositions('  {"k": "v"}  ');
    expect([root.start, root.end]).toEqual([2, 12]);
  });
});

describe("CheckNoPublicAccess", () => {
  const check = (policy: unknown, resourceType: "AWS::KMS::Key" | "AWS::S3::Bucket" = "AWS::KMS::Key") =>
    client().send(new CheckNoPublicAccessCommand({ policyDocument: typeof policy === "string" ? policy : JSON.stringify(policy), resourceType }));

  it("FAIL for an unconditioned Allow to * or with NotPrincipal, with a reason per statement", async () => {
    const out = await check({
      Version: "2012-10-17",
      Statement: [
        { Sid: "Account", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
        { Sid: "Everyone", Effect: "Allow", Principal: { AWS: ["arn:aws:iam::111122223333:root", "*"] }, Action: "kms:Decrypt", Resource: "*" },
        { Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:Decrypt", Resource: "*" },
        { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" },
      ],
    });
    expect(out.result).toBe("FAIL");
    expect(out.message).toBe("The resource policy grants public access for the given resource type.");
    expect(out.reasons?.map((r) => [r.statementIndex, r.statementId])).toEqual([
      [1, "Everyone"],
      [2, undefined],
    ]);
  });

  it("PASS when the public statement has a condition, or no statement is public", async () => {
    const conditioned = await check(
      { Statement: { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } } },
      "AWS::S3::Bucket",
    );
    expect(conditioned).toMatchObject({ result: "PASS", message: "The resource policy does not grant public access for the given resource type.", reasons: [] });
    const open = await check({ Statement: { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: {} } }, "AWS::S3::Bucket");
    expect(open.result).toBe("FAIL");
    expect(open.reasons?.[0]?.statementIndex).toBe(0);
  });

  it("the snapshot's PublicAccessChecks override by substring", async () => {
    const out = await check({ Statement: { Sid: "override-me", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" } });
    expect(out).toMatchObject({ result: "FAIL", message: "Public through an access point.", reasons: [] });
  });

  it("malformed JSON and an unknown resource type are ValidationException", async () => {
    const error = await rejection(check("{not json"));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error["reason"]).toBe("cannotParse");
    expect(await rejection(check("{}", "AWS::Nope" as "AWS::KMS::Key"))).toBeInstanceOf(ValidationException);
  });
});

describe("faults", () => {
  it("AccessDenied is a 403 AccessDeniedException for the analyzer named by ARN or name", async () => {
    await withFake((s) => (s.Faults = [{ Operation: "ListFindingsV2", Resource: "external", Error: "AccessDenied" }]), {}, async (own) => {
      const error = await rejection(client(own).send(new ListFindingsV2Command({ analyzerArn: US_ANALYZER })));
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect((error.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(403);
      expect(error.message).toBe(
        `User: arn:aws:sts::111122223333:assumed-role/SecurityAudit/alice is not authorized to perform: access-analyzer:ListFindings on resource: ${US_ANALYZER} because no resource-based policy allows the access-analyzer:ListFindings action`,
      );
      // Other operations are not affected.
      expect((await client(own).send(new GetFindingV2Command({ analyzerArn: US_ANALYZER, id: "f-1" }))).id).toBe("f-1");
      expect(own.calls.map((c) => [c.operation, c.status, c.errorCode])).toEqual([
        ["ListFindingsV2", 403, "AccessDeniedException"],
        ["GetFindingV2", 200, undefined],
      ]);
    });
  });

  it("Throttling is a 429 ThrottlingException that the SDK retries", async () => {
    await withFake((s) => (s.Faults = [{ Operation: "ValidatePolicy", Error: "Throttling", Count: 2 }]), {}, async (own) => {
      const once = await rejection(client(own).send(new ValidatePolicyCommand({ policyDocument: "{}", policyType: "IDENTITY_POLICY" })));
      expect(once).toBeInstanceOf(ThrottlingException);
      const out = await client(own, "us-east-1", 3).send(new ValidatePolicyCommand({ policyDocument: "{}", policyType: "IDENTITY_POLICY" }));
      expect(out.findings?.map((f) => f.issueCode)).toEqual(["MISSING_VERSION"]);
      expect(out.$metadata.attempts).toBe(2);
      expect(own.calls.map((c) => [c.service, c.operation, c.status, c.errorCode])).toEqual([
        ["access-analyzer", "ValidatePolicy", 429, "ThrottlingException"],
        ["access-analyzer", "ValidatePolicy", 429, "ThrottlingException"],
        ["access-analyzer", "ValidatePolicy", 200, undefined],
      ]);
    });
  });

  it("Throttling with Count 2 on a fresh client: success on the third attempt", async () => {
    await withFake((s) => (s.Faults = [{ Operation: "ListAnalyzers", Error: "Throttling", Count: 2 }]), { latencyMs: 5 }, async (own) => {
      const out = await client(own, "us-east-1", 3).send(new ListAnalyzersCommand({}));
      expect(out.$metadata.attempts).toBe(3);
      expect(out.analyzers).toHaveLength(2);
      expect(own.calls.map((c) => c.status)).toEqual([429, 429, 200]);
      expect(own.calls.every((c) => c.durationMs >= 4)).toBe(true);
    });
  });
});

describe("snapshot checks", () => {
  const base = (): Record<string, unknown> => JSON.parse(JSON.stringify(snapshot())) as Record<string, unknown>;
  const section = (s: Record<string, unknown>) => s["AccessAnalyzer"] as Record<string, Record<string, unknown>[]>;
  const cases: [string, (s: Record<string, unknown>) => void, string][] = [
    ["not an object", (s) => (s["AccessAnalyzer"] = []), "AccessAnalyzer must be an object"],
    ["a bad analyzer region", (s) => (section(s)["Analyzers"]![0]!["Region"] = "east"), 'AccessAnalyzer.Analyzers[0].Region must be a region name like us-east-1, not "east"'],
    ["a bad analyzer type", (s) => (section(s)["Analyzers"]![1]!["Type"] = "INTERNAL"), 'AccessAnalyzer.Analyzers[1].Type must be one of ACCOUNT, ORGANIZATION, ACCOUNT_UNUSED_ACCESS, ORGANIZATION_UNUSED_ACCESS, not "INTERNAL"'],
    ["a repeated analyzer", (s) => (section(s)["Analyzers"]![1]!["Name"] = "external"), 'AccessAnalyzer.Analyzers[1].Name repeats the analyzer name "external" in us-east-1'],
    ["a bad date", (s) => (section(s)["Analyzers"]![0]!["CreatedAt"] = "soon"), 'AccessAnalyzer.Analyzers[0].CreatedAt must be a date (ISO 8601 text, a time relative to now such as "now+12d", or epoch seconds), not "soon"'],
    ["a finding of no analyzer", (s) => (section(s)["Findings"]![0]!["Analyzer"] = "ghost"), 'AccessAnalyzer.Findings[0].Analyzer names no analyzer of AccessAnalyzer.Analyzers: "ghost"'],
    ["a finding of an unused-access analyzer", (s) => (section(s)["Findings"]![0]!["Analyzer"] = "unused"), 'AccessAnalyzer.Findings[0].Analyzer must name an external-access analyzer (Type ACCOUNT or ORGANIZATION): "unused"'],
    ["a finding in the wrong region", (s) => (section(s)["Findings"]![6]!["Region"] = "us-east-1"), 'AccessAnalyzer.Findings[6].Analyzer names no analyzer of AccessAnalyzer.Analyzers in us-east-1: "org"'],
    ["a repeated finding id", (s) => (section(s)["Findings"]![1]!["Id"] = "f-1"), 'AccessAnalyzer.Findings[1].Id repeats the finding id "f-1" of analyzer "external"'],
    ["a finding without resource type", (s) => delete section(s)["Findings"]![2]!["ResourceType"], "AccessAnalyzer.Findings[2].ResourceType must be a non-empty string"],
    ["a bad finding status", (s) => (section(s)["Findings"]![2]!["Status"] = "OPEN"), 'AccessAnalyzer.Findings[2].Status must be one of ACTIVE, ARCHIVED, RESOLVED, not "OPEN"'],
    ["a principal with a list", (s) => (section(s)["Findings"]![0]!["Principal"] = { AWS: ["1"] }), 'AccessAnalyzer.Findings[0].Principal["AWS"] must be a string'],
    ["IsPublic not boolean", (s) => (section(s)["Findings"]![0]!["IsPublic"] = "yes"), "AccessAnalyzer.Findings[0].IsPublic must be true or false"],
    ["a bad owner account", (s) => (section(s)["Findings"]![0]!["ResourceOwnerAccount"] = "12"), 'AccessAnalyzer.Findings[0].ResourceOwnerAccount must be a 12-digit account id, not "12"'],
    ["a bad check result", (s) => (section(s)["PublicAccessChecks"]![0]!["Result"] = "MAYBE"), 'AccessAnalyzer.PublicAccessChecks[0].Result must be one of PASS, FAIL, not "MAYBE"'],
    ["a check without substring", (s) => (section(s)["PublicAccessChecks"]![0]!["PolicyContains"] = ""), "AccessAnalyzer.PublicAccessChecks[0].PolicyContains must be a non-empty string"],
  ];
  for (const [name, change, message] of cases) {
    it(`says which field is wrong: ${name}`, () => {
      const s = base();
      change(s);
      expect(() => validateSnapshot(s, "test")).toThrow(new Error(`Invalid snapshot test: ${message}`));
    });
  }

  it("accepts the section and its absence", () => {
    expect(() => validateSnapshot(base(), "test")).not.toThrow();
    expect(() => validateSnapshot(accountSnapshot(), "test")).not.toThrow();
  });
});
