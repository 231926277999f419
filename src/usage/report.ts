/**
 * The views of the usage fact table an administrator asks for, as plain aligned text: cross-account calls by
 * caller account, by principal and by key; within-account against cross-account calls per key; calls by event;
 * failed calls by error code, by caller and by key; each with its share. And the table itself as CSV.
 */
import { isCrossAccount, type UsageFacts, type UsageRow } from "./facts.js";

const CONTRACT_COLUMNS = ["callerAccount", "callerPrincipal", "callerArn", "keyArn", "keyOwnerAccount", "eventName", "viaS3", "errorCode", "count", "firstTime", "lastTime"] as const;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatCsv(facts: UsageFacts): string {
  const lines = [CONTRACT_COLUMNS.join(",")];
  for (const row of facts.rows) lines.push(CONTRACT_COLUMNS.map((c) => csvField(row[c] === null ? "" : String(row[c]))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

interface Group {
  label: string;
  detail?: string;
  calls: number;
  failed: number;
  cross: number;
  viaS3: number;
}

function groupBy(rows: readonly UsageRow[], keyOf: (row: UsageRow) => string | undefined, detailOf?: (row: UsageRow) => string): Group[] {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key === undefined) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { label: key, calls: 0, failed: 0, cross: 0, viaS3: 0, ...(detailOf ? { detail: detailOf(row) } : {}) }));
    g.calls += row.count;
    if (row.errorCode !== null) g.failed += row.count;
    if (isCrossAccount(row)) g.cross += row.count;
    if (row.viaS3) g.viaS3 += row.count;
  }
  return [...groups.values()].sort((a, b) => b.calls - a.calls || a.label.localeCompare(b.label));
}

const number = (n: number) => n.toLocaleString("en-US");
const percent = (part: number, whole: number) => (whole === 0 ? "-" : `${((100 * part) / whole).toFixed(1)}%`);

/** A table with a header, right-aligned numbers, at most `limit` rows (then a line saying how many more). */
function table(title: string, header: string[], rows: string[][], limit = 20): string {
  if (rows.length === 0) return `${title}\n  none\n`;
  const shown = rows.slice(0, limit);
  const widths = header.map((h, i) => Math.max(h.length, ...shown.map((r) => r[i]!.length)));
  // Counts and shares are right-aligned; account ids (12 digits) are names, left-aligned.
  const numeric = header.map((_, i) => shown.every((r) => /^[\d,.%-]+$/.test(r[i]!) && !/^\d{12}$/.test(r[i]!)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd()}`;
  const more = rows.length > limit ? `\n  … and ${number(rows.length - limit)} more (--format csv or json has them all)` : "";
  return `${title}\n${line(header)}\n${shown.map(line).join("\n")}${more}\n`;
}

function setsBy(rows: readonly UsageRow[], keyOf: (row: UsageRow) => string, valueOf: (row: UsageRow) => string): Map<string, Set<string>> {
  const sets = new Map<string, Set<string>>();
  for (const row of rows) {
    const key = keyOf(row);
    let set = sets.get(key);
    if (!set) sets.set(key, (set = new Set()));
    set.add(valueOf(row));
  }
  return sets;
}

export interface UsageReportOptions {
  /** The time window asked for (--start, --end), shown in the heading. */
  start?: Date;
  end?: Date;
  /** Rows shown per table (default 20). */
  limit?: number;
}

export function formatUsageReport(facts: UsageFacts, options: UsageReportOptions = {}): string {
  const { rows } = facts;
  const limit = options.limit ?? 20;
  const total = rows.reduce((n, r) => n + r.count, 0);
  const cross = rows.filter(isCrossAccount);
  const crossTotal = cross.reduce((n, r) => n + r.count, 0);
  const failed = rows.filter((r) => r.errorCode !== null);
  const failedTotal = failed.reduce((n, r) => n + r.count, 0);
  const first = rows.reduce<string | undefined>((m, r) => (m === undefined || r.firstTime < m ? r.firstTime : m), undefined);
  const last = rows.reduce<string | undefined>((m, r) => (m === undefined || r.lastTime > m ? r.lastTime : m), undefined);
  // The sets the tables list per group, computed in one pass (a scan per group is quadratic in principals).
  const ownersOf = setsBy(cross, (r) => r.callerAccount, (r) => r.keyOwnerAccount);
  const codesOf = setsBy(failed, (r) => r.callerArn || r.callerPrincipal, (r) => r.errorCode ?? "");
  const window = options.start || options.end ? `window ${options.start?.toISOString() ?? "…"} to ${options.end?.toISOString() ?? "…"}; ` : "";
  const parts: string[] = [];
  parts.push(
    `KMS usage: ${number(total)} calls (${number(facts.records)} KMS records${facts.files > 0 ? ` in ${number(facts.files)} log file${facts.files === 1 ? "" : "s"}` : ""}; ${window}events from ${first ?? "-"} to ${last ?? "-"})\n` +
      `  cross-account: ${number(crossTotal)} (${percent(crossTotal, total)}); failed: ${number(failedTotal)} (${percent(failedTotal, total)})\n`,
  );

  parts.push(
    table(
      "Cross-account calls by caller account",
      ["caller account", "calls", "share", "failed", "via S3", "keys of"],
      groupBy(cross, (r) => r.callerAccount, (r) => r.keyOwnerAccount).map((g) => [g.label, number(g.calls), percent(g.calls, crossTotal), number(g.failed), percent(g.viaS3, g.calls), [...(ownersOf.get(g.label) ?? [])].sort().join(" ")]),
      limit,
    ),
  );
  parts.push(
    table(
      "Cross-account calls by principal",
      ["principal", "account", "calls", "share", "failed"],
      groupBy(cross, (r) => r.callerArn || r.callerPrincipal, (r) => r.callerAccount).map((g) => [g.label, g.detail ?? "", number(g.calls), percent(g.calls, crossTotal), number(g.failed)]),
      limit,
    ),
  );
  parts.push(
    table(
      "Calls by key: within the owner account and cross-account",
      ["key", "calls", "within", "cross-account", "cross share", "failed"],
      groupBy(rows, (r) => r.keyArn || "(no key named)").map((g) => [g.label, number(g.calls), number(g.calls - g.cross), number(g.cross), percent(g.cross, g.calls), number(g.failed)]),
      limit,
    ),
  );
  parts.push(
    table(
      "Calls by event",
      ["event", "calls", "share", "cross-account", "via S3", "failed"],
      groupBy(rows, (r) => r.eventName).map((g) => [g.label, number(g.calls), percent(g.calls, total), number(g.cross), percent(g.viaS3, g.calls), number(g.failed)]),
      limit,
    ),
  );
  parts.push(
    table(
      "Failed calls by error code",
      ["error code", "calls", "share of failed", "cross-account"],
      groupBy(failed, (r) => r.errorCode ?? "").map((g) => [g.label, number(g.calls), percent(g.calls, failedTotal), number(g.cross)]),
      limit,
    ),
  );
  parts.push(
    table(
      "Failed calls by caller",
      ["principal", "account", "calls", "share of failed", "error codes"],
      groupBy(failed, (r) => r.callerArn || r.callerPrincipal, (r) => r.callerAccount).map((g) => [g.label, g.detail ?? "", number(g.calls), percent(g.calls, failedTotal), [...(codesOf.get(g.label) ?? [])].sort().join(" ")]),
      limit,
    ),
  );
  parts.push(
    table(
      "Failed calls by key",
      ["key", "calls", "share of failed", "cross-account"],
      groupBy(failed, (r) => r.keyArn || "(no key named)").map((g) => [g.label, number(g.calls), percent(g.calls, failedTotal), number(g.cross)]),
      limit,
    ),
  );
  return parts.join("\n");
}
