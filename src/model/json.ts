/**
 * JSON with positions, paid for only when needed.
 *
 * The value comes from `JSON.parse` (fast, and the semantics AWS's own parsers share: the last of
 * two duplicate keys wins). A position is found only when a finding needs one, by scanning the text
 * along that one path and skipping every other value (`scanToPath`); momoa, which builds every node
 * with its line and column at about ten times the cost of JSON.parse, is the reference the scanner is
 * tested against and reports duplicate keys. Duplicate keys are detected without it by counting: every
 * member of every object has a key string, so if the text holds more string tokens than the parsed
 * value, some member was dropped, and only a duplicate key drops a member.
 */
import { parse as parseWithPositions, type AnyNode, type DocumentNode, type ObjectNode } from "@humanwhocodes/momoa";

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based, in UTF-16 code units */
  column: number;
  offset: number;
}
export interface Range {
  start: Position;
  end: Position;
}
/** A JSON pointer as segments: object keys and array indexes. */
export type Path = readonly (string | number)[];
/** `value` points at a member's value, `key` at its name. */
export type Target = "value" | "key";

export interface DuplicateKey {
  /** Path of the object that holds the duplicate. */
  objectPath: Path;
  key: string;
  first: Range;
  duplicate: Range;
}

export type ParsedJson =
  | { ok: true; value: unknown; text: string; depth: number; locator: Locator }
  | { ok: false; message: string; range: Range };

/** The range of a file's first character: where whole-document findings point, without measuring the text. */
export const FIRST_CHARACTER: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 2, offset: 1 } };

/** Deeper than this, a policy is certainly malformed and recursive walkers are not run on it. */
export const MAX_JSON_DEPTH = 64;


export function parseJson(text: string): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, ...syntaxError(text, error) };
  }
  const { strings, depth } = countParsedStrings(value);
  const textStrings = countStringTokens(text);
  const locator = new Locator(text, textStrings > strings);
  return { ok: true, value, text, depth, locator };
}

/** Finds the source range of a path, parsing with positions on first use. */
export class Locator {
  private document: DocumentNode | undefined;
  private failed = false;
  private lineStarts: number[] | undefined;
  /** Offsets the path scanner has passed (see scanToPath), so that many findings in one file cost one pass. */
  private offsets: Map<string, ScanMark> | undefined;
  readonly hasDuplicateKeys: boolean;

  constructor(
    private readonly text: string,
    hasDuplicateKeys: boolean,
  ) {
    this.hasDuplicateKeys = hasDuplicateKeys;
  }

  /** Range of the node at `path` (the last member wins for duplicate keys, as in JSON.parse). */
  locate(path: Path, target: Target = "value"): Range {
    const found = scanToPath(this.text, path, target, (this.offsets ??= new Map()));
    if (found) return { start: this.positionOf(found[0]), end: this.positionOf(found[1]) };
    return this.locateWithTree(path, target);
  }

  /** The same answer from momoa's tree; kept as the reference the scanner is tested against. */
  locateWithTree(path: Path, target: Target = "value"): Range {
    const root = this.tree();
    if (!root) return this.wholeText();
    let node: AnyNode = root.body;
    let keyNode: AnyNode | undefined;
    for (const segment of path) {
      keyNode = undefined;
      if (node.type === "Object" && typeof segment === "string") {
        let found: ObjectNode["members"][number] | undefined;
        for (const member of node.members) if (memberName(member) === segment) found = member;
        if (!found) break;
        node = found.value;
        keyNode = found.name;
      } else if (node.type === "Array" && typeof segment === "number") {
        const element: { value: AnyNode } | undefined = node.elements[segment];
        if (!element) break;
        node = element.value;
      } else {
        break;
      }
    }
    const chosen = target === "key" && keyNode ? keyNode : node;
    return { start: { ...chosen.loc.start }, end: { ...chosen.loc.end } };
  }

  /** Every duplicate key in the document, in source order. */
  duplicateKeys(): DuplicateKey[] {
    if (!this.hasDuplicateKeys) return [];
    const root = this.tree();
    if (!root) return [];
    const found: DuplicateKey[] = [];
    const stack: { node: AnyNode; path: (string | number)[] }[] = [{ node: root.body, path: [] }];
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      if (node.type === "Object") {
        const seen = new Map<string, Range>();
        for (const member of node.members) {
          const key = memberName(member);
          const first = seen.get(key);
          if (first) found.push({ objectPath: path, key, first, duplicate: member.name.loc });
          else seen.set(key, member.name.loc);
          stack.push({ node: member.value, path: [...path, key] });
        }
      } else if (node.type === "Array") {
        node.elements.forEach((element, index) => stack.push({ node: element.value, path: [...path, index] }));
      }
    }
    return found.sort((a, b) => a.duplicate.start.offset - b.duplicate.start.offset);
  }

  /** Range of a character offset in the text (used for character-set findings). */
  rangeOfOffset(offset: number, length = 1): Range {
    return { start: this.positionOf(offset), end: this.positionOf(offset + length) };
  }

  wholeText(): Range {
    return { start: { line: 1, column: 1, offset: 0 }, end: this.positionOf(this.text.length) };
  }

  positionOf(offset: number): Position {
    return positionFromLineStarts((this.lineStarts ??= lineStartsOf(this.text)), this.text.length, offset);
  }

  private tree(): DocumentNode | undefined {
    if (this.document || this.failed) return this.document;
    try {
      this.document = parseWithPositions(this.text, { mode: "json", ranges: false, tokens: false });
    } catch {
      // momoa recurses; a pathologically deep document overflows its stack. Positions then fall back to the whole text.
      this.failed = true;
    }
    return this.document;
  }
}

/**
 * Finds the [start, end) offsets of the value (or member name) at `path` in valid JSON text by one forward scan
 * that skips every value off the path without building it: about ten times cheaper than a full positioned
 * parse for the few findings a file has. Returns undefined when the path is not there (the caller falls back).
 */
/** Where a path's value starts, and for object members where their key is. */
export interface ScanMark {
  value: number;
  key?: [number, number];
  /** For an array's furthest-element mark: that element's index. */
  index?: number;
}

export function scanToPath(text: string, path: Path, target: Target, marks: Map<string, ScanMark> = new Map()): [number, number] | undefined {
  let i = skipSpace(text, 0);
  let keyRange: [number, number] | undefined;
  // Resume from the longest prefix of the path already passed.
  let from = 0;
  let prefix = "";
  for (let depth = path.length; depth > 0; depth--) {
    const key = pathKey(path, depth);
    const mark = marks.get(key);
    if (mark) {
      i = mark.value;
      keyRange = mark.key;
      from = depth;
      prefix = key;
      break;
    }
  }
  for (let step = from; step < path.length; step++) {
    const segment = path[step]!;
    const open = text.charCodeAt(i);
    if (open === 123 /* { */ && typeof segment === "string") {
      // The last member with this name wins, as in JSON.parse.
      let found: [number, number, number] | undefined;
      i = skipSpace(text, i + 1);
      while (text.charCodeAt(i) !== 125 /* } */) {
        const keyStart = i;
        const keyEnd = skipString(text, i);
        i = skipSpace(text, keyEnd);
        i = skipSpace(text, i + 1); // the colon
        const valueStart = i;
        // Remember every member passed; a later duplicate overwrites an earlier one, as JSON.parse does.
        const name = readMemberName(text, keyStart, keyEnd);
        if (name !== undefined) marks.set(`${prefix}\u0000${name}`, { value: valueStart, key: [keyStart, keyEnd] });
        if (name === segment) found = [keyStart, keyEnd, valueStart];
        i = skipSpace(text, skipValue(text, i));
        if (text.charCodeAt(i) === 44 /* , */) i = skipSpace(text, i + 1);
        if (i >= text.length) return undefined;
      }
      if (!found) return undefined;
      keyRange = [found[0], found[1]];
      i = found[2];
      prefix = `${prefix}\u0000${segment}`;
    } else if (open === 91 /* [ */ && typeof segment === "number") {
      // Resume from the furthest element of this array passed so far, so that findings on the statements
      // of a large policy, one after another, cost one pass and not one pass each.
      const lastKey = `${prefix}\u0000#last`;
      const last = marks.get(lastKey);
      let k = 0;
      if (last?.index !== undefined && last.index <= segment) {
        i = last.value;
        k = last.index;
      } else {
        i = skipSpace(text, i + 1);
      }
      for (; k < segment; k++) {
        if (text.charCodeAt(i) === 93 /* ] */) return undefined;
        marks.set(`${prefix}\u0000#${k}`, { value: i });
        i = skipSpace(text, skipValue(text, i));
        if (text.charCodeAt(i) === 44) i = skipSpace(text, i + 1);
        if (i >= text.length) return undefined;
      }
      if (text.charCodeAt(i) === 93) return undefined;
      if (!last || last.index === undefined || last.index < segment) marks.set(lastKey, { value: i, index: segment });
      keyRange = undefined;
      prefix = `${prefix}\u0000#${segment}`;
      marks.set(prefix, { value: i });
    } else {
      return undefined;
    }
  }
  if (target === "key" && keyRange) return keyRange;
  return [i, skipValue(text, i)];
}

/** The memo key of the first `depth` segments: object keys as written, array indexes as #n. */
function pathKey(path: Path, depth: number): string {
  let key = "";
  for (let k = 0; k < depth; k++) {
    const segment = path[k]!;
    key += typeof segment === "number" ? `\u0000#${segment}` : `\u0000${segment}`;
  }
  return key;
}

/** A member's name (unescaped only when it has a backslash); undefined if it cannot be read. */
function readMemberName(text: string, start: number, end: number): string | undefined {
  const raw = text.slice(start + 1, end - 1);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/** From an opening quote, the offset just past the closing quote. */
function skipString(text: string, i: number): number {
  let end = text.indexOf('"', i + 1);
  while (end !== -1) {
    let backslashes = 0;
    for (let k = end - 1; text.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) return end + 1;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

/** From the first character of a value, the offset just past it. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34 /* " */) return skipString(text, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let k = i; k < text.length; k++) {
      const d = text.charCodeAt(k);
      if (d === 34) k = skipString(text, k) - 1;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return k + 1;
      }
    }
    return text.length;
  }
  // A number, true, false or null: up to the next delimiter.
  let k = i;
  for (; k < text.length; k++) {
    const d = text.charCodeAt(k);
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break;
  }
  return k;
}


function memberName(member: ObjectNode["members"][number]): string {
  return member.name.type === "String" ? member.name.value : member.name.name;
}

/** String tokens in valid JSON text: outside strings there are no quotes, inside them only escaped ones. */
function countStringTokens(text: string): number {
  let count = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', skipString(text, i))) count++;
  return count;
}

/** How many strings (keys included) a parsed value holds, and its nesting depth (1 for a scalar). */
export function countParsedStrings(value: unknown): { strings: number; depth: number } {
  let strings = 0;
  let depth = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (level > depth) depth = level;
    if (typeof node === "string") strings++;
    else if (Array.isArray(node)) for (const item of node) stack.push([item, level + 1]);
    else if (node !== null && typeof node === "object") {
      for (const key of Object.keys(node)) {
        strings++;
        stack.push([(node as Record<string, unknown>)[key], level + 1]);
      }
    }
  }
  return { strings, depth };
}

function syntaxError(text: string, error: unknown): { message: string; range: Range } {
  const raw = error instanceof Error ? error.message : String(error);
  const lineStarts = lineStartsOf(text);
  // V8 says "… in JSON at position N" (and newer versions add "(line L column C)").
  const match = /at position (\d+)/.exec(raw);
  let offset = match ? Number(match[1]) : text.length;
  if (!match && !/Unexpected end of JSON input/.test(raw)) offset = momoaErrorOffset(text) ?? text.length;
  if (offset > text.length) offset = text.length;
  let message = raw
    .replace(/\s*(in JSON )?at position \d+.*$/s, "")
    .replace(/^Unexpected end of JSON input$/, "Unexpected end of JSON input: the file is truncated or a bracket is not closed")
    // "Unexpected token ']', "…snippet…" is not valid JSON": keep the token, drop the snippet.
    .replace(/^(Unexpected token '.+?'),.*is not valid JSON$/s, "$1")
    .replace(/'([^']+)'/g, '"$1"');
  if (text.trim() === "") message = "File is empty: expected a JSON policy document";
  message = message.replace(/\.$/, "");
  const start = positionFromLineStarts(lineStarts, text.length, offset);
  const end = positionFromLineStarts(lineStarts, text.length, Math.min(text.length, offset + 1));
  return { message, range: { start, end } };
}

/** Node 20's V8 gives no position for "Unexpected token" errors; momoa's error has one. */
function momoaErrorOffset(text: string): number | undefined {
  try {
    parseWithPositions(text, { mode: "json", ranges: false, tokens: false });
  } catch (error) {
    const offset = (error as { offset?: unknown }).offset;
    if (typeof offset === "number") return offset;
  }
  return undefined;
}

/** Line starts of a text, counting `\n`, `\r\n` and a lone `\r` as line breaks (as the policy file reader does). */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  let i = text.indexOf("\n");
  if (text.indexOf("\r") === -1) {
    while (i !== -1) {
      starts.push(i + 1);
      i = text.indexOf("\n", i + 1);
    }
    return starts;
  }
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 10) starts.push(k + 1);
    else if (c === 13 && text.charCodeAt(k + 1) !== 10) starts.push(k + 1);
  }
  return starts;
}

export function positionFromLineStarts(lineStarts: readonly number[], textLength: number, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, textLength));
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= clamped) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: clamped - lineStarts[low]! + 1, offset: clamped };
}

/** The value at a JSON path, or undefined when the path leaves the value. */
export function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
