/**
 * The corpus comparison (npm run corpus) run in process over kmslint's sources: every disagreement between
 * kmslint and a peer's verdict on ../shared/corpus must be explained in test/corpus/explanations.json (or be
 * fixed in kmslint), and test/corpus/report.md must be what a fresh run writes.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expandStatementActions, patternMatches } from "../src/analysis/actions.js";
import { lintText } from "../src/engine/linter.js";
import { createDocument } from "../src/model/document.js";
import { compareCorpus, failures, loadInputs, renderReport, type CaseResult, type CorpusApi, type Explanations } from "../scripts/corpus-compare.mjs";

const CORPUS = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));
const REPORT = fileURLToPath(new URL("./corpus/report.md", import.meta.url));
const api = { lintText, createDocument, expandStatementActions, patternMatches } as unknown as CorpusApi;
const inputs = loadInputs({
  corpusDir: CORPUS,
  peerChecksPath: fileURLToPath(new URL("./corpus/peer-checks.json", import.meta.url)),
  explanationsPath: fileURLToPath(new URL("./corpus/explanations.json", import.meta.url)),
});
const run = (explanations: Explanations = inputs.explanations) => compareCorpus({ api, corpusDir: CORPUS, ...inputs, explanations });
const result = run();

const describeCase = (c: CaseResult) =>
  `${c.status}: ${c.entry.id} ${c.entry.file} (${c.entry.peerCheck}; peer ${c.entry.peerVerdict}, kmslint ${c.kmslintVerdict ?? "—"})${c.note ? ` — ${c.note}` : ""}`;

describe("corpus comparison with the peers (npm run corpus)", () => {
  it("covers every key-policy and bucket-policy case of the manifest", () => {
    const expected = inputs.manifest.filter((e) => e.kind === "key-policy" || e.kind === "bucket-policy").length;
    expect(expected).toBeGreaterThan(400);
    expect(result.cases).toHaveLength(expected);
    expect(result.cases.filter((c) => c.status === "agree").length).toBeGreaterThan(0);
  });

  it("finds every case a mapping, and the data files are consistent", () => {
    expect(result.problems).toEqual([]);
  });

  it("leaves no disagreement unexplained (suspected kmslint bugs count until fixed)", () => {
    expect(failures(result).map(describeCase)).toEqual([]);
  });

  it("test/corpus/report.md is up to date (run npm run corpus)", () => {
    expect(existsSync(REPORT)).toBe(true);
    expect(readFileSync(REPORT, "utf8")).toBe(renderReport(result));
  });

  describe("can fail", () => {
    const explained = result.cases.find((c) => c.status === "explained" && c.kmslintVerdict === "fail")!;

    it("a disagreement whose explanation is removed is unexplained", () => {
      const cases = { ...inputs.explanations.cases };
      delete cases[explained.entry.id];
      const changed = run({ ...inputs.explanations, cases }).cases.find((c) => c.entry.id === explained.entry.id)!;
      expect(changed.status).toBe("unexplained");
    });

    it("an explanation that does not account for the rules kmslint failed the case with does not count", () => {
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: { text: "about another rule", kmslint: "fail" as const, rules: ["no-such-rule"] } };
      const changed = run({ ...inputs.explanations, cases }).cases.find((c) => c.entry.id === explained.entry.id)!;
      expect(changed.status).toBe("unexplained");
      expect(changed.note).toContain("no-such-rule");
    });

    it("an explanation about the other kmslint verdict does not count", () => {
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: { text: "kmslint passes it", kmslint: "pass" as const } };
      expect(run({ ...inputs.explanations, cases }).cases.find((c) => c.entry.id === explained.entry.id)!.status).toBe("unexplained");
    });

    it("a reference to an unknown reason is a problem", () => {
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: "no-such-reason" };
      expect(run({ ...inputs.explanations, cases }).problems.join("\n")).toContain("unknown reason");
    });

    it("a suspected-bug reason keeps the case failing while kmslint still reports what it names", () => {
      const reasons = { ...inputs.explanations.reasons, "test-bug": { text: "bug", kmslint: "fail" as const, suspectedBug: true, rules: explained.counted!.map((f) => f.ruleId) } };
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: "test-bug" };
      const changed = run({ reasons, cases }).cases.find((c) => c.entry.id === explained.entry.id)!;
      expect(changed.status).toBe("suspected-bug");
    });

    it("the report shows a stale report as out of date", () => {
      const cases = { ...inputs.explanations.cases };
      delete cases[explained.entry.id];
      expect(renderReport(run({ ...inputs.explanations, cases }))).not.toBe(readFileSync(REPORT, "utf8"));
    });
  });
});
