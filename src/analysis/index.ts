/**
 * The access analysis: for every Allow statement and each of its principals, who can use it after the
 * statement's conditions and the policy's Deny guardrails (the principal scope), and what they can do
 * (the action classes). Pure: a normalized policy and the trust context in, facts out. Every access rule
 * reads this; none re-derives it. The semantics are DESIGN.md "Principal scope" and docs/semantics.md.
 */
import type { TrustContext } from "../engine/rule.js";
import { parseAwsPrincipal } from "../model/arn.js";
import type { Path } from "../model/json.js";
import type { Policy, PolicyKind, PrincipalEntry, Statement } from "../model/policy.js";
import { statementLabel } from "../model/policy.js";
import { expandStatementActions, type ActionSet } from "./actions.js";
import { evaluateConditions, type Constraints } from "./conditions.js";
import { assessDenies, denyCoversActions, denyCoversResources, type Guardrail } from "./guardrails.js";

export { summarizeActions } from "./actions.js";
export type { ActionSet, ActionClass } from "./actions.js";
export type { Constraints, ConditionNote } from "./conditions.js";

/** Who can use a statement, after conditions and guardrails. */
export type Who =
  | { kind: "anyone"; anonymousOnly: boolean; network?: string[] }
  /** Principals of these accounts, or of any account of these organizations. */
  | {
      kind: "limited";
      accounts: AccountScope[];
      orgs: string[];
      /** Principal "*" behind a Deny that exempts AWS service principals: every service, acting for any account, also passes. */
      anyService?: boolean;
    }
  /** An AWS service principal; with a source condition, only when acting for those accounts or organizations. */
  | { kind: "service"; service: string; sourceBound: boolean; sourceAccounts?: string[]; sourceOrgs?: string[] }
  | { kind: "federated"; provider: string }
  | { kind: "canonical-user"; id: string }
  | { kind: "nobody"; reason: string };

export interface AccountScope {
  account: string;
  /** How the principal was named: `the account root`, `role/App`, `any principal` (a condition bound). */
  principal: string;
  /** When a guardrail or condition also requires the caller's organization to be one of these. */
  requireOrgs?: string[];
  /** The callers are AWS services acting for a resource of the account (Principal "*" bound by aws:SourceAccount). */
  viaService?: true;
}

export type Tier = "public" | "outside-org" | "org-account" | "trusted-account" | "same-account";

export interface Reach {
  statement: Statement;
  /** The principal entry, or undefined for an Allow with NotPrincipal (which reaches everyone else). */
  principal: PrincipalEntry | undefined;
  /** Where findings about this reach point. */
  path: Path;
  /** From the Principal element alone. */
  base: Who;
  /** After the statement's conditions and the policy's guardrails. */
  who: Who;
  actions: ActionSet;
  constraints: Constraints;
  /** Guardrails that narrowed this reach, in words. */
  guardedBy: string[];
  /** Deny statements that exist but could not be proven to cover this reach, with why. */
  uncoveredDenies: string[];
}

export interface Owner {
  account: string | undefined;
  /** true when not given (--account / config) but read from the policy. */
  inferred: boolean;
  reason: string;
}

export interface PolicyAnalysis {
  kind: PolicyKind;
  owner: Owner;
  /** The trust context with the owner filled in when inferred. */
  trust: TrustContext;
  reaches: Reach[];
  guardrails: Guardrail[];
}

/**
 * Without --account, a key policy's owner is the account whose root gets kms:* or kms:PutKeyPolicy (the
 * default key policy's "Enable IAM User Permissions" statement, whatever its Sid).
 */
export function inferOwner(policy: Policy, kind: PolicyKind, trust: TrustContext): Owner {
  if (trust.account) return { account: trust.account, inferred: false, reason: "given" };
  if (kind !== "key-policy") return { account: undefined, inferred: false, reason: "no --account given, and a bucket policy does not name its owner" };
  const candidates: string[] = [];
  for (const statement of policy.statements) {
    if (statement.effect?.value !== "Allow" || !statement.principal) continue;
    const actions = expandStatementActions(statement, kind);
    if (!actions.all && !actions.actions.includes("PutKeyPolicy")) continue;
    for (const entry of statement.principal.entries) {
      if (entry.type !== "AWS") continue;
      const parsed = parseAwsPrincipal(entry.value);
      if ((parsed.form === "root" || parsed.form === "account") && !candidates.includes(parsed.account)) candidates.push(parsed.account);
    }
  }
  if (candidates.length === 0) return { account: undefined, inferred: false, reason: "no --account given, and no account root gets kms:* or kms:PutKeyPolicy" };
  // Several accounts administer the key: any of them could be the owner, so none is assumed (every one is reported).
  if (candidates.length > 1) return { account: undefined, inferred: false, reason: `no --account given, and ${candidates.join(", ")} all get kms:PutKeyPolicy` };
  return { account: candidates[0], inferred: true, reason: `inferred as ${candidates[0]} from the statement that gives its root kms:PutKeyPolicy` };
}

function baseWho(entry: PrincipalEntry | undefined): Who | undefined {
  if (!entry) return { kind: "anyone", anonymousOnly: false };
  if (entry.type === "*") return entry.value === "*" ? { kind: "anyone", anonymousOnly: false } : undefined;
  if (entry.type === "AWS") {
    const parsed = parseAwsPrincipal(entry.value);
    switch (parsed.form) {
      case "anyone":
        return { kind: "anyone", anonymousOnly: false };
      case "account":
      case "root":
        return { kind: "limited", accounts: [{ account: parsed.account, principal: "the account (any principal its IAM policies allow)" }], orgs: [] };
      case "iam":
        return { kind: "limited", accounts: [{ account: parsed.account, principal: parsed.arn.resource }], orgs: [] };
      case "unique-id":
        return { kind: "nobody", reason: "a deleted principal" };
      case "cloudfront-oai":
        // A CloudFront origin access identity: a service identity, not an account (legacy OAI access to S3).
        return { kind: "service", service: `CloudFront origin access identity ${parsed.id}`, sourceBound: true };
      default:
        return undefined;
    }
  }
  if (entry.type === "Service") return { kind: "service", service: entry.value, sourceBound: false };
  if (entry.type === "Federated") return { kind: "federated", provider: entry.value };
  if (entry.type === "CanonicalUser") return { kind: "canonical-user", id: entry.value };
  return undefined;
}

function applyConditions(who: Who, constraints: Constraints): Who {
  switch (who.kind) {
    case "anyone": {
      if (constraints.accounts) {
        if (constraints.accounts.size === 0 || constraints.orgs?.size === 0) return { kind: "nobody", reason: "its conditions match no real caller" };
        return {
          kind: "limited",
          accounts: [...constraints.accounts].map((account) => ({ account, principal: "any principal", ...(constraints.orgs ? { requireOrgs: [...constraints.orgs] } : {}) })),
          orgs: [],
        };
      }
      if (constraints.orgs) {
        return constraints.orgs.size === 0 ? { kind: "nobody", reason: "its conditions match no real organization" } : { kind: "limited", accounts: [], orgs: [...constraints.orgs] };
      }
      // aws:SourceAccount / aws:SourceArn / aws:SourceOrgID are in a request only when an AWS service calls on
      // behalf of a resource: with one of them fixed, only services acting for those accounts pass.
      if (constraints.sourceAccounts || constraints.sourceOrgs) {
        const accounts = [...(constraints.sourceAccounts ?? [])].map((account) => ({ account, principal: "an AWS service acting for a resource of this account", viaService: true as const }));
        const orgs = [...(constraints.sourceOrgs ?? [])];
        return accounts.length === 0 && orgs.length === 0 ? { kind: "nobody", reason: "its conditions match no real caller" } : { kind: "limited", accounts, orgs };
      }
      return constraints.network ? { ...who, network: constraints.network } : who;
    }
    case "limited": {
      const accounts = who.accounts.filter((a) => !constraints.accounts || constraints.accounts.has(a.account));
      if (constraints.orgs?.size === 0) return { kind: "nobody", reason: "its conditions match no real organization" };
      if (accounts.length === 0 && who.orgs.length === 0) {
        return { kind: "nobody", reason: `its condition requires account ${[...(constraints.accounts ?? [])].join(" or ")}, which the principal is not in` };
      }
      return { kind: "limited", accounts: accounts.map((a) => (constraints.orgs ? { ...a, requireOrgs: [...constraints.orgs] } : a)), orgs: who.orgs };
    }
    case "service":
      if (constraints.sourceAccounts?.size === 0 || constraints.sourceOrgs?.size === 0) return { kind: "nobody", reason: "its source condition matches no real account" };
      return {
        ...who,
        sourceBound: who.sourceBound || Boolean(constraints.sourceAccounts || constraints.sourceOrgs),
        ...(constraints.sourceAccounts ? { sourceAccounts: [...constraints.sourceAccounts] } : {}),
        ...(constraints.sourceOrgs ? { sourceOrgs: [...constraints.sourceOrgs] } : {}),
      };
    default:
      return who;
  }
}

function applyGuardrail(who: Who, guard: Guardrail, kind: PolicyKind): Who {
  switch (who.kind) {
    case "anyone": {
      // KMS only answers signed requests; an S3 bucket can be reached anonymously.
      if (!guard.appliesToAnonymous && kind === "bucket-policy") return { kind: "anyone", anonymousOnly: true, ...(who.network ? { network: who.network } : {}) };
      const accounts = [...(guard.allowAccounts ?? [])].map((account) => ({ account, principal: "any principal" }));
      const orgs = [...(guard.allowOrgs ?? [])];
      if (accounts.length === 0 && orgs.length === 0 && !guard.exemptsServices) return { kind: "nobody", reason: guard.description };
      // A Deny that exempts service principals leaves Principal "*" open to every AWS service, for any account.
      return { kind: "limited", accounts, orgs, ...(guard.exemptsServices ? { anyService: true } : {}) };
    }
    case "limited": {
      const accounts: AccountScope[] = [];
      for (const a of who.accounts) {
        // A Deny that exempts service principals does not stop services acting for another account.
        if (guard.allowAccounts?.has(a.account) || (guard.exemptsServices && a.viaService)) accounts.push(a);
        else if (guard.allowOrgs) accounts.push({ ...a, requireOrgs: intersectOrgs(a.requireOrgs, [...guard.allowOrgs]) });
      }
      const orgs: string[] = [];
      for (const o of who.orgs) {
        if (!guard.allowOrgs || guard.allowOrgs.has(o)) orgs.push(o);
        // The Deny's conditions are ANDed: a caller of org o in one of its kept accounts is not denied.
        else for (const account of guard.allowAccounts ?? []) accounts.push({ account, principal: "any principal", requireOrgs: [o] });
      }
      const kept = accounts.filter((a) => !a.requireOrgs || a.requireOrgs.length > 0);
      const anyService = who.anyService && guard.exemptsServices;
      if (kept.length === 0 && orgs.length === 0 && !anyService) return { kind: "nobody", reason: guard.description };
      return { kind: "limited", accounts: kept, orgs, ...(anyService ? { anyService: true } : {}) };
    }
    case "service":
      return guard.exemptsServices ? who : { kind: "nobody", reason: `${guard.description}, service principals included` };
    case "federated":
    case "canonical-user":
      // A Deny of every caller denies them too; otherwise their account and organization are unknown, so
      // kmslint cannot prove the guardrail keeps them out.
      return !guard.allowAccounts && !guard.allowOrgs && !guard.exemptsServices ? { kind: "nobody", reason: guard.description } : who;
    default:
      return who;
  }
}

function intersectOrgs(previous: string[] | undefined, next: string[]): string[] {
  return previous ? previous.filter((o) => next.includes(o)) : next;
}

export function analyzePolicy(policy: Policy, kind: PolicyKind, trust: TrustContext): PolicyAnalysis {
  const owner = inferOwner(policy, kind, trust);
  const effective: TrustContext = owner.account && !trust.account ? { ...trust, account: owner.account } : trust;
  const denies = assessDenies(policy.statements, effective);
  const reaches: Reach[] = [];
  for (const statement of policy.statements) {
    if (statement.effect?.value !== "Allow") continue;
    const element = statement.principal ?? statement.notPrincipal;
    if (!element) continue;
    const actions = expandStatementActions(statement, kind);
    // No action of this service (none written, or only other services' actions): the statement grants nothing here.
    if (actions.actions.length === 0) continue;
    const constraints = evaluateConditions(statement, effective);
    const applicable: Guardrail[] = [];
    const uncovered = denies.partial.map((p) => p.reason);
    for (const guard of denies.guardrails) {
      if (!denyCoversActions(guard.statement, actions)) {
        uncovered.push(`Deny statement ${statementLabel(guard.statement)} does not cover all the actions this statement allows`);
      } else if (!denyCoversResources(guard.statement, statement, kind)) {
        uncovered.push(`Deny statement ${statementLabel(guard.statement)} does not cover all the resources this statement allows`);
      } else {
        applicable.push(guard);
      }
    }
    const entries: (PrincipalEntry | undefined)[] = statement.principal ? statement.principal.entries : [undefined];
    for (const entry of entries) {
      const base = baseWho(entry);
      if (!base) continue; // malformed principal: invalid-policy reports it
      let who = applyConditions(base, constraints);
      const guardedBy: string[] = [];
      for (const guard of applicable) {
        const before = who;
        who = applyGuardrail(who, guard, kind);
        if (who !== before) guardedBy.push(guard.description);
      }
      reaches.push({ statement, principal: entry, path: entry?.path ?? element.path, base, who, actions, constraints, guardedBy, uncoveredDenies: uncovered });
    }
  }
  return { kind, owner, trust: effective, reaches, guardrails: denies.guardrails };
}

/** Whether an organization id names the owner's organization: `--org`, or `${aws:ResourceOrgID}` (the owner's by definition). */
export function isOwnOrg(org: string, analysis: PolicyAnalysis): boolean {
  return org === "${aws:ResourceOrgID}" || (analysis.trust.org !== undefined && org === analysis.trust.org);
}

/** The tier of an account that can reach a key or bucket. */
export function accountTier(scope: AccountScope, analysis: PolicyAnalysis): Tier {
  const { trust } = analysis;
  if (scope.account === "${aws:ResourceAccount}" || (trust.account && scope.account === trust.account)) return "same-account";
  if (trust.trustedAccounts.includes(scope.account)) return "trusted-account";
  // Values of one key are ORed: the account is inside only if every organization it may be in is ours.
  if (trust.org && scope.requireOrgs && scope.requireOrgs.length > 0 && scope.requireOrgs.every((o) => o === trust.org)) return "org-account";
  return "outside-org";
}

export const TIER_WORDS: Record<Tier, string> = {
  public: "anyone (public)",
  "outside-org": "outside the organization",
  "org-account": "another account in the organization",
  "trusted-account": "a trusted account",
  "same-account": "the same account",
};
