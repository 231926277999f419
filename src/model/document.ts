/**
 * One policy document: its text turned into the facts rules need (the parsed value, the normalized policy,
 * sizes, duplicate keys, characters outside a service's character set), with a way to find the source range
 * of any JSON path. Pure: built from bytes or text the caller has read.
 */
import { Buffer } from "node:buffer";
import { decodeSource, tooLargeMessage } from "./source.js";
import { MAX_JSON_DEPTH, parseJson, type DuplicateKey, type Locator, type Path, type Range, type Target } from "./json.js";
import { looksLikePolicy, normalizePolicy, type Policy } from "./policy.js";

export interface DocumentProblem {
  /** `binary`, `not-utf8`, `unreadable`, `too-large`: the file could not be read as text; `syntax`: not JSON. */
  kind: "binary" | "not-utf8" | "unreadable" | "too-large" | "syntax";
  message: string;
  range: Range;
}

export interface DisallowedCharacter {
  character: string;
  codePoint: number;
  range: Range;
}

export interface PolicyDocument {
  readonly filePath: string;
  /** Set when the file is not parseable JSON text; then there is no value and no policy. */
  readonly problem: DocumentProblem | undefined;
  readonly value: unknown;
  /** The normalized policy; undefined when the value is not policy-shaped (no Statement or Version) or too deep. */
  readonly policy: Policy | undefined;
  /** Nesting depth of the JSON value (1 for a scalar). */
  readonly depth: number;
  /** UTF-8 bytes of the file (for oversized files, of the file as read; otherwise of the text without a BOM). */
  readonly rawBytes: number;
  readonly hadBom: boolean;
  /** UTF-8 bytes of the JSON with every insignificant space removed; undefined when there is no value. */
  minifiedBytes(): number | undefined;
  locate(path: Path, target?: Target): Range;
  whole(): Range;
  duplicateKeys(): DuplicateKey[];
  /** Every character of the text that `disallowed` matches (one character per match), with its range. */
  charactersMatching(disallowed: RegExp): DisallowedCharacter[];
  /** How `rawBytes` was measured, for messages: "as written" for a file; "as CloudFormation sends it (compact JSON)" for a template. */
  readonly sizeBasis?: string;
  /** Where findings about the whole document point; the first character of a file when absent. */
  anchor?(): Range;
  /**
   * For policies inside templates: whether the value at `path` holds a value kmslint could not evaluate.
   * Findings pointing there are replaced by the `unresolved-value` finding for it.
   */
  isUnresolved?(path: Path): boolean;
}

const NO_RANGE: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

export function createDocument(input: Uint8Array | string, filePath: string): PolicyDocument {
  let text: string;
  let hadBom: boolean;
  let rawBytes: number;
  if (typeof input === "string") {
    hadBom = input.charCodeAt(0) === 0xfeff;
    text = hadBom ? input.slice(1) : input;
    rawBytes = Buffer.byteLength(text, "utf8");
  } else {
    const decoded = decodeSource(input);
    if (!decoded.ok) {
      const at = { line: decoded.line, column: decoded.column, offset: 0 };
      return problemDocument(filePath, { kind: decoded.reason, message: decoded.message, range: { start: at, end: at } }, decoded.bytes);
    }
    text = decoded.text;
    hadBom = decoded.hadBom;
    rawBytes = decoded.bytes - (hadBom ? 3 : 0);
  }
  return documentFromText(text, filePath, hadBom, rawBytes);
}

/** A document from text already decoded (`decodeSource`): the bytes are not decoded a second time. */
export function createDecodedDocument(decoded: { text: string; hadBom: boolean; bytes: number }, filePath: string): PolicyDocument {
  return documentFromText(decoded.text, filePath, decoded.hadBom, decoded.bytes - (decoded.hadBom ? 3 : 0));
}

function documentFromText(text: string, filePath: string, hadBom: boolean, rawBytes: number): PolicyDocument {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    return problemDocument(filePath, { kind: "syntax", message: parsed.message, range: parsed.range }, rawBytes, hadBom);
  }
  return new ParsedDocument(filePath, text, parsed.value, parsed.depth, parsed.locator, rawBytes, hadBom);
}

function problemDocument(filePath: string, problem: DocumentProblem, rawBytes: number, hadBom = false): PolicyDocument {
  return {
    filePath,
    problem,
    value: undefined,
    policy: undefined,
    depth: 0,
    rawBytes,
    hadBom,
    minifiedBytes: () => undefined,
    locate: () => problem.range,
    whole: () => problem.range ?? NO_RANGE,
    duplicateKeys: () => [],
    charactersMatching: () => [],
  };
}

/** The parsed JSON behind a document read from a file (for sources that read templates and plans from the same parse). */
export function parsedJsonOf(document: PolicyDocument): { value: unknown; text: string; locator: Locator } | undefined {
  return document instanceof ParsedDocument ? { value: document.value, text: document.text, locator: document.locator } : undefined;
}

class ParsedDocument implements PolicyDocument {
  readonly problem = undefined;
  readonly policy: Policy | undefined;
  private minified: number | undefined | null = null;

  constructor(
    readonly filePath: string,
    readonly text: string,
    readonly value: unknown,
    readonly depth: number,
    readonly locator: Locator,
    readonly rawBytes: number,
    readonly hadBom: boolean,
  ) {
    this.policy = depth <= MAX_JSON_DEPTH && looksLikePolicy(value) ? normalizePolicy(value) : undefined;
  }

  minifiedBytes(): number | undefined {
    if (this.minified === null) {
      try {
        this.minified = Buffer.byteLength(JSON.stringify(this.value), "utf8");
      } catch {
        this.minified = undefined; // too deep to serialize; the grammar check reports the depth
      }
    }
    return this.minified;
  }

  locate(path: Path, target: Target = "value"): Range {
    return this.locator.locate(path, target);
  }

  whole(): Range {
    return this.locator.wholeText();
  }

  duplicateKeys(): DuplicateKey[] {
    return this.locator.duplicateKeys();
  }

  charactersMatching(disallowed: RegExp): DisallowedCharacter[] {
    const found: DisallowedCharacter[] = [];
    const flags = disallowed.flags.includes("g") ? disallowed.flags : `${disallowed.flags}g`;
    const regex = new RegExp(disallowed.source, flags);
    for (const match of this.text.matchAll(regex)) {
      const character = match[0];
      found.push({ character, codePoint: character.codePointAt(0)!, range: this.locator.rangeOfOffset(match.index, character.length) });
    }
    return found;
  }
}

/** A file too large to read as a policy: not read at all, reported by policy-size. */
export function oversizedDocument(filePath: string, bytes: number): PolicyDocument {
  const at = { line: 1, column: 1, offset: 0 };
  return problemDocument(
    filePath,
    { kind: "too-large", message: tooLargeMessage(bytes), range: { start: at, end: at } },
    bytes,
  );
}

/** A file that could not be read (permissions, a device, a broken link). */
export function unreadableDocument(filePath: string, reason: string): PolicyDocument {
  const at = { line: 1, column: 1, offset: 0 };
  return problemDocument(filePath, { kind: "unreadable", message: `Could not read the file: ${reason}.`, range: { start: at, end: at } }, 0);
}
