/**
 * The audit's comparison with IAM Access Analyzer, on kmslint's own findings: an access finding (public,
 * cross-account, external admin, NotPrincipal) that an analyzer also reports is marked as seen by both; one it
 * does not report, while an active analyzer covers the resource's region, says so and why that can be (the
 * analyzer's zone of trust, archived findings, not yet analyzed). Findings only Access Analyzer has are the
 * access-analyzer rule's.
 */
import { analyzerFor, analyzerSubjects, regionOf } from "../analysis/access-analyzer.js";
import type { Inventory } from "../model/inventory.js";
import type { Finding } from "./linter.js";

export function compareWithAccessAnalyzer(findings: Finding[], inventory: Inventory): void {
  const aa = inventory.accessAnalyzer;
  if (!aa) return;
  for (const finding of findings) {
    if (!finding.subjects || finding.resource === undefined) continue;
    const resource = finding.resource;
    const matches = aa.findings.filter((f) => f.resource === resource && !f.error && analyzerSubjects(f).some((s) => finding.subjects!.includes(s)));
    const match = matches.find((f) => f.status === "ACTIVE") ?? matches[0];
    if (match) {
      finding.accessAnalyzer = { agreement: "both", analyzer: match.analyzer.name, findingId: match.id, status: match.status };
      finding.message += ` IAM Access Analyzer reports this access too (analyzer ${match.analyzer.name}, finding ${match.id}${match.status === "ARCHIVED" ? ", archived" : ""}).`;
      continue;
    }
    const analyzer = analyzerFor(aa.analyzers, regionOf(inventory, resource));
    if (!analyzer) continue;
    finding.accessAnalyzer = { agreement: "kmslint-only", analyzer: analyzer.name };
    const accounts = finding.subjects.filter((s) => s !== "*");
    const reasons: string[] = [];
    if (analyzer.type === "ORGANIZATION" && accounts.length > 0) {
      reasons.push(`its zone of trust is the organization, so it does not report accounts of the organization (${accounts.join(", ")} may be one)`);
    }
    reasons.push("the finding may be archived (--include-archived shows archived findings)");
    reasons.push(`the resource may not be analyzed yet${analyzer.lastResourceAnalyzedAt ? ` (the analyzer last analyzed a resource at ${analyzer.lastResourceAnalyzedAt})` : ""}`);
    reasons.push("it may count a condition of the statement as restricting (it considers only some condition keys)");
    finding.message += ` IAM Access Analyzer (analyzer ${analyzer.name}) does not report this access: ${reasons.join("; or ")}.`;
  }
}
