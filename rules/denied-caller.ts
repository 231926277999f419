import { defineRule } from "../src/engine/rule.js";

/**
 * Reported by the usage join (src/usage/join.ts, `kmslint usage --policies|--audit`) from CloudTrail's failed
 * KMS calls; the matched key policy, when there is one, says whether it grants the caller's account.
 */
export default defineRule({
  meta: {
    id: "denied-caller",
    severity: "warning",
    appliesTo: [],
    description: "A principal's KMS calls on a key failed repeatedly in the usage window (AccessDenied, IncorrectKeyException and similar)",
    messages: {
      denied:
        "{{principal}} (account {{account}}, {{relation}}) failed {{count}} on this key from {{first}} to {{last}}: {{codes}}; {{events}}{{viaS3}}. Likely cause: {{cause}}{{policy}} Repeated failures are also what probing for access looks like: make sure the caller is expected.",
    },
  },
});
