/**
 * The usage fact table (src/usage/facts.ts) joined with the key policies (issue 8, part 5): the outside
 * accounts and organizations a key policy grants that made no successful call in the window
 * (`unused-cross-account-grant`), the principals whose calls keep failing (`denied-caller`), and the accounts
 * that call a key although no statement of its policy names them (`usage-unnamed-account`, info).
 *
 * Who a policy grants is the access analysis's principal scope (src/analysis), never re-derived here.
 * `joinUsage` is pure; `policiesFromFiles` reads files (through the lint task, so that every kind of input
 * is read as `kmslint lint` reads it) and `policiesFromInventory` takes a template's, plan's or account's keys.
 */
import { resolve } from "node:path";
import deniedCaller from "../../rules/denied-caller.js";
import unusedCrossAccountGrant from "../../rules/unused-cross-account-grant.js";
import usageUnnamedAccount from "../../rules/usage-unnamed-account.js";
import { TIER_WORDS, accountTier, analyzePolicy, isOwnOrg, summarizeActions, type AccountScope, type PolicyAnalysis, type Reach } from "../analysis/index.js";
import { conditionKeyRole } from "../analysis/conditions.js";
import { joinWords, ownerNote } from "../analysis/explain.js";
import { runTask, type CheckedPolicy } from "../cli/lint-task.js";
import { UsageError } from "../cli/exit.js";
import { identityOf, STACK_ACCOUNT, type FileKind, type Finding } from "../engine/linter.js";
import { formatMessage, type Rule, type Severity, type SeveritySetting, type TrustContext } from "../engine/rule.js";
import { parseArn, parseAwsPrincipal } from "../model/arn.js";
import { createDocument, parsedJsonOf, type PolicyDocument } from "../model/document.js";
import type { Inventory } from "../model/inventory.js";
import type { Path, Range } from "../model/json.js";
import { statementLabel, type Statement } from "../model/policy.js";
import { toLintResult, type LintResult } from "../report/results.js";
import { expandPaths, readSource } from "../sources/files.js";
import { loadTerraformPlan } from "../sources/terraform-plan.js";
import { isCrossAccount, type UsageFacts, type UsageRow } from "./facts.js";

/** A key policy to join with the usage. */
export interface UsagePolicy {
  /** The key's ARN when the source knows it (audits; Terraform plans and states of existing keys). */
  keyArn?: string;
  /** The account that owns the key, when known (the key ARN's account). */
  keyAccount?: string;
  document: PolicyDocument;
  /** The file the policy is in (a policy file, template or plan), or the key's ARN for an audit. */
  filePath: string;
  /** In a template or plan: the resource the policy belongs to (logical id, address). */
  resource?: string;
  trust: TrustContext;
  /** What the file is, for its result (`key-policy` when absent). */
  fileKind?: FileKind;
  /** How messages about other results name the file: the path as given on the command line (`filePath` when absent). */
  shownAs?: string;
}

export interface UsageJoinOptions {
  /** The window the usage covers (--start/--end); the facts' first and last event times fill what is not given. */
  window: { start?: Date; end?: Date };
  /** denied-caller: failed calls of one principal on one key before it is reported (3). */
  minDenied?: number;
  severities?: Readonly<Record<string, SeveritySetting>>;
}

export interface UsageJoinResult {
  /**
   * One result per policy file (findings placed at the statement or principal that grants), then one per key
   * ARN for the findings that have no place in a policy (denied-caller, usage-unnamed-account), ordered by ARN.
   */
  results: LintResult[];
}

export const DEFAULT_MIN_DENIED = 3;

/**
 * Error codes counted by denied-caller, with what each usually means. Throttling, validation and internal
 * errors are not denials and are left out.
 */
const DENIAL_CAUSES: Record<string, string> = {
  AccessDenied: "access",
  AccessDeniedException: "access",
  KMSAccessDeniedException: "access",
  UnauthorizedOperation: "access",
  IncorrectKeyException: "wrong-key",
  InvalidCiphertextException: "wrong-key",
  InvalidKeyUsageException: "wrong-key",
  KMSInvalidSignatureException: "wrong-key",
  KMSInvalidMacException: "wrong-key",
  DisabledException: "key-state",
  KMSInvalidStateException: "key-state",
  NotFoundException: "not-found",
};

/** A key ARN from a source, when it is a real one (CloudFormation only ever gives a placeholder before deployment). */
const REAL_KEY_ARN = /^arn:[^:]+:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * The key policies in policy files, CloudFormation templates and Terraform plans (files and folders, read as
 * `kmslint lint` reads them). Bucket and identity policies are left out. A plan or state that knows its key's
 * ARN gives it; otherwise the policy is matched with the usage by its owner account.
 */
export async function policiesFromFiles(paths: readonly string[], trust: TrustContext): Promise<UsagePolicy[]> {
  const expansion = expandPaths(paths, () => false);
  if (expansion.missing.length > 0) throw new UsageError(`no such file or folder: ${expansion.missing.join(", ")}`);
  const policies: UsagePolicy[] = [];
  for (const file of expansion.files) {
    const found: CheckedPolicy[] = [];
    const outcome = await runTask({ path: file.path, explicit: file.explicit, options: { trust } }, (policy) => found.push(policy));
    if (outcome.skipped) continue;
    const fileKind = outcome.result.kind;
    const keys = fileKind === "terraform-plan" ? planKeyArns(file.path, trust) : new Map<string, string>();
    for (const checked of found) {
      if (checked.kind !== "key-policy") continue;
      const keyArn = checked.resource !== undefined ? keys.get(checked.resource) : undefined;
      policies.push({
        ...(keyArn ? { keyArn, keyAccount: parseArn(keyArn)!.account } : {}),
        document: checked.document,
        filePath: resolve(file.path),
        shownAs: file.path,
        ...(checked.resource !== undefined ? { resource: checked.resource } : {}),
        trust,
        fileKind,
      });
    }
  }
  return policies;
}

/** A Terraform plan's or state's key ARNs that are known (existing keys), by the address of their policy's resource. */
function planKeyArns(path: string, trust: TrustContext): Map<string, string> {
  const arns = new Map<string, string>();
  const read = readSource(path);
  if (!("bytes" in read)) return arns;
  const parsed = parsedJsonOf(createDocument(read.bytes, path));
  if (!parsed) return arns;
  const inventory = loadTerraformPlan(parsed, path, { trust });
  for (const key of inventory.keys) {
    if (key.arn && REAL_KEY_ARN.test(key.arn) && key.policy) arns.set(key.policy.resource.address, key.arn);
  }
  return arns;
}

/** The key policies of an inventory: a live audit's keys (named by ARN), or a template's or plan's. */
export function policiesFromInventory(inventory: Inventory, trust: TrustContext): UsagePolicy[] {
  const effective: TrustContext = !trust.account && inventory.owner ? { ...trust, account: inventory.owner.account } : trust;
  const live = inventory.format === "live";
  const policies: UsagePolicy[] = [];
  for (const key of inventory.keys) {
    const document = key.policy?.document;
    if (!document?.policy) continue;
    const keyArn = key.arn && (live || REAL_KEY_ARN.test(key.arn)) ? key.arn : undefined;
    const keyAccount = keyArn ? parseArn(keyArn)?.account : undefined;
    policies.push({
      ...(keyArn ? { keyArn } : {}),
      ...(keyAccount ? { keyAccount } : {}),
      document,
      filePath: live ? (keyArn ?? key.resource.address) : resolve(inventory.filePath),
      ...(!live ? { resource: key.policy!.resource.address } : {}),
      trust: effective,
      fileKind: inventory.format,
    });
  }
  return policies;
}

/** A policy with its analysis and the usage rows it is judged by. */
interface Joined {
  policy: UsagePolicy;
  analysis: PolicyAnalysis;
  /** The account whose keys' usage counts when the policy does not name its key. */
  owner: string | undefined;
  byArn: boolean;
  rows: UsageRow[];
}

interface Window {
  start: string;
  end: string;
}

export function joinUsage(facts: UsageFacts, policies: readonly UsagePolicy[], options: UsageJoinOptions): UsageJoinResult {
  const severities = options.severities ?? {};
  const minDenied = options.minDenied ?? DEFAULT_MIN_DENIED;
  const window = windowOf(facts.rows, options.window);
  const out = new Results();

  const joined: Joined[] = [];
  for (const policy of policies) {
    out.open(policy.filePath, policy.fileKind ?? "key-policy", kindReasonOf(policy));
    const statements = policy.document.policy;
    if (!statements) continue;
    const trust: TrustContext = !policy.trust.account && policy.keyAccount ? { ...policy.trust, account: policy.keyAccount } : policy.trust;
    const analysis = analyzePolicy(statements, "key-policy", trust);
    // A template's own account (${AWS::AccountId} without --account) is a placeholder, not an account: unknown.
    const inferred = analysis.owner.account === STACK_ACCOUNT ? undefined : analysis.owner.account;
    const owner = policy.keyAccount ?? inferred;
    if (!policy.keyArn && !owner) {
      out.add(policy.filePath, policyFinding(unusedCrossAccountGrant, severities, "unmatched", { reason: analysis.owner.account === STACK_ACCOUNT ? "the template's own account (${AWS::AccountId}) is not known without --account" : analysis.owner.reason }, policy, policy.document.anchor?.() ?? policy.document.whole(), undefined, undefined, "info"));
      continue;
    }
    const rows = policy.keyArn ? facts.rows.filter((r) => r.keyArn === policy.keyArn) : facts.rows.filter((r) => r.keyOwnerAccount === owner);
    joined.push({ policy, analysis, owner, byArn: Boolean(policy.keyArn), rows });
  }

  for (const j of joined) unusedGrants(j, window, severities, out);
  deniedCallers(facts.rows, joined, minDenied, severities, out);
  unnamedAccounts(facts.rows, joined, severities, out);
  return { results: out.results() };
}

/** Findings collected per file (a policy file, or a key ARN), in the order the files were first named. */
class Results {
  private readonly files = new Map<string, { kind: FileKind; kindReason: string; findings: Finding[]; key: boolean }>();

  open(filePath: string, kind: FileKind, kindReason: string, key = false): void {
    if (!this.files.has(filePath)) this.files.set(filePath, { kind, kindReason, findings: [], key });
  }

  add(filePath: string, finding: Finding | undefined): void {
    if (!finding) return;
    this.open(filePath, "live", "KMS calls on this key, from CloudTrail", true);
    this.files.get(filePath)!.findings.push(finding);
  }

  results(): LintResult[] {
    // Files of the policies first, in their order; then the keys that only have usage findings, by ARN.
    const entries = [...this.files.entries()];
    const ordered = [...entries.filter(([, f]) => !f.key), ...entries.filter(([, f]) => f.key).sort(([a], [b]) => a.localeCompare(b))];
    return ordered.map(([filePath, { kind, kindReason, findings }]) => toLintResult({ filePath, kind, kindReason, findings: findings.sort(byPosition) }));
  }
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function byPosition(a: Finding, b: Finding): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.column - b.range.start.column ||
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    a.ruleId.localeCompare(b.ruleId) ||
    (a.resource ?? "").localeCompare(b.resource ?? "") ||
    a.message.localeCompare(b.message)
  );
}

function kindReasonOf(policy: UsagePolicy): string {
  switch (policy.fileKind) {
    case "live":
      return "a key policy read from a live account";
    case "cloudformation":
      return "a CloudFormation template";
    case "terraform-plan":
      return "a Terraform plan or state";
    default:
      return "a key policy joined with the usage";
  }
}

/** The severity a finding gets (the config's setting over the rule's), or undefined when the rule is off. */
function severityOf(rule: Rule, severities: Readonly<Record<string, SeveritySetting>>, own?: Severity): Severity | undefined {
  const setting = severities[rule.meta.id];
  if (setting === "off") return undefined;
  return own ?? setting ?? rule.meta.severity;
}

function policyFinding(
  rule: Rule,
  severities: Readonly<Record<string, SeveritySetting>>,
  messageId: string,
  data: Record<string, string | number>,
  policy: UsagePolicy,
  range: Range,
  path: Path | undefined,
  statement: Statement | undefined,
  own?: Severity,
  subjects?: string[],
): Finding | undefined {
  const severity = severityOf(rule, severities, own);
  if (!severity) return undefined;
  let message = formatMessage(rule.meta.messages[messageId]!, data);
  if (policy.resource !== undefined) message = `${policy.resource}: ${message}`;
  const finding: Finding = { ruleId: rule.meta.id, severity, message, messageId, range };
  if (statement) finding.statement = statement.sid ? { index: statement.index, sid: statement.sid.value } : { index: statement.index };
  if (policy.resource !== undefined) finding.resource = policy.resource;
  if (subjects && subjects.length > 0) finding.subjects = subjects;
  finding.identity = policy.document.policy ? identityOf(policy.document.policy, path, statement) : `p${JSON.stringify(path ?? [])}`;
  return finding;
}

/** Findings about a key as a whole (no place in a policy): line 1, column 1 of a result named by the key's ARN. */
function keyFinding(rule: Rule, severities: Readonly<Record<string, SeveritySetting>>, messageId: string, data: Record<string, string | number>, keyArn: string, identity: string, subjects: string[]): Finding | undefined {
  const severity = severityOf(rule, severities);
  if (!severity) return undefined;
  const at = { line: 1, column: 1, offset: 0 };
  return {
    ruleId: rule.meta.id,
    severity,
    message: formatMessage(rule.meta.messages[messageId]!, data),
    messageId,
    range: { start: at, end: at },
    resource: keyArn,
    subjects,
    identity,
  };
}

// ── unused-cross-account-grant ────────────────────────────────────────────────────────────────────────────

/** Whether a reach grants something that uses the key: a cryptographic operation or a grant operation. */
function grantsUse(reach: Reach): boolean {
  return (reach.actions.byClass.get("usage")?.length ?? 0) > 0 || (reach.actions.byClass.get("grant")?.length ?? 0) > 0;
}

/**
 * The accounts an Allow lets in as callers of their own (principals of the account, or any principal bound to
 * it by kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalArn). Accounts that AWS services act for
 * (Principal "*" bound by aws:SourceAccount, a service principal bound to an account) are left out: the calls
 * are the service's, and CloudTrail does not name the account as the caller.
 */
function callerAccounts(reach: Reach): AccountScope[] {
  return reach.who.kind === "limited" ? reach.who.accounts.filter((a) => !a.viaService) : [];
}

function unusedGrants(j: Joined, window: Window, severities: Readonly<Record<string, SeveritySetting>>, out: Results): void {
  const { analysis, policy, rows } = j;
  const byAccount = new Map<string, { reaches: Reach[]; how: string[]; scope: AccountScope }>();
  const byOrg = new Map<string, { reaches: Reach[]; how: string[] }>();
  for (const reach of analysis.reaches) {
    if (!grantsUse(reach) || reach.who.kind !== "limited") continue;
    for (const scope of callerAccounts(reach)) {
      if (accountTier(scope, analysis) === "same-account") continue;
      const entry = byAccount.get(scope.account) ?? { reaches: [], how: [], scope };
      if (!entry.reaches.includes(reach)) entry.reaches.push(reach);
      entry.how.push(`${scope.principal} in statement ${statementLabel(reach.statement)}`);
      byAccount.set(scope.account, entry);
    }
    for (const org of reach.who.orgs) {
      const entry = byOrg.get(org) ?? { reaches: [], how: [] };
      if (!entry.reaches.includes(reach)) entry.reaches.push(reach);
      entry.how.push(`any principal of the organization in statement ${statementLabel(reach.statement)}`);
      byOrg.set(org, entry);
    }
  }
  const succeeded = rows.filter((r) => r.errorCode === null && r.count > 0);
  const scopeWords = j.byArn ? `the key ${policy.keyArn}` : `any key of account ${j.owner}`;
  const quiet = rows.length === 0 ? ` No call at all to ${j.byArn ? "this key" : `a key of account ${j.owner}`} was seen in the window, not even by its owner: check that the logs read cover it.` : "";
  const common = {
    scope: scopeWords,
    window: `${window.start} to ${window.end}`,
    match: j.byArn ? "" : ` (The usage of any key of account ${j.owner} counts, since the policy file does not name its key.)`,
    owner: ownerNote(analysis),
    quiet,
    trail: "Calls are seen only if the trail logged KMS events for this key's account in that window (a trail whose event selectors exclude kms.amazonaws.com, ExcludeManagementEventSources, logs none).",
  };
  for (const [account, entry] of byAccount) {
    if (succeeded.some((r) => r.callerAccount === account)) continue;
    const failed = rows.filter((r) => r.callerAccount === account && r.errorCode !== null).reduce((n, r) => n + r.count, 0);
    const first = entry.reaches[0]!;
    const path = accountPath(first, account);
    out.add(
      policy.filePath,
      policyFinding(
        unusedCrossAccountGrant,
        severities,
        "account",
        {
          ...common,
          account,
          tier: tierWords(entry.scope, analysis),
          actions: actionsOf(entry.reaches),
          how: joinWords([...new Set(entry.how)]),
          failed: failed > 0 ? ` (it made ${calls(failed)} that failed: see denied-caller)` : "",
        },
        policy,
        policy.document.locate(path),
        path,
        first.statement,
        undefined,
        [account],
      ),
    );
  }
  for (const [org, entry] of byOrg) {
    // Any account but the owner may be in the organization: one successful call from another account is use.
    if (succeeded.some((r) => r.callerAccount !== j.owner)) continue;
    const first = entry.reaches[0]!;
    const path = orgPath(first, org);
    out.add(
      policy.filePath,
      policyFinding(
        unusedCrossAccountGrant,
        severities,
        "organization",
        {
          ...common,
          org,
          tier: isOwnOrg(org, analysis) ? "your organization" : analysis.trust.org ? "an organization other than yours" : "pass --org to tell whether it is yours",
          actions: actionsOf(entry.reaches),
          how: joinWords([...new Set(entry.how)]),
          ownerAccount: j.owner ?? "(unknown)",
        },
        policy,
        policy.document.locate(path),
        path,
        first.statement,
        undefined,
        [org],
      ),
    );
  }
}

function actionsOf(reaches: readonly Reach[]): string {
  return [...new Set(reaches.map((r) => summarizeActions(r.actions)))].join(" / ");
}

function tierWords(scope: AccountScope, analysis: PolicyAnalysis): string {
  const tier = accountTier(scope, analysis);
  if (!analysis.trust.account) return "outside the owner account";
  if (tier === "outside-org" && !analysis.trust.org) return "another account";
  return TIER_WORDS[tier];
}

/** Where an account's grant is written: the principal that names it, else the condition value that does, else the principal. */
function accountPath(reach: Reach, account: string): Path {
  const entry = reach.principal;
  if (entry?.type === "AWS") {
    const parsed = parseAwsPrincipal(entry.value);
    if ((parsed.form === "account" || parsed.form === "root" || parsed.form === "iam") && parsed.account === account) return entry.path;
  }
  for (const condition of reach.statement.conditions) {
    const role = conditionKeyRole(condition.key.toLowerCase());
    if (role !== "account" && role !== "arn") continue;
    for (const value of condition.values) {
      if (value.value === account || (role === "arn" && parseArn(value.value)?.account === account)) return value.path;
    }
  }
  return reach.path;
}

/** Where an organization's grant is written: the aws:PrincipalOrgID (or OrgPaths) value, else the principal (a Deny guardrail's org). */
function orgPath(reach: Reach, org: string): Path {
  for (const condition of reach.statement.conditions) {
    const role = conditionKeyRole(condition.key.toLowerCase());
    if (role !== "org" && role !== "org-paths") continue;
    for (const value of condition.values) {
      const named = role === "org-paths" ? value.value.split("/", 1)[0]! : value.value;
      if (named.toLowerCase() === org.toLowerCase() || (org === "${aws:ResourceOrgID}" && /\$\{aws:ResourceOrgID\}/i.test(named))) return value.path;
    }
  }
  return reach.path;
}

// ── denied-caller ─────────────────────────────────────────────────────────────────────────────────────────

function deniedCallers(rows: readonly UsageRow[], joined: readonly Joined[], minDenied: number, severities: Readonly<Record<string, SeveritySetting>>, out: Results): void {
  const groups = new Map<string, UsageRow[]>();
  for (const row of rows) {
    if (row.errorCode === null || !Object.hasOwn(DENIAL_CAUSES, row.errorCode)) continue;
    // A role's sessions are one principal: grouped by the role's ARN (callerArn), else by the principal id.
    const id = `${row.keyArn}\u0000${row.callerAccount}\u0000${row.callerArn || row.callerPrincipal}`;
    const group = groups.get(id) ?? [];
    group.push(row);
    groups.set(id, group);
  }
  const sorted = [...groups.values()].sort((a, b) => keyFileOf(a[0]!).localeCompare(keyFileOf(b[0]!)) || principalOf(a[0]!).localeCompare(principalOf(b[0]!)));
  for (const group of sorted) {
    const total = group.reduce((n, r) => n + r.count, 0);
    if (total < minDenied) continue;
    const row = group[0]!;
    const codes = tally(group, (r) => r.errorCode!);
    const viaS3 = group.filter((r) => r.viaS3).reduce((n, r) => n + r.count, 0);
    const matches = policiesOfKey(row, joined);
    const causes = new Set(codes.map(([code]) => DENIAL_CAUSES[code]!));
    const events = [...new Set(group.map((r) => r.eventName))];
    const file = keyFileOf(row);
    out.add(
      file,
      keyFinding(
        deniedCaller,
        severities,
        "denied",
        {
          principal: principalOf(row),
          account: row.callerAccount || "unknown",
          relation: relationOf(row),
          count: calls(total),
          first: when(minOf(group.map((r) => r.firstTime))),
          last: when(maxOf(group.map((r) => r.lastTime))),
          codes: codes.map(([code, n]) => `${code} ${n.toLocaleString("en-US")}`).join(", "),
          events: tally(group, (r) => r.eventName).map(([name, n]) => `${name} ${n.toLocaleString("en-US")}`).join(", "),
          viaS3: viaS3 === total ? "; all through S3 (SSE-KMS on the caller's requests)" : viaS3 > 0 ? `; ${viaS3.toLocaleString("en-US")} through S3 (SSE-KMS on the caller's requests)` : "",
          cause: causeWords(causes),
          policy: policyWords(row, events, matches),
        },
        file,
        `d${file}\u0000${row.callerArn || row.callerPrincipal}`,
        row.callerAccount ? [row.callerAccount] : [],
      ),
    );
  }
}

function keyFileOf(row: UsageRow): string {
  return row.keyArn || `calls that name no key${row.keyOwnerAccount ? ` (account ${row.keyOwnerAccount})` : ""}`;
}

function principalOf(row: UsageRow): string {
  return row.callerArn || row.callerPrincipal || "An unnamed principal";
}

function relationOf(row: UsageRow): string {
  if (!row.keyOwnerAccount || !row.callerAccount) return "the key's owner is not named in the events";
  return row.callerAccount === row.keyOwnerAccount ? "the key's own account" : `outside the key's account ${row.keyOwnerAccount}`;
}

function causeWords(causes: ReadonlySet<string>): string {
  const words: string[] = [];
  if (causes.has("access")) words.push("access was refused: the key policy does not grant the caller's account, or the caller's IAM policy does not allow the call, or a Deny, a grant's constraints or a condition (kms:ViaService, an encryption context) refused it");
  if (causes.has("wrong-key")) words.push("a wrong key: the ciphertext, signature or MAC was made under another key (or changed), or the key's usage does not fit the operation");
  if (causes.has("key-state")) words.push("the key is disabled or pending deletion (or not yet usable)");
  if (causes.has("not-found")) words.push("the key was not found (deleted, another Region, or a wrong key id or alias)");
  return `${words.join("; ")}.`;
}

/** The policies a row's key is judged by: the one of its ARN, else those matched by its owner account. */
function policiesOfKey(row: UsageRow, joined: readonly Joined[]): Joined[] {
  const byArn = joined.filter((j) => j.byArn && row.keyArn !== "" && j.policy.keyArn === row.keyArn);
  if (byArn.length > 0) return byArn;
  return joined.filter((j) => !j.byArn && row.keyOwnerAccount !== "" && j.owner === row.keyOwnerAccount);
}

/** What the matched key policy says about the caller's account and the calls that failed. */
function policyWords(row: UsageRow, events: readonly string[], matches: readonly Joined[]): string {
  if (matches.length === 0) return "";
  const parts: string[] = [];
  for (const j of matches) {
    const name = policyName(j);
    if (row.callerAccount === j.owner) {
      parts.push(`${name} leaves the owner account's access to its IAM policies when it grants the account root: check the caller's IAM policy`);
      continue;
    }
    const granting = j.analysis.reaches.filter((r) => reachLetsAccount(r, row.callerAccount) && events.some((e) => grantsEvent(r, e)));
    if (granting.length > 0) {
      parts.push(`${name} grants account ${row.callerAccount} ${events.join(", ")} in statement ${joinWords([...new Set(granting.map((r) => statementLabel(r.statement)))])}, so the caller's IAM policy, a Deny or a condition is the more likely cause`);
      continue;
    }
    const orgs = [...new Set(j.analysis.reaches.filter((r) => r.who.kind === "limited" && events.some((e) => grantsEvent(r, e))).flatMap((r) => (r.who.kind === "limited" ? r.who.orgs : [])))];
    if (orgs.length > 0) {
      parts.push(`${name} grants ${events.join(", ")} to accounts of ${orgs.join(" or ")} only: unless account ${row.callerAccount} is in it, the key policy refuses the call`);
      continue;
    }
    parts.push(`${name} does not grant account ${row.callerAccount} ${events.join(", ")}: KMS refuses it whatever the caller's IAM policy says`);
  }
  return ` ${capitalize(parts.join("; "))}.`;
}

function policyName(j: Joined): string {
  if (j.policy.fileKind === "live") return "the key policy";
  const file = j.policy.shownAs ?? j.policy.filePath;
  const where = j.policy.resource !== undefined ? `${j.policy.resource} in ${file}` : file;
  return j.byArn ? `the key policy (${where})` : `the key policy ${where} (matched by its owner account ${j.owner}, since it does not name its key)`;
}

function reachLetsAccount(reach: Reach, account: string): boolean {
  const { who } = reach;
  if (who.kind === "anyone") return true;
  return who.kind === "limited" && who.accounts.some((a) => a.account === account && !a.viaService);
}

/** The actions that authorize an event: its own name, but ReEncrypt needs kms:ReEncryptFrom and kms:ReEncryptTo. */
const EVENT_ACTIONS: Record<string, string[]> = { reencrypt: ["reencryptfrom", "reencryptto"] };

function grantsEvent(reach: Reach, eventName: string): boolean {
  const lower = eventName.toLowerCase();
  const granted = new Set(reach.actions.actions.map((a) => a.toLowerCase()));
  return (EVENT_ACTIONS[lower] ?? [lower]).every((action) => granted.has(action));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ── usage-unnamed-account ─────────────────────────────────────────────────────────────────────────────────

/** Whether any statement of a policy names the account (as a principal, or in a condition that binds the caller or source). */
function namesAccount(analysis: PolicyAnalysis, account: string): boolean {
  return analysis.reaches.some((r) => {
    if (r.base.kind === "limited" && r.base.accounts.some((a) => a.account === account)) return true;
    if (r.who.kind === "limited" && r.who.accounts.some((a) => a.account === account)) return true;
    return r.who.kind === "service" && (r.who.sourceAccounts ?? []).includes(account);
  });
}

/** Whether a policy lets in callers it does not name one by one: anyone, an organization, any AWS service for any account. */
function admitsUnnamed(analysis: PolicyAnalysis): boolean {
  return analysis.reaches.some((r) => r.who.kind === "anyone" || (r.who.kind === "limited" && (r.who.orgs.length > 0 || r.who.anyService === true)));
}

function unnamedAccounts(rows: readonly UsageRow[], joined: readonly Joined[], severities: Readonly<Record<string, SeveritySetting>>, out: Results): void {
  const groups = new Map<string, UsageRow[]>();
  for (const row of rows) {
    if (row.errorCode !== null || !isCrossAccount(row) || row.keyArn === "") continue;
    const id = `${row.keyArn}\u0000${row.callerAccount}`;
    const group = groups.get(id) ?? [];
    group.push(row);
    groups.set(id, group);
  }
  const sorted = [...groups.values()].sort((a, b) => a[0]!.keyArn.localeCompare(b[0]!.keyArn) || a[0]!.callerAccount.localeCompare(b[0]!.callerAccount));
  for (const group of sorted) {
    const row = group[0]!;
    const matches = policiesOfKey(row, joined);
    // Without the key's policy nothing can be said; a policy that admits callers it does not name (an
    // organization, anyone) may be how the account gets in.
    if (matches.length === 0 || matches.some((j) => namesAccount(j.analysis, row.callerAccount) || admitsUnnamed(j.analysis))) continue;
    const total = group.reduce((n, r) => n + r.count, 0);
    const viaS3 = group.filter((r) => r.viaS3).reduce((n, r) => n + r.count, 0);
    const trust = matches[0]!.analysis.trust;
    out.add(
      row.keyArn,
      keyFinding(
        usageUnnamedAccount,
        severities,
        "unnamed",
        {
          account: row.callerAccount,
          relation: trust.trustedAccounts.includes(row.callerAccount) ? "a trusted account" : `outside the key's account ${row.keyOwnerAccount}`,
          count: `${calls(total)} that succeeded`,
          first: when(minOf(group.map((r) => r.firstTime))),
          last: when(maxOf(group.map((r) => r.lastTime))),
          events: tally(group, (r) => r.eventName).map(([name, n]) => `${name} ${n.toLocaleString("en-US")}`).join(", "),
          viaS3: viaS3 > 0 ? `; ${viaS3 === total ? "all" : viaS3.toLocaleString("en-US")} through S3` : "",
          policy: joinWords(matches.map(policyName)),
          key: row.keyArn,
        },
        row.keyArn,
        `u${row.keyArn}\u0000${row.callerAccount}`,
        [row.callerAccount],
      ),
    );
  }
}

// ── words and numbers ─────────────────────────────────────────────────────────────────────────────────────

function calls(n: number): string {
  return `${n.toLocaleString("en-US")} call${n === 1 ? "" : "s"}`;
}

/** Counts per value, largest first (then by name). */
function tally(rows: readonly UsageRow[], of: (row: UsageRow) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(of(row), (counts.get(of(row)) ?? 0) + row.count);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The usage window: --start/--end where given, else the first and last event time in the facts. */
function windowOf(rows: readonly UsageRow[], given: { start?: Date; end?: Date }): Window {
  const first = minOf(rows.map((r) => r.firstTime).filter(Boolean));
  const last = maxOf(rows.map((r) => r.lastTime).filter(Boolean));
  return {
    start: given.start ? when(given.start.toISOString()) : first ? when(first) : "(no event read)",
    end: given.end ? when(given.end.toISOString()) : last ? when(last) : "(no event read)",
  };
}

/** ISO 8601 without milliseconds: 2026-11-01T08:00:00Z. */
function when(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

function minOf(values: readonly string[]): string {
  return values.reduce((a, b) => (a === "" || (b !== "" && Date.parse(b) < Date.parse(a)) ? b : a), "");
}

function maxOf(values: readonly string[]): string {
  return values.reduce((a, b) => (a === "" || (b !== "" && Date.parse(b) > Date.parse(a)) ? b : a), "");
}
