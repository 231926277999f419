/**
 * The fake Athena through the real client: query executions QUEUED → RUNNING → SUCCEEDED over polls, result
 * pages with the header row and NextToken, FAILED and CANCELLED queries, Athena's InvalidRequestException, the
 * snapshot's faults, the check of the snapshot's Athena section, and the fact table it computes from records.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type Row,
} from "@aws-sdk/client-athena";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeAws, type AccountSnapshot, type CloudTrailRecord, type FakeAws, type FakeAwsOptions, type SnapshotAthena } from "../../src/fake-aws/index.js";
import { usageResult } from "../../src/fake-aws/athena.js";
import { usageSql } from "../../src/usage/athena-sql.js";
import { accountSnapshot, clientConfig, rejection } from "./fixtures/clients.js";

const HUB = "111122223333";
const SPOKE = "444455556666";
const KEY = `arn:aws:kms:us-east-1:${HUB}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ROLE = { type: "AssumedRole", principalId: "AROASPOKE:etl", arn: `arn:aws:sts::${SPOKE}:assumed-role/reader/etl`, accountId: SPOKE, sessionContext: { sessionIssuer: { type: "Role", arn: `arn:aws:iam::${SPOKE}:role/reader` } } };

function record(time: string, extra: Record<string, unknown> = {}): CloudTrailRecord {
  return {
    eventTime: time,
    eventSource: "kms.amazonaws.com",
    eventName: "Decrypt",
    userIdentity: ROLE,
    requestParameters: { encryptionContext: { "aws:s3:arn": "arn:aws:s3:::hub/a" } },
    resources: [{ accountId: HUB, type: "AWS::KMS::Key", ARN: KEY }],
    recipientAccountId: HUB,
    ...extra,
  };
}

const RECORDS: CloudTrailRecord[] = [
  record("2026-11-01T10:00:00Z", { sharedEventID: "s1" }),
  record("2026-11-01T10:00:00Z", { sharedEventID: "s1", recipientAccountId: SPOKE }),
  record("2026-11-01T11:00:00Z", { sharedEventID: "s2", recipientAccountId: SPOKE }),
  record("2026-11-01T12:00:00Z", { errorCode: "AccessDenied", requestParameters: {} }),
  record("2026-11-01T13:00:00Z", { errorCode: "AccessDenied", requestParameters: {} }),
  record("2026-11-01T14:00:00Z", { eventName: "GenerateDataKey" }),
  record("2026-11-01T15:00:00Z", { eventSource: "s3.amazonaws.com" }),
  record("2026-11-05T00:00:00Z", { eventName: "Encrypt" }),
];
const QUERY = usageSql({ table: "logs", database: "trail", start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-11-02T00:00:00Z") });
const OUTPUT = "s3://results-bucket/athena";

function snapshot(athena: Partial<SnapshotAthena> = {}): AccountSnapshot {
  return { ...accountSnapshot(), Athena: { Tables: { "trail.logs": RECORDS }, ...athena } };
}

let fake: FakeAws | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(athena: Partial<SnapshotAthena> = {}, options: Omit<FakeAwsOptions, "snapshot"> = {}, change?: (s: AccountSnapshot) => void): Promise<AthenaClient> {
  const own = snapshot(athena);
  change?.(own);
  fake = await startFakeAws({ ...options, snapshot: own });
  return new AthenaClient(clientConfig(fake));
}

async function startQuery(client: AthenaClient, query = QUERY): Promise<string> {
  const started = await client.send(new StartQueryExecutionCommand({ QueryString: query, QueryExecutionContext: { Database: "trail" }, ResultConfiguration: { OutputLocation: OUTPUT } }));
  return started.QueryExecutionId!;
}

async function poll(client: AthenaClient, id: string) {
  return (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!;
}

const cells = (rows: Row[] | undefined) => (rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));

describe("fake Athena", () => {
  it("goes QUEUED → RUNNING → SUCCEEDED over GetQueryExecution calls, with statistics and the query's settings", async () => {
    const client = await serve({ QueuedPolls: 1, RunningPolls: 2 });
    const id = await startQuery(client);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push((await poll(client, id)).Status!.State!);
    expect(seen).toEqual(["QUEUED", "RUNNING", "RUNNING", "SUCCEEDED", "SUCCEEDED"]);
    const done = await poll(client, id);
    expect(done).toMatchObject({
      QueryExecutionId: id,
      Query: QUERY,
      StatementType: "DML",
      WorkGroup: "primary",
      QueryExecutionContext: { Database: "trail", Catalog: "AwsDataCatalog" },
      ResultConfiguration: { OutputLocation: `${OUTPUT}/${id}.csv` },
    });
    expect(done.Status!.SubmissionDateTime).toBeInstanceOf(Date);
    expect(done.Status!.CompletionDateTime!.getTime()).toBeGreaterThan(done.Status!.SubmissionDateTime!.getTime());
    expect(done.Statistics!.DataScannedInBytes).toBe(RECORDS.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0));
    client.destroy();
  });

  it("pages the result: the header row first, MaxResults rows a page, NULL as a cell without VarCharValue", async () => {
    const client = await serve({ QueuedPolls: 0, RunningPolls: 0 });
    const id = await startQuery(client);
    await poll(client, id);
    const first = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 2 }));
    expect(cells(first.ResultSet!.Rows)).toEqual([
      ["calleraccount", "callerprincipal", "callerarn", "keyarn", "keyowneraccount", "eventname", "vias3", "errorcode", "count", "firsttime", "lasttime", "records"],
      [SPOKE, "AROASPOKE:etl", `arn:aws:iam::${SPOKE}:role/reader`, KEY, HUB, "Decrypt", "false", "AccessDenied", "2", "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z", "6"],
    ]);
    expect(first.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => `${c.Name}:${c.Type}`)).toEqual([
      "calleraccount:varchar", "callerprincipal:varchar", "callerarn:varchar", "keyarn:varchar", "keyowneraccount:varchar", "eventname:varchar",
      "vias3:boolean", "errorcode:varchar", "count:bigint", "firsttime:varchar", "lasttime:varchar", "records:bigint",
    ]);
    expect(first.NextToken).toBeDefined();
    const second = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 2, NextToken: first.NextToken }));
    // The shared event s1 (both copies) and s2 (the spoke's copy only): max(1 owner copy, 2 other copies) = 2.
    expect(cells(second.ResultSet!.Rows)).toEqual([
      [SPOKE, "AROASPOKE:etl", `arn:aws:iam::${SPOKE}:role/reader`, KEY, HUB, "Decrypt", "true", null, "2", "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z", "6"],
      [SPOKE, "AROASPOKE:etl", `arn:aws:iam::${SPOKE}:role/reader`, KEY, HUB, "GenerateDataKey", "true", null, "1", "2026-11-01T14:00:00Z", "2026-11-01T14:00:00Z", "6"],
    ]);
    expect(second.NextToken).toBeUndefined();
    const whole = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(whole.ResultSet!.Rows).toHaveLength(4);
    expect(whole.NextToken).toBeUndefined();
    client.destroy();
  });

  it("caps pages by the snapshot's PageSize or the server's pageSize", async () => {
    for (const [athena, options] of [[{ PageSize: 2 }, {}], [{}, { pageSize: 2 }]] as const) {
      const client = await serve({ QueuedPolls: 0, RunningPolls: 0, ...athena }, options);
      const id = await startQuery(client);
      await poll(client, id);
      let token: string | undefined;
      const sizes: number[] = [];
      do {
        const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
        sizes.push(page.ResultSet!.Rows!.length);
        token = page.NextToken;
      } while (token);
      expect(sizes).toEqual([2, 2]);
      client.destroy();
      await fake!.close();
    }
  });

  it("answers InvalidRequestException for an unknown query, an unfinished one, a bad token, no output location", async () => {
    const client = await serve({ QueuedPolls: 1, RunningPolls: 1 });
    const unknown = await rejection(client.send(new GetQueryExecutionCommand({ QueryExecutionId: "no-such-query" })));
    expect(unknown).toBeInstanceOf(InvalidRequestException);
    expect(unknown.message).toBe("QueryExecution no-such-query was not found");
    expect(await rejection(client.send(new StopQueryExecutionCommand({ QueryExecutionId: "no-such-query" })))).toBeInstanceOf(InvalidRequestException);

    const id = await startQuery(client);
    expect((await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: id })))).message).toBe("Query has not yet finished. Current state: QUEUED");
    await poll(client, id);
    await poll(client, id);
    expect((await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: id })))).message).toBe("Query has not yet finished. Current state: RUNNING");
    await poll(client, id);
    const badToken = await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: "bm90LWEtdG9rZW4=" })));
    expect(badToken).toBeInstanceOf(InvalidRequestException);

    const noOutput = await rejection(client.send(new StartQueryExecutionCommand({ QueryString: QUERY })));
    expect(noOutput).toBeInstanceOf(InvalidRequestException);
    expect(noOutput.message).toMatch(/^No output location provided/);
    expect(fake!.calls.map((c) => `${c.service} ${c.operation} ${c.status} ${c.errorCode ?? ""}`.trim())).toEqual([
      "athena GetQueryExecution 400 InvalidRequestException",
      "athena StopQueryExecution 400 InvalidRequestException",
      "athena StartQueryExecution 200",
      "athena GetQueryResults 400 InvalidRequestException",
      "athena GetQueryExecution 200",
      "athena GetQueryExecution 200",
      "athena GetQueryResults 400 InvalidRequestException",
      "athena GetQueryExecution 200",
      "athena GetQueryResults 400 InvalidRequestException",
      "athena StartQueryExecution 400 InvalidRequestException",
    ]);
    expect(fake!.calls[4]!.resource).toBe(id);
    client.destroy();
  });

  it("a workgroup output location makes ResultConfiguration optional", async () => {
    const client = await serve({ WorkGroupOutputLocation: "s3://wg-results/" });
    const started = await client.send(new StartQueryExecutionCommand({ QueryString: QUERY, WorkGroup: "analytics" }));
    const execution = await poll(client, started.QueryExecutionId!);
    expect(execution.ResultConfiguration!.OutputLocation).toBe(`s3://wg-results/${started.QueryExecutionId}.csv`);
    expect(execution.WorkGroup).toBe("analytics");
    client.destroy();
  });

  it("ends FAILED with a reason: the snapshot's Failures, a missing table, a query that is not kmslint's", async () => {
    const client = await serve({ QueuedPolls: 0, RunningPolls: 0, Failures: [{ QueryContains: "GENERIC_INTERNAL", Reason: "GENERIC_INTERNAL_ERROR: boom" }] });
    const failing = await startQuery(client, `${QUERY}\n-- GENERIC_INTERNAL`);
    const status = (await poll(client, failing)).Status!;
    expect(status).toMatchObject({ State: "FAILED", StateChangeReason: "GENERIC_INTERNAL_ERROR: boom", AthenaError: { ErrorMessage: "GENERIC_INTERNAL_ERROR: boom", Retryable: false } });
    expect((await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: failing })))).message).toBe("Query did not finish successfully. Final query state: FAILED\nGENERIC_INTERNAL_ERROR: boom");

    const missing = await startQuery(client, usageSql({ table: "other", database: "trail" }));
    expect((await poll(client, missing)).Status!.StateChangeReason).toBe("TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.trail.other' does not exist");
    // The context database names the table when the query does not.
    const contextDb = await startQuery(client, usageSql({ table: "logs" }));
    expect((await poll(client, contextDb)).Status!.State).toBe("SUCCEEDED");
    const foreign = await startQuery(client, "SELECT 1");
    expect((await poll(client, foreign)).Status).toMatchObject({ State: "FAILED", StateChangeReason: expect.stringMatching(/^NOT_SUPPORTED: the fake Athena runs only kmslint's usage query/) });
    client.destroy();
  });

  it("StopQueryExecution cancels a running query; results of a cancelled query are an error; stopping an ended one changes nothing", async () => {
    const client = await serve({ QueuedPolls: 1, RunningPolls: 5 });
    const id = await startQuery(client);
    await poll(client, id);
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    expect((await poll(client, id)).Status).toMatchObject({ State: "CANCELLED", StateChangeReason: "Query was cancelled by user" });
    expect((await rejection(client.send(new GetQueryResultsCommand({ QueryExecutionId: id })))).message).toBe("Query did not finish successfully. Final query state: CANCELLED");
    client.destroy();
    await fake!.close();

    const again = await serve({ QueuedPolls: 0, RunningPolls: 0 });
    const done = await startQuery(again);
    await poll(again, done);
    await again.send(new StopQueryExecutionCommand({ QueryExecutionId: done }));
    expect((await poll(again, done)).Status!.State).toBe("SUCCEEDED");
    again.destroy();
  });

  it("injects the snapshot's faults as Athena's errors", async () => {
    const client = await serve({}, {}, (s) => {
      s.Faults = [
        { Operation: "StartQueryExecution", Error: "AccessDenied", Count: 1 },
        { Operation: "GetQueryExecution", Error: "Throttling", Count: 1 },
      ];
    });
    const denied = await rejection(startQuery(client));
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.message).toMatch(/is not authorized to perform: athena:StartQueryExecution/);
    const id = await startQuery(client);
    expect(await rejection(poll(client, id))).toBeInstanceOf(TooManyRequestsException);
    expect((await poll(client, id)).Status!.State).toBe("QUEUED");
    client.destroy();
  });

  it("refuses a snapshot whose Athena section is wrong, naming the field", async () => {
    const bad = (athena: unknown) => startFakeAws({ snapshot: { ...accountSnapshot(), Athena: athena as SnapshotAthena } });
    await expect(bad({})).rejects.toThrow("Invalid snapshot: Athena.Tables must be an object of database.table → records");
    await expect(bad({ Tables: { logs: [] } })).rejects.toThrow('Athena.Tables["logs"] must be named database.table');
    await expect(bad({ Tables: { "a.b": [1] } })).rejects.toThrow('Athena.Tables["a.b"][0] must be an object');
    await expect(bad({ Tables: {}, PageSize: 1 })).rejects.toThrow("Athena.PageSize must be a whole number from 2");
  });
});

describe("the fake's fact table (usageResult)", () => {
  it("keeps the window [start, end), groups, counts shared copies once and totals every KMS copy", () => {
    const result = usageResult(RECORDS, Date.parse("2026-11-01T00:00:00Z"), Date.parse("2026-11-02T00:00:00Z"));
    expect(result.rows.map((r) => [r[5], r[6], r[7], r[8], r[11]])).toEqual([
      ["Decrypt", "false", "AccessDenied", "2", "6"],
      ["Decrypt", "true", undefined, "2", "6"],
      ["GenerateDataKey", "true", undefined, "1", "6"],
    ]);
    // Without a window: the Encrypt of 2026-11-05 too; the S3 record never.
    expect(usageResult(RECORDS, undefined, undefined).rows.map((r) => `${r[5]} ${r[8]}`)).toEqual(["Decrypt 2", "Decrypt 2", "Encrypt 1", "GenerateDataKey 1"]);
  });
});
