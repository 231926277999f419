/** A lint worker: receives batches of tasks, answers with their outcomes in the same order. */
import { parentPort } from "node:worker_threads";
import { runTask, type LintTask } from "./lint-task.js";

parentPort?.on("message", async (message: { id: number; tasks: LintTask[] }) => {
  const outcomes = [];
  for (const task of message.tasks) outcomes.push(await runTask(task));
  parentPort!.postMessage({ id: message.id, outcomes });
});
