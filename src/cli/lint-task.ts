/**
 * One file's work, the same on the main thread and in a worker: read it, skip it if it is plainly not a
 * policy (inside folders only), lint it, shape the result.
 */
import { resolve } from "node:path";
import { lintDocument, type LintOptions } from "../engine/linter.js";
import { looksLikePolicy } from "../model/kind.js";
import { toLintResult, type LintResult } from "../report/results.js";
import { readDocument } from "../sources/files.js";

export interface LintTask {
  path: string;
  explicit: boolean;
  options: Omit<LintOptions, "rules">;
  quiet: boolean;
}

export type TaskOutcome = { skipped: true } | { skipped: false; result: LintResult };

export function runTask(task: LintTask): TaskOutcome {
  const document = readDocument(task.path);
  // Inside folders, JSON that is plainly not a policy (package.json, tsconfig.json, templates) is skipped;
  // a file named on the command line is always linted, so a wrong file there is a finding, not silence.
  if (!task.explicit && !document.problem && !looksLikePolicy(document.value)) return { skipped: true };
  const result = lintDocument(document, task.options);
  return { skipped: false, result: toLintResult({ ...result, filePath: resolve(task.path) }, { quiet: task.quiet }) };
}
