/**
 * The fake Athena: awsJson1_1 (`POST /`, `X-Amz-Target: AmazonAthena.<Operation>`, JSON both ways, timestamps
 * as epoch seconds), signed as `athena`. Answers StartQueryExecution, GetQueryExecution, GetQueryResults and
 * StopQueryExecution, with query executions kept in memory (per server):
 *
 * - A query goes QUEUED → RUNNING → SUCCEEDED (or FAILED) over GetQueryExecution calls: the first
 *   `QueuedPolls` (default 1) see QUEUED, the next `RunningPolls` (default 1) RUNNING, then the final state.
 *   StopQueryExecution cancels a query that has not ended (CANCELLED).
 * - GetQueryResults pages the result (header row first, in the first page) by MaxResults (1..1000), capped by
 *   the snapshot's `Athena.PageSize` or the server's pageSize; NextToken is opaque and tied to the query.
 * - Errors: InvalidRequestException for an unknown query id, results of a query that has not succeeded, a bad
 *   token or a missing output location; `Athena.Failures` make a query end FAILED with a reason.
 *
 * It does not parse SQL. It runs only kmslint's usage query: the query's first line
 * (`-- kmslint usage {"database":…,"table":…,"start":…,"end":…}`, src/usage/athena-sql.ts) names the table and
 * the window, and the fake computes the fact table over the snapshot's CloudTrail records of that table with
 * its own implementation of the semantics (usageResult below), written apart from the SQL and from the file
 * reader, so that tests compare two implementations. A query without that line, or on a table the snapshot
 * does not have, ends FAILED as Athena would.
 */
import type { Call } from "./call.js";
import { jsonBody, jsonReply, ServiceError, type Reply } from "./wire.js";

/** A CloudTrail record as in a log file's `Records` (AWS's field names: eventTime, userIdentity, resources[].ARN, …). */
export type CloudTrailRecord = Record<string, unknown>;

/** The snapshot's `Athena` section. */
export interface SnapshotAthena {
  /** `database.table` → the CloudTrail records the table holds. */
  Tables: Record<string, CloudTrailRecord[]>;
  /** GetQueryExecution answers that see QUEUED (default 1). */
  QueuedPolls?: number;
  /** Then the answers that see RUNNING (default 1). */
  RunningPolls?: number;
  /** Caps GetQueryResults' page (rows, the header row included) below MaxResults. */
  PageSize?: number;
  /** The result location of every workgroup; absent: StartQueryExecution needs ResultConfiguration.OutputLocation. */
  WorkGroupOutputLocation?: string;
  /** Queries that end FAILED: the first whose QueryContains is in the query text (absent: every query), with that reason. */
  Failures?: { QueryContains?: string; Reason: string }[];
}

interface Execution {
  id: string;
  query: string;
  database: string | undefined;
  workGroup: string;
  outputLocation: string;
  submitted: number;
  /** GetQueryExecution calls so far. */
  polls: number;
  cancelled: boolean;
  /** The state after QUEUED and RUNNING. */
  outcome: { state: "SUCCEEDED"; result: ResultTable } | { state: "FAILED"; reason: string };
  scannedBytes: number;
}

interface ResultTable {
  columns: { name: string; type: string }[];
  /** Cells as Athena's VarCharValue text; undefined: NULL. */
  rows: (string | undefined)[][];
}

export interface AthenaState {
  config: SnapshotAthena | undefined;
  executions: Map<string, Execution>;
  next: number;
}

/** Checks the snapshot's Athena section (with the path of a wrong field) and makes the server's Athena state. */
export function athenaState(config: unknown): AthenaState {
  if (config !== undefined) checkAthena(config);
  return { config: config as SnapshotAthena | undefined, executions: new Map(), next: 1 };
}

function checkAthena(value: unknown): void {
  const fail = (path: string, problem: string): never => {
    throw new Error(`Invalid snapshot: Athena${path} ${problem}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("", "must be an object");
  const athena = value as Record<string, unknown>;
  const tables = athena["Tables"];
  if (typeof tables !== "object" || tables === null || Array.isArray(tables)) fail(".Tables", "must be an object of database.table → records");
  for (const [name, records] of Object.entries(tables as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(name)) fail(`.Tables[${JSON.stringify(name)}]`, "must be named database.table");
    if (!Array.isArray(records)) fail(`.Tables[${JSON.stringify(name)}]`, "must be an array of CloudTrail records");
    (records as unknown[]).forEach((record, i) => {
      if (typeof record !== "object" || record === null || Array.isArray(record)) fail(`.Tables[${JSON.stringify(name)}][${i}]`, "must be an object");
    });
  }
  for (const field of ["QueuedPolls", "RunningPolls"]) {
    const n = athena[field];
    if (n !== undefined && (!Number.isInteger(n) || (n as number) < 0)) fail(`.${field}`, "must be a whole number from 0");
  }
  const size = athena["PageSize"];
  if (size !== undefined && (!Number.isInteger(size) || (size as number) < 2)) fail(".PageSize", "must be a whole number from 2 (the header row and one row)");
}

const TARGET_PREFIX = "AmazonAthena.";

export function athenaCall(state: AthenaState, target: string | undefined, body: string, pageSize: number | undefined): Call {
  const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : (target ?? "");
  const input = jsonBody(body);
  if (!input) {
    return {
      service: "athena",
      operation,
      answer: () => {
        throw new ServiceError("SerializationException", "Start of structure or map found where not expected.");
      },
    };
  }
  const call: Call = { service: "athena", operation, answer: () => answer(state, operation, input, pageSize) };
  if (typeof input["QueryExecutionId"] === "string") {
    const id = input["QueryExecutionId"];
    call.resource = id;
    call.names = () => [id];
  }
  return call;
}

function answer(state: AthenaState, operation: string, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  switch (operation) {
    case "StartQueryExecution":
      return startQueryExecution(state, input);
    case "GetQueryExecution":
      return getQueryExecution(state, input);
    case "GetQueryResults":
      return getQueryResults(state, input, pageSize);
    case "StopQueryExecution":
      return stopQueryExecution(state, input);
    default:
      throw new ServiceError("UnknownOperationException", operation ? `The operation ${operation} is not supported by this endpoint.` : "Missing X-Amz-Target header.");
  }
}

function invalidRequest(message: string): ServiceError {
  return new ServiceError("InvalidRequestException", message);
}

function member(input: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  return object(input[name]);
}

function execution(state: AthenaState, input: Record<string, unknown>): Execution {
  const id = input["QueryExecutionId"];
  if (typeof id !== "string" || id === "") throw invalidRequest("1 validation error detected: Value null at 'queryExecutionId' failed to satisfy constraint: Member must not be null");
  const found = state.executions.get(id);
  if (!found) throw invalidRequest(`QueryExecution ${id} was not found`);
  return found;
}

function startQueryExecution(state: AthenaState, input: Record<string, unknown>): Reply {
  const query = input["QueryString"];
  if (typeof query !== "string" || query === "") throw invalidRequest("1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null");
  const config = state.config;
  const outputLocation = (member(input, "ResultConfiguration")?.["OutputLocation"] as string | undefined) ?? config?.WorkGroupOutputLocation;
  if (outputLocation === undefined) {
    throw invalidRequest("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.");
  }
  const database = member(input, "QueryExecutionContext")?.["Database"];
  const id = `00000000-0000-4000-8000-${String(state.next++).padStart(12, "0")}`;
  const exec: Execution = {
    id,
    query,
    database: typeof database === "string" ? database : undefined,
    workGroup: typeof input["WorkGroup"] === "string" ? input["WorkGroup"] : "primary",
    outputLocation: `${outputLocation.replace(/\/?$/, "/")}${id}.csv`,
    submitted: Date.now(),
    polls: 0,
    cancelled: false,
    outcome: { state: "FAILED", reason: "" },
    scannedBytes: 0,
  };
  run(state, exec);
  state.executions.set(id, exec);
  return jsonReply({ QueryExecutionId: id });
}

/** Decides how the query ends: the snapshot's failures, then the usage query over the table's records. */
function run(state: AthenaState, exec: Execution): void {
  const failure = state.config?.Failures?.find((f) => f.QueryContains === undefined || exec.query.includes(f.QueryContains));
  if (failure) {
    exec.outcome = { state: "FAILED", reason: failure.Reason };
    return;
  }
  const marker = exec.query.split("\n", 1)[0] ?? "";
  let target: { database?: unknown; table?: unknown; start?: unknown; end?: unknown } | undefined;
  if (marker.startsWith("-- kmslint usage ")) {
    try {
      target = JSON.parse(marker.slice("-- kmslint usage ".length)) as typeof target;
    } catch {
      target = undefined;
    }
  }
  if (!target || typeof target.table !== "string") {
    exec.outcome = { state: "FAILED", reason: "NOT_SUPPORTED: the fake Athena runs only kmslint's usage query (its first line names the table)" };
    return;
  }
  const database = typeof target.database === "string" ? target.database : exec.database;
  const name = `${database ?? ""}.${target.table}`;
  const records = state.config?.Tables[name] ?? lowerCaseLookup(state.config?.Tables, name);
  if (!records) {
    exec.outcome = { state: "FAILED", reason: `TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.${name.toLowerCase()}' does not exist` };
    return;
  }
  const start = typeof target.start === "string" ? Date.parse(target.start) : undefined;
  const end = typeof target.end === "string" ? Date.parse(target.end) : undefined;
  exec.scannedBytes = records.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0);
  exec.outcome = { state: "SUCCEEDED", result: usageResult(records, start, end) };
}

/** Glue names are lower case: a table named with capitals is the same table. */
function lowerCaseLookup(tables: Record<string, CloudTrailRecord[]> | undefined, name: string): CloudTrailRecord[] | undefined {
  if (!tables) return undefined;
  for (const [key, records] of Object.entries(tables)) if (key.toLowerCase() === name.toLowerCase()) return records;
  return undefined;
}

type State = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";

function stateOf(state: AthenaState, exec: Execution): State {
  if (exec.cancelled) return "CANCELLED";
  const queued = state.config?.QueuedPolls ?? 1;
  const running = state.config?.RunningPolls ?? 1;
  if (exec.polls <= queued) return "QUEUED";
  if (exec.polls <= queued + running) return "RUNNING";
  return exec.outcome.state;
}

function getQueryExecution(state: AthenaState, input: Record<string, unknown>): Reply {
  const exec = execution(state, input);
  exec.polls++;
  const current = stateOf(state, exec);
  const ended = current === "SUCCEEDED" || current === "FAILED" || current === "CANCELLED";
  const elapsed = Math.max(1, exec.polls * 100);
  const status: Record<string, unknown> = { State: current, SubmissionDateTime: exec.submitted / 1000 };
  if (ended) status["CompletionDateTime"] = (exec.submitted + elapsed) / 1000;
  if (current === "FAILED" && exec.outcome.state === "FAILED") {
    status["StateChangeReason"] = exec.outcome.reason;
    status["AthenaError"] = { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: exec.outcome.reason };
  }
  if (current === "CANCELLED") status["StateChangeReason"] = "Query was cancelled by user";
  const statistics: Record<string, unknown> = { QueryQueueTimeInMillis: 100, TotalExecutionTimeInMillis: elapsed };
  if (current !== "QUEUED") {
    statistics["EngineExecutionTimeInMillis"] = elapsed - 100;
    statistics["DataScannedInBytes"] = current === "RUNNING" ? Math.floor(exec.scannedBytes / 2) : exec.scannedBytes;
  }
  return jsonReply({
    QueryExecution: {
      QueryExecutionId: exec.id,
      Query: exec.query,
      StatementType: "DML",
      ResultConfiguration: { OutputLocation: exec.outputLocation },
      ...(exec.database !== undefined ? { QueryExecutionContext: { Database: exec.database, Catalog: "AwsDataCatalog" } } : {}),
      Status: status,
      Statistics: statistics,
      WorkGroup: exec.workGroup,
      EngineVersion: { SelectedEngineVersion: "AUTO", EffectiveEngineVersion: "Athena engine version 3" },
    },
  });
}

const TOKEN_PREFIX = "kmslint-fake-athena:";

function getQueryResults(state: AthenaState, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  const exec = execution(state, input);
  const current = stateOf(state, exec);
  if (current === "QUEUED" || current === "RUNNING") throw invalidRequest(`Query has not yet finished. Current state: ${current}`);
  if (current !== "SUCCEEDED" || exec.outcome.state !== "SUCCEEDED") {
    throw invalidRequest(`Query did not finish successfully. Final query state: ${current}${exec.outcome.state === "FAILED" && !exec.cancelled ? `\n${exec.outcome.reason}` : ""}`);
  }
  const table = exec.outcome.result;
  const maxResults = input["MaxResults"] ?? 1000;
  if (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > 1000) {
    throw invalidRequest(`1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  const cap = Math.min(maxResults as number, state.config?.PageSize ?? pageSize ?? 1000);
  let offset = 0;
  const token = input["NextToken"];
  if (token !== undefined) {
    const text = typeof token === "string" ? Buffer.from(token, "base64").toString("utf8") : "";
    const [prefix, id, at] = text.split("|");
    if (`${prefix}|` !== `${TOKEN_PREFIX}|` || id !== exec.id || !/^\d+$/.test(at ?? "")) throw invalidRequest("The NextToken is not valid for this query.");
    offset = Number(at);
  }
  // Row 0 is the header; the rows of the result follow.
  const all = [table.columns.map((c) => c.name as string | undefined), ...table.rows];
  const end = Math.min(all.length, offset + cap);
  const rows = all.slice(offset, end).map((cells) => ({ Data: cells.map((cell) => (cell === undefined ? {} : { VarCharValue: cell })) }));
  const reply: Record<string, unknown> = {
    UpdateCount: 0,
    ResultSet: {
      Rows: rows,
      ResultSetMetadata: {
        ColumnInfo: table.columns.map((c) => ({
          CatalogName: "hive",
          SchemaName: "",
          TableName: "",
          Name: c.name,
          Label: c.name,
          Type: c.type,
          Precision: c.type === "varchar" ? 2147483647 : c.type === "bigint" ? 19 : 0,
          Scale: 0,
          Nullable: "UNKNOWN",
          CaseSensitive: c.type === "varchar",
        })),
      },
    },
  };
  if (end < all.length) reply["NextToken"] = Buffer.from(`${TOKEN_PREFIX}|${exec.id}|${end}`).toString("base64");
  return jsonReply(reply);
}

function stopQueryExecution(state: AthenaState, input: Record<string, unknown>): Reply {
  const exec = execution(state, input);
  const current = stateOf(state, exec);
  if (current === "QUEUED" || current === "RUNNING") exec.cancelled = true;
  return jsonReply({});
}

// ---- The fact table, computed apart from the SQL and the file reader ----

const COLUMNS = [
  { name: "calleraccount", type: "varchar" },
  { name: "callerprincipal", type: "varchar" },
  { name: "callerarn", type: "varchar" },
  { name: "keyarn", type: "varchar" },
  { name: "keyowneraccount", type: "varchar" },
  { name: "eventname", type: "varchar" },
  { name: "vias3", type: "boolean" },
  { name: "errorcode", type: "varchar" },
  { name: "count", type: "bigint" },
  { name: "firsttime", type: "varchar" },
  { name: "lasttime", type: "varchar" },
  { name: "records", type: "bigint" },
];

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A text field: the string, else "" (a missing or non-text field). */
function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

interface Group {
  key: [string, string, string, string, string, string, boolean, string | null];
  single: number;
  ownerCopies: number;
  otherCopies: number;
  first: { ms: number; text: string } | undefined;
  last: { ms: number; text: string } | undefined;
}

/**
 * The usage fact table over CloudTrail records: KMS records of the window [start, end), grouped by caller
 * account, principal (a service's name for AWSService calls without an account), ARN (the session issuer's
 * for an assumed role), key ARN and owner (the first resources[] entry that is a KMS key), event, whether S3
 * called (encryptionContext has "aws:s3:arn"), and error code. A group's count is its records without a
 * sharedEventID, plus the greater of the shared copies the key owner received and those anyone else received.
 */
export function usageResult(records: readonly CloudTrailRecord[], start: number | undefined, end: number | undefined): ResultTable {
  const groups = new Map<string, Group>();
  let total = 0;
  for (const record of records) {
    if (record["eventSource"] !== "kms.amazonaws.com") continue;
    const time = typeof record["eventTime"] === "string" ? record["eventTime"] : undefined;
    const ms = time === undefined ? NaN : Date.parse(time);
    if ((start !== undefined && !(ms >= start)) || (end !== undefined && !(ms < end))) continue;
    total++;

    const identity = object(record["userIdentity"]);
    const account = text(identity?.["accountId"]);
    let principal = text(identity?.["principalId"]);
    if (identity?.["type"] === "AWSService" && account === "") principal = text(identity["invokedBy"]) || principal || text(record["sourceIPAddress"]);
    const issuer = text(object(object(identity?.["sessionContext"])?.["sessionIssuer"])?.["arn"]);
    const callerArn = identity?.["type"] === "AssumedRole" && issuer !== "" ? issuer : text(identity?.["arn"]);

    const resources = Array.isArray(record["resources"]) ? (record["resources"] as unknown[]) : [];
    const key = resources.map(object).find((r) => r !== undefined && (r["type"] === "AWS::KMS::Key" || (text(r["ARN"]).includes(":kms:") && text(r["ARN"]).includes(":key/"))));
    const keyArn = text(key?.["ARN"]);
    const keyOwner = text(key?.["accountId"]) || (keyArn.split(":")[4] ?? "");

    const context = object(object(record["requestParameters"])?.["encryptionContext"]);
    const viaS3 = context !== undefined && "aws:s3:arn" in context;
    const groupKey: Group["key"] = [account, principal, callerArn, keyArn, keyOwner, text(record["eventName"]), viaS3, typeof record["errorCode"] === "string" ? record["errorCode"] : null];
    const id = JSON.stringify(groupKey);
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key: groupKey, single: 0, ownerCopies: 0, otherCopies: 0, first: undefined, last: undefined }));
    const recipient = text(record["recipientAccountId"]);
    if (text(record["sharedEventID"]) === "") group.single++;
    else if (recipient !== "" && recipient === keyOwner) group.ownerCopies++;
    else group.otherCopies++;
    if (time !== undefined && !Number.isNaN(ms)) {
      if (!group.first || ms < group.first.ms || (ms === group.first.ms && time < group.first.text)) group.first = { ms, text: time };
      if (!group.last || ms > group.last.ms || (ms === group.last.ms && time > group.last.text)) group.last = { ms, text: time };
    }
  }
  const sorted = [...groups.values()]
    .map((g) => ({ ...g, count: g.single + Math.max(g.ownerCopies, g.otherCopies) }))
    .sort((a, b) => b.count - a.count || compareKeys(a.key, b.key));
  return {
    columns: COLUMNS,
    rows: sorted.map((g) => [
      ...g.key.slice(0, 6).map((v) => String(v)),
      String(g.key[6]),
      g.key[7] ?? undefined,
      String(g.count),
      g.first?.text,
      g.last?.text,
      String(total),
    ]),
  };
}

/** Ascending, field by field; false before true; a null error code first. */
function compareKeys(a: Group["key"], b: Group["key"]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === "boolean") return x ? 1 : -1;
    return (x as string) < (y as string) ? -1 : 1;
  }
  return 0;
}
