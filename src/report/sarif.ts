/**
 * SARIF 2.1.0 (OASIS), the format GitHub code scanning and other CI tools read. One run; the driver declares
 * every rule (so that a consumer can tell "ran and found nothing" from "not run" and close fixed alerts),
 * with its one-line description, the first paragraph of its page, the whole page as help text, its default
 * level and a link to the page. Each finding is a result with its physical location (line and column from 1,
 * columns in UTF-16 code units, end exclusive), the statement and resource as logical locations, and its
 * fingerprint as `partialFingerprints` (stable when the file is reformatted or its statements move).
 *
 * Audits: a result's location is the key's or bucket's ARN, its region a position in the policy as AWS
 * returned it, and `properties.api` / `properties.pointer` say which answer and where in it.
 *
 * Findings a config suppression accepted are kept with `suppressions` (kind external, the reason as
 * justification); findings recorded in a baseline are left out, and with a baseline every result is
 * `baselineState: "new"`.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import { allRules } from "../../rules/index.js";
import type { Severity } from "../engine/rule.js";
import pkg from "../../package.json" with { type: "json" };
import { packageRoot, ruleDocUrl } from "./pretty.js";
import type { LintMessage, LintResult, SuppressedLintMessage } from "./results.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

const LEVELS: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/** Rules about the input or the run itself rather than a security property of a key or bucket. */
const NOT_SECURITY = new Set(["invalid-json", "invalid-policy", "unknown-action", "unknown-condition-key", "policy-size", "unresolved-value", "audit-error", "unused-suppression", "expired-suppression"]);

/** GitHub ranks security alerts by `security-severity` (0–10): high, medium, low. */
const SECURITY_SEVERITY: Record<Severity, string> = { error: "8.0", warning: "5.0", info: "2.0" };

export interface SarifOptions {
  /** Folder that file paths are made relative to (%SRCROOT%): the current folder. */
  cwd?: string;
  /** A baseline was applied: every result reported is new. */
  baseline?: boolean;
  /** Counts for `run.properties`. */
  summary?: Record<string, number>;
}

export function formatSarif(results: readonly LintResult[], options: SarifOptions = {}): string {
  return `${JSON.stringify(sarifLog(results, options), null, 2)}\n`;
}

export function sarifLog(results: readonly LintResult[], options: SarifOptions = {}): Log {
  const cwd = options.cwd ?? process.cwd();
  const rules: ReportingDescriptor[] = allRules.map(({ meta }) => descriptor(meta.id, meta.description, meta.severity));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const ruleIndex = (m: LintMessage): number => {
    let i = index.get(m.ruleId);
    if (i === undefined) {
      // access-analyzer/<ISSUE_CODE>: one descriptor per code reported, described by Access Analyzer's finding.
      i = rules.push(accessAnalyzerDescriptor(m)) - 1;
      index.set(m.ruleId, i);
    }
    return i;
  };

  const sarifResults: Result[] = [];
  for (const file of results) {
    const suppressed = file.suppressedMessages.filter((m) => !m.suppressions.some((s) => s.kind === "baseline"));
    for (const m of [...file.messages, ...suppressed]) {
      const result: Result = {
        ruleId: m.ruleId,
        ruleIndex: ruleIndex(m),
        level: LEVELS[m.level],
        message: { text: m.message },
        locations: [location(file, m, cwd)],
        partialFingerprints: { primaryLocationLineHash: m.fingerprint, "kmslint/v1": m.fingerprint },
      };
      if (options.baseline) result.baselineState = "new";
      const properties: Record<string, unknown> = {};
      if (m.api !== undefined) properties["api"] = m.api;
      if (m.pointer !== undefined) properties["pointer"] = m.pointer;
      if (m.accessAnalyzer) properties["accessAnalyzer"] = m.accessAnalyzer;
      if (Object.keys(properties).length > 0) result.properties = properties;
      if ("suppressions" in m) {
        result.suppressions = (m as SuppressedLintMessage).suppressions.map((s) => ({
          kind: "external",
          status: "accepted",
          justification: s.justification,
          properties: { source: s.source, ...(s.expires !== undefined ? { expires: s.expires } : {}) },
        }));
      }
      sarifResults.push(result);
    }
  }

  const root = pathToFileURL(cwd).href;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "kmslint",
            version: pkg.version,
            semanticVersion: pkg.version,
            informationUri: pathToFileURL(join(packageRoot(), "README.md")).href,
            rules,
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: root.endsWith("/") ? root : `${root}/` } },
        invocations: [{ executionSuccessful: true }],
        columnKind: "utf16CodeUnits",
        results: sarifResults,
        ...(options.summary ? { properties: { kmslint: options.summary } } : {}),
      },
    ],
  };
}

function descriptor(id: string, description: string, severity: Severity): ReportingDescriptor {
  const page = rulePage(id);
  const security = !NOT_SECURITY.has(id);
  const rule: ReportingDescriptor = {
    id,
    name: id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: description },
    fullDescription: { text: page ? firstParagraph(page) || description : description },
    defaultConfiguration: { level: LEVELS[severity] },
    helpUri: ruleDocUrl(id),
    properties: { tags: security ? ["security"] : ["correctness"], ...(security ? { "security-severity": SECURITY_SEVERITY[severity] } : {}) },
  };
  if (page) rule.help = { text: page, markdown: page };
  return rule;
}

function accessAnalyzerDescriptor(m: LintMessage): ReportingDescriptor {
  const code = m.ruleId.slice("access-analyzer/".length);
  const rule = descriptor(m.ruleId, `IAM Access Analyzer policy check ${code} (ValidatePolicy)`, m.level);
  rule.helpUri = ruleDocUrl("access-analyzer");
  return rule;
}

/** A rule's page (rules/<id>.md in the package), or undefined when it is not there. */
function rulePage(id: string): string | undefined {
  try {
    return readFileSync(join(packageRoot(), "rules", `${id}.md`), "utf8");
  } catch {
    return undefined;
  }
}

/** The first paragraph under "## What it does", joined into one line. */
function firstParagraph(page: string): string {
  const section = /## What it does\s*\n([\s\S]*?)(\n\s*\n|$)/.exec(page)?.[1];
  return (section ?? "").replace(/\s*\n\s*/g, " ").trim();
}

function location(file: LintResult, m: LintMessage, cwd: string): Location {
  const region = { startLine: Math.max(1, m.line), startColumn: Math.max(1, m.column), endLine: Math.max(1, m.endLine), endColumn: Math.max(1, m.endColumn) };
  if (region.endLine < region.startLine || (region.endLine === region.startLine && region.endColumn < region.startColumn)) {
    region.endLine = region.startLine;
    region.endColumn = region.startColumn;
  }
  const logical: NonNullable<Location["logicalLocations"]> = [];
  if (file.filePath.startsWith("arn:")) {
    logical.push({ name: file.filePath.split(/[:/]/).pop() ?? file.filePath, fullyQualifiedName: file.filePath, kind: "resource" });
  } else if (m.resource !== undefined) {
    logical.push({ name: m.resource, fullyQualifiedName: m.resource, kind: "resource" });
  }
  if (m.statement) {
    const name = m.statement.sid ?? `Statement[${m.statement.index}]`;
    const path = `Statement[${m.statement.index}]`;
    logical.push({ name, fullyQualifiedName: m.resource !== undefined ? `${m.resource}.${path}` : path, kind: "object" });
  }
  const located: Location = { physicalLocation: { artifactLocation: artifact(file.filePath, cwd), region } };
  if (logical.length > 0) located.logicalLocations = logical;
  return located;
}

function artifact(filePath: string, cwd: string): { uri: string; uriBaseId?: string } {
  if (filePath.startsWith("arn:")) return { uri: filePath };
  const path = relative(cwd, filePath);
  if (path === "" || path === ".." || path.startsWith(`..${sep}`) || isAbsolute(path)) return { uri: pathToFileURL(filePath).href };
  return { uri: path.split(sep).map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
}
