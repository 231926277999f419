import { lintText, type Finding } from "../../src/engine/linter.js";
import type { TrustContext } from "../../src/engine/rule.js";
import type { PolicyKind } from "../../src/model/policy.js";
import { policyText } from "../rule-tester.js";
import { allRules } from "../../rules/index.js";
import { parseJson } from "../../src/model/json.js";
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

/**
 * Where each access finding points, as the JSON path of the element at that position (checked against momoa's
 * positioned tree, not against hand-counted columns): `rule@Statement/1/Principal/AWS` or `…/Condition/…:key`.
 */
export function pointsAt(policy: object, options: Options = {}): string[] {
  const text = JSON.stringify(policy, null, 2);
  const parsed = parseJson(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const paths: { path: (string | number)[]; target: "value" | "key" }[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push({ path, target: "value" });
    if (path.length > 0 && typeof path[path.length - 1] === "string") paths.push({ path, target: "key" });
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(parsed.value, []);
  return access(text, options).findings.map((f) => {
    const hit = paths.find(({ path, target }) => {
      const range = parsed.locator.locateWithTree(path, target);
      return range.start.offset === f.range.start.offset && range.end.offset === f.range.end.offset;
    });
    return `${f.ruleId}@${hit ? `${hit.path.join("/")}${hit.target === "key" ? ":key" : ""}` : `${f.range.start.line}:${f.range.start.column}`}`;
  });
}
