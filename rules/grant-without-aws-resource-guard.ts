import { defineRule } from "../src/engine/rule.js";
import { externalParties } from "../src/analysis/exposure.js";
import { deniesWhy } from "../src/analysis/explain.js";
import { statementLabel } from "../src/model/policy.js";


export default defineRule({
  meta: {
    id: "grant-without-aws-resource-guard",
    severity: "warning",
    appliesTo: ["key-policy"],
    description: "kms:CreateGrant from outside the owner account without kms:GrantIsForAWSResource.",
    messages: {
      grant:
        "Statement {{statement}} lets {{who}} call kms:CreateGrant without \"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"}: they can grant any principal, in any account, the use of this key, and those grants do not show in the key policy. Add the condition (grants made by AWS services for EBS, RDS and the like still work), or bound kms:GranteePrincipal.{{denies}}",
    },
  },
  check(context) {
    const { analysis } = context;
    for (const reach of analysis.reaches) {
      if (!reach.actions.actions.includes("CreateGrant")) continue;
      if (reach.constraints.grantBound) continue;
      const parties = externalParties(reach, analysis, { includeTrusted: true });
      if (parties.length === 0) continue;
      context.report({ messageId: "grant", data: { statement: statementLabel(reach.statement), who: parties.join(", "), denies: deniesWhy(reach) }, path: reach.path, statement: reach.statement });
    }
  },
});
