/**
 * The fake AWS endpoint: one loopback HTTP server that speaks the wire protocols of KMS, S3, STS,
 * Organizations, Account, IAM Access Analyzer and Athena, so that the real AWS SDK clients work against it unchanged (`endpoint`, or
 * `AWS_ENDPOINT_URL`). The service and region come from the SigV4 credential scope of each request
 * (signatures are not checked). It serves an account snapshot, injects the snapshot's faults, optional
 * throttling and latency, and records every call. Used by `kmslint audit --demo`, the tests and the benchmark.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { accessAnalyzerCall } from "./access-analyzer.js";
import { accountCall, organizationsCall, stsCall } from "./account.js";
import { athenaCall, athenaState, type AthenaState } from "./athena.js";
import type { Call } from "./call.js";
import { kmsCall } from "./kms.js";
import { validateSnapshot } from "./load.js";
import { seededRandom } from "./random.js";
import { s3Call } from "./s3.js";
import type { AccountSnapshot, SnapshotFault } from "./snapshot.js";
import { buildState, type AccountState } from "./state.js";
import { errorReply, faultError, hostId, newRequestId, ServiceError, throttlingError, type Reply, type ServiceName } from "./wire.js";

export interface FakeAwsOptions {
  snapshot: AccountSnapshot;
  /** Added to every response, in milliseconds (default 0). */
  latencyMs?: number;
  /**
   * Fraction (0..1) of calls answered with the service's throttling error (KMS ThrottlingException, S3 503
   * SlowDown, Organizations and Account TooManyRequestsException, STS Throttling, Access Analyzer 429
   * ThrottlingException); drawn after the
   * snapshot's faults, from a generator seeded with `seed`.
   */
  throttleRate?: number;
  seed?: number;
  /**
   * Caps every list page (ListKeys, ListAliases, ListKeyRotations, ListBuckets, ListRegions, ListAnalyzers,
   * ListFindingsV2, ValidatePolicy) below the caller's limit.
   */
  pageSize?: number;
  /** How long a `Timeout` fault holds the request before destroying the connection (default 30000 ms). */
  timeoutMs?: number;
}

export interface RecordedCall {
  service: ServiceName;
  operation: string;
  /** The signing region. */
  region: string;
  /**
   * The key id as the request gave it (id, ARN or alias) or the bucket name; for Access Analyzer the
   * analyzer ARN (ListFindingsV2) or the finding id (GetFindingV2).
   */
  resource?: string;
  /** HTTP status; 0 for a call held by a `Timeout` fault. */
  status: number;
  errorCode?: string;
  /** Milliseconds since the server started, when the request arrived. */
  at: number;
  /** Until the response was written (for a held call: until the connection ended). */
  durationMs: number;
  /** The key the call created: DescribeKey on a predefined `alias/aws/*` alias whose AWS managed key did not exist. */
  createdKeyId?: string;
}

export interface FakeAws {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every call so far, in the order answered (a held call when it is held). */
  calls: RecordedCall[];
  /** Stops the server: ends held requests and open connections. */
  close(): Promise<void>;
}

const SERVICES = new Set<string>(["kms", "s3", "sts", "organizations", "account", "access-analyzer", "athena"]);

interface FaultState {
  fault: SnapshotFault;
  remaining: number;
}

export async function startFakeAws(options: FakeAwsOptions): Promise<FakeAws> {
  const snapshot = validateSnapshot(options.snapshot, "snapshot");
  const state = buildState(snapshot);
  const athena = athenaState(snapshot.Athena);
  const latencyMs = options.latencyMs ?? 0;
  const throttleRate = options.throttleRate ?? 0;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pageSize = options.pageSize;
  const random = seededRandom(options.seed ?? 1);
  const faults = indexFaults(snapshot.Faults ?? []);
  const calls: RecordedCall[] = [];
  const pending = new Set<NodeJS.Timeout>();
  /** Requests held by a Timeout fault: their connection, and how to stop holding them. */
  const held = new Map<NodeJS.Timeout, { socket: Socket; release: () => void }>();
  const started = performance.now();

  /**
   * Runs the action once `ms` have passed since `since` (timers run by the event loop's cached clock and
   * can fire a little early when the loop is busy); close() cancels what is still waiting.
   */
  const later = (since: number, ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      const left = since + ms - performance.now();
      if (left > 0) later(since, ms, action);
      else action();
    }, Math.max(1, Math.ceil(since + ms - performance.now())));
    pending.add(timer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const arrived = performance.now();
    const requestId = newRequestId();
    const scope = credentialScope(req);
    if (!scope) {
      // Not a signed AWS request: nothing to route or record.
      res.writeHead(403, { "content-type": "application/json", "x-amzn-requestid": requestId });
      res.end(JSON.stringify({ __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" }));
      return;
    }
    const { service, region } = scope;
    const call = routeCall(state, athena, service, region, req, body, requestId, pageSize);
    const record: RecordedCall = { service, operation: call.operation, region, status: 0, at: arrived - started, durationMs: 0 };
    if (call.resource !== undefined) record.resource = call.resource;

    const fault = matchFault(faults, call, region);
    if (fault?.Error === "Timeout") {
      // No answer: the connection is dropped after timeoutMs, or ends sooner when the client gives up.
      record.errorCode = "Timeout";
      calls.push(record);
      const release = () => {
        if (!held.delete(timer)) return;
        clearTimeout(timer);
        record.durationMs = performance.now() - arrived;
      };
      const timer = setTimeout(() => {
        release();
        req.socket.destroy();
      }, timeoutMs);
      timer.unref();
      held.set(timer, { socket: req.socket, release });
      res.once("close", release);
      return;
    }

    let reply: Reply;
    try {
      if (fault) throw injectedError(state, call, fault);
      if (throttleRate > 0 && random() < throttleRate) throw throttlingError(service);
      reply = call.answer();
    } catch (error) {
      const serviceError = error instanceof ServiceError ? error : new ServiceError("InternalFailure", error instanceof Error ? error.message : String(error), 500);
      reply = errorReply(service, serviceError, requestId);
    }
    const send = () => {
      // A client that gave up meanwhile gets nothing, but the call is recorded as answered.
      if (!res.destroyed) write(req, res, service, requestId, reply);
      record.status = reply.status;
      if (reply.errorCode !== undefined) record.errorCode = reply.errorCode;
      if (reply.createdKeyId !== undefined) record.createdKeyId = reply.createdKeyId;
      record.durationMs = performance.now() - arrived;
      calls.push(record);
    };
    if (latencyMs > 0) later(arrived, latencyMs, send);
    else send();
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        for (const { socket, release } of [...held.values()]) {
          release();
          socket.destroy();
        }
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Writes the reply with the request id headers every AWS answer carries (S3's own two as well). */
function write(req: IncomingMessage, res: ServerResponse, service: ServiceName, requestId: string, reply: Reply): void {
  const headers: Record<string, string | number> = { ...reply.headers, "x-amzn-requestid": requestId };
  if (service === "s3") {
    headers["x-amz-request-id"] = requestId;
    headers["x-amz-id-2"] = hostId(requestId);
  }
  const payload = req.method === "HEAD" ? "" : reply.body;
  headers["content-length"] = Buffer.byteLength(payload);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function routeCall(state: AccountState, athena: AthenaState, service: ServiceName, region: string, req: IncomingMessage, body: string, requestId: string, pageSize: number | undefined): Call {
  const target = req.headers["x-amz-target"];
  const targetText = Array.isArray(target) ? target[0] : target;
  const method = req.method ?? "GET";
  const url = req.url ?? "/";
  switch (service) {
    case "kms":
      return kmsCall(state, region, targetText, body, pageSize);
    case "s3":
      return s3Call(state, region, method, url, pageSize);
    case "sts":
      return stsCall(state, body, () => requestId);
    case "organizations":
      return organizationsCall(state, targetText);
    case "account": {
      const queryAt = url.indexOf("?");
      return accountCall(state, method, queryAt < 0 ? url : url.slice(0, queryAt), body, pageSize);
    }
    case "access-analyzer":
      return accessAnalyzerCall(state, region, method, url, body, pageSize);
    case "athena":
      return athenaCall(athena, targetText, body, pageSize);
  }
}

/** Service and region from `Credential=<key>/<date>/<region>/<service>/aws4_request` (header or presigned query). */
function credentialScope(req: IncomingMessage): { service: ServiceName; region: string } | undefined {
  let credential: string | undefined;
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const at = auth.indexOf("Credential=");
    if (at >= 0) {
      const end = auth.indexOf(",", at);
      credential = auth.slice(at + "Credential=".length, end < 0 ? undefined : end).trim();
    }
  } else if (req.url?.includes("X-Amz-Credential=")) {
    credential = new URLSearchParams(req.url.slice(req.url.indexOf("?") + 1)).get("X-Amz-Credential") ?? undefined;
  }
  const parts = credential?.split("/");
  if (!parts || parts.length < 5) return undefined;
  const region = parts[parts.length - 3] as string;
  const service = parts[parts.length - 2] as string;
  return SERVICES.has(service) && region !== "" ? { service: service as ServiceName, region } : undefined;
}

function indexFaults(faults: readonly SnapshotFault[]): Map<string, FaultState[]> {
  const index = new Map<string, FaultState[]>();
  for (const fault of faults) {
    const entry = { fault, remaining: fault.Count ?? Infinity };
    const list = index.get(fault.Operation);
    if (list) list.push(entry);
    else index.set(fault.Operation, [entry]);
  }
  return index;
}

/** The first fault that applies to the call and has calls left to fail; counts the call against it. */
function matchFault(index: Map<string, FaultState[]>, call: Call, region: string): SnapshotFault | undefined {
  const candidates = index.get(call.operation);
  if (!candidates) return undefined;
  let names: readonly string[] | undefined;
  for (const entry of candidates) {
    const { fault } = entry;
    if (entry.remaining <= 0) continue;
    if (fault.Region !== undefined && fault.Region !== "*" && fault.Region !== region) continue;
    if (fault.Resource !== undefined && fault.Resource !== "*") {
      names ??= call.names?.() ?? [];
      if (!names.includes(fault.Resource)) continue;
    }
    entry.remaining--;
    return fault;
  }
  return undefined;
}

const IAM_ACTION_NAMES: Readonly<Record<string, string>> = {
  ListFindingsV2: "ListFindings",
  GetFindingV2: "GetFinding",
  ListBuckets: "ListAllMyBuckets",
  GetBucketEncryption: "GetEncryptionConfiguration",
};

/** The error a fault stands for, with the service's code and a message like the service's own. */
function injectedError(state: AccountState, call: Call, fault: SnapshotFault): ServiceError {
  const [code, status] = faultError(call.service, fault.Error);
  let message = fault.Message;
  if (message === undefined) {
    if (fault.Error === "AccessDenied") {
      // IAM names a few actions differently from their operations (Access Analyzer's V2 reads, S3's).
      const action = `${call.service}:${IAM_ACTION_NAMES[call.operation] ?? call.operation}`;
      const resource = call.arn?.() ?? call.resource ?? "*";
      message = `User: ${state.callerArn} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`;
    } else if (fault.Error === "Throttling") {
      message = throttlingError(call.service).message;
    } else {
      message = `${code}: injected by the snapshot's Faults for ${call.operation}.`;
    }
  }
  return new ServiceError(code, message, fault.Status ?? status);
}
