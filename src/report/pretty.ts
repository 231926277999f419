/**
 * The default terminal output: eslint-formatter-pretty (loaded only when this format is used), with each
 * rule id linked to its documentation page, then a one-line summary.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stripVTControlCharacters } from "node:util";
import type { LintResult, Totals } from "./results.js";

/** The installed package's folder (where rules/<id>.md live), found from this module's location. */
let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(directory, "package.json")) && existsSync(join(directory, "rules"))) return (root = directory);
    directory = dirname(directory);
  }
  return (root = process.cwd());
}

export function ruleDocUrl(ruleId: string): string {
  return pathToFileURL(join(packageRoot(), "rules", `${ruleId}.md`)).href;
}

/** `summaryText` replaces the files-checked summary line (the audit counts keys and buckets, not files). */
/** `color: false` never colours (a report written to a file); otherwise colour follows `wantsColor`. */
export async function formatPretty(
  results: readonly LintResult[],
  summary: Totals & { skipped: number },
  summaryText = summaryLine(summary),
  options: { color?: boolean } = {},
): Promise<string> {
  // Nothing to show: do not pay for loading the formatter (about 70 ms, the pre-commit case).
  if (results.every((r) => r.messages.length === 0)) return `${summaryText}\n`;
  const { default: pretty } = await import("eslint-formatter-pretty");
  const rulesMeta: Record<string, { docs: { url: string } }> = {};
  // The formatter knows errors (2) and warnings (1); informational findings are shown as warnings marked "info:".
  const shown = results.map((r) => ({
    ...r,
    messages: r.messages.map((m) => (m.severity === 0 ? { ...m, severity: 1 as const, message: `info: ${m.message}` } : m)),
    warningCount: r.warningCount + r.infoCount,
  }));
  for (const r of results) for (const m of r.messages) rulesMeta[m.ruleId] ??= { docs: { url: ruleDocUrl(m.ruleId) } };
  // The formatter ends with its own totals, which count info findings as warnings; kmslint's summary line replaces them.
  const body = pretty(shown as never, { cwd: process.cwd(), rulesMeta } as never).replace(/(\n\s*\S*\s*\d+ (warnings?|errors?)\S*)+\s*$/u, "");
  // log-symbols (inside the formatter) colours its symbols whenever TERM supports colour, even into a file
  // or a pipe; kmslint removes escape codes unless colour is wanted.
  const text = options.color !== false && wantsColor() ? body : stripVTControlCharacters(body);
  return `${text}${text ? "\n" : ""}${summaryText}\n`;
}

/** Colour only on a terminal, unless NO_COLOR is set; FORCE_COLOR (other than 0 or false) forces it. */
export function wantsColor(env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  return isTTY;
}

/** `extra` (suppressed and baseline counts, " (…)") goes before the closing full stop. */
export function summaryLine(t: Totals & { skipped: number }, extra = ""): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [`${plural(t.files, "file")} checked`];
  if (t.skipped > 0) parts.push(`${plural(t.skipped, "file")} skipped (not a policy, template or plan)`);
  const problems = [plural(t.errors, "error"), plural(t.warnings, "warning")];
  if (t.infos > 0) problems.push(`${t.infos} info`);
  return `kmslint: ${parts.join(", ")}; ${problems.join(", ")}${extra}.`;
}
