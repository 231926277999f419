/**
 * The examples in the rule pages (rules/*.md) and docs/semantics.md are run, not trusted: every policy,
 * template or plan block is linted with the flags the prose gives ("Linted with `--account …`") and the
 * output block that follows it (```text) must be exactly what kmslint prints, as `line:col  level  message
 * ruleId` lines. Prose that says kmslint "reports nothing" expects no finding. An account snapshot (a JSON block
 * starting with "Account") is audited through the fake AWS endpoint, and its output groups findings under
 * each resource's ARN.
 *
 * KMSLINT_UPDATE_DOCS=1 rewrites the output blocks from kmslint's current output (review the diff).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintSource, type LintTask } from "../src/cli/lint-task.js";
import type { Finding } from "../src/engine/linter.js";
import type { TrustContext } from "../src/engine/rule.js";
import type { AccountSnapshot } from "../src/fake-aws/snapshot.js";
import { auditSnapshot, renderAudit } from "./audit-helpers.js";

const ROOT = resolve(import.meta.dirname, "..");
const UPDATE = process.env["KMSLINT_UPDATE_DOCS"] === "1";
const tmp = mkdtempSync(join(tmpdir(), "kmslint-docs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Block {
  lang: string;
  body: string;
  start: number;
  end: number;
}

interface Example {
  name: string;
  block: Block;
  flags: string[];
  expected: string | undefined;
  output: Block | undefined;
}

const INPUT = /"Statement"|AWSTemplateFormatVersion|^Resources:|"format_version"|"Kms"/m;
/** An account snapshot (src/fake-aws/snapshot.ts): audited through the fake AWS endpoint, as `kmslint audit --demo FILE` would. */
const SNAPSHOT = /^\{\s*"Account"\s*:/;

function examplesOf(file: string, text: string): Example[] {
  const blocks: Block[] = [];
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  for (let m; (m = fence.exec(text)); ) blocks.push({ lang: m[1]!, body: m[2]!, start: m.index, end: fence.lastIndex });
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    if ((block.lang !== "json" && block.lang !== "yaml") || !INPUT.test(block.body)) return;
    const previous = blocks[i - 1];
    const before = text.slice(previous ? previous.end : 0, block.start);
    const nextInput = blocks.slice(i + 1).find((b) => (b.lang === "json" || b.lang === "yaml") && INPUT.test(b.body));
    const output = blocks.slice(i + 1).find((b) => b.lang === "text" && (!nextInput || b.start < nextInput.start));
    const after = text.slice(block.end, output?.start ?? nextInput?.start ?? text.length);
    const nothing = !output && /reports\s+nothing|no\s+findings?\b|nothing\s+to\s+report/i.test(`${before} ${after}`);
    const flags = /[Ll]inted\s+with\s+`(--[^`]*)`/.exec(before)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    examples.push({ name: `${file} example ${examples.length + 1} (line ${text.slice(0, block.start).split("\n").length})`, block, flags, expected: nothing ? "" : output?.body.trimEnd(), output });
  });
  return examples;
}

function optionsOf(flags: string[]): LintTask["options"] {
  const trust: TrustContext = { trustedAccounts: [] };
  const options: LintTask["options"] = { trust };
  const parameters: Record<string, string> = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    const value = flags[++i];
    if (value === undefined) throw new Error(`flag ${flag} has no value`);
    if (flag === "--account") trust.account = value;
    else if (flag === "--org") trust.org = value;
    else if (flag === "--trusted-account") trust.trustedAccounts.push(value);
    else if (flag === "--kind") options.kind = value as NonNullable<LintTask["options"]["kind"]>;
    else if (flag === "--parameter") parameters[value.slice(0, value.indexOf("="))] = value.slice(value.indexOf("=") + 1);
    else throw new Error(`the docs test does not know the flag ${flag}`);
  }
  if (Object.keys(parameters).length > 0) options.parameters = parameters;
  return options;
}

/** The CLI's text layout for one file: `line:col  level  message  ruleId`, columns aligned. */
function render(findings: Finding[]): string {
  const at = findings.map((f) => `${f.range.start.line}:${f.range.start.column}`);
  const w1 = Math.max(...at.map((s) => s.length));
  const w2 = Math.max(...findings.map((f) => f.severity.length));
  return findings.map((f, i) => `${at[i]!.padEnd(w1)}  ${f.severity.padEnd(w2)}  ${f.message}  ${f.ruleId}`).join("\n");
}

const files = [...readdirSync(join(ROOT, "rules")).filter((f) => f.endsWith(".md")).map((f) => join("rules", f)), join("docs", "semantics.md")];

describe("documentation examples print what kmslint prints", () => {
  for (const file of files) {
    const path = join(ROOT, file);
    const text = readFileSync(path, "utf8");
    const examples = examplesOf(file, text);
    if (examples.length === 0) continue;
    it(`${file} (${examples.length} examples)`, async () => {
      const updates: { block: Block; actual: string }[] = [];
      for (const [n, example] of examples.entries()) {
        let actual: string;
        if (SNAPSHOT.test(example.block.body)) {
          // Audited as of the date the prose gives ("Audited on 2026-11-24"), so that expiry stays the same.
          const on = /[Aa]udited on (\d{4}-\d{2}-\d{2})/.exec(text.slice(0, example.block.start))?.[1] ?? "2026-11-24";
          const snapshot = JSON.parse(example.block.body) as AccountSnapshot;
          const { findings } = await auditSnapshot(snapshot, { readAt: new Date(`${on}T00:00:00Z`), collect: { accessAnalyzer: "AccessAnalyzer" in snapshot } });
          actual = renderAudit(findings);
        } else {
          const input = join(tmp, `${file.replace(/[/.]/g, "-")}-${n}.${example.block.lang}`);
          writeFileSync(input, example.block.body);
          const result = await lintSource(readFileSync(input), input, optionsOf(example.flags));
          actual = render(result?.findings ?? []);
        }
        if (UPDATE && example.output && example.expected !== actual) {
          updates.push({ block: example.output, actual });
          continue;
        }
        expect(example.expected, `${example.name}: no output block and no "reports nothing"`).toBeDefined();
        if (process.env["KMSLINT_DOCS_SHOW"]) console.log(`${example.name}\n${actual}`);
        expect(actual, example.name).toBe(example.expected);
      }
      if (updates.length > 0) {
        let out = text;
        for (const u of updates.reverse()) out = `${out.slice(0, u.block.start)}\`\`\`text\n${u.actual}\n\`\`\`${out.slice(u.block.end)}`;
        writeFileSync(path, out);
      }
    });
  }
});
