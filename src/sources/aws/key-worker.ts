/**
 * An audit worker thread (dist/kmslint-audit-worker.js): makes the per-key calls (DescribeKey, GetKeyPolicy,
 * GetKeyRotationStatus, ListKeyRotations) for the keys the main thread sends, with its share of each rate
 * (the configured rate divided by the number of workers), and sends each key back when it is done.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Collector, type CallStatistics, type LiveKey, type WorkerSettings } from "./collect.js";
import type { KeyResult } from "./key-pool.js";
import type { OperationName } from "./operations.js";
import { AbortedError } from "./scheduler.js";

const { settings, workers } = workerData as { settings: WorkerSettings; workers: number };
const controller = new AbortController();
const rates = Object.fromEntries(Object.entries(settings.rates).map(([operation, rate]) => [operation, rate / workers])) as Record<OperationName, number>;
const collector = new Collector({
  regions: [],
  allRegions: false,
  rates,
  concurrency: Math.max(1, Math.ceil(settings.concurrency / workers)),
  maxAttempts: settings.maxAttempts,
  retryMode: settings.retryMode,
  callTimeoutMs: settings.callTimeoutMs,
  signal: controller.signal,
  ...(settings.profile ? { profile: settings.profile } : {}),
  ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
  ...(settings.credentials ? { credentials: settings.credentials } : {}),
});

/** What was last reported, so that each message carries only what is new. */
let reported: CallStatistics = { calls: 0, retries: 0 };
let reportedErrors = 0;

function delta(): CallStatistics {
  const now = collector.statistics;
  const change = { calls: now.calls - reported.calls, retries: now.retries - reported.retries };
  reported = { ...now };
  return change;
}

async function read(id: number, key: LiveKey): Promise<void> {
  let aborted = false;
  try {
    await collector.readKey(collector.kmsClient(key.region), key);
  } catch (error) {
    if (!(error instanceof AbortedError) && !controller.signal.aborted) throw error;
    aborted = true;
  }
  const errors = collector.errors.slice(reportedErrors);
  reportedErrors = collector.errors.length;
  const message: KeyResult = { type: "key", id, key, statistics: delta(), errors, aborted };
  parentPort!.postMessage(message);
}

parentPort!.on("message", (message: { type: "keys"; keys: { id: number; key: LiveKey }[] } | { type: "abort" }) => {
  if (message.type === "abort") controller.abort();
  else for (const { id, key } of message.keys) void read(id, key);
});
