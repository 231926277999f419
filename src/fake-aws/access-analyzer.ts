/**
 * The fake IAM Access Analyzer: restJson1 (paths and query strings as the SDK model has them, JSON bodies,
 * camelCase members, timestamps as RFC 3339 text — the SDK rejects epoch numbers here), signed as
 * `access-analyzer`. Answers:
 *
 * - ListAnalyzers (`GET /analyzer?type&maxResults&nextToken`): the snapshot's analyzers of the signing region.
 * - ListFindingsV2 (`POST /findingv2`): the analyzer's external-access findings, filtered, sorted and paged.
 *   Filter keys: `id`, `resource`, `resourceType`, `resourceOwnerAccount`, `status`, `isPublic` (`"true"` /
 *   `"false"`), `error`, `findingType`, `action`, `principal.<key>`, `condition.<key>`; any other key is a
 *   ValidationException. Criteria: `eq` (a value equals one listed), `neq` (no value equals one listed),
 *   `contains` (a value contains one listed), `exists`; every criterion given must hold, for every key. A
 *   multi-valued field (`action`) matches `eq`/`contains` when any of its values does. Without `sort`, the
 *   snapshot's order.
 * - GetFindingV2 (`GET /findingv2/{id}?analyzerArn&maxResults&nextToken`): the finding with one
 *   `externalAccessDetails` entry.
 * - ValidatePolicy (`POST /policy/validation?maxResults&nextToken`): a small, deterministic subset of AWS's
 *   policy checks (see POLICY_CHECKS), with `locations` whose `span` indexes the exact `policyDocument` text.
 * - CheckNoPublicAccess (`POST /policy/check-no-public-access`): an approximation (see checkNoPublicAccess),
 *   overridden by the snapshot's `AccessAnalyzer.PublicAccessChecks`.
 *
 * Errors are restJson1's: status, `x-amzn-errortype`, and a body with `message` plus the members the SDK's
 * error shape has (`resourceId`/`resourceType` of ResourceNotFoundException, `reason` of ValidationException).
 */
import type { Call } from "./call.js";
import type { AccountState, AnalyzerRecord, FindingRecord } from "./state.js";
import { jsonBody, ServiceError, type Reply } from "./wire.js";

export function accessAnalyzerCall(state: AccountState, region: string, method: string, url: string, body: string, pageSize: number | undefined): Call {
  const queryAt = url.indexOf("?");
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? "" : url.slice(queryAt + 1));
  const call = (operation: string, answer: () => Reply): Call => ({ service: "access-analyzer", operation, answer });

  if (method === "GET" && path === "/analyzer") return call("ListAnalyzers", () => listAnalyzers(state, region, query, pageSize));
  if (method === "GET" && path.startsWith("/findingv2/") && path.length > "/findingv2/".length) {
    const id = decodeURIComponent(path.slice("/findingv2/".length));
    const analyzerArn = query.get("analyzerArn") ?? undefined;
    const result = call("GetFindingV2", () => getFindingV2(state, region, id, analyzerArn, query));
    result.resource = id;
    result.names = () => [id, ...analyzerNames(state, analyzerArn)];
    if (analyzerArn !== undefined) result.arn = () => analyzerArn;
    return result;
  }
  const operation = method === "POST" ? POST_OPERATIONS[path] : undefined;
  if (operation === undefined) {
    return call(`${method} ${path}`, () => {
      throw new ServiceError("UnknownOperationException", `Unknown operation ${method} ${path}`, 404);
    });
  }
  const input = jsonBody(body);
  if (!input) {
    return call(operation, () => {
      throw new ServiceError("SerializationException", "The request body is not a JSON object.");
    });
  }
  switch (operation) {
    case "ListFindingsV2": {
      const analyzerArn = typeof input["analyzerArn"] === "string" ? input["analyzerArn"] : undefined;
      const result = call(operation, () => listFindingsV2(state, region, input, pageSize));
      if (analyzerArn !== undefined) {
        result.resource = analyzerArn;
        result.names = () => analyzerNames(state, analyzerArn);
        result.arn = () => analyzerArn;
      }
      return result;
    }
    case "ValidatePolicy":
      return call(operation, () => validatePolicy(input, query, pageSize));
    default:
      return call(operation, () => checkNoPublicAccess(state, input));
  }
}

const POST_OPERATIONS: Record<string, string> = {
  "/findingv2": "ListFindingsV2",
  "/policy/validation": "ValidatePolicy",
  "/policy/check-no-public-access": "CheckNoPublicAccess",
};

/** The names a fault's Resource may use for an analyzer: its ARN and its name. */
function analyzerNames(state: AccountState, arn: string | undefined): string[] {
  if (arn === undefined) return [];
  const analyzer = state.accessAnalyzer.byArn.get(arn);
  return analyzer ? [arn, analyzer.name] : [arn];
}

function restJsonReply(body: unknown): Reply {
  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

function validationError(message: string, reason = "fieldValidationFailed"): ServiceError {
  return new ServiceError("ValidationException", message, 400, { fields: { reason } });
}

function enumValue(value: unknown, member: string, allowed: readonly string[], required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw validationError(
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`,
    );
  }
  return value;
}

const TOKEN_PREFIX = "kmslint-fake-access-analyzer:";

/**
 * The page [start, end) of a list of `total` items, and the token of the next page: `maxResults` (query text
 * or body number; default 100) capped by the server's pageSize; the token is opaque and names the operation.
 */
function page(operation: string, maxResults: unknown, nextToken: unknown, total: number, pageSize: number | undefined): [number, number, string | undefined] {
  const max = maxResults === undefined || maxResults === null ? 100 : Number(maxResults);
  if (!Number.isInteger(max) || max < 1) throw validationError(`1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must be a whole number of 1 or more`);
  let start = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const decoded = Buffer.from(String(nextToken), "base64").toString("utf8");
    const prefix = `${TOKEN_PREFIX}${operation}:`;
    start = decoded.startsWith(prefix) ? Number(decoded.slice(prefix.length)) : NaN;
    if (!Number.isInteger(start) || start < 0 || start > total) throw validationError("Invalid pagination token.", "other");
  }
  const end = Math.min(total, start + Math.min(max, pageSize ?? max));
  return [start, end, end < total ? Buffer.from(`${TOKEN_PREFIX}${operation}:${end}`).toString("base64") : undefined];
}

// ---------------------------------------------------------------------------------------------------------
// Analyzers and findings

const ANALYZER_TYPES = ["ACCOUNT", "ORGANIZATION", "ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS", "ACCOUNT_INTERNAL_ACCESS", "ORGANIZATION_INTERNAL_ACCESS"];

function listAnalyzers(state: AccountState, region: string, query: URLSearchParams, pageSize: number | undefined): Reply {
  const type = enumValue(query.get("type"), "type", ANALYZER_TYPES, false);
  const analyzers = (state.accessAnalyzer.analyzers.get(region) ?? []).filter((analyzer) => type === undefined || analyzer.type === type);
  const [start, end, next] = page("ListAnalyzers", query.get("maxResults"), query.get("nextToken"), analyzers.length, pageSize);
  const summaries = analyzers.slice(start, end).map((analyzer) => ({
    arn: analyzer.arn,
    name: analyzer.name,
    type: analyzer.type,
    createdAt: analyzer.createdAt,
    ...(analyzer.lastResourceAnalyzedAt !== undefined ? { lastResourceAnalyzedAt: analyzer.lastResourceAnalyzedAt } : {}),
    ...(analyzer.findings.length > 0 ? { lastResourceAnalyzed: analyzer.findings.at(-1)?.resource } : {}),
    status: analyzer.status,
    tags: {},
  }));
  return restJsonReply(next === undefined ? { analyzers: summaries } : { analyzers: summaries, nextToken: next });
}

/** The analyzer an ARN names, in the signing region; ResourceNotFoundException otherwise. */
function analyzerOf(state: AccountState, region: string, arn: unknown): AnalyzerRecord {
  if (typeof arn !== "string" || arn === "") throw validationError("1 validation error detected: Value null at 'analyzerArn' failed to satisfy constraint: Member must not be null");
  const analyzer = state.accessAnalyzer.byArn.get(arn);
  if (!analyzer || analyzer.region !== region) {
    throw new ServiceError("ResourceNotFoundException", `Analyzer ${arn} not found.`, 404, { fields: { resourceId: arn, resourceType: "AWS::AccessAnalyzer::Analyzer" } });
  }
  return analyzer;
}

const FINDING_FIELDS = new Set(["id", "resource", "resourceType", "resourceOwnerAccount", "status", "isPublic", "error", "findingType", "action"]);

function filterKeyKnown(key: string): boolean {
  return FINDING_FIELDS.has(key) || (/^(principal|condition)\.[^.]/.test(key));
}

/** The values of a finding for a filter or sort key (none when the field is absent). */
function fieldValues(finding: FindingRecord, key: string): string[] {
  switch (key) {
    case "id":
      return [finding.id];
    case "resource":
      return [finding.resource];
    case "resourceType":
      return [finding.resourceType];
    case "resourceOwnerAccount":
      return [finding.resourceOwnerAccount];
    case "status":
      return [finding.status];
    case "isPublic":
      return [String(finding.isPublic)];
    case "error":
      return finding.error === undefined ? [] : [finding.error];
    case "findingType":
      return ["ExternalAccess"];
    case "action":
      return finding.action ?? [];
  }
  const dot = key.indexOf(".");
  const map = key.slice(0, dot) === "principal" ? finding.principal : finding.condition;
  const value = map?.[key.slice(dot + 1)];
  return value === undefined ? [] : [value];
}

interface Criterion {
  eq?: string[];
  neq?: string[];
  contains?: string[];
  exists?: boolean;
}

function criteria(filter: unknown): [string, Criterion][] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter !== "object" || Array.isArray(filter)) throw validationError("filter must be a map of criteria.");
  const result: [string, Criterion][] = [];
  for (const [key, given] of Object.entries(filter as Record<string, unknown>)) {
    if (!filterKeyKnown(key)) throw validationError(`Invalid filter key: ${key}`);
    if (given === null || typeof given !== "object" || Array.isArray(given)) throw validationError(`The criterion for ${key} must be an object.`);
    const criterion: Criterion = {};
    for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
      if (name === "exists") {
        if (typeof value !== "boolean") throw validationError(`The exists criterion for ${key} must be true or false.`);
        criterion.exists = value;
      } else if (name === "eq" || name === "neq" || name === "contains") {
        if (!Array.isArray(value) || value.length < 1 || value.length > 20 || value.some((v) => typeof v !== "string")) {
          throw validationError(`The ${name} criterion for ${key} must list 1 to 20 strings.`);
        }
        criterion[name] = value as string[];
      } else {
        throw validationError(`Unknown criterion ${name} for ${key}.`);
      }
    }
    if (Object.keys(criterion).length === 0) throw validationError(`The criterion for ${key} must have eq, neq, contains or exists.`);
    result.push([key, criterion]);
  }
  return result;
}

function matches(finding: FindingRecord, key: string, criterion: Criterion): boolean {
  const values = fieldValues(finding, key);
  if (criterion.exists !== undefined && criterion.exists !== values.length > 0) return false;
  if (criterion.eq && !values.some((v) => criterion.eq!.includes(v))) return false;
  if (criterion.neq && values.some((v) => criterion.neq!.includes(v))) return false;
  if (criterion.contains && !values.some((v) => criterion.contains!.some((part) => v.includes(part)))) return false;
  return true;
}

function listFindingsV2(state: AccountState, region: string, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  const analyzer = analyzerOf(state, region, input["analyzerArn"]);
  const filter = criteria(input["filter"]);
  let findings = analyzer.findings.filter((finding) => filter.every(([key, criterion]) => matches(finding, key, criterion)));
  const sort = input["sort"];
  if (sort !== undefined && sort !== null) {
    if (typeof sort !== "object" || Array.isArray(sort)) throw validationError("sort must be an object.");
    const { attributeName, orderBy } = sort as Record<string, unknown>;
    const order = enumValue(orderBy, "sort.orderBy", ["ASC", "DESC"], false) ?? "ASC";
    if (attributeName !== undefined) {
      if (typeof attributeName !== "string" || !filterKeyKnown(attributeName)) throw validationError(`Invalid sort attribute: ${String(attributeName)}`);
      const sign = order === "DESC" ? -1 : 1;
      findings = findings
        .map((finding) => ({ finding, value: fieldValues(finding, attributeName)[0] ?? "" }))
        .sort((a, b) => sign * (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
        .map(({ finding }) => finding);
    }
  }
  const [start, end, next] = page("ListFindingsV2", input["maxResults"], input["nextToken"], findings.length, pageSize);
  const summaries = findings.slice(start, end).map((finding) => ({
    analyzedAt: finding.analyzedAt,
    createdAt: finding.createdAt,
    ...(finding.error !== undefined ? { error: finding.error } : {}),
    id: finding.id,
    resource: finding.resource,
    resourceType: finding.resourceType,
    resourceOwnerAccount: finding.resourceOwnerAccount,
    status: finding.status,
    updatedAt: finding.updatedAt,
    findingType: "ExternalAccess",
  }));
  return restJsonReply(next === undefined ? { findings: summaries } : { findings: summaries, nextToken: next });
}

function getFindingV2(state: AccountState, region: string, id: string, analyzerArn: string | undefined, query: URLSearchParams): Reply {
  const analyzer = analyzerOf(state, region, analyzerArn);
  const finding = analyzer.findingById.get(id);
  if (!finding) throw new ServiceError("ResourceNotFoundException", `Finding ${id} not found.`, 404, { fields: { resourceId: id, resourceType: "AWS::AccessAnalyzer::Finding" } });
  const details = {
    ...(finding.action !== undefined ? { action: finding.action } : {}),
    condition: finding.condition,
    isPublic: finding.isPublic,
    ...(finding.principal !== undefined ? { principal: finding.principal } : {}),
    ...(finding.sources !== undefined ? { sources: finding.sources } : {}),
  };
  const [start, end, next] = page("GetFindingV2", query.get("maxResults"), query.get("nextToken"), 1, undefined);
  return restJsonReply({
    analyzedAt: finding.analyzedAt,
    createdAt: finding.createdAt,
    ...(finding.error !== undefined ? { error: finding.error } : {}),
    id: finding.id,
    ...(next !== undefined ? { nextToken: next } : {}),
    resource: finding.resource,
    resourceType: finding.resourceType,
    resourceOwnerAccount: finding.resourceOwnerAccount,
    status: finding.status,
    updatedAt: finding.updatedAt,
    findingDetails: [{ externalAccessDetails: details }].slice(start, end),
    findingType: "ExternalAccess",
  });
}

// ---------------------------------------------------------------------------------------------------------
// Policy text with positions

/** A JSON value of the policy text and where it is: `start` inclusive, `end` exclusive (UTF-16 offsets). */
export type JsonNode =
  | { type: "object"; start: number; end: number; members: JsonMember[] }
  | { type: "array"; start: number; end: number; elements: JsonNode[] }
  | { type: "string"; start: number; end: number; value: string }
  | { type: "number" | "boolean" | "null"; start: number; end: number };

export interface JsonMember {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: JsonNode;
}

class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${offset}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 512;

/**
 * Parses JSON text as JSON.parse does (RFC 8259: no comments, no trailing commas, no control characters in
 * strings), keeping each value's position; throws a JsonSyntaxError at the offset of the first character
 * that cannot continue the text (the text's length when it ends early).
 */
export function parseJsonWithPositions(text: string): JsonNode {
  let i = 0;
  let depth = 0;
  const fail = (): never => {
    throw new JsonSyntaxError(Math.min(i, text.length));
  };
  const space = () => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  };
  const string = (): JsonNode & { type: "string" } => {
    const start = i++;
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        const escape = text[++i];
        if (escape === "u") {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) {
              i += k;
              fail();
            }
          }
          i += 4;
        } else if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          fail();
        }
      }
      i++;
    }
    i++;
    return { type: "string", start, end: i, value: JSON.parse(text.slice(start, i)) as string };
  };
  const value = (): JsonNode => {
    space();
    const start = i;
    const c = text[i];
    if (c === "{" || c === "[") {
      if (++depth > MAX_DEPTH) fail();
      i++;
      space();
      const close = c === "{" ? "}" : "]";
      const members: JsonMember[] = [];
      const elements: JsonNode[] = [];
      if (text[i] === close) {
        i++;
      } else {
        for (;;) {
          if (c === "{") {
            space();
            if (text[i] !== '"') fail();
            const key = string();
            space();
            if (text[i] !== ":") fail();
            i++;
            members.push({ key: key.value, keyStart: key.start, keyEnd: key.end, value: value() });
          } else {
            elements.push(value());
          }
          space();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === close) {
            i++;
            break;
          }
          fail();
        }
      }
      depth--;
      return c === "{" ? { type: "object", start, end: i, members } : { type: "array", start, end: i, elements };
    }
    if (c === '"') return string();
    for (const [word, type] of [["true", "boolean"], ["false", "boolean"], ["null", "null"]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { type, start, end: i };
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.exec(text) === null) fail();
    i = NUMBER.lastIndex;
    return { type: "number", start, end: i };
  };
  const root = value();
  space();
  if (i < text.length) fail();
  return root;
}

/** The member of an object with that key; the last one when the key repeats (as JSON.parse keeps it). */
function member(node: JsonNode, key: string): JsonMember | undefined {
  if (node.type !== "object") return undefined;
  let found: JsonMember | undefined;
  for (const entry of node.members) if (entry.key === key) found = entry;
  return found;
}

/** Line (from 1), column (from 0) and offset (from 0) of offsets in a text; lines end at `\n`. */
function positions(text: string): (offset: number) => { line: number; column: number; offset: number } {
  const lineStarts = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lineStarts.push(at + 1);
  return (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - lineStarts[low]!, offset };
  };
}

// ---------------------------------------------------------------------------------------------------------
// ValidatePolicy

type PathElement = { index: number } | { key: string } | { value: string } | { substring: { start: number; length: number } };

interface PolicyCheck {
  findingType: "ERROR" | "SECURITY_WARNING" | "SUGGESTION" | "WARNING";
  /** The check's anchor in the policy check reference. */
  anchor: string;
}

/**
 * The checks the fake runs, with AWS's issue codes and finding types, from the IAM User Guide's "IAM Access
 * Analyzer policy check reference" (the reference's GENERAL_WARNING is the API's WARNING). Where each
 * finding points (path, and the span of the exact text):
 *
 * - JSON_SYNTAX_ERROR: the text is not JSON. Path `[]`; the span is the character where parsing stopped
 *   (empty at the end of the text). No other check runs.
 * - MISSING_VERSION: the document has no `Version`. Path `[]`; the span is the whole top-level object.
 * - UNIQUE_SIDS_RECOMMENDED: a statement repeats the `Sid` of an earlier one. Path to that Sid's value; the
 *   span is the Sid string, quotes included.
 * - MISSING_PRINCIPAL: (policyType RESOURCE_POLICY only) a statement has neither `Principal` nor
 *   `NotPrincipal`. Path to the statement; the span is the statement object.
 * - ALLOW_WITH_NOT_PRINCIPAL: an `"Effect": "Allow"` statement has `NotPrincipal`. Path ending in
 *   `{key: "NotPrincipal"}`; the span is that key, quotes included.
 * - INVALID_ACTION: an `Action` / `NotAction` entry `kms:<name>` (no wildcard) names no KMS action (KMS_ACTIONS;
 *   case-insensitive); the message suggests the closest one. Path to the entry; the span is the string,
 *   quotes included. Other services' actions are not checked.
 *
 * A document whose top level is not an object gets no findings. Findings are in the order of their span's
 * start (ties: the order above); messages are English whatever the `locale`.
 */
const POLICY_CHECKS: Record<string, PolicyCheck> = {
  JSON_SYNTAX_ERROR: { findingType: "ERROR", anchor: "error-json-syntax-error" },
  MISSING_VERSION: { findingType: "WARNING", anchor: "general-warning-missing-version" },
  UNIQUE_SIDS_RECOMMENDED: { findingType: "WARNING", anchor: "general-warning-unique-sids-recommended" },
  MISSING_PRINCIPAL: { findingType: "ERROR", anchor: "error-missing-principal" },
  ALLOW_WITH_NOT_PRINCIPAL: { findingType: "SECURITY_WARNING", anchor: "security-warning-allow-with-not-principal" },
  INVALID_ACTION: { findingType: "ERROR", anchor: "error-invalid-action" },
};

const LEARN_MORE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-";

/** Every KMS action (Service Authorization Reference, 2026). */
const KMS_ACTIONS = [
  "CancelKeyDeletion", "ConnectCustomKeyStore", "CreateAlias", "CreateCustomKeyStore", "CreateGrant", "CreateKey", "Decrypt", "DeleteAlias",
  "DeleteCustomKeyStore", "DeleteImportedKeyMaterial", "DeriveSharedSecret", "DescribeCustomKeyStores", "DescribeKey", "DisableKey",
  "DisableKeyRotation", "DisconnectCustomKeyStore", "EnableKey", "EnableKeyRotation", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom", "GetKeyLastUsage", "GetKeyPolicy",
  "GetKeyRotationStatus", "GetParametersForImport", "GetPublicKey", "ImportKeyMaterial", "ListAliases", "ListGrants", "ListKeyPolicies",
  "ListKeyRotations", "ListKeys", "ListResourceTags", "ListRetirableGrants", "PutKeyPolicy", "ReEncryptFrom", "ReEncryptTo", "ReplicateKey",
  "RetireGrant", "RevokeGrant", "RotateKeyOnDemand", "ScheduleKeyDeletion", "Sign", "SynchronizeMultiRegionKey", "TagResource", "UntagResource",
  "UpdateAlias", "UpdateCustomKeyStore", "UpdateKeyDescription", "UpdatePrimaryRegion", "Verify", "VerifyMac",
];
const KMS_ACTION_SET = new Set(KMS_ACTIONS.map((name) => name.toLowerCase()));

const POLICY_TYPES = ["IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"];
const VALIDATE_RESOURCE_TYPES = [
  "AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3::MultiRegionAccessPoint", "AWS::S3ObjectLambda::AccessPoint", "AWS::IAM::AssumeRolePolicyDocument", "AWS::DynamoDB::Table",
];
const LOCALES = ["DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW"];

export interface PolicyFinding {
  findingDetails: string;
  findingType: string;
  issueCode: string;
  learnMoreLink: string;
  locations: { path: PathElement[]; span: { start: ReturnType<ReturnType<typeof positions>>; end: ReturnType<ReturnType<typeof positions>> } }[];
}

/** The fake's ValidatePolicy findings for a policy text (see POLICY_CHECKS). */
export function policyFindings(text: string, policyType: string): PolicyFinding[] {
  const at = positions(text);
  const found: { order: number; start: number; finding: PolicyFinding }[] = [];
  const add = (issueCode: keyof typeof POLICY_CHECKS, details: string, path: PathElement[], start: number, end: number) => {
    const check = POLICY_CHECKS[issueCode]!;
    found.push({
      order: Object.keys(POLICY_CHECKS).indexOf(issueCode),
      start,
      finding: { findingDetails: details, findingType: check.findingType, issueCode, learnMoreLink: LEARN_MORE + check.anchor, locations: [{ path, span: { start: at(start), end: at(end) } }] },
    });
  };
  let root: JsonNode;
  try {
    root = parseJsonWithPositions(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const where = at(error.offset);
    add("JSON_SYNTAX_ERROR", `Fix the JSON syntax error at index ${where.offset} line ${where.line} column ${where.column}.`, [], error.offset, Math.min(error.offset + 1, text.length));
    return found.map((entry) => entry.finding);
  }
  if (root.type !== "object") return [];

  if (!member(root, "Version")) add("MISSING_VERSION", "We recommend that you specify the Version element to help you with debugging permission issues.", [], root.start, root.end);
  const statementMember = member(root, "Statement");
  const statements: { node: JsonNode; path: PathElement[] }[] = [];
  if (statementMember?.value.type === "object") statements.push({ node: statementMember.value, path: [{ value: "Statement" }] });
  if (statementMember?.value.type === "array") {
    statementMember.value.elements.forEach((node, index) => statements.push({ node, path: [{ value: "Statement" }, { index }] }));
  }
  const sids = new Set<string>();
  for (const { node, path } of statements) {
    if (node.type !== "object") continue;
    const sid = member(node, "Sid");
    if (sid?.value.type === "string") {
      if (sids.has(sid.value.value)) {
        add("UNIQUE_SIDS_RECOMMENDED", "We recommend that you use statement IDs that are unique to your policy. Update the Sid value.", [...path, { value: "Sid" }], sid.value.start, sid.value.end);
      }
      sids.add(sid.value.value);
    }
    const notPrincipal = member(node, "NotPrincipal");
    if (policyType === "RESOURCE_POLICY" && !member(node, "Principal") && !notPrincipal) {
      add("MISSING_PRINCIPAL", "Add a Principal element to the policy statement.", path, node.start, node.end);
    }
    const effect = member(node, "Effect");
    if (notPrincipal && effect?.value.type === "string" && effect.value.value === "Allow") {
      add(
        "ALLOW_WITH_NOT_PRINCIPAL",
        "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.",
        [...path, { key: "NotPrincipal" }],
        notPrincipal.keyStart,
        notPrincipal.keyEnd,
      );
    }
    for (const element of ["Action", "NotAction"]) {
      const actions = member(node, element);
      if (!actions) continue;
      const entries: { node: JsonNode; path: PathElement[] }[] =
        actions.value.type === "array"
          ? actions.value.elements.map((entry, index) => ({ node: entry, path: [...path, { value: element }, { index }] }))
          : [{ node: actions.value, path: [...path, { value: element }] }];
      for (const entry of entries) {
        if (entry.node.type !== "string") continue;
        const action = entry.node.value;
        const colon = action.indexOf(":");
        const name = action.slice(colon + 1);
        if (colon < 0 || action.slice(0, colon).toLowerCase() !== "kms" || /[*?]/.test(name) || KMS_ACTION_SET.has(name.toLowerCase())) continue;
        const suggestion = closest(name, KMS_ACTIONS);
        add(
          "INVALID_ACTION",
          suggestion === undefined ? `The action ${action} does not exist.` : `The action ${action} does not exist. Did you mean kms:${suggestion}?`,
          entry.path,
          entry.node.start,
          entry.node.end,
        );
      }
    }
  }
  return found.sort((a, b) => a.start - b.start || a.order - b.order).map((entry) => entry.finding);
}

/** The candidate nearest to `name` by edit distance (case-insensitive), when within 3 edits. */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function validatePolicy(input: Record<string, unknown>, query: URLSearchParams, pageSize: number | undefined): Reply {
  const document = input["policyDocument"];
  if (typeof document !== "string") throw validationError("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null");
  const policyType = enumValue(input["policyType"], "policyType", POLICY_TYPES, true)!;
  enumValue(input["locale"], "locale", LOCALES, false);
  if (enumValue(input["validatePolicyResourceType"], "validatePolicyResourceType", VALIDATE_RESOURCE_TYPES, false) !== undefined && policyType !== "RESOURCE_POLICY") {
    throw validationError("validatePolicyResourceType can be specified only for policyType RESOURCE_POLICY.");
  }
  const findings = policyFindings(document, policyType);
  const [start, end, next] = page("ValidatePolicy", query.get("maxResults"), query.get("nextToken"), findings.length, pageSize);
  const out = findings.slice(start, end);
  return restJsonReply(next === undefined ? { findings: out } : { findings: out, nextToken: next });
}

// ---------------------------------------------------------------------------------------------------------
// CheckNoPublicAccess

const ACCESS_CHECK_RESOURCE_TYPES = [
  "AWS::DynamoDB::Table", "AWS::DynamoDB::Stream", "AWS::EFS::FileSystem", "AWS::OpenSearchService::Domain", "AWS::Kinesis::Stream",
  "AWS::Kinesis::StreamConsumer", "AWS::KMS::Key", "AWS::Lambda::Function", "AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3Express::DirectoryBucket",
  "AWS::S3::Glacier", "AWS::S3Outposts::Bucket", "AWS::S3Outposts::AccessPoint", "AWS::SecretsManager::Secret", "AWS::SNS::Topic", "AWS::SQS::Queue",
  "AWS::IAM::AssumeRolePolicyDocument", "AWS::S3Tables::TableBucket", "AWS::ApiGateway::RestApi", "AWS::CodeArtifact::Domain", "AWS::Backup::BackupVault",
  "AWS::CloudTrail::Dashboard", "AWS::CloudTrail::EventDataStore", "AWS::S3Tables::Table", "AWS::S3Express::AccessPoint",
];

export const PUBLIC_ACCESS_MESSAGES = {
  PASS: "The resource policy does not grant public access for the given resource type.",
  FAIL: "The resource policy grants public access for the given resource type.",
};

/**
 * CheckNoPublicAccess: the snapshot's first PublicAccessChecks entry whose PolicyContains occurs in the
 * policy text decides (reasons empty); otherwise an approximation of AWS's reasoning: FAIL when an `Allow`
 * statement has `NotPrincipal`, or a `Principal` of `"*"` or with `"AWS": "*"` (alone or in a list), and
 * no Condition (absent or empty), with one reason per such statement; PASS otherwise. Text that is not JSON
 * is a ValidationException (reason cannotParse).
 */
function checkNoPublicAccess(state: AccountState, input: Record<string, unknown>): Reply {
  const document = input["policyDocument"];
  if (typeof document !== "string") throw validationError("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null");
  enumValue(input["resourceType"], "resourceType", ACCESS_CHECK_RESOURCE_TYPES, true);
  const override = state.accessAnalyzer.publicAccessChecks.find((check) => document.includes(check.PolicyContains));
  if (override) return restJsonReply({ result: override.Result, message: override.Message ?? PUBLIC_ACCESS_MESSAGES[override.Result], reasons: [] });
  let policy: unknown;
  try {
    parseJsonWithPositions(document);
    policy = JSON.parse(document);
  } catch {
    throw validationError("The policy document is not valid JSON.", "cannotParse");
  }
  const statements = statementList(policy);
  const reasons: { description: string; statementIndex: number; statementId?: string }[] = [];
  statements.forEach((statement, index) => {
    if (statement["Effect"] !== "Allow" || hasCondition(statement["Condition"])) return;
    let description: string | undefined;
    if (statement["NotPrincipal"] !== undefined) description = "The statement allows access to every principal but those in NotPrincipal, without a condition.";
    else if (isPublicPrincipal(statement["Principal"])) description = "The statement allows access to any principal (\"*\") without a condition.";
    if (description === undefined) return;
    const reason: { description: string; statementIndex: number; statementId?: string } = { description, statementIndex: index };
    if (typeof statement["Sid"] === "string") reason.statementId = statement["Sid"];
    reasons.push(reason);
  });
  const result = reasons.length > 0 ? "FAIL" : "PASS";
  return restJsonReply({ result, message: PUBLIC_ACCESS_MESSAGES[result], reasons });
}

function statementList(policy: unknown): Record<string, unknown>[] {
  if (policy === null || typeof policy !== "object" || Array.isArray(policy)) return [];
  const statement = (policy as Record<string, unknown>)["Statement"];
  const list = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  return list.map((entry) => (entry !== null && typeof entry === "object" && !Array.isArray(entry) ? (entry as Record<string, unknown>) : {}));
}

function hasCondition(condition: unknown): boolean {
  return condition !== undefined && condition !== null && !(typeof condition === "object" && Object.keys(condition).length === 0);
}

function isPublicPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  if (principal === null || typeof principal !== "object" || Array.isArray(principal)) return false;
  const aws = (principal as Record<string, unknown>)["AWS"];
  return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}
