/**
 * The normalized policy: one shape for every way AWS lets a policy be written (a single statement object
 * or an array; a string or an array of strings; `"*"` or `{"AWS": …}` principals; Bool values as JSON
 * booleans or strings), with the JSON path of every element so that findings can point at it.
 *
 * Normalizing never fails: parts of the wrong type are left out here and reported by the grammar check.
 */
import type { Path } from "./json.js";

/**
 * What a policy is. A key policy and a bucket policy are resource policies: they name who (Principal) may act on
 * the key or bucket. An IAM identity policy is attached to a user, group or role and names no Principal: it grants
 * its holder (kmslint lints it for the grammar, the size and the names; the access rules do not apply to it).
 */
export type PolicyKind = "key-policy" | "bucket-policy" | "identity-policy";
export const POLICY_KINDS: readonly PolicyKind[] = ["key-policy", "bucket-policy", "identity-policy"];

/** The kinds that name principals: the ones the access analysis and the access rules read. */
export type ResourcePolicyKind = Exclude<PolicyKind, "identity-policy">;

/** How messages name each kind. */
export const KIND_NAMES: Readonly<Record<PolicyKind, string>> = {
  "key-policy": "key policy",
  "bucket-policy": "bucket policy",
  "identity-policy": "IAM identity policy",
};

export interface Located<T> {
  value: T;
  path: Path;
}

export interface PrincipalEntry {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for the bare string form `"Principal": "*"`. */
  type: string;
  value: string;
  path: Path;
}

export interface PrincipalElement {
  path: Path;
  /** `"*"` or `{"AWS": "*"}` (in any of its list forms). */
  anyone: boolean;
  entries: PrincipalEntry[];
}

export interface ConditionOperator {
  /** As written, e.g. `ForAnyValue:StringEqualsIfExists`. */
  raw: string;
  /** Without set prefix and IfExists, e.g. `StringEquals`. */
  base: string;
  set: "ForAllValues" | "ForAnyValue" | undefined;
  ifExists: boolean;
}

export interface ConditionEntry {
  operator: ConditionOperator;
  operatorPath: Path;
  key: string;
  keyPath: Path;
  /** Values as strings (JSON booleans and numbers converted as IAM reads them). */
  values: Located<string>[];
}

export interface Statement {
  /** 0-based position in the Statement array (0 for a single statement object). */
  index: number;
  path: Path;
  /** Element names present, as written (for grammar checks). */
  elements: string[];
  sid?: Located<string>;
  effect?: Located<string>;
  principal?: PrincipalElement;
  notPrincipal?: PrincipalElement;
  action?: Located<string>[];
  notAction?: Located<string>[];
  resource?: Located<string>[];
  notResource?: Located<string>[];
  conditionPath?: Path;
  conditions: ConditionEntry[];
}

export interface Policy {
  version?: Located<string>;
  id?: Located<string>;
  statements: Statement[];
  /** Whether `Statement` was written as an array (false for the single-object form). */
  statementIsArray: boolean;
  /** The parsed JSON value the policy was built from. */
  value: unknown;
}

/** How messages name a statement: by Sid when it has one, else by its 0-based index. */
export function statementLabel(statement: Statement): string {
  return statement.sid && statement.sid.value !== "" ? `"${statement.sid.value}"` : `#${statement.index}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Whether a parsed JSON value looks like a policy document at all: an object with Statement, or with Version and no Resources (a template). */
export function looksLikePolicy(value: unknown): boolean {
  return isObject(value) && ("Statement" in value || ("Version" in value && !("Resources" in value)));
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function locatedString(value: unknown, path: Path): Located<string> | undefined {
  return typeof value === "string" ? { value, path } : undefined;
}

/** A string or an array of strings; other members are skipped (the grammar check reports them). */
function stringList(value: unknown, path: Path): Located<string>[] | undefined {
  if (typeof value === "string") return [{ value, path }];
  if (!Array.isArray(value)) return undefined;
  const out: Located<string>[] = [];
  value.forEach((item, i) => {
    if (typeof item === "string") out.push({ value: item, path: [...path, i] });
  });
  return out;
}

function principalElement(value: unknown, path: Path): PrincipalElement | undefined {
  if (typeof value === "string") {
    return { path, anyone: value === "*", entries: [{ type: "*", value, path }] };
  }
  if (!isObject(value)) return undefined;
  const entries: PrincipalEntry[] = [];
  for (const type of Object.keys(value)) {
    for (const item of stringList(value[type], [...path, type]) ?? []) {
      entries.push({ type, value: item.value, path: item.path });
    }
  }
  const anyone = entries.some((e) => e.type === "AWS" && e.value === "*");
  return { path, anyone, entries };
}

/** Operator names are case-sensitive, set prefixes included. */
const SET_PREFIX = /^(ForAllValues|ForAnyValue):/;

export function parseOperator(raw: string): ConditionOperator {
  let rest = raw;
  let set: ConditionOperator["set"];
  const prefix = SET_PREFIX.exec(rest);
  if (prefix) {
    set = prefix[1] === "ForAllValues" ? "ForAllValues" : "ForAnyValue";
    rest = rest.slice(prefix[0].length);
  }
  const ifExists = /IfExists$/.test(rest);
  if (ifExists) rest = rest.slice(0, -"IfExists".length);
  return { raw, base: rest, set, ifExists };
}

function conditionValue(value: unknown, path: Path): Located<string> | undefined {
  if (typeof value === "string") return { value, path };
  if (typeof value === "boolean" || typeof value === "number") return { value: String(value), path };
  return undefined;
}

function conditions(value: unknown, path: Path): ConditionEntry[] {
  if (!isObject(value)) return [];
  const out: ConditionEntry[] = [];
  for (const operatorName of Object.keys(value)) {
    const block = value[operatorName];
    if (!isObject(block)) continue;
    const operatorPath = [...path, operatorName];
    const operator = parseOperator(operatorName);
    for (const key of Object.keys(block)) {
      const keyPath = [...operatorPath, key];
      const raw = block[key];
      const values: Located<string>[] = [];
      if (Array.isArray(raw)) {
        raw.forEach((item, i) => {
          const v = conditionValue(item, [...keyPath, i]);
          if (v) values.push(v);
        });
      } else {
        const v = conditionValue(raw, keyPath);
        if (v) values.push(v);
      }
      out.push({ operator, operatorPath, key, keyPath, values });
    }
  }
  return out;
}

function statement(value: unknown, index: number, path: Path): Statement | undefined {
  if (!isObject(value)) return undefined;
  const s: Statement = { index, path, elements: Object.keys(value), conditions: [] };
  const sid = locatedString(own(value, "Sid"), [...path, "Sid"]);
  if (sid) s.sid = sid;
  const effect = locatedString(own(value, "Effect"), [...path, "Effect"]);
  if (effect) s.effect = effect;
  const principal = principalElement(own(value, "Principal"), [...path, "Principal"]);
  if (principal) s.principal = principal;
  const notPrincipal = principalElement(own(value, "NotPrincipal"), [...path, "NotPrincipal"]);
  if (notPrincipal) s.notPrincipal = notPrincipal;
  const action = stringList(own(value, "Action"), [...path, "Action"]);
  if (action) s.action = action;
  const notAction = stringList(own(value, "NotAction"), [...path, "NotAction"]);
  if (notAction) s.notAction = notAction;
  const resource = stringList(own(value, "Resource"), [...path, "Resource"]);
  if (resource) s.resource = resource;
  const notResource = stringList(own(value, "NotResource"), [...path, "NotResource"]);
  if (notResource) s.notResource = notResource;
  if (own(value, "Condition") !== undefined) {
    s.conditionPath = [...path, "Condition"];
    s.conditions = conditions(value["Condition"], s.conditionPath);
  }
  return s;
}

/** Builds the normalized policy from a parsed JSON value. Returns undefined if the value is not an object. */
export function normalizePolicy(value: unknown): Policy | undefined {
  if (!isObject(value)) return undefined;
  const policy: Policy = { statements: [], statementIsArray: false, value };
  const version = locatedString(own(value, "Version"), ["Version"]);
  if (version) policy.version = version;
  const id = locatedString(own(value, "Id"), ["Id"]);
  if (id) policy.id = id;
  const raw = own(value, "Statement");
  if (Array.isArray(raw)) {
    policy.statementIsArray = true;
    raw.forEach((item, i) => {
      const s = statement(item, i, ["Statement", i]);
      if (s) policy.statements.push(s);
    });
  } else {
    const s = statement(raw, 0, ["Statement"]);
    if (s) policy.statements.push(s);
  }
  return policy;
}
