/**
 * Audits an account snapshot in process: the fake AWS endpoint on 127.0.0.1, the real SDK clients of the
 * collector pointed at it, the live Inventory and the linter. For rule tests and documentation examples
 * (the CLI's own end-to-end tests run `kmslint audit` in a child process instead).
 */
import { lintInventory, type Finding } from "../src/engine/linter.js";
import type { RuleOptions, TrustContext } from "../src/engine/rule.js";
import { startFakeAws, type FakeAwsOptions, type RecordedCall } from "../src/fake-aws/index.js";
import type { AccountSnapshot } from "../src/fake-aws/snapshot.js";
import type { Inventory } from "../src/model/inventory.js";
import { collectAccount, type AccountData, type CollectOptions } from "../src/sources/aws/collect.js";
import { liveInventory } from "../src/sources/aws/live-inventory.js";

export interface SnapshotAudit {
  data: AccountData;
  inventory: Inventory;
  findings: Finding[];
  calls: RecordedCall[];
}

export interface SnapshotAuditOptions {
  trust?: Partial<TrustContext>;
  /** When the account is read (expiry is measured from it); default now. */
  readAt?: Date;
  ruleOptions?: Record<string, RuleOptions>;
  fake?: Omit<FakeAwsOptions, "snapshot">;
  collect?: Partial<CollectOptions>;
}

/** Collector options for tests: the fake's URL and test credentials, every region, short timeouts. */
export function testCollectOptions(endpoint: string, overrides: Partial<CollectOptions> = {}): CollectOptions {
  return {
    regions: [],
    allRegions: true,
    rates: {},
    concurrency: 16,
    maxAttempts: 3,
    retryMode: "standard",
    callTimeoutMs: 5000,
    signal: new AbortController().signal,
    endpoint,
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" },
    // Access Analyzer is compared only where a test asks for it, so that rule tests see their rule's findings.
    accessAnalyzer: false,
    ...overrides,
  };
}

export async function auditSnapshot(snapshot: AccountSnapshot, options: SnapshotAuditOptions = {}): Promise<SnapshotAudit> {
  const fake = await startFakeAws({ snapshot, ...options.fake });
  try {
    const data = await collectAccount(testCollectOptions(fake.url, { defaultRegion: Object.keys(snapshot.Kms)[0] ?? "us-east-1", ...options.collect }));
    const inventory = liveInventory(data, options.readAt ?? new Date());
    const trust: TrustContext = { account: data.account, trustedAccounts: [], ...(data.org ? { org: data.org } : {}), ...options.trust };
    const { findings } = lintInventory(inventory, { trust, ...(options.ruleOptions ? { ruleOptions: options.ruleOptions } : {}) });
    return { data, inventory, findings, calls: fake.calls };
  } finally {
    await fake.close();
  }
}

/** `ARN` then `line:col  level  message  ruleId` per finding, as the documentation shows an audit. */
export function renderAudit(findings: readonly Finding[]): string {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = groups.get(f.resource ?? "") ?? [];
    list.push(f);
    groups.set(f.resource ?? "", list);
  }
  const out: string[] = [];
  for (const [resource, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const at = list.map((f) => `${f.range.start.line}:${f.range.start.column}`);
    const w1 = Math.max(...at.map((s) => s.length));
    const w2 = Math.max(...list.map((f) => f.severity.length));
    out.push(resource);
    list.forEach((f, i) => out.push(`  ${at[i]!.padEnd(w1)}  ${f.severity.padEnd(w2)}  ${f.message}  ${f.ruleId}`));
  }
  return out.join("\n");
}

const ACCOUNT = "111122223333";

/** A key of a snapshot: `id` becomes a UUID-shaped key id. */
export function keyId(n: number): string {
  return `${n.toString(16).padStart(8, "0")}-aaaa-4bbb-8ccc-${n.toString(16).padStart(12, "0")}`;
}

export function keyArn(n: number, region = "us-east-1"): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId(n)}`;
}

/** A minimal snapshot of account 111122223333 in us-east-1, to be filled by each test. */
export function baseSnapshot(): AccountSnapshot {
  return { Account: ACCOUNT, Organization: { Id: "o-a1b2c3d4e5", MasterAccountId: "999999999999" }, Regions: ["us-east-1"], Kms: { "us-east-1": { Keys: [], Aliases: [] } }, Buckets: [] };
}
