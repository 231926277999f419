import { defineRule } from "../src/engine/rule.js";
import { externalParties } from "../src/analysis/exposure.js";
import { deniesWhy, ownerNote } from "../src/analysis/explain.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "external-admin-access",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "Administrative actions (policy, state, deletion, material) are reachable from outside the owner account.",
    messages: {
      admin:
        "Statement {{statement}} lets {{who}} call {{admin}}: they can change who may use this {{resource}}, or disable or delete it.{{owner}} Keep administration in the owner account; grant other accounts only the usage actions they need.{{denies}}",
    },
  },
  check(context) {
    const { analysis } = context;
    for (const reach of analysis.reaches) {
      const admin = reach.actions.byClass.get("admin");
      if (!admin || admin.length === 0) continue;
      const parties = externalParties(reach, analysis, { includeTrusted: true });
      if (parties.length === 0) continue;
      const shown = reach.actions.all ? `every action (${reach.actions.service}:*)` : `${admin.slice(0, 5).join(", ")}${admin.length > 5 ? ` and ${admin.length - 5} more admin actions` : ""}`;
      context.report({
        messageId: "admin",
        data: { statement: statementLabel(reach.statement), who: parties.join(", "), admin: shown, resource: analysis.kind === "key-policy" ? "key" : "bucket", owner: ownerNote(analysis), denies: deniesWhy(reach) },
        path: reach.path,
        statement: reach.statement,
        subjects: reach.who.kind === "anyone" ? ["*"] : reach.who.kind === "limited" ? [...reach.who.accounts.map((a) => a.account).filter((a) => a !== analysis.trust.account), ...reach.who.orgs] : [],
      });
    }
  },
});
