/**
 * Deny statements as guardrails: a Deny counts only when it certainly applies to every caller outside a set
 * (Principal "*", negated conditions on the caller's organization or account, and actions and resources that
 * cover the Allow's). A Deny that cannot be proven to cover is not counted, and the finding says so.
 *
 * AWS's data-perimeter key policy pattern is one such guardrail: Deny kms:* to "*" when
 * StringNotEqualsIfExists aws:PrincipalOrgID <org> and BoolIfExists aws:PrincipalIsAWSService false
 * (https://github.com/aws-samples/data-perimeter-policy-examples, resource_based_policies/kms_key_policy.json).
 */
import { isAccountId, parseArn } from "../model/arn.js";
import type { PolicyKind, Statement } from "../model/policy.js";
import { statementLabel } from "../model/policy.js";
import type { TrustContext } from "../engine/rule.js";
import { patternMatches, type ActionSet } from "./actions.js";
import { RESOURCE_ACCOUNT_TOKEN, withoutResourceAccountVariable } from "./conditions.js";

export interface Guardrail {
  statement: Statement;
  /** Callers pass the Deny when their organization is one of these … */
  allowOrgs?: Set<string>;
  /** … or their account is one of these … */
  allowAccounts?: Set<string>;
  /** … or they are an AWS service principal acting directly (aws:PrincipalIsAWSService false in the Deny). */
  exemptsServices: boolean;
  /** Whether the Deny applies to anonymous callers (Bool without IfExists on a key anonymous calls lack does not). */
  appliesToAnonymous: boolean;
  /** Why the Deny covers, in words. */
  description: string;
}

export interface DenyAssessment {
  guardrails: Guardrail[];
  /** Deny statements with Principal "*" that could not be proven to cover, with the reason. */
  partial: { statement: Statement; reason: string }[];
}

const NEGATED_STRING = new Set(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"]);
const NEGATED_ARN = new Set(["ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike"]);

function resolve(value: string, trust: TrustContext, variable: string): string | undefined {
  if (value.toLowerCase() === `\${${variable}}`) return variable === "aws:resourceaccount" ? trust.account : trust.org;
  return value;
}

/** Reads the Deny statements of a policy into guardrails. */
export function assessDenies(statements: readonly Statement[], trust: TrustContext): DenyAssessment {
  const result: DenyAssessment = { guardrails: [], partial: [] };
  for (const statement of statements) {
    if (statement.effect?.value !== "Deny") continue;
    const label = `Deny statement ${statementLabel(statement)}`;
    if (statement.notPrincipal) {
      result.partial.push({ statement, reason: `${label} uses NotPrincipal, whose exemptions kmslint does not count as a guardrail` });
      continue;
    }
    if (!statement.principal?.anyone) {
      continue; // a Deny for named principals narrows nothing for anyone else
    }
    const guard: Guardrail = { statement, exemptsServices: false, appliesToAnonymous: true, description: "" };
    const parts: string[] = [];
    let failure: string | undefined;
    for (const condition of statement.conditions) {
      const key = condition.key.toLowerCase();
      const { operator } = condition;
      const values = condition.values.map((v) => v.value);
      if (key === "aws:principalorgid" && NEGATED_STRING.has(operator.base) && !operator.set) {
        const ignoreCase = operator.base.endsWith("IgnoreCase");
        const orgs = values.map((v) => resolve(ignoreCase ? v.toLowerCase().replace("${aws:resourceorgid}", "${aws:ResourceOrgID}") : v, trust, "aws:resourceorgid"));
        if (orgs.some((o) => o === undefined || /[*?]/.test(o) || o.includes("${"))) {
          failure = `its ${condition.key} value is wildcarded or unknown`;
          break;
        }
        // Conditions are ANDed: the Deny applies only when every one is true, so callers passing any one pass.
        guard.allowOrgs = new Set([...(guard.allowOrgs ?? []), ...(orgs as string[])]);
        parts.push(`outside ${[...guard.allowOrgs].join(" or ")}`);
      } else if ((key === "aws:principalaccount" || key === "kms:calleraccount") && NEGATED_STRING.has(operator.base) && !operator.set) {
        const accounts = values.map((v) => resolve(v, trust, "aws:resourceaccount"));
        if (accounts.some((a) => a === undefined || !isAccountId(a))) {
          failure = `its ${condition.key} value is not a fixed account id`;
          break;
        }
        guard.allowAccounts = new Set([...(guard.allowAccounts ?? []), ...(accounts as string[])]);
        parts.push(`from accounts other than ${[...guard.allowAccounts].join(", ")}`);
      } else if (key === "aws:principalarn" && NEGATED_ARN.has(operator.base) && !operator.set) {
        const accounts = values.map((v) => {
          const account = parseArn(withoutResourceAccountVariable(v))?.account;
          return account === RESOURCE_ACCOUNT_TOKEN ? trust.account : account;
        });
        if (accounts.some((a) => a === undefined || !isAccountId(a))) {
          failure = `its ${condition.key} value does not fix the account`;
          break;
        }
        guard.allowAccounts = new Set([...(guard.allowAccounts ?? []), ...(accounts as string[])]);
        parts.push(`whose ARN is not in account ${[...guard.allowAccounts].join(", ")}`);
      } else if (key === "aws:principalisawsservice" && operator.base === "Bool" && !operator.set && values.every((v) => v.toLowerCase() === "false")) {
        guard.exemptsServices = true;
        // Without IfExists, the Deny is false for anonymous calls, which do not carry the key (AWS-FACTS.md §5.2).
        guard.appliesToAnonymous = operator.ifExists;
        parts.push("except AWS service principals");
      } else {
        failure = `its condition ${operator.raw} ${condition.key} can be false for callers outside the account or organization`;
        break;
      }
    }
    if (failure) {
      result.partial.push({ statement, reason: `${label} does not cover: ${failure}` });
      continue;
    }
    if (!guard.allowOrgs && !guard.allowAccounts) {
      if (guard.exemptsServices) {
        result.partial.push({ statement, reason: `${label} does not name an organization or account to keep` });
        continue;
      }
      guard.description = `${label} denies every caller`;
    } else {
      guard.description = `${label} denies callers ${parts.join(", ")}`;
    }
    result.guardrails.push(guard);
  }
  return result;
}

/** Whether a Deny's Action/NotAction covers every action in `set`. */
export function denyCoversActions(deny: Statement, set: ActionSet): boolean {
  if (set.actions.length === 0) return true;
  if (deny.action) return set.actions.every((name) => deny.action!.some((p) => patternMatches(p.value, set.service, name)));
  if (deny.notAction) return set.actions.every((name) => !deny.notAction!.some((p) => patternMatches(p.value, set.service, name)));
  return false;
}

/** Whether a Deny's Resource covers the Allow's (a key policy's "*" is always "this key"). */
export function denyCoversResources(deny: Statement, allow: Statement, kind: PolicyKind): boolean {
  if (!deny.resource || deny.notResource) return false; // NotResource "*" in a key policy excludes the key itself
  if (kind === "key-policy") return true;
  const allowResources = allow.resource?.map((r) => r.value) ?? ["*"];
  return allowResources.every((r) => deny.resource!.some((p) => p.value === "*" || globMatches(p.value, r)));
}

function globMatches(pattern: string, value: string): boolean {
  const collapsed = pattern.replace(/\*+/g, "*");
  if (collapsed.length > 2048) return false; // longer than any ARN: not counted as covering
  const source = collapsed.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(value);
}
