/**
 * The Athena backend of `kmslint usage` (issue 8, part 4), three ways over the same CloudTrail records:
 *
 * - the generated SQL's text (the fragments that carry the semantics, the quoting, the rejected names);
 * - its meaning: the SQL, with a few explicit dialect rewrites (DUCKDB_REWRITES), run by DuckDB over the records
 *   loaded as AWS's CloudTrail table would present them; and the file reader over the same records;
 * - runAthenaUsage with the real Athena client against the fake endpoint (which computes the rows with its own
 *   implementation): exact rows, result pages, polling through QUEUED and RUNNING, a FAILED query, an abort.
 *
 * All three must give EXPECTED_ROWS.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AthenaClient, GetQueryExecutionCommand } from "@aws-sdk/client-athena";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/exit.js";
import { startFakeAws, type AccountSnapshot, type CloudTrailRecord, type FakeAws, type SnapshotAthena } from "../../src/fake-aws/index.js";
import { compareRows } from "../../src/usage/aggregate.js";
import { runAthenaUsage, type AthenaUsageOptions } from "../../src/usage/athena.js";
import { quoteIdentifier, usageSql } from "../../src/usage/athena-sql.js";
import type { UsageRow } from "../../src/usage/facts.js";
import { rowOf, UsageAggregator } from "../../src/usage/read.js";
import { accountSnapshot, credentials } from "../fake-aws/fixtures/clients.js";

const HUB = "111122223333";
const SPOKE = "444455556666";
const OTHER = "777788889999";
const KEY = `arn:aws:kms:us-east-1:${HUB}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const KEY2 = `arn:aws:kms:us-east-1:${SPOKE}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
const START = new Date("2026-11-01T00:00:00Z");
const END = new Date("2026-11-03T00:00:00Z");

const APP = { type: "AssumedRole", principalId: "AROAHUBAPP:i-1", arn: `arn:aws:sts::${HUB}:assumed-role/app/i-1`, accountId: HUB, sessionContext: { sessionIssuer: { type: "Role", principalId: "AROAHUBAPP", arn: `arn:aws:iam::${HUB}:role/app`, accountId: HUB, userName: "app" }, attributes: { creationDate: "2026-11-01T00:00:00Z", mfaAuthenticated: "false" } } };
const READER = { type: "AssumedRole", principalId: "AROASPOKE:etl", arn: `arn:aws:sts::${SPOKE}:assumed-role/reader/etl`, accountId: SPOKE, sessionContext: { sessionIssuer: { type: "Role", principalId: "AROASPOKE", arn: `arn:aws:iam::${SPOKE}:role/reader`, accountId: SPOKE, userName: "reader" } } };
const ADMIN = { type: "AssumedRole", principalId: "AROAHUBADMIN:jane", arn: `arn:aws:sts::${HUB}:assumed-role/admin/jane`, accountId: HUB, sessionContext: { sessionIssuer: { type: "Role", arn: `arn:aws:iam::${HUB}:role/admin`, accountId: HUB } } };
const CAROL = { type: "IAMUser", principalId: "AIDASPOKEUSER", arn: `arn:aws:iam::${SPOKE}:user/carol`, accountId: SPOKE, userName: "carol" };
// A federated user's session names the IAM user that federated it: not a role, so callerArn stays the identity's ARN.
const BOB = { type: "FederatedUser", principalId: `${OTHER}:bob`, arn: `arn:aws:sts::${OTHER}:federated-user/bob`, accountId: OTHER, sessionContext: { sessionIssuer: { type: "IAMUser", arn: `arn:aws:iam::${OTHER}:user/broker`, accountId: OTHER } } };
const SERVICE = { type: "AWSService", invokedBy: "cloudtrail.amazonaws.com" };

const keyResource = (arn: string, owner: string) => [{ accountId: owner, type: "AWS::KMS::Key", ARN: arn }];
const viaS3 = (object: string) => ({ encryptionContext: { "aws:s3:arn": `arn:aws:s3:::hub-data/${object}` }, encryptionAlgorithm: "SYMMETRIC_DEFAULT" });

let eventNumber = 0;
/** A CloudTrail record (AWS's field names) and the day folder (`yyyy/MM/dd`) its file was delivered to. */
interface Entry {
  record: CloudTrailRecord;
  day: string;
}
function entry(fields: Record<string, unknown>, day?: string): Entry {
  eventNumber++;
  const record: CloudTrailRecord = {
    eventVersion: "1.08",
    eventSource: "kms.amazonaws.com",
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.10",
    userAgent: "aws-sdk-java/2.20",
    requestID: `req-${eventNumber}`,
    eventID: `ev-${eventNumber}`,
    readOnly: true,
    eventType: "AwsApiCall",
    managementEvent: true,
    eventCategory: "Management",
    ...fields,
  };
  const time = typeof record["eventTime"] === "string" ? record["eventTime"] : "2026-11-01T00:00:00Z";
  return { record, day: day ?? (/^\d{4}-\d{2}-\d{2}/.test(time) ? time.slice(0, 10).replace(/-/g, "/") : "2026/11/01") };
}
/** The two copies of a cross-account call in an organization trail: one for the key owner, one for the caller. */
function shared(fields: Record<string, unknown>, recipients: string[], day?: string): Entry[] {
  const id = `shared-${eventNumber}`;
  return recipients.map((recipient) => entry({ ...fields, sharedEventID: id, recipientAccountId: recipient }, day));
}

const ENTRIES: Entry[] = [
  // The hub's application decrypts through S3: 3 calls.
  ...["2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z", "2026-11-02T09:00:00Z"].map((t) =>
    entry({ eventTime: t, eventName: "Decrypt", userIdentity: APP, requestParameters: viaS3("a"), resources: keyResource(KEY, HUB), recipientAccountId: HUB }),
  ),
  // The spoke's reader writes through S3 with the hub's key: 3 calls seen by both accounts, and a 4th that only the
  // spoke's log has, delivered after midnight (its file is in the next day's folder).
  ...["2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z", "2026-11-02T14:00:00Z"].flatMap((t) =>
    shared({ eventTime: t, eventName: "GenerateDataKey", userIdentity: READER, requestParameters: viaS3("b"), resources: keyResource(KEY, HUB) }, [HUB, SPOKE]),
  ),
  ...shared({ eventTime: "2026-11-02T23:58:30Z", eventName: "GenerateDataKey", userIdentity: READER, requestParameters: viaS3("c"), resources: keyResource(KEY, HUB) }, [SPOKE], "2026/11/03"),
  // The reader's direct Decrypt is denied: 2 calls, in the hub's log only.
  ...["2026-11-01T15:00:00Z", "2026-11-02T15:00:00Z"].flatMap((t) =>
    shared({ eventTime: t, eventName: "Decrypt", userIdentity: READER, errorCode: "AccessDenied", errorMessage: "not authorized", requestParameters: { encryptionAlgorithm: "SYMMETRIC_DEFAULT" }, resources: keyResource(KEY, HUB) }, [HUB]),
  ),
  // A federated user of a third account encrypts with the hub key.
  entry({ eventTime: "2026-11-01T16:00:00Z", eventName: "Encrypt", userIdentity: BOB, requestParameters: { keyId: "alias/hub" }, resources: keyResource(KEY, HUB), recipientAccountId: HUB }),
  // A service on its own behalf: no account; the principal is the service.
  entry({ eventTime: "2026-11-01T17:00:00Z", eventName: "GenerateDataKey", userIdentity: SERVICE, sourceIPAddress: "cloudtrail.amazonaws.com", eventType: "AwsServiceEvent", resources: keyResource(KEY, HUB), recipientAccountId: HUB }),
  // An older record: no resource type, an alias ARN first, and an empty accountId (the owner comes from the ARN).
  entry({ eventTime: "2026-11-02T08:00:00Z", eventName: "Decrypt", userIdentity: CAROL, resources: [{ ARN: `arn:aws:kms:us-east-1:${SPOKE}:alias/own` }, { ARN: KEY2, accountId: "" }], recipientAccountId: SPOKE }),
  // ListKeys names no key.
  entry({ eventTime: "2026-11-02T10:00:00Z", eventName: "ListKeys", userIdentity: ADMIN, recipientAccountId: HUB }),
  // ReEncrypt names two keys after a bucket: the first key is the row's.
  entry({
    eventTime: "2026-11-02T11:00:00Z",
    eventName: "ReEncrypt",
    userIdentity: APP,
    resources: [{ ARN: "arn:aws:s3:::hub-data", accountId: HUB, type: "AWS::S3::Bucket" }, ...keyResource(KEY2, SPOKE), ...keyResource(KEY, HUB)],
    recipientAccountId: HUB,
  }),
  // Not counted: another service, before the window, at its end (exclusive), an unreadable time.
  entry({ eventTime: "2026-11-01T12:30:00Z", eventSource: "s3.amazonaws.com", eventName: "GetObject", userIdentity: READER, recipientAccountId: HUB }),
  entry({ eventTime: "2026-10-31T23:59:59Z", eventName: "Decrypt", userIdentity: APP, requestParameters: viaS3("d"), resources: keyResource(KEY, HUB), recipientAccountId: HUB }, "2026/11/01"),
  entry({ eventTime: "2026-11-03T00:00:00Z", eventName: "Decrypt", userIdentity: APP, requestParameters: viaS3("e"), resources: keyResource(KEY, HUB), recipientAccountId: HUB }),
  entry({ eventTime: "not-a-time", eventName: "Decrypt", userIdentity: APP, resources: keyResource(KEY, HUB), recipientAccountId: HUB }, "2026/11/02"),
];
const RECORDS = ENTRIES.map((e) => e.record);
/** KMS records in the window, every copy. */
const EXPECTED_RECORDS = 3 + 7 + 2 + 1 + 1 + 1 + 1 + 1;

const row = (r: Omit<UsageRow, "errorCode"> & { errorCode?: string | null }): UsageRow => ({ ...r, errorCode: r.errorCode ?? null });
const EXPECTED_ROWS: UsageRow[] = [
  row({ callerAccount: SPOKE, callerPrincipal: "AROASPOKE:etl", callerArn: `arn:aws:iam::${SPOKE}:role/reader`, keyArn: KEY, keyOwnerAccount: HUB, eventName: "GenerateDataKey", viaS3: true, count: 4, firstTime: "2026-11-01T12:00:00Z", lastTime: "2026-11-02T23:58:30Z" }),
  row({ callerAccount: HUB, callerPrincipal: "AROAHUBAPP:i-1", callerArn: `arn:aws:iam::${HUB}:role/app`, keyArn: KEY, keyOwnerAccount: HUB, eventName: "Decrypt", viaS3: true, count: 3, firstTime: "2026-11-01T10:00:00Z", lastTime: "2026-11-02T09:00:00Z" }),
  row({ callerAccount: SPOKE, callerPrincipal: "AROASPOKE:etl", callerArn: `arn:aws:iam::${SPOKE}:role/reader`, keyArn: KEY, keyOwnerAccount: HUB, eventName: "Decrypt", viaS3: false, errorCode: "AccessDenied", count: 2, firstTime: "2026-11-01T15:00:00Z", lastTime: "2026-11-02T15:00:00Z" }),
  row({ callerAccount: "", callerPrincipal: "cloudtrail.amazonaws.com", callerArn: "", keyArn: KEY, keyOwnerAccount: HUB, eventName: "GenerateDataKey", viaS3: false, count: 1, firstTime: "2026-11-01T17:00:00Z", lastTime: "2026-11-01T17:00:00Z" }),
  row({ callerAccount: HUB, callerPrincipal: "AROAHUBADMIN:jane", callerArn: `arn:aws:iam::${HUB}:role/admin`, keyArn: "", keyOwnerAccount: "", eventName: "ListKeys", viaS3: false, count: 1, firstTime: "2026-11-02T10:00:00Z", lastTime: "2026-11-02T10:00:00Z" }),
  row({ callerAccount: HUB, callerPrincipal: "AROAHUBAPP:i-1", callerArn: `arn:aws:iam::${HUB}:role/app`, keyArn: KEY2, keyOwnerAccount: SPOKE, eventName: "ReEncrypt", viaS3: false, count: 1, firstTime: "2026-11-02T11:00:00Z", lastTime: "2026-11-02T11:00:00Z" }),
  row({ callerAccount: SPOKE, callerPrincipal: "AIDASPOKEUSER", callerArn: `arn:aws:iam::${SPOKE}:user/carol`, keyArn: KEY2, keyOwnerAccount: SPOKE, eventName: "Decrypt", viaS3: false, count: 1, firstTime: "2026-11-02T08:00:00Z", lastTime: "2026-11-02T08:00:00Z" }),
  row({ callerAccount: OTHER, callerPrincipal: `${OTHER}:bob`, callerArn: `arn:aws:sts::${OTHER}:federated-user/bob`, keyArn: KEY, keyOwnerAccount: HUB, eventName: "Encrypt", viaS3: false, count: 1, firstTime: "2026-11-01T16:00:00Z", lastTime: "2026-11-01T16:00:00Z" }),
];

describe("usageSql: the text", () => {
  const sql = usageSql({ table: "cloudtrail_logs", database: "security", start: new Date("2026-11-01T12:00:00Z"), end: END });

  it("reads the quoted table, KMS records only, in the window, with the partition widened by a day each side", () => {
    expect(sql.split("\n")[0]).toBe('-- kmslint usage {"database":"security","table":"cloudtrail_logs","start":"2026-11-01T12:00:00.000Z","end":"2026-11-03T00:00:00.000Z"}');
    expect(sql).toContain('  FROM "security"."cloudtrail_logs"\n');
    expect(sql).toContain(
      [
        "  WHERE eventsource = 'kms.amazonaws.com'",
        `    AND "timestamp" >= '2026/10/31'`,
        `    AND "timestamp" <= '2026/11/03'`,
        "    AND try(from_iso8601_timestamp(eventtime)) >= from_iso8601_timestamp('2026-11-01T12:00:00.000Z')",
        "    AND try(from_iso8601_timestamp(eventtime)) < from_iso8601_timestamp('2026-11-03T00:00:00.000Z')",
      ].join("\n"),
    );
    // An end in the middle of a day: the folders up to the next day.
    expect(usageSql({ table: "t", end: new Date("2026-11-02T12:00:00Z") })).toContain(`"timestamp" <= '2026/11/03'`);
    expect(usageSql({ table: "t", start: new Date("2026-01-01T00:00:00Z") })).toContain(`"timestamp" >= '2025/12/31'`);
  });

  it("without a window or a partition, filters only on the event source", () => {
    const bare = usageSql({ table: "t" });
    expect(bare).toContain('  FROM "t"\n  WHERE eventsource = \'kms.amazonaws.com\'\n),');
    const unpartitioned = usageSql({ table: "t", start: START, end: END, partitioned: "none" });
    expect(unpartitioned).not.toContain('"timestamp"');
    expect(unpartitioned).toContain("try(from_iso8601_timestamp(eventtime)) < from_iso8601_timestamp('2026-11-03T00:00:00.000Z')");
  });

  it("takes the key from resources[], the caller ARN from a role session's issuer, viaS3 from the encryption context", () => {
    expect(sql).toContain("element_at(filter(resources, r -> r.type = 'AWS::KMS::Key' OR (strpos(r.arn, ':kms:') > 0 AND strpos(r.arn, ':key/') > 0)), 1) AS keyresource");
    expect(sql).toContain("COALESCE(NULLIF(keyresource.accountid, ''), split_part(keyresource.arn, ':', 5), '') AS keyowneraccount");
    expect(sql).toContain("CASE WHEN useridentity.type = 'AssumedRole' AND COALESCE(useridentity.sessioncontext.sessionissuer.arn, '') <> ''");
    expect(sql).toContain(`json_extract_scalar(requestparameters, '$.encryptionContext["aws:s3:arn"]') IS NOT NULL AS vias3`);
    expect(sql).not.toMatch(/keyid/i);
  });

  it("counts the copies of a shared event once: single records plus the greater of the owner's and the others' copies", () => {
    expect(sql).toContain("COALESCE(sharedeventid, '') <> '' AS shared");
    expect(sql).toContain("COALESCE(recipientaccountid, '') <> '' AND recipientaccountid = keyowneraccount AS toowner");
    expect(sql).toContain('count_if(NOT shared) + GREATEST(count_if(shared AND toowner), count_if(shared AND NOT toowner)) AS "count"');
    expect(sql).toContain("sum(count(*)) OVER () AS records");
    expect(sql).toContain("GROUP BY calleraccount, callerprincipal, callerarn, keyarn, keyowneraccount, eventname, vias3, errorcode\n");
    expect(sql.endsWith('ORDER BY "count" DESC, calleraccount, callerprincipal, callerarn, keyarn, keyowneraccount, eventname, vias3, errorcode NULLS FIRST')).toBe(true);
  });

  it("rejects table and database names that are not letters, digits and underscores", () => {
    for (const bad of ["", "cloudtrail-logs", 'x"; DROP TABLE y; --', "db.table", "naïve", "a b", "`t`"]) {
      expect(() => usageSql({ table: bad })).toThrow(UsageError);
      expect(() => usageSql({ table: "t", database: bad })).toThrow(/Athena database name must be letters, digits and underscores/);
    }
    expect(quoteIdentifier("CloudTrail_2026", "table")).toBe('"CloudTrail_2026"');
    expect(() => usageSql({ table: "t", start: END, end: START })).toThrow(UsageError);
  });
});

// ---- The SQL's meaning: DuckDB runs it over the records as AWS's table presents them ----

/**
 * The only changes made to the generated SQL before DuckDB runs it, each a Trino function DuckDB names or
 * writes differently (every other function — filter, strpos, split_part, count_if, GREATEST, min_by, max_by,
 * sum(...) OVER (), NULLS FIRST — is the same in both):
 */
const DUCKDB_REWRITES: [RegExp, string][] = [
  // 1. Trino's element_at(array, i) is DuckDB's list_extract(list, i): 1-based, NULL past the end.
  [/\belement_at\(/g, "list_extract("],
  // 2. json_extract_scalar is json_extract_string; the member with colons is `."aws:s3:arn"`, not `["aws:s3:arn"]`.
  [/json_extract_scalar\(requestparameters, '\$\.encryptionContext\["aws:s3:arn"\]'\)/g, `json_extract_string(requestparameters, '$.encryptionContext."aws:s3:arn"')`],
  // 3. try(from_iso8601_timestamp(x)) is TRY_CAST(x AS TIMESTAMPTZ); from_iso8601_timestamp('…') is a CAST.
  [/try\(from_iso8601_timestamp\(([^()]*)\)\)/g, "TRY_CAST($1 AS TIMESTAMPTZ)"],
  [/from_iso8601_timestamp\(('[^']*')\)/g, "CAST($1 AS TIMESTAMPTZ)"],
];

function toDuckDb(sql: string): string {
  let out = sql;
  for (const [pattern, replacement] of DUCKDB_REWRITES) out = out.replace(pattern, replacement);
  expect(out).not.toMatch(/element_at|json_extract_scalar|from_iso8601_timestamp|\btry\(/);
  return out;
}

/** AWS's CloudTrail table (docs/usage-athena.md), as DuckDB types; `timestamp` is the partition. */
const TABLE_COLUMNS: Record<string, string> = {
  eventversion: "VARCHAR",
  useridentity:
    "STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR, accesskeyid VARCHAR, username VARCHAR, " +
    "sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR), sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, username VARCHAR)))",
  eventtime: "VARCHAR",
  eventsource: "VARCHAR",
  eventname: "VARCHAR",
  awsregion: "VARCHAR",
  sourceipaddress: "VARCHAR",
  useragent: "VARCHAR",
  errorcode: "VARCHAR",
  errormessage: "VARCHAR",
  requestparameters: "VARCHAR",
  responseelements: "VARCHAR",
  additionaleventdata: "VARCHAR",
  requestid: "VARCHAR",
  eventid: "VARCHAR",
  readonly: "VARCHAR",
  resources: "STRUCT(arn VARCHAR, accountid VARCHAR, type VARCHAR)[]",
  eventtype: "VARCHAR",
  apiversion: "VARCHAR",
  recipientaccountid: "VARCHAR",
  serviceeventdetails: "VARCHAR",
  sharedeventid: "VARCHAR",
  vpcendpointid: "VARCHAR",
  timestamp: "VARCHAR",
};

/**
 * A record as the table's JSON SerDe reads it: member names matched without case (userIdentity → useridentity,
 * ARN → arn), struct members by the DDL's names, and STRING columns that hold an object (requestParameters) as
 * its JSON text.
 */
function serdeRow(record: CloudTrailRecord, day: string): Record<string, unknown> {
  const lower = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v])) : undefined;
  const text = (value: unknown) => (value === undefined || value === null ? null : typeof value === "string" ? value : JSON.stringify(value));
  const top = lower(record)!;
  const identity = lower(top["useridentity"]);
  const context = lower(identity?.["sessioncontext"]);
  const issuer = lower(context?.["sessionissuer"]);
  const attributes = lower(context?.["attributes"]);
  const row: Record<string, unknown> = {};
  for (const column of Object.keys(TABLE_COLUMNS)) {
    if (column === "useridentity") {
      row[column] = identity && {
        type: text(identity["type"]),
        principalid: text(identity["principalid"]),
        arn: text(identity["arn"]),
        accountid: text(identity["accountid"]),
        invokedby: text(identity["invokedby"]),
        accesskeyid: text(identity["accesskeyid"]),
        username: text(identity["username"]),
        sessioncontext: context && {
          attributes: attributes && { mfaauthenticated: text(attributes["mfaauthenticated"]), creationdate: text(attributes["creationdate"]) },
          sessionissuer: issuer && { type: text(issuer["type"]), principalid: text(issuer["principalid"]), arn: text(issuer["arn"]), accountid: text(issuer["accountid"]), username: text(issuer["username"]) },
        },
      };
    } else if (column === "resources") {
      const list = top["resources"];
      row[column] = Array.isArray(list) ? list.map((r) => lower(r)).map((r) => r && { arn: text(r["arn"]), accountid: text(r["accountid"]), type: text(r["type"]) }) : null;
    } else if (column === "timestamp") {
      row[column] = day;
    } else {
      row[column] = text(top[column]);
    }
  }
  return row;
}

async function runOnDuckDb(sql: string, entries: readonly Entry[]): Promise<{ rows: UsageRow[]; records: number }> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const dir = mkdtempSync(join(tmpdir(), "kmslint-athena-"));
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const file = join(dir, "records.ndjson");
    writeFileSync(file, entries.map((e) => JSON.stringify(serdeRow(e.record, e.day))).join("\n") + "\n");
    const columns = Object.entries(TABLE_COLUMNS)
      .map(([name, type]) => `'${name}': '${type}'`)
      .join(", ");
    await connection.run('CREATE SCHEMA "security"');
    await connection.run(`CREATE TABLE "security"."cloudtrail_logs" AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {${columns}})`);
    const count = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM "security"."cloudtrail_logs"');
    expect(count.getRowObjectsJson()).toEqual([{ n: entries.length }]);
    const result = await connection.runAndReadAll(toDuckDb(sql));
    const objects = result.getRowObjectsJson() as Record<string, unknown>[];
    const rows = objects.map((o) => ({
      callerAccount: o["calleraccount"] as string,
      callerPrincipal: o["callerprincipal"] as string,
      callerArn: o["callerarn"] as string,
      keyArn: o["keyarn"] as string,
      keyOwnerAccount: o["keyowneraccount"] as string,
      eventName: o["eventname"] as string,
      viaS3: o["vias3"] as boolean,
      errorCode: (o["errorcode"] as string | null) ?? null,
      count: Number(o["count"]),
      firstTime: (o["firsttime"] as string | null) ?? "",
      lastTime: (o["lasttime"] as string | null) ?? "",
    }));
    return { rows, records: objects.length === 0 ? 0 : Number(objects[0]!["records"]) };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("usageSql: the meaning (DuckDB runs the generated SQL)", () => {
  it("gives the expected fact table over the records", async () => {
    const sql = usageSql({ table: "cloudtrail_logs", database: "security", start: START, end: END });
    const result = await runOnDuckDb(sql, ENTRIES);
    expect(result.rows).toEqual(EXPECTED_ROWS);
    expect(result.records).toBe(EXPECTED_RECORDS);
  });

  it("prunes by the partition without losing a late-delivered record, and honours every bound", async () => {
    // Records filed under days that cannot hold the window's events are not read: put a window record in one.
    const misfiled = entry({ eventTime: "2026-11-01T10:30:00Z", eventName: "Decrypt", userIdentity: APP, requestParameters: viaS3("z"), resources: keyResource(KEY, HUB), recipientAccountId: HUB }, "2026/11/05");
    const result = await runOnDuckDb(usageSql({ table: "cloudtrail_logs", database: "security", start: START, end: END }), [...ENTRIES, misfiled]);
    expect(result.rows).toEqual(EXPECTED_ROWS);
    const unpartitioned = await runOnDuckDb(usageSql({ table: "cloudtrail_logs", database: "security", start: START, end: END, partitioned: "none" }), [...ENTRIES, misfiled]);
    expect(unpartitioned.rows[1]!.count).toBe(4);
  });

  it("without a window counts every KMS record, and an empty table gives no rows", async () => {
    const all = await runOnDuckDb(usageSql({ table: "cloudtrail_logs", database: "security" }), ENTRIES);
    // The three KMS records outside the window join the app's Decrypt groups (two via S3, one not).
    expect(all.records).toBe(EXPECTED_RECORDS + 3);
    expect(all.rows.find((r) => r.eventName === "Decrypt" && r.viaS3 && r.callerAccount === HUB)).toMatchObject({ count: 5, firstTime: "2026-10-31T23:59:59Z", lastTime: "2026-11-03T00:00:00Z" });
    expect(await runOnDuckDb(usageSql({ table: "cloudtrail_logs", database: "security" }), [])).toEqual({ rows: [], records: 0 });
  });
});

describe("the file reader agrees", () => {
  it("UsageAggregator over the same records gives the same rows and records", () => {
    const aggregate = new UsageAggregator();
    for (const record of RECORDS) aggregate.addRecord(record, { start: START.getTime(), end: END.getTime() });
    expect([...aggregate.groups.values()].map(rowOf).sort(compareRows)).toEqual(EXPECTED_ROWS);
    expect(aggregate.records).toBe(EXPECTED_RECORDS);
  });
});

// ---- runAthenaUsage against the fake endpoint, through the real client ----

const OUTPUT = "s3://athena-results-111122223333/kmslint/";

function snapshot(athena: Partial<SnapshotAthena> = {}): AccountSnapshot {
  return { ...accountSnapshot(), Athena: { Tables: { "security.cloudtrail_logs": RECORDS }, QueuedPolls: 0, RunningPolls: 0, ...athena } };
}

describe("runAthenaUsage", () => {
  let fake: FakeAws | undefined;
  const start = async (athena: Partial<SnapshotAthena> = {}) => {
    fake = await startFakeAws({ snapshot: snapshot(athena) });
    // The SDK's own resolution: endpoint, credentials and region from the environment, as for a user.
    vi.stubEnv("AWS_ENDPOINT_URL", fake.url);
    vi.stubEnv("AWS_ACCESS_KEY_ID", credentials.accessKeyId);
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey);
    vi.stubEnv("AWS_REGION", "eu-west-1");
    vi.stubEnv("AWS_PROFILE", "");
    return fake;
  };
  beforeEach(() => {
    vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await fake?.close();
    fake = undefined;
  });
  const options = (extra: Partial<AthenaUsageOptions> = {}): AthenaUsageOptions => ({
    table: "cloudtrail_logs",
    database: "security",
    workgroup: "analytics",
    outputLocation: OUTPUT,
    start: START,
    end: END,
    pollMs: 1,
    ...extra,
  });
  const operations = (on: FakeAws) => on.calls.map((c) => c.operation);

  it("returns the fact table, reading every result page (page size 2), through QUEUED and RUNNING", async () => {
    const on = await start({ PageSize: 2, QueuedPolls: 2, RunningPolls: 2 });
    const states: string[] = [];
    const result = await runAthenaUsage(options({ onProgress: (state) => states.push(state) }));
    expect(result.rows).toEqual(EXPECTED_ROWS);
    expect(result.records).toBe(EXPECTED_RECORDS);
    expect(result.files).toBe(0);
    expect(result.queryExecutionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.dataScannedBytes).toBe(RECORDS.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0));
    expect(states).toEqual(["QUEUED", "QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"]);
    // 8 rows and the header, 2 a page.
    expect(operations(on)).toEqual(["StartQueryExecution", ...Array(5).fill("GetQueryExecution"), ...Array(5).fill("GetQueryResults")]);
    expect(on.calls.every((c) => c.region === "eu-west-1" && c.status === 200)).toBe(true);
  });

  it("sends the query with the database, workgroup and output location, signed for the region asked", async () => {
    const on = await start();
    const result = await runAthenaUsage(options({ region: "us-west-2" }));
    expect(on.calls[0]).toMatchObject({ operation: "StartQueryExecution", region: "us-west-2" });
    const client = new AthenaClient({ region: "us-west-2" });
    try {
      const execution = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: result.queryExecutionId }))).QueryExecution!;
      expect(execution.Query).toBe(usageSql({ table: "cloudtrail_logs", database: "security", start: START, end: END }));
      expect(execution.QueryExecutionContext?.Database).toBe("security");
      expect(execution.WorkGroup).toBe("analytics");
      expect(execution.ResultConfiguration?.OutputLocation).toBe(`${OUTPUT}${result.queryExecutionId}.csv`);
    } finally {
      client.destroy();
    }
  });

  it("an empty window gives no rows and no records", async () => {
    await start();
    const result = await runAthenaUsage(options({ start: new Date("2025-01-01T00:00:00Z"), end: new Date("2025-01-02T00:00:00Z") }));
    expect(result).toMatchObject({ rows: [], records: 0, files: 0 });
  });

  it("a FAILED query rejects with Athena's reason and reads no result", async () => {
    const on = await start({ QueuedPolls: 1, RunningPolls: 1, Failures: [{ QueryContains: '"cloudtrail_logs"', Reason: "HIVE_BAD_DATA: Error parsing field value for field 3" }] });
    await expect(runAthenaUsage(options())).rejects.toThrow(/^Athena query [0-9a-f-]+ failed: HIVE_BAD_DATA: Error parsing field value for field 3$/);
    expect(operations(on)).toEqual(["StartQueryExecution", "GetQueryExecution", "GetQueryExecution", "GetQueryExecution"]);
  });

  it("a table Athena does not have: FAILED with TABLE_NOT_FOUND", async () => {
    await start();
    await expect(runAthenaUsage(options({ table: "missing" }))).rejects.toThrow("TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.security.missing' does not exist");
  });

  it("an abort stops the query with StopQueryExecution and rejects with the abort's reason", async () => {
    const on = await start({ QueuedPolls: 1000 });
    const controller = new AbortController();
    let polls = 0;
    const running = runAthenaUsage(
      options({
        signal: controller.signal,
        onProgress: () => {
          if (++polls === 3) controller.abort(new Error("interrupted"));
        },
      }),
    );
    await expect(running).rejects.toThrow("interrupted");
    const stops = on.calls.filter((c) => c.operation === "StopQueryExecution");
    expect(stops).toHaveLength(1);
    expect(stops[0]!.resource).toBe(on.calls.find((c) => c.operation === "GetQueryExecution")!.resource);
    expect(operations(on)).not.toContain("GetQueryResults");
    const client = new AthenaClient({});
    try {
      const status = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: stops[0]!.resource! }))).QueryExecution!.Status!;
      expect(status.State).toBe("CANCELLED");
    } finally {
      client.destroy();
    }
  });

  it("an abort before the start sends nothing", async () => {
    const on = await start();
    await expect(runAthenaUsage(options({ signal: AbortSignal.abort(new Error("no")) }))).rejects.toThrow("no");
    expect(on.calls).toEqual([]);
  });

  it("a bad table name is a usage error before any call", async () => {
    const on = await start();
    await expect(runAthenaUsage(options({ table: "logs; DROP TABLE x" }))).rejects.toThrow(UsageError);
    expect(on.calls).toEqual([]);
  });
});
