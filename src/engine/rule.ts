/**
 * What a rule is: metadata plus a `check` that reads the document model and reports findings.
 * Rules never see raw text; they see the normalized policy and the facts the model derived.
 */
import type { Path, Range, Target } from "../model/json.js";
import type { PolicyDocument } from "../model/document.js";
import type { Policy, PolicyKind, Statement } from "../model/policy.js";
import type { KindDecision } from "../model/kind.js";
import type { PolicyAnalysis } from "../analysis/index.js";

export type Severity = "error" | "warning" | "info";
export type SeveritySetting = Severity | "off";

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
  appliesTo: readonly PolicyKind[];
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
  report(descriptor: ReportDescriptor): void;
}

export interface Rule {
  meta: RuleMeta;
  check(context: RuleContext): void;
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
