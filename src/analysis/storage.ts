/**
 * Facts about keys and buckets that several rules read (rotation-disabled, rotation-period, invalid-policy,
 * aws-managed-key-on-shared-bucket, bucket-key-mismatch): whether a key can rotate, what a bucket policy
 * statement lets outsiders do with objects, and how each source names the settings involved. Pure.
 */
import { accountTier, type AccountScope, type ActionSet, type PolicyAnalysis, type Reach } from "./index.js";
import { parseAwsPrincipal } from "../model/arn.js";
import type { Range } from "../model/json.js";
import type { BucketEncryption, Fact, InventoryBucket, InventoryFormat, InventoryKey, InventoryPolicy } from "../model/inventory.js";

/** EnableKeyRotation's RotationPeriodInDays: "min 90, max 2560; default 365" (AWS-FACTS §2.2). Outside it, invalid-policy reports. */
export const MIN_ROTATION_PERIOD_DAYS = 90;
export const MAX_ROTATION_PERIOD_DAYS = 2560;
export const DEFAULT_ROTATION_PERIOD_DAYS = 365;

/**
 * Whether the kind of a key allows automatic rotation: "Automatic key rotation is supported only on
 * symmetric encryption KMS keys. You cannot enable automatic rotation of asymmetric KMS keys, HMAC KMS
 * keys, KMS keys with imported key material, or KMS keys in a custom key store."
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html (AWS-FACTS §2.1)
 *
 * `supported: undefined` when a setting that decides it could not be evaluated and no other setting rules
 * it out (unresolved-value reports that setting). Absent settings take the CreateKey defaults:
 * SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, AWS_KMS, no custom key store.
 */
export type RotationSupport = { supported: true } | { supported: false; why: string; range: Range | undefined } | { supported: undefined };

export function rotationSupport(key: InventoryKey, format: InventoryFormat): RotationSupport {
  const names = keyProperties(format);
  let unknown = false;
  const read = (fact: Fact<string> | undefined, fallback: string): string | undefined => {
    if (!fact) return fallback;
    if (!fact.known) {
      unknown = true;
      return undefined;
    }
    return fact.value;
  };
  const spec = read(key.keySpec, "SYMMETRIC_DEFAULT");
  if (spec !== undefined && spec !== "SYMMETRIC_DEFAULT") {
    const kind = spec.startsWith("HMAC_") ? "an HMAC key" : "an asymmetric key";
    return { supported: false, why: `its ${names.keySpec} is ${spec} (${kind})`, range: key.keySpec?.range };
  }
  const usage = read(key.keyUsage, "ENCRYPT_DECRYPT");
  if (usage !== undefined && usage !== "ENCRYPT_DECRYPT") {
    return { supported: false, why: `its ${names.keyUsage} is ${usage}, not ENCRYPT_DECRYPT`, range: key.keyUsage?.range };
  }
  const origin = read(key.origin, "AWS_KMS");
  if (origin !== undefined && origin !== "AWS_KMS") {
    const what =
      origin === "EXTERNAL"
        ? "imported key material"
        : origin === "AWS_CLOUDHSM"
          ? "a CloudHSM key store"
          : origin === "EXTERNAL_KEY_STORE"
            ? "an external key store"
            : "key material that KMS did not generate";
    return { supported: false, why: `its ${names.origin} is ${origin} (${what})`, range: key.origin?.range };
  }
  const store = read(key.customKeyStore, "");
  if (store !== undefined && store !== "") {
    return { supported: false, why: `it is in custom key store ${store}`, range: key.customKeyStore?.range };
  }
  return unknown ? { supported: undefined } : { supported: true };
}

/** How each source names the key settings, for messages. */
export interface KeyProperties {
  rotation: string;
  period: string;
  keySpec: string;
  keyUsage: string;
  origin: string;
  enableFix: string;
}

export function keyProperties(format: InventoryFormat): KeyProperties {
  switch (format) {
    case "terraform-plan":
      return {
        rotation: "enable_key_rotation",
        period: "rotation_period_in_days",
        keySpec: "customer_master_key_spec",
        keyUsage: "key_usage",
        origin: "origin",
        enableFix: "set `enable_key_rotation = true` (and `rotation_period_in_days`, 90–2560 days, to choose the period; 365 by default)",
      };
    case "live":
      return {
        rotation: "automatic rotation",
        period: "RotationPeriodInDays",
        keySpec: "KeySpec",
        keyUsage: "KeyUsage",
        origin: "Origin",
        enableFix: "run `aws kms enable-key-rotation --key-id <key ARN>` (add `--rotation-period-in-days`, 90–2560 days, to choose the period; 365 by default)",
      };
    default:
      return {
        rotation: "EnableKeyRotation",
        period: "RotationPeriodInDays",
        keySpec: "KeySpec",
        keyUsage: "KeyUsage",
        origin: "Origin",
        enableFix: "set `EnableKeyRotation: true` (and `RotationPeriodInDays`, 90–2560 days, to choose the period; 365 by default)",
      };
  }
}

/** ` (alias/data, alias/lake)` when the key has aliases. */
export function aliasNote(key: InventoryKey): string {
  return key.aliases.length > 0 ? ` (${key.aliases.join(", ")})` : "";
}

/**
 * Object actions whose requests make S3 call KMS as the requester when the object is encrypted with SSE-KMS
 * or DSSE-KMS (AWS-FACTS §4.5; "Why do I need kms:Decrypt for multipart uploads", AWS re:Post):
 * - reading object data needs kms:Decrypt: GetObject (also HeadObject, SelectObjectContent, the source of
 *   CopyObject and UploadPartCopy), GetObjectVersion, and GetObjectVersionForReplication (a replication role
 *   reading the source object).
 * - writing object data needs kms:GenerateDataKey, and kms:Decrypt for multipart uploads: PutObject (also
 *   CreateMultipartUpload, UploadPart, CompleteMultipartUpload and the destination of CopyObject).
 * Not counted: metadata, ACL, tagging, retention and delete actions (no KMS call), GetObjectTorrent (S3 does
 * not serve KMS-encrypted objects over BitTorrent), and ReplicateObject (replicas are encrypted with the key
 * the source bucket's replication configuration names, not with this bucket's default).
 */
export const OBJECT_READ_ACTIONS: readonly string[] = ["GetObject", "GetObjectVersion", "GetObjectVersionForReplication"];
export const OBJECT_WRITE_ACTIONS: readonly string[] = ["PutObject"];

export interface ObjectAccess {
  reads: string[];
  writes: string[];
}

/** The object reads and writes among a bucket-policy statement's actions. */
export function objectAccess(actions: ActionSet): ObjectAccess {
  const has = new Set(actions.actions.map((a) => a.toLowerCase()));
  return {
    reads: OBJECT_READ_ACTIONS.filter((a) => has.has(a.toLowerCase())),
    writes: OBJECT_WRITE_ACTIONS.filter((a) => has.has(a.toLowerCase())),
  };
}

/** "read objects (GetObject, GetObjectVersion) and write objects (PutObject)". */
export function objectAccessWords(access: ObjectAccess): string {
  const parts: string[] = [];
  if (access.reads.length > 0) parts.push(`read objects (${access.reads.join(", ")})`);
  if (access.writes.length > 0) parts.push(`write objects (${access.writes.join(", ")})`);
  return parts.join(" and ");
}

/** Whether default encryption uses KMS: true for aws:kms and aws:kms:dsse, undefined when the algorithm is unknown. */
export function encryptsWithKms(encryption: BucketEncryption): boolean | undefined {
  if (!encryption.algorithm.known) return undefined;
  return encryption.algorithm.value === "aws:kms" || encryption.algorithm.value === "aws:kms:dsse";
}

/** One principal, account or organization outside the owner account that a bucket-policy reach lets in. */
export interface OutsideParty {
  kind: "anyone" | "account" | "org" | "service" | "federated" | "canonical-user";
  /** The account id, organization id, provider or canonical user id (for grouping). */
  id: string;
  /** The account it is in or acts for, when it is one account. */
  account?: string;
  /** The organization whose accounts it admits. */
  org?: string;
  /** In words: `role/Reader in account 444455556666 (a trusted account)`, `every account of organization o-…`. */
  words: string;
  /** For an account: the principal the bucket policy names in it (`role/Reader`), undefined for the whole account. */
  principal?: string;
  /** For an account: the organizations it must be in (from conditions or guardrails). */
  requireOrgs?: string[];
}

/** The IAM principal (role/…, user/…) a reach names, or undefined when it admits a whole account. */
export function namedPrincipal(reach: Reach): string | undefined {
  if (reach.principal?.type !== "AWS") return undefined;
  const parsed = parseAwsPrincipal(reach.principal.value);
  return parsed.form === "iam" ? parsed.arn.resource : undefined;
}

function tierWords(scope: AccountScope, analysis: PolicyAnalysis): string {
  switch (accountTier(scope, analysis)) {
    case "trusted-account":
      return "a trusted account";
    case "org-account":
      return "an account of your organization";
    default:
      return analysis.trust.org ? "outside your organization" : "another account";
  }
}

/**
 * Who outside the owner account a bucket-policy reach lets in. Without a known owner account, an account
 * cannot be called outside: only anyone, organizations and identities of other providers are returned.
 * Service principals count only when their source conditions name other accounts or organizations: an
 * unbound service principal usually acts for the owner account (service-principal-without-source reports it).
 */
export function outsideParties(reach: Reach, analysis: PolicyAnalysis): OutsideParty[] {
  const { who } = reach;
  const ownerKnown = analysis.trust.account !== undefined;
  const outsideAccount = (scope: AccountScope) => ownerKnown && accountTier(scope, analysis) !== "same-account";
  switch (who.kind) {
    case "anyone":
      return [{ kind: "anyone", id: "*", words: who.anonymousOnly ? "anonymous callers" : "anyone" }];
    case "limited": {
      const parties: OutsideParty[] = [];
      const named = namedPrincipal(reach);
      for (const scope of who.accounts) {
        if (!outsideAccount(scope)) continue;
        const principal = named && scope.principal === named ? named : undefined;
        const party: OutsideParty = {
          kind: "account",
          id: scope.account,
          account: scope.account,
          words: `${principal ? `${principal} in ` : ""}account ${scope.account} (${tierWords(scope, analysis)})`,
        };
        if (principal) party.principal = principal;
        if (scope.requireOrgs) party.requireOrgs = scope.requireOrgs;
        parties.push(party);
      }
      for (const org of who.orgs) parties.push({ kind: "org", id: org, org, words: `every account of organization ${org}` });
      return parties;
    }
    case "service": {
      const parties: OutsideParty[] = [];
      for (const account of who.sourceAccounts ?? []) {
        if (!outsideAccount({ account, principal: who.service })) continue;
        parties.push({ kind: "service", id: account, account, words: `the service ${who.service} acting for account ${account}` });
      }
      for (const org of who.sourceOrgs ?? []) parties.push({ kind: "service", id: org, org, words: `the service ${who.service} acting for accounts of organization ${org}` });
      return parties;
    }
    case "federated":
      return [{ kind: "federated", id: who.provider, words: `federated identities of ${JSON.stringify(who.provider)}` }];
    case "canonical-user":
      return ownerKnown ? [{ kind: "canonical-user", id: who.id, words: `canonical user ${who.id.slice(0, 12)}…` }] : [];
    default:
      return [];
  }
}

/** How messages name a bucket: its name when known, else its address. */
export function bucketWords(bucket: InventoryBucket): string {
  return bucket.name ? `"${bucket.name}"` : bucket.resource.address;
}

/** How each source names the default encryption settings. */
export function encryptionProperties(format: InventoryFormat): { algorithm: string; keyId: string } {
  return format === "terraform-plan" ? { algorithm: "sse_algorithm", keyId: "kms_master_key_id" } : { algorithm: "SSEAlgorithm", keyId: "KMSMasterKeyID" };
}

interface SharedStatement {
  policy: InventoryPolicy;
  reach: Reach;
  parties: OutsideParty[];
  access: ObjectAccess;
}

/** The statements of a bucket's policies that let someone outside the owner account read or write objects, one entry per statement. */
export function sharedStatements(bucket: InventoryBucket, analysisOf: (policy: InventoryPolicy) => PolicyAnalysis | undefined): SharedStatement[] {
  const shared: SharedStatement[] = [];
  for (const policy of bucket.policies) {
    const analysis = analysisOf(policy);
    if (!analysis) continue;
    const byStatement = new Map<number, SharedStatement>();
    for (const reach of analysis.reaches) {
      const access = objectAccess(reach.actions);
      if (access.reads.length === 0 && access.writes.length === 0) continue;
      const parties = outsideParties(reach, analysis);
      if (parties.length === 0) continue;
      const entry = byStatement.get(reach.statement.index);
      if (entry) {
        for (const party of parties) if (!entry.parties.some((p) => p.words === party.words)) entry.parties.push(party);
      } else {
        const created = { policy, reach, parties, access };
        byStatement.set(reach.statement.index, created);
        shared.push(created);
      }
    }
  }
  return shared;
}

