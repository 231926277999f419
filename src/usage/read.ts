/**
 * Reading CloudTrail log files into the usage fact table (src/usage/facts.ts), one file at a time and without
 * keeping records: each KMS record is folded into a map keyed by the group fields (GROUP_FIELDS) as soon as its
 * file is parsed, so memory grows with the number of distinct groups, not with the logs.
 *
 * Finding the files: folders are walked recursively for `*.json` and `*.json.gz`; `CloudTrail-Digest/` and
 * `CloudTrail-Insight/` are never read (their files are counted as skipped, as are other files found in
 * folders). With a time window, the `<service>/<region>/YYYY/MM/DD` folders of the AWS layout (AWS-FACTS.md
 * §8.1, account and organization trails) that lie wholly outside [start − 1 day, end + 1 day) are not entered:
 * a day folder is named after the delivery time, which lags eventTime by minutes and puts the last events of a
 * day in the next day's first files. Every record is still filtered by its own eventTime.
 *
 * Reading a file: the file is read whole, gunzipped when it starts with the gzip magic (whatever its name: a
 * `.json.gz` saved by a browser is often already decompressed), capped at MAX_LOG_FILE_BYTES uncompressed, and
 * parsed whole with JSON.parse. CloudTrail files are bounded (a few MB, rarely more than 50 MB), so a file at a
 * time is flat memory. JSON.parse is most of the time (about 200 MB/s of JSON on one core; gunzip is a quarter
 * of it); parsing only the records that mention kms.amazonaws.com would save at most the noise's share, and
 * would leave damage inside the other records unseen, so every file is parsed in full.
 *
 * A file that cannot be read whole (truncated or corrupt gzip, malformed JSON, not `{"Records": [...]}`, empty,
 * binary, over the cap) is a problem and none of its records are counted: counting the records before the
 * damage would make the totals wrong without saying so.
 */
import { readdirSync, readFileSync, statSync, type Dirent, realpathSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { GROUP_FIELDS, UsageFileProblem, UsageRow } from "./facts.js";

/** Files larger than this once uncompressed are a problem, not a crash (CloudTrail's are a few MB). */
export const MAX_LOG_FILE_BYTES = 256 * 1024 * 1024;

/** The eventTime window in milliseconds since the epoch: start inclusive, end exclusive. */
export interface TimeWindow {
  start?: number;
  end?: number;
}

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------------
// Finding the files

export interface FoundLogFiles {
  files: { path: string; bytes: number }[];
  /** Digest and Insights files, and other files found in folders, not read. */
  skipped: number;
  /** Files outside the time window by their day folder, not read. */
  /** Folders (and files named directly) outside the time window, not opened. */
  outsideWindow: number;
  /** Paths that do not exist. */
  missing: string[];
}

const LOG_FILE = /\.json(\.gz)?$/i;
const SKIPPED_SERVICE_FOLDERS = new Set(["CloudTrail-Digest", "CloudTrail-Insight"]);
const SERVICE_FOLDERS = new Set(["CloudTrail", "CloudTrail-Digest", "CloudTrail-Insight"]);

/**
 * Whether a folder, given its path components, may hold events of the window: false only for a year, month
 * or day folder of the AWS layout (`…/CloudTrail/<region>/YYYY[/MM[/DD]]`) wholly outside the widened window.
 */
export function folderMayHoldWindow(parts: readonly string[], window: TimeWindow | undefined): boolean {
  if (!window || (window.start === undefined && window.end === undefined)) return true;
  let service = -1;
  for (let i = parts.length - 1; i >= 0; i--) {
    if (SERVICE_FOLDERS.has(parts[i]!)) {
      service = i;
      break;
    }
  }
  if (service < 0) return true;
  const [year, month, day] = [parts[service + 2], parts[service + 3], parts[service + 4]];
  if (year === undefined || !/^\d{4}$/.test(year)) return true;
  let from: number;
  let to: number;
  const y = Number(year);
  if (month === undefined || !/^\d{2}$/.test(month)) {
    from = Date.UTC(y, 0, 1);
    to = Date.UTC(y + 1, 0, 1);
  } else if (day === undefined || !/^\d{2}$/.test(day)) {
    from = Date.UTC(y, Number(month) - 1, 1);
    to = Date.UTC(y, Number(month), 1);
  } else {
    from = Date.UTC(y, Number(month) - 1, Number(day));
    to = from + DAY_MS;
  }
  // The folder [from, to) holds files delivered then, whose events may be up to a day older (conservative).
  if (window.start !== undefined && to + DAY_MS <= window.start) return false;
  if (window.end !== undefined && from - DAY_MS >= window.end) return false;
  return true;
}

function splitPath(path: string): string[] {
  return path.split(/[\\/]+/);
}

/**
 * The log files under the paths, in a stable order (each folder's entries sorted), each once. A file named
 * directly is read whatever its name, unless it lies under a digest or Insights folder.
 */
export function findLogFilesIn(paths: readonly string[], window?: TimeWindow): FoundLogFiles {
  const found: FoundLogFiles = { files: [], skipped: 0, outsideWindow: 0, missing: [] };
  // Each file once, and each folder once, by real path: a symbolic link, an overlapping argument or a link
  // loop must not count the same calls again.
  const seen = new Set<string>();
  const visited = new Set<string>();
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  const add = (path: string, bytes: number) => {
    const key = real(path);
    if (seen.has(key)) return;
    seen.add(key);
    found.files.push({ path, bytes });
  };
  const walk = (folder: string, parts: string[]) => {
    const key = real(folder);
    if (visited.has(key)) return;
    visited.add(key);
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const s = statSync(path);
          isDirectory = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue;
        }
      }
      if (isDirectory) {
        if (entry.name === "node_modules" || entry.name === ".git") continue;
        const childParts = [...parts, entry.name];
        if (!folderMayHoldWindow(childParts, window)) {
          // Not opened at all: an organization trail over years has millions of folders outside a window.
          found.outsideWindow++;
          continue;
        }
        if (SKIPPED_SERVICE_FOLDERS.has(entry.name)) {
          found.skipped += countFiles(path);
          continue;
        }
        walk(path, childParts);
      } else if (isFile) {
        if (!LOG_FILE.test(entry.name)) {
          found.skipped++;
          continue;
        }
        let bytes: number;
        try {
          bytes = statSync(path).size;
        } catch {
          continue;
        }
        add(path, bytes);
      }
    }
  };
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      found.missing.push(path);
      continue;
    }
    const parts = splitPath(path);
    if (parts.some((p) => SKIPPED_SERVICE_FOLDERS.has(p))) {
      found.skipped += stats.isDirectory() ? countFiles(path) : 1;
    } else if (stats.isDirectory()) {
      if (folderMayHoldWindow(parts, window)) walk(path, parts);
      else found.outsideWindow++;
    } else if (!folderMayHoldWindow(parts.slice(0, -1), window)) {
      found.outsideWindow++;
    } else {
      add(path, stats.size);
    }
  }
  return found;
}

/** The files below a folder that is not read (to say how many were skipped). */
function countFiles(folder: string): number {
  let n = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) n += countFiles(join(folder, entry.name));
    else n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// The aggregate

/**
 * One group's counters. Copies of a call delivered to several accounts (they carry a `sharedEventID`) are
 * split by who received them: `owner` counts copies received by the key's owner, `other` copies received by
 * another account (the caller's). The group's count is `plain + max(owner, other)`; see src/usage/aggregate.ts.
 */
export interface GroupCounts extends Pick<UsageRow, (typeof GROUP_FIELDS)[number]> {
  /** Records without sharedEventID (delivered once). */
  plain: number;
  owner: number;
  other: number;
  /** Milliseconds of the first and last eventTime, with the texts they came from; NaN when none was readable. */
  firstMs: number;
  lastMs: number;
  firstTime: string;
  lastTime: string;
}

/** A GroupCounts as a flat array, to cross a thread cheaply. */
export type GroupTuple = [string, string, string, string, string, string, boolean, string | null, number, number, number, number, number, string, string];

export function groupKey(g: Pick<UsageRow, (typeof GROUP_FIELDS)[number]>): string {
  return `${g.callerAccount}\u0000${g.callerPrincipal}\u0000${g.callerArn}\u0000${g.keyArn}\u0000${g.keyOwnerAccount}\u0000${g.eventName}\u0000${g.viaS3 ? 1 : 0}\u0000${g.errorCode === null ? "\u0001" : `s${g.errorCode}`}`;
}

export class UsageAggregator {
  readonly groups = new Map<string, GroupCounts>();
  /** KMS records in the window (every copy). */
  records = 0;
  /** Files read whole. */
  files = 0;
  bytes = 0;
  readonly problems: UsageFileProblem[] = [];

  /** Folds one record in; false when it is not a KMS record in the window. */
  addRecord(record: unknown, window: TimeWindow | undefined): boolean {
    if (typeof record !== "object" || record === null) return false;
    const r = record as Record<string, unknown>;
    if (r["eventSource"] !== "kms.amazonaws.com") return false;
    const eventTime = typeof r["eventTime"] === "string" ? r["eventTime"] : "";
    // CloudTrail writes UTC ("…Z"); a time without a zone is read as UTC too, never in the machine's zone (as Athena reads it).
    const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(eventTime) || !eventTime.includes("T") ? eventTime : `${eventTime}Z`);
    if (window && (window.start !== undefined || window.end !== undefined)) {
      if (Number.isNaN(ms)) return false;
      if (window.start !== undefined && ms < window.start) return false;
      if (window.end !== undefined && ms >= window.end) return false;
    }
    const identity = asObject(r["userIdentity"]);
    const callerAccount = str(identity?.["accountId"]);
    let callerPrincipal = str(identity?.["principalId"]);
    let callerArn = str(identity?.["arn"]);
    const identityType = identity?.["type"];
    if (identityType === "AssumedRole") {
      const issuerArn = str(asObject(asObject(identity?.["sessionContext"])?.["sessionIssuer"])?.["arn"]);
      if (issuerArn !== "") callerArn = issuerArn;
    } else if (identityType === "AWSService" && callerAccount === "") {
      // A service calling on its own behalf: no account; the principal is the service.
      callerPrincipal = str(identity?.["invokedBy"]) || callerPrincipal || str(r["sourceIPAddress"]);
    }
    let keyArn = "";
    let keyOwnerAccount = "";
    const resources = r["resources"];
    if (Array.isArray(resources)) {
      for (const entry of resources) {
        const resource = asObject(entry);
        if (!resource) continue;
        const arn = str(resource["ARN"]);
        const type = resource["type"];
        if (type === "AWS::KMS::Key" || (arn.includes(":kms:") && arn.includes(":key/"))) {
          keyArn = arn;
          keyOwnerAccount = str(resource["accountId"]) || (arn.split(":")[4] ?? "");
          break;
        }
      }
    }
    const eventName = str(r["eventName"]);
    const context = asObject(asObject(r["requestParameters"])?.["encryptionContext"]);
    const viaS3 = context !== undefined && Object.prototype.hasOwnProperty.call(context, "aws:s3:arn");
    const errorCode = typeof r["errorCode"] === "string" ? r["errorCode"] : null;
    const shared = typeof r["sharedEventID"] === "string" && r["sharedEventID"] !== "";
    const recipient = str(r["recipientAccountId"]);

    const fields = { callerAccount, callerPrincipal, callerArn, keyArn, keyOwnerAccount, eventName, viaS3, errorCode };
    const key = groupKey(fields);
    let group = this.groups.get(key);
    if (!group) {
      group = { ...fields, plain: 0, owner: 0, other: 0, firstMs: NaN, lastMs: NaN, firstTime: "", lastTime: "" };
      this.groups.set(key, group);
    }
    if (!shared) group.plain++;
    else if (recipient !== "" && recipient === keyOwnerAccount) group.owner++;
    else group.other++;
    if (!Number.isNaN(ms)) noteTime(group, ms, eventTime, ms, eventTime);
    this.records++;
    return true;
  }

  /** Merges another aggregate's groups (from a worker). Sums and min/max: the order of merges does not matter. */
  mergeTuples(tuples: readonly GroupTuple[]): void {
    for (const t of tuples) {
      const incoming = fromTuple(t);
      const key = groupKey(incoming);
      const group = this.groups.get(key);
      if (!group) {
        this.groups.set(key, incoming);
        continue;
      }
      group.plain += incoming.plain;
      group.owner += incoming.owner;
      group.other += incoming.other;
      noteTime(group, incoming.firstMs, incoming.firstTime, incoming.lastMs, incoming.lastTime);
    }
  }

  toTuples(): GroupTuple[] {
    return [...this.groups.values()].map(toTuple);
  }
}

function noteTime(group: GroupCounts, firstMs: number, firstTime: string, lastMs: number, lastTime: string): void {
  if (!Number.isNaN(firstMs) && (Number.isNaN(group.firstMs) || firstMs < group.firstMs || (firstMs === group.firstMs && firstTime < group.firstTime))) {
    group.firstMs = firstMs;
    group.firstTime = firstTime;
  }
  if (!Number.isNaN(lastMs) && (Number.isNaN(group.lastMs) || lastMs > group.lastMs || (lastMs === group.lastMs && lastTime > group.lastTime))) {
    group.lastMs = lastMs;
    group.lastTime = lastTime;
  }
}

export function toTuple(g: GroupCounts): GroupTuple {
  return [g.callerAccount, g.callerPrincipal, g.callerArn, g.keyArn, g.keyOwnerAccount, g.eventName, g.viaS3, g.errorCode, g.plain, g.owner, g.other, g.firstMs, g.lastMs, g.firstTime, g.lastTime];
}

export function fromTuple(t: GroupTuple): GroupCounts {
  return {
    callerAccount: t[0],
    callerPrincipal: t[1],
    callerArn: t[2],
    keyArn: t[3],
    keyOwnerAccount: t[4],
    eventName: t[5],
    viaS3: t[6],
    errorCode: t[7],
    plain: t[8],
    owner: t[9],
    other: t[10],
    firstMs: t[11],
    lastMs: t[12],
    firstTime: t[13],
    lastTime: t[14],
  };
}

/** The row of a group: each call once (see the module comment of src/usage/aggregate.ts). */
export function rowOf(g: GroupCounts): UsageRow {
  return {
    callerAccount: g.callerAccount,
    callerPrincipal: g.callerPrincipal,
    callerArn: g.callerArn,
    keyArn: g.keyArn,
    keyOwnerAccount: g.keyOwnerAccount,
    eventName: g.eventName,
    viaS3: g.viaS3,
    errorCode: g.errorCode,
    count: g.plain + Math.max(g.owner, g.other),
    firstTime: g.firstTime,
    lastTime: g.lastTime,
  };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

// ---------------------------------------------------------------------------------------------------------
// Reading one file

export type FileOutcome = { ok: true; records: number; bytes: number } | { ok: false; problem: UsageFileProblem; bytes: number };

/**
 * Reads one log file into the aggregate: all of its KMS records in the window, or none and a problem.
 * Synchronous on purpose: zlib's asynchronous gunzip hands every 16 KB to the thread pool and back, which
 * measured twice as slow; parallelism comes from worker threads instead.
 */
export function readLogFile(path: string, aggregate: UsageAggregator, window: TimeWindow | undefined): FileOutcome {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (error) {
    return fail(aggregate, path, `cannot be read: ${(error as Error).message}`, 0);
  }
  const bytes = raw.length;
  aggregate.bytes += bytes;
  if (raw.length === 0) return fail(aggregate, path, "empty file, not a CloudTrail log file", bytes);
  let text: Buffer = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      text = gunzipSync(raw, { maxOutputLength: MAX_LOG_FILE_BYTES, chunkSize: 256 * 1024 });
    } catch (error) {
      return fail(aggregate, path, gzipMessage(error as NodeJS.ErrnoException, raw.length), bytes);
    }
  } else if (raw.length > MAX_LOG_FILE_BYTES) {
    return fail(aggregate, path, `${raw.length} bytes, over the ${MAX_LOG_FILE_BYTES / 1024 / 1024} MB limit for a log file; its records are not counted`, bytes);
  }
  const parsed = parseLogText(text);
  if ("problem" in parsed) return fail(aggregate, path, parsed.problem, bytes);
  let records = 0;
  for (const record of parsed.records) if (aggregate.addRecord(record, window)) records++;
  aggregate.files++;
  return { ok: true, records, bytes };
}

function fail(aggregate: UsageAggregator, file: string, message: string, bytes: number): FileOutcome {
  const problem = { file, message };
  aggregate.problems.push(problem);
  return { ok: false, problem, bytes };
}

function gzipMessage(error: NodeJS.ErrnoException, compressed: number): string {
  if (error.code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError)
    return `over ${MAX_LOG_FILE_BYTES / 1024 / 1024} MB once uncompressed, the limit for a log file; its records are not counted`;
  if (error.code === "Z_BUF_ERROR" || /unexpected end/i.test(error.message))
    return `truncated gzip (the data ends at byte ${compressed} before the end of the compressed stream); the whole file is skipped, since counting the records before the cut would silently undercount`;
  return `corrupt gzip (${error.message}); the whole file is skipped`;
}

/** The records of a log file's text, or why it is not a CloudTrail log file (`{"Records": [...]}`). */
export function parseLogText(text: Buffer): { records: unknown[] } | { problem: string } {
  let start = 0;
  if (text.length >= 3 && text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf) start = 3;
  if (looksBinary(text, start)) return { problem: "binary content, not a CloudTrail log file (JSON)" };
  let document: unknown;
  try {
    document = JSON.parse(text.toString("utf8", start));
  } catch (error) {
    return { problem: `malformed JSON (${(error as Error).message}); the whole file is skipped` };
  }
  const object = asObject(document);
  if (!object || !Array.isArray(object["Records"])) return { problem: 'not a CloudTrail log file: the JSON is not {"Records": [...]}' };
  return { records: object["Records"] };
}

/** NUL bytes in the first KB: not JSON text (JSON never contains a raw NUL). */
function looksBinary(text: Buffer, start: number): boolean {
  const end = Math.min(text.length, start + 1024);
  for (let i = start; i < end; i++) if (text[i] === 0) return true;
  return false;
}
