// npm run bench, part 3: `kmslint usage` over generated CloudTrail trees (plain JSON, as jq reads them), whole
// process: MB/s and records/s with one thread and with every core, peak memory at two input sizes (it must stay
// flat: only grouped counts are kept), and jq computing the same group-by over the same files in the same run
// (jq from Debian's packages; skipped with a message when it is not installed). Prints figures, never pass/fail.
//
// KMSLINT_BENCH_USAGE_MB sets the large tree's size (default 1000 MB uncompressed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bundleSource } from './bundle-source.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'kmslint.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const LARGE_MB = Number(process.env.KMSLINT_BENCH_USAGE_MB ?? 1000);
const RUNS = 3;

/**
 * The group-by of the fact table in jq: KMS records, grouped by caller, key, event, via S3 and error code,
 * counted. Written for speed (contains, not a regular expression, for the key's ARN), so that the comparison
 * is with jq at its best.
 */
const JQ_PROGRAM = `reduce (inputs | .Records[] | select(.eventSource == "kms.amazonaws.com")
  | [.userIdentity.accountId, .userIdentity.principalId,
     (if .userIdentity.type == "AssumedRole" then .userIdentity.sessionContext.sessionIssuer.arn else .userIdentity.arn end // ""),
     ([(.resources // [])[] | select(.type == "AWS::KMS::Key" or ((.ARN // "") | contains(":key/")))][0].ARN // ""),
     .eventName, (.requestParameters.encryptionContext["aws:s3:arn"] != null), .errorCode] | tojson) as $k
  ({}; .[$k] += 1) | length`;

function run(command, args, env = process.env) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(TIME ?? command, TIME ? ['-f', 'maxrss=%M', command, ...args] : args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d.toString()));
    child.on('close', (code) => {
      const rss = /maxrss=(\d+)/.exec(err);
      resolvePromise({ code, ms: performance.now() - started, stdout: Buffer.concat(out).toString(), stderr: err, rssMb: rss ? Number(rss[1]) / 1024 : undefined });
    });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (bytes) => bytes / 1e6;
const rate = (n, ms) => Math.round((n * 1000) / ms).toLocaleString('en-US');

const tmp = mkdtempSync(join(os.tmpdir(), 'kmslint-bench-usage-'));
try {
  await bundleSource({ root: ROOT, outfile: join(tmp, 'generate.mjs'), exports: ["export { generateTrail } from './src/usage/generate.ts';"] });
  const { generateTrail } = await import(pathToFileURL(join(tmp, 'generate.mjs')).href);
  // About 0.7 MB of JSON per file with these settings.
  const tree = async (name, megabytes) => {
    const started = performance.now();
    const filesPerDay = Math.max(1, Math.round(megabytes / (0.7 * 4 * 2 * 6)));
    const generated = await generateTrail(join(tmp, name), {
      seed: 5, accounts: 4, days: 6, filesPerDay, recordsPerFile: 400, kmsShare: 0.5, errorShare: 0.1,
      gzip: false, organizationLayout: true, start: new Date('2026-10-01T00:00:00Z'), regions: ['us-east-1', 'eu-west-1'], digests: false,
    });
    return { ...generated, dir: join(tmp, name), generateMs: performance.now() - started };
  };

  console.log(`\n== Usage: kmslint usage over generated CloudTrail trees (plain JSON, organization layout), whole process, median of ${RUNS} ==`);
  const small = await tree('small', LARGE_MB / 4);
  const large = await tree('large', LARGE_MB);
  for (const t of [small, large]) {
    console.log(`  tree: ${mb(t.uncompressedBytes).toFixed(0)} MB in ${t.files.length} files, ${t.totalRecords.toLocaleString('en-US')} records (${t.kmsRecords.toLocaleString('en-US')} KMS); generated in ${(t.generateMs / 1000).toFixed(1)} s`);
  }

  const measure = async (t, workers) => {
    const env = { ...process.env, KMSLINT_WORKERS: String(workers) };
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(process.execPath, [BIN, 'usage', '--format', 'json', '--no-progress', t.dir], env));
    const facts = JSON.parse(runs[0].stdout);
    const exact = facts.records === t.facts.records && JSON.stringify(facts.rows) === JSON.stringify(t.facts.rows);
    const ms = median(runs.map((r) => r.ms));
    return { ms, rssMb: median(runs.map((r) => r.rssMb ?? NaN)), exact, rows: facts.rows.length };
  };
  const cores = os.availableParallelism();
  const results = {};
  for (const [label, t] of [['small', small], ['large', large]]) {
    for (const workers of [1, cores]) {
      const m = await measure(t, workers);
      results[`${label}-${workers}`] = m;
      console.log(
        `  kmslint usage, ${mb(t.uncompressedBytes).toFixed(0)} MB, ${workers === 1 ? '1 thread ' : `${workers} threads`}: ${(m.ms / 1000).toFixed(2)} s, ${(mb(t.uncompressedBytes) / (m.ms / 1000)).toFixed(0)} MB/s, ${rate(t.totalRecords, m.ms)} records/s (${rate(t.kmsRecords, m.ms)} KMS/s), peak ${m.rssMb?.toFixed(0) ?? '?'} MB; ${m.rows} rows, ${m.exact ? 'equal to the generated table' : 'NOT EQUAL to the generated table'}`,
      );
    }
  }
  const flat = results[`large-1`].rssMb / results[`small-1`].rssMb;
  console.log(`  memory, one thread: ${results['small-1'].rssMb?.toFixed(0)} MB at ${mb(small.uncompressedBytes).toFixed(0)} MB of input, ${results['large-1'].rssMb?.toFixed(0)} MB at ${mb(large.uncompressedBytes).toFixed(0)} MB (${flat.toFixed(2)}x for ${(large.uncompressedBytes / small.uncompressedBytes).toFixed(1)}x the input)`);

  const jq = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  if (jq.status !== 0) {
    console.log('  jq: not installed (apt-get install jq); the comparison is skipped');
  } else {
    const r = await run('jq', ['-n', JQ_PROGRAM, ...large.files]);
    if (r.code !== 0) {
      console.log(`  jq failed (exit ${r.code}): ${r.stderr.slice(0, 300)}`);
    } else {
      const best = Math.min(results[`large-1`].ms, results[`large-${cores}`].ms);
      console.log(`  jq ${jq.stdout.trim()} (one process, the same group-by without counting shared copies once): ${(r.ms / 1000).toFixed(2)} s, ${(mb(large.uncompressedBytes) / (r.ms / 1000)).toFixed(0)} MB/s, peak ${r.rssMb?.toFixed(0) ?? '?'} MB, ${r.stdout.trim()} groups`);
      console.log(`  kmslint against jq: ${(r.ms / results['large-1'].ms).toFixed(1)}x faster on one thread, ${(r.ms / best).toFixed(1)}x with every core (goal: >= 3x)`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
