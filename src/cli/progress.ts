/**
 * The audit's progress on stderr, so that JSON on stdout stays clean: on a terminal, listr2's task list
 * (the account, then one line per region and one for the buckets, redrawn in place); otherwise a plain line
 * every few seconds and at each step, which CI logs keep readable; nothing with --quiet or --no-progress.
 * It only reads the collector's counters (src/sources/aws/progress.ts).
 */
import type { AuditProgress } from "../sources/aws/progress.js";

export type ProgressMode = "tty" | "lines" | "none";

export interface ProgressDisplay {
  /** Stops the display after the collector has finished (or been interrupted). */
  stop(): Promise<void>;
}

const number = (n: number) => n.toLocaleString("en-US");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function ended(progress: AuditProgress): boolean {
  return progress.phase === "done" || progress.phase === "interrupted" || progress.phase === "failed";
}

/** `1,200/2,000 keys, 120/500 buckets, 3,400 calls, 12 retries, 0 errors (12.0 s)`. */
export function progressLine(progress: AuditProgress): string {
  const t = progress.totals();
  const keys = `${number(t.keysDone)}/${number(t.keys)}${t.listing ? "+" : ""} keys`;
  const buckets = `${number(t.bucketsDone)}/${number(t.buckets)}${progress.bucketListingDone ? "" : "+"} buckets`;
  return `${keys}, ${buckets}, ${number(progress.calls)} calls, ${number(progress.retries)} retries, ${number(progress.errors)} failed (${seconds(Date.now() - progress.startedAt)})`;
}

/**
 * Resolves when `condition` holds, checking every `everyMs`. The timers keep the process alive on purpose:
 * after Ctrl-C nothing else may be pending, and the task list must still finish drawing before the report.
 * Every condition used here becomes true when the collector ends (done, interrupted or failed).
 */
function until(condition: () => boolean, everyMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : void setTimeout(check, everyMs));
    check();
  });
}

export async function startProgress(progress: AuditProgress, mode: ProgressMode, write: (text: string) => void): Promise<ProgressDisplay> {
  if (mode === "none") return { stop: async () => undefined };
  if (mode === "lines") return startLines(progress, write);
  return startTaskList(progress);
}

function startLines(progress: AuditProgress, write: (text: string) => void): ProgressDisplay {
  let announced = false;
  const tick = () => {
    if (!announced && progress.account && progress.phase !== "identity") {
      announced = true;
      const regions = [...progress.regions.keys()];
      write(`kmslint audit: account ${progress.account}${progress.org ? ` (${progress.org})` : ""}, ${regions.length} region${regions.length === 1 ? "" : "s"}: ${regions.join(", ")}\n`);
      return;
    }
    if (announced && !ended(progress)) write(`kmslint audit: ${progressLine(progress)}\n`);
  };
  const fast = setInterval(() => {
    if (!announced) tick();
  }, 100);
  const slow = setInterval(tick, 5000);
  fast.unref();
  slow.unref();
  return {
    stop: async () => {
      clearInterval(fast);
      clearInterval(slow);
      if (!announced && progress.account) tick();
      write(`kmslint audit: ${progress.phase === "interrupted" ? "interrupted: " : "read "}${progressLine(progress)}\n`);
    },
  };
}

async function startTaskList(progress: AuditProgress): Promise<ProgressDisplay> {
  const { Listr, ListrLogger, ListrLogLevels, ProcessOutput } = await import("listr2");
  const processOutput = new ProcessOutput(process.stderr, process.stderr);
  const logger = new ListrLogger({ processOutput, toStderr: Object.values(ListrLogLevels) });
  const list = new Listr(
    [
      {
        title: "Identify the account (STS, Organizations)",
        task: async (_context, task) => {
          await until(() => progress.phase !== "identity" && progress.phase !== "starting", 50);
          task.title = progress.account ? `Account ${progress.account}${progress.org ? ` (organization ${progress.org})` : ""}` : "Account not identified";
        },
      },
      {
        title: "Read keys and buckets",
        task: (_context, task) =>
          task.newListr(
            [
              ...[...progress.regions.keys()].map((region) => ({
                title: region,
                task: async (_c: unknown, sub: { title: string }) => {
                  const r = progress.region(region);
                  const title = () => `${region}: ${number(r.keysDone)}/${number(r.keysListed)}${r.listingDone ? "" : "+"} keys, ${number(r.aliases)} aliases, ${number(r.bucketsDone)}/${number(r.buckets)} buckets`;
                  await until(() => {
                    sub.title = title();
                    return ended(progress) || (r.listingDone && r.keysDone === r.keysListed && progress.bucketListingDone && r.bucketsDone === r.buckets);
                  }, 100);
                  sub.title = title();
                },
              })),
              {
                title: "Totals",
                task: async (_c: unknown, sub: { title: string }) => {
                  await until(() => {
                    sub.title = progressLine(progress);
                    return ended(progress);
                  }, 100);
                  sub.title = progressLine(progress);
                },
              },
            ],
            { concurrent: true },
          ),
      },
    ],
    {
      rendererOptions: { logger: logger as never },
      fallbackRendererOptions: { logger: logger as never },
      exitOnError: false,
      // listr2's own SIGINT handler exits 127 at once; kmslint's handler stops the audit and reports what was read.
      registerSignalListeners: false,
    },
  );
  const running = list.run().catch(() => undefined);
  return {
    stop: async () => {
      await until(() => ended(progress), 20);
      await running;
    },
  };
}
