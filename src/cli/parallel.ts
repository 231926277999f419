/**
 * Linting many files on every core. Rules are pure and files independent, so batches of files go to worker
 * threads and the outcomes come back in the order of the files. Used only for large runs: a worker costs
 * about as much to start as linting a hundred policies, and a pre-commit run lints a handful.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { runTask, type LintTask, type TaskOutcome } from "./lint-task.js";

/** Below this many files, one thread is faster. */
export const PARALLEL_THRESHOLD = 300;
const BATCH = 64;

/** The built worker script next to the bundle (dist/kmslint-worker.js), or undefined when running from source. */
function workerScript(): string | undefined {
  for (const candidate of ["./kmslint-worker.js", "../kmslint-worker.js"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** How many workers: KMSLINT_WORKERS if set (0 or 1 means none), else the cores available. */
export function workerCount(files: number): number {
  const configured = process.env["KMSLINT_WORKERS"];
  const wanted = configured !== undefined && /^\d+$/.test(configured) ? Number(configured) : files >= PARALLEL_THRESHOLD ? availableParallelism() : 1;
  return Math.max(1, Math.min(wanted, Math.ceil(files / BATCH)));
}

export async function runTasks(tasks: readonly LintTask[]): Promise<TaskOutcome[]> {
  const count = workerCount(tasks.length);
  const script = count > 1 ? workerScript() : undefined;
  if (!script) {
    const outcomes: TaskOutcome[] = [];
    for (const task of tasks) outcomes.push(await runTask(task));
    return outcomes;
  }

  const outcomes: TaskOutcome[] = new Array(tasks.length);
  let next = 0;
  const workers = Array.from({ length: count }, () => new Worker(script));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolvePromise, reject) => {
            let start = 0;
            const send = () => {
              if (next >= tasks.length) {
                resolvePromise();
                return;
              }
              start = next;
              next = Math.min(tasks.length, next + BATCH);
              worker.postMessage({ id: start, tasks: tasks.slice(start, next) });
            };
            worker.on("message", (message: { id: number; outcomes: TaskOutcome[] }) => {
              message.outcomes.forEach((outcome, i) => (outcomes[message.id + i] = outcome));
              send();
            });
            worker.on("error", reject);
            worker.on("exit", (code) => {
              if (code !== 0) reject(new Error(`lint worker exited with code ${code}`));
            });
            void start;
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}
