// Types for scripts/corpus-compare.mjs (plain ESM, shared by scripts/corpus-report.mjs and test/corpus-report.test.ts).

export interface CorpusFinding {
  ruleId: string;
  severity: "error" | "warning" | "info";
  message: string;
  messageId: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
  statement?: { index: number; sid?: string };
}

export interface CorpusApi {
  lintText(input: Uint8Array | string, filePath: string, options: { kind?: "key-policy" | "bucket-policy"; trust?: { account?: string; org?: string; trustedAccounts: string[] } }): { findings: CorpusFinding[] };
  createDocument(input: Uint8Array | string, filePath: string): { policy?: { statements: { index: number }[] } };
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

export type CaseStatus = "agree" | "explained" | "suspected-bug" | "unexplained" | "unmapped" | "not-covered";

export interface CaseResult {
  entry: ManifestEntry;
  mapping?: Record<string, unknown>;
  status: CaseStatus;
  trust?: { account?: string; org?: string; trustedAccounts: string[] };
  findings?: CorpusFinding[];
  counted?: CorpusFinding[];
  kmslintVerdict?: "pass" | "fail";
  reasons?: Reason[];
  note?: string;
  staleExplanation?: boolean;
  staleBug?: string;
}

export interface CorpusResult {
  cases: CaseResult[];
  problems: string[];
  rows: Record<string, unknown>[];
  peerChecks: PeerChecks;
  explanations: Explanations;
}

export const POLICY_KINDS: readonly string[];
export function loadInputs(paths: { corpusDir: string; peerChecksPath: string; explanationsPath: string }): { manifest: ManifestEntry[]; peerChecks: PeerChecks; explanations: Explanations };
export function compareCorpus(input: { api: CorpusApi; corpusDir: string; manifest: ManifestEntry[]; peerChecks: PeerChecks; explanations: Explanations }): CorpusResult;
export function failures(result: CorpusResult): CaseResult[];
export function renderReport(result: CorpusResult): string;
export function summaryText(result: CorpusResult): string;
