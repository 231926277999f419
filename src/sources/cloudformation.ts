/**
 * A CloudFormation template (as a template tree, from YAML or JSON) turned into an Inventory: KMS keys,
 * replica keys, aliases, S3 buckets and bucket policies, with their policies as PolicyDocuments whose
 * positions point into the template, and the links between them (the key a bucket is encrypted with, the
 * bucket a bucket policy is attached to).
 *
 * Intrinsic functions are evaluated where the template itself says enough: parameters (given values, then
 * Defaults), pseudo parameters, Conditions, Mappings, Fn::Sub/Join/Select/Split/If, and references to the
 * template's own keys, buckets, aliases, roles and users, which become symbolic but known values (a key's ARN
 * is `arn:aws:kms:«region»:<account>:key/<LogicalId>`). Anything else is never guessed: it is written
 * as `«expression»` and listed in `Inventory.unresolved`, with what is not checked because of it.
 *
 * This module does not import the YAML parser: JSON templates never load it.
 */
import { STACK_ACCOUNT } from "../engine/linter.js";
import { UNKNOWN_REGION, UNRESOLVED_CLOSE, UNRESOLVED_OPEN, containsUnresolved, objectPolicyDocument, stringPolicyDocument, unresolvedText } from "../model/embedded.js";
import { FIRST_CHARACTER, type DuplicateKey, type Path, type Position, type Range, type Target } from "../model/json.js";
import {
  keyReferenceForm,
  type BucketEncryption,
  type Fact,
  type Inventory,
  type InventoryAlias,
  type InventoryBucket,
  type InventoryKey,
  type InventoryPolicy,
  type KeyReferenceForm,
  type ResourceRef,
  type SourceContext,
  type SourceProblem,
  type UnresolvedValue,
} from "../model/inventory.js";
import { detectSourceFormat } from "../model/kind.js";
import type { PolicyKind } from "../model/policy.js";
import {
  entryOf,
  intrinsicArgument,
  intrinsicName,
  keyRange,
  nodeRange,
  rangeOf,
  stringOffsetMap,
  type TemplateEntry,
  type TemplateMap,
  type TemplateNode,
  type TemplateScalar,
  type TemplateTree,
} from "./template-tree.js";

/** How the size of a policy written as a structure is measured (policy-size names it). */
export const CLOUDFORMATION_SIZE_BASIS = "as CloudFormation sends it (compact JSON)";
const STRING_SIZE_BASIS = "as written in the template's JSON string";

/** The Region is not known before deployment, but no verdict depends on it: it is written, never listed as unresolved. */
const REGION = UNKNOWN_REGION;

/** Properties that could not be evaluated (already listed as unresolved). */
const UNREADABLE: unique symbol = Symbol("unreadable properties");

/** `Ref: AWS::NoValue`: the property or list element is removed. */
const NO_VALUE: unique symbol = Symbol("AWS::NoValue");

/** Whether a parsed tree is a CloudFormation template (by content, as src/model/kind.ts decides for JSON). */
export function isTemplateTree(tree: TemplateTree): boolean {
  return tree.root?.kind === "map" && detectSourceFormat(outline(tree.root)) === "cloudformation";
}

/** The inventory of a template. Never throws: what cannot be read is a problem or an unresolved value. */
export function templateInventory(tree: TemplateTree, context: SourceContext): Inventory {
  return new TemplateReader(tree, context).read();
}

/** Just enough of the template as a plain value for detectSourceFormat: top-level keys, and each resource's Type. */
function outline(root: TemplateMap): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const entry of root.entries) {
    let item: unknown;
    if (entry.key === "Resources" && entry.value.kind === "map") {
      const resources: Record<string, unknown> = {};
      for (const resource of entry.value.entries) {
        const type = resource.value.kind === "map" ? entryOf(resource.value, "Type")?.value : undefined;
        setOwn(resources, resource.key, { Type: type?.kind === "scalar" ? type.value : undefined });
      }
      item = resources;
    } else {
      item = entry.value.kind === "scalar" ? entry.value.value : entry.value.kind === "seq" ? [] : {};
    }
    setOwn(value, entry.key, item);
  }
  return value;
}

function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** Where a resolved list or object came from, so that a path into it can be mapped back to the template. */
type Origin = { map: TemplateMap } | { items: TemplateNode[] };

/** A value that could not be evaluated, met while resolving, with the path inside the resolved value. */
interface Hit {
  unresolved: UnresolvedValue;
  path: Path;
}

/** The circumstances of one resolution: which resource, whether values are recorded, what is collected. */
interface Site {
  resource: string | undefined;
  /** Silent resolutions (evaluating a condition, a bucket's name) record nothing; they collect reasons. */
  silent: boolean;
  inPolicy: boolean;
  /** What is not checked when a value cannot be evaluated (properties); policies derive it from the path. */
  consequence?: string;
  hits: Hit[];
  reasons: string[];
  /** The path in the resolved value of the node being resolved. */
  path: (string | number)[];
  duplicates: DuplicateKey[];
}

type Outcome = { value: unknown } | { reason: string };

type ConditionValue = boolean | { reason: string };

/** A key reference and how it is written (AWS-FACTS.md §4.1). */
interface KeyLink {
  key?: InventoryKey;
  form: KeyReferenceForm;
}

/** Pieces of a `!Sub` result: from output offset `out`, either template text from `from`, or a variable written at `from`. */
interface SubSegment {
  out: number;
  from: number;
  literal: boolean;
}

const FOR_EACH = "Fn::ForEach::";
const PSEUDO_UNKNOWN = new Set(["AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"]);
const KEY_TYPES = new Set(["AWS::KMS::Key", "AWS::KMS::ReplicaKey"]);
const LIST_PARAMETER = /^(List<.*>|CommaDelimitedList|AWS::SSM::Parameter::Value<(List<.*>|CommaDelimitedList)>)$/;
const SHORT_TAGS: Readonly<Record<string, string>> = { Ref: "!Ref", Condition: "!Condition" };

class TemplateReader {
  private readonly inventory: Inventory;
  private readonly account: string;
  private readonly resources = new Map<string, TemplateEntry>();
  private parameters: TemplateMap | undefined;
  private mappings: TemplateMap | undefined;
  private conditions: TemplateMap | undefined;

  /** Resolved lists and objects → the template node they were read from. */
  private readonly origins = new WeakMap<object, Origin>();
  /** The branch each evaluated Fn::If took (conditions do not change within a template). */
  private readonly ifChoices = new Map<TemplateMap, TemplateNode>();
  /** Unresolved values already listed, by where they are written. */
  private readonly recorded = new Map<string, UnresolvedValue>();
  private readonly conditionValues = new Map<string, ConditionValue>();
  private readonly conditionsInProgress = new Set<string>();
  private readonly parameterValues = new Map<string, Outcome>();
  private readonly bucketNames = new Map<string, string>();
  private readonly namesInProgress = new Set<string>();
  /** A resource's property as text (`propertyText`), by resource and property. */
  private resourcesByOffset: TemplateEntry[] | undefined;
  private readonly propertyTexts = new Map<string, string | undefined>();
  /** Maps whose duplicate keys a policy's document reports (the others become problems). */
  private readonly claimedDuplicates = new Set<TemplateMap>();
  private readonly warnedNumbers = new Set<TemplateScalar>();

  private readonly keys = new Map<string, InventoryKey>();
  private readonly keysByArn = new Map<string, InventoryKey>();
  private readonly aliases = new Map<string, InventoryAlias>();
  private readonly aliasesByName = new Map<string, InventoryAlias>();
  private readonly buckets = new Map<string, InventoryBucket>();
  private readonly bucketsByName = new Map<string, InventoryBucket>();

  constructor(
    private readonly tree: TemplateTree,
    private readonly context: SourceContext,
  ) {
    const given = context.trust.account;
    this.account = given ?? STACK_ACCOUNT;
    this.inventory = {
      filePath: tree.filePath,
      format: "cloudformation",
      owner: given ? { account: given, reason: "the account given (--account or the config)" } : { account: STACK_ACCOUNT, reason: "the stack's account (AWS::AccountId)" },
      keys: [],
      buckets: [],
      aliases: [],
      policies: [],
      unresolved: [],
      problems: [...tree.problems],
      resourceCount: 0,
    };
  }

  read(): Inventory {
    const root = this.tree.root;
    if (root === undefined) return this.inventory;
    if (root.kind !== "map") {
      this.problem("The template must be a map of sections (AWSTemplateFormatVersion, Parameters, Resources, …)", nodeRange(this.tree, root));
      return this.inventory;
    }
    this.parameters = this.section(root, "Parameters");
    this.mappings = this.section(root, "Mappings");
    this.conditions = this.section(root, "Conditions");
    const resourcesEntry = entryOf(root, "Resources");
    if (!resourcesEntry) {
      this.problem("The template has no Resources section; CloudFormation requires one", FIRST_CHARACTER);
    } else if (resourcesEntry.value.kind !== "map") {
      this.problem("Resources must be a map of logical ids to resources", nodeRange(this.tree, resourcesEntry.value));
    } else {
      for (const entry of resourcesEntry.value.entries) {
        if (entry.key.startsWith(FOR_EACH)) for (const generated of this.forEach(entry, new Map(), 0)) this.resources.set(generated.key, generated);
        else this.resources.set(entry.key, entry);
      }
      this.inventory.resourceCount = this.resources.size;
      this.readResources();
    }
    this.reportDuplicates();
    for (const node of this.tree.leadingZeroNumbers ?? []) this.checkNumber(node, this.site(this.resourceAt(node.start)));
    // In the order they are written, whatever order the resources were read in.
    const byPosition = (a: { range: Range }, b: { range: Range }) => a.range.start.offset - b.range.start.offset;
    this.inventory.unresolved.sort(byPosition);
    this.inventory.problems.sort(byPosition);
    return this.inventory;
  }

  /**
   * The resources an `Fn::ForEach::Name: [Identifier, Collection, {OutputKey: Resource}]` entry generates
   * (AWS::LanguageExtensions): one per element of the collection, with `${Identifier}` and `&{Identifier}`
   * replaced in keys and values and `Ref: Identifier` read as the element. A collection that cannot be
   * evaluated is listed as unresolved, and generates nothing.
   */
  private forEach(entry: TemplateEntry, bindings: Map<string, string>, depth: number): TemplateEntry[] {
    const loop = entry.value;
    const shape = `${entry.key} must be a list of an identifier, a collection and a map of resources`;
    if (loop.kind !== "seq" || loop.items.length !== 3) {
      this.problem(shape, nodeRange(this.tree, loop), entry.key);
      return [];
    }
    const [identifierNode, collectionNode, output] = loop.items as [TemplateNode, TemplateNode, TemplateNode];
    if (identifierNode.kind !== "scalar" || typeof identifierNode.value !== "string" || output.kind !== "map" || depth > 5) {
      this.problem(shape, nodeRange(this.tree, loop), entry.key);
      return [];
    }
    const identifier = identifierNode.value;
    const collection = substitute(collectionNode, bindings);
    const site = this.site(entry.key, `the resources ${entry.key} generates are not checked`);
    const value = collection.kind === "seq" ? collection.items.map((item) => (item.kind === "scalar" ? scalarText(item) : this.resolve(item, site))) : this.resolve(collection, site);
    if (site.hits.length > 0) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string" && !containsUnresolved(item))) {
      this.unresolved(collection, site, "the collection of Fn::ForEach must be a list of strings");
      return [];
    }
    const generated: TemplateEntry[] = [];
    for (const element of value as string[]) {
      const inner = new Map(bindings).set(identifier, element);
      for (const resource of output.entries) {
        if (resource.key.startsWith(FOR_EACH)) {
          generated.push(...this.forEach({ ...resource, value: substitute(resource.value, inner) }, inner, depth + 1));
          continue;
        }
        generated.push({ key: replaceIdentifiers(resource.key, inner), keyStart: resource.keyStart, keyEnd: resource.keyEnd, value: substitute(resource.value, inner) });
      }
    }
    return generated;
  }

  private section(root: TemplateMap, name: string): TemplateMap | undefined {
    const entry = entryOf(root, name);
    if (!entry) return undefined;
    if (entry.value.kind === "map") return entry.value;
    if (!(entry.value.kind === "scalar" && entry.value.value === null)) this.problem(`${name} must be a map`, nodeRange(this.tree, entry.value));
    return undefined;
  }

  // ------------------------------------------------------------------------------------------- resources

  private readResources(): void {
    const byType = new Map<string, { entry: TemplateEntry; properties: TemplateMap | undefined }[]>();
    for (const entry of this.resources.values()) {
      const resource = entry.value;
      if (resource.kind !== "map") {
        this.problem(`Resource ${entry.key} must be a map with a Type`, nodeRange(this.tree, resource), entry.key);
        continue;
      }
      const typeEntry = entryOf(resource, "Type");
      if (!typeEntry) {
        this.problem(`Resource ${entry.key} has no Type; CloudFormation requires one`, keyRange(this.tree, entry), entry.key);
        continue;
      }
      if (typeEntry.value.kind !== "scalar" || typeof typeEntry.value.value !== "string") {
        this.problem(`The Type of resource ${entry.key} must be a string such as AWS::KMS::Key`, nodeRange(this.tree, typeEntry.value), entry.key);
        continue;
      }
      const type = typeEntry.value.value;
      if (!KEY_TYPES.has(type) && type !== "AWS::KMS::Alias" && type !== "AWS::S3::Bucket" && type !== "AWS::S3::BucketPolicy") continue;
      if (!this.active(resource)) continue;
      const properties = this.properties(entry, resource);
      // Properties that cannot be evaluated: the resource is listed as unresolved, and no setting is guessed.
      if (properties === UNREADABLE) continue;
      const list = byType.get(type) ?? [];
      list.push({ entry, properties });
      byType.set(type, list);
    }
    // Keys first, then what refers to them: aliases, buckets (encrypted with keys or aliases), bucket policies.
    for (const type of ["AWS::KMS::Key", "AWS::KMS::ReplicaKey"]) for (const r of byType.get(type) ?? []) this.readKey(r.entry, r.properties, type);
    for (const r of byType.get("AWS::KMS::Alias") ?? []) this.readAlias(r.entry, r.properties);
    for (const r of byType.get("AWS::S3::Bucket") ?? []) this.readBucket(r.entry, r.properties);
    for (const r of byType.get("AWS::S3::BucketPolicy") ?? []) this.readBucketPolicy(r.entry, r.properties);
  }

  /** A resource whose Condition is false is not created; one whose condition cannot be evaluated is checked. */
  private active(resource: TemplateMap): boolean {
    const condition = entryOf(resource, "Condition")?.value;
    if (!condition || condition.kind !== "scalar" || typeof condition.value !== "string") return true;
    return this.condition(condition.value) !== false;
  }

  private properties(entry: TemplateEntry, resource: TemplateMap): TemplateMap | undefined | typeof UNREADABLE {
    const properties = entryOf(resource, "Properties");
    if (!properties) return undefined;
    const node = this.chosen(properties.value);
    if (node.kind === "map" && !intrinsicName(node)) return node;
    if (node.kind === "scalar" && node.value === null) return undefined;
    if (intrinsicName(node) !== undefined) {
      // An Fn::If whose condition cannot be evaluated (or another intrinsic): listed once, at the intrinsic.
      const site = this.site(entry.key, `the properties of ${entry.key} are not checked`);
      const value = this.resolve(node, site);
      if (value === NO_VALUE) return undefined;
      if (site.hits.length > 0) return UNREADABLE;
    }
    this.problem(`The Properties of resource ${entry.key} must be a map`, nodeRange(this.tree, node), entry.key);
    return undefined;
  }

  private resourceRef(entry: TemplateEntry, type: string): ResourceRef {
    return { address: entry.key, type, anchor: keyRange(this.tree, entry) };
  }

  private readKey(entry: TemplateEntry, properties: TemplateMap | undefined, type: string): void {
    const id = entry.key;
    const resource = this.resourceRef(entry, type);
    const key: InventoryKey = { resource, keyManager: "CUSTOMER", aliases: [] };
    const replica = type === "AWS::KMS::ReplicaKey";
    if (!replica) {
      assign(key, "keySpec", this.fact(id, properties, "KeySpec", asString, "a key spec such as SYMMETRIC_DEFAULT"));
      assign(key, "keyUsage", this.fact(id, properties, "KeyUsage", asString, "a key usage such as ENCRYPT_DECRYPT"));
      assign(key, "origin", this.fact(id, properties, "Origin", asString, "AWS_KMS or EXTERNAL"));
      assign(key, "multiRegion", this.fact(id, properties, "MultiRegion", asBoolean, "true or false"));
      assign(key, "rotationEnabled", this.fact(id, properties, "EnableKeyRotation", asBoolean, "true or false"));
      assign(key, "rotationPeriodDays", this.fact(id, properties, "RotationPeriodInDays", asInteger, "a whole number of days"));
    } else {
      const primary = properties && entryOf(properties, "PrimaryKeyArn");
      if (primary) {
        const value = this.resolve(primary.value, this.site(id, "which key this replica belongs to is not known"));
        if (value !== NO_VALUE) key.replicaOf = textOf(value);
      }
    }
    assign(key, "enabled", this.fact(id, properties, "Enabled", asBoolean, "true or false"));
    const policyEntry = properties && entryOf(properties, "KeyPolicy");
    const policy = policyEntry ? this.readPolicy(id, resource, policyEntry, "key-policy") : undefined;
    if (policy) key.policy = policy;
    else key.defaultPolicy = true;
    this.inventory.keys.push(key);
    this.keys.set(id, key);
    this.keysByArn.set(this.keyArn(id), key);
  }

  private readAlias(entry: TemplateEntry, properties: TemplateMap | undefined): void {
    const id = entry.key;
    const resource = this.resourceRef(entry, "AWS::KMS::Alias");
    const nameEntry = properties && entryOf(properties, "AliasName");
    const nameValue = nameEntry ? this.resolve(nameEntry.value, this.site(id, "the alias's name is not known")) : undefined;
    const name = nameValue === undefined || nameValue === NO_VALUE ? "" : textOf(nameValue);
    const alias: InventoryAlias = { resource, name };
    const targetEntry = properties && entryOf(properties, "TargetKeyId");
    if (targetEntry) {
      const site = this.site(id, "the key the alias points at is not known");
      const value = this.resolve(targetEntry.value, site);
      if (value !== NO_VALUE) {
        alias.target = textOf(value);
        const link = this.keyLink(this.written(targetEntry.value), value);
        if (link?.key) alias.key = link.key;
      }
    }
    if (alias.key && name !== "") alias.key.aliases.push(name);
    this.inventory.aliases.push(alias);
    this.aliases.set(id, alias);
    if (name !== "" && !containsUnresolved(name)) this.aliasesByName.set(name, alias);
  }

  private readBucket(entry: TemplateEntry, properties: TemplateMap | undefined): void {
    const id = entry.key;
    const resource = this.resourceRef(entry, "AWS::S3::Bucket");
    const bucket: InventoryBucket = { resource, policies: [] };
    const name = this.propertyText(id, "BucketName");
    if (name !== undefined) {
      bucket.name = name;
      bucket.arn = `arn:aws:s3:::${name}`;
      this.bucketsByName.set(name, bucket);
    }
    const encryption = properties && entryOf(properties, "BucketEncryption");
    if (encryption) {
      const read = this.readEncryption(id, resource, encryption);
      if (read) bucket.encryption = read;
    }
    this.inventory.buckets.push(bucket);
    this.buckets.set(id, bucket);
  }

  private readEncryption(id: string, resource: ResourceRef, entry: TemplateEntry): BucketEncryption | undefined {
    const site = this.site(id);
    const root = this.resolve(entry.value, site);
    if (root === NO_VALUE) return undefined;
    const rulePath = ["ServerSideEncryptionConfiguration", 0];
    const defaultPath = [...rulePath, "ServerSideEncryptionByDefault"];
    const unknown = (path: Path): BucketEncryption | undefined => {
      const hit = site.hits.find((h) => startsWith(h.path, path)) ?? site.hits[0];
      if (!hit) return undefined;
      const range = this.rangeAt(entry.value, root, path);
      return { algorithm: { known: false, unresolved: hit.unresolved, range }, keyReferenceForm: "unknown", awsManagedKey: false, resource, anchor: range };
    };
    // Walk down to ServerSideEncryptionByDefault; a level that could not be evaluated makes the algorithm unknown.
    let level: unknown = root;
    for (let depth = 0; depth <= defaultPath.length; depth++) {
      if (typeof level === "string" && containsUnresolved(level)) return unknown(defaultPath.slice(0, depth));
      if (depth === defaultPath.length) break;
      const segment = defaultPath[depth]!;
      if (typeof segment === "number" ? !Array.isArray(level) : !isObject(level)) return undefined;
      level = (level as Record<string | number, unknown>)[segment];
      if (level === undefined) return undefined;
    }
    const byDefault = level;
    if (!isObject(byDefault)) return undefined;
    const algorithmPath = [...defaultPath, "SSEAlgorithm"];
    const algorithmValue = byDefault["SSEAlgorithm"];
    if (algorithmValue === undefined) {
      this.problem(`ServerSideEncryptionByDefault of bucket ${id} has no SSEAlgorithm; CloudFormation requires one`, this.rangeAt(entry.value, root, defaultPath), id);
      return undefined;
    }
    const algorithmRange = this.rangeAt(entry.value, root, algorithmPath);
    const algorithm = this.factFrom(site, algorithmPath, algorithmValue, algorithmRange, asString);
    if (!algorithm) {
      this.problem(`SSEAlgorithm of bucket ${id} must be AES256, aws:kms, aws:kms:dsse or aws:fsx`, algorithmRange, id);
      return undefined;
    }
    const encryption: BucketEncryption = { algorithm, keyReferenceForm: "absent", awsManagedKey: false, resource, anchor: algorithmRange };
    const keyPath = [...defaultPath, "KMSMasterKeyID"];
    const keyValue = byDefault["KMSMasterKeyID"];
    if (keyValue === undefined || keyValue === "") {
      // No key: S3 uses the AWS managed key aws/s3 for SSE-KMS (AWS-FACTS.md §4.1).
      encryption.awsManagedKey = algorithm.known && algorithm.value.startsWith("aws:kms");
    } else {
      const keyRangeValue = this.rangeAt(entry.value, root, keyPath);
      const reference = this.factFrom(site, keyPath, keyValue, keyRangeValue, asString);
      if (reference) encryption.keyReference = reference;
      else this.problem(`KMSMasterKeyID of bucket ${id} must be a key id, key ARN, alias name or alias ARN`, keyRangeValue, id);
      if (!reference || !reference.known) {
        encryption.keyReferenceForm = "unknown";
      } else {
        const link = this.keyLink(this.nodeAt(entry.value, root, keyPath).node, reference.value);
        const read = keyReferenceForm(reference.value);
        encryption.keyReferenceForm = link?.form ?? read.form;
        encryption.awsManagedKey = link ? false : read.awsManagedKey;
        if (link?.key) encryption.key = link.key;
      }
    }
    const rule = (root as { ServerSideEncryptionConfiguration?: unknown[] }).ServerSideEncryptionConfiguration?.[0];
    if (isObject(rule) && rule["BucketKeyEnabled"] !== undefined) {
      const path = [...rulePath, "BucketKeyEnabled"];
      const fact = this.factFrom(site, path, rule["BucketKeyEnabled"], this.rangeAt(entry.value, root, path), asBoolean);
      if (fact) encryption.bucketKeyEnabled = fact;
      else this.problem(`BucketKeyEnabled of bucket ${id} must be true or false`, this.rangeAt(entry.value, root, path), id);
    }
    return encryption;
  }

  private readBucketPolicy(entry: TemplateEntry, properties: TemplateMap | undefined): void {
    const id = entry.key;
    const resource = this.resourceRef(entry, "AWS::S3::BucketPolicy");
    let bucket: InventoryBucket | undefined;
    const bucketEntry = properties && entryOf(properties, "Bucket");
    if (bucketEntry) {
      const value = this.resolve(bucketEntry.value, this.site(id, "the bucket policy is not linked to its bucket"));
      const written = this.written(bucketEntry.value);
      const target = this.referencedResource(written);
      if (target !== undefined && this.buckets.has(target)) bucket = this.buckets.get(target);
      else if (typeof value === "string" && !containsUnresolved(value)) bucket = this.bucketsByName.get(value);
    }
    const documentEntry = properties && entryOf(properties, "PolicyDocument");
    if (!documentEntry) {
      this.problem(`Bucket policy ${id} has no PolicyDocument; CloudFormation requires one`, resource.anchor, id);
      return;
    }
    const policy = this.readPolicy(id, resource, documentEntry, "bucket-policy");
    if (policy && bucket) bucket.policies.push(policy);
  }

  /** The logical id a node refers to when it is `!Ref X`, `!GetAtt X.Arn` or `!Sub "${X}"`. */
  private referencedResource(node: TemplateNode): string | undefined {
    const name = intrinsicName(node);
    if (!name) return undefined;
    const argument = intrinsicArgument(node as TemplateMap);
    if (name === "Ref") return argument.kind === "scalar" && typeof argument.value === "string" ? argument.value : undefined;
    if (name === "Fn::Sub" && argument.kind === "scalar" && typeof argument.value === "string") {
      const match = /^\$\{([^}!.]+)\}$/.exec(argument.value);
      return match?.[1];
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------- policies

  private readPolicy(id: string, resource: ResourceRef, entry: TemplateEntry, kind: PolicyKind): InventoryPolicy | undefined {
    const site = this.site(id);
    site.inPolicy = true;
    const value = this.resolve(entry.value, site);
    if (value === NO_VALUE) return undefined;
    const label = kind === "key-policy" ? "key policy" : "bucket policy";
    // In a policy written as a string, the rules still check the rest of it: only the value is not checked.
    const inString = typeof value === "string" && !isWhollyUnresolved(value);
    for (const hit of site.hits) {
      hit.unresolved.consequence ??= inString ? `the value ${hit.unresolved.expression} in the ${label} is not checked` : policyConsequence(hit.path, value, label);
    }
    const written = this.written(entry.value);
    const whole = nodeRange(this.tree, written);
    const anchor = keyRange(this.tree, entry);
    const policy: InventoryPolicy = { kind, resource, document: undefined };
    if (!isObject(value) && !(typeof value === "string" && (isWhollyUnresolved(value) || /^\s*[{[]/.test(value)))) {
      // Not a policy at all (null, a number, a list, text that is not JSON): the rest of the template is still read.
      this.problem(`The ${entry.key} of ${id} is ${describe(value)}, not a policy: write a map with Version and Statement (or that map as a JSON string)`, whole, id);
      this.inventory.policies.push(policy);
      return policy;
    }
    if (typeof value === "string") {
      if (isWhollyUnresolved(value)) {
        const unresolved = site.hits[0]?.unresolved;
        if (unresolved) policy.unresolved = unresolved;
      } else {
        policy.document = stringPolicyDocument({
          filePath: this.tree.filePath,
          text: value,
          toOuter: this.stringPositions(written, value),
          whole,
          anchor,
          sizeBasis: STRING_SIZE_BASIS,
        });
      }
    } else {
      policy.document = objectPolicyDocument({
        filePath: this.tree.filePath,
        value,
        locate: (path, target) => this.locate(entry.value, value, path, target),
        whole,
        anchor,
        duplicateKeys: site.duplicates,
        sizeBasis: CLOUDFORMATION_SIZE_BASIS,
      });
    }
    this.inventory.policies.push(policy);
    return policy;
  }

  /** For a policy written as a JSON string: where each character of the string is in the template. */
  private stringPositions(written: TemplateNode, value: string): (offset: number) => Position {
    if (written.kind === "scalar" && typeof written.value === "string") {
      const offsets = stringOffsetMap(this.tree, written);
      return (offset) => this.tree.positionOf(offsets(offset));
    }
    if (intrinsicName(written) === "Fn::Sub") {
      const argument = intrinsicArgument(written as TemplateMap);
      const template = argument.kind === "seq" ? argument.items[0] : argument;
      if (template?.kind === "scalar" && typeof template.value === "string") {
        const segments: SubSegment[] = [];
        const again = this.sub(written as TemplateMap, this.silentSite(undefined), segments);
        if (again === value) {
          const offsets = stringOffsetMap(this.tree, template);
          return (offset) => {
            let low = 0;
            let high = segments.length - 1;
            while (low < high) {
              const mid = (low + high + 1) >> 1;
              if (segments[mid]!.out <= offset) low = mid;
              else high = mid - 1;
            }
            const segment = segments[low];
            if (!segment) return this.tree.positionOf(template.start);
            return this.tree.positionOf(offsets(segment.literal ? segment.from + (offset - segment.out) : segment.from));
          };
        }
      }
    }
    return () => this.tree.positionOf(written.start);
  }

  /** The range in the template of a path inside a resolved value (the deepest node written there). */
  private locate(rootNode: TemplateNode, rootValue: unknown, path: Path, target: Target): Range {
    const { node, entry } = this.nodeAt(rootNode, rootValue, path);
    return target === "key" && entry ? keyRange(this.tree, entry) : nodeRange(this.tree, node);
  }

  private rangeAt(rootNode: TemplateNode, rootValue: unknown, path: Path): Range {
    return nodeRange(this.tree, this.nodeAt(rootNode, rootValue, path).node);
  }

  private nodeAt(rootNode: TemplateNode, rootValue: unknown, path: Path): { node: TemplateNode; entry?: TemplateEntry } {
    let node = this.written(rootNode);
    let entry: TemplateEntry | undefined;
    let value = rootValue;
    for (const segment of path) {
      if (value === null || typeof value !== "object") break;
      const origin = this.origins.get(value);
      if (!origin) break;
      if ("items" in origin) {
        const item = typeof segment === "number" ? origin.items[segment] : undefined;
        if (!item) break;
        node = this.written(item);
        entry = undefined;
      } else {
        const found = typeof segment === "string" ? entryOf(origin.map, segment) : undefined;
        if (!found) break;
        node = this.written(found.value);
        entry = found;
      }
      value = (value as Record<string | number, unknown>)[segment];
    }
    return entry ? { node, entry } : { node };
  }

  /** Follows evaluated Fn::If to the branch taken: the node that is actually written for a value. */
  private written(node: TemplateNode): TemplateNode {
    let current = node;
    for (let guard = 0; guard < 64; guard++) {
      if (current.kind !== "map") return current;
      const next = this.ifChoices.get(current);
      if (!next) return current;
      current = next;
    }
    return current;
  }

  /** Like `written`, evaluating Fn::If on the way (for Properties written as `!If`). */
  private chosen(node: TemplateNode): TemplateNode {
    let current = node;
    for (let guard = 0; guard < 64 && intrinsicName(current) === "Fn::If"; guard++) {
      const argument = intrinsicArgument(current as TemplateMap);
      if (argument.kind !== "seq" || argument.items.length !== 3) return current;
      const name = argument.items[0]!;
      if (name.kind !== "scalar" || typeof name.value !== "string") return current;
      const value = this.condition(name.value);
      if (typeof value !== "boolean") return current;
      const branch = argument.items[value ? 1 : 2]!;
      this.ifChoices.set(current as TemplateMap, branch);
      current = branch;
    }
    return current;
  }

  // ------------------------------------------------------------------------------------------------ facts

  /**
   * A setting of a resource. What is not checked when it cannot be evaluated is left to the unresolved-value
   * rule, which knows which rules read each setting.
   */
  private fact<T>(id: string, properties: TemplateMap | undefined, name: string, convert: (value: unknown) => T | undefined, expected: string): Fact<T> | undefined {
    const entry = properties && entryOf(properties, name);
    if (!entry) return undefined;
    const site = this.site(id);
    const value = this.resolve(entry.value, site);
    if (value === NO_VALUE) return undefined;
    const range = nodeRange(this.tree, this.written(entry.value));
    const fact = this.factFrom(site, [], value, range, convert);
    if (!fact) this.problem(`${name} of ${id} must be ${expected}; it is ${describe(value)}`, range, id);
    return fact;
  }

  /** A Fact from a resolved value: unknown when it holds an unresolved value met at `path`; undefined when it does not convert. */
  private factFrom<T>(site: Site, path: Path, value: unknown, range: Range, convert: (value: unknown) => T | undefined): Fact<T> | undefined {
    if (typeof value === "string" && containsUnresolved(value)) {
      const hit = site.hits.find((h) => startsWith(h.path, path)) ?? site.hits[0];
      if (hit) return { known: false, unresolved: hit.unresolved, range };
    }
    const converted = convert(value);
    return converted === undefined ? undefined : { known: true, value: converted, range };
  }

  // ------------------------------------------------------------------------------------------------ links

  /** Which key of the template a key reference (KMSMasterKeyID, TargetKeyId) names, and in what form. */
  private keyLink(node: TemplateNode, value: unknown): KeyLink | undefined {
    const name = intrinsicName(node);
    if (name === "Ref" || name === "Fn::Sub" || name === "Fn::GetAtt") {
      const argument = intrinsicArgument(node as TemplateMap);
      let target: string | undefined;
      let attribute: string | undefined;
      if (name === "Ref" && argument.kind === "scalar" && typeof argument.value === "string") target = argument.value;
      else if (name === "Fn::GetAtt" && argument.kind === "seq") {
        const [resource, attr] = argument.items;
        if (resource?.kind === "scalar" && attr?.kind === "scalar") {
          target = String(resource.value);
          attribute = String(attr.value);
        }
      } else if (name === "Fn::Sub" && argument.kind === "scalar" && typeof argument.value === "string") {
        const match = /^\$\{([^}!.]+)(?:\.([^}]+))?\}$/.exec(argument.value);
        if (match) {
          target = match[1];
          attribute = match[2];
        }
      }
      if (target !== undefined) {
        const key = this.keys.get(target);
        if (key && attribute === undefined) return { key, form: "key-id" };
        if (key && attribute === "Arn") return { key, form: "key-arn" };
        if (key && attribute === "KeyId") return { key, form: "key-id" };
        const alias = this.aliases.get(target);
        if (alias && attribute === undefined) return alias.key ? { key: alias.key, form: "alias-name" } : { form: "alias-name" };
      }
    }
    if (typeof value !== "string" || containsUnresolved(value)) return undefined;
    const byArn = this.keysByArn.get(value);
    if (byArn) return { key: byArn, form: "key-arn" };
    const alias = this.aliasesByName.get(value);
    if (alias?.key) return { key: alias.key, form: "alias-name" };
    const aliasArn = /^arn:[^:]+:kms:[^:]*:([^:]*):(alias\/.+)$/.exec(value);
    if (aliasArn && aliasArn[1] === this.account) {
      const named = this.aliasesByName.get(aliasArn[2]!);
      if (named?.key) return { key: named.key, form: "alias-arn" };
    }
    return undefined;
  }

  // --------------------------------------------------------------------------------------------- resolver

  private site(resource: string | undefined, consequence?: string): Site {
    const site: Site = { resource, silent: false, inPolicy: false, hits: [], reasons: [], path: [], duplicates: [] };
    if (consequence !== undefined) site.consequence = consequence;
    return site;
  }

  private silentSite(resource: string | undefined): Site {
    return { resource, silent: true, inPolicy: false, hits: [], reasons: [], path: [], duplicates: [] };
  }

  private resolve(node: TemplateNode, site: Site): unknown {
    if (node.kind === "scalar") {
      if (node.numberText !== undefined) {
        if (!site.silent) this.checkNumber(node, site);
        return node.numberText;
      }
      return node.value;
    }
    if (node.kind === "seq") {
      const out: unknown[] = [];
      const items: TemplateNode[] = [];
      for (const item of node.items) {
        site.path.push(out.length);
        const value = this.resolve(item, site);
        site.path.pop();
        if (value === NO_VALUE) continue;
        out.push(value);
        items.push(item);
      }
      this.origins.set(out, { items });
      return out;
    }
    const name = intrinsicName(node);
    if (name) return this.intrinsic(node, name, site);
    const out: Record<string, unknown> = {};
    for (const entry of node.entries) {
      site.path.push(entry.key);
      const value = this.resolve(entry.value, site);
      site.path.pop();
      if (value === NO_VALUE) delete out[entry.key];
      else setOwn(out, entry.key, value);
    }
    if (node.duplicates && site.inPolicy && !site.silent) {
      this.claimedDuplicates.add(node);
      for (const [first, duplicate] of node.duplicates) {
        site.duplicates.push({ objectPath: [...site.path], key: first.key, first: keyRange(this.tree, first), duplicate: keyRange(this.tree, duplicate) });
      }
    }
    this.origins.set(out, { map: node });
    return out;
  }

  private intrinsic(node: TemplateMap, name: string, site: Site): unknown {
    // An intrinsic's arguments (`!Select [1, …]`) are not policy values; only Fn::If's branches are.
    const inPolicy = site.inPolicy;
    if (name !== "Fn::If") site.inPolicy = false;
    try {
      return this.call(node, name, site);
    } finally {
      site.inPolicy = inPolicy;
    }
  }

  private call(node: TemplateMap, name: string, site: Site): unknown {
    const argument = intrinsicArgument(node);
    switch (name) {
      case "Ref":
        return this.ref(node, argument, site);
      case "Fn::GetAtt":
        return this.getAtt(node, argument, site);
      case "Fn::Sub":
        return this.sub(node, site);
      case "Fn::Join":
        return this.join(node, argument, site);
      case "Fn::Select":
        return this.select(node, argument, site);
      case "Fn::Split":
        return this.split(node, argument, site);
      case "Fn::FindInMap":
        return this.findInMap(node, argument, site);
      case "Fn::If":
        return this.fnIf(node, argument, site);
      case "Fn::Equals":
      case "Fn::Not":
      case "Fn::And":
      case "Fn::Or":
      case "Condition": {
        const value = this.evaluate(node);
        return typeof value === "boolean" ? value : this.unresolved(node, site, value.reason);
      }
      case "Fn::Length": {
        const list = this.resolve(argument, site);
        if (Array.isArray(list)) return list.length;
        return isWhollyUnresolved(list) ? list : this.unresolved(node, site, "Fn::Length takes a list");
      }
      case "Fn::ToJsonString": {
        const value = this.resolve(argument, site);
        return typeof value === "string" ? value : JSON.stringify(value);
      }
      case "Fn::ImportValue":
        return this.unresolved(node, site, "it is a value another stack exports, known only when the stack is deployed");
      case "Fn::GetAZs":
        return this.unresolved(node, site, "the Availability Zones are known only in the account and Region the stack is deployed to");
      case "Fn::Transform":
        return this.unresolved(node, site, "it is computed by a CloudFormation macro when the stack is deployed");
      default:
        return this.unresolved(node, site, `kmslint does not evaluate ${name}`);
    }
  }

  /** Lists a value that could not be evaluated (once per place it is written) and returns its «…» stand-in. */
  private unresolved(node: TemplateNode, site: Site, reason: string, expression = shortForm(node), start = node.start, end = node.end): string {
    const text = unresolvedText(expression);
    if (site.silent) {
      site.reasons.push(`${expression}: ${reason}`);
      return text;
    }
    const where = `${start}:${end}:${expression}`;
    let unresolved = this.recorded.get(where);
    if (!unresolved) {
      unresolved = { expression, reason, range: rangeOf(this.tree, start, end) };
      if (site.consequence !== undefined) unresolved.consequence = site.consequence;
      if (site.resource !== undefined) unresolved.resource = site.resource;
      this.recorded.set(where, unresolved);
      this.inventory.unresolved.push(unresolved);
    }
    site.hits.push({ unresolved, path: [...site.path] });
    return text;
  }

  private ref(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    if (argument.kind !== "scalar" || typeof argument.value !== "string") return this.unresolved(node, site, "Ref takes the name of a parameter or resource");
    const outcome = this.refOutcome(argument.value);
    return "value" in outcome ? outcome.value : this.unresolved(node, site, outcome.reason);
  }

  private refOutcome(name: string): Outcome {
    switch (name) {
      case "AWS::AccountId":
        return { value: this.account };
      case "AWS::Partition":
        return { value: "aws" };
      case "AWS::URLSuffix":
        return { value: "amazonaws.com" };
      case "AWS::Region":
        return { value: REGION };
      case "AWS::NoValue":
        return { value: NO_VALUE };
    }
    if (PSEUDO_UNKNOWN.has(name)) return { reason: "it is known only when the stack is deployed" };
    const parameter = this.parameters && entryOf(this.parameters, name);
    if (parameter) return this.parameter(name, parameter.value);
    if (this.resources.has(name)) return this.resourceOutcome(name);
    if (name.startsWith("AWS::")) return { reason: `${name} is not a pseudo parameter CloudFormation defines` };
    return { reason: `the template has no parameter or resource named ${name}` };
  }

  private parameter(name: string, declaration: TemplateNode): Outcome {
    const known = this.parameterValues.get(name);
    if (known) return known;
    const typeNode = declaration.kind === "map" ? entryOf(declaration, "Type")?.value : undefined;
    const type = typeNode?.kind === "scalar" && typeof typeNode.value === "string" ? typeNode.value : "String";
    const list = LIST_PARAMETER.test(type);
    const given = this.context.parameters?.[name];
    let outcome: Outcome;
    if (given !== undefined) {
      outcome = { value: list ? splitList(given) : given };
    } else if (type.startsWith("AWS::SSM::Parameter::Value<")) {
      outcome = { reason: `the parameter's value is read from SSM Parameter Store when the stack is deployed; pass --parameter ${name}=Value` };
    } else {
      const fallback = declaration.kind === "map" ? entryOf(declaration, "Default")?.value : undefined;
      if (!fallback) outcome = { reason: `the parameter has no Default; pass --parameter ${name}=Value` };
      else if (fallback.kind === "seq") outcome = { value: fallback.items.map((item) => (item.kind === "scalar" ? scalarText(item) : "")) };
      else if (fallback.kind === "scalar") outcome = { value: list ? splitList(scalarText(fallback)) : scalarText(fallback) };
      else outcome = { reason: "the parameter's Default is not a string" };
    }
    this.parameterValues.set(name, outcome);
    return outcome;
  }

  /** What `Ref` returns for a resource of the template: known for keys, buckets, aliases, roles and users. */
  private resourceOutcome(id: string): Outcome {
    const type = this.typeOf(id);
    switch (type) {
      case "AWS::KMS::Key":
      case "AWS::KMS::ReplicaKey":
        return { value: id };
      case "AWS::S3::Bucket":
        return { value: this.bucketName(id) };
      case "AWS::KMS::Alias": {
        const name = this.propertyText(id, "AliasName");
        return name !== undefined ? { value: name } : { reason: `the AliasName of ${id} cannot be evaluated` };
      }
      case "AWS::IAM::Role":
        return { value: this.propertyText(id, "RoleName") ?? id };
      case "AWS::IAM::User":
        return { value: this.propertyText(id, "UserName") ?? id };
      default:
        return { reason: `it is the id of the ${type ?? "resource"} ${id}, known only after the stack is deployed` };
    }
  }

  private getAtt(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    let resource: string | undefined;
    let attribute: string | undefined;
    if (argument.kind === "seq" && argument.items.length === 2) {
      const [first, second] = argument.items as [TemplateNode, TemplateNode];
      if (first.kind === "scalar" && typeof first.value === "string") resource = first.value;
      const value = second.kind === "scalar" ? scalarText(second) : this.resolve(second, this.silentSite(site.resource));
      if (typeof value === "string" && !containsUnresolved(value)) attribute = value;
    } else if (argument.kind === "scalar" && typeof argument.value === "string" && argument.value.includes(".")) {
      const dot = argument.value.indexOf(".");
      resource = argument.value.slice(0, dot);
      attribute = argument.value.slice(dot + 1);
    }
    if (resource === undefined || attribute === undefined) return this.unresolved(node, site, "Fn::GetAtt takes a logical id and an attribute name");
    const outcome = this.attributeOutcome(resource, attribute);
    return "value" in outcome ? outcome.value : this.unresolved(node, site, outcome.reason, `!GetAtt ${resource}.${attribute}`);
  }

  private attributeOutcome(id: string, attribute: string): Outcome {
    if (!this.resources.has(id)) return { reason: `the template has no resource named ${id}` };
    const type = this.typeOf(id);
    if ((type === "AWS::KMS::Key" || type === "AWS::KMS::ReplicaKey") && attribute === "Arn") return { value: this.keyArn(id) };
    if ((type === "AWS::KMS::Key" || type === "AWS::KMS::ReplicaKey") && attribute === "KeyId") return { value: id };
    if (type === "AWS::S3::Bucket" && attribute === "Arn") return { value: `arn:aws:s3:::${this.bucketName(id)}` };
    if ((type === "AWS::IAM::Role" || type === "AWS::IAM::User") && attribute === "Arn") {
      const role = type === "AWS::IAM::Role";
      const name = this.propertyText(id, role ? "RoleName" : "UserName") ?? id;
      let path = this.propertyText(id, "Path") ?? "/";
      if (!path.startsWith("/")) path = `/${path}`;
      if (!path.endsWith("/")) path = `${path}/`;
      return { value: `arn:aws:iam::${this.account}:${role ? "role" : "user"}${path}${name}` };
    }
    return { reason: `it is the ${attribute} of the ${type ?? "resource"} ${id}, known only after the stack is deployed` };
  }

  private keyArn(id: string): string {
    return `arn:aws:kms:${REGION}:${this.account}:key/${id}`;
  }

  private typeOf(id: string): string | undefined {
    const resource = this.resources.get(id)?.value;
    const type = resource?.kind === "map" ? entryOf(resource, "Type")?.value : undefined;
    return type?.kind === "scalar" && typeof type.value === "string" ? type.value : undefined;
  }

  /** A resource property resolved quietly, when it is a plain string (a role's name, an alias's name). */
  private propertyText(id: string, property: string): string | undefined {
    const guard = `${id}\u0000${property}`;
    // Memoized: names refer to names (a role's name built from another's), and without it a chain of
    // references that each use the next twice takes exponential time.
    if (this.propertyTexts.has(guard)) return this.propertyTexts.get(guard);
    if (this.namesInProgress.has(guard)) return undefined;
    const resource = this.resources.get(id)?.value;
    const properties = resource?.kind === "map" ? entryOf(resource, "Properties")?.value : undefined;
    const node = properties?.kind === "map" ? entryOf(properties, property)?.value : undefined;
    if (!node) return undefined;
    this.namesInProgress.add(guard);
    try {
      const value = this.resolve(node, this.silentSite(id));
      const text = typeof value === "string" && value !== "" && !containsUnresolved(value) ? value : undefined;
      this.propertyTexts.set(guard, text);
      return text;
    } finally {
      this.namesInProgress.delete(guard);
    }
  }

  /** A bucket's name: its BucketName when that evaluates, else its logical id lowercased (a symbolic stand-in). */
  private bucketName(id: string): string {
    let name = this.bucketNames.get(id);
    if (name === undefined) {
      name = this.propertyText(id, "BucketName") ?? id.toLowerCase();
      this.bucketNames.set(id, name);
    }
    return name;
  }

  private sub(node: TemplateMap, site: Site, segments?: SubSegment[]): unknown {
    const argument = intrinsicArgument(node);
    let template: TemplateNode | undefined = argument;
    // The variables map: written out (each variable resolved when used), or produced by an intrinsic.
    let variables: TemplateMap | undefined;
    let produced: Record<string, unknown> | undefined;
    if (argument.kind === "seq") {
      template = argument.items[0];
      const second = argument.items[1];
      if (second?.kind === "map" && !intrinsicName(second)) variables = second;
      else if (second) {
        const value = this.resolve(second, site);
        if (isObject(value)) produced = value;
      }
    }
    if (!template || template.kind !== "scalar" || typeof template.value !== "string") {
      return this.unresolved(node, site, "Fn::Sub takes a string, or a string and a map of variables");
    }
    const text = template.value;
    let offsets: ((offset: number) => number) | undefined;
    let out = "";
    let last = 0;
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      const at = match.index;
      segments?.push({ out: out.length, from: last, literal: true });
      out += text.slice(last, at);
      last = at + match[0].length;
      const name = match[1]!;
      if (name.startsWith("!")) {
        // ${!Literal} is written out as ${Literal}.
        segments?.push({ out: out.length, from: at, literal: true });
        out += `\${${name.slice(1)}}`;
        continue;
      }
      segments?.push({ out: out.length, from: at, literal: false });
      const trimmed = name.trim();
      const variable = variables && entryOf(variables, trimmed);
      let value: unknown;
      if (variable) {
        value = this.resolve(variable.value, site);
      } else if (produced && Object.hasOwn(produced, trimmed)) {
        value = produced[trimmed];
      } else {
        const dot = trimmed.indexOf(".");
        const outcome = dot > 0 && !trimmed.startsWith("AWS::") ? this.attributeOutcome(trimmed.slice(0, dot), trimmed.slice(dot + 1)) : this.refOutcome(trimmed);
        if ("value" in outcome) value = outcome.value;
        else {
          offsets ??= stringOffsetMap(this.tree, template);
          value = this.unresolved(template, site, outcome.reason, match[0], offsets(at), offsets(last));
        }
      }
      out += value === NO_VALUE ? "" : textOf(value);
    }
    segments?.push({ out: out.length, from: last, literal: true });
    out += text.slice(last);
    return out;
  }

  private join(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    if (argument.kind !== "seq" || argument.items.length !== 2) return this.unresolved(node, site, "Fn::Join takes a delimiter and a list");
    const delimiter = this.operand(node, argument.items[0]!, site);
    if (delimiter.unresolved !== undefined) return delimiter.unresolved;
    const list = this.listOperand(node, argument.items[1]!, site);
    if ("unresolved" in list) return list.unresolved;
    if (!Array.isArray(list.value) || typeof delimiter.value !== "string") return this.unresolved(node, site, "Fn::Join takes a delimiter and a list");
    return list.value.map(textOf).join(delimiter.value);
  }

  /**
   * The list argument of Fn::Join or Fn::Select: a list written out keeps each element's own unresolved value
   * (and its position); a list an intrinsic produces is one operand, unresolved as a whole.
   */
  private listOperand(node: TemplateMap, listNode: TemplateNode, site: Site): { value: unknown } | { unresolved: unknown } {
    if (listNode.kind === "seq") return { value: this.resolve(listNode, site) };
    const operand = this.operand(node, listNode, site);
    return operand.unresolved !== undefined ? { unresolved: operand.unresolved } : { value: operand.value };
  }

  private select(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    if (argument.kind !== "seq" || argument.items.length !== 2) return this.unresolved(node, site, "Fn::Select takes an index and a list");
    const index = this.operand(node, argument.items[0]!, site);
    if (index.unresolved !== undefined) return index.unresolved;
    const operand = this.listOperand(node, argument.items[1]!, site);
    if ("unresolved" in operand) return operand.unresolved;
    const list = operand.value;
    const position = toIndex(index.value);
    if (!Array.isArray(list) || !Number.isInteger(position)) return this.unresolved(node, site, "Fn::Select takes an index and a list");
    if (position < 0 || position >= list.length) return this.unresolved(node, site, `the index ${position} is outside the list of ${list.length}`);
    return list[position];
  }

  private split(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    if (argument.kind !== "seq" || argument.items.length !== 2) return this.unresolved(node, site, "Fn::Split takes a delimiter and a string");
    const delimiter = this.operand(node, argument.items[0]!, site);
    if (delimiter.unresolved !== undefined) return delimiter.unresolved;
    const source = this.operand(node, argument.items[1]!, site);
    if (source.unresolved !== undefined) return source.unresolved;
    if (typeof delimiter.value !== "string" || delimiter.value === "" || typeof source.value !== "string") return this.unresolved(node, site, "Fn::Split takes a delimiter and a string");
    return splitOutsidePlaceholders(source.value, delimiter.value);
  }

  /**
   * An argument of Fn::Split, Fn::Select or Fn::Join, resolved quietly. When it holds a value that cannot be
   * evaluated, the whole call is one unresolved value (`unresolved`, its «…» stand-in), with the reasons of
   * what is inside: cutting a stand-in into pieces would make up values.
   */
  private operand(node: TemplateMap, argument: TemplateNode, site: Site): { value: unknown; unresolved?: string } {
    const quiet = this.silentSite(site.resource);
    const value = this.resolve(argument, quiet);
    if (!holdsUnresolvedValue(value)) return { value };
    const reason = quiet.reasons.length > 0 ? quiet.reasons.join("; ") : `${shortForm(argument)} cannot be evaluated`;
    if (site.silent) {
      // Inside another quiet resolution: pass the inner reasons on as they are.
      site.reasons.push(...(quiet.reasons.length > 0 ? quiet.reasons : [`${shortForm(node)}: ${reason}`]));
      return { value, unresolved: unresolvedText(shortForm(node)) };
    }
    return { value, unresolved: this.unresolved(node, site, reason) };
  }

  private findInMap(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    if (argument.kind !== "seq" || argument.items.length < 3) return this.unresolved(node, site, "Fn::FindInMap takes a mapping name and two keys");
    const quiet = this.silentSite(site.resource);
    const names: string[] = [];
    for (const item of argument.items.slice(0, 3)) {
      const value = this.resolve(item, quiet);
      if (typeof value !== "string" && typeof value !== "number") return this.unresolved(node, site, "the mapping's name and keys must be strings");
      const text = String(value);
      if (text.includes(UNRESOLVED_OPEN)) {
        const reason = quiet.reasons.length > 0 ? `a key cannot be evaluated (${quiet.reasons.join("; ")})` : "a key depends on the Region the stack is deployed to";
        return this.unresolved(node, site, reason);
      }
      names.push(text);
    }
    const [mapping, top, second] = names as [string, string, string];
    const level1 = this.mappings && entryOf(this.mappings, mapping)?.value;
    const level2 = level1?.kind === "map" ? entryOf(level1, top)?.value : undefined;
    const found = level2?.kind === "map" ? entryOf(level2, second)?.value : undefined;
    if (found) return this.resolve(found, site);
    const options = argument.items[3];
    const fallback = options?.kind === "map" ? entryOf(options, "DefaultValue")?.value : undefined;
    if (fallback) return this.resolve(fallback, site);
    return this.unresolved(node, site, level1 ? `the mapping ${mapping} has no value for ${top} / ${second}` : `the template has no mapping named ${mapping}`);
  }

  private fnIf(node: TemplateMap, argument: TemplateNode, site: Site): unknown {
    if (argument.kind !== "seq" || argument.items.length !== 3) return this.unresolved(node, site, "Fn::If takes a condition name and two values");
    const [name, whenTrue, whenFalse] = argument.items as [TemplateNode, TemplateNode, TemplateNode];
    if (name.kind !== "scalar" || typeof name.value !== "string") return this.unresolved(node, site, "Fn::If takes a condition name and two values");
    const value = this.condition(name.value);
    if (typeof value !== "boolean") return this.unresolved(node, site, `the condition ${name.value} cannot be evaluated: ${value.reason}`);
    const branch = value ? whenTrue : whenFalse;
    this.ifChoices.set(node, branch);
    return this.resolve(branch, site);
  }

  // ------------------------------------------------------------------------------------------- conditions

  private condition(name: string): ConditionValue {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    if (this.conditionsInProgress.has(name)) return { reason: `the condition ${name} refers to itself` };
    const entry = this.conditions && entryOf(this.conditions, name);
    if (!entry) return { reason: `the template has no condition named ${name}` };
    this.conditionsInProgress.add(name);
    const value = this.evaluate(entry.value);
    this.conditionsInProgress.delete(name);
    this.conditionValues.set(name, value);
    return value;
  }

  private evaluate(node: TemplateNode): ConditionValue {
    if (node.kind === "scalar") {
      if (typeof node.value === "boolean") return node.value;
      if (node.value === "true" || node.value === "false") return node.value === "true";
      return { reason: `${shortForm(node)} is not a condition` };
    }
    const name = intrinsicName(node) ?? (node.kind === "map" && node.entries.length === 1 && node.entries[0]!.key === "Condition" ? "Condition" : undefined);
    if (!name || node.kind !== "map") return { reason: `${shortForm(node)} is not a condition function` };
    const argument = intrinsicArgument(node);
    const items = argument.kind === "seq" ? argument.items : [argument];
    switch (name) {
      case "Condition":
        return argument.kind === "scalar" && typeof argument.value === "string" ? this.condition(argument.value) : { reason: "Condition takes a condition name" };
      case "Fn::Not": {
        const value = items.length === 1 ? this.evaluate(items[0]!) : { reason: "Fn::Not takes one condition" };
        return typeof value === "boolean" ? !value : value;
      }
      case "Fn::And":
      case "Fn::Or": {
        // Three-valued: one false decides And, one true decides Or, even when other parts are unknown.
        const decisive = name === "Fn::Or";
        let unknown: { reason: string } | undefined;
        for (const item of items) {
          const value = this.evaluate(item);
          if (value === decisive) return decisive;
          if (typeof value !== "boolean") unknown ??= value;
        }
        return unknown ?? !decisive;
      }
      case "Fn::Equals": {
        if (items.length !== 2) return { reason: "Fn::Equals takes two values" };
        const quiet = this.silentSite(undefined);
        const [left, right] = [this.resolve(items[0]!, quiet), this.resolve(items[1]!, quiet)];
        if (holdsUnresolved(left) || holdsUnresolved(right)) {
          return { reason: quiet.reasons.length > 0 ? quiet.reasons.join("; ") : "it depends on the Region the stack is deployed to" };
        }
        return canonical(left) === canonical(right);
      }
      default:
        return { reason: `${name} is not a condition function` };
    }
  }

  // --------------------------------------------------------------------------------------------- problems

  /** A plain scalar YAML reads as a number: kept as written, and flagged where CloudFormation may change it. */
  private checkNumber(node: TemplateScalar, site: Site): void {
    const text = node.numberText!;
    const leadingZero = /^0\d{11}$/.test(text);
    // In a policy, a number whose text survives being read as a number (10, 3600) is harmless; an account id
    // (12 digits) or a number written another way (007, 1e3, 0x1f) is not.
    const changes = String(Number(text)) !== text || /^\d{12}$/.test(text);
    if (!leadingZero && !(site.inPolicy && changes)) return;
    if (this.warnedNumbers.has(node)) return;
    this.warnedNumbers.add(node);
    const message = leadingZero
      ? `${text} is written without quotes: CloudFormation may read it as the number ${Number(text)} and drop the leading zero; quote it ("${text}")`
      : `${text} is written without quotes in a policy: CloudFormation may send it as a number rather than a string; quote it ("${text}")`;
    const problem: SourceProblem = { ruleId: "invalid-policy", severity: "warning", message, range: nodeRange(this.tree, node) };
    if (site.resource !== undefined) problem.resource = site.resource;
    this.inventory.problems.push(problem);
  }

  private reportDuplicates(): void {
    for (const map of this.tree.duplicateMaps) {
      if (this.claimedDuplicates.has(map)) continue;
      for (const [first, duplicate] of map.duplicates ?? []) {
        const at = this.tree.positionOf(first.keyStart);
        const resource = this.resourceAt(duplicate.keyStart);
        this.problem(`Duplicate key "${duplicate.key}": it is also written at line ${at.line}, column ${at.column}; only the last one takes effect`, keyRange(this.tree, duplicate), resource);
      }
    }
  }

  /** The logical id of the resource whose text holds an offset. */
  private resourceAt(offset: number): string | undefined {
    // Resources sorted by where they start, found by binary search (one lookup per duplicate key or number).
    const sorted = (this.resourcesByOffset ??= [...this.resources.values()].sort((a, b) => a.keyStart - b.keyStart));
    let low = 0;
    let high = sorted.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (sorted[mid]!.keyStart <= offset) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    // Resources do not overlap, except those one Fn::ForEach generates (which share its text): any of them will do.
    const entry = found === -1 ? undefined : sorted[found]!;
    return entry && offset < entry.value.end ? entry.key : undefined;
  }

  private problem(message: string, range: Range, resource?: string): void {
    const problem: SourceProblem = { ruleId: "invalid-policy", message, range };
    if (resource !== undefined) problem.resource = resource;
    this.inventory.problems.push(problem);
  }
}

// ------------------------------------------------------------------------------------------------ helpers

function assign<K extends keyof InventoryKey>(key: InventoryKey, name: K, value: InventoryKey[K] | undefined): void {
  if (value !== undefined) key[name] = value;
}

/** `${Identifier}` and `&{Identifier}` (the value without non-alphanumeric characters) of Fn::ForEach. */
function replaceIdentifiers(text: string, bindings: Map<string, string>): string {
  if (!text.includes("{")) return text;
  return text.replace(/([$&])\{([^}]*)\}/g, (whole, sign: string, name: string) => {
    const value = bindings.get(name);
    if (value === undefined) return whole;
    return sign === "&" ? value.replace(/[^A-Za-z0-9]/g, "") : value;
  });
}

/** A template subtree with Fn::ForEach's identifiers replaced (unchanged nodes are shared, not copied). */
function substitute(node: TemplateNode, bindings: Map<string, string>): TemplateNode {
  if (bindings.size === 0) return node;
  if (node.kind === "scalar") {
    if (typeof node.value !== "string") return node;
    const value = replaceIdentifiers(node.value, bindings);
    return value === node.value ? node : { ...node, value };
  }
  if (node.kind === "seq") {
    const items = node.items.map((item) => substitute(item, bindings));
    return items.every((item, i) => item === node.items[i]) ? node : { ...node, items };
  }
  const argument = intrinsicName(node) === "Ref" ? intrinsicArgument(node) : undefined;
  if (argument?.kind === "scalar" && typeof argument.value === "string" && bindings.has(argument.value)) {
    return { kind: "scalar", value: bindings.get(argument.value)!, style: "plain", start: node.start, end: node.end };
  }
  let changed = false;
  const entries = node.entries.map((entry) => {
    const key = replaceIdentifiers(entry.key, bindings);
    const value = substitute(entry.value, bindings);
    if (key === entry.key && value === entry.value) return entry;
    changed = true;
    return { ...entry, key, value };
  });
  if (!changed) return node;
  const copy: TemplateMap = { kind: "map", entries, start: node.start, end: node.end };
  if (node.tag !== undefined) copy.tag = node.tag;
  return copy;
}

function startsWith(path: Path, prefix: Path): boolean {
  if (path.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/** A value that is only a «…» stand-in (the Region's aside). */
function isWhollyUnresolved(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(UNRESOLVED_OPEN) && value.indexOf(UNRESOLVED_CLOSE) === value.length - 1 && containsUnresolved(value);
}

/** Whether a value holds a «…» stand-in for a value that could not be evaluated (not the Region's). */
function holdsUnresolvedValue(value: unknown): boolean {
  if (typeof value === "string") return containsUnresolved(value);
  if (Array.isArray(value)) return value.some(holdsUnresolvedValue);
  if (isObject(value)) return Object.values(value).some(holdsUnresolvedValue);
  return false;
}

function toIndex(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
}

/** Fn::Split that never cuts a «…» stand-in (the Region's) in two. */
function splitOutsidePlaceholders(source: string, delimiter: string): string[] {
  if (!source.includes(UNRESOLVED_OPEN)) return source.split(delimiter);
  const parts: string[] = [];
  let from = 0;
  let at = 0;
  while (at <= source.length - delimiter.length) {
    if (source.startsWith(UNRESOLVED_OPEN, at)) {
      const close = source.indexOf(UNRESOLVED_CLOSE, at);
      if (close !== -1) {
        at = close + 1;
        continue;
      }
    }
    if (source.startsWith(delimiter, at)) {
      parts.push(source.slice(from, at));
      at += delimiter.length;
      from = at;
    } else at++;
  }
  parts.push(source.slice(from));
  return parts;
}

/** Whether a value holds any «…» stand-in, the Region's included (a comparison with it cannot be decided). */
function holdsUnresolved(value: unknown): boolean {
  if (typeof value === "string") return value.includes(UNRESOLVED_OPEN);
  if (Array.isArray(value)) return value.some(holdsUnresolved);
  if (isObject(value)) return Object.values(value).some(holdsUnresolved);
  return false;
}

function canonical(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value) ?? "";
}

/** A resolved value as text, the way Fn::Sub and Fn::Join write it. */
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined || value === NO_VALUE) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(textOf).join(",");
  return JSON.stringify(value) ?? "";
}

function scalarText(node: TemplateScalar): string {
  return node.numberText ?? (node.value === null ? "" : String(node.value));
}

function splitList(value: string): string[] {
  return value === "" ? [] : value.split(",").map((item) => item.trim());
}

function asString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** CloudFormation accepts the strings "true" and "false" for a Boolean property. */
function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return undefined;
}

function asInteger(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (Array.isArray(value)) return "a list";
  if (isObject(value)) return "a map";
  return String(value);
}

/** What is not checked because a value at `path` inside a policy could not be evaluated. */
function policyConsequence(path: Path, value: unknown, label: string): string {
  if (path.length === 0) return `the ${label} is not checked`;
  if (path[0] !== "Statement") return `the ${String(path[0])} of the ${label} is not checked`;
  const statements = isObject(value) ? value["Statement"] : undefined;
  let index = 0;
  let statement: unknown = statements;
  let rest: Path;
  if (Array.isArray(statements)) {
    if (typeof path[1] !== "number") return `the statements of the ${label} are not checked`;
    index = path[1];
    statement = statements[index];
    rest = path.slice(2);
  } else {
    if (path.length === 1) return `the statements of the ${label} are not checked`;
    rest = path.slice(1);
  }
  const sid = isObject(statement) ? statement["Sid"] : undefined;
  const name = typeof sid === "string" && sid !== "" && !sid.includes(UNRESOLVED_OPEN) ? `"${sid}"` : `#${index}`;
  const where = `statement ${name} in the ${label}`;
  switch (rest[0]) {
    case undefined:
      return `${where} is not checked`;
    case "Principal":
    case "NotPrincipal":
      return `the principal of ${where} is not checked`;
    case "Action":
    case "NotAction":
      return `the actions of ${where} are not checked`;
    case "Resource":
    case "NotResource":
      return `the resources of ${where} are not checked`;
    case "Condition":
      return `the condition of ${where} is not checked`;
    default:
      return `the ${String(rest[0])} of ${where} is not checked`;
  }
}

/** An intrinsic as the user would write it in short form, shortened: `!Ref TrustedAccount`, `!If [IsProd, …]`. */
function shortForm(node: TemplateNode, depth = 0): string {
  const text = writeShort(node, depth);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function writeShort(node: TemplateNode, depth: number): string {
  if (node.kind === "scalar") {
    const text = scalarText(node);
    const short = text.length > 60 ? `${text.slice(0, 59)}…` : text;
    // Quoted as YAML would need it, so that `!Join ["", …]` does not read as `!Join [, …]`.
    return typeof node.value === "string" && (text === "" || /^[\s!&*|>'"%@`#[\]{},-]|[,[\]{}]|: | #|:$|\s$/.test(text)) ? JSON.stringify(short) : short;
  }
  if (depth > 3) return "…";
  if (node.kind === "seq") return `[${node.items.map((item) => writeShort(item, depth + 1)).join(", ")}]`;
  const name = intrinsicName(node);
  if (!name) return "{…}";
  const argument = intrinsicArgument(node);
  const tag = SHORT_TAGS[name] ?? `!${name.slice(4)}`;
  if (name === "Fn::GetAtt" && argument.kind === "seq" && argument.items.every((item) => item.kind === "scalar")) {
    return `${tag} ${argument.items.map((item) => scalarText(item as TemplateScalar)).join(".")}`;
  }
  if (name === "Fn::If" && argument.kind === "seq" && argument.items[0]?.kind === "scalar") return `${tag} [${scalarText(argument.items[0])}, …]`;
  return `${tag} ${writeShort(argument, depth + 1)}`;
}
