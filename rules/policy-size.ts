import { defineRule } from "../src/engine/rule.js";
import { FIRST_CHARACTER } from "../src/model/json.js";

/** KMS: "Up to 32 kilobytes (32,768 bytes)", counted on the text as sent (AWS-FACTS §1.1; whitespace is not said to be excluded). */
export const KMS_KEY_POLICY_LIMIT = 32_768;
/** S3: "Bucket policies are limited to 20 KB"; observed to apply to minified JSON, so approximate (AWS-FACTS §1.2). */
export const S3_BUCKET_POLICY_LIMIT = 20_480;
/** Warn from 90% of the limit. */
export const WARNING_RATIO = 0.9;

const n = (value: number) => value.toLocaleString("en-US");

export default defineRule({
  meta: {
    id: "policy-size",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy"],
    needsPolicy: false,
    description: "The policy is over its service's size limit (error) or within 10% of it (warning).",
    messages: {
      keyOver:
        "Key policy is {{raw}} bytes {{basis}} ({{minified}} bytes minified), over the KMS limit of 32,768 bytes: PutKeyPolicy and CreateKey fail with LimitExceededException.{{fix}}",
      keyNear:
        "Key policy is {{raw}} bytes {{basis}} ({{minified}} bytes minified), {{percent}}% of the KMS limit of 32,768 bytes; the next statements may not fit.{{fix}}",
      bucketOver:
        "Bucket policy is about {{minified}} bytes minified ({{raw}} bytes {{basis}}), over the S3 limit of 20 KB (20,480 bytes; S3 measures the policy without whitespace, so this is approximate): PutBucketPolicy fails. Move grants to access points or merge statements that share a principal and condition.",
      bucketNear:
        "Bucket policy is about {{minified}} bytes minified ({{raw}} bytes {{basis}}), {{percent}}% of the S3 limit of 20 KB (20,480 bytes; approximate, S3 measures the policy without whitespace). Plan for access points or merged statements before it fills up.",
      fileTooLarge: "{{message}}",
    },
  },
  check(context) {
    const { document } = context;
    if (document.problem?.kind === "too-large") {
      context.report({ messageId: "fileTooLarge", data: { message: document.problem.message }, range: document.problem.range });
      return;
    }
    if (document.problem || !document.policy) return;
    const raw = document.rawBytes;
    const limit = context.kind === "key-policy" ? KMS_KEY_POLICY_LIMIT : S3_BUCKET_POLICY_LIMIT;
    // Minified JSON is never much larger than the text it came from: far below the limit, nothing to measure.
    if (raw < limit * WARNING_RATIO * 0.8) return;
    const minified = document.minifiedBytes() ?? raw;
    // A policy inside a template or plan points at its property (`KeyPolicy:`) and is measured as the tool sends it.
    const start = document.anchor?.() ?? FIRST_CHARACTER;
    const basis = document.sizeBasis ?? "as written";
    if (context.kind === "key-policy") {
      const percent = Math.floor((raw / KMS_KEY_POLICY_LIMIT) * 100);
      const fix =
        minified <= KMS_KEY_POLICY_LIMIT && raw > KMS_KEY_POLICY_LIMIT
          ? " Minified, it fits: send the policy without indentation, or merge statements."
          : " Merge statements that share a principal, move grants to IAM policies in the trusted accounts, or use grants.";
      if (raw > KMS_KEY_POLICY_LIMIT) {
        context.report({ messageId: "keyOver", data: { raw: n(raw), basis, minified: n(minified), fix }, range: start, severity: "error" });
      } else if (raw >= KMS_KEY_POLICY_LIMIT * WARNING_RATIO) {
        context.report({ messageId: "keyNear", data: { raw: n(raw), basis, minified: n(minified), percent, fix }, range: start, severity: "warning" });
      }
      return;
    }
    const percent = Math.floor((minified / S3_BUCKET_POLICY_LIMIT) * 100);
    if (minified > S3_BUCKET_POLICY_LIMIT) {
      context.report({ messageId: "bucketOver", data: { raw: n(raw), basis, minified: n(minified) }, range: start, severity: "error" });
    } else if (minified >= S3_BUCKET_POLICY_LIMIT * WARNING_RATIO) {
      context.report({ messageId: "bucketNear", data: { raw: n(raw), basis, minified: n(minified), percent }, range: start, severity: "warning" });
    }
  },
});
