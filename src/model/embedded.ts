/**
 * Policies that live inside another file: a `KeyPolicy` in a CloudFormation template (a YAML or JSON
 * object), or a `policy` string in a Terraform plan. They are PolicyDocuments like a policy file, so every
 * policy rule runs on them unchanged; only positions differ: a path into the policy is mapped to the line
 * and column in the template or plan, and the size is measured on the text as the deploying tool sends it.
 */
import { Buffer } from "node:buffer";
import { createDocument, type DisallowedCharacter, type PolicyDocument } from "./document.js";
import { MAX_JSON_DEPTH, countParsedStrings, type DuplicateKey, type Path, type Position, type Range, type Target } from "./json.js";
import { valueAt } from "./inventory.js";
import { looksLikePolicy, normalizePolicy, type Policy } from "./policy.js";

/** Marks text kmslint substituted for a value it could not evaluate, e.g. `«!Ref TrustedAccount»`. */
export const UNRESOLVED_OPEN = "\u00ab";
export const UNRESOLVED_CLOSE = "\u00bb";

export function unresolvedText(expression: string): string {
  return `${UNRESOLVED_OPEN}${expression}${UNRESOLVED_CLOSE}`;
}

/**
 * What a template's `AWS::Region` becomes when unknown. No verdict depends on the Region, so it does not
 * count as unresolved; it has no colon, so ARNs that hold it still split into their fields.
 */
export const UNKNOWN_REGION = `${UNRESOLVED_OPEN}region${UNRESOLVED_CLOSE}`;
const UNRESOLVED_MARK = /\u00ab(?!region\u00bb)/;

export function containsUnresolved(value: unknown): boolean {
  return typeof value === "string" && value.includes(UNRESOLVED_OPEN) && UNRESOLVED_MARK.test(value);
}

export interface ObjectPolicyOptions {
  /** The file the policy is written in. */
  filePath: string;
  /** The policy with every intrinsic resolved (or replaced by `unresolvedText`). */
  value: unknown;
  /** The range of a path inside the policy, in the source file (the deepest node written there when the path goes through an intrinsic). */
  locate: (path: Path, target: Target) => Range;
  /** The policy's own range (the property's value). */
  whole: Range;
  /** Where whole-document findings point (the property name, `KeyPolicy:`). */
  anchor: Range;
  /** Duplicate keys inside the policy, with paths relative to it. */
  duplicateKeys?: DuplicateKey[];
  /** How the size is measured, as the end of "N bytes …": "as CloudFormation sends it (compact JSON)". */
  sizeBasis: string;
}

/**
 * A policy written as a structure inside a template. Its size is that of compact JSON, which is how
 * CloudFormation passes a Json-typed property to KMS and S3 (the template's own whitespace is not sent).
 */
export function objectPolicyDocument(options: ObjectPolicyOptions): PolicyDocument {
  return new ObjectPolicyDocument(options);
}

class ObjectPolicyDocument implements PolicyDocument {
  readonly problem = undefined;
  readonly hadBom = false;
  readonly filePath: string;
  readonly value: unknown;
  readonly policy: Policy | undefined;
  readonly depth: number;
  readonly rawBytes: number;
  readonly sizeBasis: string;
  private readonly serialized: string | undefined;

  constructor(private readonly options: ObjectPolicyOptions) {
    this.filePath = options.filePath;
    this.value = options.value;
    this.depth = countParsedStrings(options.value).depth;
    this.policy = this.depth <= MAX_JSON_DEPTH && looksLikePolicy(options.value) ? normalizePolicy(options.value) : undefined;
    try {
      this.serialized = JSON.stringify(options.value);
    } catch {
      this.serialized = undefined;
    }
    this.rawBytes = this.serialized === undefined ? 0 : Buffer.byteLength(this.serialized, "utf8");
    this.sizeBasis = options.sizeBasis;
  }

  minifiedBytes(): number | undefined {
    return this.serialized === undefined ? undefined : this.rawBytes;
  }

  locate(path: Path, target: Target = "value"): Range {
    return this.options.locate(path, target);
  }

  whole(): Range {
    return this.options.whole;
  }

  anchor(): Range {
    return this.options.anchor;
  }

  duplicateKeys(): DuplicateKey[] {
    return this.options.duplicateKeys ?? [];
  }

  isUnresolved(path: Path): boolean {
    return containsUnresolved(valueAt(this.value, path));
  }

  /** Characters are looked for in the policy's strings (keys and values); each is reported at its string. */
  charactersMatching(disallowed: RegExp): DisallowedCharacter[] {
    const found: DisallowedCharacter[] = [];
    const flags = disallowed.flags.includes("g") ? disallowed.flags : `${disallowed.flags}g`;
    const regex = new RegExp(disallowed.source, flags);
    const visit = (node: unknown, path: (string | number)[]) => {
      if (typeof node === "string") {
        if (containsUnresolved(node)) return;
        for (const match of node.matchAll(regex)) {
          const character = match[0];
          found.push({ character, codePoint: character.codePointAt(0)!, range: this.locate(path, "value") });
        }
      } else if (Array.isArray(node)) {
        node.forEach((item, index) => visit(item, [...path, index]));
      } else if (node !== null && typeof node === "object") {
        for (const [key, item] of Object.entries(node)) {
          for (const match of key.matchAll(regex)) {
            const character = match[0];
            found.push({ character, codePoint: character.codePointAt(0)!, range: this.locate([...path, key], "key") });
          }
          visit(item, [...path, key]);
        }
      }
    };
    visit(this.value, []);
    return found;
  }
}

export interface StringPolicyOptions {
  filePath: string;
  /** The policy text exactly as it will be sent (a Terraform `policy` attribute, a Json property given as a string). */
  text: string;
  /** Maps an offset in `text` to the position in the source file (through the string's escapes). */
  toOuter: (offset: number) => Position;
  /** The string's range in the source file. */
  whole: Range;
  anchor: Range;
  sizeBasis: string;
  /**
   * `text` (the default): the size is the string's, as sent. `compact`: the tool that deploys it sends the
   * policy re-serialized as compact JSON (the AWS provider for Terraform normalizes policy JSON with Go's
   * encoder), so the size is that of the compact form, with Go's escapes of `&`, `<`, `>`, U+2028 and U+2029.
   */
  measure?: "text" | "compact";
}

/** Offsets [start, end) of every «…» stand-in in a text. */
function placeholderSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = text.indexOf(UNRESOLVED_OPEN);
  while (start !== -1) {
    const end = text.indexOf(UNRESOLVED_CLOSE, start);
    if (end === -1) break;
    spans.push([start, end + 1]);
    start = text.indexOf(UNRESOLVED_OPEN, end);
  }
  return spans;
}

/**
 * A policy written as a JSON string inside another file. It is parsed like a policy file, so syntax errors,
 * duplicate keys and sizes are exact; every range is then mapped from the string onto the source file.
 */
export function stringPolicyDocument(options: StringPolicyOptions): PolicyDocument {
  const inner = createDocument(options.text, options.filePath);
  const map = (range: Range): Range => ({ start: options.toOuter(range.start.offset), end: options.toOuter(range.end.offset) });
  const problem = inner.problem ? { ...inner.problem, range: map(inner.problem.range) } : undefined;
  const spans = options.text.includes(UNRESOLVED_OPEN) ? placeholderSpans(options.text) : [];
  const inPlaceholder = (offset: number) => spans.some(([start, end]) => offset >= start && offset < end);
  const rawBytes = options.measure === "compact" && !inner.problem ? compactBytes(inner.value) ?? inner.rawBytes : inner.rawBytes;
  return {
    filePath: options.filePath,
    problem,
    value: inner.value,
    policy: inner.policy,
    depth: inner.depth,
    rawBytes,
    hadBom: inner.hadBom,
    sizeBasis: options.sizeBasis,
    minifiedBytes: () => inner.minifiedBytes(),
    locate: (path, target) => (inner.problem ? problem!.range : map(inner.locate(path, target))),
    whole: () => options.whole,
    anchor: () => options.anchor,
    duplicateKeys: () => inner.duplicateKeys().map((d) => ({ ...d, first: map(d.first), duplicate: map(d.duplicate) })),
    // kmslint's own «…» stand-ins are not the user's characters.
    charactersMatching: (disallowed) =>
      inner
        .charactersMatching(disallowed)
        .filter((c) => !inPlaceholder(c.range.start.offset))
        .map((c) => ({ ...c, range: map(c.range) })),
    isUnresolved: (path) => spans.length > 0 && containsUnresolved(valueAt(inner.value, path)),
  };
}

/**
 * Offsets inside a JSON string token, decoded, mapped back to offsets in the source text: `raw` is the token
 * with its quotes, starting at `rawOffset`. Returns a function from a decoded offset to a source offset.
 */
export function jsonStringOffsetMap(raw: string, rawOffset: number): (offset: number) => number {
  // starts[i] = source offset of decoded character i; one extra entry for the end.
  const starts: number[] = [];
  let i = 1; // after the opening quote
  const end = raw.length - 1;
  while (i < end) {
    const c = raw.charCodeAt(i);
    if (c === 92 /* \ */) {
      const next = raw[i + 1];
      if (next === "u") {
        starts.push(rawOffset + i);
        i += 6;
      } else {
        starts.push(rawOffset + i);
        i += 2;
      }
    } else {
      starts.push(rawOffset + i);
      i += 1;
    }
  }
  starts.push(rawOffset + end);
  return (offset) => starts[Math.max(0, Math.min(offset, starts.length - 1))]!;
}

/**
 * UTF-8 bytes of a value as Go's `encoding/json` writes it compact: JSON.stringify's text, where Go also
 * escapes `&`, `<` and `>` (1 byte each, 6 as `\u0026`) and U+2028, U+2029 (3 bytes each, 6 escaped).
 */
function compactBytes(value: unknown): number | undefined {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return undefined;
  }
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26 || c === 0x3c || c === 0x3e) extra += 5;
    else if (c === 0x2028 || c === 0x2029) extra += 3;
  }
  return Buffer.byteLength(text, "utf8") + extra;
}
