/**
 * Fuzzing lintText: valid key and bucket policies, mutated in many ways, must always come back as findings
 * (never an exception), and every finding must be well-formed (rule id, message, severity, a range inside
 * the document with its end not before its start).
 *
 * Every mutation is its own fast-check arbitrary that generates *parameters* (which seed, which node, which
 * byte, how deep); the input is built from them inside the property, so a counterexample stays small even
 * when the input is megabytes long. Inputs are counted and the count is asserted at the end, so the file
 * cannot silently run fewer than MIN_TOTAL_INPUTS.
 *
 * Besides well-formedness, a few oracles that hold for every input:
 * - unparseable input (syntax, NUL byte, invalid UTF-8) gives exactly one finding, `invalid-json`, an error;
 *   parseable input never gives `invalid-json`;
 * - a file given as bytes over 1 MiB gives exactly one finding, `policy-size` (not parsed);
 * - parseable JSON that is not an object with a Statement, or that is nested deeper than any policy can be,
 *   gives at least one error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lintText, type DocumentResult, type Finding, type LintOptions } from "../src/engine/linter.js";
import type { TrustContext } from "../src/engine/rule.js";
import type { Position } from "../src/model/json.js";
import type { PolicyKind } from "../src/model/policy.js";
import { MAX_SOURCE_FILE_BYTES } from "../src/model/source.js";

// ─── seeds: realistic, valid policies ───────────────────────────────────────────────────────────────────

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ACCOUNT = "111122223333";
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

const SEEDS: { name: string; value: Json }[] = [
  {
    name: "default key policy",
    value: {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" }],
    },
  },
  {
    name: "console key policy: administrators, users, grants",
    value: {
      Version: "2012-10-17",
      Id: "key-consolepolicy-3",
      Statement: [
        { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
        {
          Sid: "Allow access for Key Administrators",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KMSAdmins` },
          Action: [
            "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*",
            "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
            "kms:RotateKeyOnDemand",
          ],
          Resource: "*",
        },
        {
          Sid: "Allow use of the key",
          Effect: "Allow",
          Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/AppServer`, `arn:aws:iam::${ACCOUNT}:user/Prüfer`] },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
          Resource: "*",
        },
        {
          Sid: "Allow attachment of persistent resources",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/AppServer` },
          Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
          Resource: "*",
          Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
      ],
    },
  },
  {
    name: "cross-account decrypt with aws:PrincipalOrgID",
    value: {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
        {
          Sid: "AllowOrganizationDecrypt",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: ["kms:Decrypt", "kms:DescribeKey"],
          Resource: "*",
          Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
        },
        {
          Sid: "AllowPartnerDecrypt",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::444455556666:root", "arn:aws:iam::777788889999:role/Decryptor"] },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": ["444455556666", "777788889999"] } },
        },
      ],
    },
  },
  {
    name: "AWS managed key (aws/s3) policy",
    value: {
      Version: "2012-10-17",
      Id: "auto-s3-2",
      Statement: [
        {
          Sid: "Allow access through S3 for all principals in the account that are authorized to use S3",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
          Resource: "*",
          Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT } },
        },
        {
          Sid: "Allow direct access to key metadata to the account",
          Effect: "Allow",
          Principal: { AWS: ROOT },
          Action: ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
          Resource: "*",
        },
      ],
    },
  },
  {
    name: "data-perimeter key policy with a CloudTrail service principal",
    value: {
      Version: "2012-10-17",
      Statement: [
        { Sid: "EnableRoot", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" },
        {
          Sid: "EnforceIdentityPerimeter",
          Effect: "Deny",
          Principal: "*",
          Action: "kms:*",
          Resource: "*",
          Condition: {
            StringNotEqualsIfExists: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" },
            BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
          },
        },
        {
          Sid: "AllowCloudTrailEncrypt",
          Effect: "Allow",
          Principal: { Service: "cloudtrail.amazonaws.com" },
          Action: "kms:GenerateDataKey*",
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceArn": `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/management` },
            StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` },
          },
        },
      ],
    },
  },
  {
    name: "bucket policy: Deny aws:SecureTransport false",
    value: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    },
  },
  {
    name: "bucket policy: CloudFront origin access control",
    value: {
      Version: "2012-10-17",
      Id: "PolicyForCloudFrontPrivateContent",
      Statement: [
        {
          Sid: "AllowCloudFrontServicePrincipal",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::example-bucket/*",
          Condition: { StringEquals: { "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/EDFDVBD6EXAMPLE` } },
        },
      ],
    },
  },
  {
    name: "bucket policy: require SSE-KMS with one key",
    value: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyUnencryptedUploads",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::example-bucket/*",
          Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        },
        {
          Sid: "DenyOtherKeys",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::example-bucket/*",
          Condition: {
            StringNotEqualsIfExists: {
              "s3:x-amz-server-side-encryption-aws-kms-key-id": `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
            },
          },
        },
        {
          Sid: "AllowOrgRead",
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject", "s3:ListBucket"],
          Resource: ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
          Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
        },
      ],
    },
  },
  {
    name: "bucket policy: single statement object, partner account, IP and date conditions",
    value: {
      Version: "2012-10-17",
      Statement: {
        Sid: "PartnerReadFromOffice",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::444455556666:root"] },
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: "arn:aws:s3:::partner-exchange/incoming/*",
        Condition: {
          IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:DB8::/32"] },
          DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" },
        },
      },
    },
  },
  {
    name: "bucket policy: ELB access logs, legacy version",
    value: {
      Version: "2008-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::127311923021:root" },
          Action: "s3:PutObject",
          Resource: `arn:aws:s3:::my-elb-logs/AWSLogs/${ACCOUNT}/*`,
        },
      ],
    },
  },
];

// ─── a tiny JSON tree that can hold what JSON.stringify cannot: raw number literals, duplicate keys ────────

type JNode =
  | { t: "raw"; text: string }
  | { t: "str"; value: string }
  | { t: "arr"; items: JNode[] }
  | { t: "obj"; members: Member[] };

interface Member {
  key: string;
  /** The key as written, when it is not JSON.stringify(key) (escapes). */
  rawKey?: string;
  value: JNode;
}

function toNode(value: Json): JNode {
  if (typeof value === "string") return { t: "str", value };
  if (value === null || typeof value !== "object") return { t: "raw", text: JSON.stringify(value) };
  if (Array.isArray(value)) return { t: "arr", items: value.map(toNode) };
  return { t: "obj", members: Object.keys(value).map((key) => ({ key, value: toNode(value[key]!) })) };
}

interface Format {
  /** "" renders on one line. */
  indent: string;
  eol: string;
}

function render(node: JNode, format: Format, level = 0): string {
  switch (node.t) {
    case "raw":
      return node.text;
    case "str":
      return JSON.stringify(node.value);
    case "arr":
    case "obj": {
      const [open, close] = node.t === "arr" ? ["[", "]"] : ["{", "}"];
      const parts =
        node.t === "arr"
          ? node.items.map((item) => render(item, format, level + 1))
          : node.members.map((m) => `${m.rawKey ?? JSON.stringify(m.key)}:${format.indent ? " " : ""}${render(m.value, format, level + 1)}`);
      if (parts.length === 0) return open + close;
      if (!format.indent) return open + parts.join(",") + close;
      const inner = format.indent.repeat(level + 1);
      return `${open}${format.eol}${inner}${parts.join(`,${format.eol}${inner}`)}${format.eol}${format.indent.repeat(level)}${close}`;
    }
  }
}

interface Slot {
  node: JNode;
  path: (string | number)[];
  replace(node: JNode): void;
  /** The member whose value this is (for key mutations). */
  member?: Member;
}

/** Every node of the tree with a way to replace it, in document order; the first is the root. */
function slotsOf(box: { root: JNode }): Slot[] {
  const out: Slot[] = [];
  const walk = (node: JNode, path: (string | number)[], replace: (n: JNode) => void, member?: Member) => {
    out.push(member ? { node, path, replace, member } : { node, path, replace });
    if (node.t === "arr") node.items.forEach((item, i) => walk(item, [...path, i], (n) => (node.items[i] = n)));
    else if (node.t === "obj") for (const m of node.members) walk(m.value, [...path, m.key], (n) => (m.value = n), m);
  };
  walk(box.root, [], (n) => (box.root = n));
  return out;
}

function typeOf(node: JNode): JsonType {
  if (node.t === "str") return "string";
  if (node.t === "arr") return "array";
  if (node.t === "obj") return "object";
  if (node.text === "null") return "null";
  if (node.text === "true" || node.text === "false") return "boolean";
  return "number";
}

const fresh = (seed: number) => ({ root: toNode(SEEDS[seed]!.value) });
const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;

// ─── running lintText and checking what comes back ─────────────────────────────────────────────────────

const MAX_FILE_BYTES = MAX_SOURCE_FILE_BYTES;
/** Policies of a megabyte or two: far over every policy limit, parsed and reported by policy-size. */
const ONE_MB = 1024 * 1024;
const MAX_DEPTH = 64;
const SEVERITIES = new Set(["error", "warning", "info"]);
const KINDS = new Set(["key-policy", "bucket-policy", "identity-policy"]);
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

interface Context {
  filePath: string;
  kind: PolicyKind | undefined;
  trust: TrustContext | undefined;
}

const contextArb: fc.Arbitrary<Context> = fc.record({
  filePath: fc.constantFrom("policy.json", "key-policy.json", "bucket-policy.json", "s3/kms-key.json", "C:\\policies\\Bucket.JSON", "policy"),
  kind: fc.constantFrom<PolicyKind | undefined>(undefined, undefined, "key-policy", "bucket-policy", "identity-policy"),
  trust: fc.constantFrom<TrustContext | undefined>(undefined, { trustedAccounts: [] }, { account: ACCOUNT, org: "o-a1b2c3d4e5", trustedAccounts: ["444455556666"] }),
});

/** What kmslint should make of the input, computed independently of kmslint. */
interface Expectation {
  /** The text positions refer to (an upper bound for them). */
  boundsText: string;
  tooLarge: boolean;
  parsed: { ok: true; value: unknown } | { ok: false };
  /** Text that a message may quote (so "undefined" in a message is fine when the input says it). */
  inputText: string;
}

function expectationOf(input: string | Uint8Array): Expectation {
  if (typeof input === "string") {
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    return { boundsText: text, tooLarge: false, parsed: tryParse(text), inputText: input };
  }
  const lenient = lenientDecoder.decode(input);
  if (input.byteLength > MAX_FILE_BYTES) return { boundsText: "", tooLarge: true, parsed: { ok: false }, inputText: lenient };
  if (input.includes(0)) return { boundsText: lenient, tooLarge: false, parsed: { ok: false }, inputText: lenient };
  let text: string;
  try {
    text = strictDecoder.decode(input);
  } catch {
    return { boundsText: lenient, tooLarge: false, parsed: { ok: false }, inputText: lenient };
  }
  const stripped = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return { boundsText: stripped, tooLarge: false, parsed: tryParse(stripped), inputText: text };
}

function tryParse(text: string): Expectation["parsed"] {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function depthOf(value: unknown): number {
  let depth = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (level > depth) depth = level;
    if (node !== null && typeof node === "object") for (const child of Object.values(node)) stack.push([child, level + 1]);
  }
  return depth;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

class MalformedResult extends Error {
  override name = "MalformedResult";
}

function fail(reason: string, finding?: Finding): never {
  throw new MalformedResult(finding ? `${reason}: ${JSON.stringify(finding).slice(0, 2000)}` : reason);
}

function describeFindings(result: DocumentResult): string {
  return JSON.stringify(result.findings.map((f) => `${f.ruleId}/${f.messageId}/${f.severity} ${f.range.start.line}:${f.range.start.column}`));
}

/** Upper bounds for positions: lines (counting \n, \r\n and a lone \r), columns (the longest \n-separated line) and offsets. */
function boundsOf(text: string): { lines: number; columns: number; offset: number } {
  let lines = 1;
  let longest = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lines++;
      longest = Math.max(longest, i - start);
      start = i + 1;
    } else if (c === 13 && text.charCodeAt(i + 1) !== 10) lines++;
  }
  longest = Math.max(longest, text.length - start);
  return { lines, columns: longest + 1, offset: text.length };
}

function checkPosition(p: Position, what: string, finding: Finding): void {
  if (!Number.isInteger(p.line) || p.line < 1) fail(`${what}.line is not an integer >= 1`, finding);
  if (!Number.isInteger(p.column) || p.column < 1) fail(`${what}.column is not an integer >= 1`, finding);
  if (!Number.isInteger(p.offset) || p.offset < 0) fail(`${what}.offset is not an integer >= 0`, finding);
}

let executed = 0;

/** Lints one input and checks every finding; throws (failing the property) on anything malformed. */
function lintChecked(input: string | Uint8Array, context: Context): DocumentResult {
  executed++;
  const options: LintOptions = {};
  if (context.kind) options.kind = context.kind;
  if (context.trust) options.trust = context.trust;
  let result: DocumentResult;
  try {
    result = lintText(input, context.filePath, options);
  } catch (error) {
    // The error itself may quote a megabyte of input; keep the report readable.
    const e = error instanceof Error ? error : new Error(String(error));
    const where = (e.stack ?? "").split("\n").filter((line) => line.trimStart().startsWith("at ")).slice(0, 4).join("\n");
    // Not chained as `cause`: the runner would print the original message, which can quote a megabyte of input.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`lintText threw ${e.name}: ${e.message.length > 300 ? `${e.message.slice(0, 300)}… (${e.message.length} characters)` : e.message}\n${where}`);
  }
  const expected = expectationOf(input);

  if (result.filePath !== context.filePath) fail(`filePath ${JSON.stringify(result.filePath)} is not the one given`);
  if (!KINDS.has(result.kind)) fail(`kind ${JSON.stringify(result.kind)} is not a policy kind`);
  if (typeof result.kindReason !== "string" || result.kindReason === "") fail("kindReason is empty");
  if (context.kind && result.kind !== context.kind) fail(`kind ${result.kind} although ${context.kind} was forced`);
  if (!Array.isArray(result.findings)) fail("findings is not an array");

  let bounds: ReturnType<typeof boundsOf> | undefined;
  for (const f of result.findings) {
    if (typeof f.ruleId !== "string" || f.ruleId === "") fail("empty ruleId", f);
    if (typeof f.messageId !== "string" || f.messageId === "") fail("empty messageId", f);
    if (typeof f.message !== "string" || f.message.trim() === "") fail("empty message", f);
    for (const bad of ["undefined", "{{", "[object Object]"]) {
      if (f.message.includes(bad) && !expected.inputText.includes(bad)) fail(`message contains ${JSON.stringify(bad)}`, f);
    }
    if (!SEVERITIES.has(f.severity)) fail("severity is not error, warning or info", f);
    if (!f.range || !f.range.start || !f.range.end) fail("no range", f);
    const { start, end } = f.range;
    checkPosition(start, "start", f);
    checkPosition(end, "end", f);
    if (end.line < start.line || (end.line === start.line && end.column < start.column)) fail("range ends before it starts", f);
    if (end.offset < start.offset) fail("range end offset is before its start offset", f);
    if (expected.tooLarge) continue;
    bounds ??= boundsOf(expected.boundsText);
    for (const [p, what] of [[start, "start"], [end, "end"]] as const) {
      if (p.line > bounds.lines) fail(`${what}.line ${p.line} is past the last line (${bounds.lines})`, f);
      if (p.column > bounds.columns) fail(`${what}.column ${p.column} is past the longest line (${bounds.columns - 1} characters)`, f);
      if (p.offset > bounds.offset) fail(`${what}.offset ${p.offset} is past the end of the text (${bounds.offset})`, f);
    }
  }

  const ids = result.findings.map((f) => f.ruleId);
  if (expected.tooLarge) {
    if (result.findings.length !== 1 || ids[0] !== "policy-size" || result.findings[0]!.severity !== "error") {
      fail(`a file over 1 MiB must give exactly one policy-size error, got ${describeFindings(result)}`);
    }
  } else if (!expected.parsed.ok) {
    if (result.findings.length !== 1 || ids[0] !== "invalid-json" || result.findings[0]!.severity !== "error") {
      fail(`unparseable input must give exactly one invalid-json error, got ${describeFindings(result)}`);
    }
  } else {
    if (ids.includes("invalid-json")) fail(`parseable JSON got invalid-json: ${describeFindings(result)}`);
    const value = expected.parsed.value;
    const hasError = result.findings.some((f) => f.severity === "error");
    if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, "Statement")) {
      if (!hasError) fail(`JSON that is not an object with a Statement must give an error, got ${describeFindings(result)}`);
    } else if (depthOf(value) > MAX_DEPTH && !hasError) {
      fail(`a document nested ${depthOf(value)} levels deep must give an error, got ${describeFindings(result)}`);
    }
  }
  return result;
}

// ─── shared arbitraries ─────────────────────────────────────────────────────────────────────────────────

const seedArb = fc.integer({ min: 0, max: SEEDS.length - 1 });
const formatArb: fc.Arbitrary<Format> = fc.record({
  indent: fc.constantFrom("", "  ", "    ", "\t"),
  eol: fc.constantFrom("\n", "\n", "\r\n"),
});
const deliverArb = fc.constantFrom<"string" | "bytes">("string", "bytes");
const deliver = (text: string, how: "string" | "bytes"): string | Uint8Array => (how === "bytes" ? encoder.encode(text) : text);

type JsonType = "null" | "number" | "boolean" | "array" | "object" | "string";

const ELEMENT_NAMES = [
  "Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
  "Condition", "AWS", "Service", "Federated", "CanonicalUser",
];
const OPERATORS = [
  "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike", "StringNotLike", "NumericLessThan", "DateLessThan",
  "DateGreaterThan", "Bool", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotLike", "Null",
  "StringNotEqualsIfExists", "BoolIfExists", "ForAnyValue:StringEquals", "ForAllValues:StringLike",
];
const CONDITION_KEYS = [
  "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount", "aws:SourceArn",
  "aws:SourceOrgID", "aws:SecureTransport", "aws:PrincipalIsAWSService", "kms:CallerAccount", "kms:ViaService",
  "kms:GrantIsForAWSResource", "kms:EncryptionContext:aws:s3:arn", "s3:x-amz-server-side-encryption", "aws:PrincipleOrgID",
];
/** Strings that have broken parsers and lookup tables before. */
const POISON_STRINGS = [
  "", " ", "*", "?", "**", ":", "kms:", ":Decrypt", "kms::", "kms:*:*", "arn:", "arn:aws", "arn:aws:iam::*:root", "arn:aws:iam::123:root",
  "arn:aws:s3:::", "arn:aws:kms:us-east-1:111122223333:key/*", "arn:aws-cn:iam::111122223333:role/x", "${aws:username}", "${", "}",
  "{{message}}", "{{}}", "undefined", "null", "NaN", "Infinity", "__proto__", "constructor", "prototype", "toString", "hasOwnProperty",
  "valueOf", "__proto__:x", "constructor:x", "toString:Decrypt", "kms:constructor", "kms:__proto__", "s3:__proto__", "aws:__proto__",
  "aws:constructor", "kms:hasOwnProperty", "s3:toString", "\u0000", "\\", "\"", "\u2028\u2029", "\ud800", "\udfff\ud800", "😀",
  "a".repeat(300), "o-", "o-*", "o-a1b2c3d4e5/*", "s3.amazonaws.com", "*.amazonaws.com", "ForAnyValue:", "IfExists", "NullIfExists",
  "ForAllValues:StringEqualsIfExists", "Allow", "Deny", "allow", "2012-10-17", "AIDAJQABLZS4A3QDU576Q", "111122223333", "0", "-1",
  "1e309", "true", "false", "0.0.0.0/0", "::/0", "256.1.1.1/33", "2030-02-30T25:61:61Z",
];
const ODD_NUMBERS = [
  "1e309", "-1e309", "-0", "0", "-0.0", "0.1e-400", "1e-400", "4.9e-324", "123456789012", "111122223333", "-123456789012",
  "9007199254740993", "1.7976931348623157e308", "1E+2", "1.0", "12345678901234567890123456789012345678901234567890", "20121017",
  "2012", "1e21", "0.000001", "1e-7",
];

function valueArb(type: JsonType): fc.Arbitrary<JNode> {
  const small = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
  switch (type) {
    case "null":
      return fc.constant<JNode>({ t: "raw", text: "null" });
    case "boolean":
      return fc.boolean().map<JNode>((b) => ({ t: "raw", text: String(b) }));
    case "number":
      return fc
        .oneof(fc.integer().map(String), fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)), fc.constantFrom(...ODD_NUMBERS))
        .map<JNode>((text) => ({ t: "raw", text }));
    case "string":
      return fc.oneof(fc.string(), fc.constantFrom(...POISON_STRINGS)).map<JNode>((value) => ({ t: "str", value }));
    case "array":
      return fc.array(small, { maxLength: 4 }).map((items) => toNode(items));
    case "object":
      return fc
        .dictionary(fc.oneof(fc.string(), fc.constantFrom(...ELEMENT_NAMES, ...OPERATORS, ...CONDITION_KEYS)), small, { maxKeys: 4 })
        .map((object) => toNode(object));
  }
}
const JSON_TYPES: JsonType[] = ["null", "number", "boolean", "array", "object", "string"];
const anyTypedValueArb = fc.oneof(...JSON_TYPES.map((type) => valueArb(type).map((node) => ({ type, node }))));

// ─── mutations ──────────────────────────────────────────────────────────────────────────────────────────

/** Runs per property; their sum is asserted at the end. */
const RUNS = {
  arbitraryInputs: 14_000,
  policyShaped: 6_000,
  truncation: 16_000,
  bytes: 22_000,
  deep: 1_000,
  oddValues: 10_000,
  hugeStrings: 150,
  wrongTypes: 12_000,
  lookAlikes: 9_000,
  duplicateKeys: 6_000,
  bomCrlf: 5_000,
  overOneMegabyte: 8,
} as const;
const MIN_TOTAL_INPUTS = 100_000;

describe("fuzzing lintText", () => {
  it("completely arbitrary strings and bytes", () => {
    const inputArb = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 100 }),
      fc.json(),
      fc.uint8Array({ maxLength: 512 }),
      fc.json().map((text) => encoder.encode(text)),
    );
    fc.assert(
      fc.property(inputArb, contextArb, (input, context) => {
        lintChecked(input, context);
      }),
      { numRuns: RUNS.arbitraryInputs },
    );
  }, 120_000);

  it("policy-shaped random documents", () => {
    const str = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...POISON_STRINGS));
    const stringOrList = (item: fc.Arbitrary<string>) => fc.oneof(item, fc.array(item, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }));
    const actionArb = fc.oneof(
      fc.constantFrom("kms:Decrypt", "kms:*", "kms:Get*", "kms:Create*", "s3:GetObject", "s3:*", "s3:Put*", "*", "iam:PassRole", "kms:Decrypt?", "KMS:decrypt"),
      str,
    );
    const principalArb = fc.oneof(
      fc.constant("*"),
      str,
      fc.record(
        {
          AWS: stringOrList(fc.oneof(fc.constantFrom("*", ROOT, ACCOUNT, "444455556666", "arn:aws:iam::444455556666:role/R", "AROAEXAMPLEID1234567"), str)),
          Service: stringOrList(fc.oneof(fc.constantFrom("s3.amazonaws.com", "logs.us-east-1.amazonaws.com", "*"), str)),
          Federated: stringOrList(str),
          CanonicalUser: stringOrList(str),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const conditionArb = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom(...OPERATORS), str),
        fc.oneof(
          fc.dictionary(fc.oneof(fc.constantFrom(...CONDITION_KEYS), str), fc.oneof(str, fc.array(fc.oneof(str, fc.boolean(), fc.integer()), { maxLength: 3 }), fc.boolean(), fc.integer(), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 3 }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        { maxKeys: 3 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const statementArb = fc.record(
      {
        Sid: fc.oneof(str, fc.jsonValue({ maxDepth: 0 })),
        Effect: fc.oneof(fc.constantFrom("Allow", "Deny"), str, fc.jsonValue({ maxDepth: 0 })),
        Principal: principalArb,
        NotPrincipal: principalArb,
        Action: stringOrList(actionArb),
        NotAction: stringOrList(actionArb),
        Resource: stringOrList(fc.oneof(fc.constantFrom("*", "arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:s3:::other/*"), str)),
        NotResource: stringOrList(str),
        Condition: conditionArb,
      },
      { requiredKeys: [] },
    );
    const policyArb = fc.record(
      {
        Version: fc.oneof(fc.constantFrom("2012-10-17", "2008-10-17"), fc.jsonValue({ maxDepth: 1 })),
        Id: str,
        Statement: fc.oneof({ arbitrary: fc.array(statementArb, { maxLength: 4 }), weight: 4 }, statementArb, fc.jsonValue({ maxDepth: 2 })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(policyArb, formatArb, deliverArb, contextArb, (policy, format, how, context) => {
        lintChecked(deliver(render(toNode(policy as Json), format), how), context);
      }),
      { numRuns: RUNS.policyShaped },
    );
  }, 120_000);

  it("truncation at a random offset", () => {
    fc.assert(
      fc.property(seedArb, formatArb, deliverArb, fc.nat(), contextArb, (seed, format, how, cut, context) => {
        const text = render(fresh(seed).root, format);
        let input: string | Uint8Array;
        if (how === "bytes") {
          const bytes = encoder.encode(text);
          input = bytes.slice(0, cut % (bytes.lastIndexOf(0x7d) + 1)); // any prefix without the closing brace
        } else {
          input = text.slice(0, cut % (text.lastIndexOf("}") + 1));
        }
        const result = lintChecked(input, context);
        // lintChecked already requires exactly one invalid-json finding for unparseable input; a truncated object always is.
        expect(result.findings.map((f) => f.ruleId)).toEqual(["invalid-json"]);
      }),
      { numRuns: RUNS.truncation },
    );
  }, 120_000);

  it("byte flips, insertions and deletions on the UTF-8 bytes (invalid UTF-8, NUL bytes)", () => {
    const byteArb = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x00, 0x0a, 0x0d, 0x09, 0x20, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x2d, 0x65, 0x80, 0xbf, 0xc0, 0xc1, 0xc3, 0xe2, 0xed, 0xef, 0xbb, 0xf0, 0xf4, 0xf5, 0xfe, 0xff),
    );
    const opArb = fc.oneof(
      fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: byteArb }),
      fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.array(byteArb, { minLength: 1, maxLength: 4 }) }),
      fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
    );
    fc.assert(
      fc.property(seedArb, formatArb, fc.array(opArb, { minLength: 1, maxLength: 8 }), contextArb, (seed, format, ops, context) => {
        const bytes = Array.from(encoder.encode(render(fresh(seed).root, format)));
        for (const op of ops) {
          if (op.op === "flip") {
            if (bytes.length > 0) bytes[op.at % bytes.length]! ^= 1 << op.bit;
          } else if (op.op === "set") {
            if (bytes.length > 0) bytes[op.at % bytes.length] = op.byte;
          } else if (op.op === "insert") {
            bytes.splice(op.at % (bytes.length + 1), 0, ...op.bytes);
          } else {
            bytes.splice(op.at % (bytes.length + 1), op.length);
          }
        }
        lintChecked(Uint8Array.from(bytes), context);
      }),
      { numRuns: RUNS.bytes },
    );
  }, 120_000);

  it("deep nesting, as the whole document and inside a statement", () => {
    const deepArb = fc.record({
      seed: seedArb,
      format: formatArb,
      where: fc.constantFrom<"document" | "statement" | "node">("document", "statement", "node"),
      depth: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 100, max: 8_000 })),
      shape: fc.constantFrom<"array" | "object" | "mixed">("array", "object", "mixed"),
      bits: fc.nat(),
      leaf: fc.constantFrom("null", "1", '"x"', "{}", "[]", '"kms:Decrypt"', "seed"),
      closed: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, fc.constant(false)),
      element: fc.constantFrom("Condition", "Action", "Principal", "Resource", "Effect", "Deep"),
      slot: fc.nat(),
      how: deliverArb,
      context: contextArb,
    });
    const KEYS = ["a", "Statement", "Condition", "AWS", "StringEquals", "aws:PrincipalOrgID"];
    fc.assert(
      fc.property(deepArb, (p) => {
        const leaf = p.leaf === "seed" ? render(fresh(p.seed).root, { indent: "", eol: "\n" }) : p.leaf;
        const opens: string[] = [];
        const closes: string[] = [];
        for (let i = 0; i < p.depth; i++) {
          const isArray = p.shape === "array" || (p.shape === "mixed" && ((p.bits >>> (i % 31)) & 1) === 1);
          opens.push(isArray ? "[" : `{${JSON.stringify(pick(KEYS, i + p.bits))}:`);
          closes.push(isArray ? "]" : "}");
        }
        const nested = opens.join("") + leaf + (p.closed ? closes.reverse().join("") : "");
        let text: string;
        if (p.where === "document") {
          text = nested;
        } else {
          const box = fresh(p.seed);
          const slots = slotsOf(box);
          if (p.where === "statement") {
            const statements = slots.filter((s) => s.node.t === "obj" && s.path[0] === "Statement" && s.path.length <= 2);
            const statement = pick(statements, p.slot).node as Extract<JNode, { t: "obj" }>;
            const member = statement.members.find((m) => m.key === p.element);
            if (member) member.value = { t: "raw", text: nested };
            else statement.members.push({ key: p.element, value: { t: "raw", text: nested } });
          } else {
            pick(slots, p.slot).replace({ t: "raw", text: nested });
          }
          text = render(box.root, p.format);
        }
        lintChecked(deliver(text, p.how), p.context);
      }),
      { numRuns: RUNS.deep },
    );
  }, 120_000);

  it("odd numbers and poison strings at random nodes and keys", () => {
    const oddArb = fc.record({
      seed: seedArb,
      format: formatArb,
      changes: fc.array(
        fc.record({
          what: fc.constantFrom<"number" | "string" | "key" | "account-number">("number", "string", "key", "account-number"),
          slot: fc.nat(),
          number: fc.constantFrom(...ODD_NUMBERS),
          text: fc.constantFrom(...POISON_STRINGS),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      how: deliverArb,
      context: contextArb,
    });
    fc.assert(
      fc.property(oddArb, (p) => {
        const box = fresh(p.seed);
        let accountAsNumber: string | undefined;
        for (const change of p.changes) {
          const slots = slotsOf(box);
          if (change.what === "number") {
            pick(slots, change.slot).replace({ t: "raw", text: change.number });
          } else if (change.what === "string") {
            const strings = slots.filter((s) => s.node.t === "str");
            if (strings.length > 0) pick(strings, change.slot).replace({ t: "str", value: change.text });
          } else if (change.what === "key") {
            const members = slots.filter((s) => s.member !== undefined);
            if (members.length > 0) pick(members, change.slot).member!.key = change.text;
          } else {
            // An account id written as a JSON number in Principal.AWS.
            const accounts = slots.filter((s) => s.node.t === "str" && s.path.includes("AWS") && (s.path[s.path.length - 1] === "AWS" || typeof s.path[s.path.length - 1] === "number"));
            if (accounts.length > 0) {
              pick(accounts, change.slot).replace({ t: "raw", text: "123456789012" });
              accountAsNumber = "123456789012";
            }
          }
        }
        const result = lintChecked(deliver(render(box.root, p.format), p.how), p.context);
        if (accountAsNumber && p.changes.length === 1) {
          expect(result.findings.some((f) => f.ruleId === "invalid-policy" && f.message.includes("JSON number"))).toBe(true);
        }
      }),
      { numRuns: RUNS.oddValues },
    );
  }, 120_000);

  it("huge strings (100 KB and more)", () => {
    const hugeArb = fc.record({
      seed: seedArb,
      format: formatArb,
      slot: fc.nat(),
      unit: fc.constantFrom("a", "é", "€", "😀", "\\", '"', "\n", "*", "kms:Decrypt,", "\u200d"),
      length: fc.integer({ min: 100 * 1024, max: 200 * 1024 }),
      mode: fc.constantFrom<"replace" | "append" | "key">("replace", "append", "key"),
      how: deliverArb,
      context: contextArb,
    });
    fc.assert(
      fc.property(hugeArb, (p) => {
        const box = fresh(p.seed);
        const slots = slotsOf(box);
        const huge = p.unit.repeat(Math.ceil(p.length / p.unit.length)).slice(0, p.length);
        if (p.mode === "key") {
          pick(slots.filter((s) => s.member !== undefined), p.slot).member!.key = huge;
        } else {
          // "append" keeps what the value was ("kms:Decrypt…", "arn:aws:s3:::…") and makes it huge.
          const target = pick(slots.filter((s) => s.node.t === "str"), p.slot);
          const before = target.node.t === "str" ? target.node.value : "";
          target.replace({ t: "str", value: p.mode === "append" ? before + huge : huge });
        }
        const result = lintChecked(deliver(render(box.root, p.format), p.how), p.context);
        // 100 KB is over both the KMS (32,768 bytes) and the S3 (20,480 bytes minified) limits.
        expect(result.findings.some((f) => f.ruleId === "policy-size" && f.severity === "error")).toBe(true);
      }),
      { numRuns: RUNS.hugeStrings },
    );
  }, 120_000);

  it("wrong types at every element", () => {
    const wrongArb = fc.record({
      seed: seedArb,
      format: formatArb,
      replacements: fc.array(fc.record({ slot: fc.nat(), value: anyTypedValueArb }), { minLength: 1, maxLength: 3 }),
      how: deliverArb,
      context: contextArb,
    });
    fc.assert(
      fc.property(wrongArb, (p) => {
        const box = fresh(p.seed);
        let replaced = 0;
        for (const { slot, value } of p.replacements) {
          const target = pick(slotsOf(box), slot);
          if (typeOf(target.node) === value.type) continue; // only a value of another type
          target.replace(value.node);
          replaced++;
        }
        fc.pre(replaced > 0);
        lintChecked(deliver(render(box.root, p.format), p.how), p.context);
      }),
      { numRuns: RUNS.wrongTypes },
    );
  }, 120_000);

  it("unicode look-alikes in keys and values", () => {
    const CONFUSABLES: Record<string, string[]> = {
      A: ["\u0391", "\u0410"], B: ["\u0392", "\u0412"], C: ["\u0421", "\u03f9"], E: ["\u0395", "\u0415"], H: ["\u0397", "\u041d"],
      I: ["\u0399", "\u0406"], K: ["\u039a", "\u041a"], M: ["\u039c", "\u041c"], N: ["\u039d"], O: ["\u039f", "\u041e"],
      P: ["\u03a1", "\u0420"], S: ["\u0405"], T: ["\u03a4", "\u0422"], W: ["\u051c"], X: ["\u03a7", "\u0425"], Y: ["\u03a5", "\u04ae"],
      a: ["\u0430"], c: ["\u0441", "\u03f2"], d: ["\u0501"], e: ["\u0435"], i: ["\u0456", "\u0131"], j: ["\u0458"], l: ["\u04cf", "\u217c"],
      n: ["\u0578"], o: ["\u043e", "\u03bf"], p: ["\u0440"], s: ["\u0455"], u: ["\u057d"], x: ["\u0445"], y: ["\u0443"],
      ":": ["\uff1a", "\ua789", "\u02d0"], "*": ["\uff0a", "\u2217"], "-": ["\u2010", "\u2212"], "/": ["\u2215"], ".": ["\u2024"],
    };
    const CURATED: [string, string][] = [
      ["Effect", "\u0395ffect"],
      ["Statement", "State\u200dment"],
      ["Statement", "\uff33\uff54\uff41\uff54\uff45\uff4d\uff45\uff4e\uff54"],
      ["Principal", "Princip\u0430l"],
      ["Action", "\u0410ction"],
      ["Resource", "R\u0435source"],
      ["Version", "V\u0435rsion"],
      ["AWS", "\u0391WS"],
      ["Allow", "\u0410llow"],
      ["Deny", "D\u0435ny"],
    ];
    const lookAlikeArb = fc.record({
      seed: seedArb,
      format: formatArb,
      target: fc.constantFrom<"element-key" | "any-key" | "value" | "curated">("element-key", "element-key", "any-key", "value", "curated"),
      how: fc.constantFrom<"confusable" | "invisible" | "fullwidth" | "case" | "space" | "bidi">("confusable", "confusable", "invisible", "fullwidth", "case", "space", "bidi"),
      slot: fc.nat(),
      at: fc.nat(),
      variant: fc.nat(),
      invisible: fc.constantFrom("\u200d", "\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad", "\u034f"),
      space: fc.constantFrom(" ", "\u00a0", "\t", "\u3000", "\u2002"),
      curated: fc.constantFrom(...CURATED),
      deliver: deliverArb,
      context: contextArb,
    });
    type LookAlike = { how: "confusable" | "invisible" | "fullwidth" | "case" | "space" | "bidi"; at: number; variant: number; invisible: string };
    const transform = (text: string, p: LookAlike & { space: string }): string => {
      switch (p.how) {
        case "confusable": {
          const positions = [...text].map((c, i) => (CONFUSABLES[c] ? i : -1)).filter((i) => i >= 0);
          if (positions.length > 0) {
            const chars = [...text];
            const i = pick(positions, p.at);
            chars[i] = pick(CONFUSABLES[chars[i]!]!, p.variant);
            return chars.join("");
          }
          return `${text}${p.invisible}`;
        }
        case "invisible": {
          const i = text.length > 1 ? 1 + (p.at % (text.length - 1)) : 0;
          return text.slice(0, i) + p.invisible + text.slice(i);
        }
        case "fullwidth":
          return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
        case "case": {
          const letters = [...text].map((c, i) => (c.toLowerCase() !== c.toUpperCase() ? i : -1)).filter((i) => i >= 0);
          if (letters.length === 0) return `${text}${p.invisible}`;
          const i = pick(letters, p.at);
          const c = text[i]!;
          return text.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + text.slice(i + 1);
        }
        case "space":
          return p.at % 2 === 0 ? `${text}${p.space}` : `${p.space}${text}`;
        case "bidi":
          return `\u202e${text}\u202c`;
      }
    };
    fc.assert(
      fc.property(lookAlikeArb, (p) => {
        const box = fresh(p.seed);
        const slots = slotsOf(box);
        let elementChanged = false;
        if (p.target === "curated") {
          const [from, to] = p.curated;
          for (const s of slots) {
            if (s.member && s.member.key === from) {
              s.member.key = to;
              elementChanged = true;
            } else if (s.node.t === "str" && s.node.value === from) {
              s.node.value = to;
              elementChanged = true;
            }
          }
        } else if (p.target === "value") {
          const strings = slots.filter((s) => s.node.t === "str");
          const node = pick(strings, p.slot).node as Extract<JNode, { t: "str" }>;
          node.value = transform(node.value, p);
        } else {
          const keys = slots.filter((s) => s.member && (p.target === "any-key" || ELEMENT_NAMES.includes(s.member.key) || OPERATORS.includes(s.member.key)));
          const member = pick(keys, p.slot).member!;
          const before = member.key;
          member.key = transform(member.key, p);
          elementChanged = member.key !== before && (ELEMENT_NAMES.includes(before) || (OPERATORS.includes(before) && !before.includes(":")));
        }
        const result = lintChecked(deliver(render(box.root, p.format), p.deliver), p.context);
        if (elementChanged) {
          // An element name or operator that only looks right is not the element: AWS rejects the policy.
          expect(result.findings.some((f) => f.severity === "error")).toBe(true);
        }
      }),
      { numRuns: RUNS.lookAlikes },
    );
  }, 120_000);

  it("duplicate keys injected into objects", () => {
    const dupArb = fc.record({
      seed: seedArb,
      format: formatArb,
      object: fc.nat(),
      key: fc.oneof(
        { arbitrary: fc.nat().map((n) => ({ existing: n, name: undefined })), weight: 4 },
        fc.constantFrom(...ELEMENT_NAMES).map((name) => ({ existing: undefined, name })),
      ),
      value: fc.oneof(
        fc.constant<"copy">("copy"),
        fc.constantFrom("Allow", "Deny", "*", "kms:*", "s3:*").map<JNode>((value) => ({ t: "str", value })),
        anyTypedValueArb.map((v) => v.node),
      ),
      escape: fc.boolean(),
      position: fc.nat(),
      how: deliverArb,
      context: contextArb,
    });
    fc.assert(
      fc.property(dupArb, (p) => {
        const box = fresh(p.seed);
        const objects = slotsOf(box).filter((s) => s.node.t === "obj" && s.node.members.length > 0);
        const object = pick(objects, p.object).node as Extract<JNode, { t: "obj" }>;
        const { existing, name } = p.key;
        const original = existing !== undefined ? pick(object.members, existing) : object.members.find((m) => m.key === name);
        const key = original?.key ?? name ?? object.members[0]!.key;
        const value: JNode = p.value === "copy" ? (original?.value ?? { t: "raw", text: "null" }) : p.value;
        // An escaped spelling of the same key ("\u0045ffect") is the same key to every JSON parser.
        const rawKey = p.escape && key.length > 0 ? `"\\u${key.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(key).slice(2)}` : undefined;
        const duplicate: Member = rawKey ? { key, rawKey, value } : { key, value };
        if (!original) object.members.push({ key, value: { t: "str", value: "first" } });
        object.members.splice(p.position % (object.members.length + 1), 0, duplicate);
        const text = render(box.root, p.format);
        const result = lintChecked(deliver(text, p.how), p.context);
        const duplicates = result.findings.filter((f) => f.ruleId === "invalid-policy" && f.messageId === "duplicateKey");
        expect(duplicates.length, describeFindings(result)).toBeGreaterThan(0);
        // The finding points at a key that decodes to the duplicated name.
        const pointed = duplicates.map((f) => JSON.parse(text.slice(f.range.start.offset, f.range.end.offset)) as unknown);
        expect(pointed).toContain(key);
      }),
      { numRuns: RUNS.duplicateKeys },
    );
  }, 120_000);

  it("byte order marks and line endings", () => {
    const bomArb = fc.record({
      seed: seedArb,
      indent: fc.constantFrom("", "  ", "\t"),
      eol: fc.constantFrom("\n", "\r\n", "\r"),
      bom: fc.constantFrom<"none" | "string" | "bytes" | "double" | "inside">("none", "string", "bytes", "double", "inside"),
      trailing: fc.constantFrom("", "\n", "\r\n", "\r\n\r\n", " \t", "\r"),
      context: contextArb,
    });
    const baselines = new Map<string, string>();
    const summary = (result: DocumentResult) =>
      JSON.stringify(result.findings.map((f) => [f.ruleId, f.messageId, f.severity, f.range.start.line, f.range.start.column, f.range.end.line, f.range.end.column]));
    fc.assert(
      fc.property(bomArb, (p) => {
        const text = (render(fresh(p.seed).root, { indent: p.indent, eol: "\n" }) + p.trailing).replace(/\r?\n/g, p.eol);
        let input: string | Uint8Array;
        switch (p.bom) {
          case "none":
            input = text;
            break;
          case "string":
            input = `\ufeff${text}`;
            break;
          case "bytes":
            input = Uint8Array.from([0xef, 0xbb, 0xbf, ...encoder.encode(text)]);
            break;
          case "double":
            input = `\ufeff\ufeff${text}`;
            break;
          case "inside":
            input = text.replace("{", "{\ufeff");
            break;
        }
        const result = lintChecked(input, p.context);
        if (p.bom === "none" || p.bom === "string" || p.bom === "bytes") {
          // One BOM and the line-ending style change nothing: the same findings at the same lines and columns.
          const key = JSON.stringify([p.seed, p.indent, p.context]);
          let baseline = baselines.get(key);
          if (baseline === undefined) {
            baseline = summary(lintChecked(render(fresh(p.seed).root, { indent: p.indent, eol: "\n" }), p.context));
            baselines.set(key, baseline);
          }
          expect(summary(result)).toBe(baseline);
        }
      }),
      { numRuns: RUNS.bomCrlf },
    );
  }, 120_000);

  it("files larger than 1 MB", () => {
    const bigArb = fc.record({
      seed: seedArb,
      size: fc.oneof(
        fc.constant(ONE_MB),
        fc.constant(ONE_MB + 1),
        fc.integer({ min: ONE_MB - 64, max: ONE_MB + 64 }),
        fc.integer({ min: ONE_MB + 1, max: 2 * ONE_MB }),
      ),
      padding: fc.constantFrom<"whitespace" | "statements" | "string">("whitespace", "statements", "string"),
      how: deliverArb,
      context: contextArb,
    });
    fc.assert(
      fc.property(bigArb, (p) => {
        const box = fresh(p.seed);
        const compact = { indent: "", eol: "\n" };
        let text: string;
        if (p.padding === "whitespace") {
          text = render(box.root, compact);
        } else if (p.padding === "string") {
          const filler = "x".repeat(p.size);
          const root = box.root as Extract<JNode, { t: "obj" }>;
          const id = root.members.find((m) => m.key === "Id");
          if (id) id.value = { t: "str", value: filler };
          else root.members.unshift({ key: "Id", value: { t: "str", value: filler } });
          text = render(box.root, compact);
          text = text.replace(filler, filler.slice(0, Math.max(0, filler.length - (encoder.encode(text).length - p.size))));
        } else {
          const root = box.root as Extract<JNode, { t: "obj" }>;
          const statement = root.members.find((m) => m.key === "Statement")!;
          const one = statement.value.t === "arr" ? statement.value.items[0]! : statement.value;
          const oneBytes = encoder.encode(render(one, compact)).length + 1;
          const baseBytes = encoder.encode(render(box.root, compact)).length;
          const count = Math.max(1, Math.floor((p.size - baseBytes) / oneBytes));
          statement.value = { t: "arr", items: Array.from({ length: count }, () => one) };
          text = render(box.root, compact);
        }
        const missing = p.size - encoder.encode(text).length;
        if (missing > 0) text += " ".repeat(missing);
        const input = deliver(text, p.how);
        const result = lintChecked(input, p.context);
        if (typeof input !== "string" && input.byteLength > MAX_FILE_BYTES) {
          expect(result.findings.map((f) => `${f.ruleId}/${f.messageId}`)).toEqual(["policy-size/fileTooLarge"]);
        } else if (result.kind === "key-policy" || p.padding !== "whitespace") {
          expect(result.findings.some((f) => f.ruleId === "policy-size" && f.severity === "error"), describeFindings(result)).toBe(true);
        }
      }),
      { numRuns: RUNS.overOneMegabyte },
    );
  }, 180_000);

  it(`ran at least ${MIN_TOTAL_INPUTS.toLocaleString("en-US")} inputs`, () => {
    const planned = Object.values(RUNS).reduce((a, b) => a + b, 0);
    expect(planned).toBeGreaterThanOrEqual(MIN_TOTAL_INPUTS);
    // Every run lints at least one input (the BOM property also lints a few baselines).
    expect(executed).toBeGreaterThanOrEqual(planned);
  });
});
