// npm run bench, part 2: the live audit. Prints figures, never pass/fail.
//
// A generated account (2,000 keys and 500 buckets in 2 regions) is served by the fake AWS endpoint in this
// process, with 20 ms latency on every call; `kmslint audit --all-regions --format json` runs as a child
// process pointed at it through the environment, as a user would run it. Per scenario (median of runs):
//   - wall time of the whole audit process;
//   - the sequential sum: the durations of all its calls added up (what one call at a time would take);
//   - the quota-bound minimum: for each region and operation, its calls divided by the configured rate
//     (requests per second); the audit cannot be faster than the largest of these;
//   - CPU time and peak memory of the audit process (from /usr/bin/time when present);
//   - with 10% of calls throttled: keys and buckets in the report, audit-error findings, retries.
//
// Knobs: KMSLINT_BENCH_AUDIT_RUNS (default 3), KMSLINT_BENCH_AUDIT_KEYS (per region, default 1000),
// KMSLINT_BENCH_AUDIT_BUCKETS (default 500).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bundleSource } from './bundle-source.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'kmslint.js');
const RUNS = Number(process.env.KMSLINT_BENCH_AUDIT_RUNS ?? 3);
const KEYS_PER_REGION = Number(process.env.KMSLINT_BENCH_AUDIT_KEYS ?? 1000);
const BUCKETS = Number(process.env.KMSLINT_BENCH_AUDIT_BUCKETS ?? 500);
const REGIONS = ['us-east-1', 'eu-west-1'];
const LATENCY_MS = 20;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const tmp = mkdtempSync(join(os.tmpdir(), 'kmslint-bench-audit-'));
try {
  await bundleSource({
    root: ROOT,
    outfile: join(tmp, 'fake.mjs'),
    exports: ["export { startFakeAws, generateSnapshot } from './src/fake-aws/index.ts';", "export { OPERATIONS } from './src/sources/aws/operations.ts';"],
  });
  const { startFakeAws, generateSnapshot, OPERATIONS } = await import(pathToFileURL(join(tmp, 'fake.mjs')).href);
  const snapshot = generateSnapshot({ regions: REGIONS, keysPerRegion: KEYS_PER_REGION, buckets: BUCKETS, seed: 11 });
  const keyCount = Object.values(snapshot.Kms).reduce((n, r) => n + r.Keys.length, 0);
  console.log(`\n== Live audit: ${keyCount.toLocaleString('en-US')} keys and ${snapshot.Buckets.length} buckets in ${REGIONS.length} regions, ${LATENCY_MS} ms per call, median of ${RUNS} runs ==`);
  console.log('   (the fake AWS endpoint runs in the bench process; kmslint audit is a child process configured through AWS_ENDPOINT_URL)');

  for (const scenario of [
    { name: 'no throttling', throttleRate: 0 },
    { name: '10% of calls throttled', throttleRate: 0.1 },
  ]) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await auditOnce(startFakeAws, OPERATIONS, snapshot, scenario.throttleRate, i + 1));
    const pick = (f) => median(runs.map(f));
    const wall = pick((r) => r.wallMs);
    const sequential = pick((r) => r.sequentialMs);
    const floor = pick((r) => r.floorMs);
    const last = runs[runs.length - 1];
    console.log(`\n-- ${scenario.name} --`);
    console.log(`  wall time                ${(wall / 1000).toFixed(2)} s   (runs: ${runs.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')} s)`);
    console.log(`  calls                    ${last.calls.toLocaleString('en-US')} answered by the endpoint, ${last.throttled.toLocaleString('en-US')} of them throttled; kmslint counted ${last.retries.toLocaleString('en-US')} retries`);
    console.log(`  sequential sum of calls  ${(sequential / 1000).toFixed(1)} s   -> the audit is ${(sequential / wall).toFixed(1)}x faster (goal >= 20x)`);
    console.log(`  quota-bound minimum      ${(floor / 1000).toFixed(2)} s   (${last.floorWhat}) -> wall / minimum = ${(wall / floor).toFixed(2)}x (goal <= 1.5x)`);
    const cpu = pick((r) => r.cpuMs ?? NaN);
    if (!Number.isNaN(cpu)) console.log(`  CPU of the audit process ${(cpu / 1000).toFixed(2)} s   (${((cpu * 1000) / last.calls).toFixed(0)} µs per call, start-up, linting and output included; ${os.availableParallelism()} cores)`);
    console.log(`  peak memory              ${last.maxRssMb === undefined ? 'not measured (/usr/bin/time missing)' : `${last.maxRssMb.toFixed(0)} MB (maximum resident set of the audit process)`}`);
    console.log(`  report                   ${last.keys.toLocaleString('en-US')} keys and ${last.buckets} buckets listed, ${last.auditErrors} audit-error findings (${last.auditNotes} info notes: no Access Analyzer in the generated account), exit code ${last.code}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

async function auditOnce(startFakeAws, OPERATIONS, snapshot, throttleRate, seed) {
  const fake = await startFakeAws({ snapshot, latencyMs: LATENCY_MS, throttleRate, seed });
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: tmp,
      AWS_REGION: REGIONS[0],
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL: fake.url,
    };
    const args = [BIN, 'audit', '--all-regions', '--format', 'json', '--exit-zero'];
    const started = performance.now();
    const { code, stdout, stderr } = await runChild(TIME ? TIME : process.execPath, TIME ? ['-f', 'maxrss=%M cpu=%U+%S', process.execPath, ...args] : args, env);
    const wallMs = performance.now() - started;
    if (code !== 0) throw new Error(`kmslint audit exited ${code}: ${stderr.slice(-2000)}`);
    const results = JSON.parse(stdout);
    const rss = /maxrss=(\d+)/.exec(stderr);
    const cpu = /cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
    // The last stderr line of the audit: "kmslint audit: 6,617 calls (780/s), 765 retries, 0 failed calls in …".
    const summary = stderr.split('\n').findLast((line) => /^kmslint audit: [\d,]+ calls \(/.test(line)) ?? '';
    const retries = Number(/([\d,]+) retries/.exec(summary)?.[1]?.replaceAll(',', '') ?? NaN);
    // The quota-bound minimum: calls per region and operation over the rate the audit was configured with.
    const perGroup = new Map();
    for (const call of fake.calls) {
      const key = `${call.region}|${call.operation}`;
      perGroup.set(key, (perGroup.get(key) ?? 0) + 1);
    }
    let floorMs = 0;
    let floorWhat = '';
    for (const [key, count] of perGroup) {
      const [region, operation] = key.split('|');
      const rate = OPERATIONS[operation]?.rate;
      if (!rate) continue;
      const ms = (count / rate) * 1000;
      if (ms > floorMs) {
        floorMs = ms;
        floorWhat = `${count.toLocaleString('en-US')} ${operation} calls in ${region} at ${rate}/s`;
      }
    }
    return {
      code,
      wallMs,
      calls: fake.calls.length,
      throttled: fake.calls.filter((c) => /Throttl|SlowDown|TooManyRequests/.test(c.errorCode ?? '')).length,
      retries,
      sequentialMs: fake.calls.reduce((sum, c) => sum + c.durationMs, 0),
      floorMs,
      floorWhat,
      maxRssMb: rss ? Number(rss[1]) / 1024 : undefined,
      cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined,
      keys: results.filter((r) => r.filePath.includes(':key/')).length,
      buckets: results.filter((r) => r.filePath.startsWith('arn:aws:s3:::') && !r.filePath.endsWith('*')).length,
      auditErrors: results.flatMap((r) => r.messages).filter((m) => m.ruleId === 'audit-error' && m.level !== 'info').length,
      auditNotes: results.flatMap((r) => r.messages).filter((m) => m.ruleId === 'audit-error' && m.level === 'info').length,
    };
  } finally {
    await fake.close();
  }
}

function runChild(command, args, env) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { env });
    const out = [];
    let stderr = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }));
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
