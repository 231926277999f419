/**
 * The structural half of the policy grammar: element names and JSON types, checked by a JSON schema
 * (src/model/policy.schema.json) that is compiled to a standalone validator at build time. This module turns
 * the validator's errors into messages a person can act on, each with the JSON path to point at.
 * The semantic half (values, combinations) is in rules/invalid-policy.ts.
 */
import validateStructure from "../generated/policy-structure.js";
import { valueAt, type Path, type Target } from "./json.js";

export interface StructureIssue {
  path: Path;
  target: Target;
  message: string;
}

/** Element names AWS accepts at each level, to suggest the intended one for a typo or wrong case. */
const TOP_ELEMENTS = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const PRINCIPAL_TYPES = ["AWS", "Service", "Federated", "CanonicalUser"];

export function structureIssues(value: unknown): StructureIssue[] {
  if (validateStructure(value)) return [];
  const issues: StructureIssue[] = [];
  const seen = new Set<string>();
  // "effect" written in the wrong case is one mistake: report the unknown element, not also the missing one.
  const misspelled = new Set<string>();
  for (const error of validateStructure.errors ?? []) {
    if (error.keyword !== "additionalProperties") continue;
    const name = String((error.params as Record<string, unknown>)["additionalProperty"]);
    const path = toPath(value, error.instancePath);
    const intended = suggest(name, allowedNames(path));
    if (intended) misspelled.add(`${error.instancePath}|${intended}`);
  }
  for (const error of validateStructure.errors ?? []) {
    if (error.keyword === "if") continue; // the nested errors say what is wrong
    if (error.keyword === "required" && misspelled.has(`${error.instancePath}|${String((error.params as Record<string, unknown>)["missingProperty"])}`)) continue;
    const path = toPath(value, error.instancePath);
    const issue = describe(error.keyword, error.params as Record<string, unknown>, path, value);
    if (!issue) continue;
    if (!/[.!?]$/.test(issue.message)) issue.message += ".";
    const key = `${issue.path.join("/")}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function describe(keyword: string, params: Record<string, unknown>, path: Path, root: unknown): StructureIssue | undefined {
  const where = describePath(path);
  const actual = valueAt(root, path);
  switch (keyword) {
    case "required": {
      const missing = String(params["missingProperty"]);
      if (path.length === 0) {
        return { path, target: "value", message: `The policy has no "${missing}" element, so it grants and denies nothing; AWS rejects it` };
      }
      return { path, target: "value", message: `${capitalize(where)} has no "${missing}" element; every statement needs "Effect": "Allow" or "Deny"` };
    }
    case "additionalProperties": {
      const name = String(params["additionalProperty"]);
      const allowed = allowedNames(path);
      const suggestion = suggest(name, allowed);
      const hint = suggestion ? ` Did you mean "${suggestion}"? Element names are case-sensitive.` : ` Allowed here: ${allowed.map((a) => `"${a}"`).join(", ")}.`;
      return { path: [...path, name], target: "key", message: `Unknown element "${name}" in ${where}: AWS rejects the policy.${hint}` };
    }
    case "type": {
      const expected = String(params["type"]).split(",").join(" or ");
      const last = path[path.length - 1];
      if (typeof actual === "number" && isPrincipalValuePath(path) && /^\d{1,12}$/.test(String(actual))) {
        return {
          path,
          target: "value",
          message: `Account id ${String(actual)} is a JSON number; write it as a string ("${String(actual).padStart(12, "0")}"): as a number, leading zeros are lost and AWS rejects the principal`,
        };
      }
      return { path, target: "value", message: `${capitalize(where)} must be ${article(expected)} ${expected}, not ${typeName(actual)}${last === "Statement" ? " (a statement object or an array of them)" : ""}` };
    }
    case "enum": {
      const allowed = (params["allowedValues"] as unknown[]).map((v) => `"${String(v)}"`).join(" or ");
      const last = path[path.length - 1];
      if (last === "Effect") {
        return { path, target: "value", message: `Effect must be "Allow" or "Deny" (case-sensitive), not ${JSON.stringify(actual)}` };
      }
      if (last === "Version") {
        return { path, target: "value", message: `Version must be "2012-10-17" (or the legacy "2008-10-17"), not ${JSON.stringify(actual)}; it is the policy language version, not a date you choose` };
      }
      return { path, target: "value", message: `${capitalize(where)} must be ${allowed}` };
    }
    case "minItems": {
      const inCondition = path.includes("Condition");
      const detail = inCondition ? "a condition with no values matches nothing" : `a statement with no ${String(path[path.length - 1] ?? "values")} matches nothing`;
      return { path, target: "value", message: `${capitalize(where)} is an empty list; AWS rejects it (${detail})` };
    }
    case "minProperties":
      return { path, target: "value", message: `${capitalize(where)} is an empty object; AWS rejects it` };
    default:
      return { path, target: "value", message: `${capitalize(where)} is not valid (${keyword})` };
  }
}

function isPrincipalValuePath(path: Path): boolean {
  return path.some((p) => p === "Principal" || p === "NotPrincipal");
}

function allowedNames(path: Path): string[] {
  if (path.length === 0) return TOP_ELEMENTS;
  const last = path[path.length - 1];
  if (last === "Principal" || last === "NotPrincipal") return PRINCIPAL_TYPES;
  return STATEMENT_ELEMENTS;
}

/** The allowed name that differs only in case, or by at most two edits. */
export function suggest(name: string, allowed: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = allowed.find((a) => a.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Turns an ajv instance path (`/Statement/0/Effect`) into path segments, numbers for array indexes. */
function toPath(root: unknown, instancePath: string): Path {
  if (instancePath === "") return [];
  const out: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of instancePath.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      const index = Number(segment);
      out.push(index);
      node = node[index];
    } else {
      out.push(segment);
      node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return out;
}

/** `statement #2`, `Principal.AWS[1] of statement #2`, `Version of the policy` (no apostrophes: the pretty formatter treats quotes as markup). */
export function describePath(path: Path): string {
  if (path.length === 0) return "the policy";
  let owner = "the policy";
  let i = 0;
  if (path[0] === "Statement") {
    if (typeof path[1] === "number") {
      owner = `statement #${path[1]}`;
      i = 2;
    } else {
      owner = path.length === 1 ? "the policy" : "the statement";
      i = path.length === 1 ? 0 : 1;
    }
  }
  const rest = path.slice(i);
  if (rest.length === 0) return owner;
  const element = rest.map((p, k) => (typeof p === "number" ? `[${p}]` : k === 0 ? p : `.${p}`)).join("");
  return `${element} of ${owner}`;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === "number" ? "the number" : "the boolean"} ${String(value)}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
