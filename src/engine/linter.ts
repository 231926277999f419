/**
 * The linter: a document in, findings out. Pure (no file system, network or clock), like ESLint's Linter;
 * reading files, config and formatting live in src/sources, src/engine/config.ts and src/report.
 */
import { allRules } from "../../rules/index.js";
import { analyzePolicy, type PolicyAnalysis } from "../analysis/index.js";
import { createDocument, type PolicyDocument } from "../model/document.js";
import type { Range } from "../model/json.js";
import { detectKind, type KindDecision } from "../model/kind.js";
import type { Policy, PolicyKind } from "../model/policy.js";
import { formatMessage, type ReportDescriptor, type Rule, type RuleContext, type Severity, type SeveritySetting, type TrustContext } from "./rule.js";

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  messageId: string;
  range: Range;
  /** The statement the finding is about: 0-based index and Sid. */
  statement?: { index: number; sid?: string };
}

export interface LintOptions {
  /** Force the kind instead of detecting it. */
  kind?: PolicyKind;
  trust?: TrustContext;
  /** Per-rule severity overrides from the config (`"off"` disables a rule). */
  severities?: Readonly<Record<string, SeveritySetting>>;
  rules?: readonly Rule[];
}

export interface DocumentResult {
  filePath: string;
  kind: PolicyKind;
  /** How the kind was decided: `forced by --kind`, or the detection's reason. */
  kindReason: string;
  findings: Finding[];
}

const EMPTY_POLICY: Policy = { statements: [], statementIsArray: false, value: undefined };
const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function lintText(input: Uint8Array | string, filePath: string, options: LintOptions = {}): DocumentResult {
  return lintDocument(createDocument(input, filePath), options);
}

/**
 * The context rules see. One instance per document; `rule` is swapped as each rule runs. A class keeps the
 * lazy `analysis` getter on the prototype: a getter in an object literal per rule made V8 keep every
 * document alive longer and tripled garbage-collection time (measured with `npm run bench`).
 */
class DocumentContext implements RuleContext {
  rule: Rule | undefined;
  setting: Severity | undefined;
  private computed: PolicyAnalysis | undefined;

  constructor(
    readonly kind: PolicyKind,
    readonly kindDecision: KindDecision | undefined,
    readonly trust: TrustContext,
    readonly document: PolicyDocument,
    readonly policy: Policy,
    private readonly findings: Finding[],
  ) {}

  get analysis(): PolicyAnalysis {
    return (this.computed ??= analyzePolicy(this.policy, this.kind, this.trust));
  }

  report(descriptor: ReportDescriptor): void {
    const meta = this.rule!.meta;
    const template = meta.messages[descriptor.messageId];
    if (template === undefined) throw new Error(`rule ${meta.id} reported unknown message id ${descriptor.messageId}`);
    const range = descriptor.range ?? (descriptor.path ? this.document.locate(descriptor.path, descriptor.target) : this.document.whole());
    const finding: Finding = {
      ruleId: meta.id,
      severity: this.setting ?? descriptor.severity ?? meta.severity,
      message: formatMessage(template, descriptor.data),
      messageId: descriptor.messageId,
      range,
    };
    if (descriptor.statement) {
      const { index, sid } = descriptor.statement;
      finding.statement = sid ? { index, sid: sid.value } : { index };
    }
    this.findings.push(finding);
  }
}

export function lintDocument(document: PolicyDocument, options: LintOptions = {}): DocumentResult {
  const rules = options.rules ?? allRules;
  const trust: TrustContext = options.trust ?? { trustedAccounts: [] };
  let kindDecision: KindDecision | undefined;
  let kind: PolicyKind;
  let kindReason: string;
  if (options.kind) {
    kind = options.kind;
    kindReason = "forced by --kind";
  } else if (document.policy) {
    kindDecision = detectKind(document.policy, document.filePath);
    kind = kindDecision.kind;
    kindReason = kindDecision.reason;
  } else {
    kind = "key-policy";
    kindReason = "not decided: the file is not a readable policy";
  }

  const findings: Finding[] = [];
  const context = new DocumentContext(kind, kindDecision, trust, document, document.policy ?? EMPTY_POLICY, findings);
  for (const rule of rules) {
    const { meta } = rule;
    const setting = options.severities?.[meta.id];
    if (setting === "off") continue;
    if (!meta.appliesTo.includes(kind)) continue;
    if ((meta.needsPolicy ?? true) && !document.policy) continue;
    context.rule = rule;
    context.setting = setting;
    rule.check(context);
  }
  findings.sort(
    (a, b) =>
      a.range.start.line - b.range.start.line ||
      a.range.start.column - b.range.start.column ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.ruleId.localeCompare(b.ruleId),
  );
  return { filePath: document.filePath, kind, kindReason, findings };
}
