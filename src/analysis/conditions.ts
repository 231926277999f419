/**
 * Which conditions of an Allow statement narrow *who* can use it, and to what.
 *
 * A condition narrows only when it certainly holds for every request the statement allows. The decision
 * table, with the AWS documentation behind each row, is docs/semantics.md; the code follows it row by row.
 */
import { isAccountId, parseArn } from "../model/arn.js";
import type { Path } from "../model/json.js";
import type { ConditionEntry, Statement } from "../model/policy.js";
import type { TrustContext } from "../engine/rule.js";

/** What a narrowing condition key says about the caller. */
/**
 * The role of a condition key (lower case) in bounding the caller, or undefined for keys that do not identify it.
 * kms:EncryptionContext:aws:<service>:arn (CloudTrail, CloudWatch Logs, …) names the resource a service acts for,
 * like aws:SourceArn; kms:EncryptionContext:aws:ses:source-account (SES) names the account likewise.
 */
export function conditionKeyRole(lowerKey: string): KeyRole | undefined {
  if (Object.hasOwn(KEY_ROLES, lowerKey)) return KEY_ROLES[lowerKey];
  if (/^kms:encryptioncontext:aws:[a-z0-9-]+:arn$/.test(lowerKey)) return "source-arn";
  if (/^kms:encryptioncontext:aws:[a-z0-9-]+:(source-)?account$/.test(lowerKey)) return "source-account";
  return undefined;
}

/** Whether a kms:GrantIsForAWSResource / kms:GranteePrincipal condition certainly bounds who receives a grant. */
function boundsGrantee(condition: ConditionEntry): boolean {
  const { operator } = condition;
  if (operator.ifExists || operator.set === "ForAllValues" || /Not/.test(operator.base)) return false;
  if (condition.key.toLowerCase() === "kms:grantisforawsresource") return operator.base === "Bool" && condition.values.every((v) => v.value.toLowerCase() === "true");
  // A grantee bound is a comparison with fixed principals (Null only says the key is present).
  return /^(String|Arn)(Equals|Like)/.test(operator.base) && condition.values.every((v) => !/[*?]/.test(v.value));
}

export type KeyRole = "account" | "arn" | "org" | "org-paths" | "source-account" | "source-arn" | "source-org" | "source-org-paths" | "network" | "via-service";

/** Keys whose value the caller cannot choose and that identify the caller (AWS-FACTS.md §5.2). */
const KEY_ROLES: Record<string, KeyRole> = {
  "aws:principalaccount": "account",
  "kms:calleraccount": "account",
  "aws:principalarn": "arn",
  "aws:principalorgid": "org",
  "aws:principalorgpaths": "org-paths",
  "aws:sourceaccount": "source-account",
  "aws:sourceowner": "source-account",
  "aws:sourcearn": "source-arn",
  "aws:sourceorgid": "source-org",
  "aws:sourceorgpaths": "source-org-paths",
  "aws:sourcevpce": "network",
  "aws:sourcevpc": "network",
  "aws:sourcevpcarn": "network",
  "aws:sourceip": "network",
  "aws:vpceaccount": "network",
  "aws:vpceorgid": "network",
  "aws:vpceorgpaths": "network",
  // Requests through S3 access points: the access point's account decides (AWS's "delegate access control to
  // access points" pattern, https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html).
  "s3:dataaccesspointaccount": "account",
  "s3:dataaccesspointarn": "arn",
  "kms:viaservice": "via-service",
};

const MULTI_VALUED: ReadonlySet<string> = new Set(["aws:principalorgpaths", "aws:sourceorgpaths"]);
const POSITIVE_STRING = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike"]);
const POSITIVE_ARN = new Set(["ArnEquals", "ArnLike", "StringEquals", "StringEqualsIgnoreCase", "StringLike"]);
const POSITIVE_NETWORK = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "IpAddress", "ArnEquals", "ArnLike"]);

export interface ConditionNote {
  condition: ConditionEntry;
  narrows: boolean;
  /** Why it does or does not narrow, in words for a message. */
  reason: string;
}

/** What the conditions of one statement establish about the caller (each list is a disjunction; lists are ANDed). */
export interface Constraints {
  /** The caller's account is one of these. */
  accounts?: Set<string>;
  /** The caller's organization is one of these. */
  orgs?: Set<string>;
  /** For service principals: the resource the service acts for is in one of these accounts / orgs. */
  sourceAccounts?: Set<string>;
  sourceOrgs?: Set<string>;
  /** A fixed network origin (VPC endpoint, VPC, IP range): not an identity bound. */
  network?: string[];
  /** kms:ViaService values present. */
  viaService?: string[];
  /**
   * kms:CreateGrant is kept to grants AWS services make (Bool kms:GrantIsForAWSResource true) or to fixed
   * grantees (kms:GranteePrincipal): PEERS.md P17. kms:GrantOperations is not a bound: it limits operations.
   */
  grantBound?: boolean;
  notes: ConditionNote[];
  /** Where the first narrowing condition is, to point at. */
  firstNarrowing?: Path;
}

const WILDCARD = /[*?]/;

/** Resolves `${aws:ResourceAccount}` and `${aws:ResourceOrgID}`, which name the owner; other variables are unknown. */
function resolveVariable(value: string, trust: TrustContext, role: "account" | "org"): string | undefined | null {
  const match = /^\$\{([^}]+)\}$/.exec(value);
  if (!match) return value.includes("${") ? null : value;
  const variable = match[1]!.toLowerCase();
  if (role === "account" && variable === "aws:resourceaccount") return trust.account ?? "${aws:ResourceAccount}";
  if (role === "org" && variable === "aws:resourceorgid") return trust.org ?? "${aws:ResourceOrgID}";
  return null;
}

/** `${aws:ResourceAccount}` holds a colon; inside an ARN it is swapped for a token before the fields are split. */
export const RESOURCE_ACCOUNT_TOKEN = "RESOURCE-ACCOUNT";
export function withoutResourceAccountVariable(value: string): string {
  return value.replace(/\$\{aws:ResourceAccount\}/gi, RESOURCE_ACCOUNT_TOKEN);
}

type IdentityRead = { kind: "fixed"; value: string } | { kind: "open" } | { kind: "malformed" };

/** Reads one condition value as an account id, the account of an ARN, or an organization id. */
function readIdentity(value: string, kind: "account" | "arn" | "org", paths: boolean, ignoreCase: boolean, trust: TrustContext): IdentityRead {
  if (kind === "arn") {
    const arn = parseArn(withoutResourceAccountVariable(value));
    if (!arn) return /[*?]|\$\{/.test(value) ? { kind: "open" } : { kind: "malformed" };
    const account = resolveVariable(arn.account === RESOURCE_ACCOUNT_TOKEN ? "${aws:ResourceAccount}" : arn.account, trust, "account");
    if (account === null || account === undefined || WILDCARD.test(account)) return { kind: "open" };
    return isAccountId(account) || account.startsWith("${") ? { kind: "fixed", value: account } : { kind: "malformed" };
  }
  const candidate = paths ? value.split("/", 1)[0]! : value;
  const resolved = resolveVariable(candidate, trust, kind === "account" ? "account" : "org");
  if (resolved === null || resolved === undefined || WILDCARD.test(resolved)) return { kind: "open" };
  if (resolved.startsWith("${")) return { kind: "fixed", value: resolved };
  if (kind === "account") return isAccountId(resolved) ? { kind: "fixed", value: resolved } : { kind: "malformed" };
  const org = ignoreCase ? resolved.toLowerCase() : resolved;
  return /^o-[a-z0-9]{10,32}$/.test(org) ? { kind: "fixed", value: org } : { kind: "malformed" };
}

function intersect(previous: Set<string> | undefined, next: Set<string>): Set<string> {
  if (!previous) return next;
  return new Set([...previous].filter((v) => next.has(v)));
}

/**
 * Why an operator cannot narrow, or undefined when it can. The same for every narrowing key:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
function operatorProblem(condition: ConditionEntry, positive: ReadonlySet<string>): string | undefined {
  const { operator } = condition;
  const key = condition.key;
  if (operator.base === "Null") return `Null only says whether ${key} is present; it does not say whose it is`;
  if (/Not/.test(operator.base)) return `${operator.raw} is negated: in an Allow it admits every value but the ones listed`;
  if (operator.ifExists) return `${operator.raw} is true when ${key} is absent from the request, so callers without it pass`;
  if (operator.set === "ForAllValues") return `ForAllValues is true when ${key} is absent or empty, so callers without it pass`;
  if (!positive.has(operator.base)) return `${operator.base} does not compare ${key} as an identity`;
  return undefined;
}

export function evaluateConditions(statement: Statement, trust: TrustContext): Constraints {
  const result: Constraints = { notes: [] };
  for (const condition of statement.conditions) {
    const lower = condition.key.toLowerCase();
    const role = conditionKeyRole(lower);
    if (lower === "kms:grantisforawsresource" || lower === "kms:granteeprincipal") {
      if (boundsGrantee(condition)) result.grantBound = true;
    }
    if (!role) {
      result.notes.push({ condition, narrows: false, reason: `${condition.key} does not identify the caller` });
      continue;
    }
    if (role === "via-service") {
      if (/^String/.test(condition.operator.base) && !/Not/.test(condition.operator.base)) result.viaService = condition.values.map((v) => v.value);
      result.notes.push({ condition, narrows: false, reason: "kms:ViaService says which AWS service relays the call, not whose account it comes from: every account can reach the key through that service" });
      continue;
    }
    const positive = role === "arn" || role === "source-arn" ? POSITIVE_ARN : role === "network" ? POSITIVE_NETWORK : POSITIVE_STRING;
    const problem = operatorProblem(condition, positive);
    if (problem) {
      result.notes.push({ condition, narrows: false, reason: problem });
      continue;
    }
    if (MULTI_VALUED.has(lower) && condition.operator.set !== "ForAnyValue") {
      result.notes.push({ condition, narrows: false, reason: `${condition.key} holds several values; compare it with ForAnyValue:${condition.operator.base}` });
      continue;
    }
    const values = condition.values.map((v) => v.value);
    const ignoreCase = condition.operator.base === "StringEqualsIgnoreCase";
    if (role === "network") {
      if (values.some((v) => WILDCARD.test(v) || v === "0.0.0.0/0" || v === "::/0")) {
        result.notes.push({ condition, narrows: false, reason: `${condition.key} is wildcarded` });
        continue;
      }
      result.network = [...(result.network ?? []), `${condition.key} ${values.join(", ")}`];
      result.notes.push({ condition, narrows: false, reason: `${condition.key} limits the network path, not the caller's identity` });
      continue;
    }
    // Each value is a fixed identity, a pattern or unknown variable (the key then admits anyone: P7), or a literal
    // that no real request carries (it admits nobody: a positive operator on a value no caller has is false).
    const kind = role === "account" || role === "source-account" ? "account" : role === "arn" || role === "source-arn" ? "arn" : "org";
    const fixed = new Set<string>();
    let open: string | undefined;
    const malformed: string[] = [];
    for (const value of values) {
      const read = readIdentity(value, kind, role === "org-paths" || role === "source-org-paths", ignoreCase, trust);
      if (read.kind === "open") {
        open ??= value;
      } else if (read.kind === "malformed") {
        malformed.push(value);
      } else {
        fixed.add(read.value);
      }
    }
    if (open !== undefined) {
      const what = kind === "account" ? "a fixed account id" : kind === "arn" ? "an ARN with a fixed account" : "a fixed organization id";
      result.notes.push({ condition, narrows: false, reason: `the value ${JSON.stringify(open)} is not ${what}` });
      continue;
    }
    const target = role === "account" || role === "arn" ? "accounts" : role === "source-account" || role === "source-arn" ? "sourceAccounts" : role === "org" || role === "org-paths" ? "orgs" : "sourceOrgs";
    result[target] = intersect(result[target], fixed);
    const none = malformed.length > 0 ? ` (${malformed.map((m) => JSON.stringify(m)).join(", ")} matches no real ${kind === "org" ? "organization" : "account"})` : "";
    result.notes.push({
      condition,
      narrows: true,
      reason: fixed.size > 0 ? `${condition.key} must be ${kind === "org" ? "in " : kind === "arn" ? "in account " : ""}${[...fixed].join(" or ")}${none}` : `no caller can match it${none}`,
    });
    result.firstNarrowing ??= condition.keyPath;
  }
  return result;
}
