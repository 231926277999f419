/**
 * The usage fact table from CloudTrail log files on disk (`kmslint usage PATH…`, issue 8 parts 1 and 2): the
 * files are found (src/usage/read.ts), split among worker threads on large runs, each worker folds its files'
 * KMS records into a map keyed by the group fields and hands back the map as arrays, and the maps are merged
 * here. Nothing keeps records or event ids, so memory stays flat as the logs grow.
 *
 * Counting each call once. With an organization trail (or trails of several accounts in one bucket), a call
 * by account B with account A's key is delivered to both accounts, each copy with the same `sharedEventID`
 * and its own `recipientAccountId` (AWS-FACTS.md §8.2). Rather than remembering event ids, every group keeps
 * two counts of such copies: those received by the key's owner (`recipientAccountId` = the key owner) and
 * those received elsewhere (by the caller). Its count is the larger of the two, plus the records without a
 * `sharedEventID` (delivered once). This is exact whenever either side's logs are complete for the window:
 * both logs (each side counts every call), only the owner's (a one-account trail of the hub) or only the
 * caller's. It undercounts only when each side misses calls the other has (say, the owner's logs for one
 * week and the caller's for another, read together): then the count is the larger side's. `records` counts
 * every KMS record read, copies included.
 *
 * The result does not depend on how files are split among workers: merging is sums and minimums/maximums,
 * and the rows are sorted by count (descending), then by the group fields.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { GROUP_FIELDS, type UsageFacts, type UsageFileProblem, type UsageRow } from "./facts.js";
import { findLogFilesIn, readLogFile, rowOf, UsageAggregator, type GroupTuple, type TimeWindow } from "./read.js";

export interface AggregateOptions {
  /** eventTime window: start inclusive, end exclusive. */
  start?: Date;
  end?: Date;
  /** Worker threads. Default: KMSLINT_WORKERS if set, else the cores available when there are enough files, else 1. */
  workers?: number;
  onProgress?: (p: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number; records: number }) => void;
  signal?: AbortSignal;
  /**
   * The worker script (the bundled src/usage/usage-worker.ts). Default: dist/kmslint-usage-worker.js next to
   * the bundle; when running from the TypeScript sources there is none and one thread reads every file.
   */
  workerScript?: string;
}

export interface AggregateResult extends UsageFacts {
  problems: UsageFileProblem[];
  /** Digest, Insights and other files found in folders, not read. */
  skippedFiles: number;
  /** Extra: files not read because their day folder lies outside the window. */
  /** Folders outside the time window (and files named directly outside it), not opened. */
  foldersOutsideWindow: number;
  /** Extra: bytes of the files read (as stored: compressed for .json.gz). */
  bytes: number;
  /** Extra: worker threads used (1: none). */
  workers: number;
}

/** Below this many files or bytes, one thread is faster than starting workers. */
export const PARALLEL_MIN_FILES = 16;
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/** Files sent to a worker at a time (bounded by BATCH_BYTES), so that the work stays balanced. */
const BATCH_FILES = 8;
const BATCH_BYTES = 8 * 1024 * 1024;

export function findLogFiles(paths: readonly string[]): { files: { path: string; bytes: number }[]; skipped: number; missing: string[] } {
  const { files, skipped, missing } = findLogFilesIn(paths);
  return { files, skipped, missing };
}

/** How many workers for these files: the option, else KMSLINT_WORKERS (0 or 1: none), else the cores when the run is large (at most one per file). */
export function usageWorkerCount(option: number | undefined, files: number, bytes: number): number {
  const configured = process.env["KMSLINT_WORKERS"];
  const wanted =
    option ?? (configured !== undefined && /^\d+$/.test(configured) ? Number(configured) : files >= PARALLEL_MIN_FILES && bytes >= PARALLEL_MIN_BYTES ? availableParallelism() : 1);
  return Math.max(1, Math.min(wanted, files));
}

/** The built worker next to the bundle (dist/kmslint-usage-worker.js, the bundle's chunks being in dist/chunks). */
function defaultWorkerScript(): string | undefined {
  for (const candidate of ["./kmslint-usage-worker.js", "../kmslint-usage-worker.js"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

export async function aggregateUsage(paths: readonly string[], options: AggregateOptions = {}): Promise<AggregateResult> {
  const window: TimeWindow = {
    ...(options.start ? { start: options.start.getTime() } : {}),
    ...(options.end ? { end: options.end.getTime() } : {}),
  };
  const found = findLogFilesIn(paths, window);
  const files = found.files;
  const bytesTotal = files.reduce((sum, f) => sum + f.bytes, 0);
  const aggregate = new UsageAggregator();
  for (const path of found.missing) aggregate.problems.push({ file: path, message: "no such file or folder" });

  let count = usageWorkerCount(options.workers, files.length, bytesTotal);
  const script = count > 1 ? (options.workerScript ?? defaultWorkerScript()) : undefined;
  if (!script) count = 1;
  const progress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal, records: 0 };
  options.signal?.throwIfAborted();
  options.onProgress?.({ ...progress });

  if (count === 1) {
    for (const file of files) {
      // Let timers, progress and abort signals in between files.
      await new Promise((resolvePromise) => setImmediate(resolvePromise));
      options.signal?.throwIfAborted();
      const outcome = readLogFile(file.path, aggregate, window);
      progress.filesDone++;
      progress.bytesDone += file.bytes;
      if (outcome.ok) progress.records += outcome.records;
      options.onProgress?.({ ...progress });
    }
  } else {
    await inWorkers(script!, count, files, window, aggregate, progress, options);
  }

  const rows = [...aggregate.groups.values()].map(rowOf).sort(compareRows);
  const problems = aggregate.problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return {
    records: aggregate.records,
    files: aggregate.files,
    rows,
    problems,
    skippedFiles: found.skipped,
    foldersOutsideWindow: found.outsideWindow,
    bytes: bytesTotal,
    workers: count,
  };
}

/** Messages between the main thread and a usage worker. */
export type ToWorker = { type: "files"; files: string[]; window: TimeWindow } | { type: "finish" };
export type FromWorker =
  | { type: "done"; files: number; bytes: number; records: number }
  | { type: "result"; tuples: GroupTuple[]; records: number; files: number; problems: UsageFileProblem[] };

async function inWorkers(
  script: string,
  count: number,
  files: readonly { path: string; bytes: number }[],
  window: TimeWindow,
  aggregate: UsageAggregator,
  progress: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number; records: number },
  options: AggregateOptions,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: count }, () => new Worker(script));
  let onAbort: (() => void) | undefined;
  try {
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(options.signal?.reason ?? new Error("aborted"));
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const all = Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolvePromise, reject) => {
            let finished = false;
            let batchBytes = 0;
            const send = () => {
              if (next >= files.length) {
                worker.postMessage({ type: "finish" } satisfies ToWorker);
                return;
              }
              const batch: string[] = [];
              let bytes = 0;
              while (next < files.length && batch.length < BATCH_FILES && (batch.length === 0 || bytes + files[next]!.bytes <= BATCH_BYTES)) {
                bytes += files[next]!.bytes;
                batch.push(files[next++]!.path);
              }
              batchBytes = bytes;
              worker.postMessage({ type: "files", files: batch, window } satisfies ToWorker);
            };
            worker.on("message", (message: FromWorker) => {
              if (message.type === "done") {
                progress.filesDone += message.files;
                progress.bytesDone += batchBytes;
                progress.records += message.records;
                options.onProgress?.({ ...progress });
                send();
              } else {
                aggregate.mergeTuples(message.tuples);
                aggregate.records += message.records;
                aggregate.files += message.files;
                aggregate.problems.push(...message.problems);
                finished = true;
                resolvePromise();
              }
            });
            worker.on("error", reject);
            worker.on("exit", (code) => {
              if (!finished) reject(new Error(`usage worker exited with code ${code}`));
            });
            send();
          }),
      ),
    );
    await Promise.race([all, aborted]);
  } finally {
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Count descending, then the group fields in GROUP_FIELDS order (false before true, null before any code). */
export function compareRows(a: UsageRow, b: UsageRow): number {
  if (a.count !== b.count) return b.count - a.count;
  for (const field of GROUP_FIELDS) {
    const x = a[field];
    const y = b[field];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === "boolean") return x ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
}
