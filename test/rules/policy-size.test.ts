import { describe, expect, it } from "vitest";
import { lintText } from "../../src/engine/linter.js";
import { ruleTester } from "../rule-tester.js";

/** A key policy padded with statements to about `bytes` bytes as written. */
function paddedPolicy(bytes: number, indent: number, service: "kms" | "s3"): string {
  const statements: object[] = [];
  let text = "";
  for (let i = 0; ; i++) {
    statements.push(
      service === "kms"
        ? { Sid: `AllowRole${i}`, Effect: "Allow", Principal: { AWS: `arn:aws:iam::111122223333:role/application-role-${i}` }, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "*" }
        : { Sid: `AllowRole${i}`, Effect: "Allow", Principal: { AWS: `arn:aws:iam::111122223333:role/application-role-${i}` }, Action: ["s3:GetObject"], Resource: `arn:aws:s3:::example-bucket/prefix-${i}/*` },
    );
    const next = JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, indent);
    if (Buffer.byteLength(next) > bytes) return text;
    text = next;
  }
}

const kms = (n: number, indent = 2) => paddedPolicy(n, indent, "kms");
const s3 = (n: number, indent = 2) => paddedPolicy(n, indent, "s3");

ruleTester("policy-size", {
  valid: [
    { name: "a small key policy", policy: kms(2_000) },
    { name: "a key policy just under 90% of 32,768", policy: kms(29_000) },
    { name: "a bucket policy whose minified size is under 90% of 20,480, however it is indented", policy: s3(18_000, 0).replace(/,/g, ",\n      ") },
  ],
  invalid: [
    { name: "key policy over 32,768 bytes as written", policy: kms(33_500), errors: [{ messageId: "keyOver", line: 1, column: 1, severity: "error" }] },
    { name: "key policy at 90%-100%", policy: kms(31_000), errors: [{ messageId: "keyNear", line: 1, column: 1, severity: "warning" }] },
    {
      name: "indentation counts for KMS: over the limit as written, fits minified, and the message says so",
      policy: kms(36_000, 6),
      errors: [{ messageId: "keyOver", line: 1, column: 1, message: "Minified, it fits" }],
    },
    { name: "bucket policy over 20,480 bytes minified", policy: s3(21_500, 0), errors: [{ messageId: "bucketOver", line: 1, column: 1, severity: "error" }] },
    { name: "bucket policy near the limit", policy: s3(19_500, 0), errors: [{ messageId: "bucketNear", line: 1, column: 1, severity: "warning", message: "approximate" }] },
  ],
});

describe("policy-size counting", () => {
  it("counts UTF-8 bytes, not characters (Latin-1 letters take two bytes)", () => {
    const base = kms(29_400);
    // Under 29,492 characters (90% of 32,768), but the two-byte letters push the bytes past it.
    const text = base.replace(/application-role/g, "appliçation-rôle");
    expect(text.length).toBeLessThan(32_768 * 0.9);
    const found = lintText(text, "key.json").findings.filter((f) => f.ruleId === "policy-size");
    expect(found.map((f) => f.messageId)).toEqual(["keyNear"]);
  });

  it("reports a file over 1 MB without reading it as a policy", () => {
    const big = new Uint8Array(1024 * 1024 + 1).fill(0x20);
    const result = lintText(big, "big.json");
    expect(result.findings.map((f) => [f.ruleId, f.range.start.line, f.range.start.column])).toEqual([["policy-size", 1, 1]]);
    expect(result.findings[0]!.message).toContain("File is 1,048,577 bytes, over the 1,048,576 bytes (1 MB)");
  });
});
