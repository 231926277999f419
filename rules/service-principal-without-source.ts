import { defineRule } from "../src/engine/rule.js";
import { summarizeActions } from "../src/analysis/index.js";
import { principalShown } from "../src/analysis/explain.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "service-principal-without-source",
    severity: "warning",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "A service principal without aws:SourceAccount / aws:SourceArn / aws:SourceOrgID (confused deputy).",
    messages: {
      anyService:
        "Statement {{statement}} allows {{principal}}, and the Deny that guards it exempts AWS service principals: every AWS service, acting for any account, can {{actions}} on this {{resource}} (the confused deputy problem). Bound services with \"StringEquals\": {\"aws:SourceAccount\": \"{{account}}\"} (or aws:SourceOrgID) in the Allow, or give services their own statement.",
      noSource:
        "Statement {{statement}} lets the service {{service}} {{actions}} for any account that uses the service: another account can make {{service}} act on this {{resource}} for it (the confused deputy problem). Add \"StringEquals\": {\"aws:SourceAccount\": \"{{account}}\"} or an aws:SourceArn / aws:SourceOrgID condition.",
    },
  },
  check(context) {
    const { analysis } = context;
    for (const reach of analysis.reaches) {
      if (reach.who.kind === "limited" && reach.who.anyService && !reach.constraints.sourceAccounts && !reach.constraints.sourceOrgs) {
        context.report({
          messageId: "anyService",
          data: { statement: statementLabel(reach.statement), principal: principalShown(reach), actions: summarizeActions(reach.actions), resource: analysis.kind === "key-policy" ? "key" : "bucket", account: analysis.trust.account ?? "<owner account>" },
          path: reach.path,
          statement: reach.statement,
        });
        continue;
      }
      if (reach.who.kind !== "service" || reach.who.sourceBound) continue;
      context.report({
        messageId: "noSource",
        data: {
          statement: statementLabel(reach.statement),
          service: reach.who.service,
          actions: summarizeActions(reach.actions),
          resource: analysis.kind === "key-policy" ? "key" : "bucket",
          account: analysis.trust.account ?? "<owner account>",
        },
        path: reach.path,
        statement: reach.statement,
      });
    }
  },
});
