import { defineRule } from "../src/engine/rule.js";
import { isOrgId } from "../src/model/arn.js";
import { deniesWhy } from "../src/analysis/explain.js";
import { isOwnOrg } from "../src/analysis/index.js";
import { statementLabel } from "../src/model/policy.js";

const ORG_KEYS = new Set(["aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths"]);

export default defineRule({
  meta: {
    id: "org-condition",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "An aws:PrincipalOrgID / aws:PrincipalOrgPaths condition that is foreign, malformed, wildcarded or bypassable.",
    messages: {
      bypassable:
        "{{operator}} {{key}} in statement {{statement}} does not keep callers to an organization: {{reason}}. Fix: {{fix}}",
      foreign:
        "Statement {{statement}} admits organization {{org}}, which is not yours ({{own}}): {{who}} can use this grant.{{denies}}",
      unknownOrg:
        "Statement {{statement}} admits organization {{org}} ({{who}} can use this grant); kmslint cannot tell whether it is yours. Pass --org (or set \"org\" in kmslint.config.json).{{denies}}",
      malformed: "{{value}} in statement {{statement}} is not an organization id (o- followed by 10 to 32 lowercase letters and digits){{path}}, so the condition matches no real organization.",
      foreignGuard:
        "Deny statement {{statement}} keeps out callers outside {{org}}, which is not your organization ({{own}}): callers of {{org}} pass it and yours are denied.",
      setOnSingle:
        "{{operator}} on {{key}} in statement {{statement}}: {{key}} has one value per request, so a set operator is misleading (ForAnyValue behaves like the plain operator here, ForAllValues would pass callers without the key). Use {{plain}}.",
    },
  },
  check(context) {
    const { analysis } = context;
    const own = analysis.trust.org;
    for (const statement of context.policy.statements) {
      const label = statementLabel(statement);
      const allow = statement.effect?.value === "Allow";
      for (const condition of statement.conditions) {
        const lower = condition.key.toLowerCase();
        if (!ORG_KEYS.has(lower)) continue;
        const paths = lower.endsWith("paths");
        // Null and Bool take "true"/"false", not organization ids; IgnoreCase compares in lower case.
        const compares = /^(String|Arn)/.test(condition.operator.base);
        const ignoreCase = /IgnoreCase$/.test(condition.operator.base);
        for (const value of compares ? condition.values : []) {
          const written = paths ? value.value.split("/", 1)[0]! : value.value;
          const org = ignoreCase ? written.toLowerCase() : written;
          if (org.includes("${")) continue;
          if (!/[*?]/.test(org) && !isOrgId(org)) {
            context.report({ messageId: "malformed", data: { value: JSON.stringify(value.value), statement: label, path: paths ? " at the start of the path" : "" }, path: value.path, statement });
          }
        }
        if (!paths && condition.operator.set) {
          context.report({
            messageId: "setOnSingle",
            data: { operator: condition.operator.raw, key: condition.key, statement: label, plain: condition.operator.raw.replace(/^For(All|Any)Values?:/i, "") },
            path: condition.operatorPath,
            target: "key",
            statement,
            severity: "warning",
          });
        }
        if (!allow) {
          const negated = /Not/.test(condition.operator.base);
          if (negated && own && !paths) {
            for (const value of condition.values) {
              if (isOrgId(value.value) && value.value !== own) {
                context.report({ messageId: "foreignGuard", data: { statement: label, org: value.value, own }, path: value.path, statement });
              }
            }
          }
          continue;
        }
        // Allow statements: a condition on the caller's organization that does not narrow is bypassable.
        const reach = analysis.reaches.find((r) => r.statement === statement);
        const note = reach?.constraints.notes.find((n) => n.condition === condition);
        if (note && !note.narrows) {
          const fix = paths
            ? `"ForAnyValue:StringLike": {"${condition.key}": "o-…/r-…/ou-…/*"} with your organization id written out`
            : `"StringEquals": {"${condition.key}": "${own ?? "o-…"}"} (no IfExists, no ForAllValues, no wildcard)`;
          context.report({
            messageId: "bypassable",
            data: { operator: condition.operator.raw, key: condition.key, statement: label, reason: note.reason, fix },
            path: condition.keyPath,
            target: "key",
            statement,
          });
        }
      }
    }
    // Organizations a grant admits: foreign (not --org) or unknown (no --org).
    const seen = new Set<string>();
    for (const reach of analysis.reaches) {
      const orgs =
        reach.who.kind === "limited"
          ? [...new Set([...reach.who.orgs, ...reach.who.accounts.flatMap((a) => a.requireOrgs ?? [])])]
          : reach.who.kind === "service"
            ? (reach.who.sourceOrgs ?? [])
            : [];
      for (const org of orgs) {
        // Another policy variable cannot be judged; the owner's organization is not a finding.
        if (isOwnOrg(org, analysis) || org.startsWith("${")) continue;
        const key = `${reach.statement.index}|${org}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const path = reach.constraints.firstNarrowing ?? reach.path;
        // Every account of the organization, or only the named accounts that must belong to it.
        const named = reach.who.kind === "limited" && !reach.who.orgs.includes(org) ? reach.who.accounts.filter((a) => a.requireOrgs?.includes(org)).map((a) => a.account) : [];
        const who =
          named.length > 0
            ? `account ${named.join(", ")}, while it is in that organization,`
            : reach.who.kind === "service"
              ? `the service ${reach.who.service} acting for any account of that organization`
              : "every account of that organization";
        const data = { statement: statementLabel(reach.statement), org, who, denies: deniesWhy(reach) };
        if (own) context.report({ messageId: "foreign", data: { ...data, own }, path, statement: reach.statement });
        else context.report({ messageId: "unknownOrg", data, path, statement: reach.statement, severity: "warning" });
      }
    }
  },
});
