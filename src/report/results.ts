/**
 * Findings in ESLint's LintResult shape, the JSON output contract (DESIGN.md "Output contract"):
 * `[{filePath, messages: [{ruleId, severity, message, line, column, endLine, endColumn}], errorCount, warningCount}]`.
 * Extra fields: `level` ("error" | "warning" | "info"), `messageId`, `statement`, `fingerprint`, `fatal` on
 * unparseable files, and per file `kind`, `kindReason`, `infoCount`. Suppressed findings (config suppressions,
 * a baseline) move to `suppressedMessages` with their `suppressions`, as ESLint does.
 */
import { createHash } from "node:crypto";
import type { DocumentResult, FileKind, Finding } from "../engine/linter.js";
import type { Severity } from "../engine/rule.js";

export interface LintMessage {
  ruleId: string;
  /** 2 error, 1 warning, 0 info (informational findings never change the exit code). */
  severity: 0 | 1 | 2;
  level: Severity;
  message: string;
  messageId: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  statement?: { index: number; sid?: string };
  /** In a template or plan: the resource the finding is about (CloudFormation logical id, Terraform address). */
  resource?: string;
  /** Live audits: the API answer the finding points into (`GetKeyPolicy`, `DescribeKey`, …) and a JSON pointer (RFC 6901) in it. */
  api?: string;
  pointer?: string;
  /** Live audits: how Access Analyzer's findings compare with it (`both`, `kmslint-only`, `access-analyzer-only`). */
  accessAnalyzer?: { agreement: string; analyzer: string; findingId?: string; status?: string };
  /**
   * What identifies the finding across runs (baselines, SARIF partialFingerprints): a hash of the rule, the
   * message id, the resource, the statement's content and the place inside it, then `:N` for the Nth such
   * finding in the file. Moving a statement, reindenting the file or moving the file's resources keeps it;
   * editing the statement (another principal, action or condition) changes it.
   */
  fingerprint: string;
  /** ESLint's marker for a file that could not be parsed. */
  fatal?: true;
}

/** Why a finding in `suppressedMessages` is not reported: a config suppression (kind "external") or a baseline (kind "baseline"). */
export interface SuppressionNote {
  kind: "external" | "baseline";
  justification: string;
  /** Where the suppression is written (`kmslint.config.json:12:5`) or the baseline file. */
  source: string;
  expires?: string;
}

export interface SuppressedLintMessage extends LintMessage {
  suppressions: SuppressionNote[];
}

export interface LintResult {
  filePath: string;
  kind: FileKind;
  kindReason: string;
  messages: LintMessage[];
  errorCount: number;
  warningCount: number;
  infoCount: number;
  fatalErrorCount: number;
  fixableErrorCount: 0;
  fixableWarningCount: 0;
  suppressedMessages: SuppressedLintMessage[];
  usedDeprecatedRules: [];
}

const SEVERITY_NUMBER: Record<Severity, 0 | 1 | 2> = { error: 2, warning: 1, info: 0 };

export function toLintMessage(finding: Finding, fingerprint = ""): LintMessage {
  const message: LintMessage = {
    ruleId: finding.ruleId,
    severity: SEVERITY_NUMBER[finding.severity],
    level: finding.severity,
    message: finding.message,
    messageId: finding.messageId,
    line: finding.range.start.line,
    column: finding.range.start.column,
    endLine: finding.range.end.line,
    endColumn: finding.range.end.column,
    fingerprint,
  };
  if (finding.statement) message.statement = finding.statement;
  if (finding.resource !== undefined) message.resource = finding.resource;
  if (finding.api !== undefined) message.api = finding.api;
  if (finding.pointer !== undefined) message.pointer = finding.pointer;
  if (finding.accessAnalyzer) message.accessAnalyzer = finding.accessAnalyzer;
  if (finding.ruleId === "invalid-json") message.fatal = true;
  return message;
}

/** The result of one file or resource: every finding, counted (quiet filtering comes last, see `finishResults`). */
export function toLintResult(result: DocumentResult): LintResult {
  const seen = new Map<string, number>();
  const messages = result.findings.map((finding) => {
    const hash = fingerprintHash(finding);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    return toLintMessage(finding, `${hash}:${n}`);
  });
  return recount({
    filePath: result.filePath,
    kind: result.kind,
    kindReason: result.kindReason,
    messages,
    errorCount: 0,
    warningCount: 0,
    infoCount: 0,
    fatalErrorCount: 0,
    fixableErrorCount: 0,
    fixableWarningCount: 0,
    suppressedMessages: [],
    usedDeprecatedRules: [],
  });
}

/** Adds findings made after linting (Access Analyzer's) to a result: fingerprinted after the file's own, sorted, counted. */
export function appendFindings(result: LintResult, findings: readonly Finding[]): void {
  const seen = new Map<string, number>();
  for (const m of result.messages) {
    const hash = m.fingerprint.slice(0, m.fingerprint.indexOf(":"));
    seen.set(hash, (seen.get(hash) ?? 0) + 1);
  }
  for (const finding of findings) {
    const hash = fingerprintHash(finding);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    result.messages.push(toLintMessage(finding, `${hash}:${n}`));
  }
  result.messages.sort((a, b) => a.line - b.line || a.column - b.column || b.severity - a.severity || a.ruleId.localeCompare(b.ruleId));
  recount(result);
}

function fingerprintHash(finding: Finding): string {
  const parts = [finding.ruleId, finding.messageId, finding.resource ?? "", finding.identity ?? "", (finding.subjects ?? []).join(",")];
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
}

/** Sets the counts from `messages` (after suppressed findings were moved out of them). */
export function recount(result: LintResult): LintResult {
  const { messages } = result;
  result.errorCount = messages.filter((m) => m.severity === 2).length;
  result.warningCount = messages.filter((m) => m.severity === 1).length;
  result.infoCount = messages.filter((m) => m.severity === 0).length;
  result.fatalErrorCount = messages.filter((m) => m.fatal).length;
  return result;
}

/**
 * --quiet: only errors are listed (and what `keep` says, audit-error for audits); the counts stay those of
 * every finding, so that --max-warnings still sees the warnings.
 */
export function applyQuiet(results: readonly LintResult[], keep: (message: LintMessage) => boolean = () => false): void {
  for (const result of results) result.messages = result.messages.filter((m) => m.severity === 2 || keep(m));
}

export interface Totals {
  files: number;
  errors: number;
  warnings: number;
  infos: number;
  /** Findings a config suppression accepted. */
  suppressed: number;
  /** Findings recorded in the baseline (--baseline). */
  baselined: number;
}

export function totals(results: readonly LintResult[]): Totals {
  const sum: Totals = { files: 0, errors: 0, warnings: 0, infos: 0, suppressed: 0, baselined: 0 };
  for (const r of results) {
    // A config file's result (unused or expired suppressions) is not a linted file.
    if (r.kind !== "config") sum.files++;
    sum.errors += r.errorCount;
    sum.warnings += r.warningCount;
    sum.infos += r.infoCount;
    for (const m of r.suppressedMessages) {
      if (m.suppressions.some((s) => s.kind === "baseline")) sum.baselined++;
      else sum.suppressed++;
    }
  }
  return sum;
}
