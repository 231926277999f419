/**
 * `kmslint usage`: who really calls which KMS keys, from CloudTrail. Reads log files (or runs the same query
 * on Athena), prints the fact table or the administrator's views of it, and, given the key policies (files or
 * a live audit), reports cross-account grants nobody used, callers that keep being denied, and usage by
 * accounts no statement names.
 */
import { existsSync } from "node:fs";
import { ConfigError, ConfigResolver, loadConfigFile, ruleSettings } from "../engine/config.js";
import type { TrustContext } from "../engine/rule.js";
import { isAccountId, isOrgId } from "../model/arn.js";
import { totals, type LintResult } from "../report/results.js";
import type { UsageFacts, UsageFileProblem } from "../usage/facts.js";
import { EXIT_OK, EXIT_USAGE, exitCode, UsageError, writeReport, type Io } from "./exit.js";

export const USAGE_FORMATS = ["pretty", "json", "csv"] as const;
export type UsageFormat = (typeof USAGE_FORMATS)[number];

export interface UsageCommandOptions {
  format: UsageFormat;
  start?: string;
  end?: string;
  output?: string;
  progress: boolean;
  /** Key policies to join with: files and folders (policies, templates, plans). */
  policies: string[];
  /** Join with the key policies of a live, read-only audit of the account. */
  audit: boolean;
  profile?: string;
  region: string[];
  allRegions: boolean;
  athenaTable?: string;
  athenaDatabase?: string;
  athenaWorkgroup?: string;
  athenaOutput?: string;
  printSql: boolean;
  minDenied?: number;
  config?: string;
  account?: string;
  org?: string;
  trustedAccount: string[];
  maxWarnings?: number;
  exitZero: boolean;
}

export interface UsageIo extends Io {
  stderrIsTTY?: boolean;
}

/** YYYY-MM-DD (a whole day: as --end, the day is included) or an ISO 8601 time. */
export function parseWhen(value: string, flag: "--start" | "--end"): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const date = new Date(day ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime()) || (day && !date.toISOString().startsWith(value))) {
    throw new UsageError(`${flag} takes a date (2026-11-01) or a time (2026-11-01T12:00:00Z), not "${value}"`);
  }
  if (day && flag === "--end") date.setUTCDate(date.getUTCDate() + 1);
  return date;
}

export async function runUsage(paths: readonly string[], options: UsageCommandOptions, io: UsageIo): Promise<number> {
  try {
    return await usage(paths, options, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr(`kmslint: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // Athena or AWS refused (a failed query, no credentials, a denied call): the run could not happen.
    if (error instanceof Error && (error.name === "AthenaQueryError" || error.name === "AuditSetupError" || "$metadata" in error || error.name === "CredentialsProviderError")) {
      io.stderr(`kmslint: ${error.name === "AthenaQueryError" || error.name === "AuditSetupError" ? "" : `${error.name}: `}${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function checkOptions(paths: readonly string[], options: UsageCommandOptions): void {
  if (!(USAGE_FORMATS as readonly string[]).includes(options.format)) throw new UsageError(`--format must be one of ${USAGE_FORMATS.join(", ")}, not "${options.format}"`);
  const athena = options.athenaTable !== undefined || options.athenaDatabase !== undefined;
  if (athena && paths.length > 0) throw new UsageError("give log files or an Athena table (--athena-table), not both");
  if (!athena && paths.length === 0 && !options.printSql) throw new UsageError("name CloudTrail log files or folders (AWSLogs/…), or an Athena table with --athena-table and --athena-database");
  if ((options.printSql || athena) && !(options.athenaTable && options.athenaDatabase)) throw new UsageError("--athena-table and --athena-database go together (and --print-sql needs them)");
  if (options.account !== undefined && !isAccountId(options.account)) throw new UsageError(`--account must be a 12-digit account id, not "${options.account}"`);
  if (options.org !== undefined && !isOrgId(options.org)) throw new UsageError(`--org must be an organization id like o-a1b2c3d4e5, not "${options.org}"`);
  for (const id of options.trustedAccount) if (!isAccountId(id)) throw new UsageError(`--trusted-account must be a 12-digit account id, not "${id}"`);
  if (options.audit && options.policies.length > 0) throw new UsageError("--policies and --audit do not go together: take the policies from files, or from the account");
  if (options.minDenied !== undefined && (!Number.isInteger(options.minDenied) || options.minDenied < 1)) throw new UsageError("--min-denied must be a whole number from 1");
}

async function usage(paths: readonly string[], options: UsageCommandOptions, io: UsageIo): Promise<number> {
  checkOptions(paths, options);
  const start = options.start !== undefined ? parseWhen(options.start, "--start") : undefined;
  const end = options.end !== undefined ? parseWhen(options.end, "--end") : undefined;
  if (start && end && start >= end) throw new UsageError("--start must be before --end");

  if (options.printSql) {
    const { usageSql } = await import("../usage/athena-sql.js");
    io.stdout(`${usageSql({ table: options.athenaTable!, database: options.athenaDatabase!, ...(start ? { start } : {}), ...(end ? { end } : {}) })}\n`);
    return EXIT_OK;
  }

  const loaded = options.config ? loadConfigFile(options.config) : new ConfigResolver(process.cwd()).forDirectory(process.cwd());
  const trust: TrustContext = { trustedAccounts: [...new Set([...(loaded.config.trustedAccounts ?? []), ...options.trustedAccount])] };
  const account = options.account ?? loaded.config.account;
  const org = options.org ?? loaded.config.org;
  if (account) trust.account = account;
  if (org) trust.org = org;

  const showProgress = options.progress && options.output !== "-";
  const status = progressLine(io, showProgress);
  let facts: UsageFacts;
  let problems: UsageFileProblem[] = [];
  let skipped = 0;
  if (options.athenaTable !== undefined) {
    process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
    const { runAthenaUsage } = await import("../usage/athena.js");
    const result = await runAthenaUsage({
      table: options.athenaTable,
      database: options.athenaDatabase!,
      ...(options.athenaWorkgroup ? { workgroup: options.athenaWorkgroup } : {}),
      ...(options.athenaOutput ? { outputLocation: options.athenaOutput } : {}),
      ...(options.region[0] ? { region: options.region[0] } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      ...(start ? { start } : {}),
      ...(end ? { end } : {}),
      onProgress: (state, stats) =>
        status(`Athena query ${state}${stats?.dataScannedBytes !== undefined ? `, ${megabytes(stats.dataScannedBytes)} scanned` : ""}${stats?.elapsedMs !== undefined ? `, ${(stats.elapsedMs / 1000).toFixed(1)} s` : ""}`),
    });
    facts = { records: result.records, files: result.files, rows: result.rows };
    status("", true);
    io.stderr(`kmslint usage: Athena query ${result.queryExecutionId}${result.dataScannedBytes !== undefined ? `, ${megabytes(result.dataScannedBytes)} scanned (Athena bills by data scanned)` : ""}.\n`);
  } else {
    const missing = paths.filter((path) => !existsSync(path));
    if (missing.length > 0) throw new UsageError(`no such file or folder: ${missing.join(", ")}`);
    const { aggregateUsage } = await import("../usage/aggregate.js");
    const started = Date.now();
    const result = await aggregateUsage(paths, {
      ...(start ? { start } : {}),
      ...(end ? { end } : {}),
      onProgress: (p) =>
        status(`read ${p.filesDone.toLocaleString("en-US")} of ${p.filesTotal.toLocaleString("en-US")} log files, ${megabytes(p.bytesDone)} of ${megabytes(p.bytesTotal)}, ${p.records.toLocaleString("en-US")} KMS records`),
    });
    status("", true);
    facts = { records: result.records, files: result.files, rows: result.rows };
    problems = result.problems;
    skipped = result.skippedFiles;
    const seconds = (Date.now() - started) / 1000;
    if (showProgress) io.stderr(`kmslint usage: ${result.files.toLocaleString("en-US")} log files, ${result.records.toLocaleString("en-US")} KMS records in ${seconds.toFixed(1)} s.\n`);
  }
  for (const p of problems) io.stderr(`kmslint: ${p.file}: ${p.message}${/skipped/.test(p.message) ? "" : "; skipped"}.\n`);
  if (options.athenaTable === undefined && facts.files === 0 && problems.length > 0) {
    // Nothing could be read: a report of zero calls (and every grant "unused") would be wrong.
    throw new UsageError(`no log file could be read (${problems.length} ${problems.length === 1 ? "file was" : "files were"} named above)`);
  }

  let findings: LintResult[] = [];
  if (options.policies.length > 0 || options.audit) {
    const join = await import("../usage/join.js");
    const policies = options.audit ? join.policiesFromInventory(await auditInventory(options, trust), trust) : await join.policiesFromFiles(options.policies, trust);
    const { severities } = ruleSettings(loaded);
    findings = join.joinUsage(facts, policies, { window: { ...(start ? { start } : {}), ...(end ? { end } : {}) }, ...(options.minDenied !== undefined ? { minDenied: options.minDenied } : {}), severities }).results;
  }

  const text = await render(facts, findings, problems, skipped, options, start, end);
  if (options.format === "csv" && findings.some((r) => r.messages.length > 0)) {
    // The CSV holds the fact table only: the findings that decide the exit code go to stderr.
    const { formatPretty } = await import("../report/pretty.js");
    const sum = totals(findings);
    io.stderr(await formatPretty(findings, { ...sum, skipped: 0 }, `kmslint usage: ${sum.warnings} warning${sum.warnings === 1 ? "" : "s"}${sum.infos > 0 ? `, ${sum.infos} info` : ""} against the key policies.`, { color: false }));
  }
  const file = writeReport(text, options.output, io);
  if (file !== undefined) io.stderr(`kmslint usage: report written to ${file}.\n`);
  return exitCode(totals(findings), options, io);
}

async function render(facts: UsageFacts, findings: LintResult[], problems: UsageFileProblem[], skipped: number, options: UsageCommandOptions, start?: Date, end?: Date): Promise<string> {
  if (options.format === "json") {
    const out: Record<string, unknown> = { records: facts.records, files: facts.files, rows: facts.rows };
    if (problems.length > 0) out["problems"] = problems;
    if (options.policies.length > 0 || options.audit) out["findings"] = findings;
    return `${JSON.stringify(out, null, 2)}\n`;
  }
  const { formatCsv, formatUsageReport } = await import("../usage/report.js");
  if (options.format === "csv") return formatCsv(facts);
  let text = formatUsageReport(facts, { ...(start ? { start } : {}), ...(end ? { end } : {}) });
  if (problems.length > 0 || skipped > 0) {
    text += `\n${problems.length.toLocaleString("en-US")} log files could not be read (named on stderr) and are not counted${skipped > 0 ? `; ${skipped.toLocaleString("en-US")} other files (digests, Insights events, not CloudTrail logs) skipped` : ""}.\n`;
  }
  if (options.policies.length > 0 || options.audit) {
    const { formatPretty } = await import("../report/pretty.js");
    const sum = totals(findings);
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const policies = findings.length;
    text += `\nAgainst the key policies\n${await formatPretty(findings, { ...sum, skipped: 0 }, `kmslint usage: usage joined with ${plural(policies, "policy or key", "policies or keys")}; ${plural(sum.warnings, "warning", "warnings")}${sum.infos > 0 ? `, ${sum.infos} info` : ""}.`)}`;
  }
  return text;
}

/** The key policies of the account, read by a read-only audit without Access Analyzer. */
async function auditInventory(options: UsageCommandOptions, trust: TrustContext) {
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
  const { collectAccount } = await import("../sources/aws/collect.js");
  const { liveInventory } = await import("../sources/aws/live-inventory.js");
  const { AuditProgress } = await import("../sources/aws/progress.js");
  const { AUDIT_DEFAULTS } = await import("./audit.js");
  const data = await collectAccount({
    regions: options.region,
    allRegions: options.allRegions,
    ...(options.profile ? { profile: options.profile } : {}),
    rates: {},
    concurrency: AUDIT_DEFAULTS.concurrency,
    maxAttempts: AUDIT_DEFAULTS.maxAttempts,
    retryMode: AUDIT_DEFAULTS.retryMode,
    callTimeoutMs: AUDIT_DEFAULTS.callTimeoutMs,
    signal: new AbortController().signal,
    progress: new AuditProgress(),
    accessAnalyzer: false,
    includeArchived: false,
  });
  trust.account ??= data.account;
  if (data.org) trust.org ??= data.org;
  return liveInventory(data, new Date());
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Progress on stderr: one line rewritten in place on a terminal, a line every 5 s otherwise; `done` clears it. */
function progressLine(io: UsageIo, enabled: boolean): (text: string, done?: boolean) => void {
  let last = 0;
  let shown = false;
  return (text, done = false) => {
    if (!enabled) return;
    if (done) {
      if (shown && io.stderrIsTTY) io.stderr("\r\u001b[2K");
      return;
    }
    const now = Date.now();
    if (io.stderrIsTTY) {
      if (now - last < 100) return;
      io.stderr(`\r\u001b[2Kkmslint usage: ${text}`);
    } else {
      if (now - last < 5000) return;
      io.stderr(`kmslint usage: ${text}\n`);
    }
    last = now;
    shown = true;
  };
}
