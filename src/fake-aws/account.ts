/**
 * The fake account-level services: STS GetCallerIdentity (awsQuery: a form body in, XML out), Organizations
 * DescribeOrganization (awsJson1_1) and Account ListRegions (restJson1, `POST /listRegions`), answered from
 * the snapshot's Account, CallerArn, Organization and Regions.
 */
import { createHash } from "node:crypto";
import type { Call } from "./call.js";
import type { AccountState } from "./state.js";
import { jsonReply, queryReply, ServiceError, xmlEscape, type Reply } from "./wire.js";

export function stsCall(state: AccountState, body: string, requestId: () => string): Call {
  const form = new URLSearchParams(body);
  const operation = form.get("Action") ?? "";
  return {
    service: "sts",
    operation,
    answer: () => {
      if (operation !== "GetCallerIdentity") {
        throw new ServiceError("InvalidAction", `Could not find operation ${operation} for version ${form.get("Version") ?? "NO_VERSION_SPECIFIED"}`);
      }
      const result = `<Arn>${xmlEscape(state.callerArn)}</Arn><UserId>${xmlEscape(userId(state))}</UserId><Account>${state.account}</Account>`;
      return queryReply(operation, result, requestId());
    },
  };
}

/** GetCallerIdentity's UserId for the caller ARN: the role's unique id and the session name, the user's id, or the account for root. */
function userId(state: AccountState): string {
  const resource = state.callerArn.slice(state.callerArn.indexOf(":", state.callerArn.indexOf("::") + 2) + 1);
  if (resource === "root") return state.account;
  const [kind, name = "", session] = resource.split("/");
  const unique = (prefix: string) => prefix + createHash("sha256").update(`${state.account}:${kind}/${name}`).digest("hex").slice(0, 17).toUpperCase();
  if (kind === "assumed-role") return `${unique("AROA")}:${session ?? "session"}`;
  if (kind === "federated-user") return `${state.account}:${name}`;
  return unique("AIDA");
}

const ORGANIZATIONS_PREFIX = "AWSOrganizationsV20161128.";

export function organizationsCall(state: AccountState, target: string | undefined): Call {
  const operation = target?.startsWith(ORGANIZATIONS_PREFIX) ? target.slice(ORGANIZATIONS_PREFIX.length) : (target ?? "");
  return {
    service: "organizations",
    operation,
    answer: () => {
      if (operation !== "DescribeOrganization") throw new ServiceError("UnknownOperationException", `The operation ${operation} is not supported by this endpoint.`);
      return describeOrganization(state);
    },
  };
}

const ORGANIZATION_ERRORS: Record<string, string> = {
  AWSOrganizationsNotInUseException: "Your account is not a member of an organization.",
  AccessDeniedException: "You don't have permissions to access this resource.",
};

function describeOrganization(state: AccountState): Reply {
  const given = state.organization;
  if (given === undefined) throw new ServiceError("AWSOrganizationsNotInUseException", ORGANIZATION_ERRORS["AWSOrganizationsNotInUseException"] as string);
  if (typeof given["Error"] === "string") {
    const code = given["Error"];
    throw new ServiceError(code, typeof given["Message"] === "string" ? given["Message"] : (ORGANIZATION_ERRORS[code] ?? code));
  }
  const id = typeof given["Id"] === "string" ? given["Id"] : "o-a1b2c3d4e5";
  const master = typeof given["MasterAccountId"] === "string" ? given["MasterAccountId"] : state.account;
  const organization = {
    Id: id,
    Arn: `arn:${state.partition}:organizations::${master}:organization/${id}`,
    FeatureSet: "ALL",
    MasterAccountArn: `arn:${state.partition}:organizations::${master}:account/${id}/${master}`,
    MasterAccountId: master,
    MasterAccountEmail: "aws-management@example.com",
    AvailablePolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }],
    ...given,
  };
  return jsonReply({ Organization: organization });
}

/** Regions that are disabled until the account opts in (ENABLED once it has); the others are ENABLED_BY_DEFAULT. */
const OPT_IN_REGIONS = new Set([
  "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
]);
const OPT_STATUSES = new Set(["ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT"]);

export function accountCall(state: AccountState, method: string, path: string, body: string, pageSize: number | undefined): Call {
  const operation = method === "POST" && path === "/listRegions" ? "ListRegions" : `${method} ${path}`;
  return {
    service: "account",
    operation,
    answer: () => {
      if (operation !== "ListRegions") throw new ServiceError("UnknownOperationException", `Unknown operation ${operation}`, 404);
      return listRegions(state, body, pageSize);
    },
  };
}

const TOKEN_PREFIX = "kmslint-fake-regions:";

function listRegions(state: AccountState, body: string, pageSize: number | undefined): Reply {
  let input: Record<string, unknown>;
  try {
    input = body.length === 0 ? {} : (JSON.parse(body) as Record<string, unknown>);
  } catch {
    throw new ServiceError("ValidationException", "The request body is not valid JSON.");
  }
  if (typeof input["AccountId"] === "string" && input["AccountId"] !== state.account) {
    throw new ServiceError("AccessDeniedException", `User is not authorized to list the regions of account ${input["AccountId"]}.`);
  }
  const max = input["MaxResults"] ?? 50;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > 50) throw new ServiceError("ValidationException", "MaxResults must be between 1 and 50.");
  const statuses = input["RegionOptStatusContains"];
  if (statuses !== undefined && (!Array.isArray(statuses) || statuses.some((s) => !OPT_STATUSES.has(s as string)))) {
    throw new ServiceError("ValidationException", "RegionOptStatusContains must list ENABLED, ENABLING, DISABLING, DISABLED or ENABLED_BY_DEFAULT.");
  }
  const regions = state.regions
    .map((name) => ({ RegionName: name, RegionOptStatus: OPT_IN_REGIONS.has(name) ? "ENABLED" : "ENABLED_BY_DEFAULT" }))
    .filter((region) => statuses === undefined || (statuses as string[]).includes(region.RegionOptStatus));
  let start = 0;
  if (input["NextToken"] !== undefined) {
    const decoded = Buffer.from(String(input["NextToken"]), "base64").toString("utf8");
    start = decoded.startsWith(TOKEN_PREFIX) ? Number(decoded.slice(TOKEN_PREFIX.length)) : NaN;
    if (!Number.isInteger(start) || start < 0 || start > regions.length) throw new ServiceError("ValidationException", "The NextToken is not valid.");
  }
  const end = Math.min(regions.length, start + Math.min(max, pageSize ?? max));
  const reply: Record<string, unknown> = { Regions: regions.slice(start, end) };
  if (end < regions.length) reply["NextToken"] = Buffer.from(TOKEN_PREFIX + end).toString("base64");
  const out = jsonReply(reply);
  out.headers["content-type"] = "application/json";
  return out;
}
