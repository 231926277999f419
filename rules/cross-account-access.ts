import { defineRule } from "../src/engine/rule.js";
import { TIER_WORDS, accountTier, summarizeActions, type AccountScope, type Reach } from "../src/analysis/index.js";
import { deniesWhy, joinWords, ownerNote, resourceWord } from "../src/analysis/explain.js";
import { statementLabel } from "../src/model/policy.js";

export default defineRule({
  meta: {
    id: "cross-account-access",
    severity: "warning",
    appliesTo: ["key-policy", "bucket-policy"],
    description: "An account outside the owner and the trusted accounts can reach the key or bucket.",
    messages: {
      account:
        "Account {{account}} ({{tier}}) can {{actions}} on this {{resource}}: {{how}}.{{orgNote}}{{owner}}{{denies}} If this is intended, list it in trustedAccounts (or pass --trusted-account {{account}}).",
      identityProvider:
        "Statement {{statement}} lets {{principal}} {{actions}} on this {{resource}}: identities of an outside identity provider or S3 canonical user, outside the trust context.{{denies}}",
    },
  },
  check(context) {
    const { analysis } = context;
    // Per account: every reach that lets it in. Its organization bound holds only if every reach has one.
    const byAccount = new Map<string, { reaches: Reach[]; principals: string[]; requireOrgs?: string[]; unbounded?: boolean }>();
    for (const reach of analysis.reaches) {
      const { who } = reach;
      if (who.kind === "federated" || who.kind === "canonical-user") {
        const principal = who.kind === "federated" ? `federated identities of ${JSON.stringify(who.provider)}` : `canonical user ${who.id.slice(0, 12)}…`;
        context.report({
          messageId: "identityProvider",
          data: { statement: statementLabel(reach.statement), principal, actions: summarizeActions(reach.actions), resource: resourceWord(analysis), denies: deniesWhy(reach) },
          path: reach.path,
          statement: reach.statement,
        });
        continue;
      }
      // The accounts a reach lets in: named or narrowed-to accounts, or those a service acts for.
      const scopes: AccountScope[] =
        who.kind === "limited"
          ? who.accounts
          : who.kind === "service"
            ? (who.sourceAccounts ?? []).map((account) => ({ account, principal: `the service ${who.service} acting for a resource of this account` }))
            : [];
      for (const scope of scopes) {
        const tier = accountTier(scope, analysis);
        if (tier === "same-account" || tier === "trusted-account") continue;
        const entry = byAccount.get(scope.account) ?? { reaches: [], principals: [] };
        if (!entry.reaches.includes(reach)) entry.reaches.push(reach);
        entry.principals.push(`${scope.principal} in statement ${statementLabel(reach.statement)}`);
        if (!scope.requireOrgs) entry.unbounded = true;
        else entry.requireOrgs = [...new Set([...(entry.requireOrgs ?? []), ...scope.requireOrgs])];
        byAccount.set(scope.account, entry);
      }
    }
    for (const [account, entry] of byAccount) {
      const first = entry.reaches[0]!;
      if (entry.unbounded) delete entry.requireOrgs;
      const tier = accountTier({ account, principal: "", ...(entry.requireOrgs ? { requireOrgs: entry.requireOrgs } : {}) }, analysis);
      const actions = [...new Set(entry.reaches.map((r) => summarizeActions(r.actions)))].join(" / ");
      context.report({
        messageId: "account",
        data: {
          account,
          tier: !analysis.trust.account ? "outside the owner account" : tier === "outside-org" && !analysis.trust.org ? "another account; pass --org to tell whether it is in your organization" : TIER_WORDS[tier],
          actions,
          resource: resourceWord(analysis),
          how: joinWords([...new Set(entry.principals)]),
          orgNote: entry.requireOrgs ? ` Only while it is in ${entry.requireOrgs.join(" or ")}.` : "",
          owner: ownerNote(analysis),
          denies: deniesWhy(first),
        },
        path: first.path,
        statement: first.statement,
        subjects: [account],
      });
    }
  },
});
