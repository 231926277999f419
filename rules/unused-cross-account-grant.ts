import { defineRule } from "../src/engine/rule.js";

/**
 * Reported by the usage join (src/usage/join.ts, `kmslint usage --policies|--audit`), not by a check of
 * policies alone: it needs CloudTrail's record of who called the key.
 */
export default defineRule({
  meta: {
    id: "unused-cross-account-grant",
    severity: "warning",
    appliesTo: [],
    description: "An outside account or organization granted by a key policy made no successful call in the usage window: remove or narrow the grant",
    messages: {
      account:
        "Account {{account}} ({{tier}}) can {{actions}} through {{how}}, but made no successful call to {{scope}} from {{window}}{{failed}}.{{match}}{{owner}} If it no longer needs the key, remove it from the statement or narrow the grant (least privilege).{{quiet}} {{trail}}",
      organization:
        "Every account of {{org}} ({{tier}}) can {{actions}} through {{how}}, but no account other than the owner {{ownerAccount}} made a successful call to {{scope}} from {{window}}.{{match}}{{owner}} If no account of the organization needs the key, remove the statement or narrow it to the accounts that do (least privilege).{{quiet}} {{trail}}",
      unmatched:
        "This key policy could not be joined with the usage: the file does not name its key, and its owner account is unknown ({{reason}}). Pass --account (or set \"account\" in kmslint.config.json) so that the usage of that account's keys is counted for it.",
    },
  },
});
