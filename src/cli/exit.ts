/** What every command shares: its output streams, usage errors and exit codes (DESIGN.md "Output contract"). */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A problem with how kmslint was called (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** 0, or 1 for an error-severity finding or more warnings than --max-warnings (DESIGN.md "Output contract"). */
export function exitCode(sum: { errors: number; warnings: number }, options: { exitZero: boolean; maxWarnings?: number }, io: Io): number {
  if (options.exitZero) return EXIT_OK;
  if (sum.errors > 0) return EXIT_FINDINGS;
  if (options.maxWarnings !== undefined && options.maxWarnings >= 0 && sum.warnings > options.maxWarnings) {
    io.stderr(`kmslint: ${sum.warnings} warnings, more than --max-warnings ${options.maxWarnings}.\n`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}

/**
 * Writes a report to stdout, or to --output FILE (its folder created; "-" is stdout). Returns the file as
 * shown to the user (relative to the current folder), or undefined for stdout.
 */
export function writeReport(text: string, output: string | undefined, io: Io): string | undefined {
  if (output === undefined || output === "-") {
    io.stdout(text);
    return undefined;
  }
  const target = resolve(output);
  try {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  } catch (error) {
    throw new UsageError(`cannot write --output ${output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return relative(process.cwd(), target) || target;
}
