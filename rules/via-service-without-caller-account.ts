import { defineRule } from "../src/engine/rule.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "via-service-without-caller-account",
    severity: "warning",
    appliesTo: ["key-policy"],
    description: "kms:ViaService without kms:CallerAccount on a broad principal.",
    messages: {
      viaService:
        "Statement {{statement}} limits the key to calls through {{services}} but not to an account: every AWS account can use the key through that service. Add \"kms:CallerAccount\": \"{{account}}\" to the same condition block, as AWS managed key policies do.",
    },
  },
  check(context) {
    const { analysis } = context;
    const done = new Set<number>();
    for (const reach of analysis.reaches) {
      // Only when nothing else bounds the caller (kms:CallerAccount or any other narrowing key makes the scope
      // "limited"): the message says every account can use the key.
      if (reach.who.kind !== "anyone" || !reach.constraints.viaService || done.has(reach.statement.index)) continue;
      done.add(reach.statement.index);
      const note = reach.constraints.notes.find((n) => n.condition.key.toLowerCase() === "kms:viaservice" && !/Not/.test(n.condition.operator.base));
      if (!note) continue; // a negated ViaService does not limit the key to a service
      context.report({
        messageId: "viaService",
        data: { statement: statementLabel(reach.statement), services: reach.constraints.viaService.join(", "), account: analysis.trust.account ?? "<owner account>" },
        path: note.condition.keyPath,
        target: "key",
        statement: reach.statement,
      });
    }
  },
});
