/** A lint worker: receives batches of tasks, answers with their outcomes in the same order. */
import { parentPort } from "node:worker_threads";
import { runTask, type LintTask } from "./lint-task.js";

parentPort?.on("message", (message: { id: number; tasks: LintTask[] }) => {
  parentPort!.postMessage({ id: message.id, outcomes: message.tasks.map(runTask) });
});
