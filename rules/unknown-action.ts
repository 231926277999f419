import { defineRule } from "../src/engine/rule.js";
import { actionsOf, catalogueSource, hasActionList, isKnownService, matchActions } from "../src/model/catalogue.js";
import { suggest } from "../src/model/grammar.js";
import { statementLabel } from "../src/model/policy.js";

/** The services whose actions a policy of each kind governs. */
const SERVICES = { "key-policy": ["kms"], "bucket-policy": ["s3", "s3express"] } as const;
const SERVICE_NAMES = { "key-policy": "KMS", "bucket-policy": "S3" } as const;

export default defineRule({
  meta: {
    id: "unknown-action",
    severity: "warning",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "An action, or action wildcard, that matches no real action of the service.",
    messages: {
      noMatch: "{{action}} in statement {{statement}} matches no {{service}} action{{hint}}. The statement does not do what it says. ({{source}})",
      otherService:
        "{{action}} in statement {{statement}} is {{what}}, not {{serviceArticle}} {{service}} action: a {{kindName}} only governs {{service}} requests, so it has no effect here{{bucketNote}}.",
    },
  },
  check(context) {
    const services: readonly string[] = SERVICES[context.kind];
    const service = SERVICE_NAMES[context.kind];
    for (const statement of context.policy.statements) {
      for (const action of [...(statement.action ?? []), ...(statement.notAction ?? [])]) {
        const value = action.value;
        if (value === "*") continue;
        const colon = value.indexOf(":");
        if (colon <= 0) continue; // malformed: invalid-policy reports it
        const prefix = value.slice(0, colon).toLowerCase();
        const name = value.slice(colon + 1);
        if (services.includes(prefix) && (!hasActionList(prefix) || matchActions(prefix, name).length > 0)) continue;
        // Only now, with something to report, build the words.
        const label = statementLabel(statement);
        const shown = JSON.stringify(value);
        if (services.includes(prefix)) {
          const names = actionsOf(prefix).map((a) => a.name);
          // "kms:ReEncrypt" is the start of ReEncryptFrom and ReEncryptTo: the wildcard was forgotten.
          const startsOf = /[*?]/.test(name) ? [] : names.filter((n) => n.toLowerCase().startsWith(name.toLowerCase()));
          const guess = startsOf.length > 0 ? `${name}*` : /[*?]/.test(name) ? undefined : suggest(name, names);
          context.report({
            messageId: "noMatch",
            data: { action: shown, statement: label, service, hint: guess ? ` (did you mean "${prefix}:${guess}"?)` : "", source: `catalogue: ${catalogueSource}` },
            path: action.path,
            statement,
          });
          continue;
        }
        if (/[*?]/.test(prefix)) continue; // a wildcard service prefix ("*:Get*") also matches this service's actions
        context.report({
          messageId: "otherService",
          data: {
            action: shown,
            statement: label,
            what: isKnownService(prefix) ? `an action of ${prefix}` : `from "${prefix}", which is no AWS service`,
            service,
            serviceArticle: service === "S3" ? "an" : "a",
            kindName: context.kind === "key-policy" ? "key policy" : "bucket policy",
            bucketNote: context.kind === "bucket-policy" ? " (S3 may reject the policy with MalformedPolicy: Policy has invalid action)" : "",
          },
          path: action.path,
          statement,
        });
      }
    }
  },
});
