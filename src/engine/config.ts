/**
 * kmslint.config.json: trust context, rule severities, ignored paths. Found by searching upward from each
 * linted path (the nearest one wins, as with .editorconfig), or given with --config for every path.
 * Validated against schemas/kmslint.config.schema.json (compiled at build time); an invalid config is a
 * usage error (exit 2) naming the JSON path and what was expected.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import validateConfig from "../generated/config-validator.js";
import { createDocument } from "../model/document.js";
import { blankJsoncSyntax } from "../model/jsonc.js";
import { decodeSource } from "../model/source.js";
import { allRules } from "../../rules/index.js";
import type { Range } from "../model/json.js";
import type { RuleOptions, SeveritySetting } from "./rule.js";

export const CONFIG_FILE_NAME = "kmslint.config.json";

export interface KmslintConfig {
  account?: string;
  org?: string;
  trustedAccounts?: string[];
  /** A severity, or [severity, options]. */
  rules?: Record<string, SeveritySetting | [SeveritySetting] | [SeveritySetting, Record<string, unknown>]>;
  parameters?: Record<string, string>;
  ignore?: string[];
  suppressions?: SuppressionEntry[];
}

/** A reviewed exception (config `suppressions`): the findings of one rule at one place, with the reason. */
export interface SuppressionEntry {
  rule: string;
  /** A glob relative to the config file's folder. */
  path?: string;
  /** kmslint audit: a key or bucket ARN, `*` matching any characters. */
  arn?: string;
  /** A CloudFormation logical id or Terraform address. */
  resource?: string;
  /** A Sid, or /Statement or /Statement/N. */
  statement?: string;
  reason: string;
  /** The last day it suppresses (UTC), YYYY-MM-DD. */
  expires?: string;
}

/** The config's rule entries split into the severities and the options the linter takes. */
export function ruleSettings(loaded: LoadedConfig): { severities: Record<string, SeveritySetting>; ruleOptions: Record<string, RuleOptions> } {
  const severities: Record<string, SeveritySetting> = {};
  const ruleOptions: Record<string, RuleOptions> = {};
  for (const [id, entry] of Object.entries(loaded.config.rules ?? {})) {
    if (typeof entry === "string") {
      severities[id] = entry;
    } else {
      severities[id] = entry[0];
      if (entry[1]) ruleOptions[id] = entry[1];
    }
  }
  return { severities, ruleOptions };
}

/** Checks rule options against what each rule declares; returns `[path, message]` per problem. */
function optionProblems(config: KmslintConfig): [(string | number)[], string][] {
  const problems: [(string | number)[], string][] = [];
  for (const [id, entry] of Object.entries(config.rules ?? {})) {
    if (typeof entry === "string" || entry.length < 2) continue;
    const meta = allRules.find((r) => r.meta.id === id)?.meta;
    const declared = meta?.options ?? {};
    const names = Object.keys(declared);
    for (const [name, value] of Object.entries(entry[1] ?? {})) {
      const spec = declared[name];
      if (!spec) {
        problems.push([["rules", id, 1, name], `${id} has no option "${name}"${names.length > 0 ? ` (it takes ${names.join(", ")})` : " (it takes none)"}`]);
        continue;
      }
      const okType =
        spec.type === "integer" ? Number.isInteger(value) : spec.type === "number" ? typeof value === "number" && Number.isFinite(value) : typeof value === spec.type;
      if (!okType) problems.push([["rules", id, 1, name], `must be ${spec.type === "integer" ? "a whole number" : `a ${spec.type}`}`]);
      else if (typeof value === "number" && ((spec.minimum !== undefined && value < spec.minimum) || (spec.maximum !== undefined && value > spec.maximum))) {
        problems.push([["rules", id, 1, name], `must be between ${spec.minimum ?? "-∞"} and ${spec.maximum ?? "∞"}`]);
      }
    }
  }
  return problems;
}

export interface LoadedConfig {
  /** Absolute path of the file, or undefined for the empty default. */
  file: string | undefined;
  /** Folder that `ignore` patterns are relative to. */
  base: string;
  config: KmslintConfig;
  /** Where each suppression is written in the file (for unused-suppression and expired-suppression). */
  suppressionRanges?: Range[];
}

/** A problem with the config file that stops the run (exit 2). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function loadConfigFile(file: string): LoadedConfig {
  const absolute = resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (error) {
    throw new ConfigError(`cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // Comments are allowed (kmslint init writes them); they become spaces, so positions stay those of the file.
  const decoded = decodeSource(bytes);
  const document = decoded.ok ? createDocument(blankJsoncSyntax(decoded.text), absolute) : createDocument(bytes, absolute);
  if (document.problem) {
    const { line, column } = document.problem.range.start;
    throw new ConfigError(`${file}:${line}:${column}: ${document.problem.message}`);
  }
  const duplicate = document.duplicateKeys()[0];
  if (duplicate) {
    throw new ConfigError(`${file}:${duplicate.duplicate.start.line}:${duplicate.duplicate.start.column}: duplicate key "${duplicate.key}"`);
  }
  if (!validateConfig(document.value)) {
    const lines = (validateConfig.errors ?? []).map((error) => {
      const pointer = error.instancePath || "/";
      const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
      const path = segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      let target: "key" | "value" = "value";
      let detail = error.message ?? "is not valid";
      const params = error.params as Record<string, unknown>;
      if (error.keyword === "additionalProperties") {
        path.push(String(params["additionalProperty"]));
        target = "key";
        detail = `unknown property "${String(params["additionalProperty"])}"`;
      } else if (error.keyword === "enum") {
        detail = `must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
      } else if (error.keyword === "propertyNames") {
        const name = String(params["propertyName"]);
        path.push(name);
        target = "key";
        detail = `"${name}" is not a kmslint rule id (kmslint rules lists them)`;
      } else if (error.keyword === "pattern" && pointer.startsWith("/suppressions/")) {
        detail = SUPPRESSION_PATTERNS[String(path[2])] ?? "must not be empty";
      } else if (error.keyword === "anyOf" && pointer.startsWith("/suppressions/")) {
        detail = 'needs "path" (the files it applies to) or "arn" (the key or bucket of an audit)';
      } else if (error.keyword === "required" && pointer.startsWith("/suppressions/") && ["path", "arn"].includes(String(params["missingProperty"]))) {
        return "";
      } else if (error.keyword === "required" && pointer.startsWith("/suppressions/") && params["missingProperty"] === "reason") {
        detail = 'needs a "reason": why the finding is accepted (shown in JSON and SARIF)';
      } else if (error.keyword === "pattern") {
        detail = pointer.startsWith("/org")
          ? "must be an organization id like o-a1b2c3d4e5"
          : pointer.startsWith("/parameters")
            ? "a CloudFormation parameter name is letters and digits"
            : "must be a 12-digit account id, written as a string";
      } else if (error.keyword === "oneOf" && pointer.startsWith("/rules/")) {
        detail = 'must be "off", "info", "warning", "error", or ["<severity>", {options}]';
      }
      const { line, column } = document.locate(path, target).start;
      return `${file}:${line}:${column}: ${pointer}: ${detail}`;
    });
    const unique = [...new Set(lines.filter((l) => l !== "" && !/propertyNames/.test(l)))];
    // ajv reports each branch of a oneOf too; for a rule entry the oneOf line says it all.
    const ruleEntries = new Set(unique.filter((l) => l.includes('["<severity>"')).map((l) => l.split(": ")[1]));
    const kept = unique.filter((l) => l.includes('["<severity>"') || !ruleEntries.has(l.split(": ")[1]?.split("/").slice(0, 3).join("/")));
    throw new ConfigError(`invalid config:\n  ${kept.join("\n  ")}`);
  }
  const problems = [...optionProblems(document.value as KmslintConfig), ...suppressionProblems(document.value as KmslintConfig)];
  if (problems.length > 0) {
    const lines = problems.map(([path, message]) => {
      const { line, column } = document.locate(path, path[0] === "suppressions" ? "value" : "key").start;
      return `${file}:${line}:${column}: /${path.join("/")}: ${message}`;
    });
    throw new ConfigError(`invalid config:\n  ${lines.join("\n  ")}`);
  }
  const config = document.value as KmslintConfig;
  const loaded: LoadedConfig = { file: absolute, base: dirname(absolute), config };
  if (config.suppressions) loaded.suppressionRanges = config.suppressions.map((_, i) => document.locate(["suppressions", i], "value"));
  return loaded;
}

const SUPPRESSION_PATTERNS: Record<string, string> = {
  rule: "must be a rule id (kmslint rules lists them) or access-analyzer/<ISSUE_CODE>",
  arn: "must be an ARN (arn:aws:kms:…, arn:aws:s3:::…)",
  statement: "must be a statement's Sid or a JSON pointer /Statement/N",
  expires: "must be a date written YYYY-MM-DD",
  reason: "must say why the finding is accepted",
};

/** Rule ids and dates the schema cannot check: returns `[path, message]` per problem. */
function suppressionProblems(config: KmslintConfig): [(string | number)[], string][] {
  const problems: [(string | number)[], string][] = [];
  const ids = new Set(allRules.map((r) => r.meta.id));
  (config.suppressions ?? []).forEach((entry, i) => {
    if (!ids.has(entry.rule) && !entry.rule.startsWith("access-analyzer/")) {
      problems.push([["suppressions", i, "rule"], `"${entry.rule}" is not a kmslint rule id (kmslint rules lists them)`]);
    }
    if (entry.expires !== undefined && !isCalendarDate(entry.expires)) problems.push([["suppressions", i, "expires"], `${entry.expires} is not a date`]);
  });
  return problems;
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** Finds and loads the nearest kmslint.config.json at or above `directory`; caches per directory. */
export class ConfigResolver {
  private readonly byDirectory = new Map<string, LoadedConfig>();
  private readonly byFile = new Map<string, LoadedConfig>();

  constructor(private readonly fallbackBase: string) {}

  forDirectory(directory: string): LoadedConfig {
    const start = resolve(directory);
    const visited: string[] = [];
    let current = start;
    let found: LoadedConfig | undefined;
    for (;;) {
      const cached = this.byDirectory.get(current);
      if (cached) {
        found = cached;
        break;
      }
      visited.push(current);
      const candidate = join(current, CONFIG_FILE_NAME);
      if (isFile(candidate)) {
        found = this.byFile.get(candidate) ?? loadConfigFile(candidate);
        this.byFile.set(candidate, found);
        break;
      }
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
    const result = found ?? { file: undefined, base: this.fallbackBase, config: {} };
    for (const directoryVisited of visited) this.byDirectory.set(directoryVisited, result);
    return result;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
