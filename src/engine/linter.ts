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
import { formatMessage, type Rule, type RuleContext, type Severity, type SeveritySetting, type TrustContext } from "./rule.js";

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

  let analysis: PolicyAnalysis | undefined;
  const getAnalysis = () => (analysis ??= analyzePolicy(document.policy ?? EMPTY_POLICY, kind, trust));
  const findings: Finding[] = [];
  for (const rule of rules) {
    const { meta } = rule;
    const setting = options.severities?.[meta.id];
    if (setting === "off") continue;
    if (!meta.appliesTo.includes(kind)) continue;
    const needsPolicy = meta.needsPolicy ?? true;
    if (needsPolicy && !document.policy) continue;
    const context: RuleContext = {
      kind,
      kindDecision,
      trust,
      document,
      policy: document.policy ?? EMPTY_POLICY,
      get analysis() {
        return getAnalysis();
      },
      report(descriptor) {
        const template = meta.messages[descriptor.messageId];
        if (template === undefined) throw new Error(`rule ${meta.id} reported unknown message id ${descriptor.messageId}`);
        const range = descriptor.range ?? (descriptor.path ? document.locate(descriptor.path, descriptor.target) : document.whole());
        const finding: Finding = {
          ruleId: meta.id,
          severity: setting ?? descriptor.severity ?? meta.severity,
          message: formatMessage(template, descriptor.data),
          messageId: descriptor.messageId,
          range,
        };
        if (descriptor.statement) {
          const { index, sid } = descriptor.statement;
          finding.statement = sid ? { index, sid: sid.value } : { index };
        }
        findings.push(finding);
      },
    };
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
