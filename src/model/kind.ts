/**
 * Telling a KMS key policy, an S3 bucket policy and an IAM identity policy apart by what they contain.
 *
 * First, the way AWS tells them apart: a resource policy names who may act (`Principal` or `NotPrincipal`
 * in its statements), an identity policy never does (IAM rejects one that does). A policy in which no
 * statement names a principal is an identity policy, unless its file name says it is a key or bucket policy
 * (then a key policy that lost its principals still gets the "no Principal" errors). A policy in which some
 * statements name one and others do not is a resource policy whose other statements lack it.
 *
 * Then, between the two resource policies, strongest evidence first: action prefixes (`kms:` / `s3:`),
 * resource ARNs (`arn:…:s3:::…` can only be a bucket policy's; a key policy's Resource is `"*"`),
 * condition-key prefixes, then the file name.
 */
import { looksLikePolicy, type Policy, type PolicyKind } from "./policy.js";
export { looksLikePolicy };

export interface KindDecision {
  kind: PolicyKind;
  /** Why: shown in JSON output and in the message when the evidence was weak or mixed. */
  reason: string;
  /** false when nothing in the document decided it and a default was taken. */
  confident: boolean;
}


/** A statement element that names a principal; in any case, so that a misspelled `principal` still counts. */
const PRINCIPAL_ELEMENT = /^(not)?principal$/i;
/** `key-policy.json`, `KeyPolicy.json`, `data_bucket_policy.json`, `resource-policy.json`: the name says it is a resource policy. */
const RESOURCE_POLICY_NAME = /(^|[^a-z])(key|bucket|resource)[-_. ]?polic(y|ies)/;

export const IDENTITY_POLICY_REASON = "no statement names a Principal: an IAM identity policy";

export function detectKind(policy: Policy, filePath: string): KindDecision {
  const name = baseName(filePath);
  if (policy.statements.length > 0 && !policy.statements.some((s) => s.elements.some((e) => PRINCIPAL_ELEMENT.test(e))) && !RESOURCE_POLICY_NAME.test(name)) {
    return { kind: "identity-policy", reason: IDENTITY_POLICY_REASON, confident: true };
  }
  return detectResourceKind(policy, name);
}

function baseName(filePath: string): string {
  return filePath.slice(Math.max(filePath.lastIndexOf("/"), filePath.lastIndexOf("\\")) + 1).toLowerCase();
}

/** Key policy or bucket policy, from the contents, then the (lower-case) file name. */
function detectResourceKind(policy: Policy, name: string): KindDecision {
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

/** What a parsed JSON or YAML file is: one policy, or a source of many. */
export type SourceFormat = "policy" | "cloudformation" | "terraform-plan" | "other";

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Decides by content, never by name: a CloudFormation template has `AWSTemplateFormatVersion`, or a
 * `Resources` map whose entries have `Type` "AWS::…" (or any "Type", with "Transform" for SAM); a Terraform
 * plan (`terraform show -json plan.out`) has `format_version` and `planned_values`, and a state file
 * (`terraform show -json`) `format_version` and `values`; a policy has `Statement` or `Version`.
 */
export function detectSourceFormat(value: unknown): SourceFormat {
  if (!isObject(value)) return "other";
  if (typeof value["format_version"] === "string" && (isObject(value["planned_values"]) || isObject(value["values"]))) return "terraform-plan";
  if (Object.hasOwn(value, "AWSTemplateFormatVersion")) return "cloudformation";
  const resources = value["Resources"];
  if (isObject(resources)) {
    const entries = Object.values(resources);
    if (entries.length > 0 && entries.some((r) => isObject(r) && typeof r["Type"] === "string" && /^(AWS|Custom)::|^AWS::Serverless::/.test(r["Type"]))) return "cloudformation";
  }
  return looksLikePolicy(value) ? "policy" : "other";
}
