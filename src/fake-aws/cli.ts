/**
 * Runs the fake AWS endpoint in its own process (the benchmark's server side):
 *
 *   node <bundle> snapshot.json [--latency ms] [--throttle-rate r] [--page-size n] [--seed n] [--timeout ms]
 *
 * The first line on stdout is the URL to use as the SDK's endpoint (AWS_ENDPOINT_URL); it serves until
 * SIGTERM or SIGINT.
 */
import { parseArgs } from "node:util";
import { loadSnapshot } from "./load.js";
import { startFakeAws, type FakeAwsOptions } from "./server.js";

function numberOption(values: Record<string, string | boolean | undefined>, name: string, check: (n: number) => boolean): number | undefined {
  const text = values[name];
  if (typeof text !== "string") return undefined;
  const value = Number(text);
  if (text.trim() === "" || !check(value)) throw new Error(`--${name}: invalid value ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      latency: { type: "string" },
      "throttle-rate": { type: "string" },
      "page-size": { type: "string" },
      seed: { type: "string" },
      timeout: { type: "string" },
    },
  });
  if (positionals.length !== 1) throw new Error("usage: fake-aws <snapshot.json> [--latency ms] [--throttle-rate r] [--page-size n] [--seed n] [--timeout ms]");
  const options: FakeAwsOptions = { snapshot: loadSnapshot(positionals[0] as string) };
  const latency = numberOption(values, "latency", (n) => n >= 0);
  const throttleRate = numberOption(values, "throttle-rate", (n) => n >= 0 && n <= 1);
  const pageSize = numberOption(values, "page-size", (n) => Number.isInteger(n) && n >= 1);
  const seed = numberOption(values, "seed", Number.isInteger);
  const timeout = numberOption(values, "timeout", (n) => n >= 0);
  if (latency !== undefined) options.latencyMs = latency;
  if (throttleRate !== undefined) options.throttleRate = throttleRate;
  if (pageSize !== undefined) options.pageSize = pageSize;
  if (seed !== undefined) options.seed = seed;
  if (timeout !== undefined) options.timeoutMs = timeout;

  const fake = await startFakeAws(options);
  process.stdout.write(`${fake.url}\n`);
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-aws: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
