/**
 * CloudFormation templates written in YAML: the text parsed with the `yaml` package into the template tree
 * that src/sources/cloudformation.ts reads. The package is loaded only when a YAML file is linted
 * (`loadYamlParser`); it is its own chunk of the bundle and shares no code with the rest, so linting JSON
 * loads nothing more than before.
 *
 * Parsing follows the YAML 1.2 core schema, so `Version: 2012-10-17` stays a string; plain scalars the core
 * schema reads as numbers keep their text (`012345678901`). Short-form tags (`!Ref`, `!Sub`, …) become their
 * long forms (`Ref`, `Fn::Sub`); aliases are resolved; duplicate keys are kept and reported, not rejected.
 */
import type * as YamlModule from "yaml";
import type { CollectionTag, Document, Scalar, ScalarTag } from "yaml";
import type { Inventory, SourceContext, SourceProblem } from "../model/inventory.js";
import { isTemplateTree, templateInventory } from "./cloudformation.js";
import { MAX_TEMPLATE_DEPTH, lineStartsOf, markDuplicates, positionFromLineStarts, type ScalarStyle, type TemplateMap, type TemplateNode, type TemplateTree } from "./template-tree.js";

let yaml: typeof YamlModule | undefined;

/** Loads the YAML parser (once); `loadCloudFormationYaml` needs it. */
export async function loadYamlParser(): Promise<void> {
  if (yaml) return;
  // The package is CommonJS: Node exposes its exports by name, a bundle may expose them only as the default.
  const module = (await import("yaml")) as typeof YamlModule & { default?: typeof YamlModule };
  yaml = typeof module.LineCounter === "function" ? module : module.default;
}

function parser(): typeof YamlModule {
  if (!yaml) throw new Error("loadYamlParser() must be awaited before reading YAML");
  return yaml;
}

/**
 * Reads a YAML CloudFormation template (after `loadYamlParser`). Undefined when the YAML parses but is not a template (no
 * AWSTemplateFormatVersion and no Resources of AWS types); a syntax error gives an inventory whose only
 * content is an `invalid-json` problem at the error. Never throws.
 */
export function loadCloudFormationYaml(text: string, filePath: string, context: SourceContext): Inventory | undefined {
  const tree = parseYamlTemplate(text, filePath);
  if (tree.root !== undefined && tree.problems.every((p) => p.ruleId !== "invalid-json") && !isTemplateTree(tree)) return undefined;
  if (tree.root === undefined && tree.problems.length === 0) return undefined;
  return templateInventory(tree, context);
}

/** The short-form tags CloudFormation defines and the long-form key each stands for. */
const SHORT_FORMS: Readonly<Record<string, string>> = {
  "!Ref": "Ref",
  "!Condition": "Condition",
  "!Base64": "Fn::Base64",
  "!Cidr": "Fn::Cidr",
  "!FindInMap": "Fn::FindInMap",
  "!GetAtt": "Fn::GetAtt",
  "!GetAZs": "Fn::GetAZs",
  "!ImportValue": "Fn::ImportValue",
  "!Join": "Fn::Join",
  "!Select": "Fn::Select",
  "!Split": "Fn::Split",
  "!Sub": "Fn::Sub",
  "!Transform": "Fn::Transform",
  "!And": "Fn::And",
  "!Equals": "Fn::Equals",
  "!If": "Fn::If",
  "!Not": "Fn::Not",
  "!Or": "Fn::Or",
  "!ToJsonString": "Fn::ToJsonString",
  "!Length": "Fn::Length",
};

/**
 * The tags declared to the parser, on scalars, maps and lists alike, so that it neither warns about them
 * (a warning is an Error object with a stack trace: thousands of them took longer than the parse itself)
 * nor reads the scalar after a tag as a number (`!Ref 012` names `012`).
 */
const CUSTOM_TAGS: (ScalarTag | CollectionTag)[] = Object.keys(SHORT_FORMS).flatMap((tag): (ScalarTag | CollectionTag)[] => [
  { tag, resolve: (value: string) => value },
  { tag, collection: "map" },
  { tag, collection: "seq" },
]);

/**
 * Aliases can make a small text stand for an enormous tree (each level repeating the one below). Past this
 * many nodes reached through aliases, further aliases are read as null and reported.
 */
const MAX_ALIAS_EXPANSION = 1_000_000;

const STYLES: Readonly<Record<string, ScalarStyle>> = {
  PLAIN: "plain",
  QUOTE_SINGLE: "single",
  QUOTE_DOUBLE: "double",
  BLOCK_LITERAL: "literal",
  BLOCK_FOLDED: "folded",
};

/** Parses YAML text into a template tree; syntax errors are in `problems`, with `root` undefined. */
export function parseYamlTemplate(text: string, filePath: string): TemplateTree {
  // Line starts of the whole text: the parser's own line counter knows only the lines it reached, so
  // after a syntax error it would place later offsets on the last line it saw.
  let lineStarts: number[] | undefined;
  const positionOf = (offset: number) => positionFromLineStarts((lineStarts ??= lineStartsOf(text)), text.length, offset);
  const tree: TemplateTree = { filePath, text, syntax: "yaml", root: undefined, problems: [], duplicateMaps: [], positionOf };
  let documents: ReturnType<typeof YamlModule.parseAllDocuments>;
  try {
    documents = parser().parseAllDocuments(text, { uniqueKeys: false, schema: "core", customTags: CUSTOM_TAGS });
  } catch (error) {
    // The parser reports errors in the documents; a throw would be a bug in it. Still never crash a run.
    const at = positionOf(0);
    tree.problems.push({ ruleId: "invalid-json", message: `The YAML could not be read: ${String(error)}`, range: { start: at, end: at } });
    return tree;
  }
  const list = Array.isArray(documents) ? (documents as Document.Parsed[]) : [];
  for (const document of list) {
    const error = document.errors[0];
    if (!error) continue;
    const [start, end] = error.pos;
    let message = error.message.split("\n")[0]!.replace(/:$/, "");
    // The parser recurses too: a deep enough document overflows its stack, which it reports as an error.
    if (message.startsWith("Maximum call stack size exceeded")) message = "The template is nested too deeply here to be read";
    tree.problems.push({ ruleId: "invalid-json", message, range: { start: positionOf(start), end: positionOf(Math.max(start, end)) } });
    return tree;
  }
  const document = list[0];
  if (!document) return tree;
  if (list.length > 1) {
    const second = list[1]!;
    const at = second.range[0];
    tree.problems.push({
      ruleId: "invalid-json",
      message: "The file holds more than one YAML document (---); CloudFormation reads a template from a single document, so only the first was checked",
      range: { start: positionOf(at), end: positionOf(at + 3) },
    });
  }
  const converter = new YamlConverter(text, document, tree);
  const root = converter.convert(document.contents, 0);
  // Nested too deeply: the problem says where, and the template is not read.
  if (!converter.tooDeep) tree.root = root;
  return tree;
}

class YamlConverter {
  /** Nodes with an anchor, converted once so that every alias to one shares the result. */
  private readonly anchored = new Map<unknown, TemplateNode>();
  private readonly inProgress = new Set<unknown>();
  /** Size (nodes, aliases expanded) of each subtree an alias stands for, counted when first needed. */
  private readonly sizes = new Map<TemplateNode, number>();
  private aliasNodes = 0;
  private aliasBudgetReported = false;
  /** Maps and lists being converted, one inside the other. */
  private depth = 0;
  /** Set when the nesting passed MAX_TEMPLATE_DEPTH (reported once). */
  tooDeep = false;

  constructor(
    private readonly text: string,
    private readonly document: Document.Parsed,
    private readonly tree: TemplateTree,
  ) {}

  /** `at` is where an absent value (`Key:` with nothing after it) is placed. */
  convert(node: unknown, at: number): TemplateNode {
    if (node === null || node === undefined) return { kind: "scalar", value: null, style: "plain", start: at, end: at };
    if (parser().isAlias(node)) return this.alias(node, at);
    const anchored = (node as { anchor?: string }).anchor !== undefined;
    if (anchored) {
      const done = this.anchored.get(node);
      if (done) return done;
      this.inProgress.add(node);
    }
    let converted: TemplateNode;
    const collection = parser().isMap(node) || parser().isSeq(node);
    if (collection && this.depth >= MAX_TEMPLATE_DEPTH) {
      const start = (node as { range?: [number, number, number] | null }).range?.[0] ?? at;
      if (!this.tooDeep) this.problem(`The template is nested more than ${MAX_TEMPLATE_DEPTH} levels deep here; kmslint does not read it`, start, start + 1);
      this.tooDeep = true;
      converted = { kind: "scalar", value: null, style: "plain", start, end: start };
    } else if (collection) {
      this.depth++;
      try {
        converted = this.collection(node, at);
      } finally {
        this.depth--;
      }
    } else if (parser().isScalar(node)) {
      converted = this.scalar(node);
    } else {
      converted = { kind: "scalar", value: null, style: "plain", start: at, end: at };
    }
    if (anchored) {
      this.inProgress.delete(node);
      this.anchored.set(node, converted);
    }
    return converted;
  }

  private collection(node: unknown, at: number): TemplateNode {
    let converted: TemplateNode;
    if (parser().isMap(node)) {
      const map: TemplateMap = { kind: "map", entries: [], start: node.range?.[0] ?? at, end: node.range?.[1] ?? at };
      for (const pair of node.items) {
        if (!parser().isPair(pair)) continue;
        const key = pair.key;
        let keyText: string;
        let keyStart: number;
        let keyEnd: number;
        if (parser().isScalar(key)) {
          keyStart = key.range?.[0] ?? map.start;
          keyEnd = key.range?.[1] ?? keyStart;
          keyText = typeof key.value === "number" && key.type === "PLAIN" ? this.text.slice(keyStart, keyEnd) : String(key.value ?? "");
        } else {
          const range = (key as { range?: [number, number, number] } | null)?.range;
          keyStart = range?.[0] ?? map.start;
          keyEnd = range?.[1] ?? keyStart;
          keyText = this.text.slice(keyStart, keyEnd);
        }
        const value = this.convert(pair.value, keyEnd);
        map.entries.push({ key: keyText, keyStart, keyEnd, value });
      }
      if (!node.flow && map.entries.length > 0) map.end = map.entries[map.entries.length - 1]!.value.end;
      markDuplicates(map, this.tree.duplicateMaps);
      converted = this.tagged(node.tag, map);
    } else if (parser().isSeq(node)) {
      const start = node.range?.[0] ?? at;
      const items: TemplateNode[] = [];
      for (const item of node.items) {
        const value = this.convert(item, start);
        items.push(value);
      }
      let end = node.range?.[1] ?? start;
      if (!node.flow && items.length > 0) end = items[items.length - 1]!.end;
      converted = this.tagged(node.tag, { kind: "seq", items, start, end });
    } else {
      converted = { kind: "scalar", value: null, style: "plain", start: at, end: at };
    }
    return converted;
  }

  private alias(node: { source: string; range?: [number, number, number] | null; resolve(document: Document): unknown }, at: number): TemplateNode {
    const start = node.range?.[0] ?? at;
    const end = node.range?.[1] ?? start;
    const target = node.resolve(this.document);
    if (target === undefined || this.inProgress.has(target)) {
      this.problem(`The alias *${node.source} refers to ${target === undefined ? "no anchor defined before it" : "the node that contains it"}; it is read as null`, start, end);
      return { kind: "scalar", value: null, style: "plain", start, end };
    }
    const converted = this.convert(target, start);
    let size = this.sizes.get(converted);
    if (size === undefined) {
      size = countNodes(converted, MAX_ALIAS_EXPANSION - this.aliasNodes + 1);
      this.sizes.set(converted, size);
    }
    this.aliasNodes += size;
    if (this.aliasNodes > MAX_ALIAS_EXPANSION) {
      if (!this.aliasBudgetReported) {
        this.aliasBudgetReported = true;
        this.problem(`Aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString("en-US")} nodes; this alias and later ones are read as null`, start, end);
      }
      return { kind: "scalar", value: null, style: "plain", start, end };
    }
    return converted;
  }

  private scalar(node: Scalar): TemplateNode {
    const style = STYLES[node.type ?? "PLAIN"] ?? "plain";
    const start = node.range?.[0] ?? 0;
    let end = node.range?.[1] ?? start;
    if (style === "literal" || style === "folded") {
      while (end > start && isSpace(this.text.charCodeAt(end - 1))) end--;
    }
    const raw = node.value;
    let value: string | number | boolean | null;
    if (raw === null || typeof raw === "string" || typeof raw === "boolean" || typeof raw === "number") value = raw;
    else if (typeof raw === "bigint") value = Number(raw);
    else value = String(raw);
    const scalar: TemplateNode = { kind: "scalar", value, style, start, end };
    if (typeof value === "number" && style === "plain") {
      scalar.numberText = this.text.slice(start, end);
      if (/^0\d{11}$/.test(scalar.numberText)) (this.tree.leadingZeroNumbers ??= []).push(scalar);
    }
    return this.tagged(node.tag, scalar);
  }

  /** Wraps a node written with a short-form tag into the long-form map it stands for. */
  private tagged(tag: string | undefined, node: TemplateNode): TemplateNode {
    if (tag === undefined) return node;
    const long = SHORT_FORMS[tag];
    if (long === undefined) return node;
    const start = tagStart(this.text, node.start, tag);
    let value = node;
    if (tag === "!GetAtt" && node.kind === "scalar" && typeof node.value === "string") value = splitGetAtt(this.text, node);
    const map: TemplateMap = { kind: "map", tag, start, end: Math.max(node.end, start + tag.length), entries: [{ key: long, keyStart: start, keyEnd: start + tag.length, value }] };
    return map;
  }

  private problem(message: string, start: number, end: number): void {
    const problem: SourceProblem = { ruleId: "invalid-json", message, range: { start: this.tree.positionOf(start), end: this.tree.positionOf(end) } };
    this.tree.problems.push(problem);
  }
}

/** Nodes in a tree, aliases expanded, counting no further than `limit`. */
function countNodes(root: TemplateNode, limit: number): number {
  let count = 0;
  const stack: TemplateNode[] = [root];
  while (stack.length > 0 && count <= limit) {
    const node = stack.pop()!;
    count++;
    if (node.kind === "map") for (const entry of node.entries) stack.push(entry.value);
    else if (node.kind === "seq") for (const item of node.items) stack.push(item);
  }
  return count;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Where a node's tag starts: the tag is written before the node, with spaces or line breaks between. */
function tagStart(text: string, nodeStart: number, tag: string): number {
  let p = nodeStart - 1;
  while (p >= 0 && isSpace(text.charCodeAt(p))) p--;
  const from = p - tag.length + 1;
  return from >= 0 && text.startsWith(tag, from) ? from : nodeStart;
}

/** `!GetAtt Resource.Attribute` is the list [Resource, Attribute] (split at the first dot). */
function splitGetAtt(text: string, node: TemplateNode & { kind: "scalar" }): TemplateNode {
  const value = node.value as string;
  const dot = value.indexOf(".");
  if (dot === -1) return { kind: "seq", items: [node], start: node.start, end: node.end };
  // Offsets of the two parts are exact when the scalar is written as read (no escapes), else both take the whole scalar.
  const base = text.startsWith(value, node.start) ? node.start : node.style !== "plain" && text.startsWith(value, node.start + 1) ? node.start + 1 : -1;
  const part = (from: number, to: number): TemplateNode =>
    base === -1
      ? { kind: "scalar", value: value.slice(from, to), style: node.style, start: node.start, end: node.end }
      : { kind: "scalar", value: value.slice(from, to), style: "plain", start: base + from, end: base + to };
  const resource = part(0, dot);
  const attribute = part(dot + 1, value.length);
  return { kind: "seq", items: [resource, attribute], start: node.start, end: node.end };
}
