/**
 * Builds Inventories by hand for unit tests of the inventory rules, without a CloudFormation or Terraform
 * source: keys, buckets, encryption settings and policies, each fact with the line and column it would have
 * in a template. Policies are given as JSON text (or an object, pretty-printed) and placed at a line of the
 * imagined template, so that findings inside them have real positions.
 */
import { describe, expect, it } from "vitest";
import { lintInventory, type DocumentResult, type Finding, type LintOptions } from "../src/engine/linter.js";
import type { TrustContext } from "../src/engine/rule.js";
import { objectPolicyDocument, stringPolicyDocument } from "../src/model/embedded.js";
import { createDocument } from "../src/model/document.js";
import type { Position, Range } from "../src/model/json.js";
import {
  keyReferenceForm,
  type BucketEncryption,
  type Fact,
  type Inventory,
  type InventoryBucket,
  type InventoryFormat,
  type InventoryKey,
  type InventoryPolicy,
  type KeyReferenceForm,
  type ResourceRef,
  type UnresolvedValue,
} from "../src/model/inventory.js";
import type { PolicyKind } from "../src/model/policy.js";

export const OWNER = "111122223333";
export const PARTNER = "444455556666";
export const ORG_ACCOUNT = "777788889999";
export const ORG = "o-a1b2c3d4e5";
export const OTHER_ORG = "o-9z8y7x6w5v";

/** A range on one line: `length` characters from `column`. */
export function at(line: number, column: number, length = 1): Range {
  return { start: { line, column, offset: 0 }, end: { line, column: column + length, offset: 0 } };
}

/** A setting written at line:column. */
export function known<T>(value: T, line: number, column = 5): Fact<T> {
  return { known: true, value, range: at(line, column, String(value).length) };
}

/** Where a policy is placed in the imagined template. */
export interface PolicyPlacement {
  /** The resource the policy is written in; defaults to the key's or bucket's, or a resource of that address. */
  resource?: ResourceRef | string;
  /** Line of the template where the JSON text's first line goes. */
  line: number;
  /** Spaces before every line of the JSON text. */
  indent?: number;
  /** `object`: a structure in a CloudFormation template (compact JSON size); `string`: a Terraform `policy` string. Defaults by format. */
  shape?: "object" | "string";
}

/** A key's settings, as the sources set them (the resource and the policy are the builder's). */
export type KeySettings = Partial<Omit<InventoryKey, "resource" | "policy">>;

export interface EncryptionSettings {
  algorithm: Fact<string>;
  /** KMSMasterKeyID as written; absent for aws/s3 by default. */
  keyReference?: Fact<string>;
  /** The key of the inventory the reference resolves to. */
  key?: InventoryKey;
  /** The resource the encryption is written in; the bucket's by default. */
  resource?: ResourceRef;
  /** Line of the encryption rule (the anchor); the algorithm's line by default. */
  line?: number;
  /** How the reference names the key, when the source tells it from the expression (`aws_kms_key.x.key_id` is a key id). */
  form?: KeyReferenceForm;
}

export class InventoryBuilder {
  readonly inventory: Inventory;

  constructor(options: { filePath?: string; format?: InventoryFormat; owner?: string } = {}) {
    const format = options.format ?? "cloudformation";
    this.inventory = {
      filePath: options.filePath ?? (format === "terraform-plan" ? "plan.json" : "template.yaml"),
      format,
      keys: [],
      buckets: [],
      aliases: [],
      policies: [],
      unresolved: [],
      problems: [],
      resourceCount: 0,
    };
    if (options.owner) this.inventory.owner = { account: options.owner, reason: "data.aws_caller_identity" };
  }

  /** A resource declared at `line` (its logical id or address is the anchor). */
  resource(address: string, type: string, line: number): ResourceRef {
    this.inventory.resourceCount++;
    return { address, type, anchor: at(line, 3, address.length) };
  }

  /** A value the source could not evaluate, listed in inventory.unresolved. */
  unresolved(expression: string, reason: string, line: number, column = 5, extra: { consequence?: string; resource?: string } = {}): UnresolvedValue {
    const value: UnresolvedValue = { expression, reason, range: at(line, column, expression.length), ...extra };
    this.inventory.unresolved.push(value);
    return value;
  }

  /** A setting whose value could not be evaluated (also listed in inventory.unresolved). */
  unknown<T>(expression: string, reason: string, line: number, column = 5, extra: { consequence?: string; resource?: string } = {}): Fact<T> {
    const unresolved = this.unresolved(expression, reason, line, column, extra);
    return { known: false, unresolved, range: unresolved.range };
  }

  /** A policy from JSON text (or an object, pretty-printed with two spaces), placed at `placement.line`. */
  policy(kind: PolicyKind, json: string | object, placement: PolicyPlacement): InventoryPolicy {
    const text = typeof json === "string" ? json : JSON.stringify(json, null, 2);
    const resource =
      typeof placement.resource === "object"
        ? placement.resource
        : this.resource(placement.resource ?? (kind === "key-policy" ? "KeyPolicy" : "BucketPolicy"), kind === "key-policy" ? "AWS::KMS::Key" : "AWS::S3::BucketPolicy", placement.line - 1);
    const indent = placement.indent ?? 6;
    const shift = (p: Position): Position => ({ line: placement.line + p.line - 1, column: p.column + indent, offset: p.offset });
    const shiftRange = (r: Range): Range => ({ start: shift(r.start), end: shift(r.end) });
    const inner = createDocument(text, this.inventory.filePath);
    const anchor = at(placement.line - 1, indent - 1, kind === "key-policy" ? "KeyPolicy".length : "PolicyDocument".length);
    const whole = shiftRange(inner.whole());
    const shape = placement.shape ?? (this.inventory.format === "terraform-plan" ? "string" : "object");
    const document =
      shape === "object"
        ? objectPolicyDocument({
            filePath: this.inventory.filePath,
            value: inner.value,
            locate: (path, target) => shiftRange(inner.locate(path, target)),
            whole,
            anchor,
            duplicateKeys: inner.duplicateKeys().map((d) => ({ ...d, first: shiftRange(d.first), duplicate: shiftRange(d.duplicate) })),
            sizeBasis: "as CloudFormation sends it (compact JSON)",
          })
        : stringPolicyDocument({
            filePath: this.inventory.filePath,
            text,
            toOuter: (offset) => shift(positionOf(text, offset)),
            whole,
            anchor,
            sizeBasis: "as the AWS provider sends it (compact JSON)",
            measure: "compact",
          });
    const policy: InventoryPolicy = { kind, resource, document };
    this.inventory.policies.push(policy);
    return policy;
  }

  /** A policy kmslint could not evaluate (a `jsonencode` known only after apply, an unresolvable intrinsic). */
  unresolvedPolicy(kind: PolicyKind, resource: ResourceRef, expression: string, line: number): InventoryPolicy {
    const unresolved = this.unresolved(expression, "its value is known only after apply", line, 5, { resource: resource.address });
    const policy: InventoryPolicy = { kind, resource, document: undefined, unresolved };
    this.inventory.policies.push(policy);
    return policy;
  }

  /** A key declared at `line`, with its key policy when given. */
  key(address: string, line: number, settings: KeySettings = {}, policy?: { json: string | object; line: number }): InventoryKey {
    const type = settings.replicaOf ? "AWS::KMS::ReplicaKey" : this.inventory.format === "terraform-plan" ? "aws_kms_key" : "AWS::KMS::Key";
    const resource = this.resource(address, type, line);
    const { aliases, ...rest } = settings;
    const key: InventoryKey = { resource, keyManager: "CUSTOMER", aliases: aliases ?? [], ...rest };
    if (policy) key.policy = this.policy("key-policy", policy.json, { resource, line: policy.line });
    this.inventory.keys.push(key);
    return key;
  }

  /** A bucket declared at `line`. */
  bucket(address: string, line: number, settings: { name?: string; encryption?: EncryptionSettings } = {}): InventoryBucket {
    const resource = this.resource(address, this.inventory.format === "terraform-plan" ? "aws_s3_bucket" : "AWS::S3::Bucket", line);
    const bucket: InventoryBucket = { resource, policies: [] };
    if (settings.name !== undefined) bucket.name = settings.name;
    if (settings.encryption) bucket.encryption = this.encryption(resource, settings.encryption);
    this.inventory.buckets.push(bucket);
    return bucket;
  }

  /** Attaches a bucket policy (a separate `AWS::S3::BucketPolicy` or `aws_s3_bucket_policy` resource) to a bucket. */
  bucketPolicy(bucket: InventoryBucket, address: string, json: string | object, line: number): InventoryPolicy {
    const type = this.inventory.format === "terraform-plan" ? "aws_s3_bucket_policy" : "AWS::S3::BucketPolicy";
    const resource = this.resource(address, type, line - 2);
    const policy = this.policy("bucket-policy", json, { resource, line });
    bucket.policies.push(policy);
    return policy;
  }

  private encryption(bucket: ResourceRef, settings: EncryptionSettings): BucketEncryption {
    const reference = settings.keyReference && settings.keyReference.known ? settings.keyReference.value : undefined;
    const read = settings.keyReference && !settings.keyReference.known ? { form: "unknown" as const, awsManagedKey: false } : keyReferenceForm(reference);
    const encryption: BucketEncryption = {
      algorithm: settings.algorithm,
      keyReferenceForm: settings.form ?? read.form,
      awsManagedKey: read.awsManagedKey,
      resource: settings.resource ?? bucket,
      anchor: settings.line !== undefined ? at(settings.line, 11, "ServerSideEncryptionByDefault".length) : settings.algorithm.range,
    };
    if (settings.keyReference) encryption.keyReference = settings.keyReference;
    if (settings.key) encryption.key = settings.key;
    return encryption;
  }

  lint(options: LintOptions = {}): DocumentResult {
    return lintInventory(this.inventory, options);
  }
}

function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

/** What a test compares: rule, severity and position of each finding of one rule, plus the messages for substring checks. */
export interface Found {
  ruleId: string;
  severity: string;
  line: number;
  column: number;
  messageId: string;
  message: string;
  resource: string | undefined;
}

export function findingsOf(builder: InventoryBuilder, ruleId: string, trust?: Partial<TrustContext>, options: LintOptions = {}): Found[] {
  const full: TrustContext | undefined = trust ? { trustedAccounts: [], ...trust } : undefined;
  const result = builder.lint({ ...options, ...(full ? { trust: full } : {}) });
  return result.findings.filter((f: Finding) => f.ruleId === ruleId).map((f) => ({
    ruleId: f.ruleId,
    severity: f.severity,
    line: f.range.start.line,
    column: f.range.start.column,
    messageId: f.messageId,
    message: f.message,
    resource: f.resource,
  }));
}

export interface ExpectedInventoryFinding {
  messageId?: string;
  line: number;
  column: number;
  severity?: "error" | "warning" | "info";
  /** Substrings the message must contain. */
  message?: string | string[];
  resource?: string;
}

/** Compares findings with a table of expectations in the RuleTester style (only the fields given are compared). */
export function expectFindings(found: Found[], expected: ExpectedInventoryFinding[]): { actual: unknown[]; wanted: unknown[] } {
  const actual = found.map((f, i) => {
    const want = expected[i];
    const got: Record<string, unknown> = { line: f.line, column: f.column };
    if (want?.messageId !== undefined) got["messageId"] = f.messageId;
    if (want?.severity !== undefined) got["severity"] = f.severity;
    if (want?.resource !== undefined) got["resource"] = f.resource;
    if (want?.message !== undefined) {
      const parts = Array.isArray(want.message) ? want.message : [want.message];
      got["message"] = parts.map((p) => (f.message.includes(p) ? p : `«${p}» not in: ${f.message}`));
    }
    return got;
  });
  const wanted = expected.map((e) => {
    const want: Record<string, unknown> = { line: e.line, column: e.column };
    if (e.messageId !== undefined) want["messageId"] = e.messageId;
    if (e.severity !== undefined) want["severity"] = e.severity;
    if (e.resource !== undefined) want["resource"] = e.resource;
    if (e.message !== undefined) want["message"] = Array.isArray(e.message) ? e.message : [e.message];
    return want;
  });
  return { actual, wanted };
}

export interface InventoryCase {
  name: string;
  /** Builds the inventory of the case. */
  build: () => InventoryBuilder;
  trust?: Partial<TrustContext>;
  /** Rule options from the config, by rule id. */
  ruleOptions?: LintOptions["ruleOptions"];
  /** Severities from the config, by rule id. */
  severities?: LintOptions["severities"];
}

function lintOptionsOf(test: InventoryCase): LintOptions {
  return { ...(test.ruleOptions ? { ruleOptions: test.ruleOptions } : {}), ...(test.severities ? { severities: test.severities } : {}) };
}

export interface InvalidInventoryCase extends InventoryCase {
  errors: ExpectedInventoryFinding[];
}

/** RuleTester for inventory rules: a table of inventories without findings of the rule, and of inventories with exactly these findings. */
export function inventoryRuleTester(ruleId: string, cases: { valid: InventoryCase[]; invalid: InvalidInventoryCase[] }): void {
  describe(ruleId, () => {
    describe("valid", () => {
      for (const test of cases.valid) {
        it(test.name, () => {
          const found = findingsOf(test.build(), ruleId, test.trust, lintOptionsOf(test));
          expect(found.map((f) => `${f.line}:${f.column} ${f.message}`)).toEqual([]);
        });
      }
    });
    describe("invalid", () => {
      for (const test of cases.invalid) {
        it(test.name, () => {
          const found = findingsOf(test.build(), ruleId, test.trust, lintOptionsOf(test));
          const { actual, wanted } = expectFindings(found, test.errors);
          expect(actual).toEqual(wanted);
        });
      }
    });
  });
}
