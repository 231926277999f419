/**
 * Terraform plans and states in JSON, read into an Inventory.
 *
 * `terraform show -json plan.out` prints a plan: `planned_values` (every resource as it will be after apply,
 * with the values Terraform does not know yet left out), `resource_changes` (per resource, `after_unknown`
 * says which values those are), `configuration` (the expressions as written, with the references each one
 * makes) and `prior_state` (what was read while planning, such as data sources). `terraform show -json` on a
 * state prints `values` in the shape of planned_values, with every value known.
 *
 * Keys, buckets and the resources that attach policies, aliases and default encryption to them are read
 * from the values. A link between two resources (which key an `aws_kms_key_policy` belongs to, which key a
 * bucket's default encryption names) comes from the configuration's references when the linking value is
 * known only after apply, and from the literal values otherwise. A value that stays unknown is reported as
 * such (PEERS.md P14), never guessed.
 *
 * Positions: values are found in the text with the JSON locator; a policy string is parsed on its own and its
 * positions are mapped back through the string's escapes, so a finding inside a policy points at the
 * characters of the plan file.
 */
import type { PolicyDocument } from "../model/document.js";
import { jsonStringOffsetMap, stringPolicyDocument, unresolvedText } from "../model/embedded.js";
import {
  keyReferenceForm,
  knownValue,
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
  type UnresolvedValue,
} from "../model/inventory.js";
import { FIRST_CHARACTER, type Locator, type Path, type Range, type Target as LocateTarget } from "../model/json.js";
import type { PolicyKind } from "../model/policy.js";

export interface ParsedPlan {
  value: unknown;
  text: string;
  locator: Locator;
}

type JsonObject = Record<string, unknown>;

const KEY_TYPES = new Set(["aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key"]);
/** The managed resource types kmslint reads; every other resource is skipped. */
const READ_TYPES = new Set([
  ...KEY_TYPES,
  "aws_kms_key_policy",
  "aws_kms_alias",
  "aws_s3_bucket",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_server_side_encryption_configuration",
]);

/**
 * The AWS provider normalizes policy JSON (structure.NormalizeJsonString, compact) before CreateKey and
 * PutKeyPolicy, so an indented policy string (a data.aws_iam_policy_document's json) is sent compact.
 */
/** Nested blocks kmslint reads (the rest of the paths it reads are attributes). */
const BLOCK_NAMES = new Set(["rule", "apply_server_side_encryption_by_default", "server_side_encryption_configuration"]);
/** The block a resource type requires: missing from the configuration, it is a `dynamic` block. */
const REQUIRED_BLOCK = new Map([["aws_s3_bucket_server_side_encryption_configuration", "rule"]]);

const SIZE_BASIS = "as the AWS provider sends it (compact JSON)";
const KNOWN_AFTER_APPLY = "known only after apply";
/** References that only pick an instance or a path; they say nothing about where a value comes from. */
const INSTANCE_REFERENCE = /^(count|each|path|terraform|self)\b/;
/** Module outputs and variables are followed through at most this many modules. */
const MAX_REFERENCE_DEPTH = 16;

/**
 * Reads a Terraform plan or state (`terraform show -json`) into an Inventory. Never throws: a file of the wrong
 * shape gives `invalid-policy` problems at the parts that are wrong, and the rest is read.
 */
export function loadTerraformPlan(parsed: ParsedPlan, filePath: string, context: SourceContext): Inventory {
  const inventory: Inventory = { filePath, format: "terraform-plan", keys: [], buckets: [], aliases: [], policies: [], unresolved: [], problems: [], resourceCount: 0 };
  try {
    new PlanReader(parsed, filePath, context, inventory).read();
  } catch (error) {
    // Every shape is checked before it is used, so this is a last resort: one odd plan must give a finding, not
    // end the run (PEERS.md P18).
    const detail = error instanceof Error ? error.message : String(error);
    inventory.problems.push({
      ruleId: "invalid-policy",
      message: `kmslint could not finish reading this Terraform plan (${detail}); what it read before that is checked. Please report this with the plan attached.`,
      range: FIRST_CHARACTER,
    });
  }
  return inventory;
}

/** One module of the configuration (`configuration.root_module`, or a `module_calls.<name>.module`). */
interface ConfigModule {
  /** By address relative to the module: `aws_kms_key.data`, `data.aws_iam_policy_document.key`. */
  resources: Map<string, JsonObject>;
  calls: Map<string, { expressions: unknown; module: ConfigModule }>;
  outputs: unknown;
  /** The call that instantiates this module; undefined for the root module. */
  caller?: { module: ConfigModule; callName: string };
}

/** An array of the plan text, scanned once up to `last` so that positions inside its elements are found without rescanning it. */
interface ArrayMark {
  path: Path;
  /** The last element kmslint may need a position in. */
  last: number;
}

/** A module instance of planned_values (or values): `""` for the root, `module.lake`, `module.lake[0]`. */
interface ModuleInstance {
  address: string;
  config: ConfigModule | undefined;
  parent: ModuleInstance | undefined;
  path: Path;
  /** The arrays on the way from the document's root to this module's object. */
  arrays: ArrayMark[];
  scope?: Scope;
}

interface PlanResource {
  address: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index: unknown;
  values: JsonObject;
  /** Path of the resource's object in the text. */
  path: Path;
  arrays: ArrayMark[];
  module: ModuleInstance;
  /** `resource_changes[].change.after_unknown` for this address. */
  afterUnknown: unknown;
  /** The resource's block in the configuration, when the plan has one. */
  config: JsonObject | undefined;
  ref?: ResourceRef;
}

/** Where references are evaluated: a configuration module and the address prefix of its instance. */
interface Scope {
  config: ConfigModule | undefined;
  prefix: string;
  parent: Scope | undefined;
}

/** What a reference in the configuration leads to. */
interface ReferenceTarget {
  mode: "managed" | "data";
  type: string;
  /** The attribute read (`arn`, `key_id`), when the reference names one. */
  attribute: string | undefined;
  /** The resource instance, when it is in the plan and the reference picks one instance. */
  resource: PlanResource | undefined;
  /** The reference as written, e.g. `aws_kms_key.data.arn`. */
  expression: string;
  /** The instance's address (`module.lake.data.aws_kms_alias.s3`), for data sources read into prior_state. */
  address: string;
  /** The resource's block in the configuration of the module the reference leads to. */
  config: JsonObject | undefined;
}

/** The key reference an attribute's references make, and what it leads to. */
interface ReferencedKey {
  form: KeyReferenceForm;
  /** The customer managed key of this inventory, when the reference leads to one. */
  key: InventoryKey | undefined;
  /** The reference reads the AWS managed key aws/s3 (a data source of alias/aws/s3, or of a key whose key_manager is AWS). */
  awsManaged: boolean;
  /** The reference leads to a data source kmslint cannot evaluate: the data source's address. */
  unevaluated?: string;
}

/** The data sources that read a KMS key or alias (`data.aws_kms_alias.s3.target_key_arn`). */
const KEY_DATA_TYPES = new Set(["aws_kms_alias", "aws_kms_key"]);

/** A value in planned_values: known, known only after apply, or not set. */
type Setting = { state: "known"; value: unknown } | { state: "unknown" } | { state: "absent" };

/** A resource's `policy` attribute: a policy to lint (maybe unresolved), nothing written, or a value of the wrong type. */
type PolicyAttribute = { state: "policy"; policy: InventoryPolicy } | { state: "none" } | { state: "invalid" };

/** A link from one resource to another through an attribute (`key_id`, `bucket`). */
interface Link<T> {
  found: T | undefined;
  /** The value is known only after apply and neither references nor literals lead anywhere. */
  unknown: boolean;
  /** The literal value, or the reference as written. */
  written: string | undefined;
}

class PlanReader {
  private readonly locator: Locator;
  private readonly text: string;
  private readonly scanned = new Set<ArrayMark>();
  private readonly changes = new Map<string, JsonObject>();
  private configRoot: ConfigModule | undefined;
  private hasConfiguration = false;
  private source: "plan" | "state" = "plan";
  private readonly resources: PlanResource[] = [];
  /** Resource instances by address without the instance key: `module.lake.aws_kms_key.data`. */
  private readonly instances = new Map<string, PlanResource[]>();
  /** Module instances by parent instance address and call name. */
  private readonly moduleInstances = new Map<string, ModuleInstance[]>();
  private readonly keyOf = new Map<PlanResource, InventoryKey>();
  private readonly bucketOf = new Map<PlanResource, InventoryBucket>();
  private readonly aliasOf = new Map<PlanResource, InventoryAlias>();
  /** Keys by their known ARN, id and key id. */
  private readonly keyByLiteral = new Map<string, InventoryKey>();
  /** Buckets by their known name, id and ARN. */
  private readonly bucketByLiteral = new Map<string, InventoryBucket>();
  private readonly aliasByName = new Map<string, InventoryAlias>();
  private readonly aliasByArn = new Map<string, InventoryAlias>();
  private readonly resourceOfAlias = new Map<InventoryAlias, PlanResource>();
  /** Values of the data sources reading KMS keys and aliases that prior_state holds, by instance address. */
  private readonly priorData = new Map<string, JsonObject>();
  private readonly value: unknown;

  constructor(
    parsed: ParsedPlan,
    private readonly filePath: string,
    private readonly context: SourceContext,
    private readonly inventory: Inventory,
  ) {
    this.locator = parsed.locator;
    this.text = parsed.text;
    this.value = parsed.value;
  }

  read(): void {
    const root = this.value;
    if (!isObject(root)) {
      this.problem(
        `The file is JSON but ${describe(root)}, not a Terraform plan or state: expected an object with format_version and planned_values (terraform show -json plan.out) or values (terraform show -json). Nothing in it was checked.`,
        FIRST_CHARACTER,
      );
      return;
    }
    const valuesKey = Object.hasOwn(root, "planned_values") ? "planned_values" : Object.hasOwn(root, "values") ? "values" : undefined;
    if (valuesKey === undefined) {
      this.problem(
        "The file has neither planned_values (terraform show -json plan.out) nor values (terraform show -json on a state), so it holds no resources to check. Run terraform show -json on the saved plan.",
        FIRST_CHARACTER,
      );
      return;
    }
    this.source = valuesKey === "planned_values" ? "plan" : "state";
    const rootModule = own(root[valuesKey], "root_module");
    if (!isObject(rootModule)) {
      const where = isObject(root[valuesKey]) && Object.hasOwn(root[valuesKey], "root_module") ? [valuesKey, "root_module"] : [valuesKey];
      this.problem(`${valuesKey}.root_module is ${describe(rootModule)}, expected an object with the resources of the root module: no resource was read.`, this.locator.locate(where));
      return;
    }
    this.indexChanges(root);
    this.indexConfiguration(root);
    this.indexPriorData(root);
    this.collect(rootModule, [valuesKey, "root_module"]);
    this.readOwner(root);

    const byType = (type: string) => this.resources.filter((r) => r.mode === "managed" && r.type === type);
    const keyResources = this.resources.filter((r) => r.mode === "managed" && KEY_TYPES.has(r.type));
    for (const resource of keyResources) this.readKey(resource);
    for (const resource of byType("aws_s3_bucket")) this.readBucket(resource);
    for (const resource of byType("aws_kms_alias")) this.readAlias(resource);

    const keyPolicies = new Map<InventoryKey, InventoryPolicy[]>();
    const unlinked = byType("aws_kms_key_policy").filter((resource) => this.readKeyPolicyResource(resource, keyPolicies));
    for (const resource of keyResources) this.settleKeyPolicy(resource, keyPolicies, unlinked);

    const bucketPolicies = new Map<InventoryBucket, InventoryPolicy[]>();
    for (const resource of byType("aws_s3_bucket_policy")) this.readBucketPolicyResource(resource, bucketPolicies);
    const encrypted = new Set<InventoryBucket>();
    for (const resource of byType("aws_s3_bucket_server_side_encryption_configuration")) this.readEncryptionResource(resource, encrypted);
    for (const resource of byType("aws_s3_bucket")) this.settleBucket(resource, bucketPolicies, encrypted);
  }

  // ── Indexes ──────────────────────────────────────────────────────────────────────────────────────────

  /** `resource_changes` by address (deposed objects aside: they are being destroyed). */
  private indexChanges(root: JsonObject): void {
    const changes = root["resource_changes"];
    if (changes === undefined || changes === null) return;
    if (!Array.isArray(changes)) {
      this.problem(`resource_changes is ${describe(changes)}, expected a list: values known only after apply cannot be told from values not set.`, this.locator.locate(["resource_changes"]));
      return;
    }
    for (const entry of changes) {
      if (!isObject(entry) || typeof entry["address"] !== "string" || entry["deposed"] !== undefined) continue;
      const change = entry["change"];
      if (isObject(change)) this.changes.set(entry["address"], change);
    }
  }

  /** Data sources read while planning are in prior_state (planned_values holds those read during apply). */
  private indexPriorData(root: JsonObject): void {
    for (const { address, type, values } of priorDataSources(root)) if (KEY_DATA_TYPES.has(type)) this.priorData.set(address, values);
  }

  private indexConfiguration(root: JsonObject): void {
    const rootModule = own(root["configuration"], "root_module");
    if (!isObject(rootModule)) return;
    this.hasConfiguration = true;
    const make = (node: unknown, caller?: ConfigModule["caller"]): ConfigModule => ({ resources: new Map(), calls: new Map(), outputs: own(node, "outputs"), ...(caller ? { caller } : {}) });
    this.configRoot = make(rootModule);
    const stack: [unknown, ConfigModule][] = [[rootModule, this.configRoot]];
    while (stack.length > 0) {
      const [node, module] = stack.pop()!;
      const resources = own(node, "resources");
      if (Array.isArray(resources)) {
        for (const resource of resources) {
          if (!isObject(resource)) continue;
          const { mode, type, name } = resource;
          if (typeof type !== "string" || typeof name !== "string") continue;
          module.resources.set(`${mode === "data" ? "data." : ""}${type}.${name}`, resource);
        }
      }
      const calls = own(node, "module_calls");
      if (!isObject(calls)) continue;
      for (const [callName, call] of Object.entries(calls)) {
        if (!isObject(call)) continue;
        const child = make(call["module"], { module, callName });
        module.calls.set(callName, { expressions: call["expressions"], module: child });
        if (isObject(call["module"])) stack.push([call["module"], child]);
      }
    }
  }

  /** Walks the root module and its child modules, in document order, keeping the resources kmslint reads. */
  private collect(rootModule: JsonObject, rootPath: Path): void {
    const root: ModuleInstance = { address: "", config: this.configRoot, parent: undefined, path: rootPath, arrays: [] };
    const stack: [JsonObject, ModuleInstance][] = [[rootModule, root]];
    while (stack.length > 0) {
      const [module, instance] = stack.pop()!;
      const resources = module["resources"];
      if (resources !== undefined && resources !== null) {
        if (!Array.isArray(resources)) {
          this.problem(`${renderPath(instance.path)}.resources is ${describe(resources)}, expected a list of resources: none of them was read.`, this.locateIn(instance.arrays, [...instance.path, "resources"]));
        } else {
          const mark: ArrayMark = { path: [...instance.path, "resources"], last: resources.length - 1 };
          const arrays = [...instance.arrays, mark];
          let last = -1;
          resources.forEach((entry, index) => {
            if (this.addResource(entry, index, instance, arrays)) last = index;
          });
          // Resources after the last one read are never located: the scan can stop there.
          mark.last = last;
        }
      }
      const children = module["child_modules"];
      if (children === undefined || children === null) continue;
      const childrenPath = [...instance.path, "child_modules"];
      if (!Array.isArray(children)) {
        this.problem(`${renderPath(instance.path)}.child_modules is ${describe(children)}, expected a list of modules: their resources were not read.`, this.locateIn(instance.arrays, childrenPath));
        continue;
      }
      const arrays = [...instance.arrays, { path: childrenPath, last: children.length - 1 }];
      const pending: [JsonObject, ModuleInstance][] = [];
      children.forEach((child, index) => {
        const path = [...childrenPath, index];
        if (!isObject(child)) {
          this.problem(`${renderPath(path)} is ${describe(child)}, expected a module (an object with address, resources and child_modules).`, this.locateIn(arrays, path));
          return;
        }
        const address = typeof child["address"] === "string" ? child["address"] : undefined;
        const call = address === undefined ? undefined : lastModuleCall(address);
        if (address === undefined || call === undefined) {
          this.problem(`${renderPath(path)} has no module address (module.<name>): its resources cannot be linked through the configuration.`, this.locateIn(arrays, path));
        }
        const config = call ? instance.config?.calls.get(call.name)?.module : undefined;
        const childInstance: ModuleInstance = { address: address ?? instance.address, config, parent: instance, path, arrays };
        if (call) push(this.moduleInstances, `${instance.address}\u0000${call.name}`, childInstance);
        pending.push([child, childInstance]);
      });
      for (let k = pending.length - 1; k >= 0; k--) stack.push(pending[k]!);
    }
  }

  /** Keeps the resource if kmslint reads its type; true when it did, or reported a problem in it (both need positions). */
  private addResource(entry: unknown, index: number, module: ModuleInstance, arrays: ArrayMark[]): boolean {
    const path = [...module.path, "resources", index];
    if (!isObject(entry)) {
      this.problem(`${renderPath(path)} is ${describe(entry)}, expected a resource (an object with address, mode, type, name and values).`, this.locateIn(arrays, path));
      return true;
    }
    const { address, mode, type, name } = entry;
    const missing = [
      typeof address === "string" ? undefined : "address",
      mode === "managed" || mode === "data" ? undefined : "mode (managed or data)",
      typeof type === "string" ? undefined : "type",
      typeof name === "string" ? undefined : "name",
    ].filter((item): item is string => item !== undefined);
    if (missing.length > 0) {
      this.problem(`${renderPath(path)} is not a resource Terraform prints: it has no ${joinWords(missing)}. It was not read.`, this.locateIn(arrays, path));
      return true;
    }
    const resourceMode = mode as "managed" | "data";
    const resourceType = type as string;
    const read = resourceMode === "managed" ? READ_TYPES.has(resourceType) : resourceType === "aws_caller_identity" || KEY_DATA_TYPES.has(resourceType);
    if (!read) return false;
    const values = entry["values"];
    if (!isObject(values)) {
      const where = Object.hasOwn(entry, "values") ? [...path, "values"] : path;
      this.problem(`values is ${describe(values)}, expected an object of the resource's attributes: the resource was not read.`, this.locateIn(arrays, where), address as string);
      return true;
    }
    const configKey = `${resourceMode === "data" ? "data." : ""}${resourceType}.${name as string}`;
    const resource: PlanResource = {
      address: address as string,
      mode: resourceMode,
      type: resourceType,
      name: name as string,
      index: entry["index"],
      values,
      path,
      arrays,
      module,
      afterUnknown: own(this.changes.get(address as string), "after_unknown"),
      config: module.config?.resources.get(configKey),
    };
    this.resources.push(resource);
    push(this.instances, module.address ? `${module.address}.${configKey}` : configKey, resource);
    if (resourceMode === "managed") this.inventory.resourceCount++;
    return true;
  }

  /** The account that owns the resources: --account, or the account `data.aws_caller_identity` read. */
  private readOwner(root: JsonObject): void {
    const given = this.context.trust.account;
    if (given) {
      this.inventory.owner = { account: given, reason: "the account given (--account or the config file)" };
      return;
    }
    const found: { account: string; address: string }[] = [];
    for (const resource of this.resources) {
      if (resource.mode !== "data" || resource.type !== "aws_caller_identity") continue;
      const account = resource.values["account_id"];
      if (typeof account === "string" && /^\d{12}$/.test(account)) found.push({ account, address: resource.address });
    }
    // Data sources read while planning are in prior_state.
    for (const { address, type, values } of priorDataSources(root)) {
      const account = values["account_id"];
      if (type === "aws_caller_identity" && typeof account === "string" && /^\d{12}$/.test(account)) found.push({ account, address });
    }
    // Several providers may read different accounts; then the plan does not say which one owns what.
    const accounts = new Set(found.map((f) => f.account));
    if (accounts.size === 1) this.inventory.owner = { account: found[0]!.account, reason: `${found[0]!.address} in the ${this.source}` };
  }

  // ── Keys and aliases ─────────────────────────────────────────────────────────────────────────────────

  private readKey(resource: PlanResource): void {
    const key: InventoryKey = { resource: this.refOf(resource), keyManager: "CUSTOMER", aliases: [] };
    const arn = this.knownString(resource, ["arn"]);
    if (arn !== undefined) key.arn = arn;
    for (const attribute of ["arn", "id", "key_id"]) {
      const literal = this.knownString(resource, [attribute]);
      if (literal !== undefined) this.keyByLiteral.set(literal, key);
    }
    const a = resource.address;
    const replica = resource.type === "aws_kms_replica_key" || resource.type === "aws_kms_replica_external_key";
    const external = resource.type === "aws_kms_external_key" || resource.type === "aws_kms_replica_external_key";
    if (external) key.origin = { known: true, value: "EXTERNAL", range: key.resource.anchor };
    const enabledAttribute = resource.type === "aws_kms_key" ? "is_enabled" : "enabled";
    const enabled = this.fact<boolean>(resource, [enabledAttribute], "boolean", `whether ${a} is enabled is not checked`);
    if (enabled) key.enabled = enabled;
    if (replica) {
      // A replica's spec, usage and rotation are those of its primary (AWS-FACTS.md §2.1).
      key.multiRegion = { known: true, value: true, range: key.resource.anchor };
      const primary = this.linkText(resource, ["primary_key_arn"]);
      key.replicaOf = primary ?? unresolvedText(`${a}.primary_key_arn`);
    } else {
      const specAttribute = resource.type === "aws_kms_key" ? "customer_master_key_spec" : "key_spec";
      const keySpec = this.fact<string>(resource, [specAttribute], "string", `the key spec of ${a} is not known, so whether it can rotate is not checked`);
      if (keySpec) key.keySpec = keySpec;
      const keyUsage = this.fact<string>(resource, ["key_usage"], "string", `the key usage of ${a} is not known, so whether it can rotate is not checked`);
      if (keyUsage) key.keyUsage = keyUsage;
      const multiRegion = this.fact<boolean>(resource, ["multi_region"], "boolean", `whether ${a} is a multi-Region key is not known`);
      if (multiRegion) key.multiRegion = multiRegion;
    }
    if (resource.type === "aws_kms_key") {
      const rotation = this.fact<boolean>(resource, ["enable_key_rotation"], "boolean", `whether ${a} rotates its key material is not checked`);
      if (rotation) key.rotationEnabled = rotation;
      const period = this.fact<number>(resource, ["rotation_period_in_days"], "number", `the rotation period of ${a} is not checked`);
      // The provider stores 0 for a key that does not rotate (GetKeyRotationStatus gives no period): no period, not
      // a period of 0 days. Only a key known to rotate keeps a 0 (which KMS would refuse).
      const noPeriod = period?.known === true && period.value === 0 && knownValue(key.rotationEnabled) !== true;
      if (period && !noPeriod) key.rotationPeriodDays = period;
      const store =
        this.fact<string>(resource, ["custom_key_store_id"], "string", `whether ${a} is in a custom key store is not known, so whether it can rotate is not checked`) ??
        this.fact<string>(resource, ["xks_key_id"], "string", `whether ${a} is in an external key store is not known, so whether it can rotate is not checked`);
      if (store) key.customKeyStore = store;
    }
    this.keyOf.set(resource, key);
    this.inventory.keys.push(key);
  }

  private readAlias(resource: PlanResource): void {
    const name = this.knownString(resource, ["name"]);
    const alias: InventoryAlias = { resource: this.refOf(resource), name: name ?? unresolvedText(`${resource.address}.name`) };
    const target = this.keyLink(resource, ["target_key_id"]);
    if (target.written !== undefined) alias.target = target.written;
    if (target.found) {
      alias.key = target.found;
      if (name !== undefined) target.found.aliases.push(name);
    } else if (target.unknown) {
      this.unresolved(resource, ["target_key_id"], `which key ${name ?? resource.address} points at is not known, so default encryption that names the alias is not linked to a key`);
    }
    if (name !== undefined) this.aliasByName.set(name, alias);
    const arn = this.knownString(resource, ["arn"]);
    if (arn !== undefined) this.aliasByArn.set(arn, alias);
    this.aliasOf.set(resource, alias);
    this.resourceOfAlias.set(alias, resource);
    this.inventory.aliases.push(alias);
  }

  /** True when the key the policy is for is known only after apply and no reference leads to it: it may be any key. */
  private readKeyPolicyResource(resource: PlanResource, keyPolicies: Map<InventoryKey, InventoryPolicy[]>): boolean {
    return this.readPolicyResource(resource, "key-policy", this.keyLink(resource, ["key_id"]), keyPolicies, "key_id", "the key this policy is for is not known: the policy is checked on its own, not with the key's settings");
  }

  /** A policy in a resource of its own (`aws_kms_key_policy`, `aws_s3_bucket_policy`), linked to its key or bucket when the plan says which. */
  private readPolicyResource<T>(resource: PlanResource, kind: PolicyKind, target: Link<T>, byTarget: Map<T, InventoryPolicy[]>, targetAttribute: string, unknownTarget: string): boolean {
    const attribute = this.policyAttribute(resource, kind, `the ${kind === "key-policy" ? "key" : "bucket"} policy in ${resource.address} is not checked`);
    if (attribute.state === "policy") {
      this.inventory.policies.push(attribute.policy);
      if (target.found) push(byTarget, target.found, attribute.policy);
    }
    const unlinked = !target.found && target.unknown;
    if (unlinked) this.unresolved(resource, [targetAttribute], unknownTarget);
    return unlinked;
  }

  /**
   * The key's policy: that of an `aws_kms_key_policy` for it, or its own `policy`. The key's own attribute is
   * left aside when a policy resource manages the policy and the configuration does not write the attribute:
   * it then only mirrors what the policy resource sets. No policy at all means KMS's default key policy, unless
   * an aws_kms_key_policy whose key is not known may be for this key: then the key's policy is not known.
   */
  private settleKeyPolicy(resource: PlanResource, keyPolicies: Map<InventoryKey, InventoryPolicy[]>, unlinked: readonly PlanResource[]): void {
    const key = this.keyOf.get(resource)!;
    const managed = keyPolicies.get(key);
    let inline: PolicyAttribute = { state: "none" };
    if (!managed || this.written(resource, ["policy"]) === true) {
      inline = this.policyAttribute(resource, "key-policy", `the key policy of ${resource.address} is not checked`);
      if (inline.state === "policy") this.inventory.policies.push(inline.policy);
    }
    const policy = managed?.at(-1) ?? (inline.state === "policy" ? inline.policy : undefined);
    if (policy) key.policy = policy;
    else if (inline.state === "none" && unlinked.length === 0) key.defaultPolicy = true;
    else if (inline.state === "none") {
      // The unlinked policy resources may be anywhere in the plan (a module's key passed through a local), so any of them may be this key's.
      const names = unlinked.map((r) => r.address);
      const shown = names.length > 3 ? [...names.slice(0, 3), `${names.length - 3} more`] : names;
      this.inventory.unresolved.push({
        expression: `${resource.address}.policy`,
        reason: `the key's policy may be set by ${joinWords(shown)}, whose key_id is ${KNOWN_AFTER_APPLY} and leads to no key of the plan`,
        consequence: `the policy of ${resource.address} is not known, so it is not checked against the buckets it encrypts`,
        resource: resource.address,
        range: this.refOf(resource).anchor,
      });
    }
  }

  // ── Buckets ──────────────────────────────────────────────────────────────────────────────────────────

  private readBucket(resource: PlanResource): void {
    const bucket: InventoryBucket = { resource: this.refOf(resource), policies: [] };
    const name = this.knownString(resource, ["bucket"]);
    if (name !== undefined) bucket.name = name;
    const arn = this.knownString(resource, ["arn"]);
    if (arn !== undefined) bucket.arn = arn;
    for (const attribute of ["bucket", "id", "arn"]) {
      const literal = this.knownString(resource, [attribute]);
      if (literal !== undefined) this.bucketByLiteral.set(literal, bucket);
    }
    this.bucketOf.set(resource, bucket);
    this.inventory.buckets.push(bucket);
  }

  private readBucketPolicyResource(resource: PlanResource, bucketPolicies: Map<InventoryBucket, InventoryPolicy[]>): void {
    this.readPolicyResource(resource, "bucket-policy", this.bucketLink(resource), bucketPolicies, "bucket", "the bucket this policy is for is not known: the policy is checked on its own, not with the bucket's encryption");
  }

  private readEncryptionResource(resource: PlanResource, encrypted: Set<InventoryBucket>): void {
    const target = this.bucketLink(resource);
    if (!target.found) {
      if (target.unknown) this.unresolved(resource, ["bucket"], "the bucket this default encryption is for is not known, so it is not checked");
      return;
    }
    const encryption = this.encryption(resource, ["rule"]);
    if (!encryption) return;
    target.found.encryption = encryption;
    encrypted.add(target.found);
  }

  /**
   * The bucket's policies and encryption written in the bucket itself (the AWS provider v3 arguments, which v4
   * and later still report as computed attributes). As for keys, they are left aside when a separate resource
   * manages them and the configuration does not write them on the bucket.
   */
  private settleBucket(resource: PlanResource, bucketPolicies: Map<InventoryBucket, InventoryPolicy[]>, encrypted: Set<InventoryBucket>): void {
    const bucket = this.bucketOf.get(resource)!;
    const managed = bucketPolicies.get(bucket);
    if (!managed || this.written(resource, ["policy"]) === true) {
      const inline = this.policyAttribute(resource, "bucket-policy", `the bucket policy of ${resource.address} is not checked`);
      if (inline.state === "policy") {
        this.inventory.policies.push(inline.policy);
        bucket.policies.push(inline.policy);
      }
    }
    if (managed) bucket.policies.push(...managed);
    if (!encrypted.has(bucket)) {
      const encryption = this.bucketOwnEncryption(resource);
      if (encryption) bucket.encryption = encryption;
    }
  }

  /** `server_side_encryption_configuration` of an aws_s3_bucket: a list of one block that holds the `rule` list. */
  private bucketOwnEncryption(resource: PlanResource): BucketEncryption | undefined {
    const container = ["server_side_encryption_configuration"];
    const setting = this.setting(resource, container);
    if (setting.state === "absent") return undefined;
    if (setting.state === "unknown") return this.encryption(resource, container);
    if (!Array.isArray(setting.value)) {
      this.problemAt(resource, container, `server_side_encryption_configuration is ${describe(setting.value)}, expected a list of one block`);
      return undefined;
    }
    if (setting.value.length === 0) return undefined;
    return this.encryption(resource, [...container, 0, "rule"]);
  }

  /**
   * Default encryption from a `rule` list (AWS-FACTS.md §4.1): the first rule that has
   * apply_server_side_encryption_by_default, its algorithm, its key reference and bucket_key_enabled.
   */
  private encryption(resource: PlanResource, rulesPath: Path): BucketEncryption | undefined {
    const a = resource.address;
    const ref = this.refOf(resource);
    const whole = this.setting(resource, rulesPath);
    if (whole.state === "unknown") {
      if (this.written(resource, rulesPath) === false) return undefined;
      const unresolved = this.unresolved(resource, rulesPath, `the default encryption of ${a} is not checked`);
      return { algorithm: { known: false, unresolved, range: unresolved.range }, keyReferenceForm: "unknown", awsManagedKey: false, resource: ref, anchor: unresolved.range };
    }
    if (whole.state === "absent") return undefined;
    const rules = whole.value;
    if (!Array.isArray(rules)) {
      this.problemAt(resource, rulesPath, `${attributeName(rulesPath)} is ${describe(rules)}, expected a list of rule blocks`);
      return undefined;
    }
    const index = rules.findIndex((rule) => isObject(rule) && rule["apply_server_side_encryption_by_default"] !== undefined && rule["apply_server_side_encryption_by_default"] !== null);
    const chosen = index === -1 ? rules.findIndex((_, i) => this.isUnknown(resource, [...rulesPath, i, "apply_server_side_encryption_by_default"])) : index;
    if (chosen === -1) return undefined;
    const rulePath = [...rulesPath, chosen];
    const byDefault = [...rulePath, "apply_server_side_encryption_by_default", 0];
    const byDefaultList = this.setting(resource, [...rulePath, "apply_server_side_encryption_by_default"]);
    if (byDefaultList.state === "known" && !Array.isArray(byDefaultList.value)) {
      this.problemAt(resource, [...rulePath, "apply_server_side_encryption_by_default"], `apply_server_side_encryption_by_default is ${describe(byDefaultList.value)}, expected a list of one block`);
      return undefined;
    }
    const algorithm = this.fact<string>(resource, [...byDefault, "sse_algorithm"], "string", `the default encryption of ${a} is not checked`);
    if (!algorithm) return undefined;
    const encryption: BucketEncryption = { algorithm, keyReferenceForm: "absent", awsManagedKey: false, resource: ref, anchor: algorithm.range };
    const bucketKey = this.fact<boolean>(resource, [...rulePath, "bucket_key_enabled"], "boolean", `whether ${a} uses an S3 Bucket Key is not known`);
    if (bucketKey) encryption.bucketKeyEnabled = bucketKey;
    // Without a key, aws:kms and aws:kms:dsse use the AWS managed key aws/s3; AES256 uses no KMS key at all, and an
    // algorithm known only after apply says neither.
    const usesKms = knownValue(algorithm)?.startsWith("aws:kms") ?? false;
    const keyPath = [...byDefault, "kms_master_key_id"];
    const setting = this.setting(resource, keyPath);
    if (setting.state === "known" && typeof setting.value !== "string") {
      this.problemAt(resource, keyPath, `kms_master_key_id is ${describe(setting.value)}, expected a key id, key ARN, alias name or alias ARN`);
      return encryption;
    }
    if (setting.state === "known" && setting.value !== "") {
      const reference = setting.value as string;
      const { form, awsManagedKey } = keyReferenceForm(reference);
      encryption.keyReference = { known: true, value: reference, range: this.locate(resource, ["values", ...keyPath]) };
      encryption.keyReferenceForm = form;
      encryption.awsManagedKey = awsManagedKey;
      const link = this.referencedKey(resource, keyPath);
      // data.aws_kms_alias.s3.target_key_arn is read while planning: the literal is then a key ARN, and only the data source says it is aws/s3.
      if (link?.awsManaged) encryption.awsManagedKey = true;
      const key = this.keyByReference(reference, form) ?? link?.key;
      if (key) encryption.key = key;
      return encryption;
    }
    if (setting.state === "unknown") {
      // The value is known only after apply, but the configuration says where it comes from (aws_kms_key.x.arn):
      // that is enough to know the form and the key.
      const link = this.referencedKey(resource, keyPath);
      if (link && link.form !== "unknown" && link.unevaluated === undefined) {
        encryption.keyReferenceForm = link.form;
        encryption.awsManagedKey = link.awsManaged;
        if (link.key) encryption.key = link.key;
        return encryption;
      }
      if (link?.unevaluated !== undefined) {
        // A data source read only during apply (or whose name is not written as a constant): not known to be aws/s3, nor not to be.
        const unresolved = this.unresolved(resource, keyPath, `which key ${link.unevaluated} reads is not known, so whether ${a} is encrypted with the AWS managed key aws/s3 is not checked`);
        encryption.keyReference = { known: false, unresolved, range: unresolved.range };
        encryption.keyReferenceForm = link.form;
        return encryption;
      }
      // aws_kms_key.k[each.key]: Terraform does not print the attribute after a computed index, so the key is known but not how it is named.
      const consequence = link?.key
        ? `whether the key is named by ARN, key id or alias is not known, so whether S3 resolves it in the requester's account is not checked`
        : `which key encrypts ${a} by default is not checked`;
      const unresolved = this.unresolved(resource, keyPath, consequence);
      encryption.keyReference = { known: false, unresolved, range: unresolved.range };
      encryption.keyReferenceForm = "unknown";
      if (link?.key) encryption.key = link.key;
      return encryption;
    }
    encryption.keyReferenceForm = "absent";
    encryption.awsManagedKey = usesKms;
    return encryption;
  }

  // ── Links ────────────────────────────────────────────────────────────────────────────────────────────

  /** The key an attribute (`key_id`, `target_key_id`) names: through the configuration's references, or its literal value. */
  private keyLink(resource: PlanResource, path: Path): Link<InventoryKey> {
    const setting = this.setting(resource, path);
    const literal = setting.state === "known" && typeof setting.value === "string" && setting.value !== "" ? setting.value : undefined;
    const keys = distinct(this.targets(resource, path).map((t) => (t.mode === "managed" && KEY_TYPES.has(t.type) && t.resource ? this.keyOf.get(t.resource) : undefined)));
    const found = keys.length === 1 ? keys[0] : literal === undefined ? undefined : this.keyByLiteralValue(literal);
    return { found, unknown: setting.state === "unknown" && !found, written: this.linkText(resource, path) };
  }

  /** The bucket an attribute `bucket` names: through references to `aws_s3_bucket.b.id`/`.bucket`, or its literal name. */
  private bucketLink(resource: PlanResource): Link<InventoryBucket> {
    const path = ["bucket"];
    const setting = this.setting(resource, path);
    const literal = setting.state === "known" && typeof setting.value === "string" && setting.value !== "" ? setting.value : undefined;
    const buckets = distinct(this.targets(resource, path).map((t) => (t.mode === "managed" && t.type === "aws_s3_bucket" && t.resource ? this.bucketOf.get(t.resource) : undefined)));
    let found = buckets.length === 1 ? buckets[0] : literal === undefined ? undefined : this.bucketByLiteral.get(literal);
    if (!found && buckets.length !== 1 && literal?.startsWith("arn:")) found = this.bucketByLiteral.get(literal.replace(/^arn:[^:]*:s3:::/, ""));
    return { found, unknown: setting.state === "unknown" && !found, written: this.linkText(resource, path) };
  }

  private keyByLiteralValue(literal: string): InventoryKey | undefined {
    const direct = this.keyByLiteral.get(literal);
    if (direct) return direct;
    // A key ARN whose key's ARN is not known yet, but its key id is (key ids are unique across accounts).
    const id = /^arn:[^:]+:kms:[^:]*:[^:]*:key\/(.+)$/.exec(literal)?.[1];
    return id === undefined ? undefined : this.keyByLiteral.get(id);
  }

  /** The key a literal kms_master_key_id names, when it is a key or alias of this inventory. */
  private keyByReference(reference: string, form: KeyReferenceForm): InventoryKey | undefined {
    switch (form) {
      case "key-arn":
      case "key-id":
        return this.keyByLiteralValue(reference);
      case "alias-name":
        return this.aliasByName.get(reference)?.key;
      case "alias-arn": {
        const byArn = this.aliasByArn.get(reference);
        if (byArn) return byArn.key;
        // The alias's own ARN is known only after apply: match its name when the ARN's account is the owner's (or no owner is known).
        const match = /^arn:[^:]+:kms:[^:]*:([^:]*):(alias\/.+)$/.exec(reference);
        if (!match) return undefined;
        const owner = this.inventory.owner?.account;
        const alias = this.aliasByName.get(match[2]!);
        if (!alias || (owner !== undefined && match[1] !== owner)) return undefined;
        const aliasArn = this.knownString(this.resourceOfAlias.get(alias), ["arn"]);
        return aliasArn === undefined ? alias.key : undefined;
      }
      default:
        return undefined;
    }
  }

  /**
   * The key reference an attribute's references make (`aws_kms_key.x.arn` → key ARN, `aws_kms_alias.a.name` →
   * alias name): its form, and the key of this inventory it leads to. Undefined unless exactly one key or alias is referenced.
   */
  private referencedKey(resource: PlanResource, path: Path): ReferencedKey | undefined {
    // Managed keys and aliases, and the data sources of the same names (data.aws_kms_key.x.arn).
    const candidates = this.targets(resource, path).filter((t) => KEY_TYPES.has(t.type) || t.type === "aws_kms_alias");
    const unique = distinctBy(candidates, (t) => `${t.mode}\u0000${t.type}\u0000${t.attribute ?? ""}\u0000${t.resource?.address ?? t.expression}`);
    if (unique.length !== 1) return undefined;
    const target = unique[0]!;
    const attribute = target.attribute;
    if (target.type === "aws_kms_alias") {
      const form: KeyReferenceForm =
        attribute === "arn" ? "alias-arn" : attribute === "name" || attribute === "id" ? "alias-name" : attribute === "target_key_arn" ? "key-arn" : attribute === "target_key_id" ? "key-id" : "unknown";
      if (target.mode === "data") return { form, ...this.dataKey(target) };
      const alias = target.resource ? this.aliasOf.get(target.resource) : undefined;
      return { form, key: alias?.key, awsManaged: false };
    }
    if (target.mode === "data") {
      // data.aws_kms_key.x.key_id is the key_id argument as written: a key id, key ARN, alias name or alias ARN.
      const written = attribute === "key_id" ? this.dataString(target, "key_id") : undefined;
      const form: KeyReferenceForm = attribute === "arn" ? "key-arn" : attribute === "id" ? "key-id" : attribute === "key_id" ? (written === undefined ? "unknown" : keyReferenceForm(written).form) : "unknown";
      return { form, ...this.dataKey(target) };
    }
    const key = target.resource ? this.keyOf.get(target.resource) : undefined;
    const form: KeyReferenceForm = attribute === "arn" ? "key-arn" : attribute === "key_id" || attribute === "id" ? "key-id" : "unknown";
    return { form, key, awsManaged: false };
  }

  /** A string a data source reads or is given: its value (planned_values or prior_state), else the constant the configuration writes. */
  private dataString(target: ReferenceTarget, attribute: string): string | undefined {
    const value = own(target.resource?.values ?? this.priorData.get(target.address), attribute);
    if (typeof value === "string" && value !== "") return value;
    const constant = own(own(own(target.config, "expressions"), attribute), "constant_value");
    return typeof constant === "string" && constant !== "" ? constant : undefined;
  }

  /**
   * Which key a `data.aws_kms_alias` or `data.aws_kms_key` reads: the AWS managed key aws/s3 (by the alias name, or a
   * key_manager of AWS), or a customer managed key (of this inventory when it is one). `unevaluated` when the plan does not say.
   */
  private dataKey(target: ReferenceTarget): Pick<ReferencedKey, "key" | "awsManaged" | "unevaluated"> {
    const unevaluated = { key: undefined, awsManaged: false, unevaluated: target.address };
    if (target.type === "aws_kms_alias") {
      const name = this.dataString(target, "name");
      if (name === undefined) return unevaluated;
      if (name === "alias/aws/s3") return { key: undefined, awsManaged: true };
      const targetArn = this.dataString(target, "target_key_arn");
      return { key: this.aliasByName.get(name)?.key ?? (targetArn === undefined ? undefined : this.keyByLiteralValue(targetArn)), awsManaged: false };
    }
    const keyId = this.dataString(target, "key_id");
    const manager = own(target.resource?.values ?? this.priorData.get(target.address), "key_manager");
    if (manager === "AWS" || (keyId !== undefined && keyReferenceForm(keyId).awsManagedKey)) return { key: undefined, awsManaged: true };
    if (keyId === undefined) return unevaluated;
    const { form } = keyReferenceForm(keyId);
    const key = form === "alias-name" || form === "alias-arn" ? this.keyByReference(keyId, form) : this.keyByLiteralValue(keyId);
    // A customer managed alias (names under alias/aws/ are AWS's), a key of the plan, or a key the data source says is a customer's.
    if (key || manager === "CUSTOMER" || ((form === "alias-name" || form === "alias-arn") && !/(^|:)alias\/aws\//.test(keyId))) return { key, awsManaged: false };
    return unevaluated;
  }

  /** What an attribute's expression in the configuration references, followed through module outputs and variables. */
  private targets(resource: PlanResource, path: Path): ReferenceTarget[] {
    const references = strings(own(expressionAt(resource.config, path), "references"));
    if (references.length === 0) return [];
    return this.resolve(references, this.scopeOf(resource.module), resource.index, undefined, 0);
  }

  private resolve(references: readonly string[], scope: Scope, referrerIndex: unknown, attributeOverride: string | undefined, depth: number): ReferenceTarget[] {
    if (depth > MAX_REFERENCE_DEPTH) return [];
    const found: ReferenceTarget[] = [];
    for (const reference of mostSpecific(references)) {
      const steps = parseTraversal(reference);
      const head = steps?.[0];
      if (!steps || !head || !("name" in head)) continue;
      const names = steps.map((s) => ("name" in s ? s.name : undefined));
      switch (head.name) {
        case "module": {
          // module.<call>[key].<output>[.attribute]
          const callName = names[1];
          if (callName === undefined) break;
          const keyed = steps[2] !== undefined && "key" in steps[2];
          const outputName = names[keyed ? 3 : 2];
          const call = scope.config?.calls.get(callName);
          if (!call || outputName === undefined) break;
          const output = own(call.module.outputs, outputName);
          const outputReferences = strings(own(own(output, "expression"), "references"));
          const childPrefix = this.childPrefix(scope.prefix, callName, keyed ? (steps[2] as { key: string | number }).key : undefined);
          const attribute = names[keyed ? 4 : 3] ?? attributeOverride;
          found.push(...this.resolve(outputReferences, { config: call.module, prefix: childPrefix, parent: scope }, undefined, attribute, depth + 1));
          break;
        }
        case "var": {
          // A child module's variable is the expression its caller passes.
          const variable = names[1];
          const caller = scope.config?.caller;
          if (variable === undefined || !caller || !scope.parent) break;
          const expressions = caller.module.calls.get(caller.callName)?.expressions;
          const passed = strings(own(own(expressions, variable), "references"));
          found.push(...this.resolve(passed, scope.parent, undefined, names[2] ?? attributeOverride, depth + 1));
          break;
        }
        case "local":
        case "count":
        case "each":
        case "path":
        case "terraform":
        case "self":
          break;
        default: {
          const data = head.name === "data";
          const offset = data ? 1 : 0;
          const type = names[offset];
          const name = names[offset + 1];
          if (type === undefined || name === undefined) break;
          const keyStep = steps[offset + 2];
          const key = keyStep !== undefined && "key" in keyStep ? keyStep.key : undefined;
          const attribute = names[offset + (key === undefined ? 2 : 3)] ?? attributeOverride;
          const base = `${data ? "data." : ""}${type}.${name}`;
          const instances = this.instances.get(scope.prefix ? `${scope.prefix}.${base}` : base) ?? [];
          let instance: PlanResource | undefined;
          if (key !== undefined) instance = instances.find((r) => r.index === key);
          else if (instances.length === 1) instance = instances[0];
          // aws_kms_key.k[count.index] / [each.key]: the reference names the resource only; the instance with the referrer's key is meant.
          else if (referrerIndex !== undefined) instance = instances.find((r) => r.index === referrerIndex);
          const address = `${scope.prefix ? `${scope.prefix}.` : ""}${base}${key === undefined ? "" : `[${typeof key === "number" ? key : JSON.stringify(key)}]`}`;
          found.push({ mode: data ? "data" : "managed", type, attribute, resource: instance, expression: reference, address, config: scope.config?.resources.get(base) });
        }
      }
    }
    return found;
  }

  private childPrefix(prefix: string, callName: string, key: string | number | undefined): string {
    const call = prefix ? `${prefix}.module.${callName}` : `module.${callName}`;
    if (key !== undefined) return `${call}[${typeof key === "number" ? key : JSON.stringify(key)}]`;
    const instances = this.moduleInstances.get(`${prefix}\u0000${callName}`);
    return instances?.length === 1 ? instances[0]!.address : call;
  }

  private scopeOf(module: ModuleInstance): Scope {
    if (!module.scope) module.scope = { config: module.config, prefix: module.address, parent: module.parent ? this.scopeOf(module.parent) : undefined };
    return module.scope;
  }

  /** A linked value as written: the literal when known, else the reference the configuration makes. */
  private linkText(resource: PlanResource, path: Path): string | undefined {
    const literal = this.knownString(resource, path);
    if (literal !== undefined) return literal;
    const references = strings(own(expressionAt(resource.config, path), "references"));
    return mostSpecific(references).find((r) => !INSTANCE_REFERENCE.test(r));
  }

  // ── Values, unknowns and positions ──────────────────────────────────────────────────────────────────

  private setting(resource: PlanResource, path: Path): Setting {
    const value = valueAt(resource.values, path);
    if (value !== undefined && value !== null) return { state: "known", value };
    if (this.isUnknown(resource, path)) return { state: "unknown" };
    return { state: "absent" };
  }

  /** Whether after_unknown marks the value at `path` (or a block that holds it) as known only after apply. */
  private isUnknown(resource: PlanResource, path: Path): boolean {
    let node = resource.afterUnknown;
    for (const segment of path) {
      if (node === true) return true;
      if (Array.isArray(node) && typeof segment === "number") node = node[segment];
      else if (isObject(node) && typeof segment === "string" && Object.hasOwn(node, segment)) node = node[segment];
      else return false;
    }
    return node === true;
  }

  /**
   * Whether the configuration writes the attribute: undefined when the plan has no configuration for the
   * resource (a state file). An unknown value the configuration does not write is one the provider computes
   * (a key's `policy` when none is given), which is the same as not set.
   */
  private written(resource: PlanResource, path: Path): boolean | undefined {
    if (!this.hasConfiguration || !resource.config) return undefined;
    let node: unknown = own(resource.config, "expressions");
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const next = typeof segment === "number" ? (Array.isArray(node) ? (node[segment] ?? (node.length === 1 ? node[0] : undefined)) : undefined) : own(node, segment);
      if (next === undefined || next === null) {
        // Terraform leaves `dynamic` blocks out of `configuration` (it prints only the static body), so a block
        // missing there may still be written. A block the resource requires (`rule`) always is, and one inside a
        // block the configuration writes cannot be told from a dynamic one; a top-level optional block can also be
        // one the provider computes (aws_s3_bucket's server_side_encryption_configuration), read as not written.
        const block = typeof segment === "number" || typeof path[i + 1] === "number" || BLOCK_NAMES.has(String(segment));
        if (i === 0) return REQUIRED_BLOCK.get(resource.type) === segment ? undefined : false;
        return block ? undefined : false;
      }
      node = next;
    }
    return true;
  }

  private knownString(resource: PlanResource | undefined, path: Path): string | undefined {
    if (!resource) return undefined;
    const value = valueAt(resource.values, path);
    return typeof value === "string" && value !== "" ? value : undefined;
  }

  /** A setting as a Fact: undefined when not set (AWS's default applies), or written with a value of the wrong type (a problem). */
  private fact<T extends string | boolean | number>(resource: PlanResource, path: Path, type: "string" | "boolean" | "number", consequence: string): Fact<T> | undefined {
    const setting = this.setting(resource, path);
    if (setting.state === "absent") return undefined;
    if (setting.state === "unknown") {
      if (this.written(resource, path) === false) return undefined;
      const unresolved = this.unresolved(resource, path, consequence);
      return { known: false, unresolved, range: unresolved.range };
    }
    if (typeof setting.value !== type) {
      this.problemAt(resource, path, `${attributeName(path)} is ${describe(setting.value)}, expected a ${type}`);
      return undefined;
    }
    // Terraform stores an optional string that is not set as "" in the state.
    if (setting.value === "") return undefined;
    return { known: true, value: setting.value as T, range: this.locate(resource, ["values", ...path]) };
  }

  private policyAttribute(resource: PlanResource, kind: PolicyKind, consequence: string): PolicyAttribute {
    const path = ["policy"];
    const setting = this.setting(resource, path);
    if (setting.state === "absent") return { state: "none" };
    if (setting.state === "unknown") {
      if (this.written(resource, path) === false) return { state: "none" };
      const unresolved = this.unresolved(resource, path, consequence);
      return { state: "policy", policy: { kind, resource: this.refOf(resource), document: undefined, unresolved } };
    }
    if (typeof setting.value !== "string") {
      this.problemAt(resource, path, `policy is ${describe(setting.value)}, expected the policy as a JSON string (jsonencode(...) or a data.aws_iam_policy_document's json)`);
      return { state: "invalid" };
    }
    if (setting.value.trim() === "") return { state: "none" };
    return { state: "policy", policy: { kind, resource: this.refOf(resource), document: this.policyDocument(resource, path, setting.value) } };
  }

  /** A policy string, parsed on its own, with every position mapped through the string's escapes onto the plan text. */
  private policyDocument(resource: PlanResource, path: Path, policy: string): PolicyDocument {
    const whole = this.locate(resource, ["values", ...path]);
    const anchor = this.locate(resource, ["values", ...path], "key");
    let offsets: ((offset: number) => number) | undefined;
    const toOuter = (offset: number) => {
      offsets ??= jsonStringOffsetMap(this.text.slice(whole.start.offset, whole.end.offset), whole.start.offset);
      return this.locator.positionOf(offsets(offset));
    };
    return stringPolicyDocument({ filePath: this.filePath, text: policy, toOuter, whole, anchor, sizeBasis: SIZE_BASIS, measure: "compact" });
  }

  private refOf(resource: PlanResource): ResourceRef {
    if (!resource.ref) resource.ref = { address: resource.address, type: resource.type, anchor: this.locate(resource, ["address"]) };
    return resource.ref;
  }

  private unresolved(resource: PlanResource, path: Path, consequence: string): UnresolvedValue {
    const references = mostSpecific(strings(own(expressionAt(resource.config, path), "references"))).filter((r) => !INSTANCE_REFERENCE.test(r));
    const reason = references.length > 0 ? `${KNOWN_AFTER_APPLY} (it references ${joinWords(references)})` : KNOWN_AFTER_APPLY;
    const unresolved: UnresolvedValue = {
      expression: `${resource.address}.${attributeName(path)}`,
      reason,
      consequence,
      resource: resource.address,
      // The attribute is not in planned_values when it is unknown: the resource's address stands for it.
      range: this.refOf(resource).anchor,
    };
    this.inventory.unresolved.push(unresolved);
    return unresolved;
  }

  private locate(resource: PlanResource, path: Path, target?: LocateTarget): Range {
    return this.locateIn(resource.arrays, [...resource.path, ...path], target);
  }

  /**
   * The locator resumes each search from the deepest point of the path it has already passed. Scanning each
   * array on the way once, up to the last element that will be needed, records where every element starts, so
   * finding a value in the n-th resource does not rescan the n - 1 before it: positions stay linear in the size
   * of the plan, which can be tens of MB.
   */
  private locateIn(arrays: readonly ArrayMark[], path: Path, target?: LocateTarget): Range {
    for (const mark of arrays) {
      if (this.scanned.has(mark)) continue;
      this.scanned.add(mark);
      if (mark.last > 0) this.locator.locate([...mark.path, mark.last]);
    }
    return this.locator.locate(path, target);
  }

  private problem(message: string, range: Range, resource?: string): void {
    this.inventory.problems.push({ ruleId: "invalid-policy", message, range, ...(resource !== undefined ? { resource } : {}) });
  }

  private problemAt(resource: PlanResource, path: Path, message: string): void {
    this.problem(`${message}. The value was not read.`, this.locate(resource, ["values", ...path]), resource.address);
  }
}

// ── Plain helpers ────────────────────────────────────────────────────────────────────────────────────────

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A member of a parsed object, own members only (a name such as `constructor` must not reach the prototype). */
function own(value: unknown, key: string): unknown {
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof segment === "number") node = Array.isArray(node) ? node[segment] : undefined;
    else node = own(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * The expression the configuration writes for an attribute: `expressions.<attribute>`, and for nested blocks
 * `expressions.rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id`. Blocks that are sets
 * (`rule`) have no stable order; a single block in the configuration stands for any index.
 */
function expressionAt(config: JsonObject | undefined, path: Path): JsonObject | undefined {
  let node: unknown = own(config, "expressions");
  for (const segment of path) {
    if (typeof segment === "number") node = Array.isArray(node) ? (node[segment] ?? (node.length === 1 ? node[0] : undefined)) : undefined;
    else node = own(node, segment);
    if (node === undefined) return undefined;
  }
  return isObject(node) ? node : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function distinct<T>(items: readonly (T | undefined)[]): T[] {
  return [...new Set(items.filter((item): item is T => item !== undefined))];
}

function distinctBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/**
 * Terraform lists a reference with each of its shorter forms (`aws_kms_key.k[0].arn`, `aws_kms_key.k[0]`,
 * `aws_kms_key.k`); only the longest says what is read.
 */
function mostSpecific(references: readonly string[]): string[] {
  const unique = [...new Set(references)];
  return unique.filter((reference) => !unique.some((other) => other.length > reference.length && other.startsWith(reference) && (other[reference.length] === "." || other[reference.length] === "[")));
}

type Step = { name: string } | { key: string | number };

/**
 * Splits a reference or address as Terraform prints it (`module.lake["a"].aws_kms_key.k[0].arn`) into names and
 * instance keys. Stops at a key Terraform could not print (`[...]`); undefined for text of another shape.
 */
function parseTraversal(text: string): Step[] | undefined {
  const steps: Step[] = [];
  const identifier = /[A-Za-z_][A-Za-z0-9_-]*/y;
  const readName = (at: number): number | undefined => {
    identifier.lastIndex = at;
    const match = identifier.exec(text);
    if (!match) return undefined;
    steps.push({ name: match[0] });
    return at + match[0].length;
  };
  const first = readName(0);
  if (first === undefined) return undefined;
  let i = first;
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      const next = readName(i + 1);
      if (next === undefined) return undefined;
      i = next;
    } else if (c === "[") {
      if (text[i + 1] === '"') {
        let end: number = i + 2;
        while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
        let key: unknown;
        try {
          key = JSON.parse(text.slice(i + 1, end + 1));
        } catch {
          return steps;
        }
        if (typeof key !== "string" || text[end + 1] !== "]") return steps;
        steps.push({ key });
        i = end + 2;
      } else {
        const match = /^(\d+)\]/.exec(text.slice(i + 1, i + 24));
        if (!match) return steps;
        steps.push({ key: Number(match[1]) });
        i += match[0].length + 1;
      }
    } else {
      return undefined;
    }
  }
  return steps;
}

/** The last module call of a module address: `module.a[0].module.b["x"]` → b, key "x". */
function lastModuleCall(address: string): { name: string; key: string | number | undefined } | undefined {
  const steps = parseTraversal(address);
  if (!steps) return undefined;
  let last: { name: string; key: string | number | undefined } | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const next = steps[i + 1];
    if ("name" in step && step.name === "module" && next !== undefined && "name" in next) {
      const after = steps[i + 2];
      last = { name: next.name, key: after !== undefined && "key" in after ? after.key : undefined };
    }
  }
  return last;
}

/** `planned_values.root_module.child_modules[0].resources[3]` */
function renderPath(path: Path): string {
  return path.map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join("");
}

/** An attribute path as a reader of the configuration writes it: block indexes left out (`rule.apply_server_side_encryption_by_default.kms_master_key_id`). */
function attributeName(path: Path): string {
  return path.filter((segment) => typeof segment === "string").join(".");
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === "number" ? "the number" : "the boolean"} ${String(value)}`;
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)!}`;
}

/** The data sources of a plan's prior_state (those read while planning), in every module. */
function priorDataSources(root: JsonObject): { address: string; type: string; values: JsonObject }[] {
  const found: { address: string; type: string; values: JsonObject }[] = [];
  const stack: unknown[] = [own(own(root["prior_state"], "values"), "root_module")];
  while (stack.length > 0) {
    const module = stack.pop();
    const resources = own(module, "resources");
    if (Array.isArray(resources)) {
      for (const entry of resources) {
        if (!isObject(entry) || entry["mode"] !== "data" || typeof entry["type"] !== "string" || typeof entry["address"] !== "string") continue;
        const values = entry["values"];
        if (isObject(values)) found.push({ address: entry["address"], type: entry["type"], values });
      }
    }
    const children = own(module, "child_modules");
    if (Array.isArray(children)) for (const child of children) stack.push(child);
  }
  return found;
}
