/**
 * Access Analyzer's external-access findings next to kmslint's: which outside party a finding is about, and
 * whether kmslint's analysis of the same policy lets that party in. Used by the access-analyzer rule (findings
 * only Access Analyzer has) and by the audit's report (kmslint findings that Access Analyzer has too, or not).
 * Pure.
 */
import type { AnalyzerCoverage, AnalyzerFinding, Inventory, InventoryPolicy } from "../model/inventory.js";
import type { PolicyAnalysis } from "./index.js";

/** The party of an Access Analyzer finding: "*" for public access, else account ids (and other principals as written). */
export function analyzerSubjects(finding: Pick<AnalyzerFinding, "isPublic" | "principal" | "condition">): string[] {
  const principal = finding.principal ?? {};
  if (finding.isPublic || principal["AWS"] === "*") return ["*"];
  const subjects = new Set<string>();
  for (const value of Object.values(principal)) {
    const account = /^\d{12}$/.test(value) ? value : /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(value)?.[1];
    subjects.add(account ?? value);
  }
  const callerAccount = finding.condition?.["kms:CallerAccount"];
  if (callerAccount && /^\d{12}$/.test(callerAccount)) subjects.add(callerAccount);
  const org = finding.condition?.["aws:PrincipalOrgID"];
  if (org) subjects.add(org);
  return [...subjects];
}

/** Whether kmslint's analysis of a policy lets `subject` (an account, an organization, or "*") reach the resource. */
export function analysisAdmits(analysis: PolicyAnalysis, subject: string): boolean {
  return analysis.reaches.some(({ who }) => {
    if (who.kind === "anyone") return true;
    if (subject === "*") return false;
    if (who.kind === "limited") return who.accounts.some((a) => a.account === subject) || who.orgs.includes(subject);
    if (who.kind === "service") return (who.sourceAccounts ?? []).includes(subject) || (who.sourceOrgs ?? []).includes(subject);
    return false;
  });
}

/** The policies of the key or bucket an ARN names. */
export function policiesOf(inventory: Inventory, arn: string): InventoryPolicy[] {
  const key = inventory.keys.find((k) => k.arn === arn);
  if (key) return key.policy ? [key.policy] : [];
  const bucket = inventory.buckets.find((b) => b.arn === arn);
  return bucket ? bucket.policies : [];
}

/** The region of a key or bucket ARN, for the analyzer that covers it (buckets: from the inventory). */
export function regionOf(inventory: Inventory, arn: string): string | undefined {
  const kms = /^arn:[^:]+:kms:([^:]+):/.exec(arn);
  if (kms) return kms[1];
  return inventory.buckets.find((b) => b.arn === arn)?.region;
}

/** The active external-access analyzer of a region, the organization one first (its zone of trust is the wider). */
export function analyzerFor(analyzers: readonly AnalyzerCoverage[], region: string | undefined): AnalyzerCoverage | undefined {
  const active = analyzers.filter((a) => a.region === region && a.status === "ACTIVE");
  return active.find((a) => a.type === "ORGANIZATION") ?? active[0];
}

/** `principal {"AWS": "444455556666"}` as words. */
export function analyzerWho(finding: Pick<AnalyzerFinding, "isPublic" | "principal">): string {
  if (finding.isPublic) return "anyone (public)";
  const parts = Object.entries(finding.principal ?? {}).map(([type, value]) => (type === "AWS" ? (/^\d{12}$/.test(value) ? `account ${value}` : value) : `${type} principal ${value}`));
  return parts.length > 0 ? parts.join(" and ") : "a principal it does not name";
}
