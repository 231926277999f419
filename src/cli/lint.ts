/**
 * `kmslint lint`: files and folders in, findings out, exit code 0 / 1 / 2 (DESIGN.md "Output contract").
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError, ConfigResolver, loadConfigFile, ruleSettings, type LoadedConfig } from "../engine/config.js";
import type { TrustContext } from "../engine/rule.js";
import { isAccountId, isOrgId } from "../model/arn.js";
import { POLICY_KINDS } from "../model/policy.js";
import type { LintResult } from "../report/results.js";
import { expandPaths, ignoreMatcher, type IgnoreTest } from "../sources/files.js";
import { runTask, type CheckedPolicy, type ForcedKind, type LintTask } from "./lint-task.js";

export type { ForcedKind } from "./lint-task.js";
export const FORCED_KINDS: readonly ForcedKind[] = [...POLICY_KINDS, "cloudformation", "terraform-plan"];
import { runTasks } from "./parallel.js";
import { BaselineError } from "../engine/baseline.js";
import { EXIT_USAGE, UsageError, type Io } from "./exit.js";
import { realPath, ruleRuns } from "../engine/suppressions.js";
import { checkFinishOptions, finishResults, REPORT_FORMATS, type ReportFormat } from "./finish.js";

export const FORMATS = REPORT_FORMATS;
export type Format = ReportFormat;

export interface LintCommandOptions {
  format: Format;
  kind?: ForcedKind;
  maxWarnings?: number;
  config?: string;
  account?: string;
  org?: string;
  trustedAccount: string[];
  /** `Name=Value` CloudFormation parameters. */
  parameter?: string[];
  exitZero: boolean;
  quiet: boolean;
  /** Write the report to this file instead of stdout. */
  output?: string;
  /** Report only findings not recorded in this baseline. */
  baseline?: string;
  /** Record the findings of this run in this baseline file. */
  writeBaseline?: string;
  /** Files named on the command line that are plainly not policies, templates or plans are skipped (pre-commit, lint-staged). */
  ignoreUnknown?: boolean;
  /** Also run IAM Access Analyzer's policy checks (ValidatePolicy, CheckNoPublicAccess): network calls, billed by AWS. */
  accessAnalyzer?: boolean;
  region?: string;
  profile?: string;
  cacheDir?: string;
}

export { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, exitCode, UsageError, type Io } from "./exit.js";

export async function runLint(paths: readonly string[], options: LintCommandOptions, io: Io): Promise<number> {
  try {
    return await lintPaths(paths.length > 0 ? paths : ["."], options, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof BaselineError) {
      io.stderr(`kmslint: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function checkOptions(options: LintCommandOptions): void {
  checkFinishOptions(options);
  if (options.kind !== undefined && !FORCED_KINDS.includes(options.kind)) {
    throw new UsageError(`--kind must be one of ${FORCED_KINDS.join(", ")}, not "${options.kind}"`);
  }
  for (const parameter of options.parameter ?? []) {
    if (!/^[A-Za-z0-9]+=/.test(parameter)) throw new UsageError(`--parameter takes Name=Value (an alphanumeric parameter name), not "${parameter}"`);
  }
  if (options.account !== undefined && !isAccountId(options.account)) throw new UsageError(`--account must be a 12-digit account id, not "${options.account}"`);
  if (options.org !== undefined && !isOrgId(options.org)) throw new UsageError(`--org must be an organization id like o-a1b2c3d4e5, not "${options.org}"`);
  for (const id of options.trustedAccount) {
    if (!isAccountId(id)) throw new UsageError(`--trusted-account must be a 12-digit account id, not "${id}"`);
  }
  if (options.maxWarnings !== undefined && (!Number.isInteger(options.maxWarnings) || options.maxWarnings < -1)) {
    throw new UsageError("--max-warnings must be a whole number (-1 for no limit)");
  }
}

async function lintPaths(paths: readonly string[], options: LintCommandOptions, io: Io): Promise<number> {
  checkOptions(options);
  const cwd = process.cwd();
  const fixed: LoadedConfig | undefined = options.config ? loadConfigFile(options.config) : undefined;
  const resolver = new ConfigResolver(cwd);
  const configFor = (absolutePath: string, isDirectory = false): LoadedConfig =>
    fixed ?? resolver.forDirectory(isDirectory ? absolutePath : dirname(absolutePath));
  const ignoreTests = new Map<LoadedConfig, IgnoreTest>();
  const ignoredFor = (absolutePath: string) => {
    const loaded = configFor(absolutePath);
    let test = ignoreTests.get(loaded);
    if (!test) {
      test = ignoreMatcher(loaded.config.ignore ?? [], loaded.base);
      ignoreTests.set(loaded, test);
    }
    return test(absolutePath);
  };

  const expansion = expandPaths(paths, ignoredFor);
  const { missing } = expansion;
  if (missing.length > 0) {
    throw new UsageError(`no such file or folder: ${missing.join(", ")}`);
  }
  let skipped = 0;
  let files = expansion.files;
  // Folders walked, for judging which suppressions this run saw everything of (a pre-commit run names files).
  const walked = paths.filter((path) => isDirectory(path)).map((path) => realPath(resolve(path)));
  if (options.ignoreUnknown) {
    // As if each named file had been found in a folder: ignore patterns apply, and what is plainly not a
    // policy, template or plan is skipped instead of reported.
    const kept = files.filter((f) => !f.explicit || !ignoredFor(resolve(f.path)));
    skipped += files.length - kept.length;
    files = kept.map((f) => ({ ...f, explicit: false }));
  }

  const commandParameters: Record<string, string> = {};
  for (const parameter of options.parameter ?? []) {
    const equals = parameter.indexOf("=");
    commandParameters[parameter.slice(0, equals)] = parameter.slice(equals + 1);
  }
  const configOfFile = new Map<string, LoadedConfig>();
  const tasks: LintTask[] = files.map((file) => {
    const loaded = configFor(resolve(file.path));
    configOfFile.set(resolve(file.path), loaded);
    const trust: TrustContext = {
      trustedAccounts: [...new Set([...(loaded.config.trustedAccounts ?? []), ...options.trustedAccount])],
    };
    const account = options.account ?? loaded.config.account;
    const org = options.org ?? loaded.config.org;
    if (account) trust.account = account;
    if (org) trust.org = org;
    const parameters = { ...(loaded.config.parameters ?? {}), ...commandParameters };
    return {
      path: file.path,
      explicit: file.explicit,
      options: {
        ...(options.kind ? { kind: options.kind } : {}),
        trust,
        ...ruleSettings(loaded),
        ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      },
    };
  });

  const results: LintResult[] = [];
  if (options.accessAnalyzer) {
    // Access Analyzer needs each policy's document: the files are linted here, one at a time.
    const files: { result: LintResult; policies: CheckedPolicy[] }[] = [];
    for (const task of tasks) {
      const policies: CheckedPolicy[] = [];
      const outcome = await runTask(task, (policy) => policies.push(policy));
      if (outcome.skipped) skipped++;
      else {
        results.push(outcome.result);
        files.push({ result: outcome.result, policies });
      }
    }
    const { checkWithAccessAnalyzer } = await import("./access-analyzer-files.js");
    process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
    await checkWithAccessAnalyzer(files, {
      ...(options.region ? { region: options.region } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      stderr: io.stderr,
    });
  } else {
    for (const outcome of await runTasks(tasks)) {
      if (outcome.skipped) skipped++;
      else results.push(outcome.result);
    }
  }

  const { summaryLine } = await import("../report/pretty.js");
  return finishResults(
    results,
    options,
    {
      configOf: (result) => configOfFile.get(result.filePath),
      scope: { mode: "lint", walked, ruleRan: (id) => ruleRuns(id, "lint", options.accessAnalyzer === true) },
      now: new Date(),
      summary: (sum, extra) => summaryLine({ ...sum, skipped }, extra),
    },
    io,
  );
}


function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
