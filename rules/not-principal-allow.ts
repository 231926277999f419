import { defineRule } from "../src/engine/rule.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "not-principal-allow",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "An Allow statement with NotPrincipal grants everyone except the listed principals.",
    messages: {
      notPrincipal:
        "Statement {{statement}} allows with NotPrincipal: everyone except {{listed}} gets the access, anonymous callers and every other account included. Use Principal with the accounts or roles that need access.",
    },
  },
  check(context) {
    for (const statement of context.policy.statements) {
      if (statement.effect?.value !== "Allow" || !statement.notPrincipal) continue;
      const listed = statement.notPrincipal.entries.map((e) => JSON.stringify(e.value)).join(", ") || "nobody";
      context.report({ messageId: "notPrincipal", data: { statement: statementLabel(statement), listed }, path: [...statement.path, "NotPrincipal"], target: "key", statement });
    }
  },
});
