import { describe, expect, it } from "vitest";
import { howToEvaluate } from "../../rules/unresolved-value.js";
import { findingsOf, InventoryBuilder, inventoryRuleTester, known, OWNER, PARTNER } from "../inventory-builder.js";

inventoryRuleTester("unresolved-value", {
  valid: [
    { name: "everything known", build: () => { const builder = new InventoryBuilder({ owner: OWNER }); builder.key("DataKey", 3, { rotationEnabled: known(true, 5) }); return builder; } },
    { name: "an empty template", build: () => new InventoryBuilder() },
  ],
  invalid: [
    {
      name: "a parameter without a Default, with the source's consequence",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3);
        builder.unresolved("!Ref TrustedAccount", "the parameter has no Default", 12, 20, { resource: "DataKey", consequence: 'the principal of statement "Share" is not checked' });
        return builder;
      },
      errors: [
        {
          messageId: "unresolved",
          line: 12,
          column: 20,
          severity: "info",
          resource: "DataKey",
          message: [
            "DataKey: Could not evaluate !Ref TrustedAccount: the parameter has no Default. The principal of statement \"Share\" is not checked.",
            "pass --parameter TrustedAccount=<value>",
            "give the parameter a Default",
          ],
        },
      ],
    },
    {
      name: "AWS::AccountId without --account",
      build: () => {
        const builder = new InventoryBuilder();
        builder.unresolved("!Sub arn:aws:iam::${AWS::AccountId}:root", "AWS::AccountId is not known", 7, 18);
        return builder;
      },
      errors: [{ line: 7, column: 18, resource: undefined, message: ["Could not evaluate !Sub arn:aws:iam::${AWS::AccountId}:root", "pass --account <12-digit account id>", "What depends on it is not checked (it is not counted as passing)."] }],
    },
    {
      name: "Terraform: a value known only after apply",
      build: () => {
        const builder = new InventoryBuilder({ format: "terraform-plan" });
        builder.unresolved("aws_iam_role.reader.arn", "its value is known only after apply", 30, 9, { resource: "aws_kms_key.data" });
        return builder;
      },
      errors: [{ line: 30, column: 9, resource: "aws_kms_key.data", message: ["aws_kms_key.data: Could not evaluate aws_iam_role.reader.arn: its value is known only after apply.", "checked once applied", "aws kms get-key-policy"] }],
    },
    {
      name: "an unknown setting of a key gets the consequence for that setting",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { keySpec: builder.unknown("!Ref KeySpec", "the parameter has no Default", 5, 16) });
        return builder;
      },
      errors: [{ line: 5, column: 16, resource: "DataKey", message: "Whether the key supports automatic rotation is not known, so rotation-disabled and rotation-period do not check it." }],
    },
    {
      name: "an unknown setting the source did not list is still reported (never a silent pass)",
      build: () => {
        const builder = new InventoryBuilder();
        const rotation = { known: false as const, unresolved: { expression: "!If [Prod, true, !Ref Rotate]", reason: "the condition Prod depends on a parameter without a Default", range: { start: { line: 6, column: 26, offset: 0 }, end: { line: 6, column: 40, offset: 0 } } }, range: { start: { line: 6, column: 26, offset: 0 }, end: { line: 6, column: 40, offset: 0 } } };
        builder.key("DataKey", 3, { rotationEnabled: rotation });
        return builder;
      },
      errors: [{ line: 6, column: 26, resource: "DataKey", message: ["Could not evaluate !If [Prod, true, !Ref Rotate]", "Whether automatic rotation is on is not known"] }],
    },
    {
      name: "the same value listed and held by a setting is reported once",
      build: () => {
        const builder = new InventoryBuilder();
        const period = builder.unknown<number>("!Ref Days", "the parameter has no Default", 7, 29);
        builder.key("DataKey", 3, { rotationEnabled: known(true, 6, 26), rotationPeriodDays: period });
        return builder;
      },
      errors: [{ line: 7, column: 29, message: "The rotation period is not checked" }],
    },
    {
      name: "bucket encryption settings",
      build: () => {
        const builder = new InventoryBuilder();
        builder.bucket("DataBucket", 3, { encryption: { algorithm: builder.unknown("!Ref Algorithm", "the parameter has no Default", 9, 29), keyReference: builder.unknown("!ImportValue DataKeyArn", "kmslint cannot read the exports of other stacks", 10, 29), line: 8 } });
        return builder;
      },
      errors: [
        { line: 9, column: 29, resource: "DataBucket", message: ["!Ref Algorithm", "The bucket's default encryption is not checked against its bucket policy"] },
        { line: 10, column: 29, resource: "DataBucket", message: ["!ImportValue DataKeyArn", "cannot read the exports of other stacks", "lint the deployed policy"] },
      ],
    },
    {
      name: "a policy that could not be evaluated",
      build: () => {
        const builder = new InventoryBuilder({ format: "terraform-plan" });
        const resource = builder.resource("aws_kms_key.data", "aws_kms_key", 40);
        builder.unresolvedPolicy("key-policy", resource, "jsonencode(local.key_policy)", 42);
        return builder;
      },
      errors: [{ line: 42, column: 5, resource: "aws_kms_key.data", message: "Could not evaluate jsonencode(local.key_policy): its value is known only after apply." }],
    },
    {
      name: "several values, in source order",
      build: () => {
        const builder = new InventoryBuilder();
        builder.unresolved("!Ref B", "the parameter has no Default", 20);
        builder.unresolved("!Ref A", "the parameter has no Default", 10);
        return builder;
      },
      errors: [
        { line: 10, column: 5, message: "!Ref A" },
        { line: 20, column: 5, message: "!Ref B" },
      ],
    },
  ],
});

describe("unresolved-value", () => {
  it("does not change the exit code: its findings are info", () => {
    const builder = new InventoryBuilder();
    builder.unresolved("!Ref A", "the parameter has no Default", 10);
    expect(findingsOf(builder, "unresolved-value").map((f) => f.severity)).toEqual(["info"]);
  });

  it("replaces the policy rules' findings at a value it could not evaluate", () => {
    const builder = new InventoryBuilder({ owner: OWNER });
    // The principal holds «!Ref TrustedAccount»: no access rule guesses what it is.
    builder.key("DataKey", 3, {}, {
      json: { Version: "2012-10-17", Statement: [{ Sid: "Share", Effect: "Allow", Principal: { AWS: "\u00ab!Ref TrustedAccount\u00bb" }, Action: "kms:Decrypt", Resource: "*" }] },
      line: 10,
    });
    builder.unresolved("!Ref TrustedAccount", "the parameter has no Default", 17, 22, { resource: "DataKey" });
    const result = builder.lint({ trust: { account: OWNER, trustedAccounts: [PARTNER] } });
    // Without the replacement, invalid-policy would call «!Ref TrustedAccount» a malformed principal there.
    expect(result.findings.filter((f) => f.range.start.line === 17).map((f) => `${f.ruleId}@${f.range.start.column}`)).toEqual(["unresolved-value@22"]);
  });

  it("tells how to make each kind of expression evaluable", () => {
    expect(howToEvaluate("!Ref AWS::AccountId", "cloudformation")).toBe("To check it, pass --account <12-digit account id> (the account the stack is deployed to).");
    expect(howToEvaluate("!Ref Partner", "cloudformation")).toContain("pass --parameter Partner=<value>, or give the parameter a Default");
    expect(howToEvaluate('{"Ref": "Partner"}', "cloudformation")).toContain("--parameter Partner=<value>");
    expect(howToEvaluate("!Sub arn:aws:iam::${A}:role/${B}", "cloudformation")).toContain("pass --parameter A=<value> and --parameter B=<value>, or give the parameters a Default");
    expect(howToEvaluate("!GetAtt Other.Arn", "cloudformation")).toContain("lint the deployed policy");
    expect(howToEvaluate('!Select [4, !Split [":", …]]', "cloudformation", "!ImportValue RoleArn: it is a value another stack exports")).toContain("cannot read the exports of other stacks");
    expect(howToEvaluate("module.x.arn", "terraform-plan")).toContain("known only after apply can be checked once applied");
  });
});

describe("unresolved-value advice", () => {
  it("is not repeated when the source's reason already gives it", () => {
    const builder = new InventoryBuilder();
    builder.unresolved("!Ref PartnerAccount", "the parameter has no Default; pass --parameter PartnerAccount=Value", 23, 20, { resource: "ReportsKey" });
    const [finding] = findingsOf(builder, "unresolved-value");
    expect(finding!.message).toBe("ReportsKey: Could not evaluate !Ref PartnerAccount: the parameter has no Default; pass --parameter PartnerAccount=Value. What depends on it is not checked (it is not counted as passing).");
  });
});
