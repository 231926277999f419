/** Access Analyzer's locations onto kmslint's positions: a path into the policy value, and a span (columns from 0) into the text. */
import { describe, expect, it } from "vitest";
import { pathOf, rangeOfSpan } from "../../src/cli/access-analyzer-files.js";

const POLICY = { Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypts"], Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } }] };

describe("pathOf", () => {
  it.each([
    ["keys and indexes", [{ key: "Statement" }, { index: 0 }, { key: "Action" }, { index: 1 }], ["Statement", 0, "Action", 1]],
    ["a value in an array is found by its text", [{ value: "Statement" }, { index: 0 }, { value: "Action" }, { value: "kms:Decrypts" }], ["Statement", 0, "Action", 1]],
    ["a value naming a member is that member", [{ key: "Statement" }, { index: 0 }, { value: "Condition" }, { value: "StringEquals" }, { value: "aws:PrincipalOrgID" }], ["Statement", 0, "Condition", "StringEquals", "aws:PrincipalOrgID"]],
    ["a substring stops at its parent", [{ key: "Statement" }, { index: 0 }, { key: "Sid" }, { substring: { start: 0, length: 1 } }], ["Statement", 0, "Sid"]],
    ["a value that is not there stops before it", [{ key: "Statement" }, { index: 0 }, { key: "Action" }, { value: "kms:Nothing" }], ["Statement", 0, "Action"]],
    ["no path is the whole policy", [], []],
  ])("%s", (_name, elements, expected) => {
    expect(pathOf(elements as never, POLICY)).toEqual(expected);
  });
});

describe("rangeOfSpan", () => {
  it("keeps lines (from 1) and offsets, and moves columns from 0 to from 1", () => {
    expect(rangeOfSpan({ start: { line: 15, column: 32, offset: 301 }, end: { line: 15, column: 46, offset: 315 } })).toEqual({
      start: { line: 15, column: 33, offset: 301 },
      end: { line: 15, column: 47, offset: 315 },
    });
  });

  it("is undefined for a span without its positions", () => {
    expect(rangeOfSpan({ start: { line: 1 } })).toBeUndefined();
  });
});
