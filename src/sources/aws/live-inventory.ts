/**
 * What the audit read, turned into the Inventory the rules share with templates and plans (src/model/inventory.ts).
 * Resources are named by ARN. Positions in a key or bucket policy are line and column in the policy text as
 * GetKeyPolicy or GetBucketPolicy returned it; every position, including those of settings that have no text
 * (DescribeKey's KeyState, GetBucketEncryption's KMSMasterKeyID), also has a JSON pointer into the API
 * response it comes from (DESIGN.md: "the ARN and a JSON pointer for live resources").
 *
 * Pure: no SDK, no I/O. The SDK's types are only types here.
 */
import type { AliasListEntry, KeyMetadata } from "@aws-sdk/client-kms";
import { createDocument, type PolicyDocument } from "../../model/document.js";
import type { Path, Range, Target } from "../../model/json.js";
import {
  keyReferenceForm,
  type BucketEncryption,
  type Fact,
  type Inventory,
  type InventoryAlias,
  type InventoryBucket,
  type InventoryKey,
  type AuditNote,
  type InventoryPolicy,
  type LiveLocation,
  type ResourceRef,
} from "../../model/inventory.js";
import type { AccountData, LiveBucket, LiveKey } from "./collect.js";
import { rotationReadable } from "./key-facts.js";

/** RFC 6901: `/Statement/0/Principal/AWS`. */
export function jsonPointer(path: Path): string {
  return path.map((segment) => `/${String(segment).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** Ranges of live values, each a distinct object, mapped to the API response and pointer they stand for. */
class Locations {
  private readonly map = new WeakMap<Range, LiveLocation>();

  /** A range for a value that has no text (a setting): line 1, column 1, with its API and pointer. */
  setting(api: string, path: Path): Range {
    const range: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
    this.map.set(range, { api, pointer: jsonPointer(path) });
    return range;
  }

  register(range: Range, api: string, path: Path): Range {
    this.map.set(range, { api, pointer: jsonPointer(path) });
    return range;
  }

  get(range: Range): LiveLocation | undefined {
    return this.map.get(range);
  }
}

/** A policy as an API returned it: positions are in its text, and each range also records its JSON pointer. */
class LivePolicyDocument implements PolicyDocument {
  private readonly inner: PolicyDocument;
  readonly sizeBasis: string;

  constructor(
    text: string,
    arn: string,
    private readonly api: string,
    private readonly locations: Locations,
  ) {
    this.inner = createDocument(text, arn);
    this.sizeBasis = `as ${api} returned it`;
  }

  get filePath() {
    return this.inner.filePath;
  }
  get problem() {
    return this.inner.problem;
  }
  get value() {
    return this.inner.value;
  }
  get policy() {
    return this.inner.policy;
  }
  get depth() {
    return this.inner.depth;
  }
  get rawBytes() {
    return this.inner.rawBytes;
  }
  get hadBom() {
    return this.inner.hadBom;
  }
  minifiedBytes() {
    return this.inner.minifiedBytes();
  }
  locate(path: Path, target?: Target): Range {
    return this.locations.register(this.inner.locate(path, target), this.api, path);
  }
  whole(): Range {
    return this.locations.register(this.inner.whole(), this.api, []);
  }
  anchor(): Range {
    return this.locations.register({ start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 2, offset: 1 } }, this.api, []);
  }
  duplicateKeys() {
    return this.inner.duplicateKeys();
  }
  charactersMatching(disallowed: RegExp) {
    return this.inner.charactersMatching(disallowed);
  }
}

const known = <T>(value: T, range: Range): Fact<T> => ({ known: true, value, range });

function iso(date: Date | string | undefined): string | undefined {
  if (date === undefined) return undefined;
  return date instanceof Date ? date.toISOString() : String(date);
}

/** The Inventory of an audited account. `readAt` is when the audit ran (expiry is measured from it). */
export function liveInventory(data: AccountData, readAt: Date): Inventory {
  const locations = new Locations();
  const keys: InventoryKey[] = [];
  const aliases: InventoryAlias[] = [];
  const policies: InventoryPolicy[] = [];
  const keysByArn = new Map<string, InventoryKey>();
  const keysById = new Map<string, InventoryKey>();

  for (const live of data.keys) {
    if (!live.metadata) continue;
    const key = inventoryKey(live, live.metadata, locations);
    keys.push(key);
    keysByArn.set(key.arn!, key);
    keysById.set(`${live.region}|${live.keyId}`, key);
    if (key.policy) policies.push(key.policy);
  }
  const aliasTargets = new Map<string, InventoryKey>();
  for (const [region, entries] of data.aliases) {
    for (const entry of entries) {
      if (!entry.AliasName) continue;
      const key = entry.TargetKeyId ? keysById.get(`${region}|${entry.TargetKeyId}`) : undefined;
      if (key) {
        key.aliases.push(entry.AliasName);
        aliasTargets.set(`${region}|${entry.AliasName}`, key);
      }
      aliases.push(inventoryAlias(region, entry, key, data, locations));
    }
  }
  for (const key of keys) key.aliases.sort();

  const notes: AuditNote[] = [];
  const buckets: InventoryBucket[] = [];
  for (const live of data.buckets) {
    const bucket = inventoryBucket(live, locations, (reference) => resolveKey(reference, live.region, data, keysByArn, keysById, aliasTargets), notes);
    buckets.push(bucket);
    policies.push(...bucket.policies);
  }

  const root = `arn:${data.partition}:iam::${data.account}:root`;
  if (data.orgNote) notes.push({ resource: root, message: `${capitalize(data.orgNote)}.`, range: locations.setting("DescribeOrganization", []) });
  if (data.bucketsElsewhere > 0) {
    notes.push({
      resource: `arn:${data.partition}:s3:::*`,
      range: locations.setting("ListBuckets", ["Buckets"]),
      message: `${data.bucketsElsewhere} bucket${data.bucketsElsewhere === 1 ? " is" : "s are"} in regions this audit did not cover (${data.regionSource}) and ${data.bucketsElsewhere === 1 ? "was" : "were"} not read: use --all-regions or --region to include them.`,
    });
  }
  if (data.accessAnalyzer) {
    const covered = new Set(data.accessAnalyzer.analyzers.filter((a) => a.status === "ACTIVE").map((a) => a.region));
    const failed = new Set(data.errors.filter((e) => e.operation === "ListAnalyzers").map((e) => e.region));
    const without = data.regions.filter((r) => !covered.has(r) && !failed.has(r));
    if (without.length > 0) {
      notes.push({
        resource: root,
        range: locations.setting("ListAnalyzers", ["analyzers"]),
        message: `No active IAM Access Analyzer external-access analyzer in ${without.join(", ")}: kmslint's findings there are not compared with Access Analyzer's. Create one (aws accessanalyzer create-analyzer --type ACCOUNT or ORGANIZATION) to have both.`,
      });
    }
  }
  if (data.interrupted) {
    const unread = data.keys.filter((k) => !k.metadata).length;
    notes.push({
      resource: root,
      range: locations.setting("ListKeys", []),
      message: `The audit was interrupted (Ctrl-C): this report holds what was read until then${unread > 0 ? `; ${unread} listed key${unread === 1 ? " was" : "s were"} not described` : ""}. Keys, buckets and regions not read are not checked.`,
    });
  }

  return {
    filePath: `account ${data.account}`,
    format: "live",
    owner: { account: data.account, reason: "STS GetCallerIdentity" },
    keys,
    buckets,
    aliases,
    policies,
    unresolved: [],
    problems: [],
    resourceCount: keys.length + buckets.length,
    readFailures: data.errors.map((error) => ({ ...error, range: locations.setting(error.operation, []) })),
    ...(data.accessAnalyzer
      ? {
          accessAnalyzer: {
            analyzers: data.accessAnalyzer.analyzers,
            findings: data.accessAnalyzer.findings.map((f) => ({ ...f, range: locations.setting("GetFindingV2", ["findingDetails", 0, "externalAccessDetails"]) })),
          },
        }
      : {}),
    auditNotes: notes,
    readAt: readAt.toISOString(),
    locationOf: (range) => locations.get(range),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function inventoryKey(live: LiveKey, metadata: KeyMetadata, locations: Locations): InventoryKey {
  const at = (name: string) => locations.setting("DescribeKey", ["KeyMetadata", name]);
  const resource: ResourceRef = { address: live.arn, type: "AWS::KMS::Key", anchor: locations.setting("DescribeKey", ["KeyMetadata"]) };
  const key: InventoryKey = {
    resource,
    arn: live.arn,
    keyManager: metadata.KeyManager === "AWS" ? "AWS" : "CUSTOMER",
    region: live.region,
    aliases: [],
  };
  if (metadata.KeySpec) key.keySpec = known<string>(metadata.KeySpec, at("KeySpec"));
  if (metadata.KeyUsage) key.keyUsage = known<string>(metadata.KeyUsage, at("KeyUsage"));
  if (metadata.Origin) key.origin = known<string>(metadata.Origin, at("Origin"));
  if (metadata.CustomKeyStoreId) key.customKeyStore = known(metadata.CustomKeyStoreId, at("CustomKeyStoreId"));
  if (metadata.MultiRegion !== undefined) key.multiRegion = known(metadata.MultiRegion, at("MultiRegion"));
  if (metadata.MultiRegionConfiguration?.MultiRegionKeyType === "REPLICA") key.replicaOf = metadata.MultiRegionConfiguration.PrimaryKey?.Arn ?? "its primary key";
  if (metadata.Enabled !== undefined) key.enabled = known(metadata.Enabled, at("Enabled"));
  if (metadata.KeyState) key.state = metadata.KeyState;
  const deletion = iso(metadata.DeletionDate);
  if (deletion) key.deletionDate = deletion;
  if (metadata.ExpirationModel) key.expirationModel = metadata.ExpirationModel;
  const validTo = iso(metadata.ValidTo);
  if (validTo) key.validTo = known(validTo, at("ValidTo"));
  if (live.rotation) {
    key.rotationEnabled = known(live.rotation.KeyRotationEnabled === true, locations.setting("GetKeyRotationStatus", ["KeyRotationEnabled"]));
    if (live.rotation.RotationPeriodInDays !== undefined) key.rotationPeriodDays = known(live.rotation.RotationPeriodInDays, locations.setting("GetKeyRotationStatus", ["RotationPeriodInDays"]));
  } else if (key.keyManager === "AWS") {
    // AWS managed keys rotate every year, and GetKeyRotationStatus always reads true for them (AWS-FACTS.md §2.1).
    key.rotationEnabled = known(true, at("KeyManager"));
  } else if (rotationReadable(metadata)) {
    // The key can rotate but its status was not read (the call failed: audit-error says so; or Ctrl-C): unknown,
    // never "off".
    const range = locations.setting("GetKeyRotationStatus", ["KeyRotationEnabled"]);
    key.rotationEnabled = { known: false, range, unresolved: { expression: "GetKeyRotationStatus", reason: "the call failed or was not made", resource: live.arn, range } };
  }
  if (live.keyMaterials) {
    key.keyMaterials = live.keyMaterials.map((m, i) => {
      const entry: NonNullable<InventoryKey["keyMaterials"]>[number] = { range: locations.setting("ListKeyRotations", ["Rotations", i, "ValidTo"]) };
      if (m.KeyMaterialId) entry.id = m.KeyMaterialId;
      if (m.KeyMaterialState) entry.state = m.KeyMaterialState;
      if (m.ImportState) entry.importState = m.ImportState;
      const to = iso(m.ValidTo);
      if (to) entry.validTo = to;
      return entry;
    });
  }
  if (live.policy !== undefined) {
    key.policy = { kind: "key-policy", resource, document: new LivePolicyDocument(live.policy, live.arn, "GetKeyPolicy", locations) };
  }
  return key;
}

function inventoryAlias(region: string, entry: AliasListEntry, key: InventoryKey | undefined, data: AccountData, locations: Locations): InventoryAlias {
  const arn = entry.AliasArn ?? `arn:${data.partition}:kms:${region}:${data.account}:${entry.AliasName}`;
  const alias: InventoryAlias = { resource: { address: arn, type: "AWS::KMS::Alias", anchor: locations.setting("ListAliases", ["Aliases"]) }, name: entry.AliasName! };
  if (key) alias.key = key;
  if (entry.TargetKeyId) alias.target = entry.TargetKeyId;
  return alias;
}

/** What a bucket's KMSMasterKeyID leads to: a key of the inventory, a reference that leads nowhere, or a key elsewhere. */
interface KeyResolution {
  key?: InventoryKey;
  missing?: NonNullable<BucketEncryption["missingKey"]>;
  /** The key is in another account: nothing about it can be read from here. */
  otherAccount?: string;
}

/**
 * The key a bucket's KMSMasterKeyID names, looked up the way S3 would for the bucket owner: a key ARN, an
 * alias ARN or name through the region's aliases, a bare key id in the bucket's region; no id at all means
 * the AWS managed key aws/s3 of the bucket's region (which may not exist yet: S3 creates it on first use).
 * A reference that leads to nothing is `missing` only when the listing it would be in was read in full.
 */
function resolveKey(
  reference: string | undefined,
  region: string | undefined,
  data: AccountData,
  keysByArn: ReadonlyMap<string, InventoryKey>,
  keysById: ReadonlyMap<string, InventoryKey>,
  aliasTargets: ReadonlyMap<string, InventoryKey>,
): KeyResolution {
  if (region === undefined) return {};
  const { form } = keyReferenceForm(reference);
  const keysListed = (r: string) => data.complete.has(`keys|${r}`);
  const aliasesListed = (r: string) => data.complete.has(`aliases|${r}`);
  switch (form) {
    case "absent":
      return { ...optional(aliasTargets.get(`${region}|alias/aws/s3`)) };
    case "key-arn":
    case "alias-arn": {
      const match = /^arn:[^:]+:kms:([^:]*):([^:]*):((?:key|alias)\/.+)$/.exec(reference!);
      if (!match) return {};
      const [, keyRegion, account, name] = match as unknown as [string, string, string, string];
      if (account !== data.account) return { otherAccount: account };
      if (keyRegion !== region) return { missing: { kind: "other-region", reference: reference!, bucketRegion: region, keyRegion } };
      const key = form === "key-arn" ? keysByArn.get(reference!) : aliasTargets.get(`${region}|${name}`);
      if (key) return { key };
      if (form === "key-arn" ? keysListed(region) : aliasesListed(region)) return { missing: { kind: form === "key-arn" ? "no-key" : "no-alias", reference: reference!, bucketRegion: region } };
      return {};
    }
    case "alias-name": {
      const key = aliasTargets.get(`${region}|${reference}`);
      if (key) return { key };
      return reference !== "alias/aws/s3" && aliasesListed(region) ? { missing: { kind: "no-alias", reference: reference!, bucketRegion: region } } : {};
    }
    case "key-id": {
      const key = keysById.get(`${region}|${reference}`);
      if (key) return { key };
      return keysListed(region) ? { missing: { kind: "no-key", reference: reference!, bucketRegion: region } } : {};
    }
    default:
      return {};
  }
}

function optional(key: InventoryKey | undefined): { key?: InventoryKey } {
  return key ? { key } : {};
}

function inventoryBucket(live: LiveBucket, locations: Locations, resolve: (reference: string | undefined) => KeyResolution, notes: AuditNote[]): InventoryBucket {
  const resource: ResourceRef = { address: live.arn, type: "AWS::S3::Bucket", anchor: locations.setting("ListBuckets", ["Buckets"]) };
  const bucket: InventoryBucket = { resource, name: live.name, arn: live.arn, policies: [], encryptionRead: live.encryption !== undefined };
  if (live.region) bucket.region = live.region;
  if (typeof live.policy === "string") {
    bucket.policies.push({ kind: "bucket-policy", resource, document: new LivePolicyDocument(live.policy, live.arn, "GetBucketPolicy", locations) });
  }
  const rules = live.encryption ?? [];
  const index = rules.findIndex((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm);
  const rule = rules[index];
  const defaults = rule?.ApplyServerSideEncryptionByDefault;
  if (rule && defaults?.SSEAlgorithm) {
    const base = ["ServerSideEncryptionConfiguration", "Rules", index];
    const at = (...path: (string | number)[]) => locations.setting("GetBucketEncryption", [...base, ...path]);
    const reference = defaults.KMSMasterKeyID || undefined;
    const { form, awsManagedKey } = keyReferenceForm(reference);
    const resolution = resolve(reference);
    const key = resolution.key;
    const encryption: BucketEncryption = {
      algorithm: known<string>(defaults.SSEAlgorithm, at("ApplyServerSideEncryptionByDefault", "SSEAlgorithm")),
      keyReferenceForm: form,
      // Through an alias or key ARN, the key may still be an AWS managed one: KeyManager decides (AWS-FACTS.md §3.1).
      awsManagedKey: awsManagedKey || key?.keyManager === "AWS",
      resource,
      anchor: at(),
    };
    if (reference !== undefined) encryption.keyReference = known(reference, at("ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"));
    if (key) encryption.key = key;
    if (resolution.missing) encryption.missingKey = resolution.missing;
    if (resolution.otherAccount) {
      notes.push({
        resource: live.arn,
        range: at("ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"),
        message: `The default encryption key of bucket "${live.name}" (${reference}) is in account ${resolution.otherAccount}: its state and key policy cannot be read from this account (GetKeyPolicy does not work across accounts), so key-state and bucket-key-mismatch do not check it. Audit account ${resolution.otherAccount} too.`,
      });
    }
    if (rule.BucketKeyEnabled !== undefined) encryption.bucketKeyEnabled = known(rule.BucketKeyEnabled, at("BucketKeyEnabled"));
    bucket.encryption = encryption;
  }
  return bucket;
}
