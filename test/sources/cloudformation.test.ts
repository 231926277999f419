import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STACK_ACCOUNT, lintInventory, type Finding } from "../../src/engine/linter.js";
import type { Range } from "../../src/model/json.js";
import type { Inventory, InventoryPolicy, SourceContext } from "../../src/model/inventory.js";
import { detectSourceFormat } from "../../src/model/kind.js";
import { loadCloudFormationJson } from "../../src/sources/cfn-json.js";
import { loadCloudFormationYaml, loadYamlParser } from "../../src/sources/cfn-yaml.js";

await loadYamlParser();

const CONTEXT: SourceContext = { trust: { trustedAccounts: [] } };
const OWNER = "111122223333";
const REGION = "\u00abregion\u00bb";

const fixturePath = (name: string) => join(import.meta.dirname, "fixtures", "cfn", name);
const fixture = (name: string) => readFileSync(fixturePath(name), "utf8");

/** A template from lines, so that line N of the text is argument N. */
const lines = (...text: string[]) => `${text.join("\n")}\n`;

function fromYaml(text: string, context: SourceContext = CONTEXT): Inventory {
  const inventory = loadCloudFormationYaml(text, "template.yaml", context);
  if (!inventory) throw new Error("not read as a template");
  return inventory;
}

const fromJson = (text: string, context: SourceContext = CONTEXT) => loadCloudFormationJson(text, "template.json", context);

/** [line, column] where a range starts. */
const at = (range: Range) => [range.start.line, range.start.column];
const span = (range: Range) => [range.start.line, range.start.column, range.end.line, range.end.column];

function policyOf(inventory: Inventory, address: string): InventoryPolicy {
  const policy = inventory.policies.find((p) => p.resource.address === address);
  if (!policy) throw new Error(`no policy for ${address}`);
  return policy;
}

function documentOf(inventory: Inventory, address: string) {
  const document = policyOf(inventory, address).document;
  if (!document) throw new Error(`the policy of ${address} has no document`);
  return document;
}

const findings = (inventory: Inventory, ruleId: string): Finding[] => lintInventory(inventory).findings.filter((f) => f.ruleId === ruleId);

/** The key policy the intrinsics fixture resolves to (YAML and JSON alike), for a given owner account. */
function expectedKeyPolicy(account: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
      { Sid: "Share", Effect: "Allow", Principal: { AWS: "\u00ab!Ref TrustedAccount\u00bb" }, Action: "kms:Decrypt", Resource: "*" },
      {
        Sid: "Partners",
        Effect: "Allow",
        Principal: {
          AWS: [
            "arn:aws:iam::444455556666:root",
            "arn:aws:iam::777788889999:role/reader-b",
            `arn:aws:iam::${account}:role/service/app`,
            "\u00ab!If [IsLive, …]\u00bb",
            `arn:aws:iam::${account}:user/AppUser`,
          ],
        },
        Action: ["kms:Encrypt"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:ViaService": `s3.${REGION}.amazonaws.com`,
            "aws:PrincipalOrgID": "\u00ab!ImportValue shared-org-id\u00bb",
            "aws:SourceArn": "\u00ab${Queue.Arn}\u00bb",
            "aws:SourceAccount": "\u00ab!Base64 abc\u00bb",
            "aws:SourceVpc": '\u00ab!Select [0, !GetAZs ""]\u00bb',
            "aws:SourceIp": "\u00ab!Cidr [10.0.0.0/16, 2, 8]\u00bb",
            "aws:UserAgent": "\u00ab${AWS::StackName}\u00bb-${Literal}",
            "kms:EncryptionContext:team": "\u00ab!Transform {…}\u00bb",
            "kms:EncryptionContext:admin": "\u00ab!Ref KeyAdminArn\u00bb",
            "kms:EncryptionContext:length": 3,
          },
        },
      },
    ],
  };
}

describe("short-form tags and intrinsics (intrinsics.yaml and its JSON twin)", () => {
  const yaml = fromYaml(fixture("intrinsics.yaml"));
  const json = fromJson(fixture("intrinsics.json"));

  it("resolves every evaluable intrinsic in the key policy; the stack's account stands for AWS::AccountId", () => {
    const value = documentOf(yaml, "DataKey").value as { Statement: { Condition?: { StringEquals: Record<string, unknown> } }[] };
    expect(value).toMatchObject(expectedKeyPolicy(STACK_ACCOUNT));
    const conditions = value.Statement[2]!.Condition!.StringEquals;
    // YAML 1.2 reads `yes` as a string; !ToJsonString writes the map as JSON.
    expect(conditions["kms:EncryptionContext:either"]).toBe("yes");
    expect(JSON.parse(conditions["kms:EncryptionContext:json"] as string)).toEqual({ a: expect.anything() });
    expect(yaml.owner).toEqual({ account: STACK_ACCOUNT, reason: "the stack's account (AWS::AccountId)" });
  });

  it("reads the JSON twin to the same policies", () => {
    expect(documentOf(json, "DataKey").value).toMatchObject(expectedKeyPolicy(STACK_ACCOUNT));
    expect(documentOf(json, "DataBucketPolicy").value).toEqual(documentOf(yaml, "DataBucketPolicy").value);
    expect(json.unresolved.map((u) => [u.expression, u.reason, u.consequence])).toEqual(yaml.unresolved.map((u) => [u.expression, u.reason, u.consequence]));
  });

  it("uses --account for AWS::AccountId and as the owner", () => {
    const inventory = fromYaml(fixture("intrinsics.yaml"), { trust: { account: OWNER, trustedAccounts: [] } });
    expect(documentOf(inventory, "DataKey").value).toMatchObject(expectedKeyPolicy(OWNER));
    expect(inventory.owner?.account).toBe(OWNER);
    expect(inventory.buckets[0]!.name).toBe(`data-${OWNER}`);
  });

  it("resolves references to the template's own bucket in the bucket policy", () => {
    expect(documentOf(yaml, "DataBucketPolicy").value).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "TlsOnly",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::data-${STACK_ACCOUNT}`, `arn:aws:s3:::data-${STACK_ACCOUNT}/*`],
          Condition: { Bool: { "aws:SecureTransport": false } },
        },
      ],
    });
  });

  it("lists each value it could not evaluate once, in short form, with reason, consequence, resource and position", () => {
    expect(yaml.unresolved.map((u) => [u.expression, ...span(u.range)])).toEqual([
      ["!Ref TrustedAccount", 50, 20, 50, 39],
      ["!If [IsLive, …]", 64, 19, 64, 82],
      ["!ImportValue shared-org-id", 72, 37, 72, 63],
      ["${Queue.Arn}", 73, 38, 73, 50],
      ["!Base64 abc", 74, 36, 74, 47],
      ['!Select [0, !GetAZs ""]', 75, 32, 75, 55],
      ["!Cidr [10.0.0.0/16, 2, 8]", 76, 31, 76, 56],
      ["${AWS::StackName}", 77, 38, 77, 55],
      ["!Transform {…}", 78, 45, 78, 108],
      ["!Ref KeyAdminArn", 79, 46, 79, 62],
    ]);
    const share = yaml.unresolved[0]!;
    expect(share).toEqual({
      expression: "!Ref TrustedAccount",
      reason: "the parameter has no Default; pass --parameter TrustedAccount=Value",
      consequence: 'the principal of statement "Share" in the key policy is not checked',
      resource: "DataKey",
      range: share.range,
    });
    expect(yaml.unresolved[1]!.reason).toBe("the condition IsLive cannot be evaluated: !Ref Stage: the parameter has no Default; pass --parameter Stage=Value");
    expect(yaml.unresolved[2]!.consequence).toBe('the condition of statement "Partners" in the key policy is not checked');
    expect(yaml.unresolved[3]!.reason).toBe("it is the Arn of the AWS::SQS::Queue Queue, known only after the stack is deployed");
    expect(yaml.unresolved[9]!.reason).toMatch(/^the parameter's value is read from SSM Parameter Store/);
    // The Region is written as «region» but never listed: no verdict depends on it.
    expect(yaml.unresolved.some((u) => u.expression.includes("Region"))).toBe(false);
  });

  it("reads the key's settings as facts with the range of each value", () => {
    const key = yaml.keys.find((k) => k.resource.address === "DataKey")!;
    expect(key.resource).toEqual({ address: "DataKey", type: "AWS::KMS::Key", anchor: key.resource.anchor });
    expect(span(key.resource.anchor)).toEqual([32, 3, 32, 10]);
    expect(key.keyManager).toBe("CUSTOMER");
    // CloudFormation accepts the string "true" for a Boolean.
    expect(key.rotationEnabled).toMatchObject({ known: true, value: true });
    expect(span(key.rotationEnabled!.range)).toEqual([35, 26, 35, 32]);
    expect(key.rotationPeriodDays).toMatchObject({ known: true, value: 180 });
    expect(at(key.rotationPeriodDays!.range)).toEqual([36, 29]);
    expect(key.keySpec).toMatchObject({ known: true, value: "SYMMETRIC_DEFAULT" });
    expect(key.keyUsage).toBeUndefined();
    expect(key.origin).toBeUndefined();
    expect(key.defaultPolicy).toBeUndefined();
    expect(key.policy).toBe(policyOf(yaml, "DataKey"));
    expect(key.policy!.kind).toBe("key-policy");
    expect(key.aliases).toEqual(["alias/data"]);
  });

  it("links the alias, the bucket's encryption and the bucket policy to the key and bucket", () => {
    const key = yaml.keys.find((k) => k.resource.address === "DataKey")!;
    expect(yaml.aliases).toHaveLength(1);
    expect(yaml.aliases[0]).toMatchObject({ name: "alias/data", target: "DataKey" });
    expect(yaml.aliases[0]!.key).toBe(key);
    const bucket = yaml.buckets[0]!;
    expect(bucket).toMatchObject({ name: `data-${STACK_ACCOUNT}`, arn: `arn:aws:s3:::data-${STACK_ACCOUNT}` });
    expect(bucket.encryption).toMatchObject({
      algorithm: { known: true, value: "aws:kms" },
      keyReference: { known: true, value: `arn:aws:kms:${REGION}:${STACK_ACCOUNT}:key/DataKey` },
      keyReferenceForm: "key-arn",
      awsManagedKey: false,
      bucketKeyEnabled: { known: true, value: true },
    });
    expect(bucket.encryption!.key).toBe(key);
    expect(at(bucket.encryption!.keyReference!.range)).toEqual([105, 31]);
    expect(at(bucket.encryption!.anchor)).toEqual([104, 29]);
    expect(bucket.policies).toEqual([policyOf(yaml, "DataBucketPolicy")]);
    expect(policyOf(yaml, "DataBucketPolicy").resource.type).toBe("AWS::S3::BucketPolicy");
  });

  it("skips resources whose Condition is false, keeps those whose condition depends on the Region", () => {
    expect(yaml.keys.map((k) => k.resource.address)).toEqual(["DataKey", "VirginiaKey"]);
    expect(yaml.keys[1]!.defaultPolicy).toBe(true);
    expect(yaml.keys[1]!.policy).toBeUndefined();
    expect(yaml.resourceCount).toBe(9);
    expect(yaml.problems).toEqual([]);
  });
});

describe("positions inside policies", () => {
  const yaml = fromYaml(fixture("intrinsics.yaml"));
  const json = fromJson(fixture("intrinsics.json"));

  it("YAML: a statement, a principal, a member's key", () => {
    const document = documentOf(yaml, "DataKey");
    expect(span(document.locate(["Statement", 1]))).toEqual([47, 13, 52, 26]);
    expect(span(document.locate(["Statement", 1, "Principal", "AWS"]))).toEqual([50, 20, 50, 39]);
    expect(span(document.locate(["Statement", 1, "Principal"], "key"))).toEqual([49, 13, 49, 22]);
    expect(span(document.locate(["Statement", 0, "Principal", "AWS"]))).toEqual([44, 20, 44, 74]);
    expect(span(document.whole())).toEqual([39, 9, 82, 71]);
    expect(span(document.anchor!())).toEqual([38, 7, 38, 16]);
  });

  it("YAML: into intrinsics, the deepest node written in the template", () => {
    const document = documentOf(yaml, "DataKey");
    const principal = ["Statement", 2, "Principal", "AWS"];
    // [0] a !Join and [1] a !Sub: the string came from the intrinsic.
    expect(at(document.locate([...principal, 0]))).toEqual([57, 19]);
    expect(at(document.locate([...principal, 1]))).toEqual([58, 19]);
    // [2] came from the branch !If took: the !GetAtt inside it.
    expect(span(document.locate([...principal, 2]))).toEqual([62, 36, 62, 55]);
    // The !If [IsDev, …] that took !Ref AWS::NoValue is gone: [3] is the !If that could not be evaluated.
    expect(at(document.locate([...principal, 3]))).toEqual([64, 19]);
    expect(at(document.locate([...principal, 4]))).toEqual([65, 19]);
    // Past a string produced by an intrinsic, a path stays at the intrinsic.
    expect(at(document.locate(["Statement", 2, "Action", 0]))).toEqual([67, 17]);
  });

  it("JSON: a statement, a principal, a member's key", () => {
    const text = fixture("intrinsics.json");
    const document = documentOf(json, "DataKey");
    const position = (needle: string, from = 0) => {
      const offset = text.indexOf(needle, from);
      const before = text.slice(0, offset).split("\n");
      return [before.length, before[before.length - 1]!.length + 1];
    };
    const share = text.indexOf('"Sid": "Share"');
    expect(at(document.locate(["Statement", 1]))).toEqual([118, 13]);
    expect(at(document.locate(["Statement", 1]))).toEqual(position("{", share - 20));
    expect(at(document.locate(["Statement", 1, "Principal", "AWS"]))).toEqual([122, 24]);
    expect(at(document.locate(["Statement", 1, "Principal"], "key"))).toEqual(position('"Principal"', share));
    expect(at(document.anchor!())).toEqual(position('"KeyPolicy"'));
  });
});

describe("policies written as JSON strings", () => {
  it("YAML block scalar: positions map into the block", () => {
    const inventory = fromYaml(
      lines(
        "Resources:",
        "  OpenKey:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: |",
        '        {"Version": "2012-10-17",',
        '         "Statement": [{"Sid": "Open", "Effect": "Allow",',
        '                        "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}',
      ),
    );
    const document = documentOf(inventory, "OpenKey");
    expect(document.value).toMatchObject({ Statement: [{ Sid: "Open", Principal: { AWS: "*" } }] });
    expect(span(document.locate(["Statement", 0, "Principal", "AWS"]))).toEqual([8, 46, 8, 49]);
    expect(at(document.locate(["Statement", 0, "Sid"], "key"))).toEqual([7, 25]);
    expect(at(document.anchor!())).toEqual([5, 7]);
    const publicAccess = findings(inventory, "public-access");
    expect(publicAccess.map((f) => at(f.range))).toEqual([[8, 46]]);
  });

  it("YAML quoted string with escapes", () => {
    const inventory = fromYaml(
      lines(
        "Resources:",
        "  OpenKey:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        '      KeyPolicy: "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": {\\"Effect\\": \\"Allow\\", \\"Principal\\": \\"*\\", \\"Action\\": \\"kms:*\\", \\"Resource\\": \\"*\\"}}"',
      ),
    );
    const document = documentOf(inventory, "OpenKey");
    expect(document.value).toMatchObject({ Statement: { Principal: "*" } });
    const text = '      KeyPolicy: "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": {\\"Effect\\": \\"Allow\\", \\"Principal\\": \\"*\\"';
    // The principal's value is the escaped quote before the star.
    expect(at(document.locate(["Statement", "Principal"]))).toEqual([5, text.length - 4]);
  });

  it("JSON: positions are mapped through the string's escapes", () => {
    const text = lines(
      "{",
      '  "Resources": {',
      '    "OpenKey": {',
      '      "Type": "AWS::KMS::Key",',
      '      "Properties": {',
      '        "KeyPolicy": "{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Sid\\":\\"Op\\u00e9n\\",\\"Effect\\":\\"Allow\\",\\"Principal\\":{\\"AWS\\":\\"*\\"},\\"Action\\":\\"kms:*\\",\\"Resource\\":\\"*\\"}]}"',
      "      }",
      "    }",
      "  }",
      "}",
    );
    const inventory = fromJson(text);
    const document = documentOf(inventory, "OpenKey");
    expect(document.value).toMatchObject({ Statement: [{ Sid: "Opén", Principal: { AWS: "*" } }] });
    const line6 = text.split("\n")[5]!;
    const star = line6.indexOf('\\"*\\"}');
    expect(span(document.locate(["Statement", 0, "Principal", "AWS"]))).toEqual([6, star + 1, 6, star + 6]);
    expect(at(document.locate(["Statement", 0, "Effect"]))).toEqual([6, line6.indexOf('\\"Allow') + 1]);
    expect(findings(inventory, "public-access").map((f) => at(f.range))).toEqual([[6, star + 1]]);
    expect(document.sizeBasis).toBe("as written in the template's JSON string");
  });

  it("!Sub over a JSON string: text after a variable still maps to where it is written", () => {
    const inventory = fromYaml(
      lines(
        "Resources:",
        "  OpenKey:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: !Sub |",
        '        {"Version": "2012-10-17", "Statement": [',
        '          {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${AWS::AccountId}:root"}, "Action": "kms:*", "Resource": "*"},',
        '          {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}',
      ),
    );
    const document = documentOf(inventory, "OpenKey");
    expect(document.value).toMatchObject({ Statement: [{ Principal: { AWS: `arn:aws:iam::${STACK_ACCOUNT}:root` } }, { Principal: "*" }] });
    expect(at(document.locate(["Statement", 1, "Principal"]))).toEqual([8, 59]);
    expect(at(document.locate(["Statement", 0, "Principal", "AWS"]))).toEqual([7, 67]);
  });

  it("a policy that cannot be evaluated at all has no document and says why", () => {
    const inventory = fromYaml(lines("Resources:", "  SharedKey:", "    Type: AWS::KMS::Key", "    Properties:", "      KeyPolicy: !ImportValue shared-key-policy"));
    const policy = policyOf(inventory, "SharedKey");
    expect(policy.document).toBeUndefined();
    expect(policy.unresolved).toMatchObject({ expression: "!ImportValue shared-key-policy", consequence: "the key policy is not checked", resource: "SharedKey" });
    expect(span(policy.unresolved!.range)).toEqual([5, 18, 5, 48]);
    expect(inventory.keys[0]!.policy).toBe(policy);
    expect(inventory.keys[0]!.defaultPolicy).toBeUndefined();
  });
});

describe("numbers YAML reads from plain scalars", () => {
  const template = lines(
    "AWSTemplateFormatVersion: '2010-09-09'",
    "Parameters:",
    "  Partner:",
    "    Type: String",
    "    Default: 012345678901",
    "Resources:",
    "  SharedKey:",
    "    Type: AWS::KMS::Key",
    "    Properties:",
    "      RotationPeriodInDays: 365",
    "      KeyPolicy:",
    "        Version: 2012-10-17",
    "        Statement:",
    "          - Effect: Allow",
    "            Principal:",
    "              AWS: [012345678901, 123456789012, !Ref Partner]",
    "            Action: kms:Decrypt",
    "            Resource: '*'",
  );
  const inventory = fromYaml(template);

  it("keeps the text as written inside policies and values; Version 2012-10-17 stays a string", () => {
    expect(documentOf(inventory, "SharedKey").value).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: ["012345678901", "123456789012", "012345678901"] }, Action: "kms:Decrypt", Resource: "*" }],
    });
    expect(inventory.keys[0]!.rotationPeriodDays).toMatchObject({ known: true, value: 365 });
  });

  it("warns where CloudFormation may read an account id as a number", () => {
    expect(inventory.problems.map((p) => [p.ruleId, p.severity, ...span(p.range), p.resource])).toEqual([
      ["invalid-policy", "warning", 5, 14, 5, 26, undefined],
      ["invalid-policy", "warning", 16, 21, 16, 33, "SharedKey"],
      ["invalid-policy", "warning", 16, 35, 16, 47, "SharedKey"],
    ]);
    expect(inventory.problems[1]!.message).toBe(
      '012345678901 is written without quotes: CloudFormation may read it as the number 12345678901 and drop the leading zero; quote it ("012345678901")',
    );
    expect(inventory.problems[0]!.message).toBe(inventory.problems[1]!.message);
    expect(inventory.problems[2]!.message).toMatch(/^123456789012 is written without quotes in a policy: .*quote it \("123456789012"\)$/);
    // The problems become findings at their positions.
    const warnings = lintInventory(inventory).findings.filter((f) => f.ruleId === "invalid-policy" && f.messageId === "source");
    expect(warnings.map((f) => [f.severity, ...at(f.range)])).toEqual([
      ["warning", 5, 14],
      ["warning", 16, 21],
      ["warning", 16, 35],
    ]);
  });
});

describe("parameters", () => {
  const template = lines(
    "Parameters:",
    "  Partner:",
    "    Type: String",
    "    Default: '444455556666'",
    "  Trusted:",
    "    Type: String",
    "  Readers:",
    "    Type: List<String>",
    "    Default: 'arn:aws:iam::444455556666:role/a,arn:aws:iam::444455556666:role/b'",
    "  Admin:",
    "    Type: AWS::SSM::Parameter::Value<String>",
    "    Default: /keys/admin",
    "Resources:",
    "  SharedKey:",
    "    Type: AWS::KMS::Key",
    "    Properties:",
    "      KeyPolicy:",
    "        Version: '2012-10-17'",
    "        Statement:",
    "          - Sid: Partner",
    "            Effect: Allow",
    "            Principal: {AWS: !Ref Partner}",
    "            Action: kms:Decrypt",
    "            Resource: '*'",
    "          - Sid: Trusted",
    "            Effect: Allow",
    "            Principal: {AWS: !Sub 'arn:aws:iam::${Trusted}:root'}",
    "            Action: kms:Decrypt",
    "            Resource: '*'",
    "          - Sid: Readers",
    "            Effect: Allow",
    "            Principal: {AWS: !Ref Readers}",
    "            Action: kms:Decrypt",
    "            Resource: '*'",
    "          - Sid: Admin",
    "            Effect: Allow",
    "            Principal: {AWS: !Ref Admin}",
    "            Action: kms:*",
    "            Resource: '*'",
  );
  const principals = (inventory: Inventory) => (documentOf(inventory, "SharedKey").value as { Statement: { Principal: { AWS: unknown } }[] }).Statement.map((s) => s.Principal.AWS);

  it("takes each Default (a list parameter's split on commas); without one the value is unresolved", () => {
    const inventory = fromYaml(template);
    expect(principals(inventory)).toEqual([
      "444455556666",
      "arn:aws:iam::\u00ab${Trusted}\u00bb:root",
      ["arn:aws:iam::444455556666:role/a", "arn:aws:iam::444455556666:role/b"],
      "\u00ab!Ref Admin\u00bb",
    ]);
    expect(inventory.unresolved.map((u) => [u.expression, u.reason, u.consequence, ...span(u.range)])).toEqual([
      ["${Trusted}", "the parameter has no Default; pass --parameter Trusted=Value", 'the principal of statement "Trusted" in the key policy is not checked', 27, 49, 27, 59],
      [
        "!Ref Admin",
        "the parameter's value is read from SSM Parameter Store when the stack is deployed; pass --parameter Admin=Value",
        'the principal of statement "Admin" in the key policy is not checked',
        37,
        30,
        37,
        40,
      ],
    ]);
  });

  it("context.parameters win over Defaults and fill the missing ones", () => {
    const inventory = fromYaml(template, { trust: { trustedAccounts: [] }, parameters: { Partner: "555566667777", Trusted: "888899990000", Readers: "a, b", Admin: "arn:aws:iam::111122223333:role/Admin" } });
    expect(principals(inventory)).toEqual(["555566667777", "arn:aws:iam::888899990000:root", ["a", "b"], "arn:aws:iam::111122223333:role/Admin"]);
    expect(inventory.unresolved).toEqual([]);
  });
});

describe("Fn::If, conditions and AWS::NoValue", () => {
  const template = lines(
    "Parameters:",
    "  Env: {Type: String, Default: prod}",
    "  Region: {Type: String}",
    "Conditions:",
    "  IsProd: !Equals [!Ref Env, prod]",
    "  IsEast: !Equals [!Ref Region, us-east-1]",
    "  Here: !Equals [!Ref AWS::Region, eu-west-1]",
    "  ProdOrEast: !Or [!Condition IsProd, !Condition IsEast]",
    "  ProdAndEast: !And [!Condition IsProd, !Condition IsEast]",
    "Resources:",
    "  Key:",
    "    Type: AWS::KMS::Key",
    "    Properties:",
    "      EnableKeyRotation: !If [IsProd, true, !Ref AWS::NoValue]",
    "      Enabled: !If [IsEast, true, false]",
    "      MultiRegion: !If [ProdOrEast, true, false]",
    "      Origin: !If [Here, AWS_KMS, EXTERNAL]",
    "      KeyPolicy:",
    "        Version: '2012-10-17'",
    "        Statement:",
    "          - !If",
    "            - IsProd",
    "            - Sid: Prod",
    "              Effect: Allow",
    "              Principal: {AWS: arn:aws:iam::444455556666:root}",
    "              Action: kms:Decrypt",
    "              Resource: '*'",
    "            - !Ref AWS::NoValue",
    "          - Sid: Always",
    "            Effect: Allow",
    "            Principal: {AWS: !If [ProdAndEast, '111111111111', '222222222222']}",
    "            Action: kms:Decrypt",
    "            Resource: '*'",
  );

  it("takes the branch of a condition it can evaluate, with positions in that branch", () => {
    const inventory = fromYaml(template);
    const document = documentOf(inventory, "Key");
    const statements = (document.value as { Statement: { Sid: string; Principal: unknown }[] }).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(["Prod", "Always"]);
    expect(at(document.locate(["Statement", 0]))).toEqual([23, 15]);
    expect(at(document.locate(["Statement", 0, "Principal", "AWS"]))).toEqual([25, 32]);
    expect(at(document.locate(["Statement", 0, "Sid"], "key"))).toEqual([23, 15]);
    // Or with one true part is true even when the other cannot be evaluated.
    expect(inventory.keys[0]!.multiRegion).toMatchObject({ known: true, value: true });
    expect(at(inventory.keys[0]!.multiRegion!.range)).toEqual([16, 37]);
    expect(inventory.keys[0]!.rotationEnabled).toMatchObject({ known: true, value: true });
    expect(at(inventory.keys[0]!.rotationEnabled!.range)).toEqual([14, 39]);
  });

  it("an Fn::If whose condition cannot be evaluated is unresolved, and so is what depends on the Region", () => {
    const inventory = fromYaml(template);
    expect(inventory.unresolved.map((u) => [u.expression, u.reason, ...at(u.range)])).toEqual([
      ["!If [IsEast, …]", "the condition IsEast cannot be evaluated: !Ref Region: the parameter has no Default; pass --parameter Region=Value", 15, 16],
      ["!If [Here, …]", "the condition Here cannot be evaluated: it depends on the Region the stack is deployed to", 17, 15],
      ["!If [ProdAndEast, …]", "the condition ProdAndEast cannot be evaluated: !Ref Region: the parameter has no Default; pass --parameter Region=Value", 31, 30],
    ]);
    const key = inventory.keys[0]!;
    expect(key.enabled).toMatchObject({ known: false, unresolved: inventory.unresolved[0] });
    expect(at(key.enabled!.range)).toEqual([15, 16]);
    expect(key.origin).toMatchObject({ known: false, unresolved: inventory.unresolved[1] });
    expect(inventory.unresolved[2]!.consequence).toBe('the principal of statement "Always" in the key policy is not checked');
  });

  it("AWS::NoValue removes the property or the list element", () => {
    const inventory = fromYaml(template, { trust: { trustedAccounts: [] }, parameters: { Env: "dev", Region: "us-east-1" } });
    const key = inventory.keys[0]!;
    expect(key.rotationEnabled).toBeUndefined();
    expect(key.enabled).toMatchObject({ known: true, value: true });
    const document = documentOf(inventory, "Key");
    expect(document.value).toMatchObject({ Statement: [{ Sid: "Always", Principal: { AWS: "222222222222" } }] });
    expect(at(document.locate(["Statement", 0]))).toEqual([29, 13]);
    expect(at(document.locate(["Statement", 0, "Principal", "AWS"]))).toEqual([31, 64]);
  });
});

describe("links between keys, aliases, buckets and bucket policies", () => {
  const bucket = (name: string, keyId: string | undefined, algorithm = "aws:kms") =>
    [
      `  ${name}:`,
      "    Type: AWS::S3::Bucket",
      "    Properties:",
      "      BucketEncryption:",
      "        ServerSideEncryptionConfiguration:",
      "          - ServerSideEncryptionByDefault:",
      `              SSEAlgorithm: ${algorithm}`,
      ...(keyId === undefined ? [] : [`              KMSMasterKeyID: ${keyId}`]),
    ].join("\n");
  const inventory = fromYaml(
    lines(
      "Resources:",
      "  Key:",
      "    Type: AWS::KMS::Key",
      "  KeyAlias:",
      "    Type: AWS::KMS::Alias",
      "    Properties:",
      "      AliasName: alias/data",
      "      TargetKeyId: !GetAtt Key.Arn",
      bucket("ByArn", "!GetAtt Key.Arn"),
      bucket("ByRef", "!Ref Key"),
      bucket("ByKeyId", "!GetAtt Key.KeyId"),
      bucket("ByAlias", "!Ref KeyAlias"),
      bucket("ByAliasName", "alias/data"),
      bucket("BySub", "!Sub 'arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}'"),
      bucket("ForeignArn", "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
      bucket("ForeignInRegion", "!Sub 'arn:aws:kms:${AWS::Region}:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab'"),
      bucket("AliasArn", "!Sub 'arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/data'"),
      bucket("AwsManagedAlias", "alias/aws/s3"),
      bucket("NoKey", undefined),
      bucket("SseS3", undefined, "AES256"),
      bucket("Imported", "!ImportValue shared-key-arn"),
      "  Named:",
      "    Type: AWS::S3::Bucket",
      "    Properties:",
      "      BucketName: amzn-s3-demo-bucket",
      "  ByLogicalId:",
      "    Type: AWS::S3::BucketPolicy",
      "    Properties:",
      "      Bucket: !Ref ByArn",
      "      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*'}]}",
      "  ByName:",
      "    Type: AWS::S3::BucketPolicy",
      "    Properties:",
      "      Bucket: amzn-s3-demo-bucket",
      "      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*'}]}",
      "  Elsewhere:",
      "    Type: AWS::S3::BucketPolicy",
      "    Properties:",
      "      Bucket: another-stacks-bucket",
      "      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*'}]}",
    ),
  );
  const key = inventory.keys[0]!;
  const encryptionOf = (name: string) => inventory.buckets.find((b) => b.resource.address === name)!.encryption!;

  it("links the alias to its key", () => {
    expect(inventory.aliases[0]).toMatchObject({ name: "alias/data", target: `arn:aws:kms:${REGION}:${STACK_ACCOUNT}:key/Key` });
    expect(inventory.aliases[0]!.key).toBe(key);
    expect(key.aliases).toEqual(["alias/data"]);
    expect(key.defaultPolicy).toBe(true);
  });

  it("names the form of each KMSMasterKeyID and links it to the key when it is the template's", () => {
    const rows = inventory.buckets
      .filter((b) => b.encryption)
      .map((b) => [b.resource.address, b.encryption!.keyReferenceForm, b.encryption!.awsManagedKey, b.encryption!.key?.resource.address ?? null]);
    expect(rows).toEqual([
      ["ByArn", "key-arn", false, "Key"],
      // A bare key id or alias name is resolved in the requester's account.
      ["ByRef", "key-id", false, "Key"],
      ["ByKeyId", "key-id", false, "Key"],
      ["ByAlias", "alias-name", false, "Key"],
      ["ByAliasName", "alias-name", false, "Key"],
      ["BySub", "key-arn", false, "Key"],
      ["ForeignArn", "key-arn", false, null],
      ["ForeignInRegion", "key-arn", false, null],
      ["AliasArn", "alias-arn", false, "Key"],
      ["AwsManagedAlias", "alias-name", true, null],
      ["NoKey", "absent", true, null],
      ["SseS3", "absent", false, null],
      ["Imported", "unknown", false, null],
    ]);
    expect(encryptionOf("ByRef").keyReference).toMatchObject({ known: true, value: "Key" });
    expect(at(encryptionOf("ByRef").keyReference!.range)).toEqual([24, 31]);
    const imported = encryptionOf("Imported");
    expect(imported.keyReference).toMatchObject({ known: false, unresolved: { expression: "!ImportValue shared-key-arn", resource: "Imported" } });
    expect(imported.algorithm).toMatchObject({ known: true, value: "aws:kms" });
  });

  it("attaches bucket policies by Ref or by the bucket's name; an unknown bucket's policy is still linted", () => {
    const byName = (address: string) => inventory.buckets.find((b) => b.resource.address === address)!;
    expect(byName("ByArn").policies).toEqual([policyOf(inventory, "ByLogicalId")]);
    expect(byName("Named").policies).toEqual([policyOf(inventory, "ByName")]);
    expect(byName("Named").name).toBe("amzn-s3-demo-bucket");
    const elsewhere = policyOf(inventory, "Elsewhere");
    expect(elsewhere.document).toBeDefined();
    expect(inventory.buckets.some((b) => b.policies.includes(elsewhere))).toBe(false);
    expect(inventory.policies.map((p) => [p.resource.address, p.kind])).toEqual([
      ["ByLogicalId", "bucket-policy"],
      ["ByName", "bucket-policy"],
      ["Elsewhere", "bucket-policy"],
    ]);
    expect(inventory.resourceCount).toBe(19);
  });

  it("an unresolved Bucket leaves the policy unlinked and says so", () => {
    const unlinked = fromYaml(
      lines(
        "Parameters: {Target: {Type: String}}",
        "Resources:",
        "  Policy:",
        "    Type: AWS::S3::BucketPolicy",
        "    Properties:",
        "      Bucket: !Ref Target",
        "      PolicyDocument: {Statement: []}",
      ),
    );
    expect(unlinked.unresolved.map((u) => [u.expression, u.consequence, ...at(u.range)])).toEqual([["!Ref Target", "the bucket policy is not linked to its bucket", 6, 15]]);
    expect(unlinked.policies).toHaveLength(1);
  });
});

describe("ReplicaKey, role and user ARNs", () => {
  it("reads a replica key with its primary and policy; role ARNs count as the owner's principals", () => {
    const inventory = fromYaml(
      lines(
        "Resources:",
        "  Replica:",
        "    Type: AWS::KMS::ReplicaKey",
        "    Properties:",
        "      PrimaryKeyArn: arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "      Enabled: false",
        "      KeyPolicy:",
        "        Version: '2012-10-17'",
        "        Statement:",
        "          - Effect: Allow",
        "            Principal: {AWS: !GetAtt Admin.Arn}",
        "            Action: kms:*",
        "            Resource: '*'",
        "  Admin:",
        "    Type: AWS::IAM::Role",
      ),
      { trust: { account: OWNER, trustedAccounts: [] } },
    );
    const replica = inventory.keys[0]!;
    expect(replica).toMatchObject({
      resource: { address: "Replica", type: "AWS::KMS::ReplicaKey" },
      replicaOf: "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
      enabled: { known: true, value: false },
      keyManager: "CUSTOMER",
    });
    expect(documentOf(inventory, "Replica").value).toMatchObject({ Statement: [{ Principal: { AWS: `arn:aws:iam::${OWNER}:role/Admin` } }] });
    expect(findings(inventory, "cross-account-access")).toEqual([]);
    expect(findings(inventory, "lockout-risk")).toEqual([]);
  });
});

describe("duplicate keys", () => {
  const template = lines(
    "Resources:",
    "  Key:",
    "    Type: AWS::KMS::Key",
    "    Properties:",
    "      EnableKeyRotation: false",
    "      EnableKeyRotation: true",
    "      KeyPolicy:",
    "        Version: '2012-10-17'",
    "        Statement:",
    "          - Effect: Deny",
    "            Effect: Allow",
    "            Principal: {AWS: arn:aws:iam::111122223333:root}",
    "            Action: kms:*",
    "            Resource: '*'",
  );

  it("inside a policy, they are the document's, with paths relative to the policy", () => {
    const inventory = fromYaml(template);
    const document = documentOf(inventory, "Key");
    expect(document.duplicateKeys().map((d) => [d.objectPath, d.key, ...at(d.first), ...at(d.duplicate)])).toEqual([[["Statement", 0], "Effect", 10, 13, 11, 13]]);
    expect(document.value).toMatchObject({ Statement: [{ Effect: "Allow" }] });
  });

  it("elsewhere they are problems; the last one is read", () => {
    const inventory = fromYaml(template);
    expect(inventory.problems.map((p) => [p.ruleId, p.message, p.resource, ...span(p.range)])).toEqual([
      ["invalid-policy", 'Duplicate key "EnableKeyRotation": it is also written at line 5, column 7; only the last one takes effect', "Key", 6, 7, 6, 24],
    ]);
    expect(inventory.keys[0]!.rotationEnabled).toMatchObject({ known: true, value: true });
    const twice = fromYaml(lines("Resources:", "  Key:", "    Type: AWS::KMS::Key", "    Properties: {EnableKeyRotation: true}", "  Key:", "    Type: AWS::KMS::Key"));
    expect(twice.problems.map((p) => [p.message, ...span(p.range)])).toEqual([['Duplicate key "Key": it is also written at line 2, column 3; only the last one takes effect', 5, 3, 5, 6]]);
    // The second Key (no properties) is the one CloudFormation reads.
    expect(twice.keys).toHaveLength(1);
    expect(twice.keys[0]!.rotationEnabled).toBeUndefined();
    expect(twice.resourceCount).toBe(1);
  });

  it("JSON templates too", () => {
    const inventory = fromJson(
      lines(
        "{",
        '  "Resources": {',
        '    "Key": {',
        '      "Type": "AWS::KMS::Key",',
        '      "Properties": {',
        '        "EnableKeyRotation": true,',
        '        "KeyPolicy": {"Statement": [{"Sid": "A", "Sid": "B", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]},',
        '        "EnableKeyRotation": false',
        "      }",
        "    }",
        "  }",
        "}",
      ),
    );
    const document = documentOf(inventory, "Key");
    expect(document.duplicateKeys().map((d) => [d.objectPath, d.key, ...at(d.first), ...at(d.duplicate)])).toEqual([[["Statement", 0], "Sid", 7, 38, 7, 50]]);
    expect(inventory.problems.map((p) => at(p.range))).toEqual([[8, 9]]);
    expect(inventory.keys[0]!.rotationEnabled).toMatchObject({ known: true, value: false });
  });
});

describe("what is not a template, and templates that cannot be read", () => {
  it("a YAML syntax error is an invalid-json problem at the error, never a throw", () => {
    const inventory = fromYaml(lines("AWSTemplateFormatVersion: '2010-09-09'", "Resources:", "  Key:", "    Type: AWS::KMS::Key", "   Properties: {}"));
    expect(inventory.problems).toHaveLength(1);
    const [problem] = inventory.problems;
    expect(problem!.ruleId).toBe("invalid-json");
    expect(problem!.message).toBe("All mapping items must start at the same column at line 5, column 1");
    expect(at(problem!.range)).toEqual([5, 1]);
    expect(inventory.keys).toEqual([]);
    expect(lintInventory(inventory).findings.map((f) => [f.ruleId, f.severity, ...at(f.range)])).toEqual([["invalid-json", "error", 5, 1]]);
  });

  it("an unclosed quote", () => {
    const inventory = fromYaml(lines("Resources:", '  Key: {Type: "AWS::KMS::Key}'));
    expect(inventory.problems.map((p) => [p.ruleId, ...at(p.range)])).toEqual([["invalid-json", 3, 1]]);
  });

  it("YAML that is not a template is not read", () => {
    expect(loadCloudFormationYaml(lines("apiVersion: v1", "kind: ConfigMap", "metadata: {name: x}"), "k8s.yaml", CONTEXT)).toBeUndefined();
    expect(loadCloudFormationYaml(lines("Version: '2012-10-17'", "Statement: []"), "policy.yaml", CONTEXT)).toBeUndefined();
    expect(loadCloudFormationYaml("", "empty.yaml", CONTEXT)).toBeUndefined();
    expect(loadCloudFormationYaml("# only a comment\n", "comment.yaml", CONTEXT)).toBeUndefined();
    expect(loadCloudFormationYaml("- a\n- b\n", "list.yaml", CONTEXT)).toBeUndefined();
    expect(loadCloudFormationYaml(lines("Resources:", "  Thing: {Type: My::Own::Type}"), "other.yaml", CONTEXT)).toBeUndefined();
  });

  it("a second YAML document is a problem; the first is read", () => {
    const inventory = fromYaml(lines("Resources:", "  Key: {Type: AWS::KMS::Key}", "---", "Resources: {}"));
    expect(inventory.keys).toHaveLength(1);
    expect(inventory.problems.map((p) => [p.ruleId, ...at(p.range)])).toEqual([["invalid-json", 3, 1]]);
  });

  it("a JSON syntax error is an invalid-json problem at the error", () => {
    const inventory = fromJson('{\n  "Resources": {,\n}');
    expect(inventory.problems.map((p) => [p.ruleId, p.message, ...at(p.range)])).toEqual([["invalid-json", "Unexpected token Comma found", 2, 17]]);
  });

  it("problems of the template's shape, with their positions", () => {
    expect(fromYaml(lines("AWSTemplateFormatVersion: '2010-09-09'", "Description: nothing")).problems.map((p) => [p.message, ...at(p.range)])).toEqual([
      ["The template has no Resources section; CloudFormation requires one", 1, 1],
    ]);
    expect(fromYaml(lines("AWSTemplateFormatVersion: '2010-09-09'", "Resources: [a]")).problems.map((p) => [p.message, ...at(p.range)])).toEqual([
      ["Resources must be a map of logical ids to resources", 2, 12],
    ]);
    const inventory = fromYaml(
      lines(
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Resources:",
        "  NoType:",
        "    Properties: {}",
        "  Key:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      EnableKeyRotation: maybe",
        "      RotationPeriodInDays: often",
        "      Enabled: 'False'",
        "  Bucket:",
        "    Type: AWS::S3::Bucket",
        "    Properties:",
        "      BucketEncryption:",
        "        ServerSideEncryptionConfiguration:",
        "          - ServerSideEncryptionByDefault: {KMSMasterKeyID: alias/x}",
        "  Policy:",
        "    Type: AWS::S3::BucketPolicy",
        "    Properties: {Bucket: !Ref Bucket}",
      ),
    );
    expect(inventory.problems.map((p) => [p.ruleId, p.message, p.resource, ...at(p.range)])).toEqual([
      ["invalid-policy", "Resource NoType has no Type; CloudFormation requires one", "NoType", 3, 3],
      ["invalid-policy", "EnableKeyRotation of Key must be true or false; it is \"maybe\"", "Key", 8, 26],
      ["invalid-policy", "RotationPeriodInDays of Key must be a whole number of days; it is \"often\"", "Key", 9, 29],
      ["invalid-policy", "ServerSideEncryptionByDefault of bucket Bucket has no SSEAlgorithm; CloudFormation requires one", "Bucket", 16, 44],
      ["invalid-policy", "Bucket policy Policy has no PolicyDocument; CloudFormation requires one", "Policy", 17, 3],
    ]);
    const key = inventory.keys[0]!;
    expect(key.rotationEnabled).toBeUndefined();
    // "False" is a Boolean to CloudFormation.
    expect(key.enabled).toMatchObject({ known: true, value: false });
    expect(inventory.resourceCount).toBe(4);
  });
});

describe("YAML aliases", () => {
  it("resolves an alias to the anchored policy, positions at the anchor", () => {
    const inventory = fromYaml(
      lines(
        "Resources:",
        "  First:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: &policy",
        "        Version: '2012-10-17'",
        "        Statement:",
        "          - Effect: Allow",
        "            Principal: '*'",
        "            Action: kms:Decrypt",
        "            Resource: '*'",
        "  Second:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: *policy",
      ),
    );
    expect(documentOf(inventory, "Second").value).toEqual(documentOf(inventory, "First").value);
    expect(at(documentOf(inventory, "Second").locate(["Statement", 0, "Principal"]))).toEqual([9, 24]);
    expect(at(documentOf(inventory, "Second").anchor!())).toEqual([15, 7]);
    expect(findings(inventory, "public-access").map((f) => [f.resource, ...at(f.range)])).toEqual([
      ["First", 9, 24],
      ["Second", 9, 24],
    ]);
  });

  it("an alias to nothing is read as null and reported; aliases that multiply are cut short", () => {
    const dangling = fromYaml(lines("Resources:", "  Key:", "    Type: AWS::KMS::Key", "    Properties: {Description: *nowhere}"));
    expect(dangling.problems.map((p) => p.ruleId)).toContain("invalid-json");
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const bomb = fromYaml(lines("AWSTemplateFormatVersion: '2010-09-09'", ...levels, "Resources:", "  Key:", "    Type: AWS::KMS::Key", "    Properties: {Description: *h}"));
    expect(bomb.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^Aliases expand to more than 1,000,000 nodes/));
  });
});

describe("findings of the rules point into the template", () => {
  it("YAML: public-access at the principal, unresolved-value at the import", () => {
    const inventory = fromYaml(
      lines(
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Resources:",
        "  OpenKey:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      EnableKeyRotation: true",
        "      KeyPolicy:",
        "        Version: '2012-10-17'",
        "        Statement:",
        "          - Sid: Root",
        "            Effect: Allow",
        "            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}",
        "            Action: kms:*",
        "            Resource: '*'",
        "          - Sid: Everyone",
        "            Effect: Allow",
        "            Principal: '*'",
        "            Action: kms:Decrypt",
        "            Resource: '*'",
        "          - Sid: Share",
        "            Effect: Allow",
        "            Principal:",
        "              AWS: !ImportValue partner-role-arn",
        "            Action: kms:Decrypt",
        "            Resource: '*'",
      ),
    );
    const result = lintInventory(inventory);
    expect(result.kind).toBe("cloudformation");
    expect(result.findings.map((f) => [f.ruleId, f.resource, ...at(f.range)])).toEqual([
      ["public-access", "OpenKey", 17, 24],
      ["unresolved-value", "OpenKey", 23, 20],
    ]);
    expect(result.findings[1]!.message).toContain('he principal of statement "Share" in the key policy is not checked');
  });

  it("JSON: public-access at the principal", () => {
    const inventory = fromJson(
      lines(
        "{",
        '  "Resources": {',
        '    "OpenKey": {',
        '      "Type": "AWS::KMS::Key",',
        '      "Properties": {',
        '        "EnableKeyRotation": true,',
        '        "KeyPolicy": {',
        '          "Version": "2012-10-17",',
        '          "Statement": [',
        '            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}}, "Action": "kms:*", "Resource": "*"},',
        '            {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}',
        "          ]",
        "        }",
        "      }",
        "    }",
        "  }",
        "}",
      ),
    );
    expect(lintInventory(inventory).findings.map((f) => [f.ruleId, f.resource, ...at(f.range)])).toEqual([["public-access", "OpenKey", 11, 73]]);
  });
});

describe("the peers' CloudFormation fixtures", () => {
  const roots = ["/work/shared/corpus/checkov/cloudformation", "/work/shared/corpus/kics/cloudFormation"];
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ya?ml|json|template)$/i.test(name)) files.push(path);
    }
  };
  for (const root of roots) {
    try {
      walk(root);
    } catch {
      // The corpus is shared between checkouts; without it there is nothing to read.
    }
  }

  it.skipIf(files.length === 0)("reads every file without an exception, and lints every template", () => {
    let templates = 0;
    for (const path of files) {
      const text = readFileSync(path, "utf8");
      let inventory: Inventory | undefined;
      if (/\.ya?ml$/i.test(path) || !/^\s*[[{]/.test(text)) {
        inventory = loadCloudFormationYaml(text, path, CONTEXT);
      } else {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          value = undefined;
        }
        if (value === undefined || detectSourceFormat(value) === "cloudformation") inventory = loadCloudFormationJson(text, path, CONTEXT);
      }
      if (!inventory) continue;
      templates++;
      const result = lintInventory(inventory);
      for (const finding of result.findings) {
        expect(finding.range.start.line, `${path}: ${finding.message}`).toBeGreaterThan(0);
        expect(finding.range.start.column, `${path}: ${finding.message}`).toBeGreaterThan(0);
      }
    }
    expect(templates).toBeGreaterThan(50);
  });
});

describe("odd templates never throw", () => {
  const odd = [
    "\uFEFFAWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: {Statement: {Effect: Allow, Principal: '*', Action: 'kms:*', Resource: '*'}}}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key:\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: [AWS::KMS::Key]}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: [1]}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: null, Enabled: !Ref AWS::NoValue}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: [1, 2], EnableKeyRotation: [true]}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: !Ref AWS::NoValue}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: 'not json'}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: !Sub [42, {}], Description: !Join [1, 2], KeySpec: !Select [x, y], Origin: !Split [1]}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyUsage: !FindInMap [M], Origin: !FindInMap [M, a, b], KeySpec: !If [C], Enabled: !If [Nope, true, false]}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nConditions:\n  A: !Condition B\n  B: !Condition A\n  C: !And []\n  D: !Equals [1]\n  E: Yes\nResources:\n  Key: {Type: AWS::KMS::Key, Condition: A, Properties: {Enabled: !If [C, true, false], MultiRegion: !If [D, true, false], Origin: !If [E, x, y]}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: !Ref Bucket, BucketEncryption: {ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: [x]}, BucketKeyEnabled: maybe}]}}}\n  Policy: {Type: AWS::S3::BucketPolicy, Properties: {Bucket: !GetAtt Bucket.Arn, PolicyDocument: !GetAtt Nowhere}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketEncryption: !ImportValue x}}\n  B2: {Type: AWS::S3::Bucket, Properties: {BucketEncryption: {ServerSideEncryptionConfiguration: !Ref AWS::NoValue}}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Alias: {Type: AWS::KMS::Alias, Properties: {AliasName: !Ref Alias, TargetKeyId: !Ref Alias}}\n  Role: {Type: AWS::IAM::Role, Properties: {RoleName: !GetAtt Role.Arn}}\n  Key: {Type: AWS::KMS::Key, Properties: {Description: !Sub '${Role.Arn} ${Alias} ${Role} ${!x} ${', KeyPolicy: {Statement: [!GetAtt [Role, !Ref AWS::NoValue]]}}}\n",
    "AWSTemplateFormatVersion: '2010-09-09'\n? [complex, key]\n: value\nResources:\n  ? Key\n  : {Type: AWS::KMS::Key, Properties: {__proto__: {x: 1}, KeyPolicy: {__proto__: 1, Statement: []}}}\n",
  ];

  it.each(odd.map((text, index) => [index, text] as const))("YAML #%i", (_index, text) => {
    const inventory = loadCloudFormationYaml(text, "odd.yaml", CONTEXT);
    expect(inventory).toBeDefined();
    expect(() => lintInventory(inventory!)).not.toThrow();
  });

  it("JSON shapes", () => {
    for (const text of ['{"AWSTemplateFormatVersion": "2010-09-09"}', '{"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Fn::If": ["C", 1]}}}}}', "[1, 2]", '"x"', "", "{"]) {
      expect(() => lintInventory(fromJson(text))).not.toThrow();
    }
  });
});

describe("names that refer to names are resolved once each", () => {
  it("a chain of 60 roles, each naming itself after the next one twice, resolves (it would take forever if each reference were resolved again)", () => {
    const depth = 60;
    const text = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"];
    for (let i = 0; i < depth; i++) {
      text.push(`  R${i}:`, "    Type: AWS::IAM::Role", "    Properties:", `      RoleName: !Select [0, [!Ref R${i + 1}, !Ref R${i + 1}]]`, "      AssumeRolePolicyDocument: {}");
    }
    text.push(`  R${depth}:`, "    Type: AWS::IAM::Role", "    Properties:", "      RoleName: base", "      AssumeRolePolicyDocument: {}");
    text.push("  K:", "    Type: AWS::KMS::Key", "    Properties:", "      EnableKeyRotation: true", "      KeyPolicy:", "        Version: '2012-10-17'", "        Statement:");
    text.push("          - {Effect: Allow, Principal: {AWS: !GetAtt R0.Arn}, Action: 'kms:Decrypt', Resource: '*'}");
    const inventory = fromYaml(lines(...text));
    const principal = documentOf(inventory, "K").policy!.statements[0]!.principal;
    expect(JSON.stringify(principal)).toContain(`arn:aws:iam::${STACK_ACCOUNT}:role/base`);
    expect(inventory.unresolved).toEqual([]);
  });
});

describe("templates nested too deeply", () => {
  const statement = (open: string, close: string, n: number) => `${open.repeat(n)}${close.repeat(n)}`;

  it("JSON: 2000 nested lists are an invalid-json problem where the nesting passes the limit, never a throw", () => {
    const text = `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"K":{"Type":"AWS::KMS::Key","Properties":{"KeyPolicy":{"Version":"2012-10-17","Statement":${statement("[", "]", 2000)}}}}}}`;
    const inventory = fromJson(text);
    expect(inventory.problems).toHaveLength(1);
    expect(inventory.problems[0]).toMatchObject({ ruleId: "invalid-json", message: expect.stringMatching(/nested more than 200 levels/) });
    expect(inventory.problems[0]!.range.start.offset).toBeGreaterThan(text.indexOf("Statement"));
    expect(() => lintInventory(inventory)).not.toThrow();
  });

  it("JSON: nesting that overflows the JSON parser itself is placed too", () => {
    const text = `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"K":{"Type":"AWS::KMS::Key","Properties":{"KeyPolicy":{"Statement":${'{"a":'.repeat(20000)}1${"}".repeat(20000)}}}}}}`;
    const inventory = fromJson(text);
    expect(inventory.problems).toHaveLength(1);
    expect(inventory.problems[0]!.ruleId).toBe("invalid-json");
    expect(inventory.problems[0]!.range.start.offset).toBeGreaterThan(text.indexOf("Statement"));
  });

  it("YAML: flow and block nesting alike", () => {
    const head = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:", "  K:", "    Type: AWS::KMS::Key", "    Properties:"];
    const flow = fromYaml(lines(...head, `      KeyPolicy: ${statement("[", "]", 300)}`));
    expect(flow.problems).toHaveLength(1);
    expect(flow.problems[0]).toMatchObject({ ruleId: "invalid-json", message: expect.stringMatching(/nested more than 200 levels/) });
    expect(flow.problems[0]!.range.start.line).toBe(6);
    const block = fromYaml(lines(...head, "      KeyPolicy:", ...Array.from({ length: 300 }, (_, i) => `${"  ".repeat(i + 4)}a:`)));
    expect(block.problems.map((p) => p.ruleId)).toEqual(["invalid-json"]);
    const deep = loadCloudFormationYaml(lines(...head, `      KeyPolicy: ${statement("[", "]", 5000)}`), "deep.yaml", CONTEXT);
    expect(deep?.problems.map((p) => p.ruleId)).toEqual(["invalid-json"]);
    expect(deep?.problems[0]!.range.start.line).toBe(6);
  });
});

describe("Fn::Split, Fn::Select and Fn::Join over a value that cannot be evaluated", () => {
  const inventory = fromYaml(
    lines(
      "AWSTemplateFormatVersion: '2010-09-09'",
      "Parameters:",
      "  Env: {Type: String}",
      "Conditions:",
      "  IsProd: !Equals [!Ref Env, prod]",
      "Resources:",
      "  K:",
      "    Type: AWS::KMS::Key",
      "    Properties:",
      "      KeyPolicy:",
      "        Version: '2012-10-17'",
      "        Statement:",
      "          - Sid: Imported",
      "            Effect: Allow",
      "            Principal: {AWS: !Sub ['arn:aws:iam::${Acct}:root', {Acct: !Select [4, !Split [':', !ImportValue PartnerRoleArn]]}]}",
      "            Action: kms:Decrypt",
      "            Resource: '*'",
      "          - Sid: Branch",
      "            Effect: Allow",
      "            Principal: {AWS: !Select [1, !Split [',', !If [IsProd, 'arn:aws:iam::111111111111:root,arn:aws:iam::222222222222:root', '*,*']]]}",
      "            Action: kms:Decrypt",
      "            Resource: '*'",
      "          - Sid: Joined",
      "            Effect: Allow",
      "            Principal: {AWS: !Join ['', !If [IsProd, [a, b], [c]]]}",
      "            Action: kms:Decrypt",
      "            Resource: '*'",
      "          - Sid: Region",
      "            Effect: Allow",
      "            Principal: '*'",
      "            Action: kms:Decrypt",
      "            Resource: '*'",
      "            Condition: {StringEquals: {'kms:ViaService': !Select [1, !Split ['.', !Sub 's3.${AWS::Region}.amazonaws.com']]}}",
    ),
  );

  it("is one unresolved value: the outer expression, with the reason inside, never pieces of the stand-in", () => {
    expect(inventory.unresolved.map((u) => [u.expression, u.reason])).toEqual([
      ['!Select [4, !Split [":", …]]', "!ImportValue PartnerRoleArn: it is a value another stack exports, known only when the stack is deployed"],
      [
        '!Select [1, !Split [",", …]]',
        "!If [IsProd, …]: the condition IsProd cannot be evaluated: !Ref Env: the parameter has no Default; pass --parameter Env=Value",
      ],
      ['!Join ["", !If [IsProd, …]]', "!If [IsProd, …]: the condition IsProd cannot be evaluated: !Ref Env: the parameter has no Default; pass --parameter Env=Value"],
    ]);
    const statements = documentOf(inventory, "K").value as { Statement: { Principal: { AWS: string }; Condition?: unknown }[] };
    expect(statements.Statement[0]!.Principal.AWS).toBe('arn:aws:iam::\u00ab!Select [4, !Split [":", …]]\u00bb:root');
    expect(statements.Statement[1]!.Principal.AWS).toBe('\u00ab!Select [1, !Split [",", …]]\u00bb');
    expect(statements.Statement[2]!.Principal.AWS).toBe('\u00ab!Join ["", !If [IsProd, …]]\u00bb');
    expect(inventory.unresolved.every((u) => !/outside the list/.test(u.reason))).toBe(true);
  });

  it("splits a value with the Region in it without cutting the Region's stand-in", () => {
    const statements = documentOf(inventory, "K").value as { Statement: { Condition?: { StringEquals: Record<string, string> } }[] };
    expect(statements.Statement[3]!.Condition!.StringEquals["kms:ViaService"]).toBe(REGION);
    expect(findings(inventory, "invalid-policy")).toEqual([]);
  });
});

describe("Properties written as an Fn::If that cannot be evaluated", () => {
  const inventory = fromYaml(
    lines(
      "AWSTemplateFormatVersion: '2010-09-09'",
      "Parameters:",
      "  Env: {Type: String}",
      "Conditions:",
      "  IsProd: !Equals [!Ref Env, prod]",
      "Resources:",
      "  K:",
      "    Type: AWS::KMS::Key",
      "    Properties: !If",
      "      - IsProd",
      "      - EnableKeyRotation: false",
      "        KeyPolicy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*', Action: 'kms:*', Resource: '*'}]}",
      "      - EnableKeyRotation: false",
    ),
  );

  it("is one unresolved value at the Fn::If; no problem, and no setting of the resource is guessed", () => {
    expect(inventory.problems).toEqual([]);
    expect(inventory.unresolved).toHaveLength(1);
    expect(inventory.unresolved[0]).toMatchObject({ expression: "!If [IsProd, …]", resource: "K", consequence: "the properties of K are not checked" });
    expect(at(inventory.unresolved[0]!.range)).toEqual([9, 17]);
    expect(findings(inventory, "rotation-disabled")).toEqual([]);
    expect(lintInventory(inventory).findings.map((f) => [f.ruleId, ...at(f.range)])).toEqual([["unresolved-value", 9, 17]]);
  });

  it("with a condition that evaluates, the branch is read as before", () => {
    const prod = fromYaml(
      lines(
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Parameters:",
        "  Env: {Type: String, Default: prod}",
        "Conditions:",
        "  IsProd: !Equals [!Ref Env, prod]",
        "Resources:",
        "  K:",
        "    Type: AWS::KMS::Key",
        "    Properties: !If [IsProd, {EnableKeyRotation: true}, !Ref AWS::NoValue]",
      ),
    );
    expect(prod.problems).toEqual([]);
    expect(prod.keys[0]!.rotationEnabled).toMatchObject({ known: true, value: true });
  });
});

describe("Fn::ForEach (AWS::LanguageExtensions)", () => {
  const head = ["AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::LanguageExtensions"];
  const keyTemplate = (collection: string) => [
    "  Fn::ForEach::Keys:",
    "    - Name",
    `    - ${collection}`,
    "    - Key&{Name}:",
    "        Type: AWS::KMS::Key",
    "        Properties:",
    "          EnableKeyRotation: true",
    "          KeyPolicy:",
    "            Version: '2012-10-17'",
    "            Statement:",
    "              - Sid: !Sub 'For${Name}'",
    "                Effect: Allow",
    "                Principal: '*'",
    "                Action: kms:*",
    "                Resource: '*'",
  ];

  it("a literal collection: one resource per element, identifiers replaced in keys and values, policies checked", () => {
    const inventory = fromYaml(lines(...head, "Resources:", ...keyTemplate("[logs-a, Data]")));
    expect(inventory.problems).toEqual([]);
    expect(inventory.keys.map((k) => k.resource.address)).toEqual(["Keylogsa", "KeyData"]);
    expect(at(inventory.keys[0]!.resource.anchor)).toEqual([7, 7]);
    expect((documentOf(inventory, "Keylogsa").value as { Statement: { Sid: string }[] }).Statement[0]!.Sid).toBe("Forlogs-a");
    expect(findings(inventory, "public-access").map((f) => f.resource)).toEqual(expect.arrayContaining(["Keylogsa", "KeyData"]));
  });

  it("a list parameter with a Default is a collection too", () => {
    const inventory = fromYaml(lines(...head, "Parameters:", "  Names: {Type: CommaDelimitedList, Default: 'a,b,c'}", "Resources:", ...keyTemplate("!Ref Names")));
    expect(inventory.keys.map((k) => k.resource.address)).toEqual(["Keya", "Keyb", "Keyc"]);
  });

  it("a collection that cannot be evaluated is one unresolved value; what it generates is not checked", () => {
    const inventory = fromYaml(lines(...head, "Parameters:", "  Names: {Type: CommaDelimitedList}", "Resources:", ...keyTemplate("!Ref Names")));
    expect(inventory.problems).toEqual([]);
    expect(inventory.keys).toEqual([]);
    expect(inventory.unresolved).toHaveLength(1);
    expect(inventory.unresolved[0]).toMatchObject({ expression: "!Ref Names", consequence: "the resources Fn::ForEach::Keys generates are not checked" });
    expect(at(inventory.unresolved[0]!.range)).toEqual([8, 7]);
  });
});

describe("duplicate keys and leading-zero numbers in many resources", () => {
  it("each is attributed to the resource it is written in", () => {
    const text = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"];
    for (let i = 0; i < 3000; i++) text.push(`  B${i}:`, "    Type: AWS::S3::Bucket", "    Properties:", "      Tags: {a: 1, a: 2}", "      Account: 012345678901");
    const inventory = fromYaml(lines(...text));
    const duplicates = inventory.problems.filter((p) => p.message.startsWith("Duplicate key"));
    expect(duplicates).toHaveLength(3000);
    expect(duplicates.every((p, i) => p.resource === `B${i}`)).toBe(true);
    const zeros = inventory.problems.filter((p) => p.severity === "warning");
    expect(zeros).toHaveLength(3000);
    expect(zeros[2999]!.resource).toBe("B2999");
  });
});

describe("policies that are not policies, and values inside policies written as strings", () => {
  it("a null or non-JSON KeyPolicy is a problem of the resource, not of the file; a JSON string that does not parse stays a document", () => {
    const inventory = fromYaml(
      lines(
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Resources:",
        "  K1:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy:",
        "  K2:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: 'not json {'",
        "  K3:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: '{\"Version\": '",
      ),
    );
    expect(inventory.problems.map((p) => [p.resource, p.ruleId, p.message, ...at(p.range)])).toEqual([
      ["K1", "invalid-policy", "The KeyPolicy of K1 is null, not a policy: write a map with Version and Statement (or that map as a JSON string)", 6, 17],
      ["K2", "invalid-policy", 'The KeyPolicy of K2 is "not json {", not a policy: write a map with Version and Statement (or that map as a JSON string)', 10, 18],
    ]);
    expect(policyOf(inventory, "K1").document).toBeUndefined();
    expect(policyOf(inventory, "K2").document).toBeUndefined();
    expect(policyOf(inventory, "K3").document).toBeDefined();
    const messages = lintInventory(inventory).findings.filter((f) => f.ruleId === "invalid-policy" || f.ruleId === "invalid-json");
    expect(messages.map((f) => f.resource)).toEqual(["K1", "K2", "K3"]);
    expect(messages.filter((f) => f.resource !== "K3").every((f) => !/Nothing else in this file/.test(f.message))).toBe(true);
  });

  it("a value in a policy written as !Sub over a JSON string: only that value is not checked", () => {
    const inventory = fromYaml(
      lines(
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Parameters:",
        "  Other: {Type: String}",
        "Resources:",
        "  K:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      EnableKeyRotation: true",
        `      KeyPolicy: !Sub '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\${Other}:root"},"Action":"kms:*","Resource":"*"}]}'`,
        "  Whole:",
        "    Type: AWS::KMS::Key",
        "    Properties:",
        "      KeyPolicy: !Sub '${Other}'",
      ),
    );
    expect(inventory.unresolved.map((u) => [u.resource, u.consequence])).toEqual([
      ["K", "the value ${Other} in the key policy is not checked"],
      ["Whole", "the key policy is not checked"],
    ]);
  });
});
