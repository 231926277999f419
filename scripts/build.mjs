// npm run build (also run by `npm ci` through "prepare"): the catalogue snapshot, the precompiled schema
// validators, then one ESM bundle (dist/kmslint.js) so that a lint run loads one file instead of hundreds.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const run = (script) => execFileSync(process.execPath, [script], { stdio: 'inherit' });
run('scripts/build-catalogue.mjs');
run('scripts/build-validators.mjs');

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'kmslint',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded on demand, from node_modules: the pretty formatter (only for --format pretty).
  external: ['eslint-formatter-pretty'],
  banner: { js: "import { createRequire as __kmslintCreateRequire } from 'node:module'; const require = __kmslintCreateRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.entries(result.metafile.outputs).map(([f, o]) => `${f} ${(o.bytes / 1024).toFixed(0)} KB`);
console.log(`bundle: ${bytes.join(', ')}`);
