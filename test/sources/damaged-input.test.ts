/**
 * Bad input never crashes and never passes silently, for templates and plans too: random damage to real
 * templates and plans (characters deleted, inserted or replaced, lines swapped or dropped, values changed to
 * other types) is linted through the same entry as the CLI, and every run must return findings whose
 * positions lie inside the file. KMSLINT_DAMAGE_RUNS sets the number of runs (400 by default).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lintSource } from "../../src/cli/lint-task.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const EXAMPLES = join(import.meta.dirname, "..", "..", "policies-examples");
const SOURCES = [
  { name: "intrinsics.yaml", text: readFileSync(join(FIXTURES, "cfn", "intrinsics.yaml"), "utf8") },
  { name: "intrinsics.json", text: readFileSync(join(FIXTURES, "cfn", "intrinsics.json"), "utf8") },
  { name: "bucket-key-mismatch.yaml", text: readFileSync(join(EXAMPLES, "cloudformation", "bad-bucket-key-mismatch.yaml"), "utf8") },
  { name: "module-plan.json", text: readFileSync(join(FIXTURES, "tf", "module-plan.json"), "utf8") },
  { name: "escapes-plan.json", text: readFileSync(join(FIXTURES, "tf", "escapes-plan.json"), "utf8") },
];

const PIECES = ["!Ref", "!Sub ${", "!GetAtt X.", "!If [", ":", "- ", "{", "}", "[", "]", '"', "\\", "\\u00", "\t", "\n", "*", "&a", "*a", "<<: ", "null", "012345678901", "«", "${AWS::AccountId}", '{"Fn::Sub": "${', '"policy": "{\\"Statement\\"'];

type Edit = { at: number; kind: "delete" | "insert" | "replace" | "swap-lines" | "drop-line"; length: number; piece: string };

const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("delete", "insert", "replace", "swap-lines", "drop-line"),
  length: fc.integer({ min: 1, max: 40 }),
  piece: fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })),
});

function damage(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % out.length;
    if (edit.kind === "delete") out = out.slice(0, at) + out.slice(at + edit.length);
    else if (edit.kind === "insert") out = out.slice(0, at) + edit.piece + out.slice(at);
    else if (edit.kind === "replace") out = out.slice(0, at) + edit.piece + out.slice(at + edit.length);
    else {
      const lines = out.split("\n");
      const i = at % lines.length;
      const j = (i + edit.length) % lines.length;
      if (edit.kind === "drop-line") lines.splice(i, 1);
      else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      out = lines.join("\n");
    }
  }
  return out;
}

describe("damaged templates and plans", () => {
  it("never throw, and every finding points inside the file", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SOURCES), fc.array(editArb, { minLength: 1, maxLength: 4 }), fc.boolean(), async (source, edits, withAccount) => {
        const text = damage(source.text, edits);
        const lines = text.split("\n");
        const result = await lintSource(Buffer.from(text), source.name, { trust: { trustedAccounts: [], ...(withAccount ? { account: "111122223333" } : {}) } });
        // Inside a folder a file that is no longer a template may be skipped; named, it is always a result.
        expect(result).toBeDefined();
        for (const f of result!.findings) {
          for (const p of [f.range.start, f.range.end]) {
            expect(p.line, `${f.ruleId} ${f.message}`).toBeGreaterThanOrEqual(1);
            expect(p.line, `${f.ruleId} ${f.message}`).toBeLessThanOrEqual(lines.length);
            expect(p.column).toBeGreaterThanOrEqual(1);
            expect(p.column).toBeLessThanOrEqual(lines[p.line - 1]!.length + 2);
          }
        }
      }),
      { numRuns: Number(process.env["KMSLINT_DAMAGE_RUNS"] ?? 400) },
    );
  }, 120_000);

  it("a YAML syntax error points inside the file (the parser's line counter stops at the error; found by the property above)", async () => {
    const source = SOURCES.find((s) => s.name === "bucket-key-mismatch.yaml")!.text;
    const lines = source.split("\n");
    [lines[0], lines[7]] = [lines[7]!, lines[0]!];
    let text = lines.join("\n");
    text = text.slice(0, 15) + text.slice(31);
    const result = await lintSource(Buffer.from(text), "t.yaml", { trust: { trustedAccounts: [] } });
    const [finding] = result!.findings;
    expect(finding!.ruleId).toBe("invalid-json");
    expect([finding!.range.start.line, finding!.range.start.column]).toEqual([2, 2]);
    const end = finding!.range.end;
    expect(end.column).toBeLessThanOrEqual(text.split("\n")[end.line - 1]!.length + 1);
  });

  it("a template whose every line is shuffled still yields a result, not an exception", async () => {
    const shuffled = SOURCES[0]!.text.split("\n").reverse().join("\n");
    const result = await lintSource(Buffer.from(shuffled), "t.yaml", { trust: { trustedAccounts: [] } });
    expect(result!.findings.some((f) => f.ruleId === "invalid-json" || f.ruleId === "invalid-policy")).toBe(true);
  });
});
