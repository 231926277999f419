/**
 * A generator of realistic CloudTrail log trees for the usage tests and the benchmark: the AWS layout
 * (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16>.json.gz`,
 * or `AWSLogs/<o-id>/<account>/…` for an organization trail), digest files beside them, noise from S3, STS and
 * EC2, and KMS calls: S3 reading and writing objects for callers (Decrypt and GenerateDataKey with an
 * `aws:s3:arn` encryption context), direct Encrypt, ReEncrypt, CreateGrant, DescribeKey, ListAliases (no key),
 * a service calling on its own behalf, old events whose resources have no type, aliases beside keys, role
 * sessions, and AccessDenied and IncorrectKeyException failures. Calls across accounts carry a sharedEventID
 * and, with the organization layout, are written to both accounts' logs.
 *
 * It returns the fact table it wrote, from its own bookkeeping of the calls it made up (never by reading the
 * files back), so that tests compare the reader against an independent answer. Deterministic from the seed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { UsageFacts, UsageRow } from "./facts.js";
import { seededRandom } from "../fake-aws/random.js";

export interface GenerateOptions {
  seed: number;
  /** How many accounts: the first is the hub (the data lake's keys and buckets), the others spokes. */
  accounts: number;
  /** The organization id of the organization layout (default derived from the seed). */
  org?: string;
  days: number;
  /** Files per day, per account and region. */
  filesPerDay: number;
  /** Records of each account's own activity per file (the key owner's files also get the copies of calls into its keys). */
  recordsPerFile: number;
  /** Share of records that are KMS calls (0–1). */
  kmsShare: number;
  /** Share of KMS calls that fail (0–1). */
  errorShare: number;
  gzip: boolean;
  /** zlib level when gzip is set (default 6, as AWS's files; 1 for speed). */
  gzipLevel?: number;
  /**
   * Every account's logs under `AWSLogs/<o-id>/<account>/`, calls across accounts written to both. Without it,
   * only the hub's trail is written (`AWSLogs/<hub>/`), with the calls that involve the hub.
   */
  organizationLayout: boolean;
  /** The first day (its UTC date). */
  start: Date;
  /** Regions (default us-east-1). */
  regions?: string[];
  /** Digest files, one per account, region and day (default true). */
  digests?: boolean;
  /** The expected table counts only the calls in this eventTime window (start inclusive, end exclusive). */
  window?: { start?: Date; end?: Date };
}

export interface GeneratedTrail {
  /** The expected fact table: records and files as the reader counts them, rows sorted as the reader sorts them. */
  facts: UsageFacts;
  /** The log files written (not the digests), in the order written. */
  files: string[];
  digestFiles: number;
  /** Bytes written to log files, as stored (compressed with gzip). */
  bytes: number;
  /** Bytes of the log files' JSON. */
  uncompressedBytes: number;
  /** All KMS records written (copies included), whatever the window. */
  kmsRecords: number;
  /** All records written. */
  totalRecords: number;
  accounts: string[];
}

const DAY_MS = 86_400_000;

interface Principal {
  account: string;
  /** The userIdentity of its calls. */
  identity: Record<string, unknown>;
  /** The fact fields it yields. */
  callerAccount: string;
  callerPrincipal: string;
  callerArn: string;
}

interface Key {
  account: string;
  region: string;
  arn: string;
  alias: string;
}

interface Expected {
  row: UsageRow;
  firstMs: number;
  lastMs: number;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX = "0123456789abcdef";

export async function generateTrail(dir: string, options: GenerateOptions): Promise<GeneratedTrail> {
  const rand = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const chars = (alphabet: string, n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  };
  const uuid = () => `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-${pick(["8", "9", "a", "b"])}${chars(HEX, 3)}-${chars(HEX, 12)}`;
  const regions = options.regions ?? ["us-east-1"];
  const org = options.org ?? `o-${chars("abcdefghijklmnopqrstuvwxyz0123456789", 10)}`;
  const accounts: string[] = [];
  while (accounts.length < Math.max(1, options.accounts)) {
    const id = String(100_000_000_000 + Math.floor(rand() * 899_999_999_999));
    if (!accounts.includes(id)) accounts.push(id);
  }
  const hub = accounts[0]!;
  const spokes = accounts.slice(1);
  const logged = options.organizationLayout ? accounts : [hub];

  // Principals: role sessions (the applications), an IAM user, per account.
  const principals = new Map<string, Principal[]>();
  for (const account of accounts) {
    const list: Principal[] = [];
    for (const role of ["DataPipeline", "AnalyticsReader", "EtlJob"]) {
      const roleId = `AROA${chars(UPPER, 17)}`;
      for (const session of [`${role.toLowerCase()}-session`, `i-${chars(HEX, 17)}`]) {
        const roleArn = `arn:aws:iam::${account}:role/${role}`;
        list.push({
          account,
          identity: {
            type: "AssumedRole",
            principalId: `${roleId}:${session}`,
            arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
            accountId: account,
            accessKeyId: `ASIA${chars(UPPER, 16)}`,
            sessionContext: {
              sessionIssuer: { type: "Role", principalId: roleId, arn: roleArn, accountId: account, userName: role },
              attributes: { creationDate: "2024-01-01T00:00:00Z", mfaAuthenticated: "false" },
            },
          },
          callerAccount: account,
          callerPrincipal: `${roleId}:${session}`,
          callerArn: roleArn,
        });
      }
    }
    const userId = `AIDA${chars(UPPER, 17)}`;
    list.push({
      account,
      identity: { type: "IAMUser", principalId: userId, arn: `arn:aws:iam::${account}:user/deploy`, accountId: account, accessKeyId: `AKIA${chars(UPPER, 16)}`, userName: "deploy" },
      callerAccount: account,
      callerPrincipal: userId,
      callerArn: `arn:aws:iam::${account}:user/deploy`,
    });
    principals.set(account, list);
  }
  // Keys: the hub's data-lake keys, one application key per spoke, in every region.
  const keys = new Map<string, Key[]>();
  for (const account of accounts) {
    const names = account === hub ? ["data-lake", "data-lake-raw", "logs"] : ["app"];
    keys.set(
      account,
      regions.flatMap((region) => names.map((name) => ({ account, region, arn: `arn:aws:kms:${region}:${account}:key/${uuid()}`, alias: `arn:aws:kms:${region}:${account}:alias/${name}` }))),
    );
  }
  const buckets = ["data-lake-curated", "data-lake-raw", "data-lake-exports"];

  const windowStart = options.window?.start?.getTime() ?? -Infinity;
  const windowEnd = options.window?.end?.getTime() ?? Infinity;
  const expected = new Map<string, Expected>();
  let expectedRecords = 0;
  const files: string[] = [];
  let digestFiles = 0;
  let bytes = 0;
  let uncompressedBytes = 0;
  let kmsRecords = 0;
  let totalRecords = 0;

  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const expect = (fields: Omit<UsageRow, "count" | "firstTime" | "lastTime">, ms: number) => {
    if (ms < windowStart || ms >= windowEnd) return;
    const key = `${fields.callerAccount}|${fields.callerPrincipal}|${fields.callerArn}|${fields.keyArn}|${fields.keyOwnerAccount}|${fields.eventName}|${fields.viaS3}|${fields.errorCode}`;
    let entry = expected.get(key);
    if (!entry) expected.set(key, (entry = { row: { ...fields, count: 0, firstTime: "", lastTime: "" }, firstMs: Infinity, lastMs: -Infinity }));
    entry.row.count++;
    if (ms < entry.firstMs) {
      entry.firstMs = ms;
      entry.row.firstTime = iso(ms);
    }
    if (ms > entry.lastMs) {
      entry.lastMs = ms;
      entry.row.lastTime = iso(ms);
    }
  };

  const base = (ms: number, region: string, source: string, name: string, identity: Record<string, unknown>, agent: string, ip: string) => ({
    eventVersion: "1.09",
    userIdentity: identity,
    eventTime: iso(ms),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: ip,
    userAgent: agent,
  });
  const ip = () => `10.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;

  /** A noise record (another service) of `account`. */
  const noise = (account: string, region: string, ms: number): Record<string, unknown> => {
    const who = pick(principals.get(account)!);
    const kind = rand();
    if (kind < 0.4) {
      const bucket = pick(buckets);
      const name = pick(["GetObject", "PutObject", "HeadObject"]);
      return {
        ...base(ms, region, "s3.amazonaws.com", name, who.identity, "[aws-sdk-java/2.20.0]", ip()),
        requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com`, key: `tables/part-${chars(HEX, 8)}.parquet` },
        responseElements: null,
        additionalEventData: { SignatureVersion: "SigV4", CipherSuite: "TLS_AES_128_GCM_SHA256", bytesTransferredIn: 0, bytesTransferredOut: Math.floor(rand() * 1e6), "x-amz-id-2": chars(ALNUM, 40) },
        requestID: chars(UPPER, 16),
        eventID: uuid(),
        readOnly: name !== "PutObject",
        resources: [
          { type: "AWS::S3::Object", ARN: `arn:aws:s3:::${bucket}/tables/` },
          { accountId: hub, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${bucket}` },
        ],
        eventType: "AwsApiCall",
        managementEvent: false,
        recipientAccountId: account,
        eventCategory: "Data",
      };
    }
    if (kind < 0.7) {
      const roleArn = `arn:aws:iam::${pick(accounts)}:role/${pick(["DataPipeline", "AnalyticsReader"])}`;
      return {
        ...base(ms, region, "sts.amazonaws.com", "AssumeRole", who.identity, "aws-sdk-go-v2/1.21.0", ip()),
        requestParameters: { roleArn, roleSessionName: `session-${chars(HEX, 6)}`, durationSeconds: 3600 },
        responseElements: { credentials: { accessKeyId: `ASIA${chars(UPPER, 16)}`, expiration: "Jan 1, 2024, 1:00:00 AM", sessionToken: chars(ALNUM, 120) } },
        requestID: uuid(),
        eventID: uuid(),
        readOnly: true,
        resources: [{ accountId: roleArn.split(":")[4], type: "AWS::IAM::Role", ARN: roleArn }],
        eventType: "AwsApiCall",
        managementEvent: true,
        recipientAccountId: account,
        ...(rand() < 0.3 ? { sharedEventID: uuid() } : {}),
        eventCategory: "Management",
      };
    }
    const record: Record<string, unknown> = {
      ...base(ms, region, "ec2.amazonaws.com", pick(["DescribeInstances", "DescribeVolumes", "CreateSnapshot"]), who.identity, "console.ec2.amazonaws.com", ip()),
      requestParameters: { maxResults: 1000, filterSet: {}, description: 'mentions "kms.amazonaws.com" and "eventSource" in text' },
      responseElements: null,
      requestID: uuid(),
      eventID: uuid(),
      readOnly: true,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: "Management",
    };
    // A nested object shaped like a KMS record's fields: a reader that scans text must not count it.
    if (rand() < 0.05) record["additionalEventData"] = { eventSource: "kms.amazonaws.com", eventName: "Decrypt" };
    return record;
  };

  /**
   * One KMS call started by `account` (or, in the hub-only layout, one that reaches the hub), as the copies to
   * write: [recipient account, record][]. Books the call in the expected table once.
   */
  const kmsCall = (account: string, region: string, ms: number): [string, Record<string, unknown>][] => {
    const roll = rand();
    // A service calling on its own behalf (CloudTrail encrypting its logs with the hub's key).
    if (roll < 0.03 && account === hub) {
      const key = keys.get(hub)!.find((k) => k.region === region && k.alias.endsWith("/logs"))!;
      const record = {
        ...base(ms, region, "kms.amazonaws.com", "GenerateDataKey", { type: "AWSService", invokedBy: "cloudtrail.amazonaws.com" }, "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com"),
        requestParameters: { keyId: key.alias, keySpec: "AES_256", encryptionContext: { "aws:cloudtrail:arn": `arn:aws:cloudtrail:${region}:${hub}:trail/org-trail` } },
        responseElements: null,
        requestID: uuid(),
        eventID: uuid(),
        readOnly: true,
        resources: [{ accountId: hub, type: "AWS::KMS::Key", ARN: key.arn }],
        eventType: "AwsApiCall",
        managementEvent: true,
        recipientAccountId: hub,
        eventCategory: "Management",
      };
      expect({ callerAccount: "", callerPrincipal: "cloudtrail.amazonaws.com", callerArn: "", keyArn: key.arn, keyOwnerAccount: hub, eventName: "GenerateDataKey", viaS3: false, errorCode: null }, ms);
      return [[hub, record]];
    }
    // A call that names no key.
    if (roll < 0.05) {
      const who = pick(principals.get(account)!);
      const record = {
        ...base(ms, region, "kms.amazonaws.com", "ListAliases", who.identity, "aws-cli/2.15.0", ip()),
        requestParameters: null,
        responseElements: null,
        requestID: uuid(),
        eventID: uuid(),
        readOnly: true,
        eventType: "AwsApiCall",
        managementEvent: true,
        recipientAccountId: account,
        eventCategory: "Management",
      };
      expect({ callerAccount: who.callerAccount, callerPrincipal: who.callerPrincipal, callerArn: who.callerArn, keyArn: "", keyOwnerAccount: "", eventName: "ListAliases", viaS3: false, errorCode: null }, ms);
      return [[account, record]];
    }

    // Caller and key: in the hub-only layout a spoke's call must be into a hub key to reach the hub's logs.
    let callerAccount = account;
    let key: Key;
    const regionKeys = (owner: string) => keys.get(owner)!.filter((k) => k.region === region);
    if (!options.organizationLayout && spokes.length > 0 && rand() < 0.5) {
      callerAccount = pick(spokes);
      key = pick(regionKeys(hub));
    } else if (account === hub) {
      key = spokes.length > 0 && rand() < 0.15 ? pick(regionKeys(pick(spokes))) : pick(regionKeys(hub));
    } else {
      key = rand() < 0.75 ? pick(regionKeys(hub)) : pick(regionKeys(account));
    }
    const who = pick(principals.get(callerAccount)!);
    const action = rand();
    let eventName: string;
    let viaS3 = false;
    let requestParameters: Record<string, unknown>;
    let resources: Record<string, unknown>[] = [{ accountId: key.account, type: "AWS::KMS::Key", ARN: key.arn }];
    if (action < 0.6) {
      eventName = rand() < 0.65 ? "Decrypt" : "GenerateDataKey";
      viaS3 = true;
      const bucket = pick(buckets);
      requestParameters = {
        ...(eventName === "GenerateDataKey" ? { keyId: key.arn, keySpec: "AES_256" } : {}),
        encryptionContext: { "aws:s3:arn": `arn:aws:s3:::${bucket}/tables/part-${chars(HEX, 8)}.parquet` },
        encryptionAlgorithm: "SYMMETRIC_DEFAULT",
      };
    } else if (action < 0.75) {
      eventName = "Encrypt";
      requestParameters = { keyId: key.alias, encryptionContext: { app: "billing" }, encryptionAlgorithm: "SYMMETRIC_DEFAULT" };
      // The alias the caller named, beside the key: the reader must take the key.
      resources = [{ accountId: key.account, type: "AWS::KMS::Alias", ARN: key.alias }, ...resources];
    } else if (action < 0.83) {
      eventName = "ReEncrypt";
      const other = pick(regionKeys(key.account));
      requestParameters = { sourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT", destinationKeyId: other.arn, destinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
      resources = [...resources, { accountId: other.account, type: "AWS::KMS::Key", ARN: other.arn }];
    } else if (action < 0.9) {
      eventName = "CreateGrant";
      requestParameters = { keyId: key.arn, granteePrincipal: `arn:aws:iam::${callerAccount}:role/EtlJob`, operations: ["Decrypt", "GenerateDataKey"] };
    } else {
      eventName = "DescribeKey";
      requestParameters = { keyId: key.arn };
    }
    let eventVersion = "1.08";
    if (rand() < 0.1) {
      // An old event: resources without type.
      eventVersion = "1.02";
      resources = resources.filter((r) => r["type"] === "AWS::KMS::Key").map((r) => ({ ARN: r["ARN"], accountId: r["accountId"] }));
    }
    let errorCode: string | null = null;
    if (rand() < options.errorShare) errorCode = eventName === "Decrypt" && rand() < 0.5 ? "IncorrectKeyException" : "AccessDenied";
    const viaService = viaS3 ? "s3.amazonaws.com" : undefined;
    const identity = viaService ? { ...who.identity, invokedBy: viaService } : who.identity;
    const record: Record<string, unknown> = {
      ...base(ms, region, "kms.amazonaws.com", eventName, identity, viaService ?? "aws-sdk-java/2.20.0", viaService ?? ip()),
      ...(errorCode
        ? {
            errorCode,
            errorMessage:
              errorCode === "AccessDenied"
                ? `User: ${String(who.identity["arn"])} is not authorized to perform: kms:${eventName} on resource: ${key.arn} because no resource-based policy allows the kms:${eventName} action`
                : "The key ID in the request does not identify a CMK that can perform this operation.",
          }
        : {}),
      requestParameters,
      responseElements: null,
      additionalEventData: eventName === "Decrypt" ? { keyMaterialId: chars(HEX, 64) } : undefined,
      requestID: uuid(),
      eventID: uuid(),
      readOnly: eventName !== "CreateGrant",
      resources,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: callerAccount,
      eventCategory: "Management",
      eventVersion,
    };
    if (record["additionalEventData"] === undefined) delete record["additionalEventData"];
    expect({ callerAccount: who.callerAccount, callerPrincipal: who.callerPrincipal, callerArn: who.callerArn, keyArn: key.arn, keyOwnerAccount: key.account, eventName, viaS3, errorCode }, ms);
    if (callerAccount === key.account) return [[callerAccount, record]];
    // Across accounts: both accounts receive it, with one sharedEventID.
    const sharedEventID = uuid();
    const callerCopy = { ...record, sharedEventID };
    const ownerCopy = { ...record, eventID: uuid(), recipientAccountId: key.account, sharedEventID };
    return [
      [callerAccount, callerCopy],
      [key.account, ownerCopy],
    ];
  };

  const startDay = Date.UTC(options.start.getUTCFullYear(), options.start.getUTCMonth(), options.start.getUTCDate());
  const slotMs = DAY_MS / options.filesPerDay;
  const gzipLevel = options.gzipLevel ?? 6;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const prefixOf = (account: string) => (options.organizationLayout ? join(dir, "AWSLogs", org, account) : join(dir, "AWSLogs", account));

  for (let day = 0; day < options.days; day++) {
    for (const region of regions) {
      for (let slot = 0; slot < options.filesPerDay; slot++) {
        const slotStart = startDay + day * DAY_MS + Math.floor(slot * slotMs);
        const slotEnd = startDay + day * DAY_MS + Math.floor((slot + 1) * slotMs);
        const perAccount = new Map<string, [number, Record<string, unknown>][]>(logged.map((a) => [a, []]));
        for (const account of logged) {
          for (let i = 0; i < options.recordsPerFile; i++) {
            const ms = slotStart + Math.floor((rand() * (slotEnd - slotStart)) / 1000) * 1000;
            if (rand() < options.kmsShare) {
              for (const [recipient, record] of kmsCall(account, region, ms)) {
                const list = perAccount.get(recipient);
                if (!list) continue; // a copy for an account whose logs are not written
                list.push([ms, record]);
                kmsRecords++;
                if (ms >= windowStart && ms < windowEnd) expectedRecords++;
              }
            } else {
              perAccount.get(account)!.push([ms, noise(account, region, ms)]);
            }
          }
        }
        // Delivered a few minutes after the slot: the last slot of a day lands in the next day's folder.
        const delivered = new Date(slotEnd + (1 + Math.floor(rand() * 10)) * 60_000);
        const folderDate = `${delivered.getUTCFullYear()}/${pad(delivered.getUTCMonth() + 1)}/${pad(delivered.getUTCDate())}`;
        const stamp = `${delivered.getUTCFullYear()}${pad(delivered.getUTCMonth() + 1)}${pad(delivered.getUTCDate())}T${pad(delivered.getUTCHours())}${pad(delivered.getUTCMinutes())}Z`;
        for (const account of logged) {
          const timed = perAccount.get(account)!;
          if (timed.length === 0) continue;
          const records = timed.sort((a, b) => a[0] - b[0]).map(([, record]) => record);
          totalRecords += records.length;
          const folder = join(prefixOf(account), "CloudTrail", region, ...folderDate.split("/"));
          mkdirSync(folder, { recursive: true });
          const json = Buffer.from(JSON.stringify({ Records: records }));
          uncompressedBytes += json.length;
          const data = options.gzip ? gzipSync(json, { level: gzipLevel }) : json;
          const path = join(folder, `${account}_CloudTrail_${region}_${stamp}_${chars(ALNUM, 16)}.json${options.gzip ? ".gz" : ""}`);
          writeFileSync(path, data);
          bytes += data.length;
          files.push(path);
        }
      }
      if (options.digests ?? true) {
        const dayDate = new Date(startDay + (day + 1) * DAY_MS);
        for (const account of logged) {
          const folder = join(prefixOf(account), "CloudTrail-Digest", region, String(dayDate.getUTCFullYear()), pad(dayDate.getUTCMonth() + 1), pad(dayDate.getUTCDate()));
          mkdirSync(folder, { recursive: true });
          const digest = { awsAccountId: account, digestStartTime: iso(startDay + day * DAY_MS), digestEndTime: iso(dayDate.getTime()), digestS3Bucket: "trail-bucket", logFiles: [] };
          writeFileSync(join(folder, `${account}_CloudTrail-Digest_${region}_org-trail_${region}_${iso(dayDate.getTime()).replace(/[-:]/g, "")}.json.gz`), gzipSync(JSON.stringify(digest)));
          digestFiles++;
        }
      }
    }
  }

  const rows = [...expected.values()].map((e) => e.row).sort(byCountThenFields);
  return {
    facts: { records: expectedRecords, files: files.length, rows },
    files,
    digestFiles,
    bytes,
    uncompressedBytes,
    kmsRecords,
    totalRecords,
    accounts,
  };
}

/** The reader's order, written out again here: count descending, then each group field (false < true, null first). */
function byCountThenFields(a: UsageRow, b: UsageRow): number {
  if (a.count !== b.count) return b.count - a.count;
  const fields = ["callerAccount", "callerPrincipal", "callerArn", "keyArn", "keyOwnerAccount", "eventName"] as const;
  for (const f of fields) if (a[f] !== b[f]) return a[f] < b[f] ? -1 : 1;
  if (a.viaS3 !== b.viaS3) return a.viaS3 ? 1 : -1;
  if (a.errorCode !== b.errorCode) {
    if (a.errorCode === null) return -1;
    if (b.errorCode === null) return 1;
    return a.errorCode < b.errorCode ? -1 : 1;
  }
  return 0;
}
