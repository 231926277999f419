/**
 * A CloudFormation template as a small tree, the same whether it was written in YAML or JSON: maps, lists
 * and scalars with their offsets in the text. The YAML and JSON readers (cfn-yaml.ts, cfn-json.ts) build it;
 * src/sources/cloudformation.ts reads resources from it. Short-form YAML tags are already in their long form
 * here (`!Ref X` is the map `{Ref: X}`), with the tag kept so that messages can show what the user wrote.
 *
 * Nodes hold offsets only; lines and columns are computed when a finding needs one (`TemplateTree.range`).
 */
import { jsonStringOffsetMap } from "../model/embedded.js";
import { lineStartsOf, positionFromLineStarts, type Position, type Range } from "../model/json.js";

export { lineStartsOf, positionFromLineStarts };
import type { SourceProblem } from "../model/inventory.js";

export type TemplateNode = TemplateMap | TemplateSeq | TemplateScalar;

interface NodeBase {
  /** Offset of the node's first character in the text (the tag's `!` for a short-form intrinsic). */
  start: number;
  /** Offset just past the node's last character. */
  end: number;
  /** The short-form tag the node was written with (`!Ref`, `!Sub`, …), on the long-form map it became. */
  tag?: string;
}

export interface TemplateEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: TemplateNode;
}

export interface TemplateMap extends NodeBase {
  kind: "map";
  entries: TemplateEntry[];
  /** Pairs of entries with the same key, first and later one; the last entry wins when reading. */
  duplicates?: [TemplateEntry, TemplateEntry][];
}

export interface TemplateSeq extends NodeBase {
  kind: "seq";
  items: TemplateNode[];
}

/** How a scalar is written, which decides how offsets inside its value map to the text. */
export type ScalarStyle = "plain" | "single" | "double" | "literal" | "folded" | "json";

export interface TemplateScalar extends NodeBase {
  kind: "scalar";
  value: string | number | boolean | null;
  style: ScalarStyle;
  /**
   * For a YAML plain scalar the core schema reads as a number (`012345678901`, `1e3`): the text as written.
   * CloudFormation passes values on as text, so kmslint keeps this text rather than the number.
   */
  numberText?: string;
}

export interface TemplateTree {
  filePath: string;
  text: string;
  syntax: "yaml" | "json";
  /** Undefined when the text could not be parsed (see `problems`). */
  root: TemplateNode | undefined;
  /** Syntax errors and other problems of the text itself. */
  problems: SourceProblem[];
  /** Every map with duplicate keys, in text order. */
  duplicateMaps: TemplateMap[];
  /**
   * YAML only: plain scalars such as `012345678901` that the core schema reads as a number with a leading
   * zero, which CloudFormation may drop (an account id that loses a digit).
   */
  leadingZeroNumbers?: TemplateScalar[];
  /** Line and column (1-based, UTF-16 units) of an offset. */
  positionOf(offset: number): Position;
}

export function rangeOf(tree: TemplateTree, start: number, end: number): Range {
  return { start: tree.positionOf(start), end: tree.positionOf(end) };
}

export function nodeRange(tree: TemplateTree, node: { start: number; end: number }): Range {
  return rangeOf(tree, node.start, node.end);
}

export function keyRange(tree: TemplateTree, entry: TemplateEntry): Range {
  return rangeOf(tree, entry.keyStart, entry.keyEnd);
}

/**
 * Templates nest a few levels deep; past this many levels of maps and lists a template is not read (the
 * readers and the rules recurse, and a deep enough document would overflow the stack).
 */
export const MAX_TEMPLATE_DEPTH = 200;

/** Maps with more entries than this get an index on first lookup (Resources, Parameters, Mappings). */
const INDEXED_MAP_SIZE = 12;
const mapIndexes = new WeakMap<TemplateMap, Map<string, TemplateEntry>>();

/** The entry with this key (the last one when the key is written twice, as CloudFormation reads it). */
export function entryOf(map: TemplateMap, key: string): TemplateEntry | undefined {
  const entries = map.entries;
  if (entries.length > INDEXED_MAP_SIZE) {
    let index = mapIndexes.get(map);
    if (!index) {
      index = new Map();
      for (const entry of entries) index.set(entry.key, entry);
      mapIndexes.set(map, index);
    }
    return index.get(key);
  }
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.key === key) return entries[i];
  return undefined;
}

/** Finds duplicate keys of a map being built and records them on it. */
export function markDuplicates(map: TemplateMap, duplicateMaps: TemplateMap[]): void {
  const entries = map.entries;
  if (entries.length < 2) return;
  if (entries.length <= INDEXED_MAP_SIZE) {
    // Small maps (nearly all of them) are compared pairwise: no allocation.
    for (let i = 1; i < entries.length; i++) {
      const key = entries[i]!.key;
      for (let j = 0; j < i; j++) {
        if (entries[j]!.key === key) {
          (map.duplicates ??= []).push([entries[j]!, entries[i]!]);
          break;
        }
      }
    }
  } else {
    const seen = new Map<string, TemplateEntry>();
    for (const entry of entries) {
      const first = seen.get(entry.key);
      if (first) (map.duplicates ??= []).push([first, entry]);
      else seen.set(entry.key, entry);
    }
  }
  if (map.duplicates) duplicateMaps.push(map);
}

/** The intrinsic function a node calls (`Ref`, `Fn::Sub`, …), or undefined for a plain value. */
export function intrinsicName(node: TemplateNode): string | undefined {
  if (node.kind !== "map" || node.entries.length !== 1) return undefined;
  const key = node.entries[0]!.key;
  if (key === "Ref" || key.startsWith("Fn::")) return key;
  if (key === "Condition" && node.tag === "!Condition") return key;
  return undefined;
}

/** The argument of an intrinsic function node. */
export function intrinsicArgument(node: TemplateMap): TemplateNode {
  return node.entries[0]!.value;
}

/**
 * For a string scalar, a function from an offset in its value to the offset in the text where that
 * character is written. Used for policies written as a JSON string and for `${Var}` inside `!Sub`.
 */
export function stringOffsetMap(tree: TemplateTree, node: TemplateScalar): (offset: number) => number {
  const value = typeof node.value === "string" ? node.value : String(node.value);
  const text = tree.text;
  if (node.style === "json") return jsonStringOffsetMap(text.slice(node.start, node.end), node.start);
  let contentStart = node.start;
  if (node.style === "single" || node.style === "double") contentStart += 1;
  else if (node.style === "literal" || node.style === "folded") {
    const lineEnd = text.indexOf("\n", node.start);
    contentStart = lineEnd === -1 || lineEnd >= node.end ? node.end : lineEnd + 1;
  }
  // Most scalars are written exactly as read: the value's characters follow each other in the text.
  if (text.startsWith(value, contentStart)) return (offset) => contentStart + Math.max(0, Math.min(offset, value.length));
  const starts = alignYamlScalar(value, text, contentStart, node.end, node.style);
  return (offset) => starts[Math.max(0, Math.min(offset, value.length))]!;
}

const isYamlSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Walks a YAML scalar's value and its text together: indentation and folded line breaks are skipped,
 * escapes (`\u00e9`, `''`) take their written length. Good to the character for every usual way of
 * writing a policy in a block scalar; at worst a character maps a few columns off, never outside the scalar.
 */
function alignYamlScalar(value: string, text: string, from: number, to: number, style: ScalarStyle): Int32Array {
  const starts = new Int32Array(value.length + 1);
  let p = from;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!isYamlSpace(c)) while (p < to && isYamlSpace(text.charCodeAt(p))) p++;
    const s = text.charCodeAt(p);
    starts[i] = Math.min(p, to);
    if (p >= to) continue;
    if (style === "double" && s === 92 /* \ */) p += escapeLength(text.charCodeAt(p + 1));
    else if (style === "single" && s === 39 /* ' */ && text.charCodeAt(p + 1) === 39) p += 2;
    else if (s === c) p++;
    else if ((c === 32 || c === 10) && (s === 10 || s === 13)) p += s === 13 && text.charCodeAt(p + 1) === 10 ? 2 : 1;
    else p++;
  }
  starts[value.length] = Math.min(p, to);
  return starts;
}

function escapeLength(next: number): number {
  if (next === 120 /* x */) return 4;
  if (next === 117 /* u */) return 6;
  if (next === 85 /* U */) return 10;
  return 2;
}
