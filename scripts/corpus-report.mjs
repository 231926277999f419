// npm run corpus: compares kmslint with the peers' verdicts on ../shared/corpus (key and bucket policies,
// CloudFormation templates; Terraform HCL is counted as input not read) and writes test/corpus/report.md. Exits 1 when a disagreement is unexplained, when one is a suspected kmslint
// bug (listed in test/corpus/explanations.json until kmslint is fixed), or when a data file is inconsistent.
//
// The linter is an esbuild bundle of kmslint's sources (the CLI bundle exports only main), built into a temp
// folder with the options of scripts/build.mjs, as scripts/bench.mjs does. The comparison itself is
// scripts/corpus-compare.mjs, shared with test/corpus-report.test.ts.
//
// Options: --check (do not write the report; exit 1 when it is out of date), --out FILE (write elsewhere).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleSource } from './bundle-source.mjs';
import { compareCorpus, failures, loadInputs, renderReport, summaryText } from './corpus-compare.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS = resolve(ROOT, '..', 'shared', 'corpus');
const REPORT = join(ROOT, 'test', 'corpus', 'report.md');

const args = process.argv.slice(2);
const check = args.includes('--check');
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : REPORT;

if (!existsSync(join(CORPUS, 'MANIFEST.json'))) {
  console.error(`corpus: ${CORPUS}/MANIFEST.json not found`);
  process.exit(2);
}

const tmp = mkdtempSync(join(os.tmpdir(), 'kmslint-corpus-'));
let code = 0;
try {
  // One entry re-exporting what the comparison needs from the sources.
  await bundleSource({
    root: ROOT,
    outfile: join(tmp, 'linter.mjs'),
    exports: [
      "export { lintText } from './src/engine/linter.ts';",
      "export { lintSource } from './src/cli/lint-task.ts';",
      "export { createDocument } from './src/model/document.ts';",
      "export { decodeSource } from './src/model/source.ts';",
      "export { loadCloudFormationYaml } from './src/sources/cfn-yaml.ts';",
      "export { loadCloudFormationJson } from './src/sources/cfn-json.ts';",
      "export { expandStatementActions, patternMatches } from './src/analysis/actions.ts';",
    ],
  });
  const api = await import(pathToFileURL(join(tmp, 'linter.mjs')).href);

  const inputs = loadInputs({
    corpusDir: CORPUS,
    peerChecksPath: join(ROOT, 'test', 'corpus', 'peer-checks.json'),
    explanationsPath: join(ROOT, 'test', 'corpus', 'explanations.json'),
  });
  const result = await compareCorpus({ api, corpusDir: CORPUS, ...inputs });
  const report = renderReport(result);
  console.log(summaryText(result));

  if (check) {
    const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
    if (current !== report) {
      console.error(`corpus: ${out} is out of date; run npm run corpus`);
      code = 1;
    }
  } else {
    writeFileSync(out, report);
    console.log(`corpus: wrote ${out}`);
  }
  if (failures(result).length > 0 || result.problems.length > 0) code = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
