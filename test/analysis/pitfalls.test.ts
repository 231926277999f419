/**
 * Every semantic pitfall of PEERS.md §2 that applies to policy files, as a policy in and findings out.
 */
import { describe, expect, it } from "vitest";
import { allRules } from "../../rules/index.js";
import { readFileSync } from "node:fs";
import { lintSource } from "../../src/cli/lint-task.js";
import { lintText } from "../../src/engine/linter.js";
import { ORG, OTHER, OWNER, ROOT_STATEMENT, access, bucketPolicy, keyPolicy, pointsAt, rulesOf } from "./helpers.js";

const lintTextAll = (text: string) => lintText(text, "key.json", { trust: { account: OWNER, org: ORG, trustedAccounts: [] } });

const decrypt = (principal: unknown, condition?: object) => ({
  Sid: "Use",
  Effect: "Allow",
  Principal: principal,
  Action: ["kms:Decrypt", "kms:DescribeKey"],
  Resource: "*",
  ...(condition ? { Condition: condition } : {}),
});

describe("P1: the default key policy root statement is IAM delegation, not a grant", () => {
  it("own-account root with kms:* gives no access finding", () => {
    expect(access(keyPolicy()).ids).toEqual([]);
  });
  it("also when the owner is inferred (no --account), which messages then say", () => {
    expect(access(keyPolicy(), { trust: { account: undefined } }).ids).toEqual([]);
    const { findings } = access(keyPolicy(decrypt({ AWS: `arn:aws:iam::${OTHER}:root` })), { trust: { account: undefined } });
    expect(findings.map((f) => f.ruleId)).toEqual(["cross-account-access"]);
    expect(findings[0]!.message).toContain(`inferred as ${OWNER}`);
  });
  it("an external account root is a cross-account grant to that whole account, at its position", () => {
    const text = JSON.stringify(keyPolicy(decrypt({ AWS: `arn:aws:iam::${OTHER}:root` })), null, 2);
    const { ids, findings } = access(text);
    expect(ids).toEqual(["cross-account-access@17:16"]);
    expect(findings[0]!.message).toContain(`Account ${OTHER} (outside the organization) can call Decrypt (usage) and DescribeKey (read) on this key`);
  });
});

describe("P2: Resource * in a key policy means this key", () => {
  it("is not a finding", () => {
    expect(rulesOf(keyPolicy(decrypt({ AWS: `arn:aws:iam::${OWNER}:role/App` })))).toEqual([]);
  });
});

describe("P3: conditions are evaluated, not ignored or accepted blindly", () => {
  it("aws:SecureTransport does not narrow who: still public", () => {
    const { findings } = access(keyPolicy(decrypt("*", { Bool: { "aws:SecureTransport": "true" } })));
    expect(findings.map((f) => f.ruleId)).toEqual(["public-access"]);
    expect(findings[0]!.message).toContain("aws:SecureTransport does not identify the caller");
  });
  it("an org condition narrows to the organization: no finding", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringEquals: { "aws:PrincipalOrgID": ORG } })))).toEqual([]);
  });
});

describe("P4: condition key names are case-insensitive", () => {
  it.each(["kms:callerAccount", "KMS:CallerAccount", "aws:principalaccount"])("%s narrows", (key) => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringEquals: { [key]: OWNER } })))).toEqual([]);
  });
  it("values are case-sensitive: an org id in capitals is malformed, and matches no real caller", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringEquals: { "AWS:PrincipalOrgId": "O-A1B2C3D4E5" } })))).toEqual(["org-condition"]);
  });
});

describe("P5: IfExists and ForAllValues fail open", () => {
  it.each([
    [{ StringEqualsIfExists: { "aws:PrincipalOrgID": ORG } }, "is true when aws:PrincipalOrgID is absent"],
    [{ "ForAllValues:StringEquals": { "aws:PrincipalOrgID": ORG } }, "ForAllValues is true when aws:PrincipalOrgID is absent"],
    [{ StringEqualsIfExists: { "kms:CallerAccount": OWNER } }, "is true when kms:CallerAccount is absent"],
  ])("%j leaves the statement public", (condition, reason) => {
    const { findings } = access(keyPolicy(decrypt("*", condition)));
    expect(findings.find((f) => f.ruleId === "public-access")?.message).toContain(reason);
  });
  it("and an org condition that fails open is its own org-condition finding, at the key", () => {
    const text = JSON.stringify(keyPolicy(decrypt("*", { StringEqualsIfExists: { "aws:PrincipalOrgID": ORG } })), null, 2);
    expect(access(text).ids).toEqual(["public-access@16:20", "org-condition@24:11"]);
  });
});

describe("P6: wildcard organization and account values narrow nothing", () => {
  it.each([
    [{ StringLike: { "aws:PrincipalOrgID": "o-*" } }],
    [{ StringLike: { "aws:PrincipalOrgID": ["o-*"] } }],
    [{ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/Reader" } }],
    [{ StringLike: { "kms:CallerAccount": "1111*" } }],
  ])("%j is public", (condition) => {
    expect(rulesOf(keyPolicy(decrypt("*", condition)))).toContain("public-access");
  });
  it("o-* is also an org-condition error", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringLike: { "aws:PrincipalOrgID": "o-*" } })))).toEqual(["org-condition", "public-access"]);
  });
  it("a foreign organization is an org-condition error naming it", () => {
    const { findings } = access(keyPolicy(decrypt("*", { StringEquals: { "aws:PrincipalOrgID": "o-zzzzzzzzzz" } })));
    expect(findings.map((f) => f.ruleId)).toEqual(["org-condition"]);
    expect(findings[0]!.message).toContain("o-zzzzzzzzzz, which is not yours (o-a1b2c3d4e5)");
  });
});

describe("P7: AND across keys, OR across values", () => {
  it("an org condition AND a wide IP range is still bounded by the org", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringEquals: { "aws:PrincipalOrgID": ORG }, IpAddress: { "aws:SourceIp": "0.0.0.0/0" } })))).toEqual([]);
  });
  it("one wildcard value among several makes the key narrow nothing", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringLike: { "aws:PrincipalOrgID": [ORG, "o-*"] } })))).toContain("public-access");
  });
  it("several accounts in one key are a union: each outside one is reported", () => {
    const { findings } = access(keyPolicy(decrypt("*", { StringEquals: { "kms:CallerAccount": [OWNER, OTHER, "777788889999"] } })));
    expect(findings.map((f) => f.message.slice(0, 20))).toEqual([`Account ${OTHER}`, "Account 777788889999"]);
  });
});

describe("P8: verdicts do not depend on statement order; Deny statements are modelled", () => {
  const restricted = decrypt("*", { StringEquals: { "aws:PrincipalOrgID": ORG } });
  const open = { ...decrypt("*"), Sid: "Open" };
  it("a public statement after a restricted one is still found, whatever the order", () => {
    const a = rulesOf({ Version: "2012-10-17", Statement: [ROOT_STATEMENT, restricted, open] });
    const b = rulesOf({ Version: "2012-10-17", Statement: [open, restricted, ROOT_STATEMENT] });
    expect(a).toEqual(["public-access"]);
    expect(b).toEqual(a);
  });
  it("the data-perimeter Deny guards a public Allow, wherever it stands (it exempts AWS services, which is said)", () => {
    const perimeter = { Sid: "Perimeter", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": ORG }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } } };
    expect(rulesOf({ Version: "2012-10-17", Statement: [perimeter, ROOT_STATEMENT, open] })).toEqual(["service-principal-without-source"]);
    expect(rulesOf({ Version: "2012-10-17", Statement: [ROOT_STATEMENT, open, perimeter] })).toEqual(["service-principal-without-source"]);
    const { findings } = access({ Version: "2012-10-17", Statement: [ROOT_STATEMENT, open, perimeter] });
    expect(findings[0]!.message).toContain("exempts AWS service principals: every AWS service, acting for any account");
    const bounded = { ...open, Condition: { StringEquals: { "aws:SourceAccount": OWNER } } };
    expect(rulesOf({ Version: "2012-10-17", Statement: [ROOT_STATEMENT, bounded, perimeter] })).toEqual([]);
  });
  it("a Deny that does not cover is named in the finding", () => {
    const partial = { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const { findings } = access({ Version: "2012-10-17", Statement: [ROOT_STATEMENT, open, partial] });
    expect(findings.map((f) => f.ruleId)).toEqual(["public-access"]);
    expect(findings[0]!.message).toContain('A Deny exists but was not counted: Deny statement "TlsOnly" does not cover');
  });
  it("a Deny that covers only some of the actions is not counted", () => {
    const narrow = { Sid: "DenyDecrypt", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalOrgID": ORG } } };
    expect(rulesOf({ Version: "2012-10-17", Statement: [ROOT_STATEMENT, open, narrow] })).toEqual(["public-access"]);
  });
});

describe("P9: kms:ViaService does not bound the account; kms:CallerAccount does", () => {
  const via = { "kms:ViaService": "s3.us-east-1.amazonaws.com" };
  it("ViaService alone is public, and its own finding points at the ViaService key", () => {
    const text = JSON.stringify(keyPolicy(decrypt({ AWS: "*" }, { StringEquals: via })), null, 2);
    expect(access(text).ids).toEqual(["public-access@17:16", "via-service-without-caller-account@26:11"]);
  });
  it("ViaService with CallerAccount = owner is the AWS managed key pattern: fine", () => {
    expect(rulesOf(keyPolicy(decrypt({ AWS: "*" }, { StringEquals: { ...via, "kms:CallerAccount": OWNER } })))).toEqual([]);
  });
  it("CallerAccount = another account is cross-account access to that account", () => {
    const { findings } = access(keyPolicy(decrypt({ AWS: "*" }, { StringEquals: { ...via, "kms:CallerAccount": OTHER } })));
    expect(findings.map((f) => f.ruleId)).toEqual(["cross-account-access"]);
    expect(findings[0]!.message).toContain(`Account ${OTHER}`);
  });
});

describe("P10: accounts are compared as whole ARN fields, never substrings", () => {
  it("a role named after the owner account in another account is cross-account", () => {
    const { findings } = access(keyPolicy(decrypt({ AWS: `arn:aws:iam::999988887777:role/${OWNER}-reader` })));
    expect(findings.map((f) => f.message.slice(0, 21))).toEqual(["Account 999988887777 "]);
  });
  it("bare account ids and :root are the same account", () => {
    expect(rulesOf(keyPolicy(decrypt({ AWS: [OWNER, `arn:aws:iam::${OWNER}:root`] })))).toEqual([]);
  });
});

describe("P11: aws:PrincipalOrgID does not apply to service principals", () => {
  it("a service principal is asked for aws:SourceAccount/SourceArn, not an org condition", () => {
    const { findings } = access(keyPolicy({ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "kms:GenerateDataKey*", Resource: "*" }));
    expect(findings.map((f) => f.ruleId)).toEqual(["service-principal-without-source"]);
    expect(findings[0]!.message).toContain("aws:SourceAccount");
    expect(findings[0]!.message).not.toContain("PrincipalOrgID");
  });
  it.each([
    [{ StringEquals: { "aws:SourceAccount": OWNER } }],
    [{ ArnLike: { "aws:SourceArn": `arn:aws:cloudtrail:*:${OWNER}:trail/*` } }],
    [{ StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${OWNER}:trail/*` } }],
  ])("%j binds the service to the account", (condition) => {
    expect(rulesOf(keyPolicy({ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "kms:GenerateDataKey*", Resource: "*", Condition: condition }))).toEqual([]);
  });
  it("the data-perimeter Deny exempts service principals (BoolIfExists aws:PrincipalIsAWSService false)", () => {
    const perimeter = { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": ORG }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } } };
    const service = { Effect: "Allow", Principal: { Service: "logs.amazonaws.com" }, Action: "kms:Encrypt", Resource: "*" };
    expect(rulesOf(keyPolicy(service, perimeter))).toEqual(["service-principal-without-source"]);
  });
});

describe("P12: four tiers — public, outside the organization, another account of the organization, same account", () => {
  it("public", () => {
    expect(access(keyPolicy(decrypt("*"))).findings[0]!.message).toContain("lets anyone");
  });
  it("outside the organization", () => {
    expect(access(keyPolicy(decrypt({ AWS: OTHER }))).findings[0]!.message).toContain("(outside the organization)");
  });
  it("another account in the organization", () => {
    const { findings } = access(keyPolicy(decrypt({ AWS: OTHER }, { StringEquals: { "aws:PrincipalOrgID": ORG } })));
    expect(findings[0]!.message).toContain("(another account in the organization)");
  });
  it("same account and trusted accounts are not findings", () => {
    expect(rulesOf(keyPolicy(decrypt({ AWS: `arn:aws:iam::${OWNER}:role/App` })))).toEqual([]);
    expect(rulesOf(keyPolicy(decrypt({ AWS: OTHER })), { trust: { trustedAccounts: [OTHER] } })).toEqual([]);
  });
  it("bucket policies: S3 can be reached anonymously, so a Bool (not BoolIfExists) service exemption leaves anonymous callers in", () => {
    const allow = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::lake/*" };
    const deny = { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"], Condition: { StringNotEquals: { "aws:PrincipalOrgID": ORG }, Bool: { "aws:PrincipalIsAWSService": "false" } } };
    const { findings } = access(bucketPolicy(allow, deny), { kind: "bucket-policy" });
    expect(findings.map((f) => [f.ruleId, f.messageId])).toEqual([["public-access", "anonymous"]]);
    const fixed = { ...deny, Condition: { StringNotEquals: { "aws:PrincipalOrgID": ORG }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } } };
    expect(rulesOf(bucketPolicy(allow, fixed), { kind: "bucket-policy" })).toEqual(["service-principal-without-source"]);
  });
});

describe("P13: rotation eligibility", () => {
  it("is a property of the key, not of its policy: no rule judges rotation from a policy file (the IaC and live sources do)", () => {
    // Rules that judge a policy document (`check`) never speak of rotation; the rotation rules read the key's settings.
    expect(allRules.filter((r) => r.check).map((r) => r.meta.id).filter((id) => id.startsWith("rotation"))).toEqual([]);
    expect(allRules.filter((r) => r.meta.id.startsWith("rotation")).every((r) => r.meta.inventory && !r.check)).toBe(true);
  });
});

describe("P13, P14, P16 in templates and plans", () => {
  const lint = async (text: string, path: string) =>
    (await lintSource(Buffer.from(text), path, { trust: { account: OWNER, trustedAccounts: [] } }))!.findings.map((f) => `${f.ruleId} ${f.resource} ${f.range.start.line}:${f.range.start.column}`);
  const key = (name: string, properties: string) => `  ${name}:\n    Type: AWS::KMS::Key\n    Properties:\n${properties}`;

  it("P13: only the customer managed, symmetric, KMS-generated, non-replica key is asked to rotate", async () => {
    const template = [
      "Resources:",
      key("Symmetric", "      Description: data\n"),
      key("Hmac", "      KeySpec: HMAC_256\n      KeyUsage: GENERATE_VERIFY_MAC\n"),
      key("Rsa", "      KeySpec: RSA_2048\n      KeyUsage: SIGN_VERIFY\n"),
      key("Imported", "      Origin: EXTERNAL\n"),
      "  Replica:\n    Type: AWS::KMS::ReplicaKey\n    Properties:\n      PrimaryKeyArn: arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab\n      KeyPolicy:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal: { AWS: arn:aws:iam::111122223333:root }\n            Action: kms:*\n            Resource: \"*\"",
      "",
    ].join("\n");
    expect(await lint(template, "keys.yaml")).toEqual(["rotation-disabled Symmetric 2:3"]);
  });

  it("P14: a policy written in its own resource (aws_kms_key_policy, AWS::S3::BucketPolicy) is linted and named", async () => {
    const plan = JSON.parse(readFileSync(new URL("../../policies-examples/terraform/bad-plan-rotation-period.json", import.meta.url), "utf8")) as {
      planned_values: { root_module: { resources: Record<string, unknown>[] } };
    };
    const publicPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }, { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OWNER}:root` }, Action: "kms:*", Resource: "*" }] });
    plan.planned_values.root_module.resources.push({ address: "aws_kms_key_policy.archive", mode: "managed", type: "aws_kms_key_policy", name: "archive", values: { key_id: "1234abcd-12ab-34cd-56ef-1234567890ab", policy: publicPolicy } });
    const text = JSON.stringify(plan, null, 2);
    const found = await lint(text, "plan.json");
    expect(found.filter((f) => f.startsWith("public-access"))).toEqual([expect.stringMatching(/^public-access aws_kms_key_policy\.archive \d+:\d+$/)]);
    const line = Number(found.find((f) => f.startsWith("public-access"))!.split(" ")[2]!.split(":")[0]);
    expect(text.split("\n")[line - 1]).toContain('"policy"');
  });

  it("P16: a bucket shared with another account and encrypted with aws/s3 is an error; with a customer managed key by ARN it is not", async () => {
    const template = (keyId: string) =>
      `Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: aws:kms\n${keyId}  Policy:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref Bucket\n      PolicyDocument:\n        Version: "2012-10-17"\n        Statement:\n          - Effect: Allow\n            Principal: { AWS: "${OTHER}" }\n            Action: s3:GetObject\n            Resource: !Sub "\${Bucket.Arn}/*"\n`;
    expect((await lint(template(""), "b.yaml")).filter((f) => !f.startsWith("cross-account-access"))).toEqual(["aws-managed-key-on-shared-bucket Bucket 8:29"]);
    expect((await lint(template("              KMSMasterKeyID: alias/aws/s3\n"), "b.yaml")).filter((f) => !f.startsWith("cross-account-access"))).toEqual(["aws-managed-key-on-shared-bucket Bucket 8:29"]);
    const cmk = template("              KMSMasterKeyID: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n");
    expect((await lint(cmk, "b.yaml")).filter((f) => !f.startsWith("cross-account-access"))).toEqual([]);
  });
});

describe("P17: kms:CreateGrant from outside without kms:GrantIsForAWSResource", () => {
  const grant = (condition?: object) => ({ Effect: "Allow", Principal: { AWS: OTHER }, Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], Resource: "*", ...(condition ? { Condition: condition } : {}) });
  it("is a finding", () => {
    expect(rulesOf(keyPolicy(grant()))).toEqual(["cross-account-access", "grant-without-aws-resource-guard"]);
  });
  it.each([[{ Bool: { "kms:GrantIsForAWSResource": "true" } }], [{ Bool: { "kms:GrantIsForAWSResource": true } }], [{ StringEquals: { "kms:GranteePrincipal": `arn:aws:iam::${OTHER}:role/App` } }]])("%j guards it", (condition) => {
    expect(rulesOf(keyPolicy(grant(condition)))).toEqual(["cross-account-access"]);
  });
  it("BoolIfExists does not guard it", () => {
    expect(rulesOf(keyPolicy(grant({ BoolIfExists: { "kms:GrantIsForAWSResource": "true" } })))).toContain("grant-without-aws-resource-guard");
  });
});

describe("P19: shape normalisation", () => {
  const forms = ["*", { AWS: "*" }, { AWS: ["*"] }, { AWS: [OWNER, "*"] }];
  it.each(forms)("Principal %j is public", (principal) => {
    expect(rulesOf(keyPolicy(decrypt(principal)))).toEqual(["public-access"]);
  });
  it("a single statement object is analysed like an array", () => {
    expect(rulesOf({ Version: "2012-10-17", Statement: { ...decrypt("*"), Sid: "One" } })).toEqual(["lockout-risk", "public-access"]);
  });
  it("Bool as a JSON boolean or a string is the same", () => {
    const a = rulesOf(keyPolicy({ Effect: "Allow", Principal: { AWS: OTHER }, Action: "kms:CreateGrant", Resource: "*", Condition: { Bool: { "kms:GrantIsForAWSResource": true } } }));
    const b = rulesOf(keyPolicy({ Effect: "Allow", Principal: { AWS: OTHER }, Action: "kms:CreateGrant", Resource: "*", Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } } }));
    expect(a).toEqual(b);
  });
});

describe("statements that grant nothing on this resource", () => {
  it("an Allow with only other services' actions reaches nobody", () => {
    expect(rulesOf(keyPolicy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }))).toEqual([]);
  });
});

describe("fixes from the corpus comparison", () => {
  it("a malformed literal org id in a positive condition admits nobody (but is an org-condition error)", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringEquals: { "aws:PrincipalOrgID": "o-goodorg" } })))).toEqual(["org-condition"]);
  });
  it("a 14-digit account in aws:PrincipalArn admits nobody", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::12345678901234:role/x" } })))).toEqual([]);
  });
  it("Principal * with a fixed aws:SourceAccount admits only AWS services acting for that account", () => {
    expect(rulesOf(keyPolicy(decrypt("*", { StringEquals: { "aws:SourceAccount": OWNER } })))).toEqual([]);
    const { findings } = access(keyPolicy(decrypt("*", { ArnLike: { "aws:SourceArn": `arn:aws:sns:us-east-1:${OTHER}:topic` } })));
    expect(findings.map((f) => f.ruleId)).toEqual(["cross-account-access"]);
    expect(findings[0]!.message).toContain("an AWS service acting for a resource of this account");
  });
  it("s3:DataAccessPointAccount delegates to the access points of that account", () => {
    const statement = { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { StringEquals: { "s3:DataAccessPointAccount": OWNER } } };
    expect(rulesOf(bucketPolicy(statement), { kind: "bucket-policy" })).toEqual([]);
  });
  it("the CloudFront origin access identity principal is valid and not an outside account", () => {
    const statement = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E15MNIMTCFKK4C" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" };
    const result = access(bucketPolicy(statement), { kind: "bucket-policy" });
    expect(result.ids).toEqual([]);
  });
  it("SES binds its service principal with kms:EncryptionContext:aws:ses:source-account", () => {
    const statement = { Effect: "Allow", Principal: { Service: "ses.amazonaws.com" }, Action: ["kms:Encrypt", "kms:GenerateDataKey*"], Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:aws:ses:source-account": OWNER } } };
    expect(rulesOf(keyPolicy(statement))).toEqual([]);
  });
  it("aws:SourceIp with IpAddress is a network bound: public-access as a warning naming it", () => {
    const { findings } = access(keyPolicy(decrypt("*", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } })));
    expect(findings.map((f) => [f.ruleId, f.messageId, f.severity])).toEqual([["public-access", "network", "warning"]]);
  });
  it("with several accounts administering the key and no --account, none is assumed to be the owner", () => {
    const policy = { Version: "2012-10-17", Statement: [ROOT_STATEMENT, { ...ROOT_STATEMENT, Sid: "Other", Principal: { AWS: `arn:aws:iam::${OTHER}:root` } }] };
    const { findings } = access(policy, { trust: { account: undefined } });
    expect(findings.map((f) => f.ruleId).sort()).toEqual(["cross-account-access", "cross-account-access", "external-admin-access", "external-admin-access", "grant-without-aws-resource-guard", "grant-without-aws-resource-guard"]);
  });
});

describe("fixes from the documentation review", () => {
  const P = (condition: object, principal: unknown = "*") => ({ Sid: "S", Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*", Condition: condition });
  const deny = (condition: object, extra: object = {}) => ({ Sid: "D", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: condition, ...extra });

  it("1: ${aws:ResourceAccount} inside an ARN is the owner account", () => {
    expect(rulesOf(keyPolicy(P({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::${aws:ResourceAccount}:role/*" } })))).toEqual([]);
  });
  it("2: an unresolved ${aws:ResourceAccount} is the owner, whatever it is", () => {
    const policy = { Version: "2012-10-17", Statement: [{ ...P({ StringEquals: { "kms:CallerAccount": "${aws:ResourceAccount}" } }, { AWS: "*" }) }] };
    expect(rulesOf(policy, { trust: { account: undefined } })).toEqual(["lockout-risk"]);
  });
  it("3: kms:GrantOperations does not bound who receives a grant", () => {
    const grant = { Effect: "Allow", Principal: { AWS: OTHER }, Action: "kms:CreateGrant", Resource: "*", Condition: { "ForAllValues:StringEquals": { "kms:GrantOperations": ["Decrypt", "Encrypt"] } } };
    expect(rulesOf(keyPolicy(grant))).toContain("grant-without-aws-resource-guard");
  });
  it("4: every access finding says when a Deny was not counted", () => {
    const { findings } = access(keyPolicy({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999988887777:role/R" }, Action: "kms:Decrypt", Resource: "*" }, deny({ BoolIfExists: { "aws:PrincipalIsAWSService": "false" } })));
    expect(findings.map((f) => f.ruleId)).toEqual(["cross-account-access"]);
    expect(findings[0]!.message).toContain("A Deny exists but was not counted");
  });
  it("5: a key-policy Deny with NotResource is not a guardrail", () => {
    const d = { Sid: "D", Effect: "Deny", Principal: "*", Action: "kms:*", NotResource: "*", Condition: { StringNotEquals: { "aws:PrincipalOrgID": ORG } } };
    expect(rulesOf(keyPolicy(P({ Bool: { "aws:SecureTransport": "true" } }), d))).toEqual(["public-access"]);
  });
  it("6: two conditions on one key in a Deny admit the union", () => {
    const d = deny({ StringNotEquals: { "aws:PrincipalAccount": "999988887777" }, StringNotEqualsIfExists: { "aws:PrincipalAccount": OWNER } });
    const { findings } = access(keyPolicy(P({ Bool: { "aws:SecureTransport": "true" } }), d));
    expect(findings.map((f) => f.message.slice(0, 20))).toEqual(["Account 999988887777"]);
  });
  it("7: a service principal bound to a foreign account or organization is reported", () => {
    const s = (condition: object) => ({ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "kms:GenerateDataKey*", Resource: "*", Condition: condition });
    expect(rulesOf(keyPolicy(s({ StringEquals: { "aws:SourceAccount": "999988887777" } })))).toEqual(["cross-account-access"]);
    expect(rulesOf(keyPolicy(s({ StringEquals: { "aws:SourceOrgID": "o-zzzzzzzzzz" } })))).toEqual(["org-condition"]);
  });
  it("8: Null on aws:PrincipalOrgID is not a malformed organization id", () => {
    const { findings } = access(keyPolicy(P({ Null: { "aws:PrincipalOrgID": "false" } })));
    expect(findings.map((f) => f.messageId)).not.toContain("malformed");
  });
  it("9: StringEqualsIgnoreCase reads an organization id in capitals", () => {
    expect(rulesOf(keyPolicy(P({ StringEqualsIgnoreCase: { "aws:PrincipalOrgID": "O-A1B2C3D4E5" } })))).toEqual([]);
  });
  it("10: a negated or otherwise bounded kms:ViaService is not via-service-without-caller-account", () => {
    expect(rulesOf(keyPolicy(P({ StringNotEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } })))).toEqual(["public-access"]);
    expect(rulesOf(keyPolicy(P({ StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com", "aws:PrincipalOrgID": ORG } })))).toEqual([]);
  });
  it("11: not-principal-allow says what its conditions bound it to", () => {
    const s = { Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${OWNER}:role/Blocked` }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } } };
    const { findings } = access(keyPolicy(s));
    expect(findings.map((f) => f.ruleId)).toEqual(["not-principal-allow"]);
    expect(findings[0]!.message).toContain(`within ${ORG}`);
  });
  it("12: a foreign organization with kms:* does not keep the owner able to change the policy", () => {
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-zzzzzzzzzz" } } }] };
    expect(rulesOf(policy)).toContain("lockout-risk");
  });
  it("13: a malformed account id in an account condition is reported", () => {
    const text = JSON.stringify(keyPolicy(P({ StringEquals: { "kms:CallerAccount": "11112222333" } })));
    const { findings } = lintTextAll(text);
    expect(findings.filter((f) => f.ruleId === "invalid-policy").map((f) => f.messageId)).toEqual(["accountValue"]);
  });
  it("14: StringEqualsIgnoreCase on aws:PrincipalArn narrows", () => {
    expect(rulesOf(keyPolicy(P({ StringEqualsIgnoreCase: { "aws:PrincipalArn": `arn:aws:iam::${OWNER}:role/app` } })))).toEqual([]);
  });
  it("15: a set operator on a single-valued account key is a warning", () => {
    const text = JSON.stringify(keyPolicy(P({ "ForAnyValue:StringEquals": { "kms:CallerAccount": OWNER } })));
    expect(lintTextAll(text).findings.map((f) => `${f.ruleId}:${f.messageId}:${f.severity}`)).toEqual(["invalid-policy:setOnSingleValued:warning"]);
  });
  it("16: federated and canonical-user principals stay reported behind an organization guardrail", () => {
    const perimeter = deny({ StringNotEqualsIfExists: { "aws:PrincipalOrgID": ORG }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } });
    const s = { Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*" };
    expect(rulesOf(keyPolicy(s, perimeter))).toEqual(["cross-account-access"]);
  });
});

describe("fixes from the second documentation review", () => {
  const P = (condition: object, principal: unknown = "*") => ({ Sid: "S", Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*", Condition: condition });
  const ids = (policy: object) => lintTextAll(JSON.stringify(policy)).findings.map((f) => `${f.ruleId}:${f.messageId}`);

  it("1: a set operator on aws:SourceOrgID is reported once (by org-condition)", () => {
    const s = { Effect: "Allow", Principal: { Service: "logs.amazonaws.com" }, Action: "kms:Encrypt", Resource: "*", Condition: { "ForAnyValue:StringEquals": { "aws:SourceOrgID": ORG } } };
    expect(ids(keyPolicy(s)).filter((i) => i.includes("setOnSingle"))).toEqual(["org-condition:setOnSingle"]);
  });
  it("2: an 11-digit account inside an ARN condition, and a bad aws:SourceOwner, are reported", () => {
    expect(ids(keyPolicy(P({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::11112222333:role/x" } })))).toEqual(["invalid-policy:arnAccount"]);
    const s = { Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:SourceOwner": "1234" } } };
    expect(ids(keyPolicy(s))).toEqual(["invalid-policy:accountValue"]);
  });
  it("3: StringNotEqualsIgnoreCase in a Deny reads the own organization in capitals", () => {
    const d = { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEqualsIgnoreCase: { "aws:PrincipalOrgID": ORG.toUpperCase() } } };
    expect(ids(keyPolicy(d)).filter((i) => i.startsWith("org-condition"))).toEqual([]);
  });
  it("4: org-condition says when a Deny was not counted", () => {
    const d = { Sid: "D", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const { findings } = access(keyPolicy(P({ StringEquals: { "aws:PrincipalOrgID": "o-zzzzzzzzzz" } }), d));
    expect(findings.find((f) => f.ruleId === "org-condition")!.message).toContain("A Deny exists but was not counted");
  });
  it("5: a Deny of every caller removes federated principals too", () => {
    const s = { Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*" };
    const d = { Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*" };
    expect(rulesOf(keyPolicy(s, d))).toEqual([]);
  });
  it("6: without --org, ${aws:ResourceOrgID} with kms:* keeps the owner able to change the policy", () => {
    const policy = { Version: "2012-10-17", Statement: [P({ StringEquals: { "aws:PrincipalOrgID": "${aws:ResourceOrgID}" } })] };
    (policy.Statement[0] as { Action: string }).Action = "kms:*";
    expect(rulesOf(policy, { trust: { org: undefined } })).not.toContain("lockout-risk");
  });
  it("7: Null on kms:ViaService is not a service restriction", () => {
    expect(rulesOf(keyPolicy(P({ Null: { "kms:ViaService": "false" } })))).toEqual(["public-access"]);
  });
  it("8: Null on kms:GranteePrincipal does not guard CreateGrant", () => {
    const g = { Effect: "Allow", Principal: { AWS: OTHER }, Action: "kms:CreateGrant", Resource: "*", Condition: { Null: { "kms:GranteePrincipal": "false" } } };
    expect(rulesOf(keyPolicy(g))).toContain("grant-without-aws-resource-guard");
  });
  it("9: messages say what the analysis knows", () => {
    const named = P({ StringEquals: { "aws:PrincipalOrgID": "o-zzzzzzzzzz" } }, { AWS: OTHER });
    expect(access(keyPolicy(named)).findings.find((f) => f.ruleId === "org-condition")!.message).toContain(`account ${OTHER}, while it is in that organization, can use this grant`);
    const values = P({ StringEquals: { "kms:CallerAccount": [OWNER, "1234"] } });
    expect(lintTextAll(JSON.stringify(keyPolicy(values))).findings.find((f) => f.messageId === "accountValue")!.message).toContain("(the other values still apply)");
  });
});

describe("cross-account-access merges every way an account gets in", () => {
  it("an organization bound from one statement is dropped when a service acts for the account without one", () => {
    const inOrg = { Sid: "InOrg", Effect: "Allow", Principal: { AWS: OTHER }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } } };
    const service = { Sid: "Logs", Effect: "Allow", Principal: { Service: "logs.amazonaws.com" }, Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": OTHER } } };
    const { findings } = access(keyPolicy(inOrg, service));
    expect(findings.map((f) => f.ruleId)).toEqual(["cross-account-access"]);
    expect(findings[0]!.message).toContain(`Account ${OTHER} (outside the organization)`);
    expect(findings[0]!.message).not.toContain("Only while it is in");
    expect(findings[0]!.message).toContain("the service logs.amazonaws.com acting for a resource of this account");
  });
});

describe("findings point at the principal or condition that causes them", () => {
  const use = (principal: unknown, condition?: object) => ({ Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*", ...(condition ? { Condition: condition } : {}) });
  it("P3: public-access points at the principal, not at the condition that does not narrow", () => {
    expect(pointsAt(keyPolicy(use("*", { Bool: { "aws:SecureTransport": "true" } })))).toEqual(["public-access@Statement/1/Principal"]);
  });
  it("P5/P6: org-condition points at the bypassable or wildcarded key", () => {
    expect(pointsAt(keyPolicy(use("*", { StringLike: { "aws:PrincipalOrgID": "o-*" } })))).toEqual([
      "public-access@Statement/1/Principal",
      "org-condition@Statement/1/Condition/StringLike/aws:PrincipalOrgID:key",
    ]);
  });
  it("P6: a foreign organization is reported at the organization id that admits it", () => {
    expect(pointsAt(keyPolicy(use("*", { StringEquals: { "aws:PrincipalOrgID": "o-zzzzzzzzzz" } })))).toEqual(["org-condition@Statement/1/Condition/StringEquals/aws:PrincipalOrgID"]);
  });
  it("P10: cross-account-access points at the principal entry of the other account", () => {
    expect(pointsAt(keyPolicy(use({ AWS: [`arn:aws:iam::${OWNER}:role/A`, `arn:aws:iam::999988887777:role/${OWNER}-reader`] })))).toEqual(["cross-account-access@Statement/1/Principal/AWS/1"]);
  });
  it("P11: service-principal-without-source points at the service", () => {
    expect(pointsAt(keyPolicy({ Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "kms:GenerateDataKey*", Resource: "*" }))).toEqual([
      "service-principal-without-source@Statement/1/Principal/Service",
    ]);
  });
  it("P17: the grant finding points at the outside principal", () => {
    expect(pointsAt(keyPolicy({ Effect: "Allow", Principal: { AWS: OTHER }, Action: "kms:CreateGrant", Resource: "*" }))).toEqual([
      "cross-account-access@Statement/1/Principal/AWS",
      "grant-without-aws-resource-guard@Statement/1/Principal/AWS",
    ]);
  });
  it("P19: a single statement object and the string principal form point at Statement/Principal", () => {
    expect(pointsAt({ Version: "2012-10-17", Statement: use("*") })).toEqual(["lockout-risk@Statement:key", "public-access@Statement/Principal"]);
  });
  it("not-principal-allow points at the NotPrincipal element", () => {
    expect(pointsAt(keyPolicy({ Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${OWNER}:role/A` }, Action: "kms:Decrypt", Resource: "*" }))).toEqual([
      "not-principal-allow@Statement/1/NotPrincipal:key",
      "public-access@Statement/1/NotPrincipal",
    ]);
  });
});
