import { defineRule, type RuleContext } from "../src/engine/rule.js";
import { FIRST_CHARACTER, type Range } from "../src/model/json.js";

/** KMS: "Up to 32 kilobytes (32,768 bytes)", counted on the text as sent (AWS-FACTS §1.1; whitespace is not said to be excluded). */
export const KMS_KEY_POLICY_LIMIT = 32_768;
/** S3: "Bucket policies are limited to 20 KB"; observed to apply to minified JSON, so approximate (AWS-FACTS §1.2). */
export const S3_BUCKET_POLICY_LIMIT = 20_480;
/**
 * IAM: a customer managed policy is at most 6,144 characters, and "IAM does not count white space when calculating
 * the size of a policy against this quota" (AWS-FACTS §1.3: IAM User Guide, "IAM and AWS STS quotas" and
 * "Access Analyzer policy check reference"; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * CreatePolicy and CreatePolicyVersion then fail with LimitExceeded, "Cannot exceed quota for PolicySize: 6144".
 * A policy file is taken as a managed policy: kmslint cannot know whether it will be attached inline.
 */
export const IAM_MANAGED_POLICY_LIMIT = 6_144;
/**
 * IAM inline policies: the sum of all inline policies of one entity, in characters without whitespace: a user
 * 2,048, a group 5,120, a role 10,240 (AWS-FACTS §1.3). Named in the messages, not checked (the other inline
 * policies of the entity are not known).
 */
export const IAM_INLINE_POLICY_LIMITS = { user: 2_048, group: 5_120, role: 10_240 } as const;
/** Warn from 90% of the limit. */
export const WARNING_RATIO = 0.9;

const n = (value: number) => value.toLocaleString("en-US");

export default defineRule({
  meta: {
    id: "policy-size",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy", "identity-policy"],
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
      identityOver:
        "Identity policy is {{size}} characters without whitespace ({{raw}} bytes as written), over the IAM limit of 6,144 characters for a managed policy (IAM does not count whitespace): CreatePolicy and CreatePolicyVersion fail with LimitExceeded (Cannot exceed quota for PolicySize: 6144).{{inline}} Split it into several policies, or replace lists of actions with wildcards such as kms:List*.",
      identityNear:
        "Identity policy is {{size}} characters without whitespace ({{raw}} bytes as written), {{percent}}% of the IAM limit of 6,144 characters for a managed policy (IAM does not count whitespace); the next statements may not fit.",
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
    const limit = context.kind === "key-policy" ? KMS_KEY_POLICY_LIMIT : context.kind === "bucket-policy" ? S3_BUCKET_POLICY_LIMIT : IAM_MANAGED_POLICY_LIMIT;
    // Minified JSON is never much larger than the text it came from: far below the limit, nothing to measure.
    if (raw < limit * WARNING_RATIO * 0.8) return;
    const minified = document.minifiedBytes() ?? raw;
    // A policy inside a template or plan points at its property (`KeyPolicy:`) and is measured as the tool sends it.
    const start = document.anchor?.() ?? FIRST_CHARACTER;
    const basis = document.sizeBasis ?? "as written";
    if (context.kind === "identity-policy") {
      checkIdentityPolicy(context, raw, start);
      return;
    }
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

/**
 * Characters of the policy without the whitespace between its elements (JSON re-serialized compactly), as IAM
 * counts them. Whitespace inside values (rare: a Sid cannot hold any) is counted, so the figure is never below IAM's.
 * Characters rather than bytes: IAM counts characters, and its character set (U+0020–U+00FF) has one per code point.
 */
function compactCharacters(value: unknown): number | undefined {
  try {
    return JSON.stringify(value).length;
  } catch {
    return undefined; // too deep to serialize; the grammar check reports the depth
  }
}

function checkIdentityPolicy(context: RuleContext, raw: number, start: Range): void {
  const size = compactCharacters(context.document.value);
  if (size === undefined) return;
  const percent = Math.floor((size / IAM_MANAGED_POLICY_LIMIT) * 100);
  if (size > IAM_MANAGED_POLICY_LIMIT) {
    const { user, group, role } = IAM_INLINE_POLICY_LIMITS;
    const inline =
      size <= role
        ? ` As an inline policy it fits only on a role (${n(role)} characters for all of a role's inline policies together; a group has ${n(group)}, a user ${n(user)}).`
        : ` It is over the inline policy limits too (${n(role)} characters for all of a role's inline policies together).`;
    context.report({ messageId: "identityOver", data: { size: n(size), raw: n(raw), inline }, range: start, severity: "error" });
  } else if (size >= IAM_MANAGED_POLICY_LIMIT * WARNING_RATIO) {
    context.report({ messageId: "identityNear", data: { size: n(size), raw: n(raw), percent }, range: start, severity: "warning" });
  }
}
