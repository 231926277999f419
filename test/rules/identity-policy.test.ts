/**
 * IAM identity policies (kind `identity-policy`): how they are told from key and bucket policies, and what is
 * checked in them (the grammar, IAM's size limit, action and condition-key names) and what is not (the access
 * rules: an identity policy grants its holder, not outsiders). Positions are asserted with line and column.
 */
import { existsSync, readFileSync } from "node:fs";
import { ACCESS_RULES } from "../analysis/helpers.js";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lintText } from "../../src/engine/linter.js";
import { IDENTITY_POLICY_REASON } from "../../src/model/kind.js";
import { ensureBuilt, fixture, kmslint, ROOT } from "../cli/helpers.js";
import { findingsOf, ruleTester, type ValidCase } from "../rule-tester.js";

/** One statement; its body starts at line 5, column 7 (the statement object at 4:5). */
const statement = (...body: string[]) => ["{", '  "Version": "2012-10-17",', '  "Statement": [', "    {", ...body.map((l) => `      ${l}`), "    }", "  ]", "}"].join("\n");
/** Two statements: the first's body from line 5, the second's object at 4 + (first body lines) + 2. */
const statements = (first: string[], second: string[]) =>
  ["{", '  "Version": "2012-10-17",', '  "Statement": [', "    {", ...first.map((l) => `      ${l}`), "    },", "    {", ...second.map((l) => `      ${l}`), "    }", "  ]", "}"].join("\n");

const ALLOW_KMS_READ = ['"Effect": "Allow",', '"Action": ["kms:List*", "kms:Describe*", "kms:Get*"],', '"Resource": "*"'];
const ROOT_PRINCIPAL = '"Principal": {"AWS": "arn:aws:iam::111122223333:root"},';

/**
 * The shape of docs/audit-iam-policy.json: what `kmslint audit` calls (KMS ListKeys, ListAliases, DescribeKey,
 * GetKeyPolicy, GetKeyRotationStatus, ListKeyRotations; S3 ListBuckets, GetBucketLocation, GetBucketPolicy,
 * GetBucketEncryption; STS GetCallerIdentity; Organizations DescribeOrganization; Account ListRegions), read-only.
 */
const AUDIT_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadKeysAndKeyPolicies",
      "Effect": "Allow",
      "Action": ["kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListKeyRotations", "kms:List*", "kms:Describe*", "kms:Get*"],
      "Resource": "*"
    },
    {
      "Sid": "ReadBucketsAndBucketPolicies",
      "Effect": "Allow",
      "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus", "s3:GetEncryptionConfiguration", "s3:List*", "s3:Get*"],
      "Resource": "*"
    },
    {
      "Sid": "ReadTheTrustContext",
      "Effect": "Allow",
      "Action": ["sts:GetCallerIdentity", "organizations:DescribeOrganization", "account:ListRegions", "access-analyzer:ListAnalyzers", "access-analyzer:ListFindings"],
      "Resource": "*"
    }
  ]
}
`;

describe("detection: a policy in which no statement names a principal is an identity policy", () => {
  it.each([
    ["no statement names a principal", statement(...ALLOW_KMS_READ), "policy.json", "identity-policy", IDENTITY_POLICY_REASON],
    ["S3 actions and bucket ARNs do not make it a bucket policy", statement('"Effect": "Allow",', '"Action": "s3:GetObject",', '"Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"'), "policy.json", "identity-policy", IDENTITY_POLICY_REASON],
    ["the single-statement form", '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}}', "x.json", "identity-policy", IDENTITY_POLICY_REASON],
    ["a name with kms or s3 in it is not a key or bucket policy's name", statement(...ALLOW_KMS_READ), "kms-s3-readonly.json", "identity-policy", IDENTITY_POLICY_REASON],
    ["file named key-policy.json: a key policy that lost its principals", statement(...ALLOW_KMS_READ), "keys/key-policy.json", "key-policy", 'KMS actions or Resource "*"'],
    ["file named KeyPolicy.json", statement(...ALLOW_KMS_READ), "KeyPolicy.json", "key-policy", 'KMS actions or Resource "*"'],
    ["file named resource-policy.json: decided between key and bucket policy as before", statement(...ALLOW_KMS_READ), "resource-policy.json", "key-policy", 'KMS actions or Resource "*"'],
    ["file named data_bucket_policy.json", statement('"Effect": "Allow",', '"Action": "s3:GetObject",', '"Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"'), "data_bucket_policy.json", "bucket-policy", "S3 actions or bucket ARNs"],
    ["mixed: one statement names a principal, one does not", statements([ROOT_PRINCIPAL, ...ALLOW_KMS_READ], ALLOW_KMS_READ), "policy.json", "key-policy", 'KMS actions or Resource "*"'],
    ["a misspelled principal still names one", statement('"principal": "*",', ...ALLOW_KMS_READ), "policy.json", "key-policy", 'KMS actions or Resource "*"'],
    ["no statements at all: decided as before", '{"Version": "2012-10-17", "Statement": []}', "policy.json", "key-policy", "nothing in it names KMS or S3; assumed a key policy"],
  ])("%s", (_name, text, filePath, kind, reason) => {
    const result = lintText(text, filePath);
    expect([result.kind, result.kindReason]).toEqual([kind, reason]);
  });

  it("an identity policy is detected with confidence: no kind-guess warning", () => {
    const found = lintText(statement(...ALLOW_KMS_READ), "policy.json").findings;
    expect(found.map((f) => `${f.range.start.line}:${f.range.start.column} ${f.ruleId}/${f.messageId}`)).toEqual([]);
  });

  it("--kind identity-policy (the lint option) forces it on a policy with principals", () => {
    const result = lintText(statement(ROOT_PRINCIPAL, ...ALLOW_KMS_READ), "key.json", { kind: "identity-policy" });
    expect([result.kind, result.kindReason]).toEqual(["identity-policy", "forced by --kind"]);
  });
});

// A key policy named as one keeps today's errors: every statement without a principal is reported.
ruleTester("invalid-policy", {
  valid: [{ name: "the same policy under another name: an identity policy, nothing to report", policy: statements(ALLOW_KMS_READ, ALLOW_KMS_READ) }],
  invalid: [
    {
      name: "key-policy.json without principals: a key policy, each statement reported",
      filePath: "key-policy.json",
      policy: statements(ALLOW_KMS_READ, ALLOW_KMS_READ),
      errors: [
        { messageId: "missingPrincipal", line: 4, column: 5, severity: "error", message: "every statement of a key policy must name one" },
        { messageId: "missingPrincipal", line: 9, column: 5, severity: "error" },
      ],
    },
    {
      name: "bucket-policy.json without principals: a bucket policy",
      filePath: "bucket-policy.json",
      policy: statement('"Effect": "Allow",', '"Action": "s3:GetObject",', '"Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"'),
      errors: [{ messageId: "missingPrincipal", line: 4, column: 5, message: "every statement of a bucket policy must name one" }],
    },
    {
      name: "mixed: the statement without a principal is reported, as before",
      policy: statements([ROOT_PRINCIPAL, ...ALLOW_KMS_READ], ALLOW_KMS_READ),
      errors: [{ messageId: "missingPrincipal", line: 10, column: 5, severity: "error" }],
    },
  ],
});

ruleTester("invalid-policy", {
  valid: [
    { name: "the audit IAM policy", policy: AUDIT_POLICY, filePath: "audit-iam-policy.json" },
    { name: "NotAction and NotResource", policy: statement('"Effect": "Deny",', '"NotAction": ["kms:Describe*", "kms:List*"],', '"NotResource": "arn:aws:kms:*:111122223333:key/*"') },
    {
      name: "resources of any service, and policy variables",
      policy: statement(
        '"Effect": "Allow",',
        '"Action": ["iam:PassRole", "s3:GetObject", "dynamodb:GetItem"],',
        '"Resource": ["arn:aws:iam::111122223333:role/app", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*", "arn:aws:dynamodb:us-east-1:111122223333:table/Books"]',
      ),
    },
    { name: "alphanumeric Sids", policy: statements(['"Sid": "ReadKeys1",', ...ALLOW_KMS_READ], ['"Sid": "ReadKeys2",', ...ALLOW_KMS_READ]) },
    { name: "Latin-1 letters are in the IAM character set", policy: statement('"Effect": "Allow",', '"Action": "s3:GetObject",', '"Resource": "arn:aws:s3:::amzn-s3-demo-bucket/résumé/*"') },
  ],
  invalid: [
    {
      name: "Principal in an identity policy: IAM rejects it, reported at the element",
      kind: "identity-policy",
      policy: statement('"Effect": "Allow",', ROOT_PRINCIPAL, '"Action": "kms:Decrypt",', '"Resource": "*"'),
      errors: [{ messageId: "principalInIdentity", line: 6, column: 7, endLine: 6, endColumn: 18, severity: "error", message: "MalformedPolicyDocument: Policy document should not specify a principal" }],
    },
    {
      name: "NotPrincipal too; its entries are not checked further (the wildcard in the ARN is not reported)",
      kind: "identity-policy",
      policy: statement('"Effect": "Deny",', '"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/*"},', '"Action": "kms:*",', '"Resource": "*"'),
      errors: [{ messageId: "principalInIdentity", line: 6, column: 7, endColumn: 21, message: "has NotPrincipal" }],
    },
    {
      name: "no Resource: IAM rejects the statement",
      policy: statement('"Effect": "Allow",', '"Action": "kms:DescribeKey"'),
      errors: [{ messageId: "missingElementIam", line: 4, column: 5, severity: "error", message: "MalformedPolicyDocument: Policy statement must contain resources" }],
    },
    {
      name: "no Action: IAM rejects the statement",
      policy: statement('"Effect": "Allow",', '"Resource": "*"'),
      errors: [{ messageId: "missingElementIam", line: 4, column: 5, severity: "error", message: "Policy statement must contain actions" }],
    },
    {
      name: "a Sid with spaces: IAM accepts only letters and digits",
      policy: statement('"Sid": "Read KMS keys",', ...ALLOW_KMS_READ),
      errors: [{ messageId: "iamSid", line: 5, column: 14, endColumn: 29, severity: "error", message: 'Write it as "ReadKMSkeys"' }],
    },
    {
      name: "duplicate Sids: IAM rejects them",
      policy: statements(['"Sid": "Read",', ...ALLOW_KMS_READ], ['"Sid": "Read",', ...ALLOW_KMS_READ]),
      errors: [{ messageId: "duplicateSid", line: 11, column: 14, severity: "error", message: "Statement IDs (SID) in a single policy must be unique" }],
    },
    {
      name: "a resource that is neither an ARN nor *",
      policy: statement('"Effect": "Allow",', '"Action": "s3:GetObject",', '"Resource": "amzn-s3-demo-bucket"'),
      errors: [{ messageId: "resourceArn", line: 7, column: 19, severity: "error" }],
    },
    {
      name: "a character outside the IAM character set",
      policy: statement('"Effect": "Allow",', '"Action": "s3:GetObject",', '"Resource": "arn:aws:s3:::amzn-s3-demo-bucket/a–b/*"'),
      errors: [{ messageId: "characterSet", line: 7, column: 54, severity: "error", message: "outside the IAM policy character set" }],
    },
    {
      name: "no Version: read as 2008-10-17, as for every policy",
      policy: '{"Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}',
      errors: [{ messageId: "noVersion", line: 1, column: 1, severity: "warning" }],
    },
  ],
});

/** An identity policy of about `characters` characters without whitespace, written with `indent`. */
function paddedIdentityPolicy(characters: number, indent: number): string {
  const list: object[] = [];
  let text = "";
  for (let i = 0; ; i++) {
    list.push({ Sid: `ReadTable${i}`, Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:Query"], Resource: `arn:aws:dynamodb:us-east-1:111122223333:table/application-table-${i}` });
    const policy = { Version: "2012-10-17", Statement: list };
    if (JSON.stringify(policy).length > characters) return text;
    text = JSON.stringify(policy, null, indent);
  }
}

ruleTester("policy-size", {
  valid: [
    { name: "a small identity policy", policy: AUDIT_POLICY },
    {
      name: "whitespace does not count: 5,400 characters without it, far more bytes as written",
      policy: paddedIdentityPolicy(5_400, 12),
    },
  ],
  invalid: [
    {
      name: "over the managed policy limit of 6,144 characters",
      policy: paddedIdentityPolicy(6_500, 2),
      errors: [{ messageId: "identityOver", line: 1, column: 1, severity: "error", message: "over the IAM limit of 6,144 characters for a managed policy (IAM does not count whitespace): CreatePolicy and CreatePolicyVersion fail with LimitExceeded (Cannot exceed quota for PolicySize: 6144). As an inline policy it fits only on a role" }],
    },
    {
      name: "over every inline limit too",
      policy: paddedIdentityPolicy(11_000, 0),
      errors: [{ messageId: "identityOver", line: 1, column: 1, message: "It is over the inline policy limits too (10,240 characters" }],
    },
    {
      name: "within 10% of the limit",
      policy: paddedIdentityPolicy(5_900, 2),
      errors: [{ messageId: "identityNear", line: 1, column: 1, severity: "warning", message: "of the IAM limit of 6,144 characters for a managed policy" }],
    },
  ],
});

describe("policy-size on identity policies counts characters without whitespace", () => {
  it("states the size IAM counts and the size as written", () => {
    const text = paddedIdentityPolicy(6_500, 4);
    const compact = JSON.stringify(JSON.parse(text)).length;
    const [finding] = lintText(text, "policy.json").findings.filter((f) => f.ruleId === "policy-size");
    expect(finding!.message).toContain(`Identity policy is ${compact.toLocaleString("en-US")} characters without whitespace (${Buffer.byteLength(text).toLocaleString("en-US")} bytes as written)`);
  });
});

const action = (actions: string) => statement('"Effect": "Allow",', `"Action": ${actions},`, '"Resource": "*"');

ruleTester("unknown-action", {
  valid: [
    { name: "the audit IAM policy", policy: AUDIT_POLICY },
    { name: "actions of every service are in place", policy: action('["sts:GetCallerIdentity", "iam:PassRole", "ec2:DescribeInstances", "dynamodb:*", "kms:Decrypt", "s3:GetObject", "s3express:CreateSession"]') },
    { name: "wildcards", policy: action('["*", "*:Describe*", "kms:Generate*", "s3:Get*"]') },
  ],
  invalid: [
    {
      name: "an S3 action that does not exist, with a suggestion",
      policy: action('["kms:DescribeKey", "s3:GetBucketPolicyy"]'),
      errors: [{ messageId: "noMatch", line: 6, column: 37, endColumn: 58, message: 'matches no S3 action (did you mean "s3:GetBucketPolicy"?)' }],
    },
    {
      name: "a KMS action that does not exist (the wildcard was forgotten)",
      policy: action('"kms:ListKey"'),
      errors: [{ messageId: "noMatch", line: 6, column: 17, message: 'matches no KMS action (did you mean "kms:ListKey*"?)' }],
    },
    {
      name: "a prefix that is no AWS service",
      policy: action('["sts:GetCallerIdentity", "organisations:DescribeOrganization"]'),
      errors: [{ messageId: "noService", line: 6, column: 43, severity: "warning", message: 'is from "organisations", which is no AWS service' }],
    },
  ],
});

const condition = (key: string, actions = '"kms:Decrypt"') => statement('"Effect": "Allow",', `"Action": ${actions},`, '"Resource": "*",', `"Condition": {"StringEquals": {"${key}": "x"}}`);

ruleTester("unknown-condition-key", {
  valid: [
    { name: "a global key", policy: condition("aws:RequestedRegion") },
    { name: "keys of any service (an identity policy governs every service)", policy: condition("ec2:ResourceTag/team", '["kms:Decrypt", "ec2:StartInstances"]') },
    { name: "an S3 key next to KMS actions is not judged", policy: condition("s3:prefix") },
  ],
  invalid: [
    {
      name: "a key that does not exist",
      policy: condition("aws:PrincipleOrgID"),
      errors: [{ messageId: "unknown", line: 8, column: 38, message: '(did you mean "aws:PrincipalOrgID"?)' }],
    },
  ],
});

/** Wide grants: a bypassable organization condition, kms:ViaService alone, grants and administration for anyone. */
const wideOpen = (principal: string[]) =>
  statements(
    ['"Effect": "Allow",', ...principal, '"Action": "kms:Decrypt",', '"Resource": "*",', '"Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}'],
    ['"Effect": "Allow",', ...principal, '"Action": ["s3:*", "kms:CreateGrant", "kms:PutKeyPolicy"],', '"Resource": "*"'],
  );
const WIDE_OPEN = wideOpen([]);
const WIDE_OPEN_TO_ANYONE = wideOpen(['"Principal": "*",']);

describe("the access rules do not apply to identity policies", () => {
  const cases: [string, ValidCase][] = [
    ["a wide identity policy", { policy: WIDE_OPEN }],
    ["forced, with Principal \"*\"", { kind: "identity-policy", policy: WIDE_OPEN_TO_ANYONE }],
    ["the audit IAM policy", { policy: AUDIT_POLICY, trust: { account: "111122223333", org: "o-a1b2c3d4e5", trustedAccounts: [] } }],
    [
      "forced, with principals (reported by invalid-policy only)",
      { kind: "identity-policy", policy: statement('"Effect": "Allow",', '"NotPrincipal": {"AWS": "arn:aws:iam::999988887777:root"},', '"Action": "kms:*",', '"Resource": "*"') },
    ],
  ];
  it.each(ACCESS_RULES.flatMap((ruleId) => cases.map(([name, test]) => [ruleId, name, test] as const)))("%s: %s", (ruleId, _name, test) => {
    expect(findingsOf(ruleId, test).map((f) => `${f.range.start.line}:${f.range.start.column} ${f.message}`)).toEqual([]);
  });

  it("the same policy with Principal \"*\", as a key policy, is a finding of the access rules (the cases above can fail)", () => {
    const ids = new Set(lintText(WIDE_OPEN_TO_ANYONE, "policy.json").findings.map((f) => f.ruleId));
    expect(["public-access", "org-condition", "external-admin-access", "grant-without-aws-resource-guard"].filter((id) => !ids.has(id))).toEqual([]);
  });

  it("only the grammar, size and name rules report on an identity policy", () => {
    const text = statement('"Effect": "Allow",', '"Principal": "*",', '"Action": ["kms:*", "kms:Decrpyt"],', '"Resource": "*"');
    const found = lintText(text, "policy.json", { kind: "identity-policy" }).findings;
    expect(found.map((f) => `${f.range.start.line}:${f.range.start.column} ${f.ruleId}/${f.messageId}`)).toEqual(["6:7 invalid-policy/principalInIdentity", "7:27 unknown-action/noMatch"]);
  });
});

describe("kmslint lint on the audit IAM policy", () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it("an audit IAM policy is an identity policy, and clean", () => {
    const dir = fixture({ "audit-iam-policy.json": AUDIT_POLICY });
    const r = kmslint(["lint", "--format", "json", join(dir, "audit-iam-policy.json")]);
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as { kind: string; kindReason: string; messages: unknown[] }[];
    expect(result).toMatchObject({ kind: "identity-policy", kindReason: IDENTITY_POLICY_REASON, messages: [] });
  });

  const shipped = join(ROOT, "docs", "audit-iam-policy.json");
  it.runIf(existsSync(shipped))("docs/audit-iam-policy.json is an identity policy, and clean", () => {
    const r = kmslint(["lint", "docs/audit-iam-policy.json"]);
    expect(r.stdout).toContain("1 file checked; 0 errors, 0 warnings");
    expect(r.code).toBe(0);
    const [result] = JSON.parse(kmslint(["lint", "--format", "json", "docs/audit-iam-policy.json"]).stdout) as { kind: string; messages: unknown[] }[];
    expect(result).toMatchObject({ kind: "identity-policy", messages: [] });
    expect(JSON.stringify(JSON.parse(readFileSync(shipped, "utf8")))).not.toContain('"Principal"');
  });
});

describe("the identity policies of the shared corpus", () => {
  const CORPUS = join(ROOT, "..", "shared", "corpus");
  const manifestPath = join(CORPUS, "MANIFEST.json");
  it.runIf(existsSync(manifestPath))("are detected as identity policies and lint clean, but one whose file name says key policy", () => {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { file: string; kind: string; jsonValid?: boolean }[];
    const files = [...new Set(manifest.filter((e) => e.kind === "identity-policy" && e.jsonValid !== false).map((e) => e.file))];
    expect(files.length).toBeGreaterThan(30);
    const notClean: string[] = [];
    for (const file of files) {
      const result = lintText(readFileSync(join(CORPUS, file)), join(CORPUS, file));
      if (result.kind !== "identity-policy" || result.findings.length > 0) notClean.push(`${file}: ${result.kind}, ${result.findings.map((f) => `${f.ruleId}/${f.messageId}`).join(" ")}`);
    }
    // An IAM policy example from the KMS guide's page "key-policy-modifying-external-accounts": the name decides,
    // so that a key policy that lost its principals keeps its errors.
    expect(notClean).toEqual(["reference/aws-kms-developer-guide/key-policy-modifying-external-accounts.03.json: key-policy, lockout-risk/nobody invalid-policy/missingPrincipal"]);
  });
});
