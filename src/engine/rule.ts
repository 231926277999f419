/**
 * What a rule is: metadata plus a `check` that reads the document model and reports findings.
 * Rules never see raw text; they see the normalized policy and the facts the model derived.
 */
import type { Path, Range, Target } from "../model/json.js";
import type { PolicyDocument } from "../model/document.js";
import type { Policy, PolicyKind, Statement } from "../model/policy.js";
import type { KindDecision } from "../model/kind.js";
import type { PolicyAnalysis } from "../analysis/index.js";
import type { Inventory, InventoryFormat, InventoryPolicy, ResourceRef } from "../model/inventory.js";

export type Severity = "error" | "warning" | "info";
export type SeveritySetting = Severity | "off";
/** Options a rule takes from the config (`"rules": {"rotation-period": ["warning", {"maxDays": 180}]}`). */
export type RuleOptions = Readonly<Record<string, unknown>>;

export interface TrustContext {
  /** The account that owns the key or bucket. */
  account?: string;
  /** The owner's AWS Organizations id (o-…). */
  org?: string;
  /** Other accounts whose access is expected. */
  trustedAccounts: string[];
}

export interface RuleMeta {
  id: string;
  severity: Severity;
  /** The policy kinds `check` runs on; empty for rules that only read the inventory. */
  appliesTo: readonly PolicyKind[];
  /** Whether the rule reads the inventory (keys, buckets and their settings) of templates, plans and accounts. */
  inventory?: boolean;
  /** The inventories it runs on, when not all of them: `live` for audit-only rules. */
  sources?: readonly InventoryFormat[];
  /** The options the rule accepts, as a JSON schema fragment per option (shown by `kmslint rules`, checked in the config). */
  options?: Readonly<Record<string, { type: "integer" | "number" | "string" | "boolean"; minimum?: number; maximum?: number; default: unknown; description: string }>>;
  /** One line, shown by `kmslint rules` and in SARIF. */
  description: string;
  /** Message templates; `{{name}}` is replaced by `data.name`. */
  messages: Record<string, string>;
  /**
   * Whether the rule needs a parsed policy. Rules that report on unreadable or unparseable files
   * (`invalid-json`, `policy-size` for oversized files) set this to false.
   */
  needsPolicy?: boolean;
}

export interface ReportDescriptor {
  messageId: string;
  data?: Record<string, string | number>;
  /** Where: a JSON path into the document (`target` "key" for a member's name), or an explicit range. */
  path?: Path;
  target?: Target;
  range?: Range;
  statement?: Statement;
  /** A rule whose findings have more than one severity (policy-size) sets it per finding. */
  severity?: Severity;
  /** Who outside the owner the finding is about: account ids, organization ids, or "*" for anyone (to compare with Access Analyzer). */
  subjects?: string[];
}

export interface InventoryReportDescriptor {
  messageId: string;
  data?: Record<string, string | number>;
  /** The resource the finding is about (its address is named in the finding); absent for the source as a whole. */
  resource?: ResourceRef;
  range: Range;
  severity?: Severity;
  /** Live audits: the Access Analyzer finding it stands for. */
  accessAnalyzer?: { agreement: "access-analyzer-only"; analyzer: string; findingId: string; status: string };
}

export interface RuleContext {
  readonly kind: PolicyKind;
  readonly kindDecision: KindDecision | undefined;
  readonly trust: TrustContext;
  readonly document: PolicyDocument;
  /** The normalized policy; present for rules that declare `needsPolicy` (the default). */
  readonly policy: Policy;
  /** The access analysis (principal scope, action classes, guardrails), computed once per document on first use. */
  readonly analysis: PolicyAnalysis;
  /** The rule's options from the config, with the defaults of `meta.options` filled in. */
  readonly options: RuleOptions;
  report(descriptor: ReportDescriptor): void;
}

/** What inventory rules see: the keys and buckets of one source, and the analysis of each of their policies. */
export interface InventoryContext {
  readonly inventory: Inventory;
  readonly trust: TrustContext;
  readonly options: RuleOptions;
  /** The access analysis of one of the inventory's policies (computed once, shared with the policy rules); undefined when it has no readable policy. */
  analysisOf(policy: InventoryPolicy | undefined): PolicyAnalysis | undefined;
  report(descriptor: InventoryReportDescriptor): void;
}

export interface Rule {
  meta: RuleMeta;
  /** Runs on each policy document of a kind in `meta.appliesTo`. */
  check?(context: RuleContext): void;
  /** Runs once per inventory (CloudFormation template, Terraform plan, live account) when `meta.inventory` is set. */
  checkInventory?(context: InventoryContext): void;
}

/** A rule's options: the config's values over the defaults of `meta.options`. */
export function ruleOptions(meta: RuleMeta, given: RuleOptions | undefined): RuleOptions {
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(meta.options ?? {})) options[name] = given && Object.hasOwn(given, name) ? given[name] : spec.default;
  return options;
}

export function defineRule(rule: Rule): Rule {
  for (const id of Object.keys(rule.meta.messages)) {
    if (!rule.meta.messages[id]) throw new Error(`rule ${rule.meta.id}: empty message ${id}`);
  }
  return rule;
}

export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(data, name) ? String(data[name]) : whole,
  );
}
