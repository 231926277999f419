/**
 * Action classes: what a statement's Action or NotAction reaches, expanded against the real action list
 * (wildcards and NotAction resolved within the service the policy governs), grouped as DESIGN.md says.
 */
import { actionPattern, actionsOf, matchActions, type ActionInfo } from "../model/catalogue.js";
import type { PolicyKind, Statement } from "../model/policy.js";

export type ActionClass = "usage" | "read" | "grant" | "admin" | "write";

/** KMS cryptographic operations and GetPublicKey (DESIGN.md "Action classes"). */
const KMS_USAGE = new Set(
  ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret", "GetPublicKey", "GenerateRandom"].map((a) => a.toLowerCase()),
);
const KMS_GRANT = new Set(["CreateGrant", "RetireGrant", "RevokeGrant", "ListGrants", "ListRetirableGrants"].map((a) => a.toLowerCase()));

export interface ActionSet {
  /** Canonical names (as the catalogue spells them, without the service prefix). */
  actions: string[];
  /** The same, per class. */
  byClass: Map<ActionClass, string[]>;
  /** Every action of the service (Action "*", "kms:*", or a NotAction that excludes little). */
  all: boolean;
  /** The service the names belong to. */
  service: string;
}

export function classOf(kind: PolicyKind, name: string, accessLevel: string): ActionClass {
  if (kind === "key-policy") {
    const lower = name.toLowerCase();
    if (KMS_USAGE.has(lower)) return "usage";
    if (KMS_GRANT.has(lower)) return "grant";
    if (/^(describe|get|list)/.test(lower)) return "read";
    return "admin";
  }
  if (accessLevel.includes("Permissions management")) return "admin";
  if (accessLevel === "Read" || accessLevel === "List") return "read";
  return "write";
}

// An identity policy is never analysed (the access rules do not apply to it; it names no principal): no service.
const SERVICE: Record<PolicyKind, string> = { "key-policy": "kms", "bucket-policy": "s3", "identity-policy": "" };

/** Whether an action pattern (`kms:Decrypt`, `kms:*`, `*`, `*:Get*`) matches `service:name`. */
export function patternMatches(pattern: string, service: string, name: string): boolean {
  if (pattern === "*") return true;
  const colon = pattern.indexOf(":");
  if (colon <= 0) return false;
  return actionPattern(pattern.slice(0, colon)).test(service) && actionPattern(pattern.slice(colon + 1)).test(name);
}

/** Expands Action (or everything but NotAction) within the service the policy kind governs. */
export function expandStatementActions(statement: Statement, kind: PolicyKind): ActionSet {
  const service = SERVICE[kind];
  const catalogue = actionsOf(service);
  const list = statement.action ?? statement.notAction;
  const negate = !statement.action && Boolean(statement.notAction);
  const key = `${kind}|${negate ? "!" : ""}${(list ?? []).map((a) => a.value).join("\u0000")}`;
  const cached = expansionCache.get(key);
  if (cached) return cached;
  let chosen: ActionInfo[];
  if (!list) {
    chosen = [];
  } else {
    const matched = new Set<ActionInfo>();
    for (const { value } of list) for (const action of matchPattern(value, service)) matched.add(action);
    chosen = negate ? catalogue.filter((a) => !matched.has(a)) : catalogue.filter((a) => matched.has(a));
  }
  const byClass = new Map<ActionClass, string[]>();
  for (const action of chosen) {
    const cls = classOf(kind, action.name, action.accessLevel);
    const list = byClass.get(cls) ?? [];
    list.push(action.name);
    byClass.set(cls, list);
  }
  const set = { actions: chosen.map((a) => a.name), byClass, all: chosen.length === catalogue.length && catalogue.length > 0, service };
  if (expansionCache.size > 10_000) expansionCache.clear();
  expansionCache.set(key, set);
  return set;
}

const expansionCache = new Map<string, ActionSet>();

/** The actions of `service` an action pattern matches (`*`, `kms:*`, `kms:Get*`, `*:Describe*`). */
function matchPattern(pattern: string, service: string): readonly ActionInfo[] {
  if (pattern === "*") return actionsOf(service);
  const colon = pattern.indexOf(":");
  if (colon <= 0) return [];
  if (!actionPattern(pattern.slice(0, colon)).test(service)) return [];
  return matchActions(service, pattern.slice(colon + 1));
}

/** "call Decrypt (usage) and DescribeKey (read)", "call 12 actions: admin (…); usage (…)", "call every KMS action (kms:*)". */
export function summarizeActions(set: ActionSet, limit = 4): string {
  if (set.all) return `call every ${set.service === "kms" ? "KMS" : "S3"} action (${set.service}:*)`;
  if (set.actions.length === 0) return "call no action";
  const order: ActionClass[] = ["admin", "grant", "write", "usage", "read"];
  const groups: string[] = [];
  for (const cls of order) {
    const names = set.byClass.get(cls);
    if (!names || names.length === 0) continue;
    const shown = names.slice(0, limit).join(", ");
    groups.push(`${shown}${names.length > limit ? ` and ${names.length - limit} more` : ""} (${cls})`);
  }
  if (set.actions.length <= limit) return `call ${groups.length > 1 ? `${groups.slice(0, -1).join(", ")} and ${groups[groups.length - 1]}` : groups[0]}`;
  return `call ${set.actions.length} actions: ${groups.join("; ")}`;
}
