/**
 * Config `suppressions`: reviewed exceptions, each for the findings of one rule at one place (files by glob,
 * or a key or bucket by ARN; optionally one resource of a template and one statement), with the reason and an
 * optional expiry date. A suppressed finding moves to the result's `suppressedMessages` with the reason; it is
 * counted in the summary and kept in JSON and SARIF, but it is not listed and does not change the exit code.
 *
 * A suppression past its expiry date stops suppressing: its findings are reported again, each saying which
 * suppression expired, and the config gets an `expired-suppression` warning at the entry. A suppression that
 * matched nothing in what this run covered (a linted file its glob matches, an audited key or bucket) gets an
 * `unused-suppression` warning: the finding it was written for is gone, or the suppression no longer reaches
 * it. Suppressions whose files or resources were not part of the run (a pre-commit run on two files) are not
 * judged.
 */
import { relative, sep } from "node:path";
import picomatch from "picomatch";
import { allRules } from "../../rules/index.js";
import type { Range } from "../model/json.js";
import { recount, toLintResult, type LintMessage, type LintResult, type SuppressedLintMessage } from "../report/results.js";
import { canonicalJson, type Finding } from "./linter.js";
import { ruleSettings, type LoadedConfig, type SuppressionEntry } from "./config.js";
import type { Severity } from "./rule.js";

/** What the run covered, for deciding which unmatched suppressions are unused. */
export type SuppressionScope =
  | { mode: "lint" }
  /** An audit: the owner account and the regions read (a literal ARN there that matched no resource is stale). */
  | { mode: "audit"; account: string; regions: readonly string[] };

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
    const relativePath = isArn ? undefined : toPosix(relative(loaded.base, result.filePath));
    const applicable = suppressionsOf(loaded).filter((s) =>
      isArn ? s.arn !== undefined && s.arn.test(result.filePath) : s.path !== undefined && relativePath !== undefined && s.path(relativePath),
    );
    if (applicable.length === 0) continue;
    for (const s of applicable) s.covered = true;
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

  if (scope.mode === "audit") {
    // A literal ARN in the audited account and regions that matched no key or bucket names one that is gone.
    for (const list of compiled.values()) {
      for (const s of list) {
        if (s.covered || s.entry.arn === undefined || s.entry.arn.includes("*") || s.entry.arn.includes("?")) continue;
        const [, , service, region, account] = s.entry.arn.split(":");
        if (account === scope.account && (service === "s3" || (region !== undefined && scope.regions.includes(region)))) s.covered = true;
      }
    }
  }
  // Configs that no result named are not compiled: their suppressions were not judged.
  return { configResults: reportOn(compiled) };
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
          `This suppression of ${what} expired on ${s.entry.expires} ("${s.entry.reason}")${s.covered ? `; ${s.matched === 1 ? "the finding it matched is" : `the ${s.matched} findings it matched are`} reported again` : ""}. Fix ${s.matched === 1 ? "it" : "them"}, or review the exception and give it a new expiry date.`,
        );
      } else if (s.covered && s.matched === 0) {
        add(
          UNUSED,
          "unused",
          s,
          `This suppression of ${what} matched no finding, though this run checked ${s.entry.arn !== undefined ? "the account it names" : "files it applies to"}: the finding it was written for is gone, or the suppression no longer reaches it (a changed Sid, statement position, resource or path). Remove it, or correct it.`,
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
