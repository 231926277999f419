/**
 * The live audit's reading of an account: STS for the owner, Organizations for the organization, then per
 * region KMS (keys, aliases, key policies, rotation) and S3 (buckets, their policies and default encryption),
 * with the AWS SDK v3 clients. Read-only: only the operations of ./operations.ts are ever called. Paced by
 * ./scheduler.ts, retried by the SDK, each call bounded by a timeout. A call that fails for one resource is
 * recorded as a ReadError and the rest goes on; Ctrl-C (the abort signal) stops it with what was read.
 *
 * This module loads the AWS SDK: only `kmslint audit` imports it.
 */
import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { AccessAnalyzerClient, GetFindingV2Command, ListAnalyzersCommand, ListFindingsV2Command } from "@aws-sdk/client-accessanalyzer";
import { AccountClient, ListRegionsCommand } from "@aws-sdk/client-account";
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  type AliasListEntry,
  type DescribeKeyCommandOutput,
  type GetKeyPolicyCommandOutput,
  type GetKeyRotationStatusCommandOutput,
  type GetKeyRotationStatusResponse,
  type ListKeyRotationsCommandOutput,
  type KeyMetadata,
  type RotationsListEntry,
} from "@aws-sdk/client-kms";
import { DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  ListBucketsCommand,
  S3Client,
  type ServerSideEncryptionRule,
} from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AnalyzerCoverage, AnalyzerFinding, ReadFailure } from "../../model/inventory.js";
import { rotationReadable } from "./key-facts.js";
import { OPERATIONS, isOperationName, type AwsService, type OperationName } from "./operations.js";
import { AuditProgress } from "./progress.js";
import { AbortedError, Scheduler } from "./scheduler.js";

export interface CollectOptions {
  /** Regions to audit; empty: the default region (AWS_REGION, the profile's region). */
  regions: string[];
  /** Every region enabled for the account (Account ListRegions) instead of `regions`. */
  allRegions: boolean;
  /** A named profile of the shared config files (`--profile`); otherwise the SDK's default chain. */
  profile?: string;
  /** Requests per second per region and operation, over the defaults of OPERATIONS. */
  rates?: Partial<Record<OperationName, number>>;
  /** Calls in flight per region. */
  concurrency: number;
  /** Attempts per call, the first included (SDK `maxAttempts`). */
  maxAttempts: number;
  retryMode: "standard" | "adaptive";
  /** Milliseconds one attempt may take before it is abandoned (and retried). */
  callTimeoutMs: number;
  signal: AbortSignal;
  progress?: AuditProgress;
  /**
   * Worker threads for the per-key calls of large regions (DescribeKey, GetKeyPolicy, …): the AWS SDK costs
   * about a millisecond of CPU per call, so one thread caps an audit at several hundred calls a second. 0 or
   * 1: none. Default: see workerCount.
   */
  workers?: number;
  /** Read Access Analyzer's external-access analyzers and their findings on keys and buckets (default true). */
  accessAnalyzer?: boolean;
  /** Also ARCHIVED findings (default: ACTIVE only). */
  includeArchived?: boolean;
  /** For tests and the demo: an endpoint, credentials and a region that replace the SDK's own resolution. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  defaultRegion?: string;
}

/** A call that failed for one resource, after the SDK's retries (the Inventory's ReadFailure, typed by operation). */
export interface ReadError extends ReadFailure {
  operation: OperationName;
  service: AwsService;
}

export interface LiveKey {
  region: string;
  arn: string;
  keyId: string;
  metadata?: KeyMetadata;
  /** The key policy exactly as GetKeyPolicy returned it; undefined when not read. */
  policy?: string;
  rotation?: GetKeyRotationStatusResponse;
  /** ListKeyRotations with ALL_KEY_MATERIAL, for imported key material that expires. */
  keyMaterials?: RotationsListEntry[];
}

export interface LiveBucket {
  name: string;
  arn: string;
  region?: string;
  /** The bucket policy's text; null: the bucket has none (NoSuchBucketPolicy); undefined: not read. */
  policy?: string | null;
  /** Default encryption rules; null: none configured (ServerSideEncryptionConfigurationNotFoundError); undefined: not read. */
  encryption?: ServerSideEncryptionRule[] | null;
}

export interface CallStatistics {
  /** Operation calls made (each may be several HTTP attempts). */
  calls: number;
  /** Attempts beyond the first (retries by the SDK: throttling, timeouts, 5xx). */
  retries: number;
}

export interface AccountData {
  account: string;
  partition: string;
  callerArn: string;
  /** The organization id, when DescribeOrganization answered. */
  org?: string;
  /** Why the organization is unknown: not in one, or the call was denied. */
  orgNote?: string;
  regions: string[];
  /** How the regions were chosen, for the report. */
  regionSource: string;
  keys: LiveKey[];
  aliases: Map<string, AliasListEntry[]>;
  /** Listings read to the end: `keys|<region>`, `aliases|<region>` (a key or alias missing from them does not exist). */
  complete: Set<string>;
  buckets: LiveBucket[];
  /** Buckets in regions the audit did not cover. */
  bucketsElsewhere: number;
  /** Access Analyzer, when read: the external-access analyzers per audited region and their findings on keys and buckets. */
  accessAnalyzer?: { analyzers: AnalyzerCoverage[]; findings: Omit<AnalyzerFinding, "range">[] };
  errors: ReadError[];
  /** Set when Ctrl-C stopped the audit: what had been read is kept. */
  interrupted: boolean;
  statistics: CallStatistics;
  rates: Record<OperationName, number>;
}

/** A problem that stops the audit before it reads anything (no credentials, no region): exit 2. */
export class AuditSetupError extends Error {
  constructor(
    message: string,
    /** Ctrl-C before anything could be read (exit 130, not 2). */
    readonly interrupted = false,
  ) {
    super(message);
    this.name = "AuditSetupError";
  }
}

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number };
  $retryable?: unknown;
}

const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"]);
/** The credentials were not accepted: expired, invalid, or used in an opt-in region that is not enabled. Not a missing permission. */
const CREDENTIALS = new Set(["UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "InvalidToken", "SignatureDoesNotMatch"]);
const THROTTLED = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "SlowDown", "RequestLimitExceeded", "LimitExceededException"]);

function classify(error: SdkError, operation: OperationName): Pick<ReadError, "code" | "kind" | "permission"> {
  const code = error.name && error.name !== "Error" ? error.name : (error.Code ?? "UnknownError");
  if (CREDENTIALS.has(code)) return { code, kind: "credentials" };
  if (DENIED.has(code) || error.$metadata?.httpStatusCode === 403) return { code, kind: "denied", ...permissionOf(operation) };
  if (THROTTLED.has(code)) return { code, kind: "throttled" };
  if (code === "TimeoutError" || code === "RequestTimeout" || code === "ETIMEDOUT") return { code, kind: "timeout" };
  if (code === "KMSInvalidStateException") return { code, kind: "state" };
  if (code === "UnsupportedOperationException") return { code, kind: "unsupported" };
  if (code === "NotFoundException" || code === "NoSuchBucket" || code === "NoSuchKey") return { code, kind: "not-found" };
  return { code, kind: "other" };
}

function permissionOf(operation: OperationName): { permission?: string } {
  const action = OPERATIONS[operation].action;
  return action ? { permission: action } : {};
}

/** A command the audit is not allowed to send (a bug, never a user error). */
export class NotReadOnlyError extends Error {
  constructor(command: string) {
    super(`kmslint audit refused to send ${command}: it only makes the read-only calls of src/sources/aws/operations.ts`);
    this.name = "NotReadOnlyError";
  }
}

/**
 * Makes a client refuse every command but the audit's read-only operations (OPERATIONS), before anything is
 * signed or sent: read-only by construction, not by convention.
 */
export function readOnly<C extends { middlewareStack: { add(middleware: unknown, options: unknown): void } }>(client: C): C {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const operation = (context.commandName ?? "").replace(/Command$/, "");
      if (!isOperationName(operation)) throw new NotReadOnlyError(context.commandName ?? "an unnamed command");
      return next(args);
    },
    { step: "initialize", name: "kmslintReadOnly", priority: "high" },
  );
  return client;
}


type Outcome<T> = { ok: true; value: T } | { ok: false; error: ReadError };

/** Keys and buckets listed but not yet read, at most: enough to keep every rate busy, little memory. */
const MAX_BACKLOG = 2000;

/** A counter the listings wait on: admit() returns when fewer than `limit` are in progress. */
class Backlog {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async admit(signal: AbortSignal): Promise<void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (signal.aborted) throw new AbortedError();
    this.active++;
  }

  release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  /** Lets every waiting listing go on (to see the abort). */
  releaseAll(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/** Keys in a region's first ListKeys page from which its per-key calls go to worker threads. */
export const WORKER_THRESHOLD = 300;

/**
 * How many worker threads: the option, else KMSLINT_WORKERS, else one fewer than the cores (at most 4) on
 * machines with 4 cores or more. On 2 cores they do not pay: each worker warms up its own copy of the SDK,
 * and `npm run bench` measured the audit of 2,000 keys no faster with 2 workers than without.
 */
export function workerCount(option: number | undefined): number {
  const configured = process.env["KMSLINT_WORKERS"];
  const cores = availableParallelism();
  const wanted = option ?? (configured !== undefined && /^\d+$/.test(configured) ? Number(configured) : cores >= 4 ? Math.min(4, cores - 1) : 1);
  return Math.max(1, wanted);
}

/** The built worker script next to the bundle (dist/kmslint-audit-worker.js); undefined when running from source. */
function keyWorkerScript(): string | undefined {
  for (const candidate of ["./kmslint-audit-worker.js", "../kmslint-audit-worker.js", "../../kmslint-audit-worker.js"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** What a worker needs to make the same calls: everything of CollectOptions that can cross a thread. */
export interface WorkerSettings {
  profile?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  rates: Record<OperationName, number>;
  concurrency: number;
  maxAttempts: number;
  retryMode: "standard" | "adaptive";
  callTimeoutMs: number;
}

/** The interface of the worker pool (./key-pool.ts), loaded only when a region is large. */
interface KeyWorkerPool {
  read(key: LiveKey): Promise<void>;
  close(): Promise<void>;
}

/** The audit of one account: the SDK clients, the pacing, and what has been read. */
export class Collector {
  private readonly scheduler: Scheduler;
  private readonly kms = new Map<string, KMSClient>();
  private readonly s3 = new Map<string, S3Client>();
  private sts!: STSClient;
  readonly progress: AuditProgress;
  readonly errors: ReadError[] = [];
  readonly statistics: CallStatistics = { calls: 0, retries: 0 };
  readonly rates: Record<OperationName, number>;
  private credentials: STSClient["config"]["credentials"] | undefined;

  constructor(private readonly options: CollectOptions) {
    // Every call in flight listens to the abort signal (the SDK, the pacing): hundreds at once is expected.
    setMaxListeners(0, options.signal);
    options.signal.addEventListener("abort", () => this.backlog.releaseAll(), { once: true });
    this.progress = options.progress ?? new AuditProgress();
    this.rates = Object.fromEntries(Object.entries(OPERATIONS).map(([name, op]) => [name, options.rates?.[name as OperationName] ?? op.rate])) as Record<OperationName, number>;
    this.scheduler = new Scheduler((operation) => this.rates[operation as OperationName], options.concurrency, options.signal);
  }

  /** Settings every client shares: retries, the per-attempt timeout, the profile or the test endpoint. */
  private clientConfig(region: string) {
    const { options } = this;
    return {
      region,
      maxAttempts: options.maxAttempts,
      retryMode: options.retryMode,
      requestHandler: { requestTimeout: options.callTimeoutMs, connectionTimeout: Math.min(options.callTimeoutMs, 5000), throwOnRequestTimeout: true },
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : this.credentials ? { credentials: this.credentials } : {}),
    };
  }

  kmsClient(region: string): KMSClient {
    let client = this.kms.get(region);
    if (!client) this.kms.set(region, (client = readOnly(new KMSClient(this.clientConfig(region)))));
    return client;
  }

  s3Client(region: string): S3Client {
    let client = this.s3.get(region);
    if (!client) {
      // Path-style addressing when an endpoint replaces AWS's (a local endpoint has no per-bucket host names).
      const custom = this.options.endpoint !== undefined || process.env["AWS_ENDPOINT_URL"] !== undefined || process.env["AWS_ENDPOINT_URL_S3"] !== undefined;
      client = readOnly(new S3Client({ ...this.clientConfig(region), followRegionRedirects: true, ...(custom ? { forcePathStyle: true } : {}) }));
      this.s3.set(region, client);
    }
    return client;
  }

  /**
   * One paced call. Failures come back as a ReadError naming the call and the resource; an interruption
   * (Ctrl-C) is thrown as AbortedError so that the caller stops.
   */
  async call<T extends { $metadata?: { attempts?: number } }>(
    region: string,
    operation: OperationName,
    resource: string,
    send: (abortSignal: AbortSignal) => Promise<T>,
  ): Promise<Outcome<T>> {
    const { signal } = this.options;
    return this.scheduler.schedule(region, operation, async (): Promise<Outcome<T>> => {
      if (signal.aborted) throw new AbortedError();
      let attempts = 1;
      try {
        const value = await send(signal);
        attempts = value.$metadata?.attempts ?? 1;
        return { ok: true, value };
      } catch (caught) {
        if (signal.aborted) throw new AbortedError();
        const error = caught as SdkError;
        attempts = error.$metadata?.attempts ?? 1;
        const readError: ReadError = {
          operation,
          service: OPERATIONS[operation].service,
          region,
          resource,
          message: (error.message ?? String(caught)).replace(/\s+/g, " ").trim(),
          attempts,
          ...classify(error, operation),
        };
        return { ok: false, error: readError };
      } finally {
        this.count(attempts);
      }
    });
  }

  private count(attempts: number): void {
    this.merge({ calls: 1, retries: attempts - 1 }, []);
  }

  /** Keys and buckets being read at once: the listing waits beyond this, so memory stays flat however large the account. */
  readonly backlog = new Backlog(MAX_BACKLOG);

  private readonly handlers = new WeakMap<KMSClient, Map<unknown, (command: unknown) => Promise<{ output: unknown }>>>();

  /**
   * `client.send(command, { abortSignal })` with the command's middleware resolved once per client and
   * command class. The SDK resolves the whole middleware stack on every call that passes options (its own
   * `cacheMiddleware` applies only to calls without any), and that was a third of the CPU of an audit. The
   * cached handler carries the audit's one abort signal. Only for KMS, whose endpoint is the same for every
   * call of a client: a cached handler shares its context between concurrent calls, which S3 (an endpoint
   * per bucket) must not.
   */
  kmsSend<Output>(client: KMSClient, command: { resolveMiddleware(stack: unknown, config: unknown, options: unknown): unknown }): Promise<Output> {
    let byCommand = this.handlers.get(client);
    if (!byCommand) this.handlers.set(client, (byCommand = new Map()));
    let handler = byCommand.get(command.constructor);
    if (!handler) {
      handler = command.resolveMiddleware(client.middlewareStack, client.config, { abortSignal: this.options.signal }) as (command: unknown) => Promise<{ output: unknown }>;
      byCommand.set(command.constructor, handler);
    }
    return handler(command).then((result) => result.output as Output);
  }

  fail(error: ReadError): void {
    this.errors.push(error);
    this.progress.errors = this.errors.length;
  }

  async identity(region: string): Promise<{ account: string; arn: string; partition: string }> {
    this.sts = readOnly(new STSClient(this.clientConfig(region)));
    // Every client shares the STS client's credential provider: a profile, SSO token or role is resolved once.
    if (!this.options.credentials) this.credentials = this.sts.config.credentials;
    const outcome = await this.call(region, "GetCallerIdentity", "the caller's account", (abortSignal) => this.sts.send(new GetCallerIdentityCommand({}), { abortSignal }));
    if (!outcome.ok || !outcome.value.Account || !outcome.value.Arn) {
      const why = outcome.ok ? "the answer had no account" : `${outcome.error.code}: ${outcome.error.message}`;
      throw new AuditSetupError(`could not identify the account (STS GetCallerIdentity failed: ${why}). Check the credentials: --profile, AWS_PROFILE, AWS_ACCESS_KEY_ID, or aws sso login.`);
    }
    const partition = /^arn:([^:]+):/.exec(outcome.value.Arn)?.[1] ?? "aws";
    return { account: outcome.value.Account, arn: outcome.value.Arn, partition };
  }

  async organization(region: string, root: string, account: string): Promise<{ org?: string; note?: string }> {
    const client = readOnly(new OrganizationsClient(this.clientConfig(region)));
    const outcome = await this.call(region, "DescribeOrganization", root, (abortSignal) => client.send(new DescribeOrganizationCommand({}), { abortSignal }));
    if (outcome.ok) {
      const id = outcome.value.Organization?.Id;
      return id ? { org: id } : { note: "Organizations DescribeOrganization returned no organization id" };
    }
    const { error } = outcome;
    if (error.code === "AWSOrganizationsNotInUseException") return { note: `account ${account} is not a member of an organization` };
    if (error.kind === "denied") {
      return { note: `Organizations DescribeOrganization was denied (${error.permission}), so the organization is unknown: accounts of your organization count as outside unless --org or the config's "org" names it` };
    }
    return { note: `Organizations DescribeOrganization failed (${error.code}: ${error.message}), so the organization is unknown` };
  }

  async enabledRegions(region: string, root: string): Promise<{ regions: string[]; source: string }> {
    const client = readOnly(new AccountClient(this.clientConfig(region)));
    const regions: string[] = [];
    let token: string | undefined;
    do {
      const outcome = await this.call(region, "ListRegions", root, (abortSignal) =>
        client.send(new ListRegionsCommand({ MaxResults: 50, RegionOptStatusContains: ["ENABLED", "ENABLED_BY_DEFAULT"], ...(token ? { NextToken: token } : {}) }), { abortSignal }),
      );
      if (!outcome.ok) {
        this.fail(outcome.error);
        return { regions: [region], source: `only ${region}: the regions enabled for the account could not be listed (${outcome.error.code}); name them with --region` };
      }
      for (const r of outcome.value.Regions ?? []) if (r.RegionName) regions.push(r.RegionName);
      token = outcome.value.NextToken;
    } while (token);
    return { regions: regions.sort(), source: "every region enabled for the account (Account ListRegions)" };
  }

  /** Every key of a region with its metadata, policy and rotation, and the region's aliases. */
  async region(region: string, account: string, partition: string, keys: LiveKey[], aliases: Map<string, AliasListEntry[]>, complete: Set<string>): Promise<void> {
    const client = this.kmsClient(region);
    const progress = this.progress.region(region);
    // Listings fail for a whole region: they are named by the ARN pattern of what they list.
    const what = `arn:${partition}:kms:${region}:${account}:key/*`;
    const aliasesRead = (async () => {
      const entries: AliasListEntry[] = [];
      let marker: string | undefined;
      let whole = true;
      do {
        const outcome = await this.call(region, "ListAliases", `arn:${partition}:kms:${region}:${account}:alias/*`, (abortSignal) =>
          client.send(new ListAliasesCommand({ Limit: 100, ...(marker ? { Marker: marker } : {}) }), { abortSignal }),
        );
        if (!outcome.ok) {
          this.fail(outcome.error);
          whole = false;
          break;
        }
        entries.push(...(outcome.value.Aliases ?? []));
        progress.aliases = entries.length;
        marker = outcome.value.Truncated ? outcome.value.NextMarker : undefined;
      } while (marker);
      aliases.set(region, entries);
      if (whole) complete.add(`aliases|${region}`);
    })();
    const pending: Promise<void>[] = [];
    let pool: KeyWorkerPool | undefined;
    let marker: string | undefined;
    let whole = true;
    try {
      do {
        const outcome = await this.call(region, "ListKeys", what, (abortSignal) => client.send(new ListKeysCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }), { abortSignal }));
        if (!outcome.ok) {
          this.fail(progress.keysListed > 0 ? { ...outcome.error, listedBefore: progress.keysListed } : outcome.error);
          whole = false;
          break;
        }
        // A large region's per-key calls go to worker threads, decided on its first page so that the region's
        // rates are split between the workers and never also spent here.
        if (marker === undefined && ((outcome.value.Keys?.length ?? 0) >= WORKER_THRESHOLD || outcome.value.Truncated)) pool = await this.workerPool();
        for (const entry of outcome.value.Keys ?? []) {
          if (!entry.KeyId) continue;
          const key: LiveKey = { region, keyId: entry.KeyId, arn: entry.KeyArn ?? `arn:${partition}:kms:${region}:${account}:key/${entry.KeyId}` };
          keys.push(key);
          progress.keysListed++;
          await this.backlog.admit(this.options.signal);
          pending.push((pool ? pool.read(key) : this.readKey(client, key)).then(() => void progress.keysDone++).finally(() => this.backlog.release()));
        }
        marker = outcome.value.Truncated ? outcome.value.NextMarker : undefined;
      } while (marker);
      if (whole) complete.add(`keys|${region}`);
      progress.listingDone = true;
    } finally {
      // Every started read is waited for, also when the listing stopped (Ctrl-C): none is left to fail unheard.
      await settle([aliasesRead, ...pending]);
    }
  }

  /** DescribeKey, then what the key's kind allows: its policy, rotation status, key material. Never an alias: DescribeKey on a predefined alias/aws/* alias creates the key (AWS-FACTS.md §3.1). */
  async readKey(client: KMSClient, key: LiveKey): Promise<void> {
    const described = await this.call(key.region, "DescribeKey", key.arn, () => this.kmsSend<DescribeKeyCommandOutput>(client, new DescribeKeyCommand({ KeyId: key.arn })));
    if (!described.ok) return this.fail(described.error);
    const metadata = described.value.KeyMetadata;
    if (!metadata) return;
    key.metadata = metadata;
    // AWS managed keys: their policy and yearly rotation are fixed by AWS and cannot be changed, so they are not read.
    if (metadata.KeyManager !== "CUSTOMER") return;
    const reads: Promise<void>[] = [
      this.call(key.region, "GetKeyPolicy", key.arn, () => this.kmsSend<GetKeyPolicyCommandOutput>(client, new GetKeyPolicyCommand({ KeyId: key.arn, PolicyName: "default" }))).then((o) => {
        if (o.ok) key.policy = o.value.Policy ?? "";
        else this.fail(o.error);
      }),
    ];
    if (rotationReadable(metadata)) {
      reads.push(
        this.call(key.region, "GetKeyRotationStatus", key.arn, () => this.kmsSend<GetKeyRotationStatusCommandOutput>(client, new GetKeyRotationStatusCommand({ KeyId: key.arn }))).then((o) => {
          if (o.ok) key.rotation = o.value;
          else this.fail(o.error);
        }),
      );
    }
    // Every imported key's materials: an earlier material can expire although the current one does not.
    if (metadata.Origin === "EXTERNAL") reads.push(this.keyMaterials(client, key));
    await settle(reads);
  }

  private async keyMaterials(client: KMSClient, key: LiveKey): Promise<void> {
    const entries: RotationsListEntry[] = [];
    let marker: string | undefined;
    do {
      const outcome = await this.call(key.region, "ListKeyRotations", key.arn, () =>
        this.kmsSend<ListKeyRotationsCommandOutput>(client, new ListKeyRotationsCommand({ KeyId: key.arn, IncludeKeyMaterial: "ALL_KEY_MATERIAL", Limit: 1000, ...(marker ? { Marker: marker } : {}) })),
      );
      if (!outcome.ok) return this.fail(outcome.error);
      entries.push(...(outcome.value.Rotations ?? []));
      marker = outcome.value.Truncated ? outcome.value.NextMarker : undefined;
    } while (marker);
    key.keyMaterials = entries;
  }

  /** ListBuckets, then each bucket of an audited region: its region, policy and default encryption. */
  async buckets(listRegion: string, audited: ReadonlySet<string>, partition: string, buckets: LiveBucket[]): Promise<number> {
    const client = this.s3Client(listRegion);
    const pending: Promise<void>[] = [];
    let elsewhere = 0;
    let token: string | undefined;
    try {
      do {
        const outcome = await this.call(listRegion, "ListBuckets", `arn:${partition}:s3:::*`, (abortSignal) =>
          client.send(new ListBucketsCommand({ MaxBuckets: 1000, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal }),
        );
        if (!outcome.ok) {
          this.fail(outcome.error);
          break;
        }
        for (const entry of outcome.value.Buckets ?? []) {
          if (!entry.Name) continue;
          const bucket: LiveBucket = { name: entry.Name, arn: entry.BucketArn ?? `arn:${partition}:s3:::${entry.Name}` };
          if (entry.BucketRegion) bucket.region = entry.BucketRegion;
          await this.backlog.admit(this.options.signal);
          pending.push(
            this.bucket(listRegion, bucket, audited)
              .then((included) => {
                if (included) buckets.push(bucket);
                else elsewhere++;
              })
              .finally(() => this.backlog.release()),
          );
        }
        token = outcome.value.ContinuationToken;
      } while (token);
      this.progress.bucketListingDone = true;
    } finally {
      await settle(pending);
    }
    return elsewhere;
  }

  private async bucket(listRegion: string, bucket: LiveBucket, audited: ReadonlySet<string>): Promise<boolean> {
    if (bucket.region === undefined) {
      // Older answers of ListBuckets carry no BucketRegion: GetBucketLocation (null means us-east-1).
      const located = await this.call(listRegion, "GetBucketLocation", bucket.arn, (abortSignal) => this.s3Client(listRegion).send(new GetBucketLocationCommand({ Bucket: bucket.name }), { abortSignal }));
      if (!located.ok) {
        this.fail(located.error);
        return true;
      }
      const constraint = located.value.LocationConstraint as string | undefined;
      bucket.region = !constraint ? "us-east-1" : constraint === "EU" ? "eu-west-1" : constraint;
    }
    const region = bucket.region;
    if (!audited.has(region)) return false;
    const progress = this.progress.region(region);
    progress.buckets++;
    const client = this.s3Client(region);
    await settle([
      this.call(region, "GetBucketPolicy", bucket.arn, (abortSignal) => client.send(new GetBucketPolicyCommand({ Bucket: bucket.name }), { abortSignal })).then((o) => {
        if (o.ok) bucket.policy = o.value.Policy ?? null;
        else if (o.error.code === "NoSuchBucketPolicy") bucket.policy = null;
        else this.fail(o.error);
      }),
      this.call(region, "GetBucketEncryption", bucket.arn, (abortSignal) => client.send(new GetBucketEncryptionCommand({ Bucket: bucket.name }), { abortSignal })).then((o) => {
        if (o.ok) bucket.encryption = o.value.ServerSideEncryptionConfiguration?.Rules ?? null;
        else if (o.error.code === "ServerSideEncryptionConfigurationNotFoundError") bucket.encryption = null;
        else this.fail(o.error);
      }),
    ]);
    progress.bucketsDone++;
    return true;
  }

  private pool: Promise<KeyWorkerPool | undefined> | undefined;

  /** The worker threads for per-key calls, started on first need; undefined when there are none to use. */
  private workerPool(): Promise<KeyWorkerPool | undefined> {
    this.pool ??= (async () => {
      const count = workerCount(this.options.workers);
      const script = count > 1 ? keyWorkerScript() : undefined;
      if (!script) return undefined;
      // Workers resolve credentials themselves (the same profile, environment or role), so that credentials that
      // expire during a long audit are refreshed there too; explicit ones (the demo, tests) are passed on.
      const credentials = this.options.credentials;
      const { KeyWorkerPool } = await import("./key-pool.js");
      return new KeyWorkerPool(script, count, {
        ...(this.options.profile ? { profile: this.options.profile } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(credentials ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}) } } : {}),
        rates: this.rates,
        concurrency: this.options.concurrency,
        maxAttempts: this.options.maxAttempts,
        retryMode: this.options.retryMode,
        callTimeoutMs: this.options.callTimeoutMs,
      }, this);
    })();
    return this.pool;
  }

  /** Adds calls to this audit's statistics (its own, or what a worker counted) and the calls that failed. */
  merge(statistics: CallStatistics, errors: ReadError[]): void {
    const s = this.statistics;
    s.calls += statistics.calls;
    s.retries += statistics.retries;
    this.progress.calls = s.calls;
    this.progress.retries = s.retries;
    for (const error of errors) this.fail(error);
  }

  /**
   * Access Analyzer in one region: its external-access analyzers (ACCOUNT, ORGANIZATION; ACTIVE ones are read),
   * their findings on KMS keys and S3 buckets (ListFindingsV2 has no details), and each finding's details
   * (GetFindingV2: principal, actions, conditions, public).
   */
  async accessAnalyzer(region: string, account: string, partition: string, analyzers: AnalyzerCoverage[], findings: Omit<AnalyzerFinding, "range">[]): Promise<void> {
    const client = readOnly(new AccessAnalyzerClient(this.clientConfig(region)));
    try {
      const listed: AnalyzerCoverage[] = [];
      let token: string | undefined;
      do {
        const outcome = await this.call(region, "ListAnalyzers", `arn:${partition}:access-analyzer:${region}:${account}:analyzer/*`, (abortSignal) =>
          client.send(new ListAnalyzersCommand({ maxResults: 100, ...(token ? { nextToken: token } : {}) }), { abortSignal }),
        );
        if (!outcome.ok) return this.fail(outcome.error);
        for (const a of outcome.value.analyzers ?? []) {
          if (a.type !== "ACCOUNT" && a.type !== "ORGANIZATION") continue;
          const coverage: AnalyzerCoverage = { region, arn: a.arn ?? "", name: a.name ?? "", type: a.type, status: a.status ?? "ACTIVE" };
          if (a.lastResourceAnalyzedAt) coverage.lastResourceAnalyzedAt = new Date(a.lastResourceAnalyzedAt).toISOString();
          listed.push(coverage);
        }
        token = outcome.value.nextToken;
      } while (token);
      analyzers.push(...listed);
      for (const analyzer of listed.filter((a) => a.status === "ACTIVE")) {
        const ids: string[] = [];
        let next: string | undefined;
        do {
          const outcome = await this.call(region, "ListFindingsV2", analyzer.arn, (abortSignal) =>
            client.send(
              new ListFindingsV2Command({
                analyzerArn: analyzer.arn,
                filter: { resourceType: { eq: ["AWS::KMS::Key", "AWS::S3::Bucket"] }, status: { eq: this.options.includeArchived ? ["ACTIVE", "ARCHIVED"] : ["ACTIVE"] } },
                maxResults: 100,
                ...(next ? { nextToken: next } : {}),
              }),
              { abortSignal },
            ),
          );
          if (!outcome.ok) {
            this.fail(outcome.error);
            break;
          }
          for (const f of outcome.value.findings ?? []) if (f.id && (f.findingType ?? "ExternalAccess") === "ExternalAccess") ids.push(f.id);
          next = outcome.value.nextToken;
        } while (next);
        await settle(
          ids.map(async (id) => {
            const outcome = await this.call(region, "GetFindingV2", `${analyzer.arn}/finding/${id}`, (abortSignal) => client.send(new GetFindingV2Command({ analyzerArn: analyzer.arn, id }), { abortSignal }));
            if (!outcome.ok) return this.fail(outcome.error);
            const f = outcome.value;
            const details = (f.findingDetails ?? []).map((d) => ("externalAccessDetails" in d ? d.externalAccessDetails : undefined)).find((d) => d !== undefined);
            const finding: Omit<AnalyzerFinding, "range"> = { analyzer, id, resource: f.resource ?? "", resourceType: f.resourceType ?? "", status: f.status ?? "ACTIVE" };
            if (details?.principal) finding.principal = details.principal;
            if (details?.action) finding.action = details.action;
            if (details?.condition) finding.condition = details.condition;
            if (details?.isPublic !== undefined) finding.isPublic = details.isPublic;
            if (f.error) finding.error = f.error;
            findings.push(finding);
          }),
        );
      }
    } finally {
      client.destroy();
    }
  }

  get signal(): AbortSignal {
    return this.options.signal;
  }

  async destroyWorkers(): Promise<void> {
    const pool = await this.pool;
    await pool?.close();
  }

  destroy(): void {
    for (const client of [...this.kms.values(), ...this.s3.values()]) client.destroy();
    this.sts?.destroy();
  }
}

/** Waits for every promise; an interruption is re-thrown once all have stopped, any other rejection is a bug. */
async function settle(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

/**
 * Reads the account. Returns what was read even when interrupted (`interrupted` set); throws AuditSetupError
 * when the account cannot be identified.
 */
export async function collectAccount(options: CollectOptions): Promise<AccountData> {
  const collector = new Collector(options);
  const { progress } = collector;
  const keys: LiveKey[] = [];
  const buckets: LiveBucket[] = [];
  const aliases = new Map<string, AliasListEntry[]>();
  const data: AccountData = {
    account: "",
    partition: "aws",
    callerArn: "",
    regions: [],
    regionSource: "",
    keys,
    aliases,
    complete: new Set<string>(),
    buckets,
    bucketsElsewhere: 0,
    errors: collector.errors,
    interrupted: false,
    statistics: collector.statistics,
    rates: collector.rates,
  };
  try {
    const home = options.defaultRegion ?? (options.regions.length > 0 && !options.allRegions ? options.regions[0]! : await defaultRegion(options));
    progress.phase = "identity";
    const identity = await collector.identity(home);
    Object.assign(data, { account: identity.account, partition: identity.partition, callerArn: identity.arn });
    progress.account = identity.account;
    const root = `arn:${identity.partition}:iam::${identity.account}:root`;
    const [org, regions] = await Promise.all([
      collector.organization(home, root, identity.account),
      options.allRegions
        ? collector.enabledRegions(home, root)
        : Promise.resolve(options.regions.length > 0 ? { regions: [...new Set(options.regions)], source: "named with --region" } : { regions: [home], source: `the default region (${home}); --region or --all-regions for others` }),
    ]);
    if (org.org) data.org = progress.org = org.org;
    if (org.note) data.orgNote = org.note;
    data.regions = regions.regions;
    data.regionSource = regions.source;
    progress.phase = "reading";
    for (const region of regions.regions) progress.region(region);
    const audited = new Set(regions.regions);
    await settle([
      ...regions.regions.map((region) => collector.region(region, identity.account, identity.partition, keys, aliases, data.complete)),
      collector.buckets(regions.regions.includes(home) ? home : regions.regions[0] ?? home, audited, identity.partition, buckets).then((n) => void (data.bucketsElsewhere = n)),
      ...(options.accessAnalyzer === false
        ? []
        : [
            (async () => {
              const analyzers: AnalyzerCoverage[] = [];
              const findings: Omit<AnalyzerFinding, "range">[] = [];
              await settle(regions.regions.map((region) => collector.accessAnalyzer(region, identity.account, identity.partition, analyzers, findings)));
              data.accessAnalyzer = { analyzers, findings };
            })(),
          ]),
    ]);
    progress.phase = "done";
  } catch (error) {
    if (!(error instanceof AbortedError) && !options.signal.aborted) throw error;
    data.interrupted = true;
    progress.phase = "interrupted";
    if (!data.account) throw new AuditSetupError("interrupted before the account was identified: nothing was read", true);
  } finally {
    await collector.destroyWorkers();
    collector.destroy();
  }
  return data;
}

/** The region the SDK resolves (AWS_REGION, the profile's region), for the global calls and as the default. */
async function defaultRegion(options: CollectOptions): Promise<string> {
  const probe = new STSClient({ ...(options.profile ? { profile: options.profile } : {}) });
  try {
    return await probe.config.region();
  } catch {
    throw new AuditSetupError("no region is set: pass --region (repeat it for several, or --all-regions with a home region), or set AWS_REGION or a region in the profile");
  } finally {
    probe.destroy();
  }
}
