import { describe, expect, it } from "vitest";
import { jsonStringOffsetMap, stringPolicyDocument, unresolvedText } from "../../src/model/embedded.js";
import { lineStartsOf, positionFromLineStarts } from "../../src/model/json.js";

/** A policy as a JSON string token on line 3 of a file, as a plan holds it. */
function embedded(policy: object, measure?: "text" | "compact") {
  const policyText = JSON.stringify(policy, null, 2);
  const token = JSON.stringify(policyText);
  const file = `{\n  "values": {\n    "policy": ${token}\n  }\n}\n`;
  const tokenStart = file.indexOf(token);
  const toSource = jsonStringOffsetMap(token, tokenStart);
  const lineStarts = lineStartsOf(file);
  const at = (offset: number) => positionFromLineStarts(lineStarts, file.length, toSource(offset));
  const whole = { start: at(0), end: at(policyText.length) };
  return { file, document: stringPolicyDocument({ filePath: "plan.json", text: policyText, toOuter: at, whole, anchor: whole, sizeBasis: "as sent", ...(measure ? { measure } : {}) }) };
}

const policy = (principal: string) => ({ Version: "2012-10-17", Statement: [{ Sid: "Reader", Effect: "Allow", Principal: { AWS: principal }, Action: "kms:Decrypt", Resource: "*" }] });

describe("policies written as strings inside another file", () => {
  it("a value kmslint substituted is unresolved at its path, and its «…» marks are not the user's characters", () => {
    const { document } = embedded(policy(unresolvedText("!Ref Reader")));
    expect(document.isUnresolved?.(["Statement", 0, "Principal", "AWS"])).toBe(true);
    expect(document.isUnresolved?.(["Statement", 0, "Action"])).toBe(false);
    expect(document.charactersMatching(/[^\t\n\r\u0020-\u007e]/u)).toEqual([]);
  });

  it("a character the user wrote is still found, at its position in the file", () => {
    const { document, file } = embedded(policy("arn:aws:iam::111122223333:role/r\u2013x"));
    const [found] = document.charactersMatching(/[^\t\n\r\u0020-\u007e]/u);
    expect(found!.codePoint).toBe(0x2013);
    expect(file.split("\n")[found!.range.start.line - 1]!.slice(found!.range.start.column - 1)).toMatch(/^\u2013/);
  });

  it("measures the string as sent, or compact when the deploying tool re-serializes it", () => {
    const text = JSON.stringify(policy("arn:aws:iam::111122223333:root"), null, 2);
    expect(embedded(policy("arn:aws:iam::111122223333:root")).document.rawBytes).toBe(text.length);
    expect(embedded(policy("arn:aws:iam::111122223333:root"), "compact").document.rawBytes).toBe(JSON.stringify(JSON.parse(text)).length);
  });

  it("compact as Go writes it: & < > are six bytes each", () => {
    const withAmpersand = policy("arn:aws:iam::111122223333:role/a&b<c>");
    expect(embedded(withAmpersand, "compact").document.rawBytes).toBe(JSON.stringify(withAmpersand).length + 15);
  });
});
