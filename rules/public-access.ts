import { defineRule } from "../src/engine/rule.js";
import { summarizeActions } from "../src/analysis/index.js";
import { conditionsWhy, deniesWhy, principalShown, resourceWord } from "../src/analysis/explain.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "public-access",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "Anyone can reach the key or bucket through this statement.",
    messages: {
      anyone:
        "Statement {{statement}} lets anyone ({{principal}}) {{actions}} on this {{resource}}. {{why}}{{denies}} Fix: name the accounts or roles in Principal, or bound the caller with StringEquals on {{keys}}.",
      anonymous:
        "Statement {{statement}} lets anonymous callers {{actions}} on this bucket: the Deny that guards it uses Bool aws:PrincipalIsAWSService without IfExists, which is false for anonymous requests (they carry no such key), so they are not denied. Use BoolIfExists.",
      network:
        "Statement {{statement}} lets any principal of any account {{actions}} on this {{resource}} when the request comes through {{network}}: a network condition is not an identity bound, so principals of other accounts that share that path pass. {{why}} Fix: also bound the caller with aws:PrincipalOrgID or aws:PrincipalAccount.",
    },
  },
  check(context) {
    const { analysis } = context;
    for (const reach of analysis.reaches) {
      if (reach.who.kind !== "anyone") continue;
      const common = { statement: statementLabel(reach.statement), actions: summarizeActions(reach.actions), resource: resourceWord(analysis) };
      if (reach.who.anonymousOnly) {
        context.report({ messageId: "anonymous", data: common, path: reach.path, statement: reach.statement, subjects: ["*"] });
        continue;
      }
      const why = conditionsWhy(reach);
      if (reach.who.network) {
        context.report({ messageId: "network", data: { ...common, network: reach.who.network.join(" and "), why }, path: reach.path, statement: reach.statement, severity: "warning", subjects: ["*"] });
        continue;
      }
      context.report({
        messageId: "anyone",
        data: { ...common, principal: principalShown(reach), why, denies: deniesWhy(reach), keys: analysis.kind === "key-policy" ? "aws:PrincipalOrgID, aws:PrincipalAccount or kms:CallerAccount" : "aws:PrincipalOrgID or aws:PrincipalAccount" },
        path: reach.path,
        statement: reach.statement,
        subjects: ["*"],
      });
    }
  },
});
