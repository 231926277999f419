import { defineRule } from "../src/engine/rule.js";
import { catalogueSource, conditionKeyNames, findConditionKey } from "../src/model/catalogue.js";
import { suggest } from "../src/model/grammar.js";
import { statementLabel } from "../src/model/policy.js";

/** Services whose condition keys can be in the request context of each kind's requests (plus global `aws:` keys). */
const SERVICES = { "key-policy": ["kms"], "bucket-policy": ["s3", "s3express"] } as const;

let knownNames: string[] | undefined;

export default defineRule({
  meta: {
    id: "unknown-condition-key",
    severity: "warning",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "A condition key that does not exist, or that the service's requests never carry.",
    messages: {
      unknown:
        "Condition key {{key}} in statement {{statement}} does not exist{{hint}}. A missing key makes {{operator}} {{outcome}}. ({{source}})",
      otherService:
        "Condition key {{key}} in statement {{statement}} belongs to {{service}}; {{kindService}} requests never carry it, so {{operator}} is {{outcome}} here.",
    },
  },
  check(context) {
    const services: readonly string[] = SERVICES[context.kind];
    const kindService = context.kind === "key-policy" ? "KMS" : "S3";
    for (const statement of context.policy.statements) {
      for (const condition of statement.conditions) {
        const { key, operator } = condition;
        // What an absent key does: negated operators and IfExists are true, the others false (AWS-FACTS §5.1).
        const negated = /Not/.test(operator.base) || operator.base === "Null";
        const alwaysTrue = operator.ifExists || negated || operator.set === "ForAllValues";
        const outcome = alwaysTrue ? "always true" : "always false";
        const info = findConditionKey(key);
        const label = statementLabel(statement);
        if (!info) {
          const guess = suggest(key, (knownNames ??= conditionKeyNames()));
          context.report({
            messageId: "unknown",
            data: { key: JSON.stringify(key), statement: label, hint: guess ? ` (did you mean "${guess}"?)` : "", operator: operator.raw, outcome, source: `catalogue: ${catalogueSource}` },
            path: condition.keyPath,
            target: "key",
            statement,
          });
          continue;
        }
        if (info.service === "aws" || services.includes(info.service)) continue;
        context.report({
          messageId: "otherService",
          data: { key: JSON.stringify(key), statement: label, service: info.service, kindService, operator: operator.raw, outcome },
          path: condition.keyPath,
          target: "key",
          statement,
        });
      }
    }
  },
});
