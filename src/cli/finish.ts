/**
 * What `lint` and `audit` do with their results, in order: config suppressions, then --write-baseline (the
 * findings left), then --baseline, the counts and the exit code, --quiet, and the report in the chosen
 * format on stdout or in --output FILE. The SARIF and GitHub formatters and the pretty formatter are loaded
 * only when used.
 */
import { applyBaseline, BaselineError, readBaseline, writeBaseline } from "../engine/baseline.js";
import type { LoadedConfig } from "../engine/config.js";
import { applySuppressions, type SuppressionScope } from "../engine/suppressions.js";
import { applyQuiet, totals, type LintMessage, type LintResult, type Totals } from "../report/results.js";
import { exitCode, UsageError, writeReport, type Io } from "./exit.js";

export const REPORT_FORMATS = ["pretty", "json", "sarif", "github"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface FinishOptions {
  format: ReportFormat;
  output?: string;
  quiet: boolean;
  exitZero: boolean;
  maxWarnings?: number;
  baseline?: string;
  writeBaseline?: string;
}

export interface FinishContext {
  /** The config that governs a result (its suppressions), if any. */
  configOf: (result: LintResult) => LoadedConfig | undefined;
  scope: SuppressionScope;
  now: Date;
  /** --quiet still lists these (the audit keeps audit-error). */
  keepWhenQuiet?: (message: LintMessage) => boolean;
  /** The summary line for the pretty and GitHub formats, from the counts. */
  summary: (sum: Totals, extra: string) => string;
}

/** Checks the flags of this step before any work is done (exit 2 for a usage error). */
export function checkFinishOptions(options: FinishOptions): void {
  if (!(REPORT_FORMATS as readonly string[]).includes(options.format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(", ")}, not "${options.format}"`);
  if (options.baseline !== undefined) readBaseline(options.baseline);
  if (options.output !== undefined && options.output.trim() === "") throw new UsageError("--output needs a file name");
}

/** Runs the steps above; returns the exit code (0 or 1). Baseline problems are usage errors. */
export async function finishResults(lintResults: LintResult[], options: FinishOptions, context: FinishContext, io: Io): Promise<number> {
  const { configResults } = applySuppressions(lintResults, context.configOf, context.scope, context.now);
  const results = [...lintResults, ...configResults];

  // The gate compares with the baseline as it was before this run, even when the run also rewrites it
  // (--baseline F --write-baseline F): new findings fail the run once, and are recorded for the next.
  const prior = options.baseline !== undefined ? readBaseline(options.baseline) : undefined;
  let written = "";
  if (options.writeBaseline !== undefined) {
    const { written: count, kept } = writeBaseline(options.writeBaseline, results, context.now);
    written = `kmslint: wrote ${count} finding${count === 1 ? "" : "s"} to the baseline ${options.writeBaseline}${kept > 0 ? ` (and kept ${kept} of files this run did not check)` : ""}.`;
  }
  let fixed: number | undefined;
  // --write-baseline alone: every finding is now in the baseline, so the run passes (exit 0).
  const baseline = prior ?? (options.writeBaseline !== undefined ? readBaseline(options.writeBaseline) : undefined);
  if (baseline) fixed = applyBaseline(results, baseline).fixed;

  const sum = totals(results);
  const extra = extraSummary(sum, fixed);
  // --quiet shortens what people read; SARIF keeps every finding, or code scanning would close the warnings' alerts.
  if (options.quiet && options.format !== "sarif") applyQuiet(results, context.keepWhenQuiet);

  const summaryText = context.summary(sum, extra);
  let text: string;
  switch (options.format) {
    case "json":
      text = `${JSON.stringify(results, null, 2)}\n`;
      break;
    case "sarif": {
      const { formatSarif } = await import("../report/sarif.js");
      text = formatSarif(results, { baseline: baseline !== undefined, summary: { ...sum, ...(fixed !== undefined ? { baselineFixed: fixed } : {}) } });
      break;
    }
    case "github": {
      const { formatGithub } = await import("../report/github.js");
      text = formatGithub(results, summaryText);
      break;
    }
    default: {
      const { formatPretty } = await import("../report/pretty.js");
      text = await formatPretty(results, { ...sum, skipped: 0 }, summaryText, { color: options.output === undefined || options.output === "-" });
    }
  }

  const file = writeReport(text, options.output, io);
  if (file !== undefined) io.stderr(`${summaryText} Report: ${file}.\n`);
  if (written) io.stderr(`${written}\n`);
  return exitCode(sum, options, io);
}

/** "3 suppressed; 12 in the baseline, 2 baseline entries fixed" for the summary line, or "". */
function extraSummary(sum: Totals, fixed: number | undefined): string {
  const parts: string[] = [];
  if (sum.suppressed > 0) parts.push(`${sum.suppressed} suppressed`);
  if (fixed !== undefined) parts.push(`${sum.baselined} in the baseline${fixed > 0 ? `, ${fixed} baseline ${fixed === 1 ? "entry" : "entries"} fixed` : ""}`);
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

export { BaselineError };
