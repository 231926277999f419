/**
 * Baselines: adopt kmslint in a repository or account that already has findings, and fail only on new ones.
 * `--write-baseline FILE` records the findings of the run by fingerprint; `--baseline FILE` moves findings
 * recorded there to `suppressedMessages` (kind "baseline") and counts the entries that no longer match a
 * finding in the files the run linted (fixed since the baseline was written). Rewriting a baseline drops the
 * entries of files that no longer exist.
 *
 * An entry is a location (the file's path relative to the baseline file's folder, with "/", or a resource ARN
 * for audits), a rule id and the finding's fingerprint (src/report/results.ts): reformatting a file or moving
 * its statements keeps the entry matching; editing the statement the finding is about does not.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { createDocument } from "../model/document.js";
import { realPath } from "./suppressions.js";
import { recount, type LintMessage, type LintResult, type SuppressedLintMessage } from "../report/results.js";

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  location: string;
  ruleId: string;
  fingerprint: string;
  /** For people reading the file: where the finding was and what it said when recorded. */
  line?: number;
  message?: string;
}

export interface BaselineFile {
  kmslint: "baseline";
  version: number;
  /** When it was written (ISO 8601). */
  written: string;
  findings: BaselineEntry[];
}

/** A baseline that cannot be read or is not a kmslint baseline: a usage error (exit 2). */
export class BaselineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BaselineError";
  }
}

export interface Baseline {
  file: string;
  entries: BaselineEntry[];
}

export function readBaseline(file: string): Baseline {
  const absolute = resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (error) {
    throw new BaselineError(`cannot read baseline ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const document = createDocument(bytes, absolute);
  if (document.problem) {
    const { line, column } = document.problem.range.start;
    throw new BaselineError(`${file}:${line}:${column}: ${document.problem.message}`);
  }
  const value = document.value as Partial<BaselineFile> | null;
  const at = (path: (string | number)[]) => {
    const { line, column } = document.locate(path).start;
    return `${file}:${line}:${column}`;
  };
  if (value === null || typeof value !== "object" || Array.isArray(value) || value.kmslint !== "baseline") {
    throw new BaselineError(`${at([])}: not a kmslint baseline (written by --write-baseline; it has "kmslint": "baseline")`);
  }
  if (value.version !== BASELINE_VERSION) throw new BaselineError(`${at(["version"])}: baseline version ${String(value.version)} is not supported (this kmslint writes version ${BASELINE_VERSION})`);
  if (!Array.isArray(value.findings)) throw new BaselineError(`${at(["findings"])}: "findings" must be an array`);
  value.findings.forEach((entry, i) => {
    const ok =
      entry !== null &&
      typeof entry === "object" &&
      typeof entry.location === "string" &&
      typeof entry.ruleId === "string" &&
      typeof entry.fingerprint === "string" &&
      /^[0-9a-f]+:\d+$/.test(entry.fingerprint);
    if (!ok) throw new BaselineError(`${at(["findings", i])}: an entry needs "location", "ruleId" and "fingerprint" (hash:N)`);
  });
  return { file: absolute, entries: value.findings };
}

/** Where a result is, as a baseline names it: its path from the baseline's folder ("/" separated), or its ARN. */
export function baselineLocation(filePath: string, baselineFile: string): string {
  if (filePath.startsWith("arn:") || !isAbsolute(filePath)) return filePath;
  // Real paths on both sides: a baseline or a file named through a symbolic link is still the same file.
  const path = relative(realPath(dirname(baselineFile)), realPath(filePath));
  return sep === "/" ? path : path.split(sep).join("/");
}

const keyOf = (location: string, ruleId: string, fingerprint: string) => `${location}\u0000${ruleId}\u0000${fingerprint}`;

export interface BaselineOutcome {
  /** Findings found in the baseline (not reported). */
  matched: number;
  /** Baseline entries of locations this run covered that matched no finding: fixed since. */
  fixed: number;
}

/** Moves findings recorded in the baseline out of `messages`. Changes the results in place. */
export function applyBaseline(results: readonly LintResult[], baseline: Baseline): BaselineOutcome {
  const remaining = new Map<string, number>();
  for (const e of baseline.entries) {
    const key = keyOf(e.location, e.ruleId, e.fingerprint);
    remaining.set(key, (remaining.get(key) ?? 0) + 1);
  }
  const covered = new Set<string>();
  let matched = 0;
  const source = relative(process.cwd(), baseline.file) || baseline.file;
  for (const result of results) {
    const location = baselineLocation(result.filePath, baseline.file);
    covered.add(location);
    // A finding a config suppression accepted is still the baseline's entry (not fixed), but stays suppressed by the config.
    for (const message of result.suppressedMessages) {
      const key = keyOf(location, message.ruleId, message.fingerprint);
      const left = remaining.get(key) ?? 0;
      if (left > 0) remaining.set(key, left - 1);
    }
    const kept: LintMessage[] = [];
    for (const message of result.messages) {
      const key = keyOf(location, message.ruleId, message.fingerprint);
      const left = remaining.get(key) ?? 0;
      if (left > 0) {
        remaining.set(key, left - 1);
        matched++;
        const suppressed: SuppressedLintMessage = { ...message, suppressions: [{ kind: "baseline", justification: `recorded in the baseline ${source}`, source }] };
        result.suppressedMessages.push(suppressed);
      } else {
        kept.push(message);
      }
    }
    result.messages = kept;
    recount(result);
  }
  let fixed = 0;
  for (const e of baseline.entries) {
    const key = keyOf(e.location, e.ruleId, e.fingerprint);
    const left = remaining.get(key) ?? 0;
    if (left > 0 && covered.has(e.location)) {
      remaining.set(key, left - 1);
      fixed++;
    }
  }
  return { matched, fixed };
}

/**
 * Writes the findings of the run (not those a config suppression accepted) as a baseline. Entries of an
 * existing baseline at FILE for locations this run did not cover are kept, so a run on part of the files
 * updates only that part. Returns the number of entries written for this run.
 */
export function writeBaseline(file: string, results: readonly LintResult[], now: Date): { written: number; kept: number } {
  const absolute = resolve(file);
  let previous: BaselineEntry[] = [];
  if (existsSync(absolute)) {
    try {
      previous = readBaseline(file).entries;
    } catch (error) {
      throw new BaselineError(`${(error as Error).message}; --write-baseline keeps the entries of files it does not lint, so it needs the old baseline readable: fix it, or delete it to write a new one`);
    }
  }
  const covered = new Set(results.map((r) => baselineLocation(r.filePath, absolute)));
  // Entries of files that no longer exist (deleted or moved) are dropped; audits' ARNs are kept.
  const base = dirname(absolute);
  const kept = previous.filter((e) => !covered.has(e.location) && (e.location.startsWith("arn:") || existsSync(resolve(base, e.location))));
  const fresh: BaselineEntry[] = [];
  for (const result of results) {
    const location = baselineLocation(result.filePath, absolute);
    for (const m of result.messages) fresh.push({ location, ruleId: m.ruleId, fingerprint: m.fingerprint, line: m.line, message: m.message });
  }
  const findings = [...kept, ...fresh].sort(
    (a, b) => a.location.localeCompare(b.location) || (a.line ?? 0) - (b.line ?? 0) || a.ruleId.localeCompare(b.ruleId) || a.fingerprint.localeCompare(b.fingerprint),
  );
  const content: BaselineFile = { kmslint: "baseline", version: BASELINE_VERSION, written: now.toISOString(), findings };
  try {
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, `${JSON.stringify(content, null, 2)}\n`);
  } catch (error) {
    throw new BaselineError(`cannot write baseline ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { written: fresh.length, kept: kept.length };
}
