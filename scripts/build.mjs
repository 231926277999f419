// npm run build (also run by `npm ci` through "prepare"): the catalogue snapshot, the precompiled schema
// validators, then one ESM bundle (dist/kmslint.js) so that a lint run loads one file instead of hundreds.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from './bundle-source.mjs';

const run = (script) => execFileSync(process.execPath, [script], { stdio: 'inherit' });
run('scripts/build-catalogue.mjs');
run('scripts/build-validators.mjs');

rmSync('dist', { recursive: true, force: true });
const common = {
  ...BUNDLE_OPTIONS,
  external: [],
  // The pretty formatter is bundled into its own lazy chunk; kmslint passes every rule's URL, so its lookup
  // table of ESLint plugin rule URLs is replaced by a stub (see scripts/stubs/).
  alias: { 'eslint-rule-docs': './scripts/stubs/eslint-rule-docs.js' },
  metafile: true,
};
// The command: one file, plus small chunks loaded on demand.
const main = await build({ ...common, entryPoints: { kmslint: 'src/cli/main.ts' }, outdir: 'dist', entryNames: '[name]', chunkNames: 'chunks/[name]-[hash]', splitting: true });
// The lint worker for large runs: its own single file, so that the command's start-up loads nothing extra.
const worker = await build({ ...common, entryPoints: { 'kmslint-worker': 'src/cli/worker.ts' }, outdir: 'dist', entryNames: '[name]' });
// The live audit's worker for the per-key calls of large regions (it carries the KMS client).
const auditWorker = await build({ ...common, entryPoints: { 'kmslint-audit-worker': 'src/sources/aws/key-worker.ts' }, outdir: 'dist', entryNames: '[name]' });
// The usage worker (`kmslint usage` on large log trees): reads CloudTrail files on every core.
const usageWorker = await build({ ...common, entryPoints: { 'kmslint-usage-worker': 'src/usage/usage-worker.ts' }, outdir: 'dist', entryNames: '[name]' });
const outputs = { ...main.metafile.outputs, ...worker.metafile.outputs, ...auditWorker.metafile.outputs, ...usageWorker.metafile.outputs };
const bytes = Object.entries(outputs).map(([f, o]) => `${f} ${(o.bytes / 1024).toFixed(0)} KB`);
console.log(`bundle: ${bytes.join(', ')}`);
