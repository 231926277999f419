/**
 * Pacing of the audit's calls: a rate per operation and region (requests are spaced evenly, so an audit never
 * bursts above the configured rate), and a cap on calls in flight per region. Retries happen inside the SDK
 * client (standard or adaptive mode) and are not paced again here. Everything stops when the signal aborts.
 */
import { performance } from "node:perf_hooks";

export class AbortedError extends Error {
  constructor() {
    super("the audit was interrupted");
    this.name = "AbortError";
  }
}

/**
 * Evenly spaced start times at `perSecond`: the n-th call starts no earlier than n / perSecond seconds after
 * the first. Waiting calls queue in order behind one timer, and one abort listener per limiter releases them
 * all: thousands of queued calls must not each add a listener to the shared signal (adding one walks the
 * signal's list of listeners).
 */
const CATCH_UP_MS = 20;

export class RateLimiter {
  private next = 0;
  private readonly interval: number;
  private readonly queue: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private listening = false;

  constructor(readonly perSecond: number) {
    this.interval = 1000 / perSecond;
  }

  take(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new AbortedError());
    const now = performance.now();
    if (this.queue.length === 0 && now >= this.next) {
      this.next = now + this.interval;
      return Promise.resolve();
    }
    if (!this.listening) {
      this.listening = true;
      signal.addEventListener("abort", () => this.abortAll(), { once: true });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    const wait = Math.max(0, this.next - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Release every call whose slot has come. Timers fire late under load: slots missed in the last
      // CATCH_UP_MS are still used (so the rate holds on average), older ones are lost (never a burst above it).
      let now = performance.now();
      while (this.queue.length > 0 && now >= this.next - 0.5) {
        this.next = Math.max(this.next, now - CATCH_UP_MS) + this.interval;
        this.queue.shift()!.resolve();
        now = performance.now();
      }
      this.schedule();
    }, wait);
  }

  private abortAll(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.queue.splice(0)) waiter.reject(new AbortedError());
  }
}

/** At most `limit` tasks at once; the others wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** One limiter per (region, operation) and one semaphore per region, created on first use. */
export class Scheduler {
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly semaphores = new Map<string, Semaphore>();

  constructor(
    private readonly rateOf: (operation: string) => number,
    private readonly concurrency: number,
    readonly signal: AbortSignal,
  ) {}

  /** Runs `call` when the rate of `operation` in `region` and the region's in-flight cap allow. */
  async schedule<T>(region: string, operation: string, call: () => Promise<T>): Promise<T> {
    const key = `${region}|${operation}`;
    let limiter = this.limiters.get(key);
    if (!limiter) this.limiters.set(key, (limiter = new RateLimiter(this.rateOf(operation))));
    let semaphore = this.semaphores.get(region);
    if (!semaphore) this.semaphores.set(region, (semaphore = new Semaphore(this.concurrency)));
    // The rate slot first: a call waiting for its operation's rate does not hold one of the region's slots.
    await limiter.take(this.signal);
    return semaphore.run(call);
  }
}
