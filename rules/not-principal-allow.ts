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
        "Statement {{statement}} allows with NotPrincipal: everyone except {{listed}} gets the access, {{scope}}. Use Principal with the accounts or roles that need access.",
    },
  },
  check(context) {
    for (const statement of context.policy.statements) {
      if (statement.effect?.value !== "Allow" || !statement.notPrincipal) continue;
      const listed = statement.notPrincipal.entries.map((e) => JSON.stringify(e.value)).join(", ") || "nobody";
      const reach = context.analysis.reaches.find((r) => r.statement === statement);
      const who = reach?.who;
      const scope =
        !who || who.kind === "anyone"
          ? "anonymous callers and every other account included"
          : who.kind === "limited"
            ? `within ${[...who.accounts.map((a) => `account ${a.account}`), ...who.orgs].join(", ")} (${reach!.guardedBy.length > 0 ? "a Deny bounds it there" : "its conditions bound it there"})`
            : who.kind === "nobody"
              ? `though its conditions or a Deny currently leave nobody (${who.reason}); an edit to them would open it to everyone`
              : "as its conditions allow";
      context.report({ messageId: "notPrincipal", data: { statement: statementLabel(statement), listed, scope }, path: [...statement.path, "NotPrincipal"], target: "key", statement, subjects: ["*"] });
    }
  },
});
