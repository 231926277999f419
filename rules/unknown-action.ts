import { defineRule, type RuleContext } from "../src/engine/rule.js";
import { actionsOf, catalogueSource, hasActionList, isKnownService, matchActions } from "../src/model/catalogue.js";
import { suggest } from "../src/model/grammar.js";
import { KIND_NAMES, statementLabel, type Located, type ResourcePolicyKind, type Statement } from "../src/model/policy.js";

/** The services whose actions a resource policy of each kind governs. An identity policy governs every service. */
const SERVICES: Record<ResourcePolicyKind, readonly string[]> = { "key-policy": ["kms"], "bucket-policy": ["s3", "s3express"] };
const SERVICE_NAMES: Record<ResourcePolicyKind, string> = { "key-policy": "KMS", "bucket-policy": "S3" };
/** How messages name a service whose actions the catalogue lists one by one. */
const LISTED_SERVICE_NAMES: Readonly<Record<string, string>> = { kms: "KMS", s3: "S3", s3express: "S3 Express One Zone" };

export default defineRule({
  meta: {
    id: "unknown-action",
    severity: "warning",
    appliesTo: ["key-policy", "bucket-policy", "identity-policy"],
    description: "An action, or action wildcard, that matches no real action of the service.",
    messages: {
      noMatch: "{{action}} in statement {{statement}} matches no {{service}} action{{hint}}. The statement does not do what it says. ({{source}})",
      otherService:
        "{{action}} in statement {{statement}} is {{what}}, not {{serviceArticle}} {{service}} action: a {{kindName}} only governs {{service}} requests, so it has no effect here{{bucketNote}}.",
      noService:
        "{{action}} in statement {{statement}} is from \"{{prefix}}\", which is no AWS service, so it matches no action: the statement does not do what it says. Use the service prefix of the action (kms, s3, sts, …). ({{source}})",
    },
  },
  check(context) {
    if (context.kind === "identity-policy") {
      checkIdentityPolicy(context);
      return;
    }
    const services: readonly string[] = SERVICES[context.kind];
    const service = SERVICE_NAMES[context.kind];
    for (const { statement, action, value, prefix, name } of namedActions(context)) {
      if (services.includes(prefix) && (!hasActionList(prefix) || matchActions(prefix, name).length > 0)) continue;
      if (services.includes(prefix)) {
        reportNoMatch(context, statement, action, prefix, name, service);
        continue;
      }
      if (/[*?]/.test(prefix)) continue; // a wildcard service prefix ("*:Get*") also matches this service's actions
      context.report({
        messageId: "otherService",
        data: {
          action: JSON.stringify(value),
          statement: statementLabel(statement),
          what: isKnownService(prefix) ? `an action of ${prefix}` : `from "${prefix}", which is no AWS service`,
          service,
          serviceArticle: service === "S3" ? "an" : "a",
          kindName: KIND_NAMES[context.kind],
          bucketNote: context.kind === "bucket-policy" ? " (S3 may reject the policy with MalformedPolicy: Policy has invalid action)" : "",
        },
        path: action.path,
        statement,
      });
    }
  },
});

/** An action of a service whose actions the catalogue lists that matches none of them, with a suggestion. */
function reportNoMatch(context: RuleContext, statement: Statement, action: Located<string>, prefix: string, name: string, service: string): void {
  const names = actionsOf(prefix).map((a) => a.name);
  // "kms:ReEncrypt" is the start of ReEncryptFrom and ReEncryptTo: the wildcard was forgotten.
  const startsOf = /[*?]/.test(name) ? [] : names.filter((n) => n.toLowerCase().startsWith(name.toLowerCase()));
  const guess = startsOf.length > 0 ? `${name}*` : /[*?]/.test(name) ? undefined : suggest(name, names);
  context.report({
    messageId: "noMatch",
    data: { action: JSON.stringify(action.value), statement: statementLabel(statement), service, hint: guess ? ` (did you mean "${prefix}:${guess}"?)` : "", source: `catalogue: ${catalogueSource}` },
    path: action.path,
    statement,
  });
}

/**
 * An identity policy governs requests to every service: an action of any service is in place. Actions of the
 * services the catalogue lists one by one (KMS, S3) are matched name by name; of the others, the prefix must be
 * a service (the catalogue knows every service prefix, not every action of every service).
 */
function checkIdentityPolicy(context: RuleContext): void {
  for (const { statement, action, value, prefix, name } of namedActions(context)) {
    if (/[*?]/.test(prefix)) continue; // a wildcard service prefix matches the actions of some service
    if (!isKnownService(prefix)) {
      context.report({
        messageId: "noService",
        data: { action: JSON.stringify(value), statement: statementLabel(statement), prefix, source: `catalogue: ${catalogueSource}` },
        path: action.path,
        statement,
      });
      continue;
    }
    if (!hasActionList(prefix) || matchActions(prefix, name).length > 0) continue;
    reportNoMatch(context, statement, action, prefix, name, LISTED_SERVICE_NAMES[prefix] ?? prefix);
  }
}

/** Every `service:name` action and not-action of the policy, split at the colon (`*` and malformed ones are left to others). */
function* namedActions(context: RuleContext): Generator<{ statement: Statement; action: Located<string>; value: string; prefix: string; name: string }> {
  for (const statement of context.policy.statements) {
    for (const action of [...(statement.action ?? []), ...(statement.notAction ?? [])]) {
      const value = action.value;
      if (value === "*") continue;
      const colon = value.indexOf(":");
      if (colon <= 0) continue; // malformed: invalid-policy reports it
      yield { statement, action, value, prefix: value.slice(0, colon).toLowerCase(), name: value.slice(colon + 1) };
    }
  }
}
