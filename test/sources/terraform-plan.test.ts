import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lintInventory } from "../../src/engine/linter.js";
import type { Fact, Inventory, InventoryBucket, InventoryKey, SourceContext } from "../../src/model/inventory.js";
import { parseJson, type Range } from "../../src/model/json.js";
import { loadTerraformPlan } from "../../src/sources/terraform-plan.js";

const NO_TRUST: SourceContext = { trust: { trustedAccounts: [] } };

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/tf/${name}`, import.meta.url)), "utf8");
}

function load(text: string, context: SourceContext = NO_TRUST, filePath = "plan.json"): Inventory {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return loadTerraformPlan(parsed, filePath, context);
}

/** Where a range starts, as line and column. */
const at = (range: Range | undefined) => (range ? { line: range.start.line, column: range.start.column } : undefined);
/** The text a range covers. */
const textOf = (text: string, range: Range) => text.slice(range.start.offset, range.end.offset);

function key(inventory: Inventory, address: string): InventoryKey {
  const found = inventory.keys.find((k) => k.resource.address === address);
  if (!found) throw new Error(`no key ${address}; keys: ${inventory.keys.map((k) => k.resource.address).join(", ")}`);
  return found;
}

function bucket(inventory: Inventory, address: string): InventoryBucket {
  const found = inventory.buckets.find((b) => b.resource.address === address);
  if (!found) throw new Error(`no bucket ${address}; buckets: ${inventory.buckets.map((b) => b.resource.address).join(", ")}`);
  return found;
}

function known<T>(fact: Fact<T> | undefined): { value: T; line: number; column: number } | undefined {
  if (!fact) return undefined;
  if (!fact.known) throw new Error(`unknown fact: ${fact.unresolved.expression}`);
  return { value: fact.value, line: fact.range.start.line, column: fact.range.start.column };
}

// ── Small plans written inline, shaped as terraform show -json prints them ──────────────────────────────

interface PlanResourceSpec {
  address: string;
  type: string;
  name: string;
  mode?: "managed" | "data";
  index?: string | number;
  values: Record<string, unknown>;
  afterUnknown?: Record<string, unknown>;
  expressions?: Record<string, unknown>;
}

function plan(resources: PlanResourceSpec[], extra: Record<string, unknown> = {}): string {
  const provider = "registry.terraform.io/hashicorp/aws";
  const identity = (r: PlanResourceSpec) => ({ address: r.address, mode: r.mode ?? "managed", type: r.type, name: r.name, ...(r.index !== undefined ? { index: r.index } : {}) });
  const config = new Map<string, object>();
  for (const r of resources) {
    const address = `${r.mode === "data" ? "data." : ""}${r.type}.${r.name}`;
    config.set(address, { address, mode: r.mode ?? "managed", type: r.type, name: r.name, provider_config_key: "aws", expressions: r.expressions ?? {}, schema_version: 0 });
  }
  const value = {
    format_version: "1.2",
    terraform_version: "1.5.7",
    planned_values: { root_module: { resources: resources.map((r) => ({ ...identity(r), provider_name: provider, schema_version: 0, values: r.values, sensitive_values: {} })) } },
    resource_changes: resources
      .filter((r) => (r.mode ?? "managed") === "managed")
      .map((r) => ({
        ...identity(r),
        provider_name: provider,
        change: { actions: ["create"], before: null, after: r.values, after_unknown: r.afterUnknown ?? {}, before_sensitive: false, after_sensitive: {} },
      })),
    configuration: { provider_config: { aws: { name: "aws", full_name: provider } }, root_module: { resources: [...config.values()] } },
    ...extra,
  };
  return JSON.stringify(value, null, 2);
}

const NEW_KEY_UNKNOWN = { arn: true, id: true, key_id: true, multi_region: true, policy: true, rotation_period_in_days: true, tags_all: true };
const keyValues = (extra: Record<string, unknown> = {}) => ({ customer_master_key_spec: "SYMMETRIC_DEFAULT", enable_key_rotation: true, is_enabled: true, key_usage: "ENCRYPT_DECRYPT", ...extra });
const sseValues = (byDefault: Record<string, unknown>, bucketName?: string) => ({
  ...(bucketName ? { bucket: bucketName } : {}),
  expected_bucket_owner: null,
  rule: [{ apply_server_side_encryption_by_default: [byDefault], bucket_key_enabled: null }],
});
const sseKeyUnknown = { id: true, rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: true }] }] };
const sseKeyExpression = (references: string[]) => ({
  bucket: { constant_value: "example-data" },
  rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: { references }, sse_algorithm: { constant_value: "aws:kms" } }] }],
});
const dataBucket: PlanResourceSpec = { address: "aws_s3_bucket.data", type: "aws_s3_bucket", name: "data", values: { bucket: "example-data" }, afterUnknown: { arn: true, id: true, policy: true } };

// ── Fixtures ──────────────────────────────────────────────────────────────────────────────────────────

describe("a plan with a child module (key, key policy, alias, bucket, bucket policy, default encryption)", () => {
  const text = fixture("module-plan.json");
  const inventory = load(text);

  it("reads every managed resource of the types it knows, in document order", () => {
    expect(inventory.format).toBe("terraform-plan");
    expect(inventory.resourceCount).toBe(7);
    expect(inventory.keys.map((k) => k.resource.address)).toEqual(["aws_kms_key.unused", "module.lake.aws_kms_key.data"]);
    expect(inventory.buckets.map((b) => b.resource.address)).toEqual(["module.lake.aws_s3_bucket.lake"]);
    expect(inventory.problems).toEqual([]);
  });

  it("anchors each resource at its address in planned_values", () => {
    const data = key(inventory, "module.lake.aws_kms_key.data");
    expect(data.resource).toMatchObject({ address: "module.lake.aws_kms_key.data", type: "aws_kms_key" });
    expect(at(data.resource.anchor)).toEqual({ line: 53, column: 26 });
    expect(textOf(text, data.resource.anchor)).toBe('"module.lake.aws_kms_key.data"');
  });

  it("reads key settings as facts at their values", () => {
    const data = key(inventory, "module.lake.aws_kms_key.data");
    expect(known(data.rotationEnabled)).toEqual({ value: true, line: 65, column: 40 });
    expect(known(data.keySpec)).toEqual({ value: "SYMMETRIC_DEFAULT", line: 62, column: 45 });
    expect(known(data.keyUsage)?.value).toBe("ENCRYPT_DECRYPT");
    expect(known(data.enabled)?.value).toBe(true);
    expect(data.keyManager).toBe("CUSTOMER");
    // Computed by the provider and not written: AWS's defaults apply, nothing is unresolved.
    expect(data.rotationPeriodDays).toBeUndefined();
    expect(data.multiRegion).toBeUndefined();
    expect(data.customKeyStore).toBeUndefined();
    expect(inventory.unresolved).toEqual([]);
  });

  it("gives the key the policy of its aws_kms_key_policy, linked through the configuration's reference to aws_kms_key.data.id", () => {
    const data = key(inventory, "module.lake.aws_kms_key.data");
    expect(data.policy?.resource).toMatchObject({ address: "module.lake.aws_kms_key_policy.data", type: "aws_kms_key_policy" });
    expect(at(data.policy?.resource.anchor)).toEqual({ line: 77, column: 26 });
    expect(data.policy?.kind).toBe("key-policy");
    expect(data.defaultPolicy).toBeUndefined();
    // The key's own policy attribute (computed, not written) is not a second policy.
    expect(inventory.policies.map((p) => p.resource.address)).toEqual(["module.lake.aws_kms_key_policy.data", "module.lake.aws_s3_bucket_policy.lake"]);
  });

  it("maps positions inside the policy string onto the plan line", () => {
    const document = key(inventory, "module.lake.aws_kms_key.data").policy!.document!;
    const principal = document.locate(["Statement", 1, "Principal", "AWS"]);
    expect(at(principal)).toEqual({ line: 85, column: 418 });
    expect(textOf(text, principal)).toBe('\\"arn:aws:iam::444455556666:role/analytics\\"');
    expect(document.sizeBasis).toBe("as the AWS provider sends it (compact JSON)");
    expect(at(document.anchor!())).toEqual({ line: 85, column: 17 });
    expect(textOf(text, document.anchor!())).toBe('"policy"');
  });

  it("marks a key without any policy as having the default key policy", () => {
    const unused = key(inventory, "aws_kms_key.unused");
    expect(unused.policy).toBeUndefined();
    expect(unused.defaultPolicy).toBe(true);
    expect(known(unused.rotationEnabled)).toEqual({ value: false, line: 25, column: 36 });
  });

  it("links the alias to its key through the reference to aws_kms_key.data.key_id", () => {
    expect(inventory.aliases).toHaveLength(1);
    const alias = inventory.aliases[0]!;
    expect(alias).toMatchObject({ name: "alias/lake-data", target: "aws_kms_key.data.key_id" });
    expect(alias.key?.resource.address).toBe("module.lake.aws_kms_key.data");
    expect(key(inventory, "module.lake.aws_kms_key.data").aliases).toEqual(["alias/lake-data"]);
  });

  it("attaches the bucket policy and the default encryption to the bucket, with the key known only after apply linked by reference", () => {
    const lake = bucket(inventory, "module.lake.aws_s3_bucket.lake");
    expect(lake.name).toBe("example-lake-data");
    expect(lake.policies.map((p) => p.resource.address)).toEqual(["module.lake.aws_s3_bucket_policy.lake"]);
    const encryption = lake.encryption!;
    expect(known(encryption.algorithm)).toEqual({ value: "aws:kms", line: 140, column: 42 });
    expect(encryption.keyReferenceForm).toBe("key-arn");
    expect(encryption.awsManagedKey).toBe(false);
    expect(encryption.key?.resource.address).toBe("module.lake.aws_kms_key.data");
    expect(encryption.keyReference).toBeUndefined();
    expect(known(encryption.bucketKeyEnabled)).toEqual({ value: true, line: 143, column: 43 });
    expect(encryption.resource.address).toBe("module.lake.aws_s3_bucket_server_side_encryption_configuration.lake");
    expect(at(encryption.anchor)).toEqual({ line: 140, column: 42 });
  });

  it("takes the owner from data.aws_caller_identity in prior_state", () => {
    expect(inventory.owner).toEqual({ account: "111122223333", reason: "data.aws_caller_identity.current in the plan" });
  });

  it("takes the owner from the trust context when an account is given", () => {
    const given = load(text, { trust: { account: "999988887777", trustedAccounts: [] } });
    expect(given.owner?.account).toBe("999988887777");
  });
});

describe("positions inside a policy string with escapes (the plan on one line, as Terraform prints it)", () => {
  const text = fixture("escapes-plan.json");
  const inventory = load(text);

  it("decodes the policy and keeps the principal after \\n, \\\" and \\u0026 at its column", () => {
    const document = key(inventory, "aws_kms_key.logs").policy!.document!;
    expect(document.problem).toBeUndefined();
    const condition = (document.value as { Statement: { Condition?: { StringEquals: Record<string, string> } }[] }).Statement[1]!.Condition!.StringEquals;
    expect(condition["kms:EncryptionContext:team"]).toBe('R&D "blue" <logs>');

    const value = document.locate(["Statement", 1, "Condition", "StringEquals", "kms:EncryptionContext:team"]);
    expect(value.start).toMatchObject({ line: 1, column: 1103 });
    expect(value.end).toMatchObject({ line: 1, column: 1145 });
    expect(textOf(text, value)).toBe('\\"R\\u0026D \\\\\\"blue\\\\\\" \\u003clogs\\u003e\\"');

    const principal = document.locate(["Statement", 2, "Principal"]);
    expect(principal.start).toMatchObject({ line: 1, column: 1250 });
    expect(principal.end).toMatchObject({ line: 1, column: 1255 });
    expect(textOf(text, principal)).toBe('\\"*\\"');
  });

  it("maps a policy document whose own encoder escaped & (\\\\u0026 in the plan)", () => {
    const document = key(inventory, "aws_kms_key.shared").policy!.document!;
    const condition = (document.value as { Statement: { Condition?: { StringEquals: Record<string, string> } }[] }).Statement[1]!.Condition!.StringEquals;
    expect(condition["kms:EncryptionContext:project"]).toBe("R&D");
    const principal = document.locate(["Statement", 2, "Principal", "AWS"]);
    expect(at(principal)).toEqual({ line: 1, column: 2689 });
    expect(textOf(text, principal)).toBe('\\"arn:aws:iam::999988887777:root\\"');
  });

  it("measures the policy compact, as the AWS provider sends it, and anchors it at the policy key", () => {
    const document = key(inventory, "aws_kms_key.logs").policy!.document!;
    const decoded = (JSON.parse(text) as { planned_values: { root_module: { resources: { values: { policy: string } }[] } } }).planned_values.root_module.resources[0]!.values.policy;
    // Compact JSON as Go's encoder writes it: `&`, `<` and `>` escaped as \u0026 and the like, 5 bytes more each.
    const compact = JSON.stringify(JSON.parse(decoded));
    expect(document.rawBytes).toBe(Buffer.byteLength(compact, "utf8") + 5 * (compact.match(/[&<>]/g) ?? []).length);
    expect(compact).toContain("&");
    expect(at(document.anchor!())).toEqual({ line: 1, column: 514 });
    expect(at(document.whole())).toEqual({ line: 1, column: 523 });
  });

  it("lints the plan: public-access lands on the Principal in the plan file and names the address", () => {
    const result = lintInventory(inventory);
    expect(result.kind).toBe("terraform-plan");
    const publicAccess = result.findings.filter((f) => f.ruleId === "public-access");
    expect(publicAccess).toHaveLength(1);
    expect(publicAccess[0]).toMatchObject({ resource: "aws_kms_key.logs", severity: "error", range: { start: { line: 1, column: 1250 }, end: { line: 1, column: 1255 } } });
    expect(publicAccess[0]!.message).toMatch(/^aws_kms_key\.logs: Statement "PublicDecrypt" lets anyone/);
    const crossAccount = result.findings.filter((f) => f.ruleId === "cross-account-access");
    expect(crossAccount.map((f) => ({ resource: f.resource, ...at(f.range) }))).toEqual([{ resource: "aws_kms_key.shared", line: 1, column: 2689 }]);
  });
});

describe("values known only after apply", () => {
  const text = fixture("unknown-plan.json");
  const inventory = load(text);

  it("keeps an unknown key policy as unresolved, naming what it references, at the resource's address", () => {
    const archive = key(inventory, "aws_kms_key.archive");
    expect(archive.policy?.document).toBeUndefined();
    expect(archive.defaultPolicy).toBeUndefined();
    expect(archive.policy?.unresolved).toMatchObject({
      expression: "aws_kms_key.archive.policy",
      reason: "known only after apply (it references aws_s3_bucket.archive.arn)",
      consequence: "the key policy of aws_kms_key.archive is not checked",
      resource: "aws_kms_key.archive",
    });
    expect(at(archive.policy?.unresolved?.range)).toEqual({ line: 28, column: 22 });
    expect(inventory.unresolved).toContain(archive.policy!.unresolved);
    expect(inventory.policies).toContain(archive.policy);
  });

  it("keeps an unknown bucket policy as unresolved, attached to the bucket it references", () => {
    const archive = bucket(inventory, "aws_s3_bucket.archive");
    expect(archive.policies).toHaveLength(1);
    expect(archive.policies[0]).toMatchObject({ kind: "bucket-policy", document: undefined, resource: { address: "aws_s3_bucket_policy.archive" } });
    expect(archive.policies[0]!.unresolved).toMatchObject({ expression: "aws_s3_bucket_policy.archive.policy", reason: "known only after apply (it references aws_s3_bucket.archive.arn)" });
    expect(at(archive.policies[0]!.unresolved?.range)).toEqual({ line: 160, column: 22 });
  });

  it("makes an unknown setting the configuration writes a fact that is not known", () => {
    const hsm = key(inventory, "aws_kms_key.hsm");
    expect(hsm.customKeyStore?.known).toBe(false);
    const unresolved = hsm.customKeyStore?.known === false ? hsm.customKeyStore.unresolved : undefined;
    expect(unresolved).toMatchObject({ expression: "aws_kms_key.hsm.custom_key_store_id", reason: "known only after apply (it references aws_kms_custom_key_store.hsm.id)" });
    expect(at(hsm.customKeyStore?.range)).toEqual({ line: 52, column: 22 });
    // Its policy is computed by the provider, not written: KMS's default key policy.
    expect(hsm.defaultPolicy).toBe(true);
  });

  it("links a key reference known only after apply through an alias ARN, without calling it unresolved", () => {
    const encryption = bucket(inventory, "aws_s3_bucket.archive").encryption!;
    expect(encryption.keyReferenceForm).toBe("alias-arn");
    expect(encryption.key?.resource.address).toBe("aws_kms_key.archive");
    expect(encryption.keyReference).toBeUndefined();
    expect(key(inventory, "aws_kms_key.archive").aliases).toEqual(["alias/archive"]);
  });

  it("follows a child module's variable to another module's output and the key behind it", () => {
    const encryption = bucket(inventory, "module.store.aws_s3_bucket.this").encryption!;
    expect(encryption.keyReferenceForm).toBe("key-arn");
    expect(encryption.key?.resource.address).toBe("module.keys.aws_kms_key.this");
  });

  it("links aws_kms_key.tenant[each.key] to the instance with the same key, but cannot tell how the key is named", () => {
    const encryption = bucket(inventory, 'aws_s3_bucket.tenant["blue"]').encryption!;
    expect(encryption.key?.resource.address).toBe('aws_kms_key.tenant["blue"]');
    expect(encryption.keyReferenceForm).toBe("unknown");
    expect(encryption.keyReference?.known).toBe(false);
    const unresolved = inventory.unresolved.find((u) => u.resource === 'aws_s3_bucket_server_side_encryption_configuration.tenant["blue"]');
    expect(unresolved).toMatchObject({
      expression: 'aws_s3_bucket_server_side_encryption_configuration.tenant["blue"].rule.apply_server_side_encryption_by_default.kms_master_key_id',
      reason: "known only after apply (it references aws_kms_key.tenant)",
    });
    expect(at(unresolved?.range)).toEqual({ line: 200, column: 22 });
  });

  it("lists exactly the values that stay unknown", () => {
    expect(inventory.unresolved.map((u) => u.expression).sort()).toEqual(
      [
        "aws_kms_key.archive.policy",
        "aws_kms_key.hsm.custom_key_store_id",
        "aws_s3_bucket_policy.archive.policy",
        'aws_s3_bucket_server_side_encryption_configuration.tenant["blue"].rule.apply_server_side_encryption_by_default.kms_master_key_id',
      ].sort(),
    );
    expect(inventory.problems).toEqual([]);
  });
});

describe("a state file (terraform show -json on a state)", () => {
  const text = fixture("state.json");
  const inventory = load(text);

  it("takes the owner from the data source in the state", () => {
    expect(inventory.owner).toEqual({ account: "111122223333", reason: "data.aws_caller_identity.current in the state" });
  });

  it("reads the known ARN and settings; empty optional strings count as not set", () => {
    const data = key(inventory, "aws_kms_key.data");
    expect(data.arn).toBe("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    expect(known(data.rotationPeriodDays)).toEqual({ value: 365, line: 55, column: 40 });
    expect(known(data.multiRegion)).toEqual({ value: false, line: 53, column: 29 });
    expect(data.customKeyStore).toBeUndefined();
  });

  it("links the policy, alias and encryption resources by their literal values, and skips the attributes that only mirror them", () => {
    const data = key(inventory, "aws_kms_key.data");
    expect(data.policy?.resource.address).toBe("aws_kms_key_policy.data");
    expect(data.aliases).toEqual(["alias/data"]);
    const logs = bucket(inventory, "aws_s3_bucket.logs");
    expect(logs.name).toBe("example-logs-111122223333");
    expect(logs.arn).toBe("arn:aws:s3:::example-logs-111122223333");
    expect(logs.policies.map((p) => p.resource.address)).toEqual(["aws_s3_bucket_policy.logs"]);
    expect(logs.encryption?.resource.address).toBe("aws_s3_bucket_server_side_encryption_configuration.logs");
    expect(logs.encryption?.keyReferenceForm).toBe("alias-name");
    expect(known(logs.encryption?.keyReference)).toEqual({ value: "alias/data", line: 199, column: 42 });
    expect(logs.encryption?.key).toBe(data);
    expect(inventory.policies.map((p) => p.resource.address)).toEqual(["aws_kms_key_policy.data", "aws_s3_bucket_policy.logs"]);
    expect(inventory.unresolved).toEqual([]);
  });
});

describe("AWS provider v3: policy and encryption written in aws_s3_bucket", () => {
  const text = fixture("legacy-plan.json");
  const inventory = load(text);

  it("reads the inline policy as the bucket's policy, anchored at the bucket", () => {
    const legacy = bucket(inventory, "aws_s3_bucket.legacy");
    expect(legacy.policies).toHaveLength(1);
    expect(legacy.policies[0]!.resource).toMatchObject({ address: "aws_s3_bucket.legacy", type: "aws_s3_bucket" });
    const principal = legacy.policies[0]!.document!.locate(["Statement", 0, "Principal"]);
    expect(at(principal)).toEqual({ line: 131, column: 104 });
    const result = lintInventory(inventory, { trust: { account: "111122223333", trustedAccounts: [] } });
    const publicAccess = result.findings.find((f) => f.ruleId === "public-access");
    expect(publicAccess).toMatchObject({ resource: "aws_s3_bucket.legacy", range: { start: { line: 131, column: 104 } } });
  });

  it("reads server_side_encryption_configuration and links a literal key ARN to the key with that ARN", () => {
    const encryption = bucket(inventory, "aws_s3_bucket.legacy").encryption!;
    expect(encryption.resource.address).toBe("aws_s3_bucket.legacy");
    expect(known(encryption.keyReference)).toEqual({ value: "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", line: 139, column: 46 });
    expect(encryption.keyReferenceForm).toBe("key-arn");
    expect(encryption.key?.resource.address).toBe("aws_kms_key.legacy");
    expect(known(encryption.bucketKeyEnabled)?.value).toBe(true);
  });

  it("links a literal alias ARN through the alias", () => {
    const encryption = bucket(inventory, "aws_s3_bucket.aliased").encryption!;
    expect(encryption.keyReferenceForm).toBe("alias-arn");
    expect(encryption.awsManagedKey).toBe(false);
    expect(encryption.key?.resource.address).toBe("aws_kms_key.legacy");
  });

  it("reads aws:kms without a key as the AWS managed key, and AES256 as no KMS key at all", () => {
    const managed = bucket(inventory, "aws_s3_bucket.managed").encryption!;
    expect(managed).toMatchObject({ keyReferenceForm: "absent", awsManagedKey: true });
    expect(known(managed.algorithm)).toEqual({ value: "aws:kms", line: 201, column: 42 });
    const plain = bucket(inventory, "aws_s3_bucket.plain").encryption!;
    expect(plain).toMatchObject({ keyReferenceForm: "absent", awsManagedKey: false });
    expect(known(plain.algorithm)).toEqual({ value: "AES256", line: 262, column: 42 });
  });

  it("links an aws_s3_bucket_policy by the literal bucket name", () => {
    expect(bucket(inventory, "aws_s3_bucket.plain").policies.map((p) => p.resource.address)).toEqual(["aws_s3_bucket_policy.plain"]);
  });

  it("lints a known key policy the configuration does not write (an existing key's current policy)", () => {
    const legacy = key(inventory, "aws_kms_key.legacy");
    expect(legacy.policy?.resource.address).toBe("aws_kms_key.legacy");
    expect(legacy.policy?.document?.policy).toBeDefined();
    expect(legacy.arn).toBe("arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  });
});

// ── Inline plans ──────────────────────────────────────────────────────────────────────────────────────

describe("links through references", () => {
  it("picks the instance a reference indexes (aws_kms_key.k[1].arn) and reads a key id reference as key-id", () => {
    const text = plan([
      { address: "aws_kms_key.k[0]", type: "aws_kms_key", name: "k", index: 0, values: keyValues(), afterUnknown: NEW_KEY_UNKNOWN },
      { address: "aws_kms_key.k[1]", type: "aws_kms_key", name: "k", index: 1, values: keyValues(), afterUnknown: NEW_KEY_UNKNOWN },
      dataBucket,
      {
        address: "aws_s3_bucket_server_side_encryption_configuration.data",
        type: "aws_s3_bucket_server_side_encryption_configuration",
        name: "data",
        values: sseValues({ sse_algorithm: "aws:kms" }, "example-data"),
        afterUnknown: sseKeyUnknown,
        expressions: sseKeyExpression(["aws_kms_key.k[1].arn", "aws_kms_key.k[1]", "aws_kms_key.k"]),
      },
    ]);
    const inventory = load(text);
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption).toMatchObject({ keyReferenceForm: "key-arn", key: { resource: { address: "aws_kms_key.k[1]" } } });

    const byId = load(text.replace('"aws_kms_key.k[1].arn"', '"aws_kms_key.k[1].key_id"'));
    // A bare key id is resolved in the requester's account: the form is what the rules need to say so.
    expect(bucket(byId, "aws_s3_bucket.data").encryption).toMatchObject({ keyReferenceForm: "key-id", key: { resource: { address: "aws_kms_key.k[1]" } } });
    expect(byId.unresolved).toEqual([]);
  });

  it("reads a reference to an alias name known only after apply (name_prefix) as alias-name, linked through the alias", () => {
    const text = plan([
      { address: "aws_kms_key.data", type: "aws_kms_key", name: "data", values: keyValues(), afterUnknown: NEW_KEY_UNKNOWN },
      {
        address: "aws_kms_alias.data",
        type: "aws_kms_alias",
        name: "data",
        values: { name_prefix: "alias/data-" },
        afterUnknown: { arn: true, id: true, name: true, target_key_arn: true, target_key_id: true },
        expressions: { name_prefix: { constant_value: "alias/data-" }, target_key_id: { references: ["aws_kms_key.data.arn", "aws_kms_key.data"] } },
      },
      dataBucket,
      {
        address: "aws_s3_bucket_server_side_encryption_configuration.data",
        type: "aws_s3_bucket_server_side_encryption_configuration",
        name: "data",
        values: sseValues({ sse_algorithm: "aws:kms" }, "example-data"),
        afterUnknown: sseKeyUnknown,
        expressions: sseKeyExpression(["aws_kms_alias.data.name", "aws_kms_alias.data"]),
      },
    ]);
    const inventory = load(text);
    expect(bucket(inventory, "aws_s3_bucket.data").encryption).toMatchObject({ keyReferenceForm: "alias-name", key: { resource: { address: "aws_kms_key.data" } } });
    // The alias has no name yet: it links the key but adds no name to it.
    expect(inventory.aliases[0]?.key?.resource.address).toBe("aws_kms_key.data");
    expect(key(inventory, "aws_kms_key.data").aliases).toEqual([]);
  });

  it("reports a key reference that is unknown and leads to no key", () => {
    const text = plan([
      dataBucket,
      {
        address: "aws_s3_bucket_server_side_encryption_configuration.data",
        type: "aws_s3_bucket_server_side_encryption_configuration",
        name: "data",
        values: sseValues({ sse_algorithm: "aws:kms" }, "example-data"),
        afterUnknown: sseKeyUnknown,
        expressions: sseKeyExpression(["aws_ssm_parameter.key.value", "aws_ssm_parameter.key"]),
      },
    ]);
    const inventory = load(text);
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption.keyReferenceForm).toBe("unknown");
    expect(encryption.key).toBeUndefined();
    expect(encryption.keyReference?.known).toBe(false);
    expect(inventory.unresolved).toHaveLength(1);
    expect(inventory.unresolved[0]).toMatchObject({
      reason: "known only after apply (it references aws_ssm_parameter.key.value)",
      consequence: "which key encrypts aws_s3_bucket_server_side_encryption_configuration.data by default is not checked",
    });
  });

  it("reports an aws_kms_key_policy whose key is unknown and not in the plan, and still lints its policy", () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }] });
    const text = plan([
      {
        address: "aws_kms_key_policy.shared",
        type: "aws_kms_key_policy",
        name: "shared",
        values: { bypass_policy_lockout_safety_check: false, policy },
        afterUnknown: { id: true, key_id: true },
        expressions: { key_id: { references: ["data.aws_kms_key.shared.id", "data.aws_kms_key.shared"] }, policy: { constant_value: policy } },
      },
    ]);
    const inventory = load(text);
    expect(inventory.policies).toHaveLength(1);
    expect(inventory.unresolved).toEqual([
      expect.objectContaining({ expression: "aws_kms_key_policy.shared.key_id", reason: "known only after apply (it references data.aws_kms_key.shared.id)", resource: "aws_kms_key_policy.shared" }),
    ]);
    const finding = lintInventory(inventory).findings.find((f) => f.ruleId === "public-access");
    expect(finding?.resource).toBe("aws_kms_key_policy.shared");
  });

  it("resolves references inside a module with count to the same module instance", () => {
    const provider = "registry.terraform.io/hashicorp/aws";
    const instance = (index: number) => {
      const prefix = `module.lake[${index}]`;
      const entry = (type: string, name: string, values: object) => ({ address: `${prefix}.${type}.${name}`, mode: "managed", type, name, provider_name: provider, schema_version: 0, values, sensitive_values: {} });
      return {
        resources: [
          entry("aws_kms_key", "data", keyValues()),
          entry("aws_s3_bucket", "lake", { bucket: `example-lake-${index}` }),
          entry("aws_s3_bucket_server_side_encryption_configuration", "lake", sseValues({ sse_algorithm: "aws:kms" })),
        ],
        address: prefix,
      };
    };
    const change = (index: number, type: string, name: string, afterUnknown: object) => ({
      address: `module.lake[${index}].${type}.${name}`,
      module_address: `module.lake[${index}]`,
      mode: "managed",
      type,
      name,
      provider_name: provider,
      change: { actions: ["create"], before: null, after: {}, after_unknown: afterUnknown, before_sensitive: false, after_sensitive: {} },
    });
    const value = {
      format_version: "1.2",
      planned_values: { root_module: { child_modules: [instance(0), instance(1)] } },
      resource_changes: [0, 1].flatMap((i) => [
        change(i, "aws_kms_key", "data", NEW_KEY_UNKNOWN),
        change(i, "aws_s3_bucket", "lake", { arn: true, id: true }),
        change(i, "aws_s3_bucket_server_side_encryption_configuration", "lake", { bucket: true, ...sseKeyUnknown }),
      ]),
      configuration: {
        root_module: {
          module_calls: {
            lake: {
              source: "./modules/lake",
              count_expression: { constant_value: 2 },
              module: {
                resources: [
                  { address: "aws_kms_key.data", mode: "managed", type: "aws_kms_key", name: "data", expressions: {} },
                  { address: "aws_s3_bucket.lake", mode: "managed", type: "aws_s3_bucket", name: "lake", expressions: { bucket: { references: ["count.index"] } } },
                  {
                    address: "aws_s3_bucket_server_side_encryption_configuration.lake",
                    mode: "managed",
                    type: "aws_s3_bucket_server_side_encryption_configuration",
                    name: "lake",
                    expressions: { ...sseKeyExpression(["aws_kms_key.data.arn", "aws_kms_key.data"]), bucket: { references: ["aws_s3_bucket.lake.id", "aws_s3_bucket.lake"] } },
                  },
                ],
              },
            },
          },
        },
      },
    };
    const inventory = load(JSON.stringify(value, null, 2));
    expect(inventory.buckets.map((b) => [b.resource.address, b.encryption?.keyReferenceForm, b.encryption?.key?.resource.address])).toEqual([
      ["module.lake[0].aws_s3_bucket.lake", "key-arn", "module.lake[0].aws_kms_key.data"],
      ["module.lake[1].aws_s3_bucket.lake", "key-arn", "module.lake[1].aws_kms_key.data"],
    ]);
    expect(inventory.unresolved).toEqual([]);
  });

  it("does not call a bucket's key aws/s3 when the algorithm itself is known only after apply", () => {
    const text = plan([
      dataBucket,
      {
        address: "aws_s3_bucket_server_side_encryption_configuration.data",
        type: "aws_s3_bucket_server_side_encryption_configuration",
        name: "data",
        values: { bucket: "example-data", rule: [{ apply_server_side_encryption_by_default: [{}], bucket_key_enabled: null }] },
        afterUnknown: { id: true, rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: true }] }] },
        expressions: {
          bucket: { constant_value: "example-data" },
          rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: { references: ["aws_ssm_parameter.algorithm.value", "aws_ssm_parameter.algorithm"] } }] }],
        },
      },
    ]);
    const inventory = load(text);
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption.algorithm.known).toBe(false);
    expect(encryption).toMatchObject({ keyReferenceForm: "absent", awsManagedKey: false });
    expect(inventory.unresolved.map((u) => u.expression)).toEqual(["aws_s3_bucket_server_side_encryption_configuration.data.rule.apply_server_side_encryption_by_default.sse_algorithm"]);
  });

  it("links an aws_kms_key_policy by a literal key ARN whose key id is known", () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }] });
    const id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const inventory = load(
      plan([
        { address: "aws_kms_key.data", type: "aws_kms_key", name: "data", values: keyValues({ id, key_id: id }), afterUnknown: { arn: true } },
        { address: "aws_kms_key_policy.data", type: "aws_kms_key_policy", name: "data", values: { key_id: `arn:aws:kms:eu-west-1:111122223333:key/${id}`, policy }, expressions: { key_id: { constant_value: "…" } } },
      ]),
    );
    expect(key(inventory, "aws_kms_key.data").policy?.resource.address).toBe("aws_kms_key_policy.data");
  });
});

describe("other key resources", () => {
  it("reads aws_kms_external_key as origin EXTERNAL at the resource, and a replica's primary as written", () => {
    const text = plan([
      { address: "aws_kms_external_key.imported", type: "aws_kms_external_key", name: "imported", values: { enabled: true, key_usage: "ENCRYPT_DECRYPT", multi_region: false }, afterUnknown: { arn: true, id: true, policy: true } },
      { address: "aws_kms_key.primary", type: "aws_kms_key", name: "primary", values: keyValues({ multi_region: true }), afterUnknown: NEW_KEY_UNKNOWN },
      {
        address: "aws_kms_replica_key.replica",
        type: "aws_kms_replica_key",
        name: "replica",
        values: { enabled: false, deletion_window_in_days: 7 },
        afterUnknown: { arn: true, id: true, key_id: true, policy: true, primary_key_arn: true },
        expressions: { primary_key_arn: { references: ["aws_kms_key.primary.arn", "aws_kms_key.primary"] } },
      },
    ]);
    const inventory = load(text);
    const imported = key(inventory, "aws_kms_external_key.imported");
    expect(imported.origin).toMatchObject({ known: true, value: "EXTERNAL" });
    expect(imported.origin?.range).toEqual(imported.resource.anchor);
    expect(textOf(text, imported.resource.anchor)).toBe('"aws_kms_external_key.imported"');
    expect(imported.defaultPolicy).toBe(true);
    const replica = key(inventory, "aws_kms_replica_key.replica");
    expect(replica.replicaOf).toBe("aws_kms_key.primary.arn");
    expect(known(replica.enabled)?.value).toBe(false);
    expect(replica.rotationEnabled).toBeUndefined();
    expect(inventory.resourceCount).toBe(3);
  });

  it("leaves the owner unset when the plan reads two different accounts", () => {
    const identity = (name: string, account: string): PlanResourceSpec => ({ address: `data.aws_caller_identity.${name}`, mode: "data", type: "aws_caller_identity", name, values: { account_id: account, id: account } });
    const prior = { prior_state: { format_version: "1.0", values: { root_module: { resources: [] } } } };
    expect(load(plan([identity("prod", "111122223333"), identity("audit", "444455556666")], prior)).owner).toBeUndefined();
    expect(load(plan([identity("prod", "111122223333")], prior)).owner).toEqual({ account: "111122223333", reason: "data.aws_caller_identity.prod in the plan" });
  });

  it("maps a syntax error inside a policy string onto the plan", () => {
    const text = plan([{ address: "aws_kms_key.broken", type: "aws_kms_key", name: "broken", values: keyValues({ policy: '{"Version": "2012-10-17", "Statement": [}' }), afterUnknown: { arn: true } }]);
    const inventory = load(text);
    const document = key(inventory, "aws_kms_key.broken").policy!.document!;
    expect(document.problem?.kind).toBe("syntax");
    // The `}` where a statement should be: after `{\"Version\": \"2012-10-17\", \"Statement\": [` in the plan's text.
    const policyStart = text.indexOf('"{\\"Version');
    const brace = text.indexOf("[}", policyStart) + 1;
    expect(document.problem?.range.start.offset).toBe(brace);
    const finding = lintInventory(inventory).findings.find((f) => f.ruleId === "invalid-json");
    expect(finding).toMatchObject({ resource: "aws_kms_key.broken", range: { start: { offset: brace } } });
  });
});

// ── Malformed input ──────────────────────────────────────────────────────────────────────────────────

describe("plans of the wrong shape give invalid-policy problems where they are wrong", () => {
  const base = () => JSON.parse(plan([{ address: "aws_kms_key.data", type: "aws_kms_key", name: "data", values: keyValues(), afterUnknown: NEW_KEY_UNKNOWN }])) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  const cases: { name: string; value: unknown; message: RegExp; line: number; column: number; token: string }[] = [
    { name: "not an object", value: [1, 2], message: /is JSON but a list, not a Terraform plan or state/, line: 1, column: 1, token: "[" },
    { name: "no planned_values or values", value: { format_version: "1.2" }, message: /neither planned_values .* nor values/, line: 1, column: 1, token: "{" },
    { name: "planned_values without root_module", value: { format_version: "1.2", planned_values: {} }, message: /^planned_values\.root_module is missing/, line: 3, column: 21, token: "{}" },
    { name: "root_module of the wrong type", value: { format_version: "1.0", values: { root_module: "none" } }, message: /^values\.root_module is the string "none"/, line: 4, column: 20, token: '"none"' },
    {
      name: "resources not a list",
      value: (() => {
        const p = base();
        p["planned_values"].root_module.resources = { "aws_kms_key.data": {} };
        return p;
      })(),
      message: /^planned_values\.root_module\.resources is an object, expected a list/,
      line: 6,
      column: 20,
      token: "{",
    },
    {
      name: "a resource entry that is not an object",
      value: (() => {
        const p = base();
        p["planned_values"].root_module.resources.push("aws_kms_key.other");
        return p;
      })(),
      message: /^planned_values\.root_module\.resources\[1\] is the string "aws_kms_key.other", expected a resource/,
      line: 22,
      column: 9,
      token: '"aws_kms_key.other"',
    },
    {
      name: "a resource entry without address and type",
      value: (() => {
        const p = base();
        delete p["planned_values"].root_module.resources[0].address;
        p["planned_values"].root_module.resources[0].type = 7;
        return p;
      })(),
      message: /^planned_values\.root_module\.resources\[0\] is not a resource Terraform prints: it has no address and type/,
      line: 7,
      column: 9,
      token: "{",
    },
    {
      name: "values not an object",
      value: (() => {
        const p = base();
        p["planned_values"].root_module.resources[0].values = "x";
        return p;
      })(),
      message: /^values is the string "x", expected an object/,
      line: 14,
      column: 21,
      token: '"x"',
    },
    {
      name: "a policy that is not a string",
      value: (() => {
        const p = base();
        p["planned_values"].root_module.resources[0].values.policy = 42;
        return p;
      })(),
      message: /^policy is the number 42, expected the policy as a JSON string/,
      line: 19,
      column: 23,
      token: "42",
    },
    {
      name: "a setting of the wrong type",
      value: (() => {
        const p = base();
        p["planned_values"].root_module.resources[0].values.enable_key_rotation = "yes";
        return p;
      })(),
      message: /^enable_key_rotation is the string "yes", expected a boolean/,
      line: 16,
      column: 36,
      token: '"yes"',
    },
    {
      name: "child_modules not a list",
      value: (() => {
        const p = base();
        p["planned_values"].root_module.child_modules = { address: "module.lake" };
        return p;
      })(),
      message: /^planned_values\.root_module\.child_modules is an object, expected a list of modules/,
      line: 23,
      column: 24,
      token: "{",
    },
    {
      name: "resource_changes not a list",
      value: (() => {
        const p = base();
        p["resource_changes"] = "none";
        return p;
      })(),
      message: /^resource_changes is the string "none", expected a list/,
      line: 25,
      column: 23,
      token: '"none"',
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      const text = JSON.stringify(testCase.value, null, 2);
      const inventory = load(text);
      expect(inventory.problems).toHaveLength(1);
      const problem = inventory.problems[0]!;
      expect(problem.ruleId).toBe("invalid-policy");
      expect(problem.message).toMatch(testCase.message);
      expect(at(problem.range)).toEqual({ line: testCase.line, column: testCase.column });
      expect(textOf(text, problem.range).startsWith(testCase.token)).toBe(true);
    });
  }

  it("names the resource in problems about one resource, and the linter reports them", () => {
    const p = base();
    p["planned_values"].root_module.resources[0].values.enable_key_rotation = "yes";
    const inventory = load(JSON.stringify(p, null, 2));
    expect(inventory.problems[0]?.resource).toBe("aws_kms_key.data");
    const finding = lintInventory(inventory).findings.find((f) => f.ruleId === "invalid-policy");
    expect(finding).toMatchObject({ resource: "aws_kms_key.data", range: { start: { line: 16, column: 36 } } });
    expect(finding?.message).toMatch(/^aws_kms_key\.data: enable_key_rotation is the string "yes"/);
  });
});

describe("random damage to valid plans never throws", () => {
  /** A small deterministic generator (mulberry32), so a failure is reproducible from its seed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Every container in the value, with the keys or indexes it holds. */
  function containers(value: unknown): (Record<string, unknown> | unknown[])[] {
    const found: (Record<string, unknown> | unknown[])[] = [];
    const stack = [value];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node !== null && typeof node === "object") {
        found.push(node as Record<string, unknown>);
        stack.push(...Object.values(node));
      }
    }
    return found;
  }

  const replacements = [null, 0, -1, 1.5, true, false, "", "x", "aws_kms_key.data", "{", '{"Statement": "*"}', [], [null], {}, { address: 3 }, { references: [1, null, "module.", "aws_kms_key.x[", 'aws_kms_key.k["'] }];

  for (const name of ["module-plan.json", "unknown-plan.json", "state.json", "legacy-plan.json"]) {
    it(`in ${name}`, () => {
      const original = fixture(name);
      for (let seed = 1; seed <= 150; seed++) {
        const next = random(seed);
        const value = JSON.parse(original) as unknown;
        const pool = containers(value);
        const damage = 1 + Math.floor(next() * 4);
        for (let k = 0; k < damage; k++) {
          const target = pool[Math.floor(next() * pool.length)]!;
          const keys = Object.keys(target);
          if (keys.length === 0) continue;
          const chosen = keys[Math.floor(next() * keys.length)]!;
          const replacement = replacements[Math.floor(next() * replacements.length)];
          if (next() < 0.4) {
            if (Array.isArray(target)) target.splice(Number(chosen), 1);
            else delete target[chosen];
          } else {
            (target as Record<string, unknown>)[chosen] = structuredClone(replacement);
          }
        }
        const text = JSON.stringify(value, null, next() < 0.5 ? 2 : undefined);
        let inventory: Inventory | undefined;
        expect(() => {
          inventory = load(text);
        }, `seed ${seed}`).not.toThrow();
        expect(inventory!.problems.filter((p) => p.message.startsWith("kmslint could not finish")), `seed ${seed}`).toEqual([]);
        expect(() => lintInventory(inventory!), `seed ${seed}`).not.toThrow();
      }
    });
  }
});

// ── Regressions ─────────────────────────────────────────────────────────────────────────────────────────

describe("the AWS managed key aws/s3 reached through a data source", () => {
  const awsKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-1111-2222-3333-444455556666";
  const share = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "Share", Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::example-data/*" }],
  });
  const sharedBucket: PlanResourceSpec[] = [
    { address: "data.aws_caller_identity.current", type: "aws_caller_identity", name: "current", mode: "data", values: { account_id: "111122223333" } },
    dataBucket,
    {
      address: "aws_s3_bucket_policy.data",
      type: "aws_s3_bucket_policy",
      name: "data",
      values: { bucket: "example-data", policy: share },
      afterUnknown: { id: true },
      expressions: { bucket: { constant_value: "example-data" }, policy: { constant_value: share } },
    },
  ];
  const encryptedBy = (references: string[], value?: string): PlanResourceSpec => ({
    address: "aws_s3_bucket_server_side_encryption_configuration.data",
    type: "aws_s3_bucket_server_side_encryption_configuration",
    name: "data",
    values: sseValues({ sse_algorithm: "aws:kms", ...(value !== undefined ? { kms_master_key_id: value } : {}) }, "example-data"),
    afterUnknown: value !== undefined ? { id: true } : sseKeyUnknown,
    expressions: sseKeyExpression(references),
  });
  const s3Alias = (values: Record<string, unknown>): PlanResourceSpec => ({
    address: "data.aws_kms_alias.s3",
    type: "aws_kms_alias",
    name: "s3",
    mode: "data",
    values,
    expressions: { name: { constant_value: "alias/aws/s3" } },
  });
  const awsManagedFindings = (inventory: Inventory) => lintInventory(inventory).findings.filter((f) => f.ruleId === "aws-managed-key-on-shared-bucket");

  it("reads data.aws_kms_alias.s3.target_key_arn (read while planning, a key ARN in the plan) as aws/s3 and reports the shared bucket", () => {
    const alias = s3Alias({ name: "alias/aws/s3", arn: "arn:aws:kms:eu-west-1:111122223333:alias/aws/s3", target_key_arn: awsKeyArn, target_key_id: "0b1c2d3e-1111-2222-3333-444455556666" });
    const inventory = load(plan([alias, ...sharedBucket, encryptedBy(["data.aws_kms_alias.s3.target_key_arn", "data.aws_kms_alias.s3"], awsKeyArn)]));
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption).toMatchObject({ keyReferenceForm: "key-arn", awsManagedKey: true });
    expect(inventory.keys).toEqual([]);
    expect(inventory.resourceCount).toBe(3);
    expect(awsManagedFindings(inventory)).toHaveLength(1);
  });

  it("reads a data source that is only in prior_state, referenced by .arn while the value is unknown, as alias-arn aws/s3", () => {
    const alias = s3Alias({ name: "alias/aws/s3", arn: "arn:aws:kms:eu-west-1:111122223333:alias/aws/s3", target_key_arn: awsKeyArn });
    const value = JSON.parse(plan([alias, ...sharedBucket, encryptedBy(["data.aws_kms_alias.s3.arn", "data.aws_kms_alias.s3"])])) as {
      planned_values: { root_module: { resources: { address: string }[] } };
      prior_state?: unknown;
    };
    const resources = value.planned_values.root_module.resources;
    const read = resources.find((r) => r.address === "data.aws_kms_alias.s3")!;
    value.planned_values.root_module.resources = resources.filter((r) => r !== read);
    value.prior_state = { format_version: "1.0", values: { root_module: { resources: [read] } } };
    const inventory = load(JSON.stringify(value, null, 2));
    expect(bucket(inventory, "aws_s3_bucket.data").encryption).toMatchObject({ keyReferenceForm: "alias-arn", awsManagedKey: true });
    expect(inventory.unresolved).toEqual([]);
    expect(awsManagedFindings(inventory)).toHaveLength(1);
  });

  it("reads data.aws_kms_key.x.arn as aws/s3 by the key_id the configuration writes, or by a key_manager of AWS", () => {
    const byKeyId: PlanResourceSpec = { address: "data.aws_kms_key.s3", type: "aws_kms_key", name: "s3", mode: "data", values: {}, expressions: { key_id: { constant_value: "alias/aws/s3" } } };
    const first = load(plan([byKeyId, ...sharedBucket, encryptedBy(["data.aws_kms_key.s3.arn", "data.aws_kms_key.s3"])]));
    expect(bucket(first, "aws_s3_bucket.data").encryption).toMatchObject({ keyReferenceForm: "key-arn", awsManagedKey: true });
    expect(awsManagedFindings(first)).toHaveLength(1);

    const byManager: PlanResourceSpec = { ...byKeyId, values: { key_id: awsKeyArn, arn: awsKeyArn, key_manager: "AWS" }, expressions: { key_id: { constant_value: awsKeyArn } } };
    const second = load(plan([byManager, ...sharedBucket, encryptedBy(["data.aws_kms_key.s3.arn", "data.aws_kms_key.s3"], awsKeyArn)]));
    expect(bucket(second, "aws_s3_bucket.data").encryption).toMatchObject({ keyReferenceForm: "key-arn", awsManagedKey: true });
  });

  it("reads a customer managed alias of a data source as a key outside the plan, with no unresolved value", () => {
    const alias: PlanResourceSpec = { address: "data.aws_kms_alias.app", type: "aws_kms_alias", name: "app", mode: "data", values: {}, expressions: { name: { constant_value: "alias/app" } } };
    const inventory = load(plan([alias, ...sharedBucket, encryptedBy(["data.aws_kms_alias.app.target_key_arn", "data.aws_kms_alias.app"])]));
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption).toMatchObject({ keyReferenceForm: "key-arn", awsManagedKey: false });
    expect(encryption.key).toBeUndefined();
    expect(inventory.unresolved).toEqual([]);
  });

  it("keeps the key unresolved when the data source cannot be evaluated, instead of a silent key ARN", () => {
    const alias: PlanResourceSpec = { address: "data.aws_kms_alias.k", type: "aws_kms_alias", name: "k", mode: "data", values: {}, expressions: { name: { references: ["aws_ssm_parameter.alias.value", "aws_ssm_parameter.alias"] } } };
    const inventory = load(plan([alias, ...sharedBucket, encryptedBy(["data.aws_kms_alias.k.target_key_arn", "data.aws_kms_alias.k"])]));
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption).toMatchObject({ keyReferenceForm: "key-arn", awsManagedKey: false });
    expect(encryption.key).toBeUndefined();
    expect(encryption.keyReference?.known).toBe(false);
    expect(inventory.unresolved).toEqual([
      expect.objectContaining({
        expression: "aws_s3_bucket_server_side_encryption_configuration.data.rule.apply_server_side_encryption_by_default.kms_master_key_id",
        reason: "known only after apply (it references data.aws_kms_alias.k.target_key_arn)",
        consequence: expect.stringContaining("which key data.aws_kms_alias.k reads is not known"),
      }),
    ]);
    const note = lintInventory(inventory).findings.find((f) => f.ruleId === "unresolved-value");
    expect(note?.range).toEqual(inventory.unresolved[0]!.range);
    expect(note?.message).toContain("Which key data.aws_kms_alias.k reads is not known, so whether");
  });
});

describe("policy size as the AWS provider sends it", () => {
  it("measures an indented policy string compact: 40 KB indented but 25 KB compact is no policy-size error", () => {
    const statements = [{ Sid: "Root", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }];
    for (let i = 0; i < 120; i++) {
      statements.push({ Sid: `S${i}`, Effect: "Allow", Principal: { AWS: [0, 1].map((j) => `arn:aws:iam::111122223333:role/app-role-${i}-${j}`) } as never, Action: ["kms:Decrypt", "kms:GenerateDataKey"] as never, Resource: "*" });
    }
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);
    expect(Buffer.byteLength(policy)).toBeGreaterThan(32768);
    const inventory = load(plan([{ address: "aws_kms_key.k", type: "aws_kms_key", name: "k", values: keyValues({ policy }), afterUnknown: { arn: true, id: true, key_id: true }, expressions: { policy: { references: ["data.aws_iam_policy_document.k.json", "data.aws_iam_policy_document.k"] } } }]));
    const document = key(inventory, "aws_kms_key.k").policy!.document!;
    expect(document.rawBytes).toBe(Buffer.byteLength(JSON.stringify(JSON.parse(policy))));
    expect(document.sizeBasis).toBe("as the AWS provider sends it (compact JSON)");
    expect(lintInventory(inventory).findings.filter((f) => f.ruleId === "policy-size")).toEqual([]);
  });
});

describe("an aws_kms_key_policy whose key is not known", () => {
  const keyPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Root", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }] });
  const share = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "Share", Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::example-data/*" }],
  });
  const resources = (keyIdReferences: string[]): PlanResourceSpec[] => [
    { address: "aws_kms_key.k", type: "aws_kms_key", name: "k", values: keyValues(), afterUnknown: NEW_KEY_UNKNOWN, expressions: { enable_key_rotation: { constant_value: true } } },
    {
      address: "aws_kms_key_policy.k",
      type: "aws_kms_key_policy",
      name: "k",
      values: { bypass_policy_lockout_safety_check: false, policy: keyPolicy },
      afterUnknown: { id: true, key_id: true },
      expressions: { key_id: { references: keyIdReferences }, policy: { constant_value: keyPolicy } },
    },
    dataBucket,
    {
      address: "aws_s3_bucket_policy.data",
      type: "aws_s3_bucket_policy",
      name: "data",
      values: { bucket: "example-data", policy: share },
      afterUnknown: { id: true },
      expressions: { bucket: { constant_value: "example-data" }, policy: { constant_value: share } },
    },
    {
      address: "aws_s3_bucket_server_side_encryption_configuration.data",
      type: "aws_s3_bucket_server_side_encryption_configuration",
      name: "data",
      values: sseValues({ sse_algorithm: "aws:kms" }, "example-data"),
      afterUnknown: sseKeyUnknown,
      expressions: sseKeyExpression(["aws_kms_key.k.arn", "aws_kms_key.k"]),
    },
  ];

  it("gives a key without a linked policy neither the default policy nor a policy, and says its policy is not known", () => {
    const inventory = load(plan(resources(["local.key_id"])));
    const k = key(inventory, "aws_kms_key.k");
    expect(k.defaultPolicy).toBeUndefined();
    expect(k.policy).toBeUndefined();
    expect(inventory.unresolved.map((u) => u.expression)).toEqual(["aws_kms_key_policy.k.key_id", "aws_kms_key.k.policy"]);
    expect(inventory.unresolved[1]).toMatchObject({ resource: "aws_kms_key.k", reason: expect.stringContaining("aws_kms_key_policy.k") });
    expect(lintInventory(inventory).findings.filter((f) => f.ruleId === "bucket-key-mismatch")).toEqual([]);
  });

  it("still gives the key its policy when the policy resource is linked to it", () => {
    const inventory = load(plan(resources(["aws_kms_key.k.id", "aws_kms_key.k"])));
    expect(key(inventory, "aws_kms_key.k").policy?.resource.address).toBe("aws_kms_key_policy.k");
    expect(inventory.unresolved).toEqual([]);
  });
});

describe("state files: a key that does not rotate", () => {
  it("reads rotation_period_in_days 0 with rotation off as no period, and keeps a real period", () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Root", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }] });
    const state = (rotation: boolean, period: number | null) =>
      JSON.stringify(
        {
          format_version: "1.0",
          terraform_version: "1.9.8",
          values: {
            root_module: {
              resources: [
                {
                  address: "aws_kms_key.k",
                  mode: "managed",
                  type: "aws_kms_key",
                  name: "k",
                  provider_name: "registry.terraform.io/hashicorp/aws",
                  schema_version: 0,
                  values: { ...keyValues({ enable_key_rotation: rotation, policy, rotation_period_in_days: period, custom_key_store_id: "", xks_key_id: "" }) },
                  sensitive_values: {},
                },
              ],
            },
          },
        },
        null,
        2,
      );
    for (const period of [0, null]) {
      const inventory = load(state(false, period));
      expect(key(inventory, "aws_kms_key.k").rotationPeriodDays).toBeUndefined();
      expect(lintInventory(inventory).findings.filter((f) => f.ruleId === "invalid-policy")).toEqual([]);
    }
    expect(known(key(load(state(true, 180)), "aws_kms_key.k").rotationPeriodDays)?.value).toBe(180);
  });
});

describe("default encryption written as a dynamic block (left out of the plan's configuration)", () => {
  it("keeps a rule known only after apply as unresolved instead of dropping it", () => {
    const inventory = load(
      plan([
        dataBucket,
        {
          address: "aws_s3_bucket_server_side_encryption_configuration.data",
          type: "aws_s3_bucket_server_side_encryption_configuration",
          name: "data",
          values: { bucket: "example-data", expected_bucket_owner: null },
          afterUnknown: { id: true, rule: true },
          expressions: { bucket: { constant_value: "example-data" } },
        },
      ]),
    );
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption.algorithm.known).toBe(false);
    expect(inventory.unresolved.map((u) => u.expression)).toEqual(["aws_s3_bucket_server_side_encryption_configuration.data.rule"]);
  });

  it("keeps an algorithm known only after apply inside a dynamic rule as unresolved", () => {
    const inventory = load(
      plan([
        dataBucket,
        {
          address: "aws_s3_bucket_server_side_encryption_configuration.data",
          type: "aws_s3_bucket_server_side_encryption_configuration",
          name: "data",
          values: { bucket: "example-data", rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: null }], bucket_key_enabled: true }] },
          afterUnknown: { id: true, rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: true }] }] },
          expressions: { bucket: { constant_value: "example-data" } },
        },
      ]),
    );
    const encryption = bucket(inventory, "aws_s3_bucket.data").encryption!;
    expect(encryption.algorithm.known).toBe(false);
    expect(inventory.unresolved.map((u) => u.expression)).toEqual(["aws_s3_bucket_server_side_encryption_configuration.data.rule.apply_server_side_encryption_by_default.sse_algorithm"]);
  });

  it("still reads an aws_s3_bucket's computed server_side_encryption_configuration the configuration does not write as not set", () => {
    const inventory = load(plan([{ ...dataBucket, afterUnknown: { arn: true, id: true, policy: true, server_side_encryption_configuration: true } }]));
    expect(bucket(inventory, "aws_s3_bucket.data").encryption).toBeUndefined();
    expect(inventory.unresolved).toEqual([]);
  });
});
