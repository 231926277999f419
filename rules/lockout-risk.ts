import { defineRule } from "../src/engine/rule.js";
import { accountTier, isOwnOrg } from "../src/analysis/index.js";

export default defineRule({
  meta: {
    id: "lockout-risk",
    severity: "warning",
    appliesTo: ["key-policy"],
    description: "No principal of the owner account keeps kms:PutKeyPolicy.",
    messages: {
      noAdmin:
        "No principal of account {{owner}} can call kms:PutKeyPolicy under this key policy{{why}}: once it is in place, nobody in the account can change it, and KMS refuses it unless BypassPolicyLockoutSafetyCheck is set. Keep the \"Enable IAM User Permissions\" statement (the account root with kms:*) or name an administrator role with kms:PutKeyPolicy.",
      nobody:
        "No statement lets any principal call kms:PutKeyPolicy{{why}}: once this key policy is in place, nobody can change it. Keep the \"Enable IAM User Permissions\" statement (the account root with kms:*).",
    },
  },
  check(context) {
    const { analysis, policy } = context;
    if (policy.statements.length === 0) return; // invalid-policy reports the empty policy
    const owner = analysis.owner.account;
    let anyone = false;
    let ownerKeeps = false;
    let denied = false;
    for (const reach of analysis.reaches) {
      if (!reach.actions.actions.includes("PutKeyPolicy")) continue;
      if (reach.who.kind === "nobody") {
        denied = true;
        continue;
      }
      anyone = true;
      if (reach.who.kind === "anyone") ownerKeeps = true;
      const ownOrgKept = reach.who.kind === "limited" && reach.who.orgs.some((o) => isOwnOrg(o, analysis));
      if (reach.who.kind === "limited" && (reach.who.accounts.some((a) => accountTier(a, analysis) === "same-account") || ownOrgKept)) ownerKeeps = true;
    }
    const why = denied ? " (a Deny statement takes it away)" : "";
    const range = { path: ["Statement"] as const, target: "key" as const };
    if (!anyone) context.report({ messageId: "nobody", data: { why }, path: [...range.path], target: range.target });
    else if (owner && !ownerKeeps) context.report({ messageId: "noAdmin", data: { owner, why }, path: [...range.path], target: range.target });
  },
});
