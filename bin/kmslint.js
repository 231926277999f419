#!/usr/bin/env node
// The kmslint command. The code is in dist/ (built by `npm run build`, which `npm ci` runs).
import { main } from "../dist/kmslint.js";

// `kmslint … | head`: the reader went away; stop quietly, as other command-line tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const debug = process.argv.includes("--debug");
const argv = process.argv.slice(2).filter((a) => a !== "--debug");
try {
  process.exitCode = await main(argv);
} catch (error) {
  // A stack trace is a bug report, not an answer: show it only when asked.
  process.stderr.write(`kmslint: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("Run again with --debug for the stack trace, and please report it.\n");
  process.exitCode = 2;
}
