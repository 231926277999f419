/**
 * The Athena (Trino) query of `kmslint usage --athena-table` (issue 8, part 4): the usage fact table of
 * src/usage/facts.ts, computed over a CloudTrail table with AWS's documented schema and its `"timestamp"`
 * date partition (partition projection, `yyyy/MM/dd`): docs/usage-athena.md gives the table and what each
 * part of the query means. The semantics are the file reader's (src/usage/read.ts, UsageAggregator.addRecord):
 *
 * - KMS records only (`eventsource = 'kms.amazonaws.com'`), in the window `start <= eventTime < end` (a record
 *   whose eventTime does not parse is outside any window); the partition column is filtered too, with the
 *   reader's day-folder bounds (a day before start, a day after end), so that Athena reads only the days that
 *   can hold the window's records: a file is filed under its delivery day, which can be after the event's.
 * - callerPrincipal: `userIdentity.principalId`; for an AWSService identity without an account, invokedBy,
 *   else principalId, else sourceIPAddress. callerArn: the session issuer's ARN for an AssumedRole identity
 *   (when not empty), else `userIdentity.arn`, else "".
 * - The key is the first `resources[]` element of type `AWS::KMS::Key` or whose ARN contains `:kms:` and
 *   `:key/`; its owner is the element's accountId (when not empty), else the ARN's account.
 * - viaS3: `requestParameters.encryptionContext["aws:s3:arn"]` is present (KMS encryption context values are
 *   strings, so json_extract_scalar is NULL exactly when the member is absent).
 * - errorCode as written, NULL when absent (a successful call).
 * - Each call once: records without a sharedEventID count one each; copies of a shared event (an organization
 *   trail delivers a cross-account call to the key owner and to the caller) are counted apart by who received
 *   them (`recipientaccountid` = the key owner, or anyone else), and the greater of the two is added.
 * - firstTime/lastTime: the eventTime text of the earliest and latest record of the group.
 * - Rows by count (descending), then the group fields (false before true, a NULL error code first).
 * - `records` (on every row): every KMS record of the window, copies included (the reader's "KMS records read").
 *
 * The first line is a comment with the table and the window as JSON; the fake Athena endpoint reads that line
 * (it does not parse SQL).
 */
import { UsageError } from "../cli/exit.js";

export interface UsageSqlOptions {
  /** The CloudTrail table. Letters, digits and underscores only. */
  table: string;
  /** The Glue database; absent: the query's context database (StartQueryExecution's QueryExecutionContext). */
  database?: string;
  /** Records from this time on (inclusive). */
  start?: Date;
  /** Records before this time (exclusive). */
  end?: Date;
  /**
   * `projection-date` (default): the table has AWS's `"timestamp"` partition (`yyyy/MM/dd`), filtered for
   * pruning; `none`: the table has no such partition, only eventtime is filtered.
   */
  partitioned?: "projection-date" | "none";
}

/** The result columns, in order, as Athena labels them (lower case), and the UsageRow field each one is. */
export const USAGE_SQL_COLUMNS = [
  ["calleraccount", "callerAccount"],
  ["callerprincipal", "callerPrincipal"],
  ["callerarn", "callerArn"],
  ["keyarn", "keyArn"],
  ["keyowneraccount", "keyOwnerAccount"],
  ["eventname", "eventName"],
  ["vias3", "viaS3"],
  ["errorcode", "errorCode"],
  ["count", "count"],
  ["firsttime", "firstTime"],
  ["lasttime", "lastTime"],
  ["records", "records"],
] as const;

/** The comment that opens the query: `-- kmslint usage {"database":…,"table":…,"start":…,"end":…}`. */
export const USAGE_SQL_MARKER = "-- kmslint usage ";

const DAY_MS = 86_400_000;
const IDENTIFIER = /^[A-Za-z0-9_]+$/;

/** A table or database name as a quoted identifier; anything but letters, digits and underscores is a usage error. */
export function quoteIdentifier(name: string, what: "table" | "database"): string {
  if (!IDENTIFIER.test(name)) throw new UsageError(`the Athena ${what} name must be letters, digits and underscores (A-Z, a-z, 0-9, _), not ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function timeLiteral(date: Date, flag: string): string {
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} is not a valid time`);
  return `from_iso8601_timestamp('${date.toISOString()}')`;
}

/** The `yyyy/MM/dd` partition value of the UTC day `days` days from the date's. */
function partitionDay(date: Date, days: number): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getUTCFullYear()}/${pad(day.getUTCMonth() + 1)}/${pad(day.getUTCDate())}`;
}

export function usageSql(options: UsageSqlOptions): string {
  const table = quoteIdentifier(options.table, "table");
  const from = options.database !== undefined ? `${quoteIdentifier(options.database, "database")}.${table}` : table;
  const { start, end } = options;
  if (start && end && start.getTime() >= end.getTime()) throw new UsageError("--start must be before --end");
  const partitioned = (options.partitioned ?? "projection-date") === "projection-date";

  const where = ["eventsource = 'kms.amazonaws.com'"];
  if (partitioned && start) where.push(`"timestamp" >= '${partitionDay(start, -1)}'`);
  if (partitioned && end) where.push(`"timestamp" <= '${partitionDay(new Date(end.getTime() + DAY_MS - 1), 0)}'`);
  if (start) where.push(`try(from_iso8601_timestamp(eventtime)) >= ${timeLiteral(start, "--start")}`);
  if (end) where.push(`try(from_iso8601_timestamp(eventtime)) < ${timeLiteral(end, "--end")}`);

  const marker = {
    ...(options.database !== undefined ? { database: options.database } : {}),
    table: options.table,
    ...(start ? { start: start.toISOString() } : {}),
    ...(end ? { end: end.toISOString() } : {}),
  };
  const group = "calleraccount, callerprincipal, callerarn, keyarn, keyowneraccount, eventname, vias3, errorcode";
  return [
    `${USAGE_SQL_MARKER}${JSON.stringify(marker)}`,
    "-- The usage fact table (kmslint usage, docs/usage-athena.md): KMS calls grouped by caller, key, event,",
    "-- whether S3 made the call, and error code; the copies of a shared event are counted once.",
    "WITH kms AS (",
    "  SELECT",
    "    COALESCE(useridentity.accountid, '') AS calleraccount,",
    "    CASE WHEN useridentity.type = 'AWSService' AND COALESCE(useridentity.accountid, '') = ''",
    "      THEN COALESCE(NULLIF(useridentity.invokedby, ''), NULLIF(useridentity.principalid, ''), sourceipaddress, '')",
    "      ELSE COALESCE(useridentity.principalid, '') END AS callerprincipal,",
    "    CASE WHEN useridentity.type = 'AssumedRole' AND COALESCE(useridentity.sessioncontext.sessionissuer.arn, '') <> ''",
    "      THEN useridentity.sessioncontext.sessionissuer.arn",
    "      ELSE COALESCE(useridentity.arn, '') END AS callerarn,",
    "    element_at(filter(resources, r -> r.type = 'AWS::KMS::Key' OR (strpos(r.arn, ':kms:') > 0 AND strpos(r.arn, ':key/') > 0)), 1) AS keyresource,",
    "    COALESCE(eventname, '') AS eventname,",
    `    json_extract_scalar(requestparameters, '$.encryptionContext["aws:s3:arn"]') IS NOT NULL AS vias3,`,
    "    errorcode,",
    "    eventtime,",
    "    try(from_iso8601_timestamp(eventtime)) AS eventts,",
    "    COALESCE(sharedeventid, '') <> '' AS shared,",
    "    recipientaccountid",
    `  FROM ${from}`,
    `  WHERE ${where.join("\n    AND ")}`,
    "), keyed AS (",
    "  SELECT calleraccount, callerprincipal, callerarn,",
    "    COALESCE(keyresource.arn, '') AS keyarn,",
    "    COALESCE(NULLIF(keyresource.accountid, ''), split_part(keyresource.arn, ':', 5), '') AS keyowneraccount,",
    "    eventname, vias3, errorcode, eventtime, eventts, shared, recipientaccountid",
    "  FROM kms",
    "), copies AS (",
    `  SELECT ${group}, eventtime, eventts, shared,`,
    "    COALESCE(recipientaccountid, '') <> '' AND recipientaccountid = keyowneraccount AS toowner",
    "  FROM keyed",
    ")",
    `SELECT ${group},`,
    "  count_if(NOT shared) + GREATEST(count_if(shared AND toowner), count_if(shared AND NOT toowner)) AS \"count\",",
    "  min_by(eventtime, eventts) AS firsttime,",
    "  max_by(eventtime, eventts) AS lasttime,",
    "  sum(count(*)) OVER () AS records",
    "FROM copies",
    `GROUP BY ${group}`,
    `ORDER BY "count" DESC, ${group.replace("errorcode", "errorcode NULLS FIRST")}`,
  ].join("\n");
}
