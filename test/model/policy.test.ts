import { describe, expect, it } from "vitest";
import { normalizePolicy, parseOperator } from "../../src/model/policy.js";
import { detectKind } from "../../src/model/kind.js";
import { parseAwsPrincipal } from "../../src/model/arn.js";
import { findConditionKey, matchActions } from "../../src/model/catalogue.js";

describe("normalizing the shapes AWS accepts (PEERS.md P19)", () => {
  it("reads a single statement object like an array of one", () => {
    const one = normalizePolicy({ Statement: { Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" } })!;
    expect(one.statementIsArray).toBe(false);
    expect(one.statements).toHaveLength(1);
    expect(one.statements[0]!.path).toEqual(["Statement"]);
    expect(one.statements[0]!.action).toEqual([{ value: "kms:Decrypt", path: ["Statement", "Action"] }]);
  });

  it.each([
    ["*", true],
    [{ AWS: "*" }, true],
    [{ AWS: ["*"] }, true],
    [{ AWS: ["111122223333", "*"] }, true],
    [{ AWS: "arn:aws:iam::*:root" }, false],
    [{ Service: "*" }, false],
  ])("Principal %j is anyone: %s", (principal, anyone) => {
    const p = normalizePolicy({ Statement: [{ Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*" }] })!;
    expect(p.statements[0]!.principal!.anyone).toBe(anyone);
  });

  it("reads Bool values given as JSON booleans and numbers as strings", () => {
    const p = normalizePolicy({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": false }, NumericLessThan: { "s3:TlsVersion": [1.2] } } }] })!;
    expect(p.statements[0]!.conditions.map((c) => [c.key, c.values.map((v) => v.value)])).toEqual([
      ["aws:SecureTransport", ["false"]],
      ["s3:TlsVersion", ["1.2"]],
    ]);
  });

  it("parses set operators and IfExists", () => {
    expect(parseOperator("ForAnyValue:StringEqualsIfExists")).toEqual({ raw: "ForAnyValue:StringEqualsIfExists", base: "StringEquals", set: "ForAnyValue", ifExists: true });
    expect(parseOperator("ForAllValues:StringLike")).toMatchObject({ base: "StringLike", set: "ForAllValues", ifExists: false });
    expect(parseOperator("forallvalues:StringLike")).toMatchObject({ base: "forallvalues:StringLike", set: undefined });
  });

  it("skips values of the wrong type instead of failing", () => {
    const p = normalizePolicy({ Statement: [{ Effect: 1, Principal: { AWS: [123, "111122223333"] }, Action: {}, Condition: "x" }, "junk", null] })!;
    expect(p.statements).toHaveLength(1);
    expect(p.statements[0]!.effect).toBeUndefined();
    expect(p.statements[0]!.principal!.entries.map((e) => e.value)).toEqual(["111122223333"]);
    expect(p.statements[0]!.conditions).toEqual([]);
  });
});

describe("principals and ARNs are parsed exactly (PEERS.md P10)", () => {
  it("takes the account from the account field, never a substring", () => {
    expect(parseAwsPrincipal("arn:aws:iam::999988887777:role/111122223333-reader")).toMatchObject({ form: "iam", account: "999988887777", kind: "role" });
  });
  it.each([
    ["111122223333", "account"],
    ["arn:aws:iam::111122223333:root", "root"],
    ["arn:aws-us-gov:iam::111122223333:user/alice", "iam"],
    ["arn:aws:sts::111122223333:assumed-role/App/session-1", "iam"],
    ["AIDACKCEVSQ6C2EXAMPLE", "unique-id"],
    ["arn:aws:iam::111122223333:role/*", "invalid"],
    ["arn:aws:s3:::bucket", "invalid"],
    ["1111222233334", "invalid"],
  ])("%s is %s", (value, form) => {
    expect(parseAwsPrincipal(value).form).toBe(form);
  });
});

describe("kind detection", () => {
  const policy = (statement: object) => normalizePolicy({ Version: "2012-10-17", Statement: [statement] })!;
  it("KMS actions make a key policy", () => {
    expect(detectKind(policy({ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }), "x.json")).toMatchObject({ kind: "key-policy", confident: true });
  });
  it("bucket ARNs make a bucket policy even with Action *", () => {
    expect(detectKind(policy({ Effect: "Allow", Principal: "*", Action: "*", Resource: "arn:aws:s3:::b/*" }), "x.json")).toMatchObject({ kind: "bucket-policy", confident: true });
  });
  it("a bucket policy with a kms: condition key stays a confident bucket policy", () => {
    expect(detectKind(policy({ Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/*", Condition: { StringNotEquals: { "kms:ViaService": "x" } } }), "x.json")).toMatchObject({ kind: "bucket-policy", confident: true });
  });
  it("falls back to the file name, then to a key policy, saying so", () => {
    const bare = policy({ Effect: "Allow", Principal: "*" });
    expect(detectKind(bare, "policies/logs-bucket.json")).toMatchObject({ kind: "bucket-policy", reason: "the file name" });
    expect(detectKind(bare, "policies/p.json")).toMatchObject({ kind: "key-policy", confident: false });
  });
});

describe("catalogue", () => {
  it("expands wildcards against the real action list, case-insensitively", () => {
    expect(matchActions("kms", "ReEncrypt*").map((a) => a.name).sort()).toEqual(["ReEncryptFrom", "ReEncryptTo"]);
    expect(matchActions("kms", "decrypt").map((a) => a.name)).toEqual(["Decrypt"]);
    expect(matchActions("kms", "*").length).toBeGreaterThan(50);
  });
  it("finds condition keys with variable parts", () => {
    expect(findConditionKey("kms:EncryptionContext:aws:s3:arn")?.service).toBe("kms");
    expect(findConditionKey("AWS:PrincipalTag/Team")?.service).toBe("aws");
    expect(findConditionKey("s3:ExistingObjectTag/classification")?.service).toBe("s3");
    expect(findConditionKey("ec2:ResourceTag/Name")?.service).toBe("ec2");
    expect(findConditionKey("aws:PrincipleOrgID")).toBeUndefined();
  });
});
