// The corpus comparison shared by `npm run corpus` (scripts/corpus-report.mjs) and test/corpus-report.test.ts:
// kmslint's verdict on every key-policy, bucket-policy and CloudFormation case of ../shared/corpus/MANIFEST.json,
// next to the verdict the peer's own test expects, per peer check. Terraform cases are HCL files, which kmslint
// does not read (it reads plans): they are counted apart as "input not read", never as agreement.
//
// Plain ESM with no imports of kmslint itself: the caller passes the linter API (`api`), either from an
// esbuild bundle of the sources (the script) or from the TypeScript sources directly (the test), so both run
// exactly the same comparison.
//
//   test/corpus/peer-checks.json   which kmslint rules correspond to each peer check, and the trust context
//   test/corpus/explanations.json  why kmslint and the peer disagree, per case (shared reasons by id)
//   test/corpus/report.md          written by the script; the test fails when it is out of date
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const POLICY_KINDS = ['key-policy', 'bucket-policy'];
/** IaC kinds kmslint reads: the file is linted whole (lintSource) and findings are scoped to the case's resource. */
export const TEMPLATE_KINDS = ['cloudformation'];
/** Kinds whose input kmslint does not read: counted apart, with the reason and how to get them checked. */
export const NOT_READ = {
  terraform: {
    label: 'input not read (HCL)',
    reason: 'the terraform cases are Terraform HCL files (.tf); kmslint reads Terraform plans in JSON (`terraform show -json`), not HCL, by design for now',
    howTo: 'run `terraform init`, `terraform plan -out plan.out` and `terraform show -json plan.out > plan.json` in the fixture\'s folder, then `kmslint lint plan.json`',
  },
};
/** Kinds left out of the comparison: kmslint lints resource policies (key and bucket policies), not identity policies. */
export const OUT_OF_SCOPE_KINDS = ['identity-policy'];
const COUNTED_SEVERITIES = new Set(['error', 'warning']);
const ACCOUNT_ID = /\b\d{12}\b/;

// ------------------------------------------------------------------------------------------------ inputs

/** Reads the manifest and the two data files. Paths are absolute. */
export function loadInputs({ corpusDir, peerChecksPath, explanationsPath }) {
  const manifest = JSON.parse(readFileSync(join(corpusDir, 'MANIFEST.json'), 'utf8'));
  const peerChecks = JSON.parse(readFileSync(peerChecksPath, 'utf8'));
  const explanations = JSON.parse(readFileSync(explanationsPath, 'utf8'));
  return { manifest, peerChecks, explanations };
}

/** `a.b.c` in an object; undefined when any step is missing. */
function at(object, path) {
  let value = object;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
    value = value[step];
  }
  return value;
}

function asList(value) {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [value];
  return []; // absent, or `{}` (custodian writes an empty dict for "no allow-list")
}

// ------------------------------------------------------------------------------------------------ mapping

/** The mapping entry for a case: matched by peerCheck (and kind when the entry names one). */
export function mappingFor(peerChecks, entry) {
  return peerChecks.checks.find((m) => m.peerChecks.includes(entry.peerCheck) && (!m.kind || m.kind === entry.kind));
}

/** The trust context kmslint gets for a case, and how it was obtained (for the report). */
export function trustFor(mapping, entry) {
  const spec = mapping.trust ?? { source: 'none' };
  const trust = { trustedAccounts: [] };
  if (spec.source === 'assumed') {
    if (spec.account) trust.account = spec.account;
    if (spec.org) trust.org = spec.org;
    if (spec.trustedAccounts) trust.trustedAccounts = [...spec.trustedAccounts];
    return trust;
  }
  if (spec.source !== 'peerContext') return trust;
  const context = entry.peerContext ?? {};
  if (spec.account) {
    const account = asList(at(context, spec.account)).map((v) => ACCOUNT_ID.exec(String(v))?.[0]).find(Boolean);
    if (account) trust.account = account;
  }
  if (spec.org) {
    const org = asList(at(context, spec.org)).find((v) => typeof v === 'string' && v !== '');
    if (org) trust.org = org;
  }
  if (spec.trustedAccounts) {
    trust.trustedAccounts = asList(at(context, spec.trustedAccounts)).map((v) => ACCOUNT_ID.exec(String(v))?.[0]).filter(Boolean);
  }
  return trust;
}

function contextMatches(context, when) {
  return Object.entries(when).every(([path, expected]) => at(context ?? {}, path) === expected);
}

/** The rules whose error/warning findings make kmslint's verdict "fail" for this case. */
export function rulesFor(peerChecks, mapping, entry) {
  let rules = [...mapping.rules];
  for (const variant of mapping.rulesWhen ?? []) {
    if (!contextMatches(entry.peerContext, variant.context)) continue;
    rules = variant.replace ? [...variant.rules] : [...rules, ...variant.rules];
  }
  for (const rule of peerChecks.everyCheck?.rules ?? []) if (!rules.some((r) => ruleName(r) === ruleName(rule))) rules.push(rule);
  return rules;
}

const ruleName = (rule) => (typeof rule === 'string' ? rule : rule.rule);

function ruleMatches(rules, finding) {
  return rules.some((rule) => {
    if (typeof rule === 'string') return rule === finding.ruleId;
    return rule.rule === finding.ruleId && (!rule.messageIds || rule.messageIds.includes(finding.messageId));
  });
}

/** Whether a statement's actions (kmslint's own expansion) fall under the peer check's action scope. */
function statementInScope(api, scope, entry, statement, kind) {
  if (!statement) return true;
  const set = api.expandStatementActions(statement, kind);
  if (scope.all) return set.all;
  if (scope.classes) return scope.classes.some((c) => (set.byClass.get(c) ?? []).length > 0);
  // fromContext: the peer's argument (prowler's not_allowed_actions); when the peer did not pass it, every statement counts.
  if (scope.fromContext && at(entry.peerContext ?? {}, scope.fromContext) === undefined) return true;
  const patterns = scope.fromContext ? asList(at(entry.peerContext ?? {}, scope.fromContext)) : scope.patterns;
  return set.actions.some((name) => patterns.some((p) => api.patternMatches(p, set.service, name)));
}

// ------------------------------------------------------------------------------------------------ explanations

/** The reasons an explanation entry refers to (a reason id, a list of them, or an inline {text, rules}). */
function reasonsOf(explanations, value, problems, caseId) {
  const list = Array.isArray(value) ? value : [value];
  const reasons = [];
  for (const item of list) {
    if (typeof item === 'string') {
      const reason = explanations.reasons?.[item];
      if (!reason) problems.push(`explanations.json: ${caseId} refers to unknown reason "${item}"`);
      else reasons.push({ id: item, ...reason });
    } else if (item && typeof item === 'object' && typeof item.text === 'string') {
      reasons.push({ id: undefined, ...item });
    } else {
      problems.push(`explanations.json: ${caseId} has an entry that is neither a reason id nor {"text": …}`);
    }
  }
  return reasons;
}

/** Whether a finding is one a reason accounts for: its `rules` are rule ids or `rule/messageId`. */
function accounts(reason, finding) {
  return reason.rules.includes(finding.ruleId) || reason.rules.includes(`${finding.ruleId}/${finding.messageId}`);
}

/**
 * Whether the reasons explain this disagreement. A reason may say which kmslint verdict it is about
 * (`kmslint`) and which findings it accounts for (`rules`); for a kmslint "fail", reasons that all name
 * rules must together account for every counted finding. A suspected-bug reason keeps the case failing while
 * a counted finding is one it names (or, for a kmslint "pass", always); once kmslint no longer reports such a
 * finding, the case is judged by its other reasons and the bug reason is reported as stale.
 */
function judge(reasons, outcome) {
  if (reasons.length === 0) return { status: 'unexplained' };
  const bugs = reasons.filter((r) => r.suspectedBug);
  const active = bugs.filter((b) => outcome.kmslintVerdict === 'pass' || !b.rules || outcome.counted.some((f) => accounts(b, f)));
  if (active.length > 0) return { status: 'suspected-bug', reasons };
  const others = reasons.filter((r) => !r.suspectedBug);
  const stale = bugs.length > 0 ? `suspected-bug reason ${bugs.map((b) => b.id ?? '(inline)').join(', ')} no longer matches kmslint's findings` : undefined;
  if (others.length === 0) return { status: 'unexplained', reasons, note: stale };
  const wrongDirection = others.filter((r) => r.kmslint && r.kmslint !== outcome.kmslintVerdict);
  if (wrongDirection.length > 0) {
    return { status: 'unexplained', reasons: others, note: `reason ${wrongDirection.map((r) => r.id ?? '(inline)').join(', ')} is about kmslint verdict "${wrongDirection[0].kmslint}", not "${outcome.kmslintVerdict}"` };
  }
  if (outcome.kmslintVerdict === 'fail' && others.every((r) => r.rules)) {
    const unaccounted = [...new Set(outcome.counted.filter((f) => !others.some((r) => accounts(r, f))).map((f) => `${f.ruleId}/${f.messageId}`))];
    if (unaccounted.length > 0) {
      return { status: 'unexplained', reasons: others, note: `the explanation accounts for ${[...new Set(others.flatMap((r) => r.rules))].join(', ')}, but kmslint also failed it with ${unaccounted.join(', ')}` };
    }
  }
  return { status: 'explained', reasons: others, ...(stale ? { staleBug: stale } : {}) };
}

// ------------------------------------------------------------------------------------------------ comparison

/** A policy case: the file is one policy, linted with the kind forced to the manifest's. */
function lintPolicyCase(api, corpusDir, entry, trust) {
  const bytes = readFileSync(join(corpusDir, entry.file));
  const result = api.lintText(bytes, entry.file, { kind: entry.kind, trust });
  let statements;
  return {
    findings: result.findings,
    statementOf(finding) {
      statements ??= api.createDocument(bytes, entry.file).policy?.statements ?? [];
      return { statement: statements.find((s) => s.index === finding.statement.index), kind: entry.kind };
    },
  };
}

/**
 * The inventory lintSource linted (same loader, same context), for the bucket ↔ bucket-policy links and the
 * statements of each policy. YAML as lintSource decides it for the corpus's files: .yaml/.yml, or text that does
 * not start like JSON.
 */
function inventoryOf(api, bytes, file, trust) {
  const decoded = api.decodeSource(bytes);
  if (!decoded.ok) return undefined;
  const yaml = /\.ya?ml$/i.test(file) || !/^\s*[[{]/.test(decoded.text);
  const context = { trust };
  return yaml ? api.loadCloudFormationYaml(decoded.text, file, context) : api.loadCloudFormationJson(decoded.text, file, context);
}

/**
 * What part of a template a case is about. A case with `resource` ("AWS::KMS::Key.AwsWildcard") counts the
 * findings of that logical id; when the resource is a bucket, also those of the bucket policies attached to it
 * (the peer judges the bucket by its policy); findings that name no resource (the template itself cannot be
 * read) count for every case of the file. A case without `resource` (kics) is file-level: every finding counts.
 */
function templateScope(entry, inventory, problems) {
  if (!entry.resource) return { file: true };
  const dot = entry.resource.indexOf('.');
  const type = dot > 0 ? entry.resource.slice(0, dot) : undefined;
  const id = dot > 0 ? entry.resource.slice(dot + 1) : entry.resource;
  const resources = inventory ? [...inventory.keys, ...inventory.buckets, ...inventory.aliases, ...inventory.policies] : [];
  if (!resources.some((r) => r.resource.address === id)) {
    problems.push(`${entry.id}: resource ${entry.resource} is not a key, bucket, alias or policy of ${entry.file} as kmslint reads it`);
  }
  const attached = type === 'AWS::S3::Bucket' ? (inventory?.buckets ?? []).filter((b) => b.resource.address === id).flatMap((b) => b.policies.map((p) => p.resource.address)) : [];
  return { file: false, type, id, attached: [...new Set(attached)].filter((a) => a !== id) };
}

function inScope(scope, finding) {
  if (scope.file || finding.resource === undefined) return true;
  return finding.resource === scope.id || scope.attached.includes(finding.resource);
}

/** A CloudFormation case: the whole template linted by lintSource (as the CLI does), then scoped. */
async function lintTemplateCase(api, corpusDir, entry, trust, cache, problems) {
  const key = `${entry.file}\u0000${JSON.stringify(trust)}`;
  let linted = cache.get(key);
  if (!linted) {
    const bytes = readFileSync(join(corpusDir, entry.file));
    const result = await api.lintSource(bytes, entry.file, { trust }, true);
    if (!result) problems.push(`${entry.id}: kmslint skipped ${entry.file} (lintSource returned nothing)`);
    else if (result.kind !== 'cloudformation') problems.push(`${entry.id}: kmslint did not read ${entry.file} as a CloudFormation template (kind ${result.kind}: ${result.kindReason})`);
    const inventory = result?.kind === 'cloudformation' ? inventoryOf(api, bytes, entry.file, trust) : undefined;
    linted = { findings: result?.findings ?? [], inventory };
    cache.set(key, linted);
  }
  const { inventory } = linted;
  const scope = templateScope(entry, inventory, problems);
  return {
    scope,
    findings: linted.findings.filter((f) => inScope(scope, f)),
    statementOf(finding) {
      const policy = inventory?.policies.find((p) => p.resource.address === finding.resource);
      return { statement: policy?.document?.policy?.statements.find((s) => s.index === finding.statement.index), kind: policy?.kind };
    },
  };
}

/**
 * Runs kmslint over every key-policy, bucket-policy and CloudFormation case and compares; Terraform (HCL) cases
 * are listed as input not read.
 * api: { lintText, lintSource, createDocument, decodeSource, loadCloudFormationYaml, loadCloudFormationJson,
 * expandStatementActions, patternMatches } from kmslint's sources.
 */
export async function compareCorpus({ api, corpusDir, manifest, peerChecks, explanations }) {
  const problems = [];
  for (const id of Object.keys(explanations.cases ?? {})) if (!manifest.some((e) => e.id === id)) problems.push(`explanations.json: ${id} is not a case of the manifest`);
  const cases = [];
  const templates = new Map();
  for (const entry of manifest) {
    if (Object.hasOwn(NOT_READ, entry.kind)) {
      if (explanations.cases?.[entry.id]) problems.push(`explanations.json: ${entry.id} is a ${entry.kind} case, whose input kmslint does not read`);
      cases.push({ entry, status: 'input-not-read', notRead: NOT_READ[entry.kind] });
      continue;
    }
    if (!POLICY_KINDS.includes(entry.kind) && !TEMPLATE_KINDS.includes(entry.kind)) continue;
    const mapping = mappingFor(peerChecks, entry);
    const base = { entry, mapping };
    if (!mapping) {
      problems.push(`peer-checks.json: no mapping for ${entry.id} (peerCheck ${JSON.stringify(entry.peerCheck)}, ${entry.kind})`);
      cases.push({ ...base, status: 'unmapped' });
      continue;
    }
    if (mapping.notCovered) {
      const stale = explanations.cases?.[entry.id];
      cases.push({ ...base, status: 'not-covered', ...(stale ? { staleExplanation: true } : {}) });
      continue;
    }
    const trust = trustFor(mapping, entry);
    const rules = rulesFor(peerChecks, mapping, entry);
    const linted = TEMPLATE_KINDS.includes(entry.kind) ? await lintTemplateCase(api, corpusDir, entry, trust, templates, problems) : lintPolicyCase(api, corpusDir, entry, trust);
    const counted = linted.findings.filter((f) => {
      if (!COUNTED_SEVERITIES.has(f.severity) || !ruleMatches(rules, f)) return false;
      if (!mapping.statementActions || !f.statement) return true;
      const { statement, kind } = linted.statementOf(f);
      return statementInScope(api, mapping.statementActions, entry, statement, kind);
    });
    const outcome = { ...base, trust, rules, findings: linted.findings, counted, kmslintVerdict: counted.length > 0 ? 'fail' : 'pass', ...(linted.scope ? { scope: linted.scope } : {}) };
    const explanation = explanations.cases?.[entry.id];
    if (outcome.kmslintVerdict === entry.peerVerdict) {
      cases.push({ ...outcome, status: 'agree', ...(explanation ? { staleExplanation: true } : {}) });
      continue;
    }
    const reasons = explanation === undefined ? [] : reasonsOf(explanations, explanation, problems, entry.id);
    cases.push({ ...outcome, ...judge(reasons, outcome) });
  }
  const compared = cases.filter((c) => c.status !== 'input-not-read');
  return {
    cases,
    problems,
    rows: summarize(compared),
    kinds: summarizeKinds(cases),
    notRead: summarize(cases.filter((c) => c.status === 'input-not-read')),
    outOfScope: OUT_OF_SCOPE_KINDS.map((kind) => ({ kind, cases: manifest.filter((e) => e.kind === kind).length })),
    peerChecks,
    explanations,
  };
}

function tally(row, c) {
  row.cases++;
  if (c.status === 'agree') row.agree++;
  else if (c.status === 'explained') row.explained++;
  else if (c.status === 'suspected-bug') row.suspected++;
  else if (c.status === 'not-covered') row.notCovered++;
  else if (c.status === 'input-not-read') row.notRead++;
  else row.unexplained++;
}

const emptyRow = () => ({ cases: 0, agree: 0, explained: 0, suspected: 0, unexplained: 0, notCovered: 0, notRead: 0 });

/** One row per (peerCheck, kind), in manifest order. */
function summarize(cases) {
  const rows = new Map();
  for (const c of cases) {
    const key = `${c.entry.peerCheck}\u0000${c.entry.kind}`;
    let row = rows.get(key);
    if (!row) {
      row = { peerCheck: c.entry.peerCheck, peerCheckName: c.entry.peerCheckName, kind: c.entry.kind, mapping: c.mapping, ...emptyRow(), names: new Set(), files: new Set() };
      rows.set(key, row);
    }
    if (c.entry.peerCheckName) row.names.add(c.entry.peerCheckName);
    row.files.add(c.entry.file);
    tally(row, c);
  }
  return [...rows.values()];
}

/** One row per manifest kind that is compared or counted, in the order of POLICY_KINDS, TEMPLATE_KINDS, NOT_READ. */
function summarizeKinds(cases) {
  const order = [...POLICY_KINDS, ...TEMPLATE_KINDS, ...Object.keys(NOT_READ)];
  const rows = new Map(order.map((kind) => [kind, { kind, ...emptyRow() }]));
  for (const c of cases) tally(rows.get(c.entry.kind), c);
  return [...rows.values()].filter((r) => r.cases > 0);
}

/** Cases that keep `npm run corpus` from passing: unexplained, suspected kmslint bugs, unmapped. */
export function failures(result) {
  return result.cases.filter((c) => c.status === 'unexplained' || c.status === 'suspected-bug' || c.status === 'unmapped');
}

// ------------------------------------------------------------------------------------------------ report

const esc = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const findingId = (f) => `${f.ruleId}@${f.range.start.line}:${f.range.start.column}${f.resource !== undefined ? ` (${f.resource})` : ''}`;

/** For a CloudFormation case: which findings count, and where the peer expects its own. */
function scopeWords(c) {
  const { entry, scope } = c;
  const expected = Array.isArray(entry.peerFindings) ? entry.peerFindings.map((f) => f?.line).filter((n) => Number.isInteger(n)) : [];
  if (scope.file) {
    const peer = entry.peerVerdict === 'fail' ? (expected.length > 0 ? `the peer expects findings at line${expected.length > 1 ? 's' : ''} ${expected.join(', ')}` : 'the peer expects findings') : 'the peer expects none';
    return `the whole file (the peer's verdict is per file; ${peer})`;
  }
  const span = Array.isArray(entry.lines) && entry.lines.length === 2 ? `, lines ${entry.lines[0]}–${entry.lines[1]}` : '';
  const attached = scope.attached.length > 0 ? `, and the bucket policies attached to it (${scope.attached.map((a) => `\`${a}\``).join(', ')})` : '';
  return `resource \`${scope.id}\`${scope.type ? ` (${scope.type}${span})` : ''}${attached}; findings that name no resource (the template itself) count too`;
}

function trustWords(mapping) {
  const spec = mapping.trust ?? { source: 'none' };
  if (spec.source === 'none') return 'none';
  if (spec.source === 'assumed') return `assumed: ${[spec.account && `account ${spec.account}`, spec.org && `org ${spec.org}`].filter(Boolean).join(', ')} (${spec.basis})`;
  const parts = [];
  if (spec.account) parts.push(`account ← \`${spec.account}\``);
  if (spec.org) parts.push(`org ← \`${spec.org}\``);
  if (spec.trustedAccounts) parts.push(`trusted accounts ← \`${spec.trustedAccounts}\``);
  return `peerContext: ${parts.join(', ')}`;
}

function rulesWords(peerChecks, mapping) {
  if (mapping.notCovered) return '— (not covered)';
  const show = (r) => (typeof r === 'string' ? r : `${r.rule}${r.messageIds ? ` (${r.messageIds.join(', ')})` : ''}`);
  let words = mapping.rules.map(show).join(', ');
  for (const v of mapping.rulesWhen ?? []) {
    const when = Object.entries(v.context).map(([k, val]) => `${k}=${JSON.stringify(val)}`).join(', ');
    words += `; ${v.replace ? 'only' : 'plus'} ${v.rules.map(show).join(', ')} when ${when}`;
  }
  const scope = mapping.statementActions;
  if (scope) {
    const what = scope.all ? 'every action of the service' : scope.classes ? `${scope.classes.join('/')} actions` : scope.fromContext ? `the actions in peerContext \`${scope.fromContext}\`` : scope.patterns.map((p) => `\`${p}\``).join(', ');
    words += `; only statements whose actions include ${what}`;
  }
  const always = (peerChecks.everyCheck?.rules ?? []).filter((r) => !mapping.rules.some((m) => ruleName(m) === ruleName(r))).map(show);
  if (always.length) words += `; plus ${always.join(', ')}`;
  return words;
}

function caseBlock(c) {
  const { entry } = c;
  const lines = [];
  lines.push(`#### ${entry.id} — peer **${entry.peerVerdict}**, kmslint **${c.kmslintVerdict}**`);
  lines.push('');
  lines.push(`- file: \`${entry.file}\`${entry.what ? ` — ${esc(entry.what)}` : ''}`);
  if (c.scope) lines.push(`- counted: ${esc(scopeWords(c))}`);
  const trust = [c.trust.account && `account ${c.trust.account}`, c.trust.org && `org ${c.trust.org}`, c.trust.trustedAccounts.length && `trusted ${c.trust.trustedAccounts.join(', ')}`].filter(Boolean).join('; ');
  lines.push(`- trust context: ${trust || 'none'}`);
  if (c.counted.length > 0) {
    lines.push(`- kmslint findings (mapped rules): ${c.counted.map((f) => `\`${findingId(f)}\` (${f.severity})`).join(', ')}`);
    lines.push(`- first message: ${esc(c.counted[0].message)}`);
  } else {
    lines.push('- kmslint findings (mapped rules): none');
  }
  const others = c.findings.filter((f) => !c.counted.includes(f) && f.severity !== 'info');
  if (others.length > 0) {
    const byRule = new Map();
    for (const f of others) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
    lines.push(`- other kmslint findings (not counted for this check): ${[...byRule].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ')}`);
    if (c.counted.length === 0) lines.push(`- first other message: ${esc(others[0].message)}`);
  }
  if (c.status === 'explained' || c.status === 'suspected-bug') {
    for (const r of c.reasons) lines.push(`- ${c.status === 'suspected-bug' ? 'suspected kmslint bug' : 'explanation'}${r.id ? ` (\`${r.id}\`)` : ''}: ${esc(r.text)}`);
  } else if (c.status === 'unexplained') {
    lines.push(`- **no explanation**${c.note ? `: ${esc(c.note)}` : ` in test/corpus/explanations.json`}`);
  }
  if (entry.notes) lines.push(`- corpus note: ${esc(entry.notes)}`);
  lines.push('');
  return lines;
}

export function renderReport(result) {
  const { cases, rows, kinds, notRead, outOfScope, peerChecks, explanations, problems } = result;
  const total = (list, k) => list.reduce((n, r) => n + r[k], 0);
  const compared = cases.filter((c) => c.status !== 'input-not-read');
  const count = (kind) => cases.filter((c) => c.entry.kind === kind).length;
  const out = [];
  out.push('# kmslint and the peers\' verdicts on the shared corpus');
  out.push('');
  out.push('<!-- Generated by `npm run corpus` (scripts/corpus-report.mjs). Do not edit: change test/corpus/peer-checks.json or test/corpus/explanations.json and rerun. test/corpus-report.test.ts fails when this file is out of date. -->');
  out.push('');
  out.push(`The \`key-policy\`, \`bucket-policy\` and \`cloudformation\` cases of \`../shared/corpus/MANIFEST.json\` (${compared.length} cases) are linted in process. A policy case is linted with the kind forced to the manifest's \`kind\`. A CloudFormation case (${count('cloudformation')} cases: YAML and JSON templates) is linted whole, as the CLI lints a file (\`lintSource\`); a case that names a \`resource\` (checkov: \`AWS::KMS::Key.AwsWildcard\`) counts only the findings of that logical id (for a bucket, also those of the bucket policies attached to it; findings that name no resource, such as a template that cannot be read, count for every case of the file), and a case without one (kics: the verdict is per file) counts every finding of the file. For each peer check, \`test/corpus/peer-checks.json\` names the kmslint rules that answer the same question and the trust context kmslint gets. **kmslint's verdict is "fail" when any of those rules reports an error or a warning** (for checks scoped to some actions, only findings on statements whose actions — kmslint's own wildcard expansion — include them count; in a template, the statement is taken from the policy of the finding's resource). Checks kmslint has no rule for are counted as *not covered*, never as agreement.`);
  out.push('');
  out.push('Trust context: taken from the case\'s `peerContext` where the peer had one (the account its test audits, its allow-lists); otherwise none, so kmslint infers the owner of a key policy from its "Enable IAM User Permissions" statement and knows no owner for a bucket policy. In a CloudFormation template without a given account, the owner of every key and bucket is the stack\'s own account (`AWS::AccountId`). Two reference sets use an owner the corpus documents (marked *assumed*).');
  out.push('');
  out.push('A disagreement is *explained* when `test/corpus/explanations.json` says why (the peer is wrong, or kmslint reports differently on purpose); a reason that names rules explains a kmslint "fail" only when those rules account for every counted finding. *Suspected kmslint bugs* are disagreements where kmslint looks wrong by AWS semantics: they stay failures until kmslint is fixed.');
  out.push('');
  out.push('## Summary');
  out.push('');
  out.push('### By kind');
  out.push('');
  out.push('| kind | cases | agree | disagree, explained | suspected kmslint bug | unexplained | not covered | input not read |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of kinds) out.push(`| ${r.kind} | ${r.cases} | ${r.agree} | ${r.explained} | ${r.suspected} | ${r.unexplained} | ${r.notCovered} | ${r.notRead} |`);
  out.push(`| **total** | **${total(kinds, 'cases')}** | **${total(kinds, 'agree')}** | **${total(kinds, 'explained')}** | **${total(kinds, 'suspected')}** | **${total(kinds, 'unexplained')}** | **${total(kinds, 'notCovered')}** | **${total(kinds, 'notRead')}** |`);
  out.push('');
  for (const [kind, info] of Object.entries(NOT_READ)) {
    const n = count(kind);
    if (n === 0) continue;
    out.push(`**${info.label[0].toUpperCase()}${info.label.slice(1)}: ${n} ${kind} cases** (${new Set(cases.filter((c) => c.entry.kind === kind).map((c) => c.entry.file)).size} files), counted neither as agreement nor as disagreement: ${info.reason}. To get them checked, ${info.howTo}. They are listed by peer check under *Input not read* below.`);
    out.push('');
  }
  for (const { kind, cases: n } of outOfScope) {
    if (n > 0) out.push(`Not compared: the ${n} \`${kind}\` cases (kmslint lints key policies and bucket policies, not IAM identity policies).`);
  }
  out.push('');
  out.push('### By peer check');
  out.push('');
  out.push('| peer check | kind | kmslint rules | trust context | cases | agree | disagree, explained | suspected kmslint bug | unexplained | not covered |');
  out.push('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const name = [...r.names].join(' / ');
    const check = `\`${esc(r.peerCheck)}\`${name ? ` ${esc(name)}` : ''}`;
    const rules = r.mapping ? rulesWords(peerChecks, r.mapping) : '**no mapping**';
    const trust = r.mapping && !r.mapping.notCovered ? trustWords(r.mapping) : '—';
    out.push(`| ${check} | ${r.kind} | ${esc(rules)} | ${esc(trust)} | ${r.cases} | ${r.agree} | ${r.explained} | ${r.suspected} | ${r.unexplained} | ${r.notCovered} |`);
  }
  out.push(`| **total** | | | | **${total(rows, 'cases')}** | **${total(rows, 'agree')}** | **${total(rows, 'explained')}** | **${total(rows, 'suspected')}** | **${total(rows, 'unexplained')}** | **${total(rows, 'notCovered')}** |`);
  out.push('');
  if (notRead.length > 0) {
    out.push('### Input not read, by peer check');
    out.push('');
    out.push('| peer check | kind | cases | files | why not read |');
    out.push('| --- | --- | ---: | ---: | --- |');
    for (const r of notRead) {
      const name = [...r.names].join(' / ');
      out.push(`| \`${esc(r.peerCheck)}\`${name ? ` ${esc(name)}` : ''} | ${r.kind} | ${r.cases} | ${r.files.size} | ${esc(NOT_READ[r.kind].label)} |`);
    }
    out.push(`| **total** | | **${total(notRead, 'cases')}** | **${new Set(notRead.flatMap((r) => [...r.files])).size}** | |`);
    out.push('');
  }

  const mapped = peerChecks.checks.filter((m) => rows.some((r) => r.mapping === m));
  out.push('## Why these rules (per mapping)');
  out.push('');
  for (const m of mapped) {
    out.push(`- **${esc(m.title)}** (${m.peerChecks.map((p) => `\`${esc(p)}\``).join(', ')}): ${esc(m.notCovered ? `not covered — ${m.notCovered}` : m.why)}${m.contextNotUsed ? ` Peer context kmslint has no equivalent for: ${Object.entries(m.contextNotUsed).map(([k, v]) => `\`${k}\` (${v})`).join('; ')}.` : ''}`);
  }
  if (peerChecks.everyCheck) out.push(`- **every covered check** also counts ${peerChecks.everyCheck.rules.join(', ')}: ${esc(peerChecks.everyCheck.why)}`);
  out.push('');

  const sections = [
    ['Unexplained disagreements', (c) => c.status === 'unexplained' || c.status === 'unmapped'],
    ['Suspected kmslint bugs (disagreements that stay failures until kmslint is fixed)', (c) => c.status === 'suspected-bug'],
    ['Explained disagreements', (c) => c.status === 'explained'],
  ];
  for (const [title, pick] of sections) {
    // Grouped by (peer check, kind) in order of first appearance: a CloudFormation file case sits between the
    // policy cases extracted from it in the manifest.
    const group = (c) => `${c.entry.peerCheck}\u0000${c.entry.kind}`;
    const picked = cases.filter(pick);
    const groups = [...new Set(picked.map(group))];
    const chosen = groups.flatMap((g) => picked.filter((c) => group(c) === g));
    out.push(`## ${title} (${chosen.length})`);
    out.push('');
    if (chosen.length === 0) {
      out.push('None.');
      out.push('');
      continue;
    }
    let current;
    for (const c of chosen) {
      const heading = `${c.entry.peerCheck}${c.entry.peerCheckName ? ` — ${c.entry.peerCheckName}` : ''} (${c.entry.kind})`;
      if (heading !== current) {
        out.push(`### ${esc(heading)}`);
        out.push('');
        current = heading;
      }
      if (c.status === 'unmapped') {
        out.push(`#### ${c.entry.id} — no mapping in test/corpus/peer-checks.json`);
        out.push('');
        continue;
      }
      out.push(...caseBlock(c));
    }
  }

  const reasonIds = Object.keys(explanations.reasons ?? {});
  const used = new Map(reasonIds.map((id) => [id, 0]));
  for (const c of cases) for (const r of c.reasons ?? []) if (r.id) used.set(r.id, (used.get(r.id) ?? 0) + 1);
  out.push('## Reasons');
  out.push('');
  out.push('| reason | about kmslint verdict | rules it accounts for | cases | text |');
  out.push('| --- | --- | --- | ---: | --- |');
  for (const id of reasonIds) {
    const r = explanations.reasons[id];
    out.push(`| \`${id}\`${r.suspectedBug ? ' (suspected bug)' : ''} | ${r.kmslint ?? 'either'} | ${(r.rules ?? []).join(', ') || 'any'} | ${used.get(id)} | ${esc(r.text)} |`);
  }
  out.push('');

  const stale = cases.filter((c) => c.staleExplanation);
  const staleBugs = cases.filter((c) => c.staleBug);
  const unused = reasonIds.filter((id) => used.get(id) === 0);
  if (stale.length > 0 || staleBugs.length > 0 || unused.length > 0 || problems.length > 0) {
    out.push('## Housekeeping');
    out.push('');
    for (const p of problems) out.push(`- problem: ${esc(p)}`);
    for (const c of stale) out.push(`- stale explanation: ${c.entry.id} now ${c.status === 'agree' ? 'agrees' : 'is not covered'}; remove it from test/corpus/explanations.json`);
    for (const c of staleBugs) out.push(`- ${c.entry.id}: ${c.staleBug}; remove that reason from its entry in test/corpus/explanations.json`);
    for (const id of unused) out.push(`- reason \`${id}\` is used by no disagreement`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/** A few lines for the terminal. */
export function summaryText(result) {
  const line = (r) => `${r.kind} ${r.cases}: ${r.agree} agree, ${r.explained} disagree (explained), ${r.suspected} suspected kmslint bugs, ${r.unexplained} unexplained, ${r.notCovered} not covered${r.notRead ? `, ${r.notRead} input not read` : ''}`;
  return [
    `corpus: ${result.cases.length} cases`,
    ...result.kinds.map((r) => `  ${line(r)}`),
    ...result.problems.map((p) => `  problem: ${p}`),
    ...failures(result).map((c) => `  ${c.status}: ${c.entry.id} ${c.entry.file} (peer ${c.entry.peerVerdict}, kmslint ${c.kmslintVerdict ?? '—'})${c.note ? ` — ${c.note}` : ''}`),
  ].join('\n');
}
