/**
 * Who outside the owner account a reach lets in, in words: shared by the rules that care about any outside
 * party (admin actions, grants) rather than about one tier.
 */
import { TIER_WORDS, accountTier, type PolicyAnalysis, type Reach } from "./index.js";

export function externalParties(reach: Reach, analysis: PolicyAnalysis, options: { includeTrusted: boolean }): string[] {
  const { who } = reach;
  switch (who.kind) {
    case "anyone":
      return ["anyone"];
    case "limited": {
      const parties: string[] = [];
      for (const scope of who.accounts) {
        const tier = accountTier(scope, analysis);
        if (tier === "same-account" || (tier === "trusted-account" && !options.includeTrusted)) continue;
        const words = !analysis.trust.account ? "owner unknown" : tier === "outside-org" && !analysis.trust.org ? "another account; organization not given" : TIER_WORDS[tier];
        parties.push(`account ${scope.account} (${words})`);
      }
      for (const org of who.orgs) parties.push(`every account of ${org}`);
      return parties;
    }
    case "federated":
      return [`federated identities of ${who.provider}`];
    case "canonical-user":
      return [`canonical user ${who.id.slice(0, 12)}…`];
    default:
      return [];
  }
}
