/**
 * One file's work, the same on the main thread and in a worker: read it, decide what it is from its content
 * (a policy, a CloudFormation template in JSON or YAML, a Terraform plan), skip it if it is plainly none of
 * these (inside folders only), lint it, shape the result. The YAML parser is loaded only when a YAML file
 * needs it.
 */
import { resolve } from "node:path";
import { lintDocument, lintInventory, type DocumentResult, type LintOptions } from "../engine/linter.js";
import { createDecodedDocument, createDocument, parsedJsonOf, type PolicyDocument } from "../model/document.js";
import type { Inventory, SourceContext } from "../model/inventory.js";
import { blankJsoncSyntax } from "../model/jsonc.js";
import { detectSourceFormat } from "../model/kind.js";
import { POLICY_KINDS, type PolicyKind } from "../model/policy.js";
import { decodeSource } from "../model/source.js";
import { toLintResult, type LintResult } from "../report/results.js";
import { loadCloudFormationJson } from "../sources/cfn-json.js";
import { loadCloudFormationYaml, loadYamlParser } from "../sources/cfn-yaml.js";
import { readSource } from "../sources/files.js";
import { loadTerraformPlan } from "../sources/terraform-plan.js";

/** What `--kind` can force. */
export type ForcedKind = PolicyKind | "cloudformation" | "terraform-plan";

export interface LintTask {
  path: string;
  explicit: boolean;
  options: Omit<LintOptions, "rules" | "kind"> & {
    kind?: ForcedKind;
    /** CloudFormation parameter values (--parameter, config `parameters`). */
    parameters?: Readonly<Record<string, string>>;
  };
}

export type TaskOutcome = { skipped: true } | { skipped: false; result: LintResult };

/** A policy a task linted, with its document (positions into the file): for checks that run after linting (Access Analyzer). */
export interface CheckedPolicy {
  document: PolicyDocument;
  kind: PolicyKind;
  /** In a template or plan: the resource it belongs to. */
  resource?: string;
}

/** Receives the policies of the task being run (set by runTask for one task at a time, in this thread). */
let sink: ((policy: CheckedPolicy) => void) | undefined;

function checkDocument(document: PolicyDocument, options: LintOptions): DocumentResult {
  const result = lintDocument(document, options);
  if (sink && document.policy && (POLICY_KINDS as readonly string[]).includes(result.kind)) sink({ document, kind: result.kind as PolicyKind });
  return result;
}

function checkInventory(inventory: Inventory, options: LintOptions): DocumentResult {
  const result = lintInventory(inventory, options);
  if (sink) for (const policy of inventory.policies) if (policy.document?.policy) sink({ document: policy.document, kind: policy.kind, resource: policy.resource.address });
  return result;
}

const YAML_NAME = /\.ya?ml$/i;
/** A top-level CloudFormation section in YAML or JSON text. */
const TEMPLATE_SECTION = /^["']?(AWSTemplateFormatVersion|Resources)["']?\s*:/m;
const JSON_NAME = /\.json$/i;

/** Lints one file; `collect`, when given, receives every policy it linted (tasks must then run one at a time). */
export async function runTask(task: LintTask, collect?: (policy: CheckedPolicy) => void): Promise<TaskOutcome> {
  sink = collect;
  let result: DocumentResult | undefined;
  try {
    result = await lintFile(task);
  } finally {
    sink = undefined;
  }
  if (!result) return { skipped: true };
  return { skipped: false, result: toLintResult({ ...result, filePath: resolve(task.path) }) };
}

async function lintFile(task: LintTask): Promise<DocumentResult | undefined> {
  const read = readSource(task.path);
  if ("document" in read) return checkDocument(read.document, lintOptionsOf(task.options));
  return lintSource(read.bytes, task.path, task.options, task.explicit);
}

function lintOptionsOf(options: LintTask["options"]): LintOptions {
  const { kind, parameters: _parameters, ...rest } = options;
  const policyKind = kind !== undefined && (POLICY_KINDS as readonly string[]).includes(kind) ? (kind as PolicyKind) : undefined;
  return { ...rest, ...(policyKind ? { kind: policyKind } : {}) };
}

/**
 * Lints one file's bytes, whatever it is: a policy, a CloudFormation template (YAML or JSON) or a Terraform
 * plan. Returns undefined for a file found in a folder that is none of these (`explicit` false).
 */
export async function lintSource(bytes: Uint8Array, path: string, options: LintTask["options"], explicit = true): Promise<DocumentResult | undefined> {
  const { kind, parameters } = options;
  const lintOptions = lintOptionsOf(options);
  const policyKind = lintOptions.kind;
  const context: SourceContext = { trust: options.trust ?? { trustedAccounts: [] }, ...(parameters ? { parameters } : {}) };
  const decoded = decodeSource(bytes);
  if (!decoded.ok) {
    // Binary or non-UTF-8 files found in folders are reported only where policies are looked for (`*.json`).
    if (!explicit && !JSON_NAME.test(path)) return undefined;
    return checkDocument(createDocument(bytes, path), lintOptions);
  }

  if (isYaml(path, decoded.text, kind)) {
    // In folders, YAML that does not even name a template section (a workflow, a Helm chart, docker-compose)
    // is not ours: skipped without parsing, so that its syntax is not reported.
    if (!explicit && !TEMPLATE_SECTION.test(decoded.text)) return undefined;
    await loadYamlParser();
    const inventory = loadCloudFormationYaml(decoded.text, path, context);
    if (inventory) return checkInventory(inventory, lintOptions);
    // YAML that is not a template: skipped inside folders, a finding when named.
    if (!explicit) return undefined;
    const what = "YAML, but not a CloudFormation template (no AWSTemplateFormatVersion, no Resources of AWS types)";
    return { ...checkInventory(notASource(path, what), lintOptions), kindReason: `not decided: the file is ${what}` };
  }

  // A `.template` (or other non-JSON-named) file in a folder that does not start like JSON: an email or nginx
  // template, not a CloudFormation one.
  if (!explicit && !JSON_NAME.test(path) && !/^\s*[[{]/.test(decoded.text)) return undefined;
  const document: PolicyDocument = createDecodedDocument(decoded, path);
  if (document.problem) {
    // JSON with comments or trailing commas that is not a policy, template or plan (tsconfig.json, editor
    // settings) is not ours; found in a folder (or named with --ignore-unknown) it is skipped. Anything that
    // reads as one of kmslint's inputs once its comments are blanked is still reported: AWS takes no comments.
    if (!explicit && document.problem.kind === "syntax" && isForeignJsonc(decoded.text)) return undefined;
    return checkDocument(document, lintOptions);
  }
  const format = kind === "cloudformation" || kind === "terraform-plan" ? kind : policyKind ? "policy" : detectSourceFormat(document.value);
  switch (format) {
    case "cloudformation": {
      return checkInventory(loadCloudFormationJson(decoded.text, path, context), lintOptions);
    }
    case "terraform-plan": {
      const parsed = parsedJsonOf(document);
      if (!parsed) return checkDocument(document, lintOptions);
      return checkInventory(loadTerraformPlan(parsed, path, context), lintOptions);
    }
    case "policy":
      return checkDocument(document, lintOptions);
    default:
      // Inside folders, JSON that is plainly none of these (package.json, tsconfig.json) is skipped; a file
      // named on the command line is always linted, so a wrong file there is a finding, not silence.
      return explicit ? checkDocument(document, lintOptions) : undefined;
  }
}

/** Whether the text parses as JSON once comments and trailing commas are removed, and is then none of kmslint's inputs. */
function isForeignJsonc(text: string): boolean {
  try {
    const value: unknown = JSON.parse(blankJsoncSyntax(text));
    return detectSourceFormat(value) === "other";
  } catch {
    return false;
  }
}

/**
 * YAML is read as a CloudFormation template: `.yaml`/`.yml` files, `--kind cloudformation` on text that is not
 * JSON, and other files (`.template`) whose text does not start like JSON but names template sections.
 */
function isYaml(path: string, text: string, kind: ForcedKind | undefined): boolean {
  if (kind !== undefined && kind !== "cloudformation") return false;
  if (YAML_NAME.test(path)) return true;
  const first = /\S/.exec(text)?.[0];
  if (first === "{" || first === "[" || first === undefined) return false;
  if (kind === "cloudformation") return true;
  return !JSON_NAME.test(path) && TEMPLATE_SECTION.test(text);
}

function notASource(filePath: string, what: string): Inventory {
  const at = { line: 1, column: 1, offset: 0 };
  return {
    filePath,
    format: "cloudformation",
    keys: [],
    buckets: [],
    aliases: [],
    policies: [],
    unresolved: [],
    resourceCount: 0,
    problems: [
      {
        ruleId: "invalid-policy",
        message: `The file is ${what}. kmslint reads KMS key and S3 bucket policies (JSON), CloudFormation templates (YAML or JSON) and Terraform plans (terraform show -json). Nothing in it was checked.`,
        range: { start: at, end: { line: 1, column: 2, offset: 1 } },
      },
    ],
  };
}
