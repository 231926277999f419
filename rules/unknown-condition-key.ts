import { defineRule } from "../src/engine/rule.js";
import { catalogueSource, conditionKeyNames, findConditionKey } from "../src/model/catalogue.js";
import { suggest } from "../src/model/grammar.js";
import { statementLabel, type ConditionOperator, type ResourcePolicyKind } from "../src/model/policy.js";

/**
 * Services whose condition keys can be in the request context of each kind's requests (plus global `aws:` keys).
 * An identity policy governs requests to every service, so a key of any service may be in place there.
 */
const SERVICES: Record<ResourcePolicyKind, readonly string[]> = { "key-policy": ["kms"], "bucket-policy": ["s3", "s3express"] };

let knownNames: string[] | undefined;

/**
 * What a condition evaluates to when its key is absent from every request (AWS-FACTS.md §5.1): ForAllValues
 * is true and ForAnyValue false whatever the operator; IfExists is true; Null is true for "true" and false for
 * "false"; negated operators are true; the others false.
 */
export function absentKeyOutcome(operator: ConditionOperator, values: readonly string[]): boolean {
  if (operator.set === "ForAllValues") return true;
  if (operator.set === "ForAnyValue") return false;
  if (operator.ifExists) return true;
  if (operator.base === "Null") return values.some((v) => v.toLowerCase() === "true");
  return /Not/.test(operator.base);
}

export default defineRule({
  meta: {
    id: "unknown-condition-key",
    severity: "warning",
    appliesTo: ["key-policy", "bucket-policy", "identity-policy"],
    description: "A condition key that does not exist, or that the service's requests never carry.",
    messages: {
      unknown:
        "Condition key {{key}} in statement {{statement}} does not exist{{hint}}. A missing key makes {{operator}} {{outcome}}. ({{source}})",
      otherService:
        "Condition key {{key}} in statement {{statement}} belongs to {{service}}; {{kindService}} requests never carry it, so {{operator}} is {{outcome}} here.",
    },
  },
  check(context) {
    const services: readonly string[] | undefined = context.kind === "identity-policy" ? undefined : SERVICES[context.kind];
    const kindService = context.kind === "key-policy" ? "KMS" : "S3";
    for (const statement of context.policy.statements) {
      for (const condition of statement.conditions) {
        const { key, operator } = condition;
        const outcome = absentKeyOutcome(operator, condition.values.map((v) => v.value)) ? "always true" : "always false";
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
        if (!services || info.service === "aws" || services.includes(info.service)) continue;
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
