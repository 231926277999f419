/**
 * Config `suppressions`: reviewed exceptions, each for the findings of one rule at one place (files by glob,
 * or a key or bucket by ARN; optionally one resource of a template and one statement), with the reason and an
 * optional expiry date. A suppressed finding moves to the result's `suppressedMessages` with the reason; it is
 * counted in the summary and kept in JSON and SARIF, but it is not listed and does not change the exit code.
 *
 * A suppression past its expiry date stops suppressing: its findings are reported again, each saying which
 * suppression expired, and the config gets an `expired-suppression` warning at the entry. A suppression that
 * matched nothing although the run saw everything it could match (see SuppressionScope) gets an
 * `unused-suppression` warning: the finding it was written for is gone, or the suppression no longer reaches
 * it. Suppressions the run could not judge (a pre-commit run on two files, a rule that did not run) say
 * nothing.
 */
import { realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";
import picomatch from "picomatch";
import { allRules } from "../../rules/index.js";
import type { Range } from "../model/json.js";
import { recount, toLintResult, type LintMessage, type LintResult, type SuppressedLintMessage } from "../report/results.js";
import { canonicalJson, type Finding } from "./linter.js";
import { ruleSettings, type LoadedConfig, type SuppressionEntry } from "./config.js";
import type { Severity } from "./rule.js";

/**
 * What the run covered, for deciding which unmatched suppressions are unused. A suppression is judged only
 * when the run saw everything it could match: its one file was linted, or a folder holding every file its
 * glob can match was walked (a pre-commit run that names files judges no glob); its key or bucket ARN is in
 * the audited account and regions; and its rule ran.
 */
export type SuppressionScope =
  | {
      mode: "lint";
      /** Real paths of the folders expanded (named on the command line). */
      walked: readonly string[];
      /** Whether the rule ran in this run (access-analyzer/* only with --access-analyzer). */
      ruleRan: (ruleId: string) => boolean;
    }
  | {
      mode: "audit";
      account: string;
      regions: readonly string[];
      /** Every enabled region was audited (--all-regions, and ListRegions answered). */
      allRegions: boolean;
      /** ListBuckets answered: every bucket of the account was listed. */
      bucketsListed: boolean;
      ruleRan: (ruleId: string) => boolean;
    };

interface CompiledSuppression {
  entry: SuppressionEntry;
  loaded: LoadedConfig;
  index: number;
  range: Range | undefined;
  path: ((relativePath: string) => boolean) | undefined;
  arn: RegExp | undefined;
  statementIndex: number | "any" | undefined;
  expired: boolean;
  /** Findings suppressed (or, when expired, that it would have suppressed). */
  matched: number;
  /** Whether this run linted a file or read a resource it applies to. */
  covered: boolean;
}

export interface SuppressionOutcome {
  /** Results for config files with unused or expired suppressions (kind "config"), to report with the others. */
  configResults: LintResult[];
}

/** Today in UTC as YYYY-MM-DD (a suppression suppresses through its `expires` day). */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Applies the suppressions of each result's config. `configOf` gives the config that governs a result
 * (undefined: none). Changes the results in place.
 */
export function applySuppressions(results: readonly LintResult[], configOf: (result: LintResult) => LoadedConfig | undefined, scope: SuppressionScope, now: Date): SuppressionOutcome {
  const today = utcDay(now);
  const compiled = new Map<LoadedConfig, CompiledSuppression[]>();
  const suppressionsOf = (loaded: LoadedConfig): CompiledSuppression[] => {
    let list = compiled.get(loaded);
    if (!list) compiled.set(loaded, (list = compile(loaded, today)));
    return list;
  };

  for (const result of results) {
    const loaded = configOf(result);
    if (!loaded?.config.suppressions?.length) continue;
    const isArn = result.filePath.startsWith("arn:");
    // Real paths on both sides, so that a path or a config given through a symbolic link still matches.
    const relativePath = isArn ? undefined : toPosix(relative(realPath(loaded.base), realPath(result.filePath)));
    const applicable = suppressionsOf(loaded).filter((s) =>
      isArn ? s.arn !== undefined && s.arn.test(result.filePath) : s.path !== undefined && relativePath !== undefined && s.path(relativePath),
    );
    if (applicable.length === 0) continue;
    const kept: LintMessage[] = [];
    for (const message of result.messages) {
      const matching = applicable.filter((s) => matches(s, message));
      const active = matching.find((s) => !s.expired);
      for (const s of matching) if (s.expired || s === active) s.matched++;
      if (active) {
        const suppressed: SuppressedLintMessage = { ...message, suppressions: [note(active)] };
        result.suppressedMessages.push(suppressed);
        continue;
      }
      const expired = matching[0];
      if (expired) {
        message.message += ` (A suppression in ${where(expired)} expired on ${expired.entry.expires}: "${expired.entry.reason}".)`;
      }
      kept.push(message);
    }
    result.messages = kept;
    recount(result);
  }

  const linted = new Set(results.filter((r) => !r.filePath.startsWith("arn:")).map((r) => realPath(r.filePath)));
  for (const list of compiled.values()) for (const s of list) s.covered = isCovered(s, scope, linted);
  // Configs that no result named are not compiled: their suppressions were not judged.
  return { configResults: reportOn(compiled) };
}

function isCovered(s: CompiledSuppression, scope: SuppressionScope, linted: ReadonlySet<string>): boolean {
  const { severities } = ruleSettings(s.loaded);
  if (severities[s.entry.rule] === "off" || !scope.ruleRan(s.entry.rule)) return false;
  if (scope.mode === "lint") {
    if (s.entry.path === undefined) return false;
    const pattern = s.entry.path.replace(/^\.\//, "");
    const { base, isGlob } = picomatch.scan(pattern);
    if (!isGlob) return linted.has(realPath(join(s.loaded.base, pattern)));
    const root = realPath(join(s.loaded.base, base));
    return scope.walked.some((folder) => root === folder || root.startsWith(`${folder}${sep}`) || folder === sep);
  }
  if (s.entry.arn === undefined) return false;
  const [prefix, , service, region, account] = s.entry.arn.split(":");
  if (prefix !== "arn") return false;
  if (service === "s3") return scope.bucketsListed;
  if (service !== "kms" || account !== scope.account || region === undefined) return false;
  return /[*?]/.test(region) ? scope.allRegions : scope.regions.includes(region);
}

/** Whether a rule can report anything in a lint or an audit run (for judging suppressions of it). */
export function ruleRuns(ruleId: string, run: "lint" | "audit", accessAnalyzer: boolean): boolean {
  if (ruleId.startsWith("access-analyzer/")) return run === "lint" && accessAnalyzer;
  if (ruleId === "access-analyzer") return accessAnalyzer;
  const meta = allRules.find((r) => r.meta.id === ruleId)?.meta;
  if (!meta || meta.id === UNUSED.id || meta.id === EXPIRED.id) return false;
  if (run === "audit") return meta.appliesTo.length > 0 || (meta.inventory === true && (meta.sources?.includes("live") ?? true));
  return meta.appliesTo.length > 0 || (meta.inventory === true && (meta.sources?.some((f) => f !== "live") ?? true));
}

/** The real path (symbolic links resolved), or the path itself when it does not exist. */
const realPaths = new Map<string, string>();
export function realPath(path: string): string {
  let real = realPaths.get(path);
  if (real === undefined) {
    try {
      real = realpathSync(path);
    } catch {
      real = path;
    }
    realPaths.set(path, real);
  }
  return real;
}

function compile(loaded: LoadedConfig, today: string): CompiledSuppression[] {
  return (loaded.config.suppressions ?? []).map((entry, index) => {
    const pattern = entry.path?.replace(/^\.\//, "");
    let statementIndex: number | "any" | undefined;
    if (entry.statement?.startsWith("/")) {
      const n = entry.statement.split("/")[2];
      statementIndex = n === undefined ? "any" : Number(n);
    }
    return {
      entry,
      loaded,
      index,
      range: loaded.suppressionRanges?.[index],
      path: pattern !== undefined ? picomatch(pattern, { dot: true }) : undefined,
      arn: entry.arn !== undefined ? wildcard(entry.arn) : undefined,
      statementIndex,
      expired: entry.expires !== undefined && today > entry.expires,
      matched: 0,
      covered: false,
    };
  });
}

function matches(s: CompiledSuppression, message: LintMessage): boolean {
  if (s.entry.rule !== message.ruleId) return false;
  if (s.entry.resource !== undefined && s.entry.resource !== message.resource) return false;
  if (s.entry.statement === undefined) return true;
  if (!message.statement) return false;
  if (s.statementIndex === "any") return true;
  if (s.statementIndex !== undefined) return message.statement.index === s.statementIndex;
  return message.statement.sid === s.entry.statement;
}

/** `*` any characters, `?` one, the rest literal (as IAM matches ARNs). */
function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

function where(s: CompiledSuppression): string {
  const file = s.loaded.file ? toPosix(relative(process.cwd(), s.loaded.file)) || s.loaded.file : "the config";
  return s.range ? `${file}:${s.range.start.line}:${s.range.start.column}` : file;
}

function note(s: CompiledSuppression): SuppressedLintMessage["suppressions"][number] {
  const n: SuppressedLintMessage["suppressions"][number] = { kind: "external", justification: s.entry.reason, source: where(s) };
  if (s.entry.expires !== undefined) n.expires = s.entry.expires;
  return n;
}

const UNUSED = allRules.find((r) => r.meta.id === "unused-suppression")!.meta;
const EXPIRED = allRules.find((r) => r.meta.id === "expired-suppression")!.meta;

/** The unused-suppression and expired-suppression findings, one result per config file that has any. */
function reportOn(compiled: Map<LoadedConfig, CompiledSuppression[]>): LintResult[] {
  const results: LintResult[] = [];
  for (const [loaded, list] of compiled) {
    if (!loaded.file) continue;
    const { severities } = ruleSettings(loaded);
    const findings: Finding[] = [];
    const add = (meta: typeof UNUSED, messageId: string, s: CompiledSuppression, message: string) => {
      const setting = severities[meta.id];
      if (setting === "off" || !s.range) return;
      findings.push({ ruleId: meta.id, severity: (setting ?? meta.severity) as Severity, message, messageId, range: s.range, identity: canonicalJson(s.entry) });
    };
    for (const s of list) {
      const what = describe(s.entry);
      if (s.expired) {
        add(
          EXPIRED,
          "expired",
          s,
          `This suppression of ${what} expired on ${s.entry.expires} ("${s.entry.reason}")${s.matched > 0 ? `; ${s.matched === 1 ? "the finding it matched is" : `the ${s.matched} findings it matched are`} reported again` : ""}. Fix ${s.matched === 1 ? "it" : "them"}, or review the exception and give it a new expiry date.`,
        );
      } else if (s.covered && s.matched === 0) {
        add(
          UNUSED,
          "unused",
          s,
          `This suppression of ${what} matched no finding, though this run checked ${s.entry.arn !== undefined ? "every resource it can name" : "every file it applies to"}: the finding it was written for is gone, or the suppression no longer reaches it (a changed Sid, statement position, resource or path). Remove it, or correct it.`,
        );
      }
    }
    if (findings.length > 0) {
      findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
      results.push(toLintResult({ filePath: loaded.file, kind: "config", kindReason: "a kmslint configuration file", findings }));
    }
  }
  return results;
}

function describe(entry: SuppressionEntry): string {
  const parts = [entry.rule];
  if (entry.path !== undefined) parts.push(`in ${entry.path}`);
  if (entry.arn !== undefined) parts.push(`on ${entry.arn}`);
  if (entry.resource !== undefined) parts.push(`resource ${entry.resource}`);
  if (entry.statement !== undefined) parts.push(`statement ${entry.statement}`);
  return parts.join(" ");
}
