/**
 * Telling a KMS key policy from an S3 bucket policy by what it contains.
 *
 * Evidence, strongest first: action prefixes (`kms:` / `s3:`), resource ARNs (`arn:…:s3:::…` can only be
 * a bucket policy's; a key policy's Resource is `"*"`), condition-key prefixes, then the file name.
 */
import type { Policy, PolicyKind } from "./policy.js";
export { looksLikePolicy } from "./policy.js";

export interface KindDecision {
  kind: PolicyKind;
  /** Why: shown in JSON output and in the message when the evidence was weak or mixed. */
  reason: string;
  /** false when nothing in the document decided it and a default was taken. */
  confident: boolean;
}


export function detectKind(policy: Policy, filePath: string): KindDecision {
  let kms = 0;
  let s3 = 0;
  let kmsActions = 0;
  let s3Actions = 0;
  const prefixOf = (value: string) => value.slice(0, Math.max(0, value.indexOf(":"))).toLowerCase();
  for (const s of policy.statements) {
    for (const list of [s.action, s.notAction]) {
      if (!list) continue;
      for (const a of list) {
        const prefix = prefixOf(a.value);
        if (prefix === "kms") kmsActions++;
        else if (prefix === "s3" || prefix === "s3express") s3Actions++;
      }
    }
    for (const list of [s.resource, s.notResource]) {
      if (!list) continue;
      for (const r of list) {
        if (r.value === "*") kms += 1;
        else if (/^arn:[^:]*:s3(express)?:/i.test(r.value)) s3 += 2;
        else if (/^arn:[^:]*:kms:/i.test(r.value)) kms += 2;
      }
    }
    for (const c of s.conditions) {
      const prefix = prefixOf(c.key);
      if (prefix === "kms") kms += 1;
      else if (prefix === "s3") s3 += 1;
    }
  }
  kms += 3 * kmsActions;
  s3 += 3 * s3Actions;
  const name = filePath.slice(Math.max(filePath.lastIndexOf("/"), filePath.lastIndexOf("\\")) + 1).toLowerCase();
  const nameSaysKey = /(^|[^a-z])(kms|key)/.test(name);
  const nameSaysBucket = /(^|[^a-z])(s3|bucket)/.test(name);
  // Only actions of both services make the decision doubtful; a bucket policy may well use kms: condition keys.
  const mixed = kmsActions > 0 && s3Actions > 0;
  if (kms > s3) {
    return { kind: "key-policy", reason: mixed ? "it names both KMS and S3 actions, more KMS ones" : "KMS actions or Resource \"*\"", confident: !mixed };
  }
  if (s3 > kms) {
    return { kind: "bucket-policy", reason: mixed ? "it names both KMS and S3 actions, more S3 ones" : "S3 actions or bucket ARNs", confident: !mixed };
  }
  if (nameSaysBucket && !nameSaysKey) return { kind: "bucket-policy", reason: "the file name", confident: true };
  if (nameSaysKey && !nameSaysBucket) return { kind: "key-policy", reason: "the file name", confident: true };
  return { kind: "key-policy", reason: "nothing in it names KMS or S3; assumed a key policy", confident: false };
}
