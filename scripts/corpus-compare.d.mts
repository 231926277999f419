// Types for scripts/corpus-compare.mjs (plain ESM, shared by scripts/corpus-report.mjs and test/corpus-report.test.ts).

export interface CorpusFinding {
  ruleId: string;
  severity: "error" | "warning" | "info";
  message: string;
  messageId: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
  statement?: { index: number; sid?: string };
  /** In a template: the logical id of the resource the finding is about. */
  resource?: string;
}

export interface CorpusTrust {
  account?: string;
  org?: string;
  trustedAccounts: string[];
}

/** The parts of kmslint's Inventory (src/model/inventory.ts) the comparison reads. */
export interface CorpusInventory {
  keys: { resource: { address: string } }[];
  buckets: { resource: { address: string }; policies: { resource: { address: string } }[] }[];
  aliases: { resource: { address: string } }[];
  policies: { kind: "key-policy" | "bucket-policy"; resource: { address: string }; document?: { policy?: { statements: { index: number }[] } } }[];
}

export interface CorpusApi {
  lintText(input: Uint8Array | string, filePath: string, options: { kind?: "key-policy" | "bucket-policy"; trust?: CorpusTrust }): { findings: CorpusFinding[] };
  lintSource(bytes: Uint8Array, path: string, options: { trust?: CorpusTrust }, explicit?: boolean): Promise<{ kind: string; kindReason: string; findings: CorpusFinding[] } | undefined>;
  createDocument(input: Uint8Array | string, filePath: string): { policy?: { statements: { index: number }[] } };
  decodeSource(bytes: Uint8Array): { ok: true; text: string } | { ok: false };
  loadCloudFormationYaml(text: string, filePath: string, context: { trust: CorpusTrust }): CorpusInventory | undefined;
  loadCloudFormationJson(text: string, filePath: string, context: { trust: CorpusTrust }): CorpusInventory;
  expandStatementActions(statement: never, kind: "key-policy" | "bucket-policy"): { actions: string[]; byClass: Map<string, string[]>; all: boolean; service: string };
  patternMatches(pattern: string, service: string, name: string): boolean;
}

export interface ManifestEntry {
  id: string;
  file: string;
  kind: string;
  peerCheck: string;
  peerCheckName?: string;
  peerVerdict: "pass" | "fail";
  peerContext?: Record<string, unknown>;
  /** IaC cases: the resource the verdict applies to (`AWS::KMS::Key.AwsWildcard`). */
  resource?: string;
  lines?: number[];
  peerFindings?: unknown[];
  [field: string]: unknown;
}

export interface Reason {
  id?: string;
  text: string;
  kmslint?: "pass" | "fail";
  rules?: string[];
  suspectedBug?: boolean;
}

export interface Explanations {
  reasons?: Record<string, Omit<Reason, "id">>;
  cases?: Record<string, string | Reason | (string | Reason)[]>;
  [field: string]: unknown;
}

export interface PeerChecks {
  everyCheck?: { rules: string[]; why: string };
  checks: Record<string, unknown>[];
  [field: string]: unknown;
}

export type CaseStatus = "agree" | "explained" | "suspected-bug" | "unexplained" | "unmapped" | "not-covered" | "input-not-read";

/** Which findings of a template count for a case: the whole file, or one resource (and a bucket's attached policies). */
export type CaseScope = { file: true } | { file: false; type?: string; id: string; attached: string[] };

export interface NotRead {
  label: string;
  reason: string;
  howTo: string;
}

export interface SummaryRow {
  cases: number;
  agree: number;
  explained: number;
  suspected: number;
  unexplained: number;
  notCovered: number;
  notRead: number;
  [field: string]: unknown;
}

export interface CaseResult {
  entry: ManifestEntry;
  mapping?: Record<string, unknown>;
  status: CaseStatus;
  trust?: { account?: string; org?: string; trustedAccounts: string[] };
  findings?: CorpusFinding[];
  counted?: CorpusFinding[];
  kmslintVerdict?: "pass" | "fail";
  scope?: CaseScope;
  notRead?: NotRead;
  reasons?: Reason[];
  note?: string;
  staleExplanation?: boolean;
  staleBug?: string;
}

export interface CorpusResult {
  cases: CaseResult[];
  problems: string[];
  /** Compared cases, one row per (peerCheck, kind). */
  rows: SummaryRow[];
  /** Every case, one row per kind. */
  kinds: SummaryRow[];
  /** Cases whose input kmslint does not read, one row per (peerCheck, kind). */
  notRead: SummaryRow[];
  outOfScope: { kind: string; cases: number }[];
  peerChecks: PeerChecks;
  explanations: Explanations;
}

export const POLICY_KINDS: readonly string[];
export const TEMPLATE_KINDS: readonly string[];
export const NOT_READ: Readonly<Record<string, NotRead>>;
export const OUT_OF_SCOPE_KINDS: readonly string[];
export function loadInputs(paths: { corpusDir: string; peerChecksPath: string; explanationsPath: string }): { manifest: ManifestEntry[]; peerChecks: PeerChecks; explanations: Explanations };
export function compareCorpus(input: { api: CorpusApi; corpusDir: string; manifest: ManifestEntry[]; peerChecks: PeerChecks; explanations: Explanations }): Promise<CorpusResult>;
export function failures(result: CorpusResult): CaseResult[];
export function renderReport(result: CorpusResult): string;
export function summaryText(result: CorpusResult): string;
