/**
 * `kmslint usage --athena-table`: the usage fact table computed by Athena (issue 8, part 4). Starts the query of
 * ./athena-sql.ts (StartQueryExecution), waits for it (GetQueryExecution, with a backoff from `pollMs` up to
 * 5 s), and reads its result pages (GetQueryResults, NextToken) into UsageFacts.
 *
 * - `records`: the KMS records of the window in the table, copies of shared events included (the query's
 *   `records` column, a window sum over every group): what the file reader counts as "KMS records read".
 * - `files`: 0. Athena reads the log files, kmslint does not see them.
 *
 * The calls are reads, but for two: StartQueryExecution runs the query (Athena bills the data it scans and
 * writes the result to the output location), and StopQueryExecution, sent only when `signal` aborts while
 * the query runs, stops that same query, never another one. Credentials, region and endpoint are the SDK's
 * (`profile`, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL), as in `kmslint audit`. The SDK is loaded when the
 * function runs: the CLI imports this module only for `--athena-table`.
 */
import * as athena from "@aws-sdk/client-athena";
import type { AthenaClient, GetQueryExecutionCommand, GetQueryExecutionCommandOutput, GetQueryResultsCommandOutput } from "@aws-sdk/client-athena";
import type { UsageFacts, UsageRow } from "./facts.js";
import { USAGE_SQL_COLUMNS, usageSql } from "./athena-sql.js";

export interface AthenaUsageOptions {
  table: string;
  database: string;
  workgroup?: string;
  /** `s3://bucket/prefix/` for the result files; absent: the workgroup's. */
  outputLocation?: string;
  region?: string;
  profile?: string;
  start?: Date;
  end?: Date;
  /** First wait between GetQueryExecution polls (default 1000 ms); each wait is 1.5 times the last, at most 5 s. */
  pollMs?: number;
  /** Aborting stops the query (StopQueryExecution) and rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?: (state: string, stats?: { dataScannedBytes?: number; elapsedMs?: number }) => void;
}

export type AthenaUsageResult = UsageFacts & { queryExecutionId: string; dataScannedBytes?: number };

/** A query that ended FAILED or CANCELLED (not by our abort). */
export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryExecutionId: string,
    readonly state: string,
  ) {
    super(message);
    this.name = "AthenaQueryError";
  }
}

const MAX_POLL_MS = 5000;

export async function runAthenaUsage(options: AthenaUsageOptions): Promise<AthenaUsageResult> {
  const sql = usageSql({ table: options.table, database: options.database, ...(options.start ? { start: options.start } : {}), ...(options.end ? { end: options.end } : {}) });
  const { signal } = options;
  signal?.throwIfAborted();
  const client: AthenaClient = new athena.AthenaClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  try {
    const started = await client.send(
      new athena.StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: options.database },
        ...(options.workgroup ? { WorkGroup: options.workgroup } : {}),
        ...(options.outputLocation ? { ResultConfiguration: { OutputLocation: options.outputLocation } } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    const id = started.QueryExecutionId;
    if (!id) throw new Error("Athena StartQueryExecution returned no QueryExecutionId");

    let execution: GetQueryExecutionCommandOutput["QueryExecution"];
    try {
      execution = await waitForQuery(client, athena.GetQueryExecutionCommand, id, options);
    } catch (error) {
      if (signal?.aborted) {
        // Our own query: stop it so that it scans (and bills) no more. Best effort; the abort is what is reported.
        await client.send(new athena.StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      }
      throw error;
    }
    const dataScannedBytes = execution?.Statistics?.DataScannedInBytes;

    const rows: UsageRow[] = [];
    let records = 0;
    let columns: Map<string, number> | undefined;
    let nextToken: string | undefined;
    do {
      const page: GetQueryResultsCommandOutput = await client.send(
        new athena.GetQueryResultsCommand({ QueryExecutionId: id, ...(nextToken ? { NextToken: nextToken } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      let data = page.ResultSet?.Rows ?? [];
      if (!columns) {
        // The first row of the first page is the header (the column labels).
        const header = data[0]?.Data?.map((cell) => (cell.VarCharValue ?? "").toLowerCase()) ?? [];
        columns = columnIndex(header, id);
        data = data.slice(1);
      }
      for (const row of data) {
        const values = row.Data?.map((cell) => cell.VarCharValue) ?? [];
        const parsed = usageRow(values, columns, id);
        rows.push(parsed.row);
        records = parsed.records;
      }
      nextToken = page.NextToken;
    } while (nextToken);

    return { records, files: 0, rows, queryExecutionId: id, ...(dataScannedBytes !== undefined ? { dataScannedBytes } : {}) };
  } finally {
    client.destroy();
  }
}

type GetQueryExecutionCtor = typeof GetQueryExecutionCommand;

/** Polls until the query ends; the execution when SUCCEEDED, an AthenaQueryError when FAILED or CANCELLED. */
async function waitForQuery(client: AthenaClient, Command: GetQueryExecutionCtor, id: string, options: AthenaUsageOptions) {
  const { signal } = options;
  let wait = Math.max(1, options.pollMs ?? 1000);
  const began = Date.now();
  for (;;) {
    const answer = await client.send(new Command({ QueryExecutionId: id }), signal ? { abortSignal: signal } : {});
    const execution = answer.QueryExecution;
    const state = execution?.Status?.State ?? "UNKNOWN";
    const stats = execution?.Statistics;
    const elapsedMs = stats?.TotalExecutionTimeInMillis ?? stats?.EngineExecutionTimeInMillis ?? Date.now() - began;
    options.onProgress?.(state, { ...(stats?.DataScannedInBytes !== undefined ? { dataScannedBytes: stats.DataScannedInBytes } : {}), elapsedMs });
    if (state === "SUCCEEDED") return execution;
    if (state === "FAILED" || state === "CANCELLED") {
      const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage;
      throw new AthenaQueryError(`Athena query ${id} ${state === "FAILED" ? "failed" : "was cancelled"}${reason ? `: ${reason}` : ""}`, id, state);
    }
    await sleep(wait, signal);
    wait = Math.min(MAX_POLL_MS, Math.ceil(wait * 1.5));
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function columnIndex(header: string[], id: string): Map<string, number> {
  const index = new Map<string, number>();
  for (const [label] of USAGE_SQL_COLUMNS) {
    const at = header.indexOf(label);
    if (at < 0) throw new Error(`Athena query ${id}: the result has no column "${label}" (columns: ${header.join(", ")})`);
    index.set(label, at);
  }
  return index;
}

/** One result row back into UsageRow types: count a number, viaS3 a boolean, a missing errorCode null. */
function usageRow(values: (string | undefined)[], columns: Map<string, number>, id: string): { row: UsageRow; records: number } {
  const text = (label: string) => values[columns.get(label)!];
  const whole = (label: string): number => {
    const value = text(label);
    const n = value === undefined ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Athena query ${id}: "${label}" is not a count: ${JSON.stringify(value)}`);
    return n;
  };
  const vias3 = text("vias3");
  if (vias3 !== "true" && vias3 !== "false") throw new Error(`Athena query ${id}: "vias3" is not true or false: ${JSON.stringify(vias3)}`);
  const row: UsageRow = {
    callerAccount: text("calleraccount") ?? "",
    callerPrincipal: text("callerprincipal") ?? "",
    callerArn: text("callerarn") ?? "",
    keyArn: text("keyarn") ?? "",
    keyOwnerAccount: text("keyowneraccount") ?? "",
    eventName: text("eventname") ?? "",
    viaS3: vias3 === "true",
    errorCode: text("errorcode") ?? null,
    count: whole("count"),
    firstTime: text("firsttime") ?? "",
    lastTime: text("lasttime") ?? "",
  };
  return { row, records: whole("records") };
}
