import { defineRule } from "../src/engine/rule.js";

/**
 * Reported by the suppression step (src/engine/suppressions.ts), not by a check of policies: a config
 * suppression past its `expires` date, which no longer suppresses.
 */
export default defineRule({
  meta: {
    id: "expired-suppression",
    severity: "warning",
    appliesTo: [],
    description: "A suppression in kmslint.config.json past its expiry date: the findings it accepted are reported again",
    messages: {
      expired: "This suppression expired: the findings it matched are reported again.",
    },
  },
});
