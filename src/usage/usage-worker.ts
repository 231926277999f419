/**
 * A usage worker (dist/kmslint-usage-worker.js): reads the batches of log files it is sent into its own
 * aggregate, answers each batch with progress, and on "finish" hands back its groups as arrays to be merged by
 * src/usage/aggregate.ts.
 */
import { parentPort } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./aggregate.js";
import { readLogFile, UsageAggregator } from "./read.js";

const aggregate = new UsageAggregator();

parentPort?.on("message", (message: ToWorker) => {
  if (message.type === "finish") {
    const result: FromWorker = { type: "result", tuples: aggregate.toTuples(), records: aggregate.records, files: aggregate.files, problems: aggregate.problems };
    parentPort!.postMessage(result);
    return;
  }
  let records = 0;
  let bytes = 0;
  for (const path of message.files) {
    const outcome = readLogFile(path, aggregate, message.window);
    bytes += outcome.bytes;
    if (outcome.ok) records += outcome.records;
  }
  parentPort!.postMessage({ type: "done", files: message.files.length, bytes, records } satisfies FromWorker);
});
