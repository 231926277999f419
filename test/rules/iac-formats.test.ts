/**
 * Each infrastructure-as-code rule on the three inputs it reads: a CloudFormation template in YAML, the same
 * template in JSON, and a Terraform plan of the same resources. Every case asserts the rule, the resource the
 * finding names, and the line and column it points at, found in the text by the element it must point at
 * (so that a finding one element off fails).
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { lintSource } from "../../src/cli/lint-task.js";

const OWNER = "111122223333";
const PARTNER = "444455556666";

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>; Parameters?: Record<string, unknown> };

interface PlanResource {
  address: string;
  type: string;
  values: Record<string, unknown>;
  unknown?: Record<string, unknown>;
  references?: Record<string, string[]>;
}

/** A `terraform show -json` plan of these resources (root module; references for the attributes named). */
function planText(resources: PlanResource[]): string {
  const name = (r: PlanResource) => r.address.split(".").pop()!;
  const plan = {
    format_version: "1.2",
    terraform_version: "1.9.8",
    planned_values: { root_module: { resources: resources.map((r) => ({ address: r.address, mode: "managed", type: r.type, name: name(r), provider_name: "registry.terraform.io/hashicorp/aws", schema_version: 0, values: r.values, sensitive_values: {} })) } },
    resource_changes: resources.map((r) => ({ address: r.address, mode: "managed", type: r.type, name: name(r), change: { actions: ["create"], before: null, after: r.values, after_unknown: { arn: true, id: true, ...r.unknown } } })),
    configuration: {
      root_module: {
        resources: resources.map((r) => ({
          address: r.address,
          mode: "managed",
          type: r.type,
          name: name(r),
          expressions: Object.fromEntries(Object.entries(r.references ?? {}).map(([attribute, refs]) => nest(attribute.split("."), { references: refs }))),
        })),
      },
    },
  };
  return JSON.stringify(plan, null, 2);
}

/** `rule.apply_server_side_encryption_by_default.kms_master_key_id` as Terraform nests block expressions. */
function nest(path: string[], leaf: unknown): [string, unknown] {
  const [head, ...rest] = path;
  if (rest.length === 0) return [head!, leaf];
  const [k, v] = nest(rest, leaf);
  return [head!, [{ [k]: v }]];
}

/** 1-based line and column of `value` on the first line (at or after `from`) that contains `anchor`. */
function at(text: string, anchor: string, value: string, from = 0): string {
  const lines = text.split("\n");
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    const a = line.indexOf(anchor);
    if (a === -1) continue;
    const v = line.indexOf(value, a);
    if (v === -1) throw new Error(`"${value}" is not after "${anchor}" on line ${i + 1}`);
    return `${i + 1}:${v + 1}`;
  }
  throw new Error(`no line has "${anchor}"`);
}

/** A plan's policy is one string on one line: the column of `value` after `inner` inside the `"policy"` line of `address`. */
function inPolicy(text: string, address: string, inner: string, value: string): string {
  const lines = text.split("\n");
  const from = lines.findIndex((l) => l.includes(`"address": "${address}"`));
  const index = lines.findIndex((l, i) => i >= from && l.includes('"policy":'));
  const line = lines[index]!;
  return `${index + 1}:${line.indexOf(value, line.indexOf(inner)) + 1}`;
}

/** The line index of the first line containing `text`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle));

async function findings(text: string, path: string, rule: string, trust: { account?: string; trustedAccounts?: string[] } = { account: OWNER }): Promise<string[]> {
  const result = await lintSource(Buffer.from(text), path, { trust: { trustedAccounts: [], ...trust } });
  return result!.findings.filter((f) => f.ruleId === rule).map((f) => `${f.resource} ${f.range.start.line}:${f.range.start.column} ${f.severity}`);
}

const rootStatement = { Sid: "Root", Effect: "Allow", Principal: { AWS: { "Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root" } }, Action: "kms:*", Resource: "*" };
const rootStatementPlan = { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OWNER}:root` }, Action: "kms:*", Resource: "*" };
const keyPolicy = (...extra: object[]) => ({ Version: "2012-10-17", Statement: [rootStatement, ...extra] });
const keyPolicyPlan = (...extra: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: [rootStatementPlan, ...extra] });
const keyValues = (values: Record<string, unknown>) => ({ customer_master_key_spec: "SYMMETRIC_DEFAULT", key_usage: "ENCRYPT_DECRYPT", is_enabled: true, multi_region: false, enable_key_rotation: true, rotation_period_in_days: 365, ...values });

const partnerReads = { Sid: "PartnerReads", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PARTNER}:root` }, Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::amzn-s3-demo-bucket/*" };
const bucketPolicy = { Version: "2012-10-17", Statement: [partnerReads] };

function sharedBucketTemplate(keyId: unknown, withKey: boolean): Template {
  return {
    Resources: {
      ...(withKey ? { DataKey: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, KeyPolicy: keyPolicy() } } } : {}),
      DataBucket: {
        Type: "AWS::S3::Bucket",
        Properties: {
          BucketName: "amzn-s3-demo-bucket",
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", ...(keyId === undefined ? {} : { KMSMasterKeyID: keyId }) } }] },
        },
      },
      DataBucketPolicy: { Type: "AWS::S3::BucketPolicy", Properties: { Bucket: { Ref: "DataBucket" }, PolicyDocument: bucketPolicy } },
    },
  };
}

function sharedBucketPlan(keyReference: string | undefined, withKey: boolean): string {
  const resources: PlanResource[] = [];
  if (withKey) resources.push({ address: "aws_kms_key.data", type: "aws_kms_key", values: keyValues({ policy: keyPolicyPlan() }) });
  resources.push(
    { address: "aws_s3_bucket.data", type: "aws_s3_bucket", values: { bucket: "amzn-s3-demo-bucket" } },
    {
      address: "aws_s3_bucket_server_side_encryption_configuration.data",
      type: "aws_s3_bucket_server_side_encryption_configuration",
      values: { rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms" }], bucket_key_enabled: false }] },
      unknown: { bucket: true, ...(keyReference ? { rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: true }] }] } : {}) },
      references: { bucket: ["aws_s3_bucket.data.id", "aws_s3_bucket.data"], ...(keyReference ? { "rule.apply_server_side_encryption_by_default.kms_master_key_id": [keyReference, "aws_kms_key.data"] } : {}) },
    },
    { address: "aws_s3_bucket_policy.data", type: "aws_s3_bucket_policy", values: { policy: JSON.stringify(bucketPolicy) }, unknown: { bucket: true }, references: { bucket: ["aws_s3_bucket.data.id", "aws_s3_bucket.data"] } },
  );
  return planText(resources);
}

/** The three inputs of one scenario, and where each must point. */
interface Scenario {
  yaml: string;
  json: string;
  plan: string;
}

function scenario(template: Template, plan: string): Scenario {
  return { yaml: stringify(template), json: JSON.stringify(template, null, 2), plan };
}

describe("rotation-disabled", () => {
  const s = scenario(
    { Resources: { DataKey: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: false, KeyPolicy: keyPolicy() } } } },
    planText([{ address: "aws_kms_key.data", type: "aws_kms_key", values: keyValues({ enable_key_rotation: false, policy: keyPolicyPlan() }) }]),
  );
  it("CloudFormation YAML", async () => expect(await findings(s.yaml, "t.yaml", "rotation-disabled")).toEqual([`DataKey ${at(s.yaml, "EnableKeyRotation:", "false")} warning`]));
  it("CloudFormation JSON", async () => expect(await findings(s.json, "t.json", "rotation-disabled")).toEqual([`DataKey ${at(s.json, '"EnableKeyRotation":', "false")} warning`]));
  it("Terraform plan", async () => expect(await findings(s.plan, "p.json", "rotation-disabled")).toEqual([`aws_kms_key.data ${at(s.plan, '"enable_key_rotation":', "false")} warning`]));
});

describe("rotation-period and invalid-policy (period out of range)", () => {
  const period = (days: number) =>
    scenario(
      { Resources: { DataKey: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, RotationPeriodInDays: days, KeyPolicy: keyPolicy() } } } },
      planText([{ address: "aws_kms_key.data", type: "aws_kms_key", values: keyValues({ rotation_period_in_days: days, policy: keyPolicyPlan() }) }]),
    );
  const long = period(730);
  const invalid = period(3000);
  it("CloudFormation YAML", async () => {
    expect(await findings(long.yaml, "t.yaml", "rotation-period")).toEqual([`DataKey ${at(long.yaml, "RotationPeriodInDays:", "730")} warning`]);
    expect(await findings(invalid.yaml, "t.yaml", "invalid-policy")).toEqual([`DataKey ${at(invalid.yaml, "RotationPeriodInDays:", "3000")} error`]);
  });
  it("CloudFormation JSON", async () => {
    expect(await findings(long.json, "t.json", "rotation-period")).toEqual([`DataKey ${at(long.json, '"RotationPeriodInDays":', "730")} warning`]);
    expect(await findings(invalid.json, "t.json", "invalid-policy")).toEqual([`DataKey ${at(invalid.json, '"RotationPeriodInDays":', "3000")} error`]);
  });
  it("Terraform plan", async () => {
    expect(await findings(long.plan, "p.json", "rotation-period")).toEqual([`aws_kms_key.data ${at(long.plan, '"rotation_period_in_days":', "730")} warning`]);
    expect(await findings(invalid.plan, "p.json", "invalid-policy")).toEqual([`aws_kms_key.data ${at(invalid.plan, '"rotation_period_in_days":', "3000")} error`]);
  });
});

describe("aws-managed-key-on-shared-bucket", () => {
  const awsManaged = scenario(sharedBucketTemplate(undefined, false), sharedBucketPlan(undefined, false));
  const byKeyId = scenario(sharedBucketTemplate({ Ref: "DataKey" }, true), sharedBucketPlan("aws_kms_key.data.key_id", true));
  const trust = { account: OWNER, trustedAccounts: [PARTNER] };
  it("CloudFormation YAML", async () => {
    expect(await findings(awsManaged.yaml, "t.yaml", "aws-managed-key-on-shared-bucket", trust)).toEqual([`DataBucket ${at(awsManaged.yaml, "SSEAlgorithm:", "aws:kms")} error`]);
    expect(await findings(byKeyId.yaml, "t.yaml", "aws-managed-key-on-shared-bucket", trust)).toEqual([`DataBucket ${at(byKeyId.yaml, "SSEAlgorithm:", "aws:kms")} warning`]);
  });
  it("CloudFormation JSON", async () => {
    expect(await findings(awsManaged.json, "t.json", "aws-managed-key-on-shared-bucket", trust)).toEqual([`DataBucket ${at(awsManaged.json, '"SSEAlgorithm":', '"aws:kms"')} error`]);
    expect(await findings(byKeyId.json, "t.json", "aws-managed-key-on-shared-bucket", trust)).toEqual([`DataBucket ${at(byKeyId.json, '"SSEAlgorithm":', '"aws:kms"')} warning`]);
  });
  it("Terraform plan", async () => {
    const sse = "aws_s3_bucket_server_side_encryption_configuration.data";
    expect(await findings(awsManaged.plan, "p.json", "aws-managed-key-on-shared-bucket", trust)).toEqual([`${sse} ${at(awsManaged.plan, '"sse_algorithm":', '"aws:kms"')} error`]);
    expect(await findings(byKeyId.plan, "p.json", "aws-managed-key-on-shared-bucket", trust)).toEqual([`${sse} ${at(byKeyId.plan, '"sse_algorithm":', '"aws:kms"')} warning`]);
  });
});

describe("bucket-key-mismatch", () => {
  // The key is named by ARN and its policy lets only its own account use it; the bucket policy shares with the partner.
  const s = scenario(sharedBucketTemplate({ "Fn::GetAtt": ["DataKey", "Arn"] }, true), sharedBucketPlan("aws_kms_key.data.arn", true));
  const trust = { account: OWNER, trustedAccounts: [PARTNER] };
  const principal = `arn:aws:iam::${PARTNER}:root`;
  it("CloudFormation YAML", async () =>
    expect(await findings(s.yaml, "t.yaml", "bucket-key-mismatch", trust)).toEqual([`DataBucketPolicy ${at(s.yaml, "AWS:", principal, lineOf(s.yaml, "Sid: PartnerReads"))} warning`]));
  it("CloudFormation JSON", async () =>
    expect(await findings(s.json, "t.json", "bucket-key-mismatch", trust)).toEqual([`DataBucketPolicy ${at(s.json, '"AWS":', `"${principal}"`, lineOf(s.json, '"DataBucketPolicy"'))} warning`]));
  it("Terraform plan", async () =>
    expect(await findings(s.plan, "p.json", "bucket-key-mismatch", trust)).toEqual([`aws_s3_bucket_policy.data ${inPolicy(s.plan, "aws_s3_bucket_policy.data", "AWS", `\\"${principal}`)} warning`]));
});

describe("unresolved-value", () => {
  const reader = { Sid: "Reader", Effect: "Allow", Principal: { AWS: { Ref: "ReaderArn" } }, Action: "kms:Decrypt", Resource: "*" };
  const template: Template = { Parameters: { ReaderArn: { Type: "String" } }, Resources: { DataKey: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, KeyPolicy: keyPolicy(reader) } } } };
  const plan = planText([{ address: "aws_kms_key.data", type: "aws_kms_key", values: keyValues({}), unknown: { policy: true }, references: { policy: ["aws_iam_role.reader.arn", "aws_iam_role.reader"] } }]);
  const s = scenario(template, plan);
  it("CloudFormation YAML: at the Ref", async () => {
    expect(await findings(s.yaml, "t.yaml", "unresolved-value")).toEqual([`DataKey ${at(s.yaml, "Ref: ReaderArn", "Ref")} info`]);
  });
  it("CloudFormation JSON: at the Ref", async () => {
    const from = s.json.split("\n").findIndex((l) => l.includes('"Sid": "Reader"'));
    expect(await findings(s.json, "t.json", "unresolved-value")).toEqual([`DataKey ${at(s.json, '"AWS":', "{", from)} info`]);
  });
  it("Terraform plan: at the resource, the policy being absent until apply", async () =>
    expect(await findings(s.plan, "p.json", "unresolved-value")).toEqual([`aws_kms_key.data ${at(s.plan, '"address":', '"aws_kms_key.data"')} info`]));
});

describe("policy rules inside templates and plans (public-access)", () => {
  const open = { Sid: "Open", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" };
  const s = scenario(
    { Resources: { DataKey: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, KeyPolicy: keyPolicy(open) } } } },
    planText([{ address: "aws_kms_key.data", type: "aws_kms_key", values: keyValues({ policy: keyPolicyPlan(open) }) }]),
  );
  it("CloudFormation YAML", async () => {
    const from = s.yaml.split("\n").findIndex((l) => l.includes("Sid: Open"));
    expect(await findings(s.yaml, "t.yaml", "public-access")).toEqual([`DataKey ${at(s.yaml, "AWS:", '"*"', from)} error`]);
  });
  it("CloudFormation JSON", async () => {
    const from = s.json.split("\n").findIndex((l) => l.includes('"Sid": "Open"'));
    expect(await findings(s.json, "t.json", "public-access")).toEqual([`DataKey ${at(s.json, '"AWS":', '"*"', from)} error`]);
  });
  it("Terraform plan: inside the policy string", async () => expect(await findings(s.plan, "p.json", "public-access")).toEqual([`aws_kms_key.data ${inPolicy(s.plan, "aws_kms_key.data", "Open", '\\"*\\"')} error`]));
});
