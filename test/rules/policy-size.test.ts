import { describe, expect, it } from "vitest";
import { lintText } from "../../src/engine/linter.js";
import { MAX_SOURCE_FILE_BYTES } from "../../src/model/source.js";
import { ruleTester } from "../rule-tester.js";
import { InventoryBuilder, findingsOf, OWNER } from "../inventory-builder.js";

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

  it("reports a file over 64 MB without reading it", () => {
    const big = new Uint8Array(MAX_SOURCE_FILE_BYTES + 1).fill(0x20);
    const result = lintText(big, "big.json");
    expect(result.findings.map((f) => [f.ruleId, f.range.start.line, f.range.start.column])).toEqual([["policy-size", 1, 1]]);
    expect(result.findings[0]!.message).toContain("File is 67,108,865 bytes, over the 67,108,864 bytes (64 MB) kmslint reads");
  });

  it("reads a policy over 1 MB (no policy is that large: an error, not a skipped file)", () => {
    const statement = (i: number) => ({ Sid: `AllowRole${i}`, Effect: "Allow", Principal: { AWS: `arn:aws:iam::111122223333:role/application-role-${i}` }, Action: "kms:Decrypt", Resource: "*" });
    const text = JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: 9000 }, (_, i) => statement(i)) });
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const result = lintText(text, "key.json");
    expect(result.findings.filter((f) => f.ruleId === "policy-size").map((f) => [f.messageId, f.severity])).toEqual([["keyOver", "error"]]);
  });
});

describe("policy-size on policies inside templates and plans", () => {
  it("a file still reads \"as written\"", () => {
    const found = lintText(kms(31_000), "key.json").findings.filter((f) => f.ruleId === "policy-size");
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/^Key policy is [\d,]+ bytes as written \([\d,]+ bytes minified\), 9\d% of the KMS limit/)]);
  });

  it("a KeyPolicy in a template: at the property, measured as CloudFormation sends it", () => {
    const builder = new InventoryBuilder({ owner: OWNER });
    // Indented text, but CloudFormation sends compact JSON: 34,000 bytes compact is over the limit.
    builder.key("DataKey", 3, {}, { json: JSON.stringify(JSON.parse(kms(34_000, 0)), null, 2), line: 10 });
    const found = findingsOf(builder, "policy-size");
    expect(found.map((f) => [f.line, f.column, f.severity, f.messageId, f.resource])).toEqual([[9, 5, "error", "keyOver", "DataKey"]]);
    expect(found[0]!.message).toMatch(/^DataKey: Key policy is [\d,]+ bytes as CloudFormation sends it \(compact JSON\) \([\d,]+ bytes minified\), over the KMS limit/);
    // Compact already: no advice to minify.
    expect(found[0]!.message).not.toContain("Minified, it fits");
  });

  it("a key policy near the limit in a template: a warning at the property", () => {
    const builder = new InventoryBuilder({ owner: OWNER });
    builder.key("DataKey", 3, {}, { json: kms(31_000, 0), line: 10 });
    expect(findingsOf(builder, "policy-size").map((f) => [f.line, f.column, f.severity, f.messageId])).toEqual([[9, 5, "warning", "keyNear"]]);
  });

  it("a Terraform policy string: measured compact, as the AWS provider sends it", () => {
    const over = new InventoryBuilder({ owner: OWNER, format: "terraform-plan" });
    over.key("aws_kms_key.data", 3, {}, { json: kms(34_000, 0), line: 10 });
    const found = findingsOf(over, "policy-size");
    expect(found.map((f) => [f.line, f.column, f.messageId])).toEqual([[9, 5, "keyOver"]]);
    expect(found[0]!.message).toContain("bytes as the AWS provider sends it (compact JSON) (");
    // Indentation is not sent: a 36 KB indented policy whose compact form fits is not over the limit.
    const indented = new InventoryBuilder({ owner: OWNER, format: "terraform-plan" });
    indented.key("aws_kms_key.data", 3, {}, { json: kms(36_000, 6), line: 10 });
    expect(findingsOf(indented, "policy-size").map((f) => f.messageId)).not.toContain("keyOver");
  });

  it("a bucket policy in a template: the basis replaces \"as written\" in the bucket messages too", () => {
    const builder = new InventoryBuilder({ owner: OWNER });
    const bucket = builder.bucket("DataBucket", 3);
    builder.bucketPolicy(bucket, "DataBucketPolicy", s3(21_500, 0), 22);
    const found = findingsOf(builder, "policy-size");
    expect(found.map((f) => [f.line, f.column, f.severity, f.messageId, f.resource])).toEqual([[21, 5, "error", "bucketOver", "DataBucketPolicy"]]);
    expect(found[0]!.message).toMatch(/bytes minified \([\d,]+ bytes as CloudFormation sends it \(compact JSON\)\), over the S3 limit/);
  });
});
