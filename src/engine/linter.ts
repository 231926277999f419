/**
 * The linter: a document in, findings out. Pure (no file system, network or clock), like ESLint's Linter;
 * reading files, config and formatting live in src/sources, src/engine/config.ts and src/report.
 */
import { allRules } from "../../rules/index.js";
import { analyzePolicy, type PolicyAnalysis } from "../analysis/index.js";
import { compareWithAccessAnalyzer } from "./access-analyzer.js";
import { createDocument, type PolicyDocument } from "../model/document.js";
import { createHash } from "node:crypto";
import { valueAt, type Path, type Range } from "../model/json.js";
import { detectKind, type KindDecision } from "../model/kind.js";
import type { Inventory, InventoryFormat, InventoryPolicy } from "../model/inventory.js";
import type { Policy, PolicyKind, Statement } from "../model/policy.js";
import {
  formatMessage,
  ruleOptions,
  type InventoryContext,
  type InventoryReportDescriptor,
  type ReportDescriptor,
  type Rule,
  type RuleContext,
  type RuleOptions,
  type Severity,
  type SeveritySetting,
  type TrustContext,
} from "./rule.js";

/** What a linted file is: a policy, or a source of many (a CloudFormation template, a Terraform plan). */
export type FileKind = PolicyKind | InventoryFormat | "config";

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  messageId: string;
  range: Range;
  /** The statement the finding is about: 0-based index and Sid. */
  statement?: { index: number; sid?: string };
  /** In a template, plan or account: the resource the finding is about (logical id, address or ARN). */
  resource?: string;
  /** Live audits: the API response the finding points into, and a JSON pointer (RFC 6901) in it. */
  api?: string;
  pointer?: string;
  /** Who outside the owner it is about: account ids, organization ids, "*" for anyone (access rules). */
  subjects?: string[];
  /** Live audits: how Access Analyzer's findings compare with it. */
  accessAnalyzer?: AccessAnalyzerComparison;
  /**
   * What the finding is about, independent of where the text sits: a hash of its statement's content (keys
   * sorted, whitespace and order of statements ignored) and the path inside the statement, or the path in the
   * policy. The fingerprint (src/report/results.ts) is built from it.
   */
  identity?: string;
}

/** A kmslint finding next to Access Analyzer's: reported by both, or by kmslint only while an analyzer covers the resource. */
export interface AccessAnalyzerComparison {
  agreement: "both" | "kmslint-only" | "access-analyzer-only";
  analyzer: string;
  findingId?: string;
  status?: string;
}

export interface LintOptions {
  /** Force the kind instead of detecting it. */
  kind?: PolicyKind;
  trust?: TrustContext;
  /** Per-rule severity overrides from the config (`"off"` disables a rule). */
  severities?: Readonly<Record<string, SeveritySetting>>;
  /** Per-rule options from the config. */
  ruleOptions?: Readonly<Record<string, RuleOptions>>;
  rules?: readonly Rule[];
}

export interface DocumentResult {
  filePath: string;
  kind: FileKind;
  /** How the kind was decided: `forced by --kind`, or the detection's reason. */
  kindReason: string;
  findings: Finding[];
}

const EMPTY_POLICY: Policy = { statements: [], statementIsArray: false, value: undefined };
const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function lintText(input: Uint8Array | string, filePath: string, options: LintOptions = {}): DocumentResult {
  return lintDocument(createDocument(input, filePath), options);
}

/**
 * The context rules see. One instance per document; `rule` is swapped as each rule runs. A class keeps the
 * lazy `analysis` getter on the prototype: a getter in an object literal per rule made V8 keep every
 * document alive longer and tripled garbage-collection time (measured with `npm run bench`).
 */
class DocumentContext implements RuleContext {
  rule: Rule | undefined;
  setting: Severity | undefined;
  options: RuleOptions = {};
  private computed: PolicyAnalysis | undefined;

  constructor(
    readonly kind: PolicyKind,
    readonly kindDecision: KindDecision | undefined,
    readonly trust: TrustContext,
    readonly document: PolicyDocument,
    readonly policy: Policy,
    private readonly findings: Finding[],
    private readonly resource?: string,
  ) {}

  get analysis(): PolicyAnalysis {
    return (this.computed ??= analyzePolicy(this.policy, this.kind, this.trust));
  }

  /** The analysis if some rule computed it (inventory rules reuse it). */
  analysisIfComputed(): PolicyAnalysis | undefined {
    return this.computed;
  }

  report(descriptor: ReportDescriptor): void {
    // In a template, a finding at a value kmslint could not evaluate is replaced by unresolved-value's finding there.
    if (descriptor.path && this.document.isUnresolved?.(descriptor.path)) return;
    const range = descriptor.range ?? (descriptor.path ? this.document.locate(descriptor.path, descriptor.target) : this.document.whole());
    const finding = newFinding(this.rule!.meta, this.setting, descriptor, range);
    if (descriptor.statement) {
      const { index, sid } = descriptor.statement;
      finding.statement = sid ? { index, sid: sid.value } : { index };
    }
    if (this.resource !== undefined) finding.resource = this.resource;
    if (descriptor.subjects && descriptor.subjects.length > 0) finding.subjects = descriptor.subjects;
    finding.identity = identityOf(this.policy, descriptor.path, descriptor.statement);
    this.findings.push(finding);
  }
}

/** Statement content hashes, computed once per statement. */
const statementHashes = new WeakMap<Statement, string>();

/**
 * A finding's identity in its policy: the statement's content and the path inside it when the finding is in a
 * statement (so moving the statement, reformatting the file or converting JSON to YAML keeps it, and editing
 * the statement changes it), else its path in the policy.
 */
export function identityOf(policy: Policy, path: Path | undefined, statement: Statement | undefined): string {
  const owner = statement ?? (path && path[0] === "Statement" ? policy.statements.find((s) => startsWith(path, s.path)) : undefined);
  if (!owner) return `p${JSON.stringify(path ?? [])}`;
  const value = valueAt(policy.value, owner.path);
  let hash = statementHashes.get(owner);
  if (hash === undefined) {
    hash = createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 24);
    statementHashes.set(owner, hash);
  }
  const inside = path && startsWith(path, owner.path) ? byValue(value, path.slice(owner.path.length)) : [];
  return `s${hash}${JSON.stringify(inside)}`;
}

/**
 * A path inside a statement with each index into a list of values replaced by the value (`["Action", "=kms:Decrypt"]`):
 * IAM reads these lists as sets, so reordering them keeps the finding's identity.
 */
function byValue(value: unknown, path: Path): (string | number)[] {
  const out: (string | number)[] = [];
  let current = value;
  for (const segment of path) {
    const next = current !== null && typeof current === "object" ? (current as Record<string | number, unknown>)[segment] : undefined;
    out.push(Array.isArray(current) && typeof segment === "number" && (next === null || typeof next !== "object") ? `=${String(next)}` : segment);
    current = next;
  }
  return out;
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/**
 * JSON with object keys sorted at every level, and lists of plain values sorted (IAM reads them as sets): the
 * same for every formatting and ordering of the same statement.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    const items = value.map(canonicalJson);
    if (value.every((v) => v === null || typeof v !== "object")) items.sort();
    return `[${items.join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The identity of a finding that is not in a policy statement (a resource's setting, a value that could not
 * be evaluated): its message, without dates, times and small numbers, which change while the problem stays
 * (days until key material expires, sizes, positions). Account ids (12 digits) are kept.
 */
function messageIdentity(message: string): string {
  return `m${message.replace(/\d{4}-\d\d-\d\d(T[\d:.]+Z?)?/g, "#").replace(/\b\d{1,9}(,\d{3})*(\.\d+)?\b/g, "#")}`;
}

/**
 * The identity of a finding of a rule about keys and buckets together (rotation, bucket encryption against
 * key policies, key state): the accounts and organizations its message names. The resource and message id are
 * part of the fingerprint already; the rest of the message changes with the trust context ("a trusted
 * account", "pass --org") and with time, while the problem stays the same.
 */
function subjectIdentity(message: string, trust: TrustContext): string {
  // The owner and its organization are named only when known: leaving them out keeps the identity when they become known.
  const context = new Set([trust.account, trust.org, STACK_ACCOUNT]);
  const subjects = (message.match(/(?<![\w-])(\d{12}|o-[a-z0-9]{10,32})(?![\w-])/g) ?? []).filter((s) => !context.has(s));
  return `a${[...new Set(subjects)].sort().join(",")}`;
}

/** A finding of a rule: its message from the template, its severity from the config, the finding or the rule. */
function newFinding(meta: Rule["meta"], setting: Severity | undefined, descriptor: { messageId: string; data?: Record<string, string | number>; severity?: Severity }, range: Range): Finding {
  const template = meta.messages[descriptor.messageId];
  if (template === undefined) throw new Error(`rule ${meta.id} reported unknown message id ${descriptor.messageId}`);
  return { ruleId: meta.id, severity: setting ?? descriptor.severity ?? meta.severity, message: formatMessage(template, descriptor.data), messageId: descriptor.messageId, range };
}

export function lintDocument(document: PolicyDocument, options: LintOptions = {}): DocumentResult {
  const trust: TrustContext = options.trust ?? { trustedAccounts: [] };
  let kindDecision: KindDecision | undefined;
  let kind: PolicyKind;
  let kindReason: string;
  if (options.kind) {
    kind = options.kind;
    kindReason = "forced by --kind";
  } else if (document.policy) {
    kindDecision = detectKind(document.policy, document.filePath);
    kind = kindDecision.kind;
    kindReason = kindDecision.reason;
  } else {
    kind = "key-policy";
    kindReason = "not decided: the file is not a readable policy";
  }
  const findings: Finding[] = [];
  runPolicyRules(new DocumentContext(kind, kindDecision, trust, document, document.policy ?? EMPTY_POLICY, findings), options);
  return { filePath: document.filePath, kind, kindReason, findings: sortFindings(findings) };
}

function runPolicyRules(context: DocumentContext, options: LintOptions): void {
  const rules = options.rules ?? allRules;
  for (const rule of rules) {
    const { meta } = rule;
    if (!rule.check) continue;
    const setting = options.severities?.[meta.id];
    if (setting === "off") continue;
    if (!meta.appliesTo.includes(context.kind)) continue;
    if ((meta.needsPolicy ?? true) && !context.document.policy) continue;
    context.rule = rule;
    context.setting = setting;
    context.options = ruleOptions(meta, options.ruleOptions?.[meta.id]);
    rule.check(context);
  }
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.range.start.line - b.range.start.line ||
      a.range.start.column - b.range.start.column ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.resource ?? "").localeCompare(b.resource ?? ""),
  );
}

/**
 * Written into templates for `AWS::AccountId` when no --account is given: the stack's own account, the
 * owner of every key and bucket in it. Messages show it as `${AWS::AccountId}`.
 */
const KIND_REASONS: Record<InventoryFormat, string> = {
  cloudformation: "a CloudFormation template (AWSTemplateFormatVersion, or Resources of AWS types)",
  "terraform-plan": "a Terraform plan or state in JSON (format_version with planned_values or values)",
  live: "a live AWS account",
};

export const STACK_ACCOUNT = "000000000000";

/**
 * Lints everything a template, plan or account holds: every policy rule on every key and bucket policy
 * (findings name the resource), then the inventory rules (rotation, bucket encryption against key
 * policies, values that could not be evaluated), then the source's own problems.
 */
export function lintInventory(inventory: Inventory, options: LintOptions = {}): DocumentResult {
  const rules = options.rules ?? allRules;
  const given: TrustContext = options.trust ?? { trustedAccounts: [] };
  const trust: TrustContext = !given.account && inventory.owner ? { ...given, account: inventory.owner.account } : given;
  const findings: Finding[] = [];
  const contexts = new Map<InventoryPolicy, DocumentContext>();
  for (const policy of inventory.policies) {
    if (!policy.document) continue;
    const context = new DocumentContext(policy.kind, undefined, trust, policy.document, policy.document.policy ?? EMPTY_POLICY, findings, policy.resource.address);
    contexts.set(policy, context);
    runPolicyRules(context, { ...options, rules });
  }
  for (const problem of inventory.problems) {
    const setting = options.severities?.[problem.ruleId];
    if (setting === "off") continue;
    const finding: Finding = {
      ruleId: problem.ruleId,
      severity: setting ?? problem.severity ?? "error",
      message: problem.message,
      messageId: "source",
      range: problem.range,
    };
    if (problem.resource !== undefined) finding.resource = problem.resource;
    finding.identity = messageIdentity(problem.message);
    findings.push(finding);
  }
  let current: Rule | undefined;
  let setting: Severity | undefined;
  let currentOptions: RuleOptions = {};
  const inventoryContext: InventoryContext = {
    inventory,
    trust,
    get options() {
      return currentOptions;
    },
    analysisOf(policy) {
      if (!policy?.document?.policy) return undefined;
      let context = contexts.get(policy);
      if (!context) {
        context = new DocumentContext(policy.kind, undefined, trust, policy.document, policy.document.policy, [], policy.resource.address);
        contexts.set(policy, context);
      }
      return context.analysis;
    },
    report(descriptor: InventoryReportDescriptor) {
      const finding = newFinding(current!.meta, setting, descriptor, descriptor.range);
      if (descriptor.resource) finding.resource = descriptor.resource.address;
      if (descriptor.accessAnalyzer) finding.accessAnalyzer = descriptor.accessAnalyzer;
      finding.identity = subjectIdentity(finding.message, trust);
      findings.push(finding);
    },
  };
  for (const rule of rules) {
    if (!rule.meta.inventory || !rule.checkInventory) continue;
    if (rule.meta.sources && !rule.meta.sources.includes(inventory.format)) continue;
    const ruleSetting = options.severities?.[rule.meta.id];
    if (ruleSetting === "off") continue;
    current = rule;
    setting = ruleSetting;
    currentOptions = ruleOptions(rule.meta, options.ruleOptions?.[rule.meta.id]);
    rule.checkInventory(inventoryContext);
  }
  if (trust.account === STACK_ACCOUNT) {
    for (const finding of findings) finding.message = finding.message.replaceAll(STACK_ACCOUNT, "${AWS::AccountId}");
  }
  if (inventory.format === "live") {
    compareWithAccessAnalyzer(findings, inventory);
    // An account's report lists findings per resource (its ARN), with a pointer into the API answer.
    for (const finding of findings) {
      const location = inventory.locationOf?.(finding.range);
      if (location) {
        finding.api = location.api;
        finding.pointer = location.pointer;
      }
    }
  } else {
    for (const finding of findings) {
      if (finding.resource !== undefined && !finding.message.startsWith(`${finding.resource}: `)) finding.message = `${finding.resource}: ${finding.message}`;
    }
  }
  return {
    filePath: inventory.filePath,
    kind: inventory.format,
    kindReason: KIND_REASONS[inventory.format],
    findings: sortFindings(findings),
  };
}
