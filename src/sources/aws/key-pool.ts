/**
 * The main thread's side of the worker threads that make the per-key calls of large regions: keys go out
 * round-robin in small batches, each key comes back filled in (metadata, policy, rotation) with the calls it
 * took and the calls that failed. Ctrl-C is passed on; a key a worker could not finish comes back as far as
 * it got, and its promise rejects with AbortedError like an in-thread call would. If a worker fails, the
 * keys go on being read in the main thread.
 */
import { Worker } from "node:worker_threads";
import type { CallStatistics, Collector, LiveKey, ReadError, WorkerSettings } from "./collect.js";
import { AbortedError } from "./scheduler.js";

/** What a worker sends for each key it finished (or stopped). */
export interface KeyResult {
  type: "key";
  id: number;
  key: LiveKey;
  statistics: CallStatistics;
  errors: ReadError[];
  aborted: boolean;
}

const BATCH = 25;

export class KeyWorkerPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { key: LiveKey; resolve: () => void; reject: (error: Error) => void }>();
  private readonly queues: { id: number; key: LiveKey }[][];
  private nextId = 0;
  private nextWorker = 0;
  private flushScheduled = false;
  private failure: Error | undefined;

  constructor(
    script: string,
    count: number,
    settings: WorkerSettings,
    private readonly collector: Collector,
  ) {
    this.queues = Array.from({ length: count }, () => []);
    this.workers = Array.from({ length: count }, () => {
      // A larger young generation: the SDK allocates a lot per call, and scavenges were a tenth of the CPU time.
      const worker = new Worker(script, { workerData: { settings, workers: count }, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      worker.on("message", (message: KeyResult) => this.settle(message));
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0 && this.waiting.size > 0) this.fail(new Error(`an audit worker stopped with exit code ${code}`));
      });
      return worker;
    });
    collector.signal.addEventListener("abort", () => this.workers.forEach((w) => w.postMessage({ type: "abort" })), { once: true });
  }

  read(key: LiveKey): Promise<void> {
    if (this.failure) return this.readHere(key);
    const id = this.nextId++;
    const queue = this.queues[this.nextWorker]!;
    this.nextWorker = (this.nextWorker + 1) % this.workers.length;
    queue.push({ id, key });
    if (queue.length >= BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => this.waiting.set(id, { key, resolve, reject }));
  }

  private flush(): void {
    this.flushScheduled = false;
    this.queues.forEach((queue, i) => {
      if (queue.length > 0) this.workers[i]!.postMessage({ type: "keys", keys: queue.splice(0) });
    });
  }

  private settle(message: KeyResult): void {
    const entry = this.waiting.get(message.id);
    if (!entry) return;
    this.waiting.delete(message.id);
    Object.assign(entry.key, message.key);
    this.collector.merge(message.statistics, message.errors);
    if (message.aborted) entry.reject(new AbortedError());
    else entry.resolve();
  }

  /**
   * A worker that fails (out of memory, a bug) does not lose the audit: its keys, and every key after, are
   * read in this thread instead.
   */
  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const entry of waiting) this.readHere(entry.key).then(entry.resolve, entry.reject);
  }

  private readHere(key: LiveKey): Promise<void> {
    return this.collector.readKey(this.collector.kmsClient(key.region), key);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
