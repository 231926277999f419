/**
 * `kmslint audit`: reads a live account with the AWS SDK (src/sources/aws/collect.ts), turns it into the
 * Inventory, runs the same rules as `kmslint lint`, and reports one result per key and bucket, named by ARN.
 * Only this command loads the AWS SDK (main.ts imports this module on demand). Progress goes to stderr;
 * Ctrl-C stops the reading and reports what was read (exit 130).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, ConfigResolver, loadConfigFile, ruleSettings } from "../engine/config.js";
import { lintInventory, type DocumentResult, type Finding } from "../engine/linter.js";
import type { TrustContext } from "../engine/rule.js";
import { isAccountId, isOrgId } from "../model/arn.js";
import type { Inventory, InventoryBucket, InventoryKey } from "../model/inventory.js";
import { packageRoot } from "../report/pretty.js";
import { toLintResult, type LintResult, type Totals } from "../report/results.js";
import { BaselineError } from "../engine/baseline.js";
import { ruleRuns } from "../engine/suppressions.js";
import { checkFinishOptions, finishResults, REPORT_FORMATS, type ReportFormat } from "./finish.js";
import { AuditSetupError, collectAccount, type AccountData, type CollectOptions } from "../sources/aws/collect.js";
import { liveInventory } from "../sources/aws/live-inventory.js";
import { OPERATION_NAMES, OPERATIONS, isOperationName, type OperationName } from "../sources/aws/operations.js";
import { AuditProgress } from "../sources/aws/progress.js";
import { EXIT_USAGE, UsageError, type Io } from "./exit.js";
import { startProgress, type ProgressMode } from "./progress.js";

export const AUDIT_FORMATS = REPORT_FORMATS;
export type AuditFormat = ReportFormat;
/** Conventional exit code of a program stopped by SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130;

export const AUDIT_DEFAULTS = { concurrency: 32, maxAttempts: 5, callTimeoutMs: 10_000, retryMode: "standard" } as const;

export interface AuditCommandOptions {
  format: AuditFormat;
  profile?: string;
  region: string[];
  allRegions: boolean;
  rate: string[];
  concurrency?: number;
  maxAttempts?: number;
  retryMode?: string;
  callTimeout?: number;
  config?: string;
  org?: string;
  trustedAccount: string[];
  quiet: boolean;
  progress: boolean;
  maxWarnings?: number;
  exitZero: boolean;
  /** `true` for the bundled demo account, or a snapshot file. */
  demo?: string | boolean;
  /** Compare with IAM Access Analyzer (default true). */
  accessAnalyzer?: boolean;
  includeArchived?: boolean;
  output?: string;
  baseline?: string;
  writeBaseline?: string;
}

export interface AuditIo extends Io {
  /** Whether stderr is a terminal (the task list) or not (plain lines). */
  stderrIsTTY?: boolean;
  /** Replaces process signals in tests. */
  onInterrupt?: (handler: () => void) => () => void;
}

/** The snapshot `--demo` serves when no file is given. */
export function demoSnapshotPath(): string {
  return join(packageRoot(), "policies-examples", "demo-account.json");
}

function parseRates(values: readonly string[]): Partial<Record<OperationName, number>> {
  const rates: Partial<Record<OperationName, number>> = {};
  for (const value of values) {
    const match = /^([A-Za-z]+)=(\d+(?:\.\d+)?)$/.exec(value);
    if (!match || !isOperationName(match[1]!) || Number(match[2]) <= 0) {
      throw new UsageError(`--rate takes Operation=requests-per-second with one of ${OPERATION_NAMES.join(", ")} (for example --rate GetKeyPolicy=100), not "${value}"`);
    }
    const operation = match[1] as OperationName;
    const rate = Number(match[2]);
    const quota = (OPERATIONS[operation] as { quota?: number }).quota;
    if (quota !== undefined && rate > quota) throw new UsageError(`--rate ${operation}=${rate} is above KMS's request quota of ${quota} per second for ${operation}: the audit would only be throttled`);
    rates[operation] = rate;
  }
  return rates;
}

function checkOptions(options: AuditCommandOptions): void {
  checkFinishOptions(options);
  for (const region of options.region) if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`--region must be a region name like eu-west-1, not "${region}"`);
  if (options.allRegions && options.region.length > 0) throw new UsageError("--region and --all-regions do not go together: name regions, or take every enabled one");
  if (options.org !== undefined && !isOrgId(options.org)) throw new UsageError(`--org must be an organization id like o-a1b2c3d4e5, not "${options.org}"`);
  for (const id of options.trustedAccount) if (!isAccountId(id)) throw new UsageError(`--trusted-account must be a 12-digit account id, not "${id}"`);
  const positive = (value: number | undefined, flag: string, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) throw new UsageError(`${flag} must be a whole number from 1 to ${max}`);
  };
  positive(options.concurrency, "--concurrency", 1000);
  positive(options.maxAttempts, "--max-attempts", 20);
  positive(options.callTimeout, "--call-timeout", 600_000);
  if (options.retryMode !== undefined && options.retryMode !== "standard" && options.retryMode !== "adaptive") throw new UsageError(`--retry-mode must be standard or adaptive, not "${options.retryMode}"`);
}

export async function runAudit(options: AuditCommandOptions, io: AuditIo): Promise<number> {
  try {
    return await audit(options, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof AuditSetupError || error instanceof BaselineError) {
      io.stderr(`kmslint: ${error.message}\n`);
      return error instanceof AuditSetupError && error.interrupted ? EXIT_INTERRUPTED : EXIT_USAGE;
    }
    throw error;
  }
}

async function audit(options: AuditCommandOptions, io: AuditIo): Promise<number> {
  checkOptions(options);
  const rates = parseRates(options.rate);
  // The bundled demo account is the examples' hub: it takes their trust context (policies-examples/kmslint.config.json).
  const demoConfig = options.demo === true ? join(packageRoot(), "policies-examples", "kmslint.config.json") : undefined;
  const loaded = options.config
    ? loadConfigFile(options.config)
    : demoConfig && existsSync(demoConfig)
      ? loadConfigFile(demoConfig)
      : new ConfigResolver(process.cwd()).forDirectory(process.cwd());
  const settings = ruleSettings(loaded);
  const org = options.org ?? loaded.config.org;
  const trustedAccounts = [...new Set([...(loaded.config.trustedAccounts ?? []), ...options.trustedAccount])];

  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr("\nkmslint: interrupted; reporting what was read (Ctrl-C again to quit at once)\n");
      controller.abort();
    } else {
      process.exit(EXIT_INTERRUPTED);
    }
  };
  const removeInterrupt = io.onInterrupt
    ? io.onInterrupt(onInterrupt)
    : (process.on("SIGINT", onInterrupt), () => void process.off("SIGINT", onInterrupt));

  const progress = new AuditProgress();
  const mode: ProgressMode = options.quiet || !options.progress ? "none" : io.stderrIsTTY ? "tty" : "lines";
  let demo: { close(): Promise<void> } | undefined;
  const started = Date.now();
  let data: AccountData;
  try {
    const collect: CollectOptions = {
      regions: options.region,
      allRegions: options.allRegions,
      ...(options.profile ? { profile: options.profile } : {}),
      rates,
      concurrency: options.concurrency ?? AUDIT_DEFAULTS.concurrency,
      maxAttempts: options.maxAttempts ?? AUDIT_DEFAULTS.maxAttempts,
      retryMode: (options.retryMode as "standard" | "adaptive" | undefined) ?? AUDIT_DEFAULTS.retryMode,
      callTimeoutMs: options.callTimeout ?? AUDIT_DEFAULTS.callTimeoutMs,
      signal: controller.signal,
      progress,
      accessAnalyzer: options.accessAnalyzer !== false,
      includeArchived: options.includeArchived === true,
    };
    if (options.demo !== undefined && options.demo !== false) {
      const file = options.demo === true ? demoSnapshotPath() : resolve(options.demo);
      if (!existsSync(file)) throw new UsageError(`--demo: no such snapshot file: ${file}`);
      const { startFakeAws, loadSnapshot } = await import("../fake-aws/index.js");
      let snapshot;
      try {
        snapshot = loadSnapshot(file);
      } catch (error) {
        throw new UsageError(`--demo: ${error instanceof Error ? error.message : String(error)}`);
      }
      const fake = await startFakeAws({ snapshot });
      demo = fake;
      const regions = Object.keys(snapshot.Kms);
      Object.assign(collect, {
        endpoint: fake.url,
        credentials: { accessKeyId: "AKIDDEMO", secretAccessKey: "demo" },
        defaultRegion: options.region[0] ?? regions[0] ?? "us-east-1",
        allRegions: options.region.length === 0,
      });
      if (mode !== "none") io.stderr(`kmslint audit --demo: a local stand-in for AWS at ${fake.url} serves ${file}; no AWS account is used.\n`);
    }
    const display = await startProgress(progress, mode, io.stderr);
    try {
      data = await collectAccount(collect);
    } catch (error) {
      progress.phase = "failed";
      throw error;
    } finally {
      await display.stop();
    }
  } finally {
    removeInterrupt();
    await demo?.close();
  }

  const trust: TrustContext = { account: data.account, trustedAccounts };
  const knownOrg = org ?? data.org;
  if (knownOrg) trust.org = knownOrg;
  const inventory = liveInventory(data, new Date(started));
  const lint = lintInventory(inventory, { trust, ...settings });
  const results = resultsByResource(inventory, lint, data);
  const elapsed = Date.now() - started;
  const code = await finishResults(
    results,
    options,
    {
      configOf: () => loaded,
      scope: {
        mode: "audit",
        account: data.account,
        regions: data.regions,
        allRegions: options.allRegions && data.regionSource.startsWith("every region"),
        bucketsListed: !data.errors.some((e) => e.operation === "ListBuckets"),
        ruleRan: (id) => ruleRuns(id, "audit", options.accessAnalyzer !== false),
      },
      now: new Date(started),
      // --quiet keeps errors, and also what the audit could not read: a quiet report must not look complete when it is not.
      keepWhenQuiet: (m) => m.ruleId === "audit-error",
      summary: (sum, extra) => auditSummary(data, inventory, sum, elapsed, extra),
    },
    io,
  );
  if (mode !== "none") io.stderr(`${callSummary(data, elapsed)}\n`);

  if (data.interrupted) return EXIT_INTERRUPTED;
  return code;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function auditSummary(data: AccountData, inventory: Inventory, sum: Totals, elapsed: number, extra: string): string {
  const customer = inventory.keys.filter((k) => k.keyManager === "CUSTOMER").length;
  const parts = [
    `kmslint: audited account ${data.account}${data.org ? ` (${data.org})` : ""} in ${plural(data.regions.length, "region")}`,
    `${plural(inventory.keys.length, "key")} (${customer} customer managed), ${plural(inventory.buckets.length, "bucket")}`,
  ];
  const problems = [plural(sum.errors, "error"), plural(sum.warnings, "warning")];
  if (sum.infos > 0) problems.push(`${sum.infos} info`);
  const unread = data.errors.length > 0 ? ` ${plural(data.errors.length, "call")} failed (audit-error).` : "";
  return `${parts.join(": ")}; ${problems.join(", ")}${extra}.${unread}${data.interrupted ? " Interrupted: the report is partial." : ""} (${(elapsed / 1000).toFixed(1)} s)`;
}

/** On stderr: how the account was read (calls, retries, time), for the user and the benchmark. */
function callSummary(data: AccountData, elapsed: number): string {
  const s = data.statistics;
  const perSecond = elapsed > 0 ? Math.round((s.calls * 1000) / elapsed) : 0;
  return `kmslint audit: ${plural(s.calls, "call")} (${perSecond.toLocaleString("en-US")}/s), ${plural(s.retries, "retry").replace("retrys", "retries")}, ${plural(data.errors.length, "failed call")} in ${(elapsed / 1000).toFixed(1)} s; regions: ${data.regions.join(", ") || "none"} (${data.regionSource}).`;
}

const ACCOUNT_ORDER = 0;
const KEY_ORDER = 1;
const BUCKET_ORDER = 2;

/** One result per key and bucket (clean ones too: every resource read is in the report), and one per other resource a finding names. */
function resultsByResource(inventory: Inventory, lint: DocumentResult, data: AccountData): LintResult[] {
  const byResource = new Map<string, Finding[]>();
  for (const finding of lint.findings) {
    const resource = finding.resource ?? `arn:${data.partition}:iam::${data.account}:root`;
    let list = byResource.get(resource);
    if (!list) byResource.set(resource, (list = []));
    list.push(finding);
  }
  const entries: { order: number; sortKey: string; result: DocumentResult }[] = [];
  const add = (address: string, order: number, sortKey: string, kindReason: string) => {
    entries.push({ order, sortKey, result: { filePath: address, kind: "live", kindReason, findings: byResource.get(address) ?? [] } });
    byResource.delete(address);
  };
  for (const key of inventory.keys) add(key.resource.address, KEY_ORDER, `${key.region}|${key.keyManager === "AWS" ? 1 : 0}|${key.resource.address}`, describeKey(key));
  for (const bucket of inventory.buckets) add(bucket.resource.address, BUCKET_ORDER, bucket.resource.address, describeBucket(bucket));
  for (const [address] of [...byResource]) {
    const isKey = address.includes(":kms:");
    const isBucket = address.includes(":s3:");
    add(address, isKey ? KEY_ORDER : isBucket ? BUCKET_ORDER : ACCOUNT_ORDER, address, isKey ? "a KMS key (not fully read)" : isBucket ? "an S3 bucket (not fully read)" : "the account");
  }
  entries.sort((a, b) => a.order - b.order || a.sortKey.localeCompare(b.sortKey));
  return entries.map((e) => toLintResult(e.result));
}

function describeKey(key: InventoryKey): string {
  const manager = key.keyManager === "AWS" ? "AWS managed" : "customer managed";
  const spec = key.keySpec?.known ? key.keySpec.value : "SYMMETRIC_DEFAULT";
  const aliases = key.aliases.length > 0 ? ` (${key.aliases.join(", ")})` : "";
  return `${key.keyManager === "AWS" ? "an" : "a"} ${manager} KMS key${aliases} in ${key.region}, ${spec}, ${key.state ?? "state unknown"}`;
}

function describeBucket(bucket: InventoryBucket): string {
  const encryption = bucket.encryption;
  const how = !encryption
    ? bucket.encryptionRead === false
      ? "not read"
      : "not configured"
    : encryption.algorithm.known && encryption.algorithm.value.startsWith("aws:kms")
      ? `${encryption.algorithm.value} with ${encryption.keyReference?.known ? encryption.keyReference.value : "aws/s3"}`
      : encryption.algorithm.known
        ? encryption.algorithm.value
        : "unknown";
  return `an S3 bucket${bucket.policies.length === 0 ? " without a bucket policy" : ""}, default encryption ${how}`;
}
