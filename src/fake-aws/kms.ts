/**
 * The fake KMS: awsJson1_1 (`POST /`, `X-Amz-Target: TrentService.<Operation>`, JSON both ways, timestamps
 * as epoch seconds). Answers the read operations an audit makes — ListKeys, ListAliases, DescribeKey,
 * GetKeyPolicy, GetKeyRotationStatus, ListKeyRotations — from the region's keys and aliases, with KMS's
 * own errors, limits and markers. DescribeKey on a predefined `alias/aws/*` alias without a key creates the
 * AWS managed key, as KMS does.
 */
import type { Call } from "./call.js";
import { createManagedKey, keyPolicyText, regionState, type AccountState, type KeyRecord, type RegionState } from "./state.js";
import { epochSeconds, jsonBody, jsonReply, ServiceError, type Reply } from "./wire.js";

const TARGET_PREFIX = "TrentService.";

/** The call a KMS request makes, read from its target header and JSON body. */
export function kmsCall(state: AccountState, region: string, target: string | undefined, body: string, pageSize: number | undefined): Call {
  const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : (target ?? "");
  const input = jsonBody(body);
  if (!input) {
    const answer = (): never => {
      throw new ServiceError("SerializationException", "Start of structure or map found where not expected.");
    };
    return { service: "kms", operation, answer };
  }
  const keyId = typeof input["KeyId"] === "string" ? input["KeyId"] : undefined;
  const kms = regionState(state, region);
  const call: Call = { service: "kms", operation, answer: () => answer(state, kms, operation, input, pageSize) };
  if (keyId !== undefined) {
    call.resource = keyId;
    call.names = () => keyNames(kms, keyId);
    call.arn = () => {
      try {
        return resolveKey(state, kms, keyId, true).arn;
      } catch {
        return undefined;
      }
    };
  }
  return call;
}

function answer(state: AccountState, region: RegionState, operation: string, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  switch (operation) {
    case "ListKeys":
      return listKeys(region, input, pageSize);
    case "ListAliases":
      return listAliases(state, region, input, pageSize);
    case "DescribeKey":
      return describeKey(state, region, input);
    case "GetKeyPolicy":
      return getKeyPolicy(state, region, input);
    case "GetKeyRotationStatus":
      return getKeyRotationStatus(state, region, input);
    case "ListKeyRotations":
      return listKeyRotations(state, region, input, pageSize);
    default:
      throw new ServiceError("UnknownOperationException", operation ? `The operation ${operation} is not supported by this endpoint.` : "Missing X-Amz-Target header.");
  }
}

function listKeys(region: RegionState, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  const [start, end, next] = page(input, region.keys.length, 1000, 100, pageSize);
  const keys = region.keys.slice(start, end).map((key) => ({ KeyId: key.id, KeyArn: key.arn }));
  return jsonReply(next === undefined ? { Keys: keys, Truncated: false } : { Keys: keys, NextMarker: next, Truncated: true });
}

function listAliases(state: AccountState, region: RegionState, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  let aliases = region.aliases;
  if (input["KeyId"] !== undefined) {
    const key = resolveKey(state, region, requiredString(input, "KeyId"), false);
    aliases = region.aliasesByKey.get(key.id) ?? [];
  }
  const [start, end, next] = page(input, aliases.length, 100, 50, pageSize);
  const entries = aliases.slice(start, end).map((alias) => ({
    AliasName: alias.name,
    AliasArn: alias.arn,
    ...(alias.targetKeyId !== undefined ? { TargetKeyId: alias.targetKeyId } : {}),
    ...(alias.creationDate !== undefined ? { CreationDate: alias.creationDate } : {}),
    ...(alias.lastUpdatedDate !== undefined ? { LastUpdatedDate: alias.lastUpdatedDate } : {}),
  }));
  return jsonReply(next === undefined ? { Aliases: entries, Truncated: false } : { Aliases: entries, NextMarker: next, Truncated: true });
}

function describeKey(state: AccountState, region: RegionState, input: Record<string, unknown>): Reply {
  const keyId = requiredString(input, "KeyId");
  let created: KeyRecord | undefined;
  let key: KeyRecord;
  try {
    key = resolveKey(state, region, keyId, true);
  } catch (error) {
    // A predefined alias whose AWS managed key does not exist yet: KMS creates the key now (in this region only).
    const aliasName = keyId.startsWith("arn:") ? aliasOfArn(state, region, keyId) : keyId;
    created = aliasName !== undefined && error instanceof ServiceError && error.code === "NotFoundException" ? createManagedKey(state, region, aliasName) : undefined;
    if (!created) throw error;
    key = created;
  }
  key.describeJson ??= JSON.stringify({ KeyMetadata: key.metadata });
  const reply = jsonReply(key.describeJson);
  if (created) reply.createdKeyId = created.id;
  return reply;
}

function getKeyPolicy(state: AccountState, region: RegionState, input: Record<string, unknown>): Reply {
  const key = resolveKey(state, region, requiredString(input, "KeyId"), false);
  const policyName = input["PolicyName"] ?? "default";
  if (policyName !== "default") throw new ServiceError("NotFoundException", `No such policy exists: ${String(policyName)}`);
  return jsonReply({ Policy: keyPolicyText(state, region, key), PolicyName: "default" });
}

const DAY_SECONDS = 86_400;

function getKeyRotationStatus(state: AccountState, region: RegionState, input: Record<string, unknown>): Reply {
  const key = resolveKey(state, region, requiredString(input, "KeyId"), false);
  if (!key.rotatable) throw unsupportedForRotation(key);
  if (key.keyState === "PendingDeletion") return jsonReply({ KeyRotationEnabled: false, KeyId: key.arn });
  if (key.keyManager === "AWS") {
    return jsonReply({ KeyRotationEnabled: true, KeyId: key.arn, RotationPeriodInDays: 365, NextRotationDate: nextRotation(key.creationSeconds, 365) });
  }
  const rotation = key.source.Rotation;
  const reply: Record<string, unknown> = { KeyRotationEnabled: rotation?.KeyRotationEnabled === true, KeyId: key.arn };
  if (rotation?.KeyRotationEnabled) {
    const period = rotation.RotationPeriodInDays ?? 365;
    reply["RotationPeriodInDays"] = period;
    reply["NextRotationDate"] = epochSeconds(rotation.NextRotationDate) ?? nextRotation(key.creationSeconds, period);
  }
  if (rotation?.OnDemandRotationStartDate !== undefined) reply["OnDemandRotationStartDate"] = epochSeconds(rotation.OnDemandRotationStartDate);
  return jsonReply(reply);
}

/** The first anniversary of the key's creation, every `period` days, after now. */
function nextRotation(createdSeconds: number, period: number): number {
  const now = Date.now() / 1000;
  const step = period * DAY_SECONDS;
  return createdSeconds + (Math.floor(Math.max(0, now - createdSeconds) / step) + 1) * step;
}

function unsupportedForRotation(key: KeyRecord): ServiceError {
  const meta = key.metadata;
  const reason =
    meta["KeySpec"] !== "SYMMETRIC_DEFAULT"
      ? `key spec is ${String(meta["KeySpec"])}`
      : meta["CustomKeyStoreId"] !== undefined
        ? `is in custom key store ${String(meta["CustomKeyStoreId"])}`
        : `origin is ${String(meta["Origin"])}`;
  return new ServiceError("UnsupportedOperationException", `${key.arn} ${reason} which is not valid for this operation.`);
}

function listKeyRotations(state: AccountState, region: RegionState, input: Record<string, unknown>, pageSize: number | undefined): Reply {
  const key = resolveKey(state, region, requiredString(input, "KeyId"), false);
  // Rotations of symmetric keys: automatic and on demand for KMS key material, on demand for imported material.
  if (key.metadata["KeySpec"] !== "SYMMETRIC_DEFAULT" || key.metadata["CustomKeyStoreId"] !== undefined) throw unsupportedForRotation(key);
  const include = input["IncludeKeyMaterial"] ?? "ROTATIONS_ONLY";
  if (include !== "ROTATIONS_ONLY" && include !== "ALL_KEY_MATERIAL") {
    throw validation(`Value '${String(include)}' at 'includeKeyMaterial' failed to satisfy constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]`);
  }
  // The first key material has no RotationType; only ALL_KEY_MATERIAL lists it.
  const all = (key.source.Rotations ?? []).filter((entry) => include === "ALL_KEY_MATERIAL" || entry["RotationType"] !== undefined);
  const [start, end, next] = page(input, all.length, 1000, 100, pageSize);
  const rotations = all.slice(start, end).map((entry) => {
    const out: Record<string, unknown> = { KeyId: key.id, ...entry };
    for (const field of ["RotationDate", "ValidTo"]) if (out[field] !== undefined) out[field] = epochSeconds(out[field]);
    return out;
  });
  return jsonReply(next === undefined ? { Rotations: rotations, Truncated: false } : { Rotations: rotations, NextMarker: next, Truncated: true });
}

function requiredString(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (typeof value === "string" && value.length > 0) return value;
  const name = member.charAt(0).toLowerCase() + member.slice(1);
  throw validation(`Value null at '${name}' failed to satisfy constraint: Member must not be null`);
}

function validation(detail: string): ServiceError {
  return new ServiceError("ValidationException", `1 validation error detected: ${detail}`);
}

const MARKER_PREFIX = "kmslint-fake:";

/**
 * The slice of a list one call returns: [start, end, NextMarker]. Markers are opaque to the caller (an
 * offset, base64); Limit is checked against the operation's bounds, and pageSize caps it further.
 */
function page(input: Record<string, unknown>, total: number, max: number, fallback: number, pageSize: number | undefined): [number, number, string | undefined] {
  const limit = input["Limit"] ?? fallback;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw validation(`Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${max}`);
  }
  let start = 0;
  const marker = input["Marker"];
  if (marker !== undefined) {
    const decoded = typeof marker === "string" ? Buffer.from(marker, "base64").toString("utf8") : "";
    start = decoded.startsWith(MARKER_PREFIX) ? Number(decoded.slice(MARKER_PREFIX.length)) : NaN;
    if (!Number.isInteger(start) || start < 0 || start > total) throw new ServiceError("InvalidMarkerException", "Could not deserialize marker.");
  }
  const end = Math.min(total, start + Math.min(limit, pageSize ?? limit));
  return [start, end, end < total ? Buffer.from(MARKER_PREFIX + end).toString("base64") : undefined];
}

/** `arn:<partition>:kms:<region>:<account>:<resource>` split, or undefined when malformed. */
function splitArn(arn: string): { region: string; account: string; resource: string } | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[2] !== "kms") return undefined;
  return { region: parts[3] ?? "", account: parts[4] ?? "", resource: parts.slice(5).join(":") };
}

/** The alias name in an alias ARN of this region and account. */
function aliasOfArn(state: AccountState, region: RegionState, arn: string): string | undefined {
  const parts = splitArn(arn);
  if (!parts || parts.region !== region.region || parts.account !== state.account) return undefined;
  return parts.resource.startsWith("alias/") ? parts.resource : undefined;
}

/**
 * The key a KeyId names: a key id, a key ARN, or (where the operation accepts them) an alias name or alias
 * ARN. An ARN of another region or account names no key here.
 */
export function resolveKey(state: AccountState, region: RegionState, keyId: string, allowAlias: boolean): KeyRecord {
  let name = keyId;
  if (keyId.startsWith("arn:")) {
    const arn = splitArn(keyId);
    if (!arn || !(arn.resource.startsWith("key/") || arn.resource.startsWith("alias/"))) throw new ServiceError("InvalidArnException", `Invalid arn ${keyId}`);
    if (arn.region !== region.region || arn.account !== state.account) {
      throw new ServiceError("NotFoundException", arn.resource.startsWith("alias/") ? `Alias ${keyId} is not found.` : `Key '${keyId}' does not exist`);
    }
    name = arn.resource.startsWith("key/") ? arn.resource.slice("key/".length) : arn.resource;
  }
  if (name.startsWith("alias/")) {
    const aliasArn = `arn:${state.partition}:kms:${region.region}:${state.account}:${name}`;
    if (!allowAlias) throw new ServiceError("NotFoundException", `Invalid keyId ${keyId}`);
    const alias = region.aliasByName.get(name);
    const target = alias?.targetKeyId !== undefined ? region.keyById.get(alias.targetKeyId) : undefined;
    if (!target) throw new ServiceError("NotFoundException", `Alias ${aliasArn} is not found.`);
    return target;
  }
  const key = region.keyById.get(name);
  if (!key) throw new ServiceError("NotFoundException", `Key 'arn:${state.partition}:kms:${region.region}:${state.account}:key/${name}' does not exist`);
  return key;
}

/** The names a fault's Resource may use for what KeyId names: as given, the id or alias inside an ARN, the key an alias points to. */
function keyNames(region: RegionState, keyId: string): string[] {
  const names = [keyId];
  let name = keyId;
  if (keyId.startsWith("arn:")) {
    const resource = splitArn(keyId)?.resource ?? "";
    name = resource.startsWith("key/") ? resource.slice("key/".length) : resource;
    names.push(name);
  }
  if (name.startsWith("alias/")) {
    const target = region.aliasByName.get(name)?.targetKeyId;
    if (target !== undefined) names.push(target);
  }
  return names;
}
