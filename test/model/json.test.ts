import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseJson, scanToPath, type ScanMark } from "../../src/model/json.js";
import { createDocument } from "../../src/model/document.js";
import { decodeSource } from "../../src/model/source.js";

const ok = (text: string) => {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed;
};

describe("parseJson positions", () => {
  it("locates values and keys by path, 1-based", () => {
    const p = ok('{\n  "Statement": [\n    {"Effect": "Allow"}\n  ]\n}');
    expect(p.locator.locate(["Statement", 0, "Effect"]).start).toMatchObject({ line: 3, column: 16 });
    expect(p.locator.locate(["Statement", 0, "Effect"], "key").start).toMatchObject({ line: 3, column: 6 });
    expect(p.locator.locate(["Statement", 0, "Effect"]).end).toMatchObject({ line: 3, column: 23 });
  });

  it("counts CRLF as one line break", () => {
    const p = ok('{\r\n  "A": 1,\r\n  "B": 2\r\n}');
    expect(p.locator.locate(["B"]).start).toMatchObject({ line: 3, column: 8 });
  });

  it("takes the last of duplicate keys, as JSON.parse does", () => {
    const p = ok('{"Effect": "Deny", "Effect": "Allow"}');
    expect(p.value).toEqual({ Effect: "Allow" });
    expect(p.locator.locate(["Effect"]).start.column).toBe(30);
  });

  it("finds duplicate keys at any depth, not in strings that merely look like keys", () => {
    const p = ok('{"a": "\\"a\\": 1", "b": {"c": 1, "c": 2}, "d": [{"e": 1}, {"e": 1}]}');
    expect(p.locator.hasDuplicateKeys).toBe(true);
    expect(p.locator.duplicateKeys().map((d) => [d.key, d.objectPath, d.duplicate.start.column])).toEqual([["c", ["b"], 33]]);
  });

  it("does not parse with positions when nothing needs them", () => {
    const p = ok('{"a": "x", "b": ["y", "z"]}');
    expect(p.locator.hasDuplicateKeys).toBe(false);
    expect(p.locator.duplicateKeys()).toEqual([]);
  });

  it("reports a syntax error with the position of the offending token", () => {
    const p = parseJson('{\n  "a": 1\n  "b": 2\n}');
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.range.start).toMatchObject({ line: 3, column: 3 });
  });

  it("rejects raw control characters inside strings (momoa alone would accept them)", () => {
    const p = parseJson('{"a": "x\ty"}');
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.range.start).toMatchObject({ line: 1, column: 9 });
  });
});

describe("decoding", () => {
  it("strips a byte order mark without shifting columns", () => {
    const doc = createDocument(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"Version": 1}')]), "f.json");
    expect(doc.hadBom).toBe(true);
    expect(doc.locate(["Version"]).start).toMatchObject({ line: 1, column: 13 });
  });

  it("reports a NUL byte as binary, at its line and column", () => {
    const r = decodeSource(new TextEncoder().encode('{\n  "a": "\u0000"}'));
    expect(r).toMatchObject({ ok: false, reason: "binary", line: 2, column: 9 });
  });

  it("reports invalid UTF-8 at the first bad byte", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"a": "caf'), 0xe9, ...new TextEncoder().encode('"}')]);
    const r = decodeSource(bytes);
    expect(r).toMatchObject({ ok: false, reason: "not-utf8", line: 1, column: 11 });
  });

  it("counts raw bytes without the BOM and minified bytes of the value", () => {
    const doc = createDocument('\uFEFF{ "a" : [ 1 , 2 ] }', "f.json");
    expect(doc.rawBytes).toBe(19);
    expect(doc.minifiedBytes()).toBe('{"a":[1,2]}'.length);
  });
});

describe("the path scanner agrees with momoa's positioned tree", () => {
  /** Every path in a value (object keys and array indexes), the root included. */
  function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    out.push(prefix);
    if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
    return out;
  }

  it("for every path of 2,000 random documents, values and keys, in any layout", () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("Effect", "a\"b", "back\\\\slash", "é", "\u2028", "{", "]"));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie("array"), tie("object")),
      array: fc.array(tie("value"), { maxLength: 4 }),
      object: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(json.value, fc.constantFrom(0, 2, "\t"), fc.boolean(), (value, indent, crlf) => {
        let text = JSON.stringify(value, null, indent);
        if (crlf) text = text.replace(/\n/g, "\r\n");
        const parsed = parseJson(text);
        if (!parsed.ok) return;
        for (const path of pathsOf(value)) {
          for (const target of ["value", "key"] as const) {
            expect(parsed.locator.locate(path, target)).toEqual(parsed.locator.locateWithTree(path, target));
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("takes the last of duplicate keys, as the tree does", () => {
    const p = ok('{"a": {"b": 1}, "a": {"b": 2, "b": 3}}');
    expect(p.locator.locate(["a", "b"])).toEqual(p.locator.locateWithTree(["a", "b"]));
    expect(p.locator.locate(["a", "b"]).start.column).toBe(36);
  });
});

describe("the path scanner on large arrays", () => {
  it("resumes from the furthest element it passed: every statement of a 3,000-statement policy, in order and out of order, at momoa's position", () => {
    const statement = (i: number) => ({ Sid: `S${i}`, Effect: "Allow", Principal: { AWS: `arn:aws:iam::111122223333:role/r${i}` }, Action: "kms:Decrypt", Resource: "*" });
    const text = JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: 3000 }, (_, i) => statement(i)) }, null, 1);
    const parsed = parseJson(text);
    if (!parsed.ok) throw new Error("not parsed");
    const marks = new Map<string, ScanMark>();
    const order = [...Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 7 === 0), 2999, 5, 1500, 0];
    for (const i of order) {
      const path = ["Statement", i, "Principal", "AWS"];
      const found = scanToPath(text, path, "value", marks)!;
      expect(found[0]).toBe(parsed.locator.locateWithTree(path).start.offset);
    }
    // One mark for the furthest element reached, not one pass per lookup.
    expect(marks.get("\u0000Statement\u0000#last")).toMatchObject({ index: 2999 });
  });
});
