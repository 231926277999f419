/**
 * The CloudTrail reader and aggregator (issue 8, parts 1 and 2). Generated trees are compared with the table
 * the generator booked while making up the calls (src/usage/generate.ts never reads its files back), so every
 * row, count, first and last time is asserted exactly; hand-written records pin the field rules of
 * AWS-FACTS.md §8.2 one by one. Worker threads are tested through the real worker entry, bundled with esbuild
 * into a temporary folder as scripts/build.mjs bundles it (vitest runs the TypeScript sources, which a worker
 * thread cannot load).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageRow } from "../../src/usage/facts.js";
import { aggregateUsage, compareRows, findLogFiles, usageWorkerCount } from "../../src/usage/aggregate.js";
import { generateTrail, type GenerateOptions } from "../../src/usage/generate.js";
import { folderMayHoldWindow, toTuple, UsageAggregator, type GroupTuple } from "../../src/usage/read.js";

const root = mkdtempSync(join(tmpdir(), "kmslint-usage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string) => {
  const dir = join(root, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const BASE: GenerateOptions = {
  seed: 42,
  accounts: 4,
  days: 3,
  filesPerDay: 6,
  recordsPerFile: 120,
  kmsShare: 0.45,
  errorShare: 0.12,
  gzip: true,
  organizationLayout: true,
  start: new Date("2024-02-28T00:00:00Z"),
  regions: ["us-east-1", "eu-west-1"],
};

const DAY = 86_400_000;

describe("generated trees: exact fact tables", () => {
  let dir: string;
  let generated: Awaited<ReturnType<typeof generateTrail>>;
  let bad: string[];
  beforeAll(async () => {
    dir = fresh("org");
    generated = await generateTrail(dir, BASE);
    // Files that cannot be read, among the real ones: their records must not be counted, the rest must.
    const some = generated.files[3]!;
    const folder = dirname(some);
    const whole = readFileSync(generated.files[5]!);
    bad = [
      join(folder, "111122223333_CloudTrail_us-east-1_20240228T0100Z_TRUNCATEDtruncat.json.gz"),
      join(folder, "111122223333_CloudTrail_us-east-1_20240228T0105Z_MALFORMEDmalform.json"),
      join(folder, "not-cloudtrail.json"),
      join(folder, "empty.json"),
      join(folder, "binary.json.gz"),
    ];
    writeFileSync(bad[0]!, whole.subarray(0, Math.floor(whole.length / 2)));
    writeFileSync(bad[1]!, `{"Records":[${JSON.stringify({ eventSource: "kms.amazonaws.com", eventName: "Decrypt", eventTime: "2024-02-28T00:10:00Z" })},{"eventSource":`);
    writeFileSync(bad[2]!, JSON.stringify({ Version: "2012-10-17", Statement: [] }));
    writeFileSync(bad[3]!, "");
    writeFileSync(bad[4]!, Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x10]));
    writeFileSync(join(folder, "README.txt"), "not a log");
  });

  it("counts every call once, with the generator's rows, records and files, and reports the bad files", async () => {
    const result = await aggregateUsage([dir], { workers: 1 });
    expect(generated.facts.rows.length).toBeGreaterThan(100);
    expect(result.rows).toEqual(generated.facts.rows);
    expect(result.records).toBe(generated.facts.records);
    expect(result.records).toBe(generated.kmsRecords);
    expect(result.files).toBe(generated.files.length);
    expect(result.skippedFiles).toBe(generated.digestFiles + 1); // the digests and README.txt
    expect(result.problems.map((p) => p.file)).toEqual([...bad].sort());
    const message = (file: string) => result.problems.find((p) => p.file === file)!.message;
    expect(message(bad[0]!)).toMatch(/^truncated gzip \(the data ends at byte \d+ .*whole file is skipped/);
    expect(message(bad[1]!)).toMatch(/^malformed JSON \(.*\); the whole file is skipped/);
    expect(message(bad[2]!)).toBe('not a CloudTrail log file: the JSON is not {"Records": [...]}');
    expect(message(bad[3]!)).toMatch(/^empty file/);
    expect(message(bad[4]!)).toMatch(/^(binary content|corrupt gzip)/);
  });

  it("the tree has what the tests rely on: copies in both accounts, failures, noise, old events, services", async () => {
    const rows = generated.facts.rows;
    const sum = rows.reduce((n, r) => n + r.count, 0);
    expect(generated.facts.records).toBeGreaterThan(sum); // cross-account calls were written twice
    expect(generated.totalRecords).toBeGreaterThan(generated.kmsRecords * 1.5); // noise
    expect(rows.some((r) => r.errorCode === "AccessDenied")).toBe(true);
    expect(rows.some((r) => r.errorCode === "IncorrectKeyException")).toBe(true);
    expect(rows.some((r) => r.viaS3 && r.callerAccount !== r.keyOwnerAccount)).toBe(true);
    expect(rows.some((r) => r.callerAccount === "" && r.callerPrincipal === "cloudtrail.amazonaws.com")).toBe(true);
    expect(rows.some((r) => r.keyArn === "" && r.eventName === "ListAliases")).toBe(true);
    for (const e of ["Decrypt", "GenerateDataKey", "Encrypt", "ReEncrypt", "CreateGrant", "DescribeKey"]) expect(rows.some((r) => r.eventName === e)).toBe(true);
    expect(readFileSync(generated.files[0]!)[0]).toBe(0x1f); // gzip
    expect(generated.files.some((f) => f.includes(`${sep}2024${sep}03${sep}02${sep}`))).toBe(true); // the last slot of the last day is delivered the next day
    expect(generated.files[0]!.split(sep).slice(-9, -4)).toEqual(["AWSLogs", expect.stringMatching(/^o-[a-z0-9]{10}$/), generated.accounts[0]!, "CloudTrail", "us-east-1"]);
    expect(generated.files.every((f) => /\/\d{12}_CloudTrail_[a-z]{2}-[a-z]+-\d_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/.test(f))).toBe(true);
  });

  it("gives identical results with 1 and 2 worker threads (the bundled worker entry)", async () => {
    const out = fresh("worker");
    await build({ entryPoints: { "kmslint-usage-worker": "src/usage/usage-worker.ts" }, bundle: true, format: "esm", platform: "node", target: "node20", outdir: out, logLevel: "warning" });
    writeFileSync(join(out, "package.json"), '{"type":"module"}');
    const workerScript = join(out, "kmslint-usage-worker.js");
    const progress: number[] = [];
    const one = await aggregateUsage([dir], { workers: 1 });
    const two = await aggregateUsage([dir], { workers: 2, workerScript, onProgress: (p) => progress.push(p.filesDone) });
    expect(two.workers).toBe(2);
    expect({ ...two, workers: 1 }).toEqual(one);
    expect(progress.at(-1)).toBe(generated.files.length + bad.length);
    // Three workers and a different split: still the same.
    const three = await aggregateUsage([join(dir, "AWSLogs")], { workers: 3, workerScript });
    expect(three.rows).toEqual(one.rows);
    expect(three.records).toBe(one.records);
  });

  it("filters by eventTime and skips day folders wholly outside the widened window", async () => {
    const start = new Date("2024-03-01T02:30:00Z");
    const end = new Date("2024-03-01T20:15:00Z");
    const dir = fresh("window");
    const windowed = await generateTrail(dir, { ...BASE, window: { start, end } });
    const result = await aggregateUsage([dir], { start, end, workers: 1 });
    expect(windowed.facts.rows.length).toBeGreaterThan(20);
    expect(windowed.facts.records).toBeLessThan(windowed.kmsRecords);
    expect(result.rows).toEqual(windowed.facts.rows);
    expect(result.records).toBe(windowed.facts.records);
    for (const row of result.rows) {
      expect(Date.parse(row.firstTime)).toBeGreaterThanOrEqual(start.getTime());
      expect(Date.parse(row.lastTime)).toBeLessThan(end.getTime());
    }
    // Day folders 2024/02/28 … 03/02 (03/01's last files in 03/02): 02/28 ends more than a day before the start,
    // so is skipped; 02/29 (ending less than a day before), 03/01 and 03/02 (starting less than a day after the
    // end) are read.
    const read = windowed.files.filter((f) => !f.includes(`${sep}02${sep}28${sep}`));
    expect(result.files).toBe(read.length);
    expect(read.length).toBeLessThan(windowed.files.length);
    // The 02/28 folders are not opened: one per account and region.
    expect(result.foldersOutsideWindow).toBe(new Set(windowed.files.filter((f) => !read.includes(f)).map((f) => dirname(f))).size);
  });

  it("filters records near midnight by their time, not their folder", async () => {
    // The window starts exactly at a midnight: files of the previous day's last slot are in this day's folder.
    const start = new Date("2024-02-29T00:00:00Z");
    const end = new Date("2024-03-01T00:00:00Z");
    const dir = fresh("midnight");
    const windowed = await generateTrail(dir, { ...BASE, days: 3, filesPerDay: 3, window: { start, end } });
    const result = await aggregateUsage([dir], { start, end, workers: 1 });
    expect(result.rows).toEqual(windowed.facts.rows);
    expect(result.records).toBe(windowed.facts.records);
  });
});

describe("layouts and formats", () => {
  it("reads a one-account trail (the hub's), plain JSON, where cross-account calls come with one copy only", async () => {
    const dir = fresh("hub");
    const generated = await generateTrail(dir, { ...BASE, seed: 7, organizationLayout: false, gzip: false, regions: ["eu-central-1"], days: 2 });
    const result = await aggregateUsage([dir], { workers: 1 });
    expect(result.rows).toEqual(generated.facts.rows);
    expect(result.records).toBe(generated.facts.records);
    expect(result.files).toBe(generated.files.length);
    expect(generated.files.every((f) => f.includes(`${sep}AWSLogs${sep}${generated.accounts[0]}${sep}CloudTrail${sep}`) && f.endsWith(".json"))).toBe(true);
    expect(result.rows.some((r) => r.callerAccount !== r.keyOwnerAccount && r.keyOwnerAccount === generated.accounts[0])).toBe(true);
    expect(result.rows.some((r) => r.callerAccount === generated.accounts[0] && r.keyOwnerAccount !== generated.accounts[0] && r.keyOwnerAccount !== "")).toBe(true);
    // The sum of counts is the number of records: each call was delivered once to these logs.
    expect(result.rows.reduce((n, r) => n + r.count, 0)).toBe(result.records);
  });

  it("is deterministic from the seed, and a different seed gives different logs", async () => {
    const a = await generateTrail(fresh("seed"), { ...BASE, days: 1, regions: ["us-east-1"] });
    const b = await generateTrail(fresh("seed"), { ...BASE, days: 1, regions: ["us-east-1"] });
    const c = await generateTrail(fresh("seed"), { ...BASE, days: 1, regions: ["us-east-1"], seed: 43 });
    expect(b.facts).toEqual(a.facts);
    expect(b.bytes).toBe(a.bytes);
    expect(readFileSync(b.files[2]!)).toEqual(readFileSync(a.files[2]!));
    expect(c.facts).not.toEqual(a.facts);
  });

  it("skips digest and Insights folders, named or found, and reports missing paths", async () => {
    const dir = fresh("digest");
    const generated = await generateTrail(dir, { ...BASE, days: 1, regions: ["us-east-1"], accounts: 2 });
    const digest = join(dir, "AWSLogs", "123456789012", "CloudTrail-Digest", "us-east-1", "2024", "02", "28");
    const insight = join(dir, "AWSLogs", "123456789012", "CloudTrail-Insight", "us-east-1", "2024", "02", "28");
    mkdirSync(digest, { recursive: true });
    mkdirSync(insight, { recursive: true });
    copyFileSync(generated.files[0]!, join(digest, "a.json.gz"));
    copyFileSync(generated.files[0]!, join(insight, "b.json.gz"));
    const found = findLogFiles([dir, join(digest, "a.json.gz"), join(dir, "nowhere")]);
    expect(found.files.length).toBe(generated.files.length);
    expect(found.skipped).toBe(generated.digestFiles + 3);
    expect(found.missing).toEqual([join(dir, "nowhere")]);
    const result = await aggregateUsage([dir, join(dir, "nowhere")], { workers: 1 });
    expect(result.rows).toEqual(generated.facts.rows);
    expect(result.skippedFiles).toBe(generated.digestFiles + 2);
    expect(result.problems).toEqual([{ file: join(dir, "nowhere"), message: "no such file or folder" }]);
  });

  it("reads a .json.gz that was already decompressed, and a .json that is gzip", async () => {
    const dir = fresh("names");
    const text = JSON.stringify({ Records: [record({})] });
    writeFileSync(join(dir, "a.json.gz"), text);
    writeFileSync(join(dir, "b.json"), gzipSync(text));
    const result = await aggregateUsage([dir], { workers: 1 });
    expect(result.problems).toEqual([]);
    expect(result.files).toBe(2);
    expect(result.rows.map((r) => r.count)).toEqual([2]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The field rules, record by record

const HUB = "111122223333";
const SPOKE = "444455556666";
const KEY = `arn:aws:kms:us-east-1:${HUB}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const KEY2 = `arn:aws:kms:us-east-1:${HUB}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
const ROLE_SESSION = {
  type: "AssumedRole",
  principalId: "AROAEXAMPLEID:app-session",
  arn: `arn:aws:sts::${SPOKE}:assumed-role/App/app-session`,
  accountId: SPOKE,
  sessionContext: { sessionIssuer: { type: "Role", principalId: "AROAEXAMPLEID", arn: `arn:aws:iam::${SPOKE}:role/App`, accountId: SPOKE, userName: "App" } },
};

function record(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: ROLE_SESSION,
    eventTime: "2024-03-01T10:00:00Z",
    eventSource: "kms.amazonaws.com",
    eventName: "Decrypt",
    awsRegion: "us-east-1",
    requestParameters: { encryptionAlgorithm: "SYMMETRIC_DEFAULT", encryptionContext: { "aws:s3:arn": "arn:aws:s3:::lake/x" } },
    responseElements: null,
    eventID: "e1",
    readOnly: true,
    resources: [{ accountId: HUB, type: "AWS::KMS::Key", ARN: KEY }],
    eventType: "AwsApiCall",
    recipientAccountId: SPOKE,
    ...overrides,
  };
}

async function factsOf(records: unknown[], options: { start?: Date; end?: Date } = {}) {
  const dir = fresh("records");
  writeFileSync(join(dir, "log.json"), JSON.stringify({ Records: records }));
  const result = await aggregateUsage([dir], { ...options, workers: 1 });
  expect(result.problems).toEqual([]);
  return result;
}

const row = (fields: Partial<UsageRow>): UsageRow => ({
  callerAccount: SPOKE,
  callerPrincipal: "AROAEXAMPLEID:app-session",
  callerArn: `arn:aws:iam::${SPOKE}:role/App`,
  keyArn: KEY,
  keyOwnerAccount: HUB,
  eventName: "Decrypt",
  viaS3: true,
  errorCode: null,
  count: 1,
  firstTime: "2024-03-01T10:00:00Z",
  lastTime: "2024-03-01T10:00:00Z",
  ...fields,
});

describe("record fields (AWS-FACTS.md §8.2)", () => {
  it("takes the role from the session issuer, the key and its owner from resources[], viaS3 from the encryption context", async () => {
    const result = await factsOf([record({ requestParameters: { keyId: "alias/other", encryptionContext: { "aws:s3:arn": "arn:aws:s3:::lake/x" } } })]);
    expect(result.rows).toEqual([row({})]);
    expect(result.records).toBe(1);
  });

  it("counts a record without resources under an empty key", async () => {
    const r = record({ eventName: "ListAliases", requestParameters: null });
    delete r["resources"];
    const result = await factsOf([r]);
    expect(result.rows).toEqual([row({ eventName: "ListAliases", keyArn: "", keyOwnerAccount: "", viaS3: false })]);
  });

  it("reads old events whose resources have no type, the owner from the ARN when accountId is missing", async () => {
    const result = await factsOf([record({ eventVersion: "1.02", resources: [{ ARN: KEY }] }), record({ eventVersion: "1.02", resources: [{ ARN: KEY, accountId: HUB }] })]);
    expect(result.rows).toEqual([row({ count: 2 })]);
  });

  it("prefers the key to an alias named beside it, and takes the first of two keys (ReEncrypt)", async () => {
    const alias = `arn:aws:kms:us-east-1:${HUB}:alias/lake`;
    const result = await factsOf([
      record({ eventName: "Encrypt", resources: [{ accountId: HUB, type: "AWS::KMS::Alias", ARN: alias }, { accountId: HUB, type: "AWS::KMS::Key", ARN: KEY }] }),
      record({ eventName: "Encrypt", resources: [{ ARN: alias, accountId: HUB }, { ARN: KEY, accountId: HUB }] }),
      record({ eventName: "ReEncrypt", requestParameters: {}, resources: [{ accountId: HUB, type: "AWS::KMS::Key", ARN: KEY2 }, { accountId: HUB, type: "AWS::KMS::Key", ARN: KEY }] }),
    ]);
    expect(result.rows).toEqual([row({ eventName: "Encrypt", count: 2 }), row({ eventName: "ReEncrypt", keyArn: KEY2, viaS3: false })]);
  });

  it("names an AWS service calling on its own behalf by the service, with no account", async () => {
    const result = await factsOf([record({ userIdentity: { type: "AWSService", invokedBy: "cloudtrail.amazonaws.com" }, eventName: "GenerateDataKey", requestParameters: { keySpec: "AES_256" }, recipientAccountId: HUB })]);
    expect(result.rows).toEqual([row({ callerAccount: "", callerPrincipal: "cloudtrail.amazonaws.com", callerArn: "", eventName: "GenerateDataKey", viaS3: false })]);
  });

  it("takes an IAM user's own ARN, and the error code of a failed call", async () => {
    const user = { type: "IAMUser", principalId: "AIDAEXAMPLE", arn: `arn:aws:iam::${SPOKE}:user/deploy`, accountId: SPOKE };
    const result = await factsOf([
      record({ userIdentity: user, errorCode: "AccessDenied", errorMessage: "no" }),
      record({ userIdentity: user, errorCode: "AccessDenied", eventTime: "2024-03-01T09:00:00Z" }),
      record({ userIdentity: user, errorCode: "IncorrectKeyException", eventTime: "2024-03-01T11:00:00Z" }),
    ]);
    const base = { callerPrincipal: "AIDAEXAMPLE", callerArn: `arn:aws:iam::${SPOKE}:user/deploy` };
    expect(result.rows).toEqual([
      row({ ...base, errorCode: "AccessDenied", count: 2, firstTime: "2024-03-01T09:00:00Z" }),
      row({ ...base, errorCode: "IncorrectKeyException", firstTime: "2024-03-01T11:00:00Z", lastTime: "2024-03-01T11:00:00Z" }),
    ]);
  });

  it("ignores other services' records, including one that nests KMS-looking fields", async () => {
    const result = await factsOf([
      record({ eventSource: "s3.amazonaws.com", eventName: "GetObject" }),
      record({ eventSource: "ec2.amazonaws.com", additionalEventData: { eventSource: "kms.amazonaws.com" } }),
      "not a record",
      null,
    ]);
    expect(result.rows).toEqual([]);
    expect(result.records).toBe(0);
    expect(result.files).toBe(1);
  });

  it("filters by eventTime: start inclusive, end exclusive", async () => {
    const times = ["2024-03-01T09:59:59Z", "2024-03-01T10:00:00Z", "2024-03-01T10:30:00Z", "2024-03-01T11:00:00Z"];
    const result = await factsOf(
      times.map((t) => record({ eventTime: t })),
      { start: new Date("2024-03-01T10:00:00Z"), end: new Date("2024-03-01T11:00:00Z") },
    );
    expect(result.rows).toEqual([row({ count: 2, lastTime: "2024-03-01T10:30:00Z" })]);
    expect(result.records).toBe(2);
  });
});

describe("copies of cross-account calls (sharedEventID)", () => {
  const callerCopy = (id: string) => record({ sharedEventID: id, recipientAccountId: SPOKE });
  const ownerCopy = (id: string) => record({ sharedEventID: id, recipientAccountId: HUB, eventID: `${id}-owner` });

  it("counts a call delivered to both accounts once", async () => {
    const result = await factsOf([callerCopy("s1"), ownerCopy("s1"), callerCopy("s2"), ownerCopy("s2")]);
    expect(result.rows).toEqual([row({ count: 2 })]);
    expect(result.records).toBe(4);
  });

  it("counts calls seen only in the owner's log, or only in the caller's", async () => {
    expect((await factsOf([ownerCopy("s1"), ownerCopy("s2"), ownerCopy("s3")])).rows).toEqual([row({ count: 3 })]);
    expect((await factsOf([callerCopy("s1"), callerCopy("s2")])).rows).toEqual([row({ count: 2 })]);
  });

  it("counts the larger side when the logs overlap partly (documented undercount), plus records without a sharedEventID", async () => {
    // Three calls: s1 in both logs, s2 only in the owner's, s3 only in the caller's: 2 per side, so 2.
    const result = await factsOf([callerCopy("s1"), ownerCopy("s1"), ownerCopy("s2"), callerCopy("s3"), record({ recipientAccountId: HUB })]);
    expect(result.rows).toEqual([row({ count: 3 })]);
  });
});

describe("merging and order", () => {
  it("merges partial aggregates in any order to the same groups", () => {
    const parts: GroupTuple[][] = [];
    for (let p = 0; p < 3; p++) {
      const agg = new UsageAggregator();
      for (let i = 0; i < 20; i++) {
        agg.addRecord(record({ eventTime: `2024-03-0${1 + ((i + p) % 5)}T10:00:0${i % 10}Z`, sharedEventID: i % 3 === 0 ? `s${i}` : undefined, recipientAccountId: i % 2 ? HUB : SPOKE, eventName: i % 4 ? "Decrypt" : "Encrypt" }), undefined);
      }
      parts.push(agg.toTuples());
    }
    const merged = (order: number[]) => {
      const agg = new UsageAggregator();
      for (const i of order) agg.mergeTuples(parts[i]!);
      return [...agg.groups.values()].map(toTuple).sort((a, b) => (a.join() < b.join() ? -1 : 1));
    };
    expect(merged([2, 0, 1])).toEqual(merged([0, 1, 2]));
    expect(merged([0, 1, 2])[0]![8] + merged([0, 1, 2])[0]![9] + merged([0, 1, 2])[0]![10]).toBeGreaterThan(0);
  });

  it("sorts rows by count, then by the group fields", () => {
    const rows = [row({ count: 1, eventName: "Encrypt" }), row({ count: 3 }), row({ count: 1, errorCode: "AccessDenied" }), row({ count: 1 }), row({ count: 1, viaS3: false })];
    expect(rows.sort(compareRows).map((r) => [r.count, r.eventName, r.viaS3, r.errorCode])).toEqual([
      [3, "Decrypt", true, null],
      [1, "Decrypt", false, null],
      [1, "Decrypt", true, null],
      [1, "Decrypt", true, "AccessDenied"],
      [1, "Encrypt", true, null],
    ]);
  });

  it("decides the worker count from the option, KMSLINT_WORKERS and the size of the run", () => {
    const saved = process.env["KMSLINT_WORKERS"];
    try {
      delete process.env["KMSLINT_WORKERS"];
      expect(usageWorkerCount(undefined, 3, 1e9)).toBe(1);
      expect(usageWorkerCount(undefined, 1000, 1000)).toBe(1);
      expect(usageWorkerCount(4, 2, 10)).toBe(2);
      expect(usageWorkerCount(undefined, 1000, 1e9)).toBe(availableParallelism());
      process.env["KMSLINT_WORKERS"] = "3";
      expect(usageWorkerCount(undefined, 100, 1)).toBe(3);
      expect(usageWorkerCount(8, 100, 1e9)).toBe(8);
      process.env["KMSLINT_WORKERS"] = "0";
      expect(usageWorkerCount(undefined, 100, 1e9)).toBe(1);
    } finally {
      if (saved === undefined) delete process.env["KMSLINT_WORKERS"];
      else process.env["KMSLINT_WORKERS"] = saved;
    }
  });

  it("keeps day folders a day either side of the window", () => {
    const w = { start: Date.UTC(2024, 2, 10, 12), end: Date.UTC(2024, 2, 12, 6) };
    const day = (d: number) => ["AWSLogs", "o-abc", HUB, "CloudTrail", "us-east-1", "2024", "03", String(d).padStart(2, "0")];
    expect([7, 8, 9, 10, 11, 12, 13, 14].map((d) => folderMayHoldWindow(day(d), w))).toEqual([false, false, true, true, true, true, true, false]);
    expect(folderMayHoldWindow(["AWSLogs", HUB, "CloudTrail", "us-east-1", "2024", "02"], w)).toBe(false);
    expect(folderMayHoldWindow(["AWSLogs", HUB, "CloudTrail", "us-east-1", "2024", "02"], { start: w.start - 10 * DAY })).toBe(true);
    expect(folderMayHoldWindow(["AWSLogs", HUB, "CloudTrail", "us-east-1", "2023"], w)).toBe(false);
    expect(folderMayHoldWindow(["logs", "2023"], w)).toBe(true);
  });
});
