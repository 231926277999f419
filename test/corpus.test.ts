/**
 * The shared evaluation corpus (../shared/corpus: real key and bucket policies from peer tools' test suites,
 * AWS documentation and AWS managed keys, plus IaC files and the peers' metadata): every file kmslint can read
 * (JSON policies and metadata, CloudFormation templates in YAML or JSON, other YAML) must lint without an
 * exception and with well-formed findings inside the file, in-process (lintSource, what the CLI runs for a
 * file) and through the built CLI, and a few facts the manifest states must hold.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { lintSource } from "../src/cli/lint-task.js";
import type { DocumentResult, Finding } from "../src/engine/linter.js";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const CORPUS = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));
const CLI = join(REPO, "bin", "kmslint.js");
const BUNDLE = join(REPO, "dist", "kmslint.js");

interface ManifestEntry {
  id?: string;
  file: string;
  kind: "key-policy" | "bucket-policy" | "identity-policy" | "terraform" | "cloudformation";
  jsonValid?: boolean;
}

interface CliMessage {
  ruleId: string;
  severity: number;
  message: string;
  messageId?: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fatal?: boolean;
}

interface CliResult {
  filePath: string;
  kind: string;
  messages: CliMessage[];
  errorCount: number;
  warningCount: number;
}

/** Whether a parsed policy has statements and none of them has a Principal or NotPrincipal element. */
function namesNoPrincipal(policy: unknown): boolean {
  const statement = (policy as { Statement?: unknown }).Statement;
  const statements = (Array.isArray(statement) ? statement : [statement]).filter((s): s is object => s !== null && typeof s === "object" && !Array.isArray(s));
  return statements.length > 0 && !statements.some((s) => Object.keys(s).some((k) => k === "Principal" || k === "NotPrincipal"));
}

/** The files kmslint reads: policies and plans (.json), CloudFormation templates (.json, .yaml, .yml, .template). */
const READABLE = /\.(json|ya?ml|template)$/i;

function readableFilesUnder(directory: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) out.push(...readableFilesUnder(path));
    else if (entry.isFile() && READABLE.test(entry.name)) out.push(path);
  }
  return out.sort();
}

const files = readableFilesUnder(CORPUS);
const manifest = JSON.parse(readFileSync(join(CORPUS, "MANIFEST.json"), "utf8")) as ManifestEntry[];
const relativeName = (path: string) => relative(CORPUS, path).split("\\").join("/");

/** What is wrong with a finding, if anything (same contract as the fuzz test). */
function problemsOf(f: Finding): string[] {
  const problems: string[] = [];
  if (typeof f.ruleId !== "string" || f.ruleId === "") problems.push("empty ruleId");
  if (typeof f.message !== "string" || f.message.trim() === "") problems.push("empty message");
  else if (/undefined|\{\{|\[object Object\]/.test(f.message)) problems.push(`message has a template leftover: ${f.message}`);
  if (!["error", "warning", "info"].includes(f.severity)) problems.push(`severity ${String(f.severity)}`);
  const { start, end } = f.range;
  for (const [p, what] of [[start, "start"], [end, "end"]] as const) {
    if (!Number.isInteger(p.line) || p.line < 1) problems.push(`${what}.line ${p.line}`);
    if (!Number.isInteger(p.column) || p.column < 1) problems.push(`${what}.column ${p.column}`);
  }
  if (end.line < start.line || (end.line === start.line && end.column < start.column)) problems.push("range ends before it starts");
  return problems;
}

function cliProblemsOf(m: CliMessage): string[] {
  const problems: string[] = [];
  if (typeof m.ruleId !== "string" || m.ruleId === "") problems.push("empty ruleId");
  if (typeof m.message !== "string" || m.message.trim() === "") problems.push("empty message");
  if (![0, 1, 2].includes(m.severity)) problems.push(`severity ${m.severity}`);
  if (!(m.line >= 1 && m.column >= 1 && m.endLine >= 1 && m.endColumn >= 1)) problems.push("a position below 1");
  if (m.endLine < m.line || (m.endLine === m.line && m.endColumn < m.column)) problems.push("range ends before it starts");
  return problems;
}

/** What is wrong with where a finding points in its file (lines are 1-based; a column may be one past the end of its line). */
function positionProblemsOf(f: Finding, lineLengths: number[]): string[] {
  const problems: string[] = [];
  for (const [p, what] of [[f.range.start, "start"], [f.range.end, "end"]] as const) {
    const length = lineLengths[p.line - 1];
    if (length === undefined) problems.push(`${what}.line ${p.line} is past the last line (${lineLengths.length})`);
    else if (p.column > length + 1) problems.push(`${what} ${p.line}:${p.column} is past the end of line ${p.line} (${length} characters)`);
  }
  return problems;
}

/** The length of every line of a file's text (UTF-8, byte order mark dropped), as editors count columns. */
function lineLengthsOf(bytes: Uint8Array): number[] {
  const text = new TextDecoder("utf-8").decode(bytes);
  return text.split(/\r\n|\r|\n/).map((line) => line.length);
}

/** Lints a file as the CLI does when it is named on the command line. */
async function lintFile(path: string): Promise<DocumentResult> {
  const result = await lintSource(readFileSync(path), path, {}, true);
  if (!result) throw new Error(`lintSource skipped ${path}, which was named explicitly`);
  return result;
}

/** In-process results by absolute path, filled by the first test (or on demand when a test runs alone). */
const inProcess = new Map<string, DocumentResult>();
const resultOf = async (file: string): Promise<DocumentResult> => {
  const path = resolve(CORPUS, file);
  let result = inProcess.get(path);
  if (!result) {
    result = await lintFile(path);
    inProcess.set(path, result);
  }
  return result;
};

describe("the shared corpus", () => {
  it("is where the test expects it", () => {
    expect(files.length).toBeGreaterThan(500);
    expect(manifest.length).toBeGreaterThan(700);
    for (const entry of manifest) expect(existsSync(join(CORPUS, entry.file)), entry.file).toBe(true);
  });

  it("reads every kind of file the manifest names: JSON, and CloudFormation YAML (.yaml, .yml)", () => {
    const named = new Set(manifest.filter((e) => e.kind !== "terraform").map((e) => resolve(CORPUS, e.file)));
    expect([...named].filter((path) => !files.includes(path))).toEqual([]);
    expect(files.filter((path) => /\.ya?ml$/i.test(path)).length).toBeGreaterThan(60);
  });

  it("every readable file lints in-process (lintSource) without an exception, with well-formed findings inside the file", async () => {
    const failures: string[] = [];
    for (const path of files) {
      const bytes = readFileSync(path);
      let result: DocumentResult;
      try {
        result = await lintFile(path);
      } catch (error) {
        failures.push(`${relativeName(path)}: threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        continue;
      }
      inProcess.set(path, result);
      const lineLengths = lineLengthsOf(bytes);
      for (const finding of result.findings) {
        for (const problem of [...problemsOf(finding), ...positionProblemsOf(finding, lineLengths)]) failures.push(`${relativeName(path)}: ${finding.ruleId}/${finding.messageId}: ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    expect(inProcess.size).toBe(files.length);
  });

  it("every CloudFormation case of the manifest is read as a template", async () => {
    const templates = [...new Set(manifest.filter((e) => e.kind === "cloudformation").map((e) => e.file))];
    expect(templates.length).toBeGreaterThan(80);
    const wrong: string[] = [];
    for (const file of templates) {
      const result = await resultOf(file);
      if (result.kind !== "cloudformation") wrong.push(`${file}: ${result.kind} (${result.kindReason})`);
    }
    expect(wrong).toEqual([]);
  });

  it("the 4 files the manifest marks as not valid JSON each get invalid-json, and nothing else", async () => {
    const invalid = [...new Set(manifest.filter((e) => e.jsonValid === false).map((e) => e.file))];
    expect(invalid).toHaveLength(4);
    for (const file of invalid) {
      const findings = (await resultOf(file)).findings.map((f) => `${f.ruleId}/${f.severity}`);
      expect(findings, file).toEqual(["invalid-json/error"]);
    }
  });

  it("every key or bucket policy of the manifest that is valid JSON is read as a policy (no invalid-json, no 'not a policy')", async () => {
    const policies = [...new Set(manifest.filter((e) => (e.kind === "key-policy" || e.kind === "bucket-policy") && e.jsonValid !== false).map((e) => e.file))];
    expect(policies.length).toBeGreaterThan(400);
    const wrong: string[] = [];
    for (const file of policies) {
      const bad = (await resultOf(file)).findings.filter((f) => f.ruleId === "invalid-json" || f.messageId === "notObject" || f.messageId === "notPolicy");
      if (bad.length > 0) wrong.push(`${file}: ${bad.map((f) => `${f.ruleId}/${f.messageId} ${f.message}`).join("; ")}`);
    }
    expect(wrong).toEqual([]);
  });

  it("every key policy of the manifest is detected as a key policy, but the ones in which no statement names a principal", async () => {
    const keyPolicies = [...new Set(manifest.filter((e) => e.kind === "key-policy" && e.jsonValid !== false).map((e) => e.file))];
    expect(keyPolicies.length).toBeGreaterThan(150);
    // AWS tells an identity policy by its having no principal, and so does kmslint (unless the file name says key
    // policy): these two peer test cases are key policies that lost every principal (KMS rejects them).
    const noPrincipal = keyPolicies.filter((file) => namesNoPrincipal(JSON.parse(readFileSync(join(CORPUS, file), "utf8"))));
    expect(noPrincipal).toEqual(["kics/terraform/policy_without_principal/extracted/positive_tf.json", "prowler/kms_key_not_publicly_accessible/test_kms_key_empty_principal.json"]);
    const wrong: string[] = [];
    for (const file of keyPolicies) {
      const result = await resultOf(file);
      const expected = noPrincipal.includes(file) ? "identity-policy" : "key-policy";
      if (result.kind !== expected) wrong.push(`${file}: ${result.kind} (${result.kindReason})`);
    }
    expect(wrong).toEqual([]);
  });

  it("MANIFEST.json itself (a JSON array) is reported as not a policy document", async () => {
    const findings = (await resultOf("MANIFEST.json")).findings.map((f) => `${f.ruleId}/${f.messageId}/${f.severity}`);
    expect(findings).toEqual(["invalid-policy/notObject/error"]);
  });

  describe("through the built CLI", () => {
    beforeAll(() => {
      if (!existsSync(BUNDLE)) execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: REPO, stdio: "inherit" });
    }, 180_000);

    it("lints every file: exit code 0 or 1, no internal error or stack trace, JSON with one result per file", () => {
      // One spawn for all files; batches only if the command line would be too long for the OS.
      const MAX_ARGUMENT_CHARS = 100_000;
      const batches: string[][] = [[]];
      let length = 0;
      for (const path of files) {
        if (length + path.length + 1 > MAX_ARGUMENT_CHARS && batches[batches.length - 1]!.length > 0) {
          batches.push([]);
          length = 0;
        }
        batches[batches.length - 1]!.push(path);
        length += path.length + 1;
      }

      const failures: string[] = [];
      let resultCount = 0;
      for (const batch of batches) {
        const run = spawnSync(process.execPath, [CLI, "lint", "--format", "json", ...batch], {
          cwd: REPO,
          encoding: "utf8",
          maxBuffer: 512 * 1024 * 1024,
          env: { ...process.env, NO_COLOR: "1" },
        });
        expect(run.error).toBeUndefined();
        expect(run.signal).toBeNull();
        expect(run.stderr).not.toContain("internal error");
        expect(run.stderr).not.toContain("    at ");
        expect([0, 1]).toContain(run.status);

        let results: CliResult[];
        try {
          results = JSON.parse(run.stdout) as CliResult[];
        } catch (error) {
          throw new Error(`stdout is not JSON (${String(error)}): ${run.stdout.slice(0, 500)}`, { cause: error });
        }
        expect(Array.isArray(results)).toBe(true);
        expect(results.map((r) => r.filePath).sort()).toEqual(batch.map((p) => resolve(p)).sort());
        resultCount += results.length;

        const errors = results.reduce((sum, r) => sum + r.errorCount, 0);
        expect(run.status, "exit code 1 exactly when some file has an error").toBe(errors > 0 ? 1 : 0);

        for (const r of results) {
          const name = relativeName(r.filePath);
          for (const m of r.messages) for (const problem of cliProblemsOf(m)) failures.push(`${name}: ${m.ruleId}: ${problem}`);
          if (r.errorCount !== r.messages.filter((m) => m.severity === 2).length) failures.push(`${name}: errorCount ${r.errorCount} does not count its errors`);
          if (r.warningCount !== r.messages.filter((m) => m.severity === 1).length) failures.push(`${name}: warningCount ${r.warningCount} does not count its warnings`);
          // The CLI reports what the library reports for the same bytes.
          const library = inProcess.get(r.filePath);
          if (library) {
            const fromCli = r.messages.map((m) => `${m.ruleId} ${m.line}:${m.column}`);
            const fromLibrary = library.findings.map((f) => `${f.ruleId} ${f.range.start.line}:${f.range.start.column}`);
            if (JSON.stringify(fromCli) !== JSON.stringify(fromLibrary)) failures.push(`${name}: CLI ${JSON.stringify(fromCli)} but lintSource ${JSON.stringify(fromLibrary)}`);
          }
        }

        for (const file of new Set(manifest.filter((e) => e.jsonValid === false).map((e) => e.file))) {
          const r = results.find((x) => x.filePath === resolve(CORPUS, file));
          if (r && !r.messages.some((m) => m.ruleId === "invalid-json" && m.severity === 2 && m.fatal === true)) failures.push(`${file}: no fatal invalid-json error from the CLI`);
        }
      }
      expect(failures).toEqual([]);
      expect(resultCount).toBe(files.length);
    }, 120_000);
  });
});
