// The corpus comparison shared by `npm run corpus` (scripts/corpus-report.mjs) and test/corpus-report.test.ts:
// kmslint's verdict on every key-policy and bucket-policy case of ../shared/corpus/MANIFEST.json, next to the
// verdict the peer's own test expects, per peer check.
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

/**
 * Runs kmslint over every key-policy / bucket-policy case and compares.
 * api: { lintText, createDocument, expandStatementActions, patternMatches } from kmslint's sources.
 */
export function compareCorpus({ api, corpusDir, manifest, peerChecks, explanations }) {
  const problems = [];
  for (const id of Object.keys(explanations.cases ?? {})) if (!manifest.some((e) => e.id === id)) problems.push(`explanations.json: ${id} is not a case of the manifest`);
  const cases = [];
  for (const entry of manifest) {
    if (!POLICY_KINDS.includes(entry.kind)) continue;
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
    const bytes = readFileSync(join(corpusDir, entry.file));
    const result = api.lintText(bytes, entry.file, { kind: entry.kind, trust });
    let statements;
    if (mapping.statementActions) statements = api.createDocument(bytes, entry.file).policy?.statements ?? [];
    const counted = result.findings.filter((f) => {
      if (!COUNTED_SEVERITIES.has(f.severity) || !ruleMatches(rules, f)) return false;
      if (!mapping.statementActions || !f.statement) return true;
      const statement = statements.find((s) => s.index === f.statement.index);
      return statementInScope(api, mapping.statementActions, entry, statement, entry.kind);
    });
    const outcome = { ...base, trust, rules, findings: result.findings, counted, kmslintVerdict: counted.length > 0 ? 'fail' : 'pass' };
    const explanation = explanations.cases?.[entry.id];
    if (outcome.kmslintVerdict === entry.peerVerdict) {
      cases.push({ ...outcome, status: 'agree', ...(explanation ? { staleExplanation: true } : {}) });
      continue;
    }
    const reasons = explanation === undefined ? [] : reasonsOf(explanations, explanation, problems, entry.id);
    cases.push({ ...outcome, ...judge(reasons, outcome) });
  }
  return { cases, problems, rows: summarize(cases), peerChecks, explanations };
}

/** One row per (peerCheck, kind), in manifest order. */
function summarize(cases) {
  const rows = new Map();
  for (const c of cases) {
    const key = `${c.entry.peerCheck}\u0000${c.entry.kind}`;
    let row = rows.get(key);
    if (!row) {
      row = { peerCheck: c.entry.peerCheck, peerCheckName: c.entry.peerCheckName, kind: c.entry.kind, mapping: c.mapping, cases: 0, agree: 0, explained: 0, suspected: 0, unexplained: 0, notCovered: 0, names: new Set() };
      rows.set(key, row);
    }
    if (c.entry.peerCheckName) row.names.add(c.entry.peerCheckName);
    row.cases++;
    if (c.status === 'agree') row.agree++;
    else if (c.status === 'explained') row.explained++;
    else if (c.status === 'suspected-bug') row.suspected++;
    else if (c.status === 'not-covered') row.notCovered++;
    else row.unexplained++;
  }
  return [...rows.values()];
}

/** Cases that keep `npm run corpus` from passing: unexplained, suspected kmslint bugs, unmapped. */
export function failures(result) {
  return result.cases.filter((c) => c.status === 'unexplained' || c.status === 'suspected-bug' || c.status === 'unmapped');
}

// ------------------------------------------------------------------------------------------------ report

const esc = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const findingId = (f) => `${f.ruleId}@${f.range.start.line}:${f.range.start.column}`;

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
  const { cases, rows, peerChecks, explanations, problems } = result;
  const total = (k) => rows.reduce((n, r) => n + r[k], 0);
  const out = [];
  out.push('# kmslint and the peers\' verdicts on the shared corpus');
  out.push('');
  out.push('<!-- Generated by `npm run corpus` (scripts/corpus-report.mjs). Do not edit: change test/corpus/peer-checks.json or test/corpus/explanations.json and rerun. test/corpus-report.test.ts fails when this file is out of date. -->');
  out.push('');
  out.push(`Every \`key-policy\` and \`bucket-policy\` case of \`../shared/corpus/MANIFEST.json\` (${cases.length} cases) is linted in process with the kind forced to the manifest's \`kind\`. For each peer check, \`test/corpus/peer-checks.json\` names the kmslint rules that answer the same question and the trust context kmslint gets. **kmslint's verdict is "fail" when any of those rules reports an error or a warning** (for checks scoped to some actions, only findings on statements whose actions — kmslint's own wildcard expansion — include them count). Checks kmslint has no rule for are counted as *not covered*, never as agreement.`);
  out.push('');
  out.push('Trust context: taken from the case\'s `peerContext` where the peer had one (the account its test audits, its allow-lists); otherwise none, so kmslint infers the owner of a key policy from its "Enable IAM User Permissions" statement and knows no owner for a bucket policy. Two reference sets use an owner the corpus documents (marked *assumed*).');
  out.push('');
  out.push('A disagreement is *explained* when `test/corpus/explanations.json` says why (the peer is wrong, or kmslint reports differently on purpose); a reason that names rules explains a kmslint "fail" only when those rules account for every counted finding. *Suspected kmslint bugs* are disagreements where kmslint looks wrong by AWS semantics: they stay failures until kmslint is fixed.');
  out.push('');
  out.push('## Summary');
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
  out.push(`| **total** | | | | **${total('cases')}** | **${total('agree')}** | **${total('explained')}** | **${total('suspected')}** | **${total('unexplained')}** | **${total('notCovered')}** |`);
  out.push('');

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
    const chosen = cases.filter(pick);
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
  const count = (s) => result.cases.filter((c) => c.status === s).length;
  return [
    `corpus: ${result.cases.length} key/bucket policy cases — ${count('agree')} agree, ${count('explained')} disagree (explained), ${count('suspected-bug')} suspected kmslint bugs, ${count('unexplained') + count('unmapped')} unexplained, ${count('not-covered')} not covered`,
    ...result.problems.map((p) => `  problem: ${p}`),
    ...failures(result).map((c) => `  ${c.status}: ${c.entry.id} ${c.entry.file} (peer ${c.entry.peerVerdict}, kmslint ${c.kmslintVerdict ?? '—'})${c.note ? ` — ${c.note}` : ''}`),
  ].join('\n');
}
