import { lintText, type Finding } from "../../src/engine/linter.js";
import type { TrustContext } from "../../src/engine/rule.js";
import type { PolicyKind } from "../../src/model/policy.js";
import { policyText } from "../rule-tester.js";
import { allRules } from "../../rules/index.js";
import publicAccess from "../../rules/public-access.js";
import crossAccountAccess from "../../rules/cross-account-access.js";
import orgCondition from "../../rules/org-condition.js";
import viaService from "../../rules/via-service-without-caller-account.js";
import externalAdmin from "../../rules/external-admin-access.js";
import grantGuard from "../../rules/grant-without-aws-resource-guard.js";
import lockout from "../../rules/lockout-risk.js";
import notPrincipal from "../../rules/not-principal-allow.js";
import servicePrincipal from "../../rules/service-principal-without-source.js";

const RULES = [...new Set([...allRules, publicAccess, crossAccountAccess, orgCondition, viaService, externalAdmin, grantGuard, lockout, notPrincipal, servicePrincipal])];

export const OWNER = "111122223333";
export const OTHER = "444455556666";
export const ORG = "o-a1b2c3d4e5";
export const ROOT_STATEMENT = { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OWNER}:root` }, Action: "kms:*", Resource: "*" };

export const ACCESS_RULES = [
  "public-access",
  "cross-account-access",
  "org-condition",
  "via-service-without-caller-account",
  "external-admin-access",
  "grant-without-aws-resource-guard",
  "lockout-risk",
  "not-principal-allow",
  "service-principal-without-source",
];

export function keyPolicy(...statements: object[]): object {
  return { Version: "2012-10-17", Statement: [ROOT_STATEMENT, ...statements] };
}

export function bucketPolicy(...statements: object[]): object {
  return { Version: "2012-10-17", Statement: statements };
}

export interface Options {
  kind?: PolicyKind;
  trust?: Partial<TrustContext>;
}

/** Access findings only, as `rule@line:col`, plus the full findings for message checks. */
export function access(policy: string | object, options: Options = {}): { ids: string[]; findings: Finding[] } {
  const trust: TrustContext = { account: OWNER, org: ORG, trustedAccounts: [], ...options.trust };
  if (options.trust && "account" in options.trust && options.trust.account === undefined) delete trust.account;
  if (options.trust && "org" in options.trust && options.trust.org === undefined) delete trust.org;
  const result = lintText(policyText(policy), "policy.json", { trust, rules: RULES, ...(options.kind ? { kind: options.kind } : {}) });
  const findings = result.findings.filter((f) => ACCESS_RULES.includes(f.ruleId));
  return { ids: findings.map((f) => `${f.ruleId}@${f.range.start.line}:${f.range.start.column}`), findings };
}

export function rulesOf(policy: string | object, options: Options = {}): string[] {
  return access(policy, options).findings.map((f) => f.ruleId).sort();
}
