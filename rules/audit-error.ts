import { defineRule } from "../src/engine/rule.js";
import type { ReadFailure } from "../src/model/inventory.js";

/** What is left unchecked when an operation fails, by operation ({{region}} is the failure's region). */
const UNCHECKED: Record<string, string> = {
  DescribeKey: "nothing about this key is checked (its kind, state, rotation and policy are read after DescribeKey)",
  GetKeyPolicy: "its key policy is not checked (who outside the account can use or manage the key, and whether the buckets it encrypts let their readers decrypt)",
  GetKeyRotationStatus: "whether automatic rotation is on is not checked",
  ListKeyRotations: "the expiry of its imported key materials, other than the current one, is not checked",
  ListKeys: "no key of {{region}} is checked",
  ListAliases: "the aliases of {{region}} are unknown: buckets that name their key by an alias are not matched with it, and findings do not show aliases",
  ListBuckets: "no bucket is checked",
  GetBucketLocation: "the bucket's region is unknown, so nothing about it is checked",
  GetBucketPolicy: "its bucket policy is not checked",
  GetBucketEncryption: "its default encryption is not checked (aws/s3 on a shared bucket, a key that does not let the bucket's readers decrypt, a disabled key)",
  ListRegions: "only the default region is audited",
  DescribeOrganization: "the organization is unknown",
  ListAnalyzers: "Access Analyzer's findings in {{region}} are not compared with kmslint's",
  ListFindingsV2: "this analyzer's findings are not compared with kmslint's",
  GetFindingV2: "this Access Analyzer finding is not compared with kmslint's",
};

function unchecked(failure: ReadFailure): string {
  if (failure.listedBefore !== undefined && failure.operation === "ListKeys") return `the keys of ${failure.region} after the first ${failure.listedBefore} listed are not checked`;
  return (UNCHECKED[failure.operation] ?? "what it reads is not checked").replace("{{region}}", failure.region);
}

/** Listings whose failure leaves a whole region or the account unchecked: an error, not a warning, so that the exit code shows it. */
const LISTINGS = new Set(["ListKeys", "ListBuckets", "ListRegions"]);

/** The extra advice for a denied KMS call on a key: the key policy must allow it too. */
function keyPolicyNote(failure: ReadFailure): string {
  if (!failure.resource.includes(":kms:") || !failure.resource.includes(":key/") || failure.resource.endsWith("/*")) return "";
  return "; KMS also needs the key policy to allow it, either by letting the account's IAM policies work (the default \"Enable IAM User Permissions\" statement) or by naming the role";
}

export default defineRule({
  meta: {
    id: "audit-error",
    severity: "warning",
    appliesTo: [],
    inventory: true,
    sources: ["live"],
    description: "A live audit call failed for one resource (which call, which resource, which permission); the rest of the audit went on.",
    messages: {
      denied:
        "{{operation}} was denied ({{code}}), so {{unchecked}}. Fix: allow {{permission}} for the audit's role{{keyPolicy}}; a service control policy or permissions boundary can also deny it. docs/audit-iam-policy.json lists every permission the audit needs.",
      throttled:
        "{{operation}} was still throttled ({{code}}) after {{attempts}} attempts, so {{unchecked}}. Fix: run again with a lower rate (--rate {{operation}}=N) or more attempts (--max-attempts); the account's other applications share the same request quota.",
      timeout:
        "{{operation}} got no answer within the call timeout, {{attempts}} attempts in all ({{code}}), so {{unchecked}}. Fix: run again, with a longer --call-timeout if the network is slow.",
      state: "{{operation}} failed with {{code}} ({{message}}): the key's state does not allow the call, so {{unchecked}}.",
      credentials:
        "{{operation}} in {{region}} was refused with {{code}}: the credentials were not accepted there, so {{unchecked}}. This is not a missing permission: the region may be an opt-in region not enabled for the account (leave it out with --region), or the credentials expired or are invalid (sign in again).",
      failed: "{{operation}} failed with {{code}} ({{message}}), so {{unchecked}}.",
      note: "{{message}}",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    const anchorOf = (range: ReadFailure["range"]) => range ?? { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
    for (const failure of inventory.readFailures ?? []) {
      const resource = { address: failure.resource, type: "", anchor: anchorOf(failure.range) };
      const common = { operation: failure.operation, code: failure.code, attempts: failure.attempts, region: failure.region, unchecked: unchecked(failure), message: failure.message.replace(/\.$/, "") };
      const severity = LISTINGS.has(failure.operation) ? ("error" as const) : undefined;
      switch (failure.kind) {
        case "denied":
          context.report({
            messageId: "denied",
            data: { ...common, permission: failure.permission ?? `the permission for ${failure.operation}`, keyPolicy: keyPolicyNote(failure) },
            resource,
            range: resource.anchor,
            ...(severity ? { severity } : {}),
          });
          break;
        case "throttled":
        case "timeout":
        case "state":
        case "credentials":
          context.report({ messageId: failure.kind, data: common, resource, range: resource.anchor, ...(severity ? { severity } : {}) });
          break;
        default:
          context.report({ messageId: "failed", data: common, resource, range: resource.anchor, ...(severity ? { severity } : {}) });
      }
    }
    for (const note of inventory.auditNotes ?? []) {
      const resource = { address: note.resource, type: "", anchor: anchorOf(note.range) };
      context.report({ messageId: "note", data: { message: note.message }, resource, range: resource.anchor, severity: "info" });
    }
  },
});
