/**
 * CloudFormation templates written in JSON: the text parsed with momoa (which keeps every node's offsets)
 * into the template tree that src/sources/cloudformation.ts reads. The CLI calls this only for JSON it has
 * already recognised as a template.
 */
import { parse, type AnyNode, type DocumentNode } from "@humanwhocodes/momoa";
import type { Inventory, SourceContext, SourceProblem } from "../model/inventory.js";
import { templateInventory } from "./cloudformation.js";
import { MAX_TEMPLATE_DEPTH, lineStartsOf, markDuplicates, positionFromLineStarts, type TemplateMap, type TemplateNode, type TemplateTree } from "./template-tree.js";

/** Reads a JSON CloudFormation template. Never throws: a syntax error is an `invalid-json` problem of the inventory. */
export function loadCloudFormationJson(text: string, filePath: string, context: SourceContext): Inventory {
  return templateInventory(parseJsonTemplate(text, filePath), context);
}

export function parseJsonTemplate(text: string, filePath: string): TemplateTree {
  // A byte order mark is not JSON; a space in its place keeps every offset where it was.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  let lineStarts: number[] | undefined;
  const positionOf = (offset: number) => positionFromLineStarts((lineStarts ??= lineStartsOf(text)), text.length, offset);
  const tree: TemplateTree = { filePath, text, syntax: "json", root: undefined, problems: [], duplicateMaps: [], positionOf };
  let document: DocumentNode;
  try {
    document = parse(source, { mode: "json", ranges: false, tokens: false });
  } catch (error) {
    const offset = (error as { offset?: unknown }).offset;
    const at = positionOf(typeof offset === "number" ? offset : 0);
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\(\d+:\d+\)$/, "").replace(/\.$/, "");
    // momoa recurses; a pathologically deep document overflows the stack (a RangeError without an offset):
    // the problem is placed where the nesting passes the limit.
    if (error instanceof RangeError) {
      tree.problems.push(tooDeep(tree, deepestOffset(source)));
      return tree;
    }
    tree.problems.push({ ruleId: "invalid-json", message, range: { start: at, end: { ...at, column: at.column + 1, offset: at.offset + 1 } } });
    return tree;
  }
  try {
    tree.root = convert(document.body, tree, 0);
  } catch (error) {
    if (!(error instanceof TooDeep)) throw error;
    tree.problems.push(tooDeep(tree, error.offset));
  }
  return tree;
}

class TooDeep extends Error {
  constructor(readonly offset: number) {
    super("too deep");
  }
}

function tooDeep(tree: TemplateTree, offset: number): SourceProblem {
  const at = tree.positionOf(offset);
  return {
    ruleId: "invalid-json",
    message: `The template is nested more than ${MAX_TEMPLATE_DEPTH} levels deep here; kmslint does not read it`,
    range: { start: at, end: tree.positionOf(offset + 1) },
  };
}

/** Where the nesting of `[` and `{` (outside strings) first passes MAX_TEMPLATE_DEPTH, or 0. */
function deepestOffset(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > MAX_TEMPLATE_DEPTH) return i;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return 0;
}

function convert(node: AnyNode, tree: TemplateTree, depth: number): TemplateNode {
  const start = node.loc.start.offset;
  const end = node.loc.end.offset;
  if (depth > MAX_TEMPLATE_DEPTH && (node.type === "Object" || node.type === "Array")) throw new TooDeep(start);
  switch (node.type) {
    case "Object": {
      const map: TemplateMap = { kind: "map", entries: [], start, end };
      for (const member of node.members) {
        const name = member.name;
        const key = name.type === "String" ? name.value : name.name;
        map.entries.push({ key, keyStart: name.loc.start.offset, keyEnd: name.loc.end.offset, value: convert(member.value, tree, depth + 1) });
      }
      markDuplicates(map, tree.duplicateMaps);
      return map;
    }
    case "Array":
      return { kind: "seq", items: node.elements.map((element) => convert(element.value, tree, depth + 1)), start, end };
    case "String":
      return { kind: "scalar", value: node.value, style: "json", start, end };
    case "Number":
    case "Boolean":
      return { kind: "scalar", value: node.value, style: "plain", start, end };
    case "Null":
      return { kind: "scalar", value: null, style: "plain", start, end };
    default:
      return { kind: "scalar", value: null, style: "plain", start, end };
  }
}
