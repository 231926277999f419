import { defineRule } from "../src/engine/rule.js";

/**
 * Reported by the suppression step (src/engine/suppressions.ts), not by a check of policies: a config
 * suppression that matched no finding in the files or resources the run covered.
 */
export default defineRule({
  meta: {
    id: "unused-suppression",
    severity: "warning",
    appliesTo: [],
    description: "A suppression in kmslint.config.json that matched no finding in the files or resources it covers: remove or correct it",
    messages: {
      unused: "This suppression matched no finding: remove it, or correct it.",
    },
  },
});
