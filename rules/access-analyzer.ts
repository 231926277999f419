import { defineRule } from "../src/engine/rule.js";
import { analysisAdmits, analyzerSubjects, analyzerWho, policiesOf } from "../src/analysis/access-analyzer.js";
import type { ResourceRef } from "../src/model/inventory.js";

export default defineRule({
  meta: {
    id: "access-analyzer",
    severity: "warning",
    appliesTo: [],
    inventory: true,
    sources: ["live"],
    description: "An IAM Access Analyzer external-access finding on a key or bucket that kmslint's rules did not report (an error when it is public).",
    messages: {
      analyzerOnly:
        "IAM Access Analyzer (analyzer {{analyzer}}, zone of trust: {{zone}}; finding {{id}}{{archived}}) reports that {{who}} can {{actions}} on this {{what}}{{conditions}}; kmslint's rules did not report it: {{why}} Review the finding in Access Analyzer: if the access is intended, archive it there{{trustFix}}.",
    },
  },
  checkInventory(context) {
    const aa = context.inventory.accessAnalyzer;
    if (!aa) return;
    const trusted = new Set(context.trust.trustedAccounts);
    for (const finding of aa.findings) {
      if (finding.error) continue;
      const subjects = analyzerSubjects(finding);
      const policies = policiesOf(context.inventory, finding.resource);
      const analyses = policies.map((p) => context.analysisOf(p)).filter((a) => a !== undefined);
      const admitted = subjects.filter((s) => analyses.some((a) => analysisAdmits(a, s)));
      // Admitted and not trusted: kmslint's access rules report it (the audit's report marks it as seen by both).
      if (admitted.length > 0 && admitted.some((s) => !trusted.has(s))) continue;
      const isKey = finding.resourceType === "AWS::KMS::Key";
      let why: string;
      if (admitted.length > 0) {
        why = `account ${admitted.join(", ")} is a trusted account in kmslint's configuration (trustedAccounts), but outside the analyzer's zone of trust.`;
      } else if (policies.length === 0) {
        why = isKey
          ? "kmslint has no key policy for this key (not read, or not in the audited regions)."
          : "the bucket has no bucket policy, so the access comes from elsewhere: an access control list, an access point or a bucket policy kmslint could not read.";
      } else {
        why = isKey
          ? "the key policy does not let this party in by kmslint's reading, so the access likely comes from a KMS grant (kmslint does not read grants), or from a condition Access Analyzer does not count as restricting."
          : "the bucket policy does not let this party in by kmslint's reading, so the access likely comes from an access control list or an access point (kmslint does not read them), or from a condition Access Analyzer does not count as restricting.";
      }
      const conditions = Object.entries(finding.condition ?? {}).map(([k, v]) => `${k} = ${v}`);
      const actions = finding.action && finding.action.length > 0 ? `call ${finding.action.slice(0, 6).join(", ")}${finding.action.length > 6 ? ` and ${finding.action.length - 6} more` : ""}` : "use it";
      const resource: ResourceRef =
        context.inventory.keys.find((k) => k.arn === finding.resource)?.resource ??
        context.inventory.buckets.find((b) => b.arn === finding.resource)?.resource ?? { address: finding.resource, type: finding.resourceType, anchor: finding.range! };
      context.report({
        messageId: "analyzerOnly",
        data: {
          analyzer: finding.analyzer.name,
          zone: finding.analyzer.type === "ORGANIZATION" ? "the organization" : "the account",
          id: finding.id,
          archived: finding.status === "ARCHIVED" ? ", archived" : "",
          who: analyzerWho(finding),
          actions,
          what: isKey ? "key" : "bucket",
          conditions: conditions.length > 0 ? ` (when ${conditions.join(" and ")})` : "",
          why,
          trustFix: admitted.length > 0 ? ", or widen the analyzer's zone of trust (an ORGANIZATION analyzer) if the account is in your organization" : "",
        },
        resource,
        range: finding.range ?? resource.anchor,
        accessAnalyzer: { agreement: "access-analyzer-only", analyzer: finding.analyzer.name, findingId: finding.id, status: finding.status },
        ...(subjects.includes("*") ? { severity: "error" as const } : {}),
      });
    }
  },
});
