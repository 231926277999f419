/**
 * ARNs and account ids, parsed exactly: accounts are compared as whole fields, never as substrings
 * (`arn:aws:iam::999988887777:role/111122223333-reader` belongs to 999988887777).
 * Format: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */

export const PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"] as const;

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

export function isOrgId(value: string): boolean {
  return ORG_ID.test(value);
}

/** Splits an ARN into its fields; undefined when it is not `arn:partition:service:region:account:resource`. */
export function parseArn(value: string): Arn | undefined {
  if (!value.startsWith("arn:")) return undefined;
  // Five colons separate the fields; the resource may contain more.
  const c1 = 3;
  const c2 = value.indexOf(":", c1 + 1);
  const c3 = c2 === -1 ? -1 : value.indexOf(":", c2 + 1);
  const c4 = c3 === -1 ? -1 : value.indexOf(":", c3 + 1);
  const c5 = c4 === -1 ? -1 : value.indexOf(":", c4 + 1);
  if (c5 === -1) return undefined;
  const partition = value.slice(c1 + 1, c2);
  const service = value.slice(c2 + 1, c3);
  const resource = value.slice(c5 + 1);
  if (partition === "" || service === "" || resource === "") return undefined;
  return { partition, service, region: value.slice(c3 + 1, c4), account: value.slice(c4 + 1, c5), resource };
}

export function isKnownPartition(partition: string): boolean {
  return (PARTITIONS as readonly string[]).includes(partition);
}

export type AwsPrincipalForm =
  | { form: "anyone" }
  | { form: "account"; account: string }
  | { form: "root"; account: string; arn: Arn }
  | { form: "iam"; account: string; arn: Arn; kind: string }
  | { form: "unique-id"; id: string }
  | { form: "cloudfront-oai"; id: string }
  | { form: "invalid"; reason: string };

/** What an AWS principal ARN can name. Groups cannot be principals; identity providers go under "Federated". */
const IAM_RESOURCE_KINDS = ["user", "role", "assumed-role", "federated-user"];

/**
 * Reads an `AWS` principal value: `*`, a 12-digit account id, an IAM or STS ARN, or the unique id
 * (AIDA…, AROA…) AWS substitutes for a principal that was deleted.
 */
export function parseAwsPrincipal(value: string): AwsPrincipalForm {
  if (value === "*") return { form: "anyone" };
  if (isAccountId(value)) return { form: "account", account: value };
  if (/^\d+$/.test(value)) return { form: "invalid", reason: `"${value}" has ${value.length} digits; an account id has exactly 12` };
  if (/^A[A-Z]{3}[A-Z0-9]{12,}$/.test(value)) return { form: "unique-id", id: value };
  // The principal S3 documents for a legacy CloudFront origin access identity.
  const oai = /^arn:aws:iam::cloudfront:user\/CloudFront Origin Access Identity ([A-Z0-9]+)$/.exec(value);
  if (oai) return { form: "cloudfront-oai", id: oai[1]! };
  const arn = parseArn(value);
  if (!arn) return { form: "invalid", reason: `"${value}" is neither "*", a 12-digit account id nor an ARN (arn:partition:iam::account:…)` };
  if (!isKnownPartition(arn.partition)) return { form: "invalid", reason: `unknown partition "${arn.partition}" (expected one of ${PARTITIONS.join(", ")})` };
  if (arn.service !== "iam" && arn.service !== "sts") return { form: "invalid", reason: `a principal ARN is an IAM or STS ARN, not a ${arn.service} ARN` };
  if (arn.region !== "") return { form: "invalid", reason: `IAM and STS ARNs have no region, but this one has "${arn.region}"` };
  if (value.includes("*") || value.includes("?")) {
    return { form: "invalid", reason: "a principal cannot contain a wildcard; use \"*\" alone with a condition on aws:PrincipalArn (ArnLike) instead" };
  }
  if (!isAccountId(arn.account)) return { form: "invalid", reason: `account field "${arn.account}" is not a 12-digit account id` };
  if (arn.resource === "root") return { form: "root", account: arn.account, arn };
  const kind = arn.resource.split("/", 1)[0]!;
  if (!IAM_RESOURCE_KINDS.includes(kind) || !arn.resource.includes("/")) {
    const hint = kind === "group" ? "; an IAM group cannot be a principal, name its users or a role" : kind === "saml-provider" || kind === "oidc-provider" ? `; an identity provider goes under "Federated", not "AWS"` : "";
    return { form: "invalid", reason: `"${arn.resource}" is not a principal (expected root, user/…, role/…, assumed-role/…, federated-user/…)${hint}` };
  }
  return { form: "iam", account: arn.account, arn, kind };
}
