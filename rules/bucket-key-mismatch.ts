import { defineRule, type InventoryContext } from "../src/engine/rule.js";
import { isOwnOrg, type PolicyAnalysis, type Reach } from "../src/analysis/index.js";
import { joinWords } from "../src/analysis/explain.js";
import type { InventoryKey, InventoryPolicy } from "../src/model/inventory.js";
import { statementLabel } from "../src/model/policy.js";
import { aliasNote, bucketWords, encryptsWithKms, namedPrincipal, sharedStatements, type OutsideParty } from "../src/analysis/storage.js";

type Permission = "Decrypt" | "GenerateDataKey";

/** Organization ids that name the same organization: `${aws:ResourceOrgID}` is the owner's, and so is --org. */
function sameOrg(a: string, b: string, analysis: PolicyAnalysis): boolean {
  return a === b || (isOwnOrg(a, analysis) && isOwnOrg(b, analysis));
}

/**
 * Whether the key policy lets a party of the bucket policy call a KMS action. Anyone covers every party; an
 * account covers the account's principals when the key names the whole account (which can then delegate
 * through IAM policies), the same principal, or the whole account on the bucket side (the account can only
 * delegate to the principals the key names: a consistent design, not a mismatch); an organization covers an
 * account only when the bucket side already requires that organization.
 */
function keyAllows(keyAnalysis: PolicyAnalysis, party: OutsideParty, permission: Permission): boolean {
  for (const reach of keyAnalysis.reaches) {
    if (!reach.actions.all && !reach.actions.actions.includes(permission)) continue;
    const { who } = reach;
    if (who.kind === "anyone") return true;
    if (who.kind !== "limited") continue;
    if (party.kind === "account") {
      const keyPrincipal = namedPrincipal(reach);
      for (const scope of who.accounts) {
        if (scope.account !== party.account) continue;
        if (keyPrincipal === undefined || party.principal === undefined || keyPrincipal === party.principal) return true;
      }
      const required = party.requireOrgs;
      if (required && required.length > 0 && required.every((o) => who.orgs.some((k) => sameOrg(k, o, keyAnalysis)))) return true;
    } else if (party.kind === "org" && party.org !== undefined) {
      if (who.orgs.some((k) => sameOrg(k, party.org!, keyAnalysis))) return true;
    }
  }
  return false;
}

interface Missing {
  policy: InventoryPolicy;
  reach: Reach;
  party: OutsideParty;
  permissions: Set<Permission>;
  statements: string[];
  reads: Set<string>;
  writes: Set<string>;
}

export default defineRule({
  meta: {
    id: "bucket-key-mismatch",
    severity: "warning",
    appliesTo: [],
    inventory: true,
    description: "A bucket policy lets an outside principal read or write objects, but the bucket's customer managed key does not let it decrypt or generate data keys.",
    messages: {
      missing:
        "Statement {{statements}} of this bucket policy lets {{party}} {{access}} in bucket {{bucket}}, whose default encryption key is {{key}}{{aliases}}, but that key's policy does not let {{grantee}} call {{permissions}}{{keyWhy}}: {{consequence}} with AccessDenied from KMS, although S3 allows them. Fix: add {{fixPermissions}} for {{fixPrincipal}} to the key policy of {{key}} (a kms:ViaService condition for s3.<region>.amazonaws.com keeps it to S3), or stop sharing. A KMS grant can also give the permission; kmslint cannot see grants.",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    for (const bucket of inventory.buckets) {
      const encryption = bucket.encryption;
      const key = encryption?.key;
      if (!encryption || !key || key.keyManager !== "CUSTOMER" || encryptsWithKms(encryption) !== true) continue;
      // A key whose policy could not be evaluated is reported by unresolved-value, not guessed.
      if (key.policy?.unresolved || (key.policy && !key.policy.document?.policy)) continue;
      if (!key.policy && !key.defaultPolicy) continue;
      const keyAnalysis = key.policy ? context.analysisOf(key.policy) : undefined;
      if (key.policy && !keyAnalysis) continue;
      const owners = new Set([context.trust.account, keyAnalysis?.owner.account].filter((a): a is string => a !== undefined));
      const missing = new Map<string, Missing>();
      for (const { policy, reach, parties, access } of sharedStatements(bucket, (p) => context.analysisOf(p))) {
        const needs: Permission[] = access.writes.length > 0 ? ["Decrypt", "GenerateDataKey"] : ["Decrypt"];
        for (const party of parties) {
          // Anyone is left to public-access (the fix is never a public key); services, federated identities and
          // canonical users do not map to an account a key policy could name.
          if (party.kind !== "account" && party.kind !== "org") continue;
          if (party.account !== undefined && owners.has(party.account)) continue;
          const lacking = needs.filter((permission) => !(keyAnalysis && keyAllows(keyAnalysis, party, permission)));
          if (lacking.length === 0) continue;
          // One finding per outside party, naming every permission it lacks.
          const id = `${party.kind}|${party.id}`;
          const entry = missing.get(id) ?? { policy, reach, party, permissions: new Set<Permission>(), statements: [], reads: new Set<string>(), writes: new Set<string>() };
          for (const permission of lacking) entry.permissions.add(permission);
          const label = statementLabel(reach.statement);
          if (!entry.statements.includes(label)) entry.statements.push(label);
          for (const a of access.reads) entry.reads.add(a);
          for (const a of access.writes) entry.writes.add(a);
          missing.set(id, entry);
        }
      }
      for (const entry of missing.values()) report(context, entry, key, bucketWords(bucket));
    }
  },
});

function report(context: InventoryContext, entry: Missing, key: InventoryKey, bucket: string): void {
  const { party } = entry;
  const reads = [...entry.reads];
  const writes = [...entry.writes];
  const access = [reads.length > 0 ? `read objects (${reads.join(", ")})` : "", writes.length > 0 ? `write objects (${writes.join(", ")})` : ""].filter(Boolean).join(" and ");
  const decrypt = entry.permissions.has("Decrypt");
  const generate = entry.permissions.has("GenerateDataKey");
  const failing: string[] = [];
  if (decrypt && reads.length > 0) failing.push(`${joinWords(reads)} requests`);
  if (generate) failing.push(`${joinWords(writes)} requests`);
  else if (decrypt && writes.length > 0) failing.push("multipart uploads (which SDKs and the AWS CLI use for large objects)");
  const consequence = `its ${joinWords(failing)} fail`;
  const names = [...entry.permissions].sort().map((p) => `kms:${p}`);
  const permissions = names.join(" or ");
  const fixPermissions = names.join(" and ");
  const grantee = party.kind === "org" ? `the accounts of organization ${party.org}` : `account ${party.account}${party.principal ? ` (${party.principal})` : ""}`;
  const fixPrincipal =
    party.kind === "org"
      ? `Principal "*" with StringEquals aws:PrincipalOrgID ${party.org}`
      : `${party.principal ? `arn:aws:iam::${party.account}:${party.principal} or ` : ""}arn:aws:iam::${party.account}:root`;
  const keyWhy = key.defaultPolicy ? " (no key policy is written, so it has the default key policy, which lets only its own account use it)" : "";
  const document = entry.policy.document!;
  context.report({
    messageId: "missing",
    data: {
      statements: joinWords(entry.statements),
      party: party.words,
      access,
      bucket,
      key: key.resource.address,
      aliases: aliasNote(key),
      grantee,
      permissions,
      fixPermissions,
      keyWhy,
      consequence,
      fixPrincipal,
    },
    resource: entry.policy.resource,
    range: document.locate(entry.reach.path),
  });
}
