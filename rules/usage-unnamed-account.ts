import { defineRule } from "../src/engine/rule.js";

/**
 * Reported by the usage join (src/usage/join.ts, `kmslint usage --policies|--audit`): calls from an account
 * that the key policy does not name, which usually come through a grant.
 */
export default defineRule({
  meta: {
    id: "usage-unnamed-account",
    severity: "info",
    appliesTo: [],
    description: "An account no statement of the key policy names made successful calls to the key in the usage window: probably through a grant",
    messages: {
      unnamed:
        "Account {{account}} ({{relation}}) made {{count}} on this key from {{first}} to {{last}} ({{events}}{{viaS3}}), but no statement of {{policy}} names it: it probably calls through a grant (CreateGrant, often made for it by an AWS service such as EBS, RDS or Secrets Manager). List the key's grants (aws kms list-grants --key-id {{key}}) and retire those that are not expected.",
    },
  },
});
