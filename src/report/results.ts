/**
 * Findings in ESLint's LintResult shape, the JSON output contract (DESIGN.md "Output contract"):
 * `[{filePath, messages: [{ruleId, severity, message, line, column, endLine, endColumn}], errorCount, warningCount}]`.
 * Extra fields: `level` ("error" | "warning" | "info"), `messageId`, `statement`, `fatal` on unparseable files,
 * and per file `kind`, `kindReason`, `infoCount`.
 */
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
  /** ESLint's marker for a file that could not be parsed. */
  fatal?: true;
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
  suppressedMessages: LintMessage[];
  usedDeprecatedRules: [];
}

const SEVERITY_NUMBER: Record<Severity, 0 | 1 | 2> = { error: 2, warning: 1, info: 0 };

export function toLintMessage(finding: Finding): LintMessage {
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
  };
  if (finding.statement) message.statement = finding.statement;
  if (finding.resource !== undefined) message.resource = finding.resource;
  if (finding.api !== undefined) message.api = finding.api;
  if (finding.pointer !== undefined) message.pointer = finding.pointer;
  if (finding.accessAnalyzer) message.accessAnalyzer = finding.accessAnalyzer;
  if (finding.ruleId === "invalid-json") message.fatal = true;
  return message;
}

export function toLintResult(result: DocumentResult, options: { quiet?: boolean } = {}): LintResult {
  const all = result.findings.map(toLintMessage);
  const messages = options.quiet ? all.filter((m) => m.severity === 2) : all;
  return {
    filePath: result.filePath,
    kind: result.kind,
    kindReason: result.kindReason,
    messages,
    errorCount: all.filter((m) => m.severity === 2).length,
    warningCount: all.filter((m) => m.severity === 1).length,
    infoCount: all.filter((m) => m.severity === 0).length,
    fatalErrorCount: all.filter((m) => m.fatal).length,
    fixableErrorCount: 0,
    fixableWarningCount: 0,
    suppressedMessages: [],
    usedDeprecatedRules: [],
  };
}

export interface Totals {
  files: number;
  errors: number;
  warnings: number;
  infos: number;
}

export function totals(results: readonly LintResult[]): Totals {
  return results.reduce<Totals>(
    (sum, r) => ({ files: sum.files + 1, errors: sum.errors + r.errorCount, warnings: sum.warnings + r.warningCount, infos: sum.infos + r.infoCount }),
    { files: 0, errors: 0, warnings: 0, infos: 0 },
  );
}
