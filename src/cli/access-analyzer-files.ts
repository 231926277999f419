/**
 * `kmslint lint --access-analyzer`: IAM Access Analyzer's policy checks on the linted policies, after
 * kmslint's own rules. ValidatePolicy (policy type RESOURCE_POLICY, or IDENTITY_POLICY; resource type
 * AWS::S3::Bucket for bucket policies, none for key policies, as AWS-FACTS.md §6.4 says) gives findings
 * `access-analyzer/<issueCode>`, placed by the path of each location onto the file, template or plan (so
 * that a policy inside YAML gets its YAML position). CheckNoPublicAccess (AWS::KMS::Key, AWS::S3::Bucket)
 * is compared with kmslint's public-access verdict, and a disagreement is shown. Answers are cached by
 * policy text, checks and region: an unchanged policy costs no call on the next run. Both calls are billed
 * by AWS, so this runs only when asked. Loaded only with the flag (it loads the AWS SDK).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  AccessAnalyzerClient,
  CheckNoPublicAccessCommand,
  ValidatePolicyCommand,
  type CheckNoPublicAccessCommandOutput,
  type PathElement,
  type ValidatePolicyFinding,
} from "@aws-sdk/client-accessanalyzer";
import { identityOf, type Finding } from "../engine/linter.js";
import type { Severity } from "../engine/rule.js";
import { parsedJsonOf } from "../model/document.js";
import type { Path, Range } from "../model/json.js";
import { appendFindings, type LintResult } from "../report/results.js";
import type { CheckedPolicy } from "./lint-task.js";

export interface AccessAnalyzerFileOptions {
  region?: string;
  profile?: string;
  /** Where answers are kept (default: $XDG_CACHE_HOME/kmslint/access-analyzer, or ~/.cache/…). */
  cacheDir?: string;
  stderr: (text: string) => void;
}

/** What the checks did, for the summary and the tests. */
export interface AccessAnalyzerFileStats {
  policies: number;
  calls: number;
  cached: number;
  failed?: string;
}

const SEVERITIES: Record<string, Severity> = { ERROR: "error", SECURITY_WARNING: "error", WARNING: "warning", SUGGESTION: "info" };

export function defaultCacheDir(): string {
  const base = process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache");
  return join(base, "kmslint", "access-analyzer");
}

/** Access Analyzer's path (keys, indexes, values, substrings) as a JSON path into the policy value. */
export function pathOf(elements: readonly PathElement[], value: unknown): Path {
  const path: (string | number)[] = [];
  let node = value;
  for (const element of elements) {
    if ("key" in element && element.key !== undefined) {
      path.push(element.key);
      node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[element.key] : undefined;
    } else if ("index" in element && element.index !== undefined) {
      path.push(element.index);
      node = Array.isArray(node) ? node[element.index] : undefined;
    } else if ("value" in element && element.value !== undefined) {
      // A value names a member (an object key) or an array element by its text.
      if (Array.isArray(node)) {
        const index = node.indexOf(element.value);
        if (index < 0) break;
        path.push(index);
        node = node[index];
      } else if (node !== null && typeof node === "object" && Object.hasOwn(node, element.value)) {
        path.push(element.value);
        node = (node as Record<string, unknown>)[element.value];
      } else break;
    } else break; // a substring: its parent is as close as positions get
  }
  return path;
}

class Cache {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, `${createHash("sha256").update(key).digest("hex")}.json`);
  }

  get<T>(key: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file(key), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: unknown): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(this.file(key), JSON.stringify(value));
    } catch {
      // A cache that cannot be written only costs calls next time.
    }
  }
}

interface CheckAnswers {
  findings: ValidatePolicyFinding[];
  publicAccess?: Pick<CheckNoPublicAccessCommandOutput, "result" | "message" | "reasons">;
}

/**
 * Runs the checks on every policy of every file and adds their findings to the files' results. A refused
 * or failing call stops the checks (one line on stderr, the rest is kmslint's alone); it never fails the run.
 */
export async function checkWithAccessAnalyzer(files: { result: LintResult; policies: CheckedPolicy[] }[], options: AccessAnalyzerFileOptions): Promise<AccessAnalyzerFileStats> {
  const client = new AccessAnalyzerClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 5,
    requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  const stats: AccessAnalyzerFileStats = { policies: 0, calls: 0, cached: 0 };
  try {
    let region: string;
    try {
      region = await client.config.region();
    } catch {
      stats.failed = "no region: pass --region or set AWS_REGION";
      options.stderr(`kmslint: --access-analyzer needs a region (--region, AWS_REGION or a profile's region); the files were checked by kmslint only.\n`);
      return stats;
    }
    const cache = new Cache(options.cacheDir ?? defaultCacheDir());
    for (const file of files) {
      for (const policy of file.policies) {
        if (stats.failed) return stats;
        stats.policies++;
        // A policy file is sent as written, so that Access Analyzer's spans are positions in the file; a policy
        // inside a template or plan is sent as its evaluated JSON, and placed by the path of each location.
        const own = policy.resource === undefined ? parsedJsonOf(policy.document)?.text : undefined;
        const text = own ?? JSON.stringify(policy.document.value, null, 2);
        const policyType = policy.kind === "identity-policy" ? "IDENTITY_POLICY" : "RESOURCE_POLICY";
        const resourceType = policy.kind === "bucket-policy" ? "AWS::S3::Bucket" : policy.kind === "key-policy" ? "AWS::KMS::Key" : undefined;
        const key = JSON.stringify([region, policyType, resourceType ?? "", text]);
        let answers = cache.get<CheckAnswers>(key);
        if (answers) stats.cached++;
        else {
          try {
            answers = await ask(client, text, policyType, policy.kind === "bucket-policy" ? "AWS::S3::Bucket" : undefined, resourceType, stats);
          } catch (error) {
            const e = error as { name?: string; message?: string };
            const what = e.name === "AccessDeniedException" ? "was denied (it needs access-analyzer:ValidatePolicy and access-analyzer:CheckNoPublicAccess)" : `failed (${e.name ?? "Error"}: ${e.message ?? String(error)})`;
            stats.failed = `${e.name ?? "Error"}`;
            options.stderr(`kmslint: IAM Access Analyzer's policy check ${what}; the rest of the files were checked by kmslint only.\n`);
            return stats;
          }
          cache.set(key, answers);
        }
        addFindings(file.result, policy, answers, own !== undefined);
      }
    }
    return stats;
  } finally {
    client.destroy();
  }
}

async function ask(
  client: AccessAnalyzerClient,
  text: string,
  policyType: "IDENTITY_POLICY" | "RESOURCE_POLICY",
  validateType: "AWS::S3::Bucket" | undefined,
  resourceType: "AWS::KMS::Key" | "AWS::S3::Bucket" | undefined,
  stats: AccessAnalyzerFileStats,
): Promise<CheckAnswers> {
  const findings: ValidatePolicyFinding[] = [];
  let nextToken: string | undefined;
  do {
    stats.calls++;
    const page = await client.send(
      new ValidatePolicyCommand({ policyDocument: text, policyType, ...(validateType ? { validatePolicyResourceType: validateType } : {}), ...(nextToken ? { nextToken } : {}) }),
    );
    findings.push(...(page.findings ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const answers: CheckAnswers = { findings };
  if (resourceType) {
    stats.calls++;
    const check = await client.send(new CheckNoPublicAccessCommand({ policyDocument: text, resourceType }));
    answers.publicAccess = { result: check.result, message: check.message, reasons: check.reasons };
  }
  return answers;
}

/** A span of Access Analyzer (line from 1, column from 0, offset from 0, end exclusive) as a range of kmslint (columns from 1). */
export function rangeOfSpan(span: { start?: { line?: number; column?: number; offset?: number }; end?: { line?: number; column?: number; offset?: number } }): Range | undefined {
  const { start, end } = span;
  if (start?.line === undefined || start.column === undefined || end?.line === undefined || end.column === undefined) return undefined;
  return {
    start: { line: start.line, column: start.column + 1, offset: start.offset ?? 0 },
    end: { line: end.line, column: end.column + 1, offset: end.offset ?? 0 },
  };
}

function addFindings(result: LintResult, policy: CheckedPolicy, answers: CheckAnswers, sentAsWritten: boolean): void {
  const { document } = policy;
  const prefix = policy.resource !== undefined ? `${policy.resource}: ` : "";
  const added: Finding[] = [];
  for (const f of answers.findings) {
    const location = f.locations?.[0];
    const path = pathOf(location?.path ?? [], document.value);
    const span = sentAsWritten && location?.span ? rangeOfSpan(location.span) : undefined;
    const range = span ?? (path.length > 0 ? document.locate(path) : (document.anchor?.() ?? document.whole()));
    const finding: Finding = {
      ruleId: `access-analyzer/${f.issueCode ?? "UNKNOWN"}`,
      severity: SEVERITIES[f.findingType ?? ""] ?? "warning",
      message: `${prefix}${(f.findingDetails ?? "").trim()} (IAM Access Analyzer ValidatePolicy, ${f.findingType ?? "finding"} ${f.issueCode ?? ""}${f.learnMoreLink ? `: ${f.learnMoreLink}` : ""})`,
      messageId: "accessAnalyzer",
      range,
      identity: document.policy ? identityOf(document.policy, path, undefined) : `p${JSON.stringify(path)}`,
    };
    if (policy.resource !== undefined) finding.resource = policy.resource;
    added.push(finding);
  }
  const check = answers.publicAccess;
  if (check?.result) {
    const kmslintPublic = result.messages.filter((m) => m.ruleId === "public-access" && (policy.resource === undefined || m.resource === policy.resource));
    const reasons = (check.reasons ?? []).map((r) => `statement ${r.statementId ? `"${r.statementId}"` : `#${(r.statementIndex ?? 0) + 1}`}: ${r.description ?? ""}`.trim());
    if (check.result === "FAIL" && kmslintPublic.length === 0) {
      const finding: Finding = {
        ruleId: "access-analyzer",
        severity: "warning",
        message: `${prefix}IAM Access Analyzer's CheckNoPublicAccess says this policy might allow public access${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}, but kmslint's public-access rule did not report it: kmslint counts a condition or a Deny as bounding the callers where Access Analyzer does not, or the reverse. Read the statement again with both verdicts in mind.`,
        messageId: "publicAccessDisagreement",
        range: document.anchor?.() ?? document.whole(),
        identity: "",
      };
      if (policy.resource !== undefined) finding.resource = policy.resource;
      added.push(finding);
    } else if (check.result === "PASS") {
      for (const m of kmslintPublic) m.message += " IAM Access Analyzer's CheckNoPublicAccess finds no public access in this policy: the two readings disagree, so check which condition it counts as bounding the callers.";
    } else {
      for (const m of kmslintPublic) m.message += " IAM Access Analyzer's CheckNoPublicAccess agrees: the policy might allow public access.";
    }
  }
  appendFindings(result, added);
}
