/**
 * RuleTester in the style of ESLint's: a table of valid policies (no finding from the rule) and invalid ones
 * (exactly these findings, with positions). Policies are given as text, so positions are those of the text.
 */
import { describe, expect, it } from "vitest";
import { lintText, type Finding } from "../src/engine/linter.js";
import type { TrustContext } from "../src/engine/rule.js";
import type { PolicyKind } from "../src/model/policy.js";

export interface ExpectedFinding {
  messageId?: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  severity?: "error" | "warning" | "info";
  /** A substring the message must contain. */
  message?: string;
}

export interface ValidCase {
  name?: string;
  policy: string | object;
  kind?: PolicyKind;
  filePath?: string;
  trust?: TrustContext;
}

export interface InvalidCase extends ValidCase {
  errors: ExpectedFinding[];
}

/** Pretty-prints an object policy so that tests can count lines; strings are used as written. */
export function policyText(policy: string | object): string {
  return typeof policy === "string" ? policy : JSON.stringify(policy, null, 2);
}

export function findingsOf(ruleId: string, test: ValidCase): Finding[] {
  const result = lintText(policyText(test.policy), test.filePath ?? "policy.json", {
    ...(test.kind ? { kind: test.kind } : {}),
    ...(test.trust ? { trust: test.trust } : {}),
  });
  return result.findings.filter((f) => f.ruleId === ruleId);
}

export function ruleTester(ruleId: string, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(ruleId, () => {
    describe("valid", () => {
      cases.valid.forEach((test, i) => {
        it(test.name ?? `valid #${i}`, () => {
          const found = findingsOf(ruleId, test);
          expect(found.map((f) => `${f.range.start.line}:${f.range.start.column} ${f.message}`)).toEqual([]);
        });
      });
    });
    describe("invalid", () => {
      cases.invalid.forEach((test, i) => {
        it(test.name ?? `invalid #${i}`, () => {
          const found = findingsOf(ruleId, test);
          const actual = found.map((f, k) => {
            const want = test.errors[k];
            const got: ExpectedFinding = { line: f.range.start.line, column: f.range.start.column };
            if (want?.messageId !== undefined) got.messageId = f.messageId;
            if (want?.endLine !== undefined) got.endLine = f.range.end.line;
            if (want?.endColumn !== undefined) got.endColumn = f.range.end.column;
            if (want?.severity !== undefined) got.severity = f.severity;
            if (want?.message !== undefined) got.message = f.message.includes(want.message) ? want.message : f.message;
            return got;
          });
          expect(actual).toEqual(test.errors);
        });
      });
    });
  });
}
