/**
 * The official SARIF 2.1.0 schema (OASIS, errata 01, in ../shared/schemas beside the repository, as CI has it)
 * compiled once with ajv's draft-04 support and its formats (uri, uri-reference, date-time).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import _AjvDraft04 from "ajv-draft-04";
import _addFormats from "ajv-formats";

const AjvDraft04 = _AjvDraft04 as unknown as typeof _AjvDraft04.default;
const addFormats = _addFormats as unknown as typeof _addFormats.default;

const ROOT = join(import.meta.dirname, "..");
const SHARED = join(ROOT, "..", "shared", "schemas", "sarif-schema-2.1.0.json");

let validate: ((log: unknown) => string[]) | undefined;

/** The schema errors of a SARIF log (empty when it is valid). */
export function sarifErrors(log: unknown): string[] {
  if (!validate) {
    const ajv = new AjvDraft04({ allErrors: true, strict: false });
    addFormats(ajv);
    const compiled = ajv.compile(JSON.parse(readFileSync(SHARED, "utf8")) as object);
    validate = (value) => (compiled(value) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`));
  }
  return validate(log);
}
