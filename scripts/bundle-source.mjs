// Bundles modules of src/ into one ESM file with the options of scripts/build.mjs, for scripts that call the
// linter in process (the bench, the corpus comparison) without a build of their own entry point.
import { build } from 'esbuild';

export const BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: "import { createRequire as __kmslintCreateRequire } from 'node:module'; const require = __kmslintCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
};

/** Writes `outfile` re-exporting `exports` (lines such as "export { lintText } from './src/engine/linter.ts';"). */
export async function bundleSource({ root, outfile, exports }) {
  await build({
    ...BUNDLE_OPTIONS,
    stdin: { contents: exports.join('\n'), resolveDir: root, sourcefile: 'entry.ts', loader: 'ts' },
    absWorkingDir: root,
    outfile,
  });
}
