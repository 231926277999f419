/**
 * What the fake AWS endpoint's services share: the answer to one request (`Reply`), the error a handler
 * throws (`ServiceError`), how each protocol writes an error (awsJson1_1 for KMS and Organizations, restJson1
 * for Account and Access Analyzer, awsQuery for STS, REST-XML for S3), XML escaping, and AWS's timestamp forms
 * on the wire (epoch seconds in awsJson1_1, ISO 8601 in XML and in Access Analyzer's restJson1).
 */
import { randomUUID } from "node:crypto";

export type ServiceName = "kms" | "s3" | "sts" | "organizations" | "account" | "access-analyzer" | "athena";

/** The answer to one request, before latency is added. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The error code when the reply is an error (recorded with the call). */
  errorCode?: string;
  /** A key the call created (DescribeKey on a predefined `alias/aws/*` alias whose key did not exist yet). */
  createdKeyId?: string;
}

/** An error as the service reports it; `status` absent means the usual status of the code for the service. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    /**
     * Extra fields of S3's error XML (`BucketName`, `Endpoint`) or of a restJson1 error body (Access Analyzer's
     * `resourceId`, `resourceType`, `reason`), and extra response headers (`x-amz-bucket-region`).
     */
    readonly extra: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

export const JSON_1_1 = "application/x-amz-json-1.1";
const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

export function newRequestId(): string {
  return randomUUID();
}

/** A JSON 1.1 or REST-JSON request body as an object (an empty body is {}), or undefined when it is not one. */
export function jsonBody(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = body.length === 0 ? {} : JSON.parse(body);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function jsonReply(body: unknown, status = 200): Reply {
  return { status, headers: { "content-type": JSON_1_1 }, body: typeof body === "string" ? body : JSON.stringify(body) };
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/**
 * A value as XML elements named `name`: objects become nested elements, arrays repeat the element (S3's
 * flattened lists: `Rule`, `EncryptionType`), scalars become escaped text; null and undefined are left out.
 */
export function xmlElement(name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join("");
  if (typeof value === "object") {
    let inner = "";
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) inner += xmlElement(key, member);
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** An S3 XML document: the declaration and the root element in S3's namespace. */
export function s3XmlReply(root: string, inner: string, headers: Record<string, string> = {}): Reply {
  return {
    status: 200,
    headers: { "content-type": "application/xml", ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`,
  };
}

/** An awsQuery answer (STS): `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata></OpResponse>`. */
export function queryReply(operation: string, result: string, requestId: string): Reply {
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body:
      `<${operation}Response xmlns="${STS_XMLNS}"><${operation}Result>${result}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

/** `AccessDenied` and `Throttling` in a fault name the service's own error; the codes and statuses each service uses. */
const ACCESS_DENIED: Record<ServiceName, [string, number]> = {
  kms: ["AccessDeniedException", 400],
  organizations: ["AccessDeniedException", 400],
  account: ["AccessDeniedException", 403],
  "access-analyzer": ["AccessDeniedException", 403],
  sts: ["AccessDenied", 403],
  s3: ["AccessDenied", 403],
  athena: ["AccessDeniedException", 400],
};
const THROTTLING: Record<ServiceName, [string, number]> = {
  kms: ["ThrottlingException", 400],
  organizations: ["TooManyRequestsException", 400],
  account: ["TooManyRequestsException", 429],
  "access-analyzer": ["ThrottlingException", 429],
  sts: ["Throttling", 400],
  s3: ["SlowDown", 503],
  athena: ["TooManyRequestsException", 400],
};

/** The service's error code and status for a fault's `Error`. */
export function faultError(service: ServiceName, error: string): [string, number | undefined] {
  if (error === "AccessDenied") return ACCESS_DENIED[service];
  if (error === "Throttling") return THROTTLING[service];
  return [error, undefined];
}

export function throttlingError(service: ServiceName): ServiceError {
  const [code, status] = THROTTLING[service];
  return new ServiceError(code, service === "s3" ? "Please reduce your request rate." : "Rate exceeded", status);
}

/** Statuses of the codes whose status is not the protocol's usual 400. */
const S3_STATUS: Record<string, number> = {
  AccessDenied: 403,
  AllAccessDisabled: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchKey: 404,
  ServerSideEncryptionConfigurationNotFoundError: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  MethodNotAllowed: 405,
  PermanentRedirect: 301,
  TemporaryRedirect: 307,
  InternalError: 500,
  NotImplemented: 501,
  ServiceUnavailable: 503,
  SlowDown: 503,
};
const JSON_RPC_STATUS: Record<string, number> = {
  KMSInternalException: 500,
  DependencyTimeoutException: 500,
  ServiceException: 500,
  InternalFailure: 500,
  InternalServerException: 500,
  ServiceUnavailable: 503,
  MissingAuthenticationTokenException: 403,
};
const REST_JSON_STATUS: Record<string, number> = {
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 402,
  ConflictException: 409,
  UnprocessableEntityException: 422,
  TooManyRequestsException: 429,
  ThrottlingException: 429,
  InternalServerException: 500,
};
const STS_STATUS: Record<string, number> = { AccessDenied: 403, ExpiredToken: 400, InternalFailure: 500 };

/** The error as the service's protocol sends it. */
export function errorReply(service: ServiceName, error: ServiceError, requestId: string): Reply {
  const { code, message } = error;
  switch (service) {
    case "kms":
    case "organizations":
    case "athena": {
      const status = error.status ?? JSON_RPC_STATUS[code] ?? 400;
      // KMS writes `message`, Organizations and Athena `Message`, as the services do.
      const body = service === "kms" ? { __type: code, message } : { __type: code, Message: message };
      return { status, headers: { "content-type": JSON_1_1 }, body: JSON.stringify(body), errorCode: code };
    }
    case "account":
    case "access-analyzer": {
      const status = error.status ?? REST_JSON_STATUS[code] ?? 400;
      const body = JSON.stringify({ message, ...error.extra.fields });
      return { status, headers: { "content-type": "application/json", "x-amzn-errortype": code, ...error.extra.headers }, body, errorCode: code };
    }
    case "sts": {
      const status = error.status ?? STS_STATUS[code] ?? 400;
      const type = status >= 500 ? "Receiver" : "Sender";
      const body =
        `<ErrorResponse xmlns="${STS_XMLNS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code>` +
        `<Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status, headers: { "content-type": "text/xml" }, body, errorCode: code };
    }
    case "s3": {
      const status = error.status ?? S3_STATUS[code] ?? 400;
      let fields = "";
      for (const [name, value] of Object.entries(error.extra.fields ?? {})) fields += xmlElement(name, value);
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
        `${fields}<RequestId>${requestId}</RequestId><HostId>${hostId(requestId)}</HostId></Error>`;
      return { status, headers: { "content-type": "application/xml", ...error.extra.headers }, body, errorCode: code };
    }
  }
}

/** S3's extended request id (`x-amz-id-2`, `HostId`): opaque base64; derived from the request id. */
export function hostId(requestId: string): string {
  return Buffer.from(requestId.replace(/-/g, ""), "hex").toString("base64");
}

/** `now+12d`, `now-3h`, `now+30m`: a time relative to when the snapshot is served (so that a demo's expiry stays near). */
const RELATIVE = /^now([+-])(\d+)([dhm])$/;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

/** Milliseconds since the epoch of a snapshot date text: ISO 8601, or relative to now (`now+12d`). NaN when neither. */
export function snapshotTime(text: string): number {
  const relative = RELATIVE.exec(text);
  if (relative) return Date.now() + (relative[1] === "-" ? -1 : 1) * Number(relative[2]) * UNIT_MS[relative[3]!]!;
  return Date.parse(text);
}

/** A snapshot timestamp (ISO 8601 text, `now+12d`, or epoch seconds) as KMS's JSON writes it: epoch seconds, milliseconds as the fraction. */
export function epochSeconds(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const ms = snapshotTime(value);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** A snapshot timestamp as S3's XML writes it: ISO 8601 with milliseconds, UTC. */
export function isoDate(value: unknown): string | undefined {
  if (typeof value === "number") return new Date(value * 1000).toISOString();
  if (typeof value !== "string") return undefined;
  const ms = snapshotTime(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
