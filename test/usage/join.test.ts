/**
 * The usage join (issue 8, part 5): a hand-built fact table against key policies in temporary files, with the
 * findings' rules, positions and words asserted exactly. Positions are computed from the policy text (the line
 * and column of the principal or condition value that grants), so a finding on the wrong node fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TrustContext } from "../../src/engine/rule.js";
import { createDocument } from "../../src/model/document.js";
import type { Inventory } from "../../src/model/inventory.js";
import type { LintResult } from "../../src/report/results.js";
import type { UsageFacts, UsageRow } from "../../src/usage/facts.js";
import { joinUsage, policiesFromFiles, policiesFromInventory, type UsagePolicy } from "../../src/usage/join.js";
import { allRules } from "../../rules/index.js";

const OWNER = "111122223333";
const PARTNER = "999988887777";
const TRUSTED = "444455556666";
const CALLER_ACCOUNT = "555566667777";
const STRANGER = "222233334444";
const ORG = "o-a1b2c3d4e5";
const K1 = `arn:aws:kms:eu-west-1:${OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const K2 = `arn:aws:kms:eu-west-1:${OWNER}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;

const dir = mkdtempSync(join(tmpdir(), "kmslint-join-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const statements = {
  root: { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OWNER}:root` }, Action: "kms:*", Resource: "*" },
  partner: { Sid: "Partner", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PARTNER}:role/ExportReader` }, Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "*" },
  org: { Sid: "Org", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } } },
  trusted: { Sid: "Trusted", Effect: "Allow", Principal: { AWS: TRUSTED }, Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: "*" },
  viaS3: {
    Sid: "ViaS3",
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: "*",
    Condition: { StringEquals: { "kms:CallerAccount": [OWNER, CALLER_ACCOUNT], "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
  },
  readOnly: { Sid: "ReadOnly", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${STRANGER}:root` }, Action: "kms:DescribeKey", Resource: "*" },
};
type Name = keyof typeof statements;

/** A key policy with one statement per line, from line 4. */
function policyText(names: Name[]): string {
  return `{\n  "Version": "2012-10-17",\n  "Statement": [\n${names.map((n) => `    ${JSON.stringify(statements[n])}`).join(",\n")}\n  ]\n}\n`;
}

/** Line and column of `needle` in the statement `name` of a policy written by policyText. */
function at(names: Name[], name: Name, needle: string): { line: number; column: number } {
  const line = names.indexOf(name) + 4;
  const text = policyText(names).split("\n")[line - 1]!;
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not in line ${line}`);
  return { line, column: index + 1 };
}

function row(partial: Partial<UsageRow>): UsageRow {
  return {
    callerAccount: OWNER,
    callerPrincipal: "AROAEXAMPLEOWNER:app",
    callerArn: `arn:aws:iam::${OWNER}:role/App`,
    keyArn: K1,
    keyOwnerAccount: OWNER,
    eventName: "Decrypt",
    viaS3: false,
    errorCode: null,
    count: 10,
    firstTime: "2026-11-01T08:00:00Z",
    lastTime: "2026-11-28T17:30:00Z",
    ...partial,
  };
}

function facts(rows: UsageRow[]): UsageFacts {
  return { records: rows.reduce((n, r) => n + r.count, 0), files: 1, rows };
}

function partnerRow(partial: Partial<UsageRow> = {}): UsageRow {
  return row({ callerAccount: PARTNER, callerPrincipal: "AROAEXAMPLEPARTNER:s1", callerArn: `arn:aws:iam::${PARTNER}:role/ExportReader`, ...partial });
}

const TRUST: TrustContext = { account: OWNER, org: ORG, trustedAccounts: [TRUSTED] };

/** The findings of every result: rule, file (or key ARN), position, level. */
function found(results: LintResult[]): { ruleId: string; file: string; line: number; column: number; level: string }[] {
  return results.flatMap((r) => r.messages.map((m) => ({ ruleId: m.ruleId, file: r.filePath, line: m.line, column: m.column, level: m.level })));
}

function messages(results: LintResult[], ruleId?: string): string[] {
  return results.flatMap((r) => r.messages.filter((m) => !ruleId || m.ruleId === ruleId).map((m) => m.message));
}

async function filePolicies(names: Name[], trust: TrustContext = TRUST, name = "key.json"): Promise<{ path: string; policies: UsagePolicy[] }> {
  const path = write(name, policyText(names));
  return { path, policies: await policiesFromFiles([path], trust) };
}

describe("the rules are registered", () => {
  it("after the other rules, with appliesTo [] (made by the join, not by a policy check)", () => {
    const ids = allRules.map((r) => r.meta.id);
    expect(ids.slice(-3)).toEqual(["unused-cross-account-grant", "denied-caller", "usage-unnamed-account"]);
    for (const rule of allRules.slice(-3)) {
      expect(rule.meta.appliesTo).toEqual([]);
      expect(rule.check).toBeUndefined();
    }
    expect(allRules.find((r) => r.meta.id === "usage-unnamed-account")!.meta.severity).toBe("info");
  });
});

describe("unused-cross-account-grant: accounts", () => {
  const names: Name[] = ["root", "partner"];

  it("an account granted Decrypt that made no call is reported at its principal, with the window and the trail caveat", async () => {
    const { path, policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(results)).toEqual([{ ruleId: "unused-cross-account-grant", file: path, ...at(names, "partner", `"arn:aws:iam::${PARTNER}`), level: "warning" }]);
    expect(messages(results)).toEqual([
      `Account ${PARTNER} (outside the organization) can call Decrypt (usage) and DescribeKey (read) through role/ExportReader in statement "Partner", but made no successful call to any key of account ${OWNER} from 2026-11-01T08:00:00Z to 2026-11-28T17:30:00Z. (The usage of any key of account ${OWNER} counts, since the policy file does not name its key.) If it no longer needs the key, remove it from the statement or narrow the grant (least privilege). Calls are seen only if the trail logged KMS events for this key's account in that window (a trail whose event selectors exclude kms.amazonaws.com, ExcludeManagementEventSources, logs none).`,
    ]);
    expect(results[0]!.messages[0]!.statement).toEqual({ index: 1, sid: "Partner" });
    expect(results[0]!.messages[0]!.fingerprint).toMatch(/^[0-9a-f]{32}:1$/);
    expect(results[0]).toMatchObject({ kind: "key-policy", warningCount: 1, errorCount: 0 });
  });

  it("one successful call from the account is use: nothing reported", async () => {
    const { policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({}), partnerRow({ count: 1 })]), policies, { window: {} });
    expect(found(results)).toEqual([]);
    expect(results).toHaveLength(1);
  });

  it("failed calls are not use: the grant is reported and the failures are counted in it", async () => {
    const { policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({}), partnerRow({ errorCode: "AccessDeniedException", count: 2 })]), policies, { window: {} });
    expect(messages(results, "unused-cross-account-grant")[0]).toContain("from 2026-11-01T08:00:00Z to 2026-11-28T17:30:00Z (it made 2 calls that failed: see denied-caller).");
    // Two failures are under the default threshold of denied-caller.
    expect(found(results).map((f) => f.ruleId)).toEqual(["unused-cross-account-grant"]);
  });

  it("--start/--end set the window named in the message", async () => {
    const { policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({})]), policies, { window: { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") } });
    expect(messages(results)[0]).toContain("from 2026-10-01T00:00:00Z to 2026-12-01T00:00:00Z.");
  });

  it("an account granted through kms:CallerAccount (with kms:ViaService) is reported at its value in the condition", async () => {
    const viaNames: Name[] = ["root", "viaS3"];
    const { path, policies } = await filePolicies(viaNames);
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(results)).toEqual([{ ruleId: "unused-cross-account-grant", file: path, ...at(viaNames, "viaS3", `"${CALLER_ACCOUNT}"`), level: "warning" }]);
    expect(messages(results)[0]).toMatch(/^Account 555566667777 \(outside the organization\) can call Decrypt, GenerateDataKey \(usage\) through any principal in statement "ViaS3", but/);
    const used = joinUsage(facts([row({}), row({ callerAccount: CALLER_ACCOUNT, viaS3: true, eventName: "GenerateDataKey" })]), policies, { window: {} });
    expect(found(used.results)).toEqual([]);
  });

  it("a grant of read actions only (DescribeKey) is not a usage grant: not reported", async () => {
    const { policies } = await filePolicies(["root", "readOnly"]);
    expect(found(joinUsage(facts([row({})]), policies, { window: {} }).results)).toEqual([]);
  });

  it("no call at all to the account's keys: the message says the logs may not cover it", async () => {
    const { policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({ keyOwnerAccount: STRANGER, keyArn: `arn:aws:kms:eu-west-1:${STRANGER}:key/1234abcd-12ab-34cd-56ef-1234567890ab` })]), policies, { window: {} });
    expect(messages(results)[0]).toContain(`No call at all to a key of account ${OWNER} was seen in the window, not even by its owner: check that the logs read cover it.`);
  });
});

describe("unused-cross-account-grant: organizations", () => {
  const names: Name[] = ["root", "org"];

  it("an org grant nobody but the owner used is reported at the aws:PrincipalOrgID value", async () => {
    const { path, policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(results)).toEqual([{ ruleId: "unused-cross-account-grant", file: path, ...at(names, "org", `"${ORG}"`), level: "warning" }]);
    expect(messages(results)[0]).toMatch(
      new RegExp(`^Every account of ${ORG} \\(your organization\\) can call Decrypt \\(usage\\) through any principal of the organization in statement "Org", but no account other than the owner ${OWNER} made a successful call to any key of account ${OWNER} from `),
    );
  });

  it("one successful call from any other account is use of the org grant", async () => {
    const { policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({}), row({ callerAccount: STRANGER, count: 1 })]), policies, { window: {} });
    expect(found(results)).toEqual([]);
  });

  it("without --org the message says so", async () => {
    const { policies } = await filePolicies(names, { account: OWNER, trustedAccounts: [] });
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(messages(results)[0]).toContain(`Every account of ${ORG} (pass --org to tell whether it is yours)`);
  });

  it("the real example policy: the org grant is used by an organization account, the trusted account's role is not", async () => {
    const policies = await policiesFromFiles([join(import.meta.dirname, "../../policies-examples/key-policies/good-cross-account-decrypt-org.json")], TRUST);
    const { results } = joinUsage(facts([row({}), row({ callerAccount: "777788889999", count: 3 })]), policies, { window: {} });
    expect(found(results).map((f) => [f.ruleId, f.line, f.column])).toEqual([["unused-cross-account-grant", 35, 16]]);
    expect(messages(results)[0]).toMatch(/^Account 444455556666 \(a trusted account\) can call Encrypt, GenerateDataKey \(usage\) and DescribeKey \(read\) through role\/ReportPublisher/);
    // Only the owner's calls: the organization grant is unused too, at "o-a1b2c3d4e5" on line 27.
    const ownerOnly = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(ownerOnly.results).map((f) => [f.line, f.column])).toEqual([
      [27, 33],
      [35, 16],
    ]);
    expect(messages(ownerOnly.results)[0]).toContain(
      `Every account of ${ORG} (your organization) can call Decrypt (usage) and DescribeKey (read) through any principal of the organization in statement "AllowDecryptFromAccountsInTheOrganization", but no account other than the owner ${OWNER} made a successful call`,
    );
  });
});

describe("matching the usage with a policy", () => {
  const names: Name[] = ["root", "partner"];

  it("by key ARN: only that key's calls count, and the message names the key", async () => {
    const document = createDocument(policyText(names), "/policies/k1.json");
    const policy: UsagePolicy = { keyArn: K1, keyAccount: OWNER, document, filePath: "/policies/k1.json", trust: TRUST };
    // The partner uses another key of the account: by ARN, K1's grant is unused.
    const rows = [row({}), partnerRow({ keyArn: K2 })];
    const byArn = joinUsage(facts(rows), [policy], { window: {} });
    expect(found(byArn.results)).toEqual([{ ruleId: "unused-cross-account-grant", file: "/policies/k1.json", ...at(names, "partner", `"arn:aws:iam::${PARTNER}`), level: "warning" }]);
    expect(messages(byArn.results)[0]).toContain(`made no successful call to the key ${K1} from`);
    expect(messages(byArn.results)[0]).not.toContain("since the policy file does not name its key");
    // By owner (the same policy without its ARN), the call to K2 counts.
    const { keyArn: _k, keyAccount: _a, ...byOwner } = policy;
    expect(found(joinUsage(facts(rows), [byOwner], { window: {} }).results)).toEqual([]);
  });

  it("a Terraform state that knows its key's ARN gives it: the policy is matched by ARN, positions in the policy string", async () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [statements.root, statements.partner] });
    const state = {
      format_version: "1.0",
      terraform_version: "1.5.7",
      values: {
        root_module: {
          resources: [
            {
              address: "aws_kms_key.data",
              mode: "managed",
              type: "aws_kms_key",
              name: "data",
              provider_name: "registry.terraform.io/hashicorp/aws",
              values: { arn: K1, key_id: "1234abcd-12ab-34cd-56ef-1234567890ab", enable_key_rotation: true, policy },
            },
          ],
        },
      },
    };
    const path = write("state.json", JSON.stringify(state, null, 2));
    const policies = await policiesFromFiles([path], TRUST);
    expect(policies.map((p) => [p.keyArn, p.resource, p.fileKind])).toEqual([[K1, "aws_kms_key.data", "terraform-plan"]]);
    const { results } = joinUsage(facts([row({}), partnerRow({ keyArn: K2 })]), policies, { window: {} });
    const text = JSON.stringify(state, null, 2).split("\n");
    const line = text.findIndex((l) => l.includes('"policy"')) + 1;
    const column = text[line - 1]!.indexOf(`arn:aws:iam::${PARTNER}`) + 1 - 2; // the value starts at its escaped quote
    expect(found(results)).toEqual([{ ruleId: "unused-cross-account-grant", file: path, line, column, level: "warning" }]);
    expect(messages(results)[0]).toMatch(new RegExp(`^aws_kms_key\\.data: Account ${PARTNER} .* to the key ${K1.replaceAll("/", "\\/")} from`));
    expect(results[0]!.messages[0]!.resource).toBe("aws_kms_key.data");
  });

  it("folders are walked, and only key policies are kept", async () => {
    const folder = join(dir, "mixed");
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    writeFileSync(join(folder, "key.json"), policyText(names));
    writeFileSync(join(folder, "bucket.json"), JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: PARTNER }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] }));
    writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "x" }));
    const policies = await policiesFromFiles([folder], TRUST);
    expect(policies.map((p) => p.filePath)).toEqual([join(folder, "key.json")]);
    await expect(policiesFromFiles([join(dir, "missing")], TRUST)).rejects.toThrow(/no such file or folder/);
  });

  it("a live inventory: every key with its ARN; the result is named by the ARN and joins the key's usage findings", () => {
    const document = createDocument(policyText(names), K1);
    const inventory = {
      filePath: `account ${OWNER}`,
      format: "live",
      owner: { account: OWNER, reason: "STS" },
      keys: [
        { resource: { address: K1, type: "AWS::KMS::Key", anchor: document.whole() }, arn: K1, keyManager: "CUSTOMER", aliases: [], policy: { kind: "key-policy", resource: { address: K1, type: "AWS::KMS::Key", anchor: document.whole() }, document } },
        { resource: { address: K2, type: "AWS::KMS::Key", anchor: document.whole() }, arn: K2, keyManager: "CUSTOMER", aliases: [] },
      ],
      buckets: [],
      aliases: [],
      policies: [],
      unresolved: [],
      problems: [],
      resourceCount: 2,
    } as unknown as Inventory;
    const policies = policiesFromInventory(inventory, { trustedAccounts: [] });
    expect(policies.map((p) => [p.keyArn, p.keyAccount, p.filePath, p.trust.account, p.resource])).toEqual([[K1, OWNER, K1, OWNER, undefined]]);
    const rows = [row({}), partnerRow({ errorCode: "AccessDenied", count: 5, eventName: "Decrypt" })];
    const { results } = joinUsage(facts(rows), policies, { window: {} });
    expect(results.map((r) => [r.filePath, r.kind])).toEqual([[K1, "live"]]);
    expect(found(results).map((f) => [f.ruleId, f.line, f.column])).toEqual([
      ["denied-caller", 1, 1],
      ["unused-cross-account-grant", ...Object.values(at(names, "partner", `"arn:aws:iam::${PARTNER}`))],
    ]);
    expect(messages(results, "denied-caller")[0]).toContain(`The key policy grants account ${PARTNER} Decrypt in statement "Partner", so the caller's IAM policy, a Deny or a condition is the more likely cause.`);
  });
});

describe("denied-caller", () => {
  const denied = (count: number, partial: Partial<UsageRow> = {}) =>
    partnerRow({ errorCode: "AccessDeniedException", count, firstTime: "2026-11-03T10:00:00Z", lastTime: "2026-11-04T11:00:00Z", ...partial });

  it("below the threshold (2 of 3) nothing; at it, one finding on the key's result at 1:1", async () => {
    const { policies } = await filePolicies(["root"]);
    expect(found(joinUsage(facts([row({}), denied(2)]), policies, { window: {} }).results)).toEqual([]);
    const { results } = joinUsage(facts([row({}), denied(2), denied(1, { errorCode: "IncorrectKeyException", viaS3: true, eventName: "GenerateDataKey", firstTime: "2026-11-02T09:00:00Z" })]), policies, { window: {} });
    expect(found(results)).toEqual([{ ruleId: "denied-caller", file: K1, line: 1, column: 1, level: "warning" }]);
    expect(messages(results)).toEqual([
      `arn:aws:iam::${PARTNER}:role/ExportReader (account ${PARTNER}, outside the key's account ${OWNER}) failed 3 calls on this key from 2026-11-02T09:00:00Z to 2026-11-04T11:00:00Z: AccessDeniedException 2, IncorrectKeyException 1; Decrypt 2, GenerateDataKey 1; 1 through S3 (SSE-KMS on the caller's requests). Likely cause: access was refused: the key policy does not grant the caller's account, or the caller's IAM policy does not allow the call, or a Deny, a grant's constraints or a condition (kms:ViaService, an encryption context) refused it; a wrong key: the ciphertext, signature or MAC was made under another key (or changed), or the key's usage does not fit the operation. The key policy ${join(dir, "key.json")} (matched by its owner account ${OWNER}, since it does not name its key) does not grant account ${PARTNER} Decrypt, GenerateDataKey: KMS refuses it whatever the caller's IAM policy says. Repeated failures are also what probing for access looks like: make sure the caller is expected.`,
    ]);
    expect(results.find((r) => r.filePath === K1)!.messages[0]!.resource).toBe(K1);
  });

  it("--min-denied changes the threshold; throttling is not a denial", async () => {
    expect(found(joinUsage(facts([denied(2)]), [], { window: {}, minDenied: 2 }).results).map((f) => f.ruleId)).toEqual(["denied-caller"]);
    expect(found(joinUsage(facts([denied(9, { errorCode: "ThrottlingException" })]), [], { window: {} }).results)).toEqual([]);
  });

  it("a role's sessions are one principal; different roles are counted apart", () => {
    const rows = [denied(2, { callerPrincipal: "AROAEXAMPLEPARTNER:s1" }), denied(1, { callerPrincipal: "AROAEXAMPLEPARTNER:s2" }), denied(2, { callerArn: `arn:aws:iam::${PARTNER}:role/Other` })];
    const { results } = joinUsage(facts(rows), [], { window: {} });
    expect(messages(results).map((m) => m.slice(0, m.indexOf(" ("))).sort()).toEqual([`arn:aws:iam::${PARTNER}:role/ExportReader`]);
  });

  it("with a policy that grants the account, the IAM policy is the likely cause; all through S3 is said", async () => {
    const { policies } = await filePolicies(["root", "partner"]);
    const { results } = joinUsage(facts([denied(4, { viaS3: true })]), policies, { window: {} });
    const message = messages(results, "denied-caller")[0]!;
    expect(message).toContain("; Decrypt 4; all through S3 (SSE-KMS on the caller's requests).");
    expect(message).toContain(`grants account ${PARTNER} Decrypt in statement "Partner", so the caller's IAM policy`);
  });

  it("the owner's own principal: its IAM policy decides", async () => {
    const { policies } = await filePolicies(["root"]);
    const { results } = joinUsage(facts([row({ errorCode: "AccessDenied", count: 3 })]), policies, { window: {} });
    expect(messages(results)[0]).toContain(`(account ${OWNER}, the key's own account)`);
    expect(messages(results)[0]).toContain("leaves the owner account's access to its IAM policies when it grants the account root: check the caller's IAM policy.");
  });
});

describe("usage-unnamed-account", () => {
  it("successful calls from an account no statement names: info on the key's result, with counts", async () => {
    const { policies } = await filePolicies(["root", "partner"]);
    const rows = [row({}), partnerRow({ count: 1 }), row({ callerAccount: STRANGER, callerArn: "", eventName: "CreateGrant", count: 2 }), row({ callerAccount: STRANGER, eventName: "Decrypt", count: 5, viaS3: true })];
    const { results } = joinUsage(facts(rows), policies, { window: {} });
    expect(found(results)).toEqual([{ ruleId: "usage-unnamed-account", file: K1, line: 1, column: 1, level: "info" }]);
    expect(messages(results)).toEqual([
      `Account ${STRANGER} (outside the key's account ${OWNER}) made 7 calls that succeeded on this key from 2026-11-01T08:00:00Z to 2026-11-28T17:30:00Z (Decrypt 5, CreateGrant 2; 5 through S3), but no statement of the key policy ${join(dir, "key.json")} (matched by its owner account ${OWNER}, since it does not name its key) names it: it probably calls through a grant (CreateGrant, often made for it by an AWS service such as EBS, RDS or Secrets Manager). List the key's grants (aws kms list-grants --key-id ${K1}) and retire those that are not expected.`,
    ]);
    expect(results.find((r) => r.filePath === K1)).toMatchObject({ infoCount: 1, warningCount: 0 });
  });

  it("not reported when a statement names the account, when an org grant may let it in, or for a key without a matched policy", async () => {
    const named = await filePolicies(["root", "partner"], TRUST, "named.json");
    expect(found(joinUsage(facts([partnerRow({})]), named.policies, { window: {} }).results)).toEqual([]);
    const org = await filePolicies(["root", "org"], TRUST, "org.json");
    expect(found(joinUsage(facts([row({ callerAccount: STRANGER })]), org.policies, { window: {} }).results)).toEqual([]);
    const other = joinUsage(facts([row({ callerAccount: STRANGER, keyArn: `arn:aws:kms:eu-west-1:${PARTNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, keyOwnerAccount: PARTNER })]), named.policies, { window: {} });
    expect(found(other.results).filter((f) => f.ruleId === "usage-unnamed-account")).toEqual([]);
  });
});

describe("the trust context", () => {
  it("trusted accounts are reported too (least privilege), as trusted; the owner's own principals never", async () => {
    const names: Name[] = ["root", "trusted"];
    const { policies } = await filePolicies(names);
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(results).map((f) => [f.line, f.column])).toEqual([Object.values(at(names, "trusted", `"${TRUSTED}"`))]);
    expect(messages(results)[0]).toMatch(/^Account 444455556666 \(a trusted account\) can call Encrypt, GenerateDataKey \(usage\)/);
  });

  it("without --account the owner is inferred from the root statement, and the message says so", async () => {
    const { policies } = await filePolicies(["root", "partner"], { trustedAccounts: [] });
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(messages(results)[0]).toContain(`(Owner account inferred as ${OWNER} from the statement that gives its root kms:PutKeyPolicy; pass --account to be sure.)`);
    expect(messages(results)[0]).toContain(`Account ${PARTNER} (another account)`);
  });

  it("--account decides which account's keys a policy file is matched with", async () => {
    const { policies } = await filePolicies(["root", "partner"], { account: STRANGER, trustedAccounts: [] });
    // The partner used a key of 111122223333, but the policy is said to belong to 222233334444.
    const { results } = joinUsage(facts([partnerRow({})]), policies, { window: {} });
    expect(messages(results, "unused-cross-account-grant")[0]).toContain(`any key of account ${STRANGER}`);
  });

  it("no key ARN and no owner: the policy cannot be joined, and an info finding says why", async () => {
    const { path, policies } = await filePolicies(["partner"], { trustedAccounts: [] }, "ownerless.json");
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(results)).toEqual([{ ruleId: "unused-cross-account-grant", file: path, line: 1, column: 1, level: "info" }]);
    expect(messages(results)[0]).toMatch(/^This key policy could not be joined with the usage: the file does not name its key, and its owner account is unknown \(no --account given, and no account root gets kms:\* or kms:PutKeyPolicy\)\. Pass --account/);
  });

  it("the config's severities apply; off drops the rule", async () => {
    const { policies } = await filePolicies(["root", "partner"]);
    const rows = [row({}), partnerRow({ errorCode: "AccessDenied", count: 3 })];
    const raised = joinUsage(facts(rows), policies, { window: {}, severities: { "unused-cross-account-grant": "error", "denied-caller": "off" } });
    expect(found(raised.results).map((f) => [f.ruleId, f.level])).toEqual([["unused-cross-account-grant", "error"]]);
    expect(raised.results[0]!.errorCount).toBe(1);
  });
});

describe("review regressions", () => {
  it("a template's own account (${AWS::AccountId} without --account) is not an owner: the policy cannot be matched", async () => {
    const template = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::\${AWS::AccountId}:root
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal:
              AWS: arn:aws:iam::${PARTNER}:root
            Action: kms:Decrypt
            Resource: "*"
`;
    const path = write("stack.yaml", template);
    const policies = await policiesFromFiles([path], { trustedAccounts: [] });
    const { results } = joinUsage(facts([row({})]), policies, { window: {} });
    expect(found(results).map((f) => [f.ruleId, f.level])).toEqual([["unused-cross-account-grant", "info"]]);
    expect(messages(results)[0]).toMatch(/--account/);
    expect(messages(results)[0]).not.toContain("000000000000");
  });

  it("denied-caller reads a grant of kms:ReEncrypt* as granting the ReEncrypt event", async () => {
    const reencrypt = { Sid: "ReEncrypt", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${PARTNER}:root` }, Action: "kms:ReEncrypt*", Resource: "*" };
    const path = write("reencrypt.json", JSON.stringify({ Version: "2012-10-17", Statement: [statements.root, reencrypt] }, null, 2));
    const policies = await policiesFromFiles([path], TRUST);
    const { results } = joinUsage(facts([partnerRow({ eventName: "ReEncrypt", errorCode: "AccessDeniedException", count: 3 })]), policies, { window: {} });
    const denied = messages(results, "denied-caller");
    expect(denied).toHaveLength(1);
    expect(denied[0]).not.toMatch(/does not grant account/);
  });
});
