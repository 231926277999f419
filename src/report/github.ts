/**
 * GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per finding, which GitHub
 * shows as an annotation on the file and line (in the pull request's diff too), then kmslint's summary line.
 * Audits have no file: their annotations name the resource's ARN in the title. GitHub shows at most 10 error
 * and 10 warning annotations per step (and 50 per job); the rest stay in the log. SARIF has no such limit.
 */
import { relative, sep } from "node:path";
import type { LintResult } from "./results.js";

const COMMAND = { 2: "error", 1: "warning", 0: "notice" } as const;

/** Escaping of workflow command data (the message). */
function data(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escaping of a workflow command property value (file, title). */
function property(text: string): string {
  return data(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function formatGithub(results: readonly LintResult[], summaryText: string, cwd = process.cwd()): string {
  const lines: string[] = [];
  for (const result of results) {
    const isArn = result.filePath.startsWith("arn:");
    const file = isArn ? undefined : relative(cwd, result.filePath).split(sep).join("/") || result.filePath;
    for (const m of result.messages) {
      const properties: string[] = [];
      if (file !== undefined) {
        properties.push(`file=${property(file)}`, `line=${m.line}`, `col=${m.column}`, `endLine=${m.endLine}`);
        // GitHub uses endColumn only for an annotation on one line.
        if (m.endLine === m.line) properties.push(`endColumn=${m.endColumn}`);
      }
      properties.push(`title=${property(`kmslint ${m.ruleId}${isArn ? ` on ${result.filePath}` : ""}`)}`);
      lines.push(`::${COMMAND[m.severity]} ${properties.join(",")}::${data(isArn ? `${result.filePath}: ${m.message}` : m.message)}`);
    }
  }
  lines.push(summaryText);
  return `${lines.join("\n")}\n`;
}
