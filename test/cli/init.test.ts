/**
 * `kmslint init`: the starter config (it loads, every setting is explained, its examples are valid when
 * uncommented), the trust context found in policies, templates and plans with where each value was seen, and
 * the refusals (an existing file without --force, a path that does not exist).
 */
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { runInit, type InitOptions } from "../../src/cli/init.js";
import { loadConfigFile } from "../../src/engine/config.js";
import { ROOT, ensureBuilt, fixture, kmslint } from "./helpers.js";

const EXAMPLES = join(ROOT, "policies-examples");
const SCHEMA = "./node_modules/kmslint/schemas/kmslint.config.schema.json";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function init(paths: string[], options: Partial<InitOptions> = {}): Promise<Run> {
  const run = { code: 0, stdout: "", stderr: "" };
  run.code = await runInit(paths, { force: false, ...options }, { stdout: (t) => void (run.stdout += t), stderr: (t) => void (run.stderr += t) });
  return run;
}

const startDirectory = process.cwd();
afterEach(() => process.chdir(startDirectory));

/** The `// "<account>"` candidate lines inside "trustedAccounts": [ … ]. */
function trustCandidates(text: string): string[] {
  const block = /"trustedAccounts": \[\n([\s\S]*?)\n {2}\]/.exec(text)?.[1] ?? "";
  return block.split("\n").map((line) => line.trim());
}

/** The comment lines right above a member, without their "// ". */
function commentAbove(text: string, member: string): string[] {
  const lines = text.split("\n");
  const at = lines.findIndex((line) => line.startsWith(`  "${member}":`) || line.startsWith(`  // "${member}":`));
  const comments: string[] = [];
  for (let i = at - 1; i >= 0 && lines[i]!.startsWith("  //"); i--) comments.unshift(lines[i]!.slice(5));
  return comments;
}

describe("kmslint init without paths", () => {
  it("writes a starter config that loads, every member explained, nothing assumed", async () => {
    const dir = fixture({});
    process.chdir(dir);
    const r = await init([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      'kmslint: wrote kmslint.config.json: set "account" and "org" in it, or run kmslint init <paths> to find them in your policies\n' +
        "kmslint: next: kmslint lint\n",
    );
    const text = readFileSync(join(dir, "kmslint.config.json"), "utf8");
    expect(loadConfigFile(join(dir, "kmslint.config.json")).config).toEqual({ $schema: SCHEMA, trustedAccounts: [], rules: {}, parameters: {}, ignore: [] });
    for (const member of ["$schema", "account", "org", "trustedAccounts", "rules", "parameters", "suppressions", "ignore"]) {
      expect(commentAbove(text, member).length, member).toBeGreaterThan(0);
    }
    expect(commentAbove(text, "account")[0]).toBe("The AWS account that owns the keys and buckets: 12 digits, in quotes. Access from any other account is");
    expect(text).toContain('\n  // "account": "111122223333",\n');
    expect(text).toContain('\n  // "org": "o-a1b2c3d4e5",\n');
    expect(text).not.toContain("Found:");
  });

  it("its examples are valid settings once uncommented", async () => {
    const dir = fixture({});
    const r = await init([], { stdout: true });
    const uncommented = r.stdout.replace(/^( {2})\/\/ (?="(account|org)")/gm, "$1").replace(/^( {4})\/\/ /gm, "$1");
    writeFileSync(join(dir, "kmslint.config.json"), uncommented);
    expect(loadConfigFile(join(dir, "kmslint.config.json")).config).toEqual({
      $schema: SCHEMA,
      account: "111122223333",
      org: "o-a1b2c3d4e5",
      trustedAccounts: ["444455556666"],
      rules: { "rotation-period": ["warning", { maxDays: 180 }], "unknown-action": "error", "unresolved-value": "off" },
      parameters: { PartnerAccount: "444455556666" },
      ignore: ["fixtures/**", "**/*.draft.json"],
    });
  });

  const suppressionsKnown = (() => {
    const dir = fixture({ "kmslint.config.json": '{ "suppressions": [] }' });
    try {
      loadConfigFile(join(dir, "kmslint.config.json"));
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!suppressionsKnown)("its suppression example is a valid suppression once uncommented", async () => {
    const dir = fixture({});
    const r = await init([], { stdout: true });
    const lines = r.stdout.split("\n");
    const from = lines.indexOf('  // "suppressions": [');
    const to = lines.indexOf("  // ],", from);
    const uncommented = [...lines.slice(0, from), ...lines.slice(from, to + 1).map((line) => line.replace("  // ", "  ")), ...lines.slice(to + 1)].join("\n");
    writeFileSync(join(dir, "kmslint.config.json"), uncommented);
    expect(loadConfigFile(join(dir, "kmslint.config.json")).config.suppressions).toEqual([
      {
        rule: "cross-account-access",
        path: "policies/partner-key.json",
        statement: "PartnerDecryptsReports",
        reason: "The partner decrypts the reports we send it (approved in SEC-123).",
        expires: "2026-12-31",
      },
    ]);
  });
});

describe("kmslint init <paths>", () => {
  it("finds the owner, the organization and the other accounts in key policies, and trusts none of them", async () => {
    const out = fixture({});
    const files = ["good-default-key-policy.json", "good-cross-account-decrypt-org.json", "bad-cross-account-untrusted.json"].map((f) => `policies-examples/key-policies/${f}`);
    process.chdir(ROOT);
    const r = await init(files, { output: join(out, "kmslint.config.json") });
    expect(r.code).toBe(0);
    const text = readFileSync(join(out, "kmslint.config.json"), "utf8");
    expect(loadConfigFile(join(out, "kmslint.config.json")).config).toEqual({
      $schema: SCHEMA,
      account: "111122223333",
      org: "o-a1b2c3d4e5",
      trustedAccounts: [],
      rules: {},
      parameters: {},
      ignore: [],
    });
    // Paths in the config are relative to its folder, on stderr to the current folder.
    const shown = (file: string) => relative(out, join(ROOT, file));
    const written = relative(ROOT, join(out, "kmslint.config.json"));
    expect(commentAbove(text, "account").slice(-4)).toEqual([
      "Found: 111122223333, from:",
      `  ${shown(files[0]!)}:9 (root with kms:* or kms:PutKeyPolicy in statement "Enable IAM User Permissions")`,
      `  ${shown(files[1]!)}:9 (root with kms:* or kms:PutKeyPolicy in statement "Enable IAM User Permissions")`,
      `  ${shown(files[2]!)}:9 (root with kms:* or kms:PutKeyPolicy in statement "Enable IAM User Permissions")`,
    ]);
    expect(commentAbove(text, "org").slice(-3)).toEqual([
      "Found: o-a1b2c3d4e5, from:",
      `  ${shown(files[1]!)}:27 (aws:PrincipalOrgID in statement "AllowDecryptFromAccountsInTheOrganization")`,
      "A policy can also name a partner's organization: check that this one is yours.",
    ]);
    expect(trustCandidates(text)).toEqual([
      `// "444455556666",  // ${shown(files[1]!)}:35 (principal in statement "AllowReportingAccountToEncrypt")`,
      `// "999988887777"   // ${shown(files[2]!)}:18 (principal in statement "AllowAnalyticsVendorToDecryptExports")`,
    ]);
    expect(r.stderr).toBe(
      [
        "kmslint: read 3 files (3 key and bucket policies)",
        `kmslint: account 111122223333, from ${files[0]}:9 and 2 other places`,
        `kmslint: org o-a1b2c3d4e5, from ${files[1]}:27`,
        "kmslint: trustedAccounts left empty; candidates listed in the config: 444455556666, 999988887777",
        `kmslint: wrote ${written}`,
        `kmslint: next: kmslint lint --config ${written} ${files.join(" ")}`,
        "",
      ].join("\n"),
    );
  });

  it("reads the whole examples folder: templates and plans too, the malformed file named and skipped", async () => {
    const out = fixture({});
    process.chdir(ROOT);
    const r = await init(["policies-examples"], { stdout: true });
    expect(r.code).toBe(0);
    writeFileSync(join(out, "kmslint.config.json"), r.stdout);
    const { config } = loadConfigFile(join(out, "kmslint.config.json"));
    expect([config.account, config.org, config.trustedAccounts]).toEqual(["111122223333", "o-a1b2c3d4e5", []]);
    const candidates = trustCandidates(r.stdout);
    // The partner (named in 16 places) first, the outsider among the 60 tenants of the oversized key policy.
    expect(candidates).toHaveLength(62);
    expect(candidates[0]).toBe(
      '// "444455556666",  // policies-examples/bucket-policies/bad-list-objects-action.json:9 (principal in statement "AllowAnalyticsAccountToListAndRead") and 15 other places',
    );
    expect(candidates.at(-1)).toBe('// "999988887777"   // policies-examples/key-policies/bad-cross-account-untrusted.json:18 (principal in statement "AllowAnalyticsVendorToDecryptExports")');
    // A template's own account (AWS::AccountId) is the owner whatever its id: never a candidate.
    expect(r.stdout).not.toContain("000000000000");
    expect(r.stderr.split("\n").slice(0, 4)).toEqual([
      'kmslint: skipped policies-examples/bucket-policies/bad-invalid-json.json:20:5: Not valid JSON: Expected "," or "]" after array element. Nothing else in this file was checked; AWS rejects it (MalformedPolicyDocumentException from KMS, MalformedPolicy from S3).',
      "kmslint: read 39 files (42 key and bucket policies)",
      "kmslint: account 111122223333, from policies-examples/key-policies/bad-account-id-as-number.json:9 and 24 other places",
      "kmslint: org o-a1b2c3d4e5, from policies-examples/bucket-policies/good-org-read.json:19 and 4 other places",
    ]);
    expect(r.stderr).toContain("kmslint: next: kmslint lint policies-examples\n");
  });

  it("reads a YAML template: literal accounts and organizations, the resource named; AWS::AccountId is not an account", async () => {
    const dir = fixture({
      "infra/stack.yaml": `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  StackKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Root
            Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::\${AWS::AccountId}:root
            Action: kms:*
            Resource: "*"
  SharedKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Admins
            Effect: Allow
            Principal:
              AWS: arn:aws:iam::111122223333:root
            Action: kms:*
            Resource: "*"
          - Sid: OrgDecrypts
            Effect: Allow
            Principal: "*"
            Action: kms:Decrypt
            Resource: "*"
            Condition:
              StringEquals:
                aws:PrincipalOrgID: o-a1b2c3d4e5
                kms:CallerAccount: ["444455556666", "555566667777"]
`,
    });
    process.chdir(dir);
    const r = await init(["infra"]);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "kmslint.config.json"), "utf8");
    const { config } = loadConfigFile(join(dir, "kmslint.config.json"));
    expect([config.account, config.org, config.trustedAccounts]).toEqual(["111122223333", "o-a1b2c3d4e5", []]);
    expect(commentAbove(text, "account").slice(-2)).toEqual(["Found: 111122223333, from:", '  infra/stack.yaml:25 (root with kms:* or kms:PutKeyPolicy in statement "Admins" of SharedKey)']);
    expect(commentAbove(text, "org").slice(-3, -1)).toEqual(["Found: o-a1b2c3d4e5, from:", '  infra/stack.yaml:35 (aws:PrincipalOrgID in statement "OrgDecrypts" of SharedKey)']);
    expect(trustCandidates(text)).toEqual([
      '// "444455556666",  // infra/stack.yaml:36 (kms:CallerAccount in statement "OrgDecrypts" of SharedKey)',
      '// "555566667777"   // infra/stack.yaml:36 (kms:CallerAccount in statement "OrgDecrypts" of SharedKey)',
    ]);
    expect(r.stderr.split("\n")).toEqual([
      "kmslint: read 1 file (2 key and bucket policies)",
      "kmslint: account 111122223333, from infra/stack.yaml:25",
      "kmslint: org o-a1b2c3d4e5, from infra/stack.yaml:35",
      "kmslint: trustedAccounts left empty; candidates listed in the config: 444455556666, 555566667777",
      "kmslint: wrote kmslint.config.json",
      "kmslint: next: kmslint lint infra",
      "",
    ]);
  });

  it("takes the owner of a Terraform plan from its data.aws_caller_identity", async () => {
    process.chdir(ROOT);
    const r = await init(["policies-examples/terraform/bad-plan-policy-known-after-apply.json"], { stdout: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "  // Found: 111122223333, from:\n  //   policies-examples/terraform/bad-plan-policy-known-after-apply.json (data.aws_caller_identity.current in the plan)\n" +
        '  "account": "111122223333",\n',
    );
  });

  it("sets no owner or organization when the files name several, and lists them", async () => {
    const keyPolicy = (account: string, org: string) =>
      JSON.stringify(
        {
          Version: "2012-10-17",
          Statement: [
            { Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
            { Sid: "Org", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": org } } },
          ],
        },
        null,
        2,
      );
    const dir = fixture({ "a/key.json": keyPolicy("111122223333", "o-a1b2c3d4e5"), "b/key.json": keyPolicy("444455556666", "o-f6g7h8i9j0") });
    process.chdir(dir);
    const r = await init(["."], { stdout: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      [
        "  // Not set: the files name several possible owners. Write the one that owns these keys and buckets:",
        '  //   111122223333: a/key.json:8 (root with kms:* or kms:PutKeyPolicy in statement "Root")',
        '  //   444455556666: b/key.json:8 (root with kms:* or kms:PutKeyPolicy in statement "Root")',
        '  // "account": "111122223333",',
      ].join("\n"),
    );
    expect(r.stdout).toContain(
      [
        "  // Not set: the files name several organizations. Write the owner's:",
        '  //   o-a1b2c3d4e5: a/key.json:21 (aws:PrincipalOrgID in statement "Org")',
        '  //   o-f6g7h8i9j0: b/key.json:21 (aws:PrincipalOrgID in statement "Org")',
        '  // "org": "o-a1b2c3d4e5",',
      ].join("\n"),
    );
    expect(r.stderr).toContain("kmslint: account not set: several possible owners (111122223333, 444455556666), listed in the config\n");
    expect(r.stderr).toContain("kmslint: org not set: several organizations (o-a1b2c3d4e5, o-f6g7h8i9j0), listed in the config\n");
  });

  it("names a malformed file and goes on with the others", async () => {
    const dir = fixture({
      "keys/broken.json": '{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow" }\n    { "Effect": "Deny" }\n  ]\n}\n',
      "keys/good.json": readFileSync(join(EXAMPLES, "key-policies/good-default-key-policy.json")),
    });
    process.chdir(dir);
    const r = await init(["keys"], { stdout: true });
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").slice(0, 3)).toEqual([
      'kmslint: skipped keys/broken.json:5:5: Not valid JSON: Expected "," or "]" after array element. Nothing else in this file was checked; AWS rejects it (MalformedPolicyDocumentException from KMS, MalformedPolicy from S3).',
      "kmslint: read 2 files (1 key or bucket policy)",
      "kmslint: account 111122223333, from keys/good.json:9",
    ]);
    expect(r.stdout).toContain('  "account": "111122223333",\n');
  });
});

describe("kmslint init: where the config goes", () => {
  it("does not overwrite an existing file without --force (exit 2, file unchanged); --force does", async () => {
    const dir = fixture({ "kmslint.config.json": '{ "account": "444455556666" }\n' });
    process.chdir(dir);
    const refused = await init([]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe("kmslint: kmslint.config.json already exists: --force overwrites it, --stdout prints the new config instead\n");
    expect(readFileSync(join(dir, "kmslint.config.json"), "utf8")).toBe('{ "account": "444455556666" }\n');

    const forced = await init([], { force: true });
    expect(forced.code).toBe(0);
    expect(loadConfigFile(join(dir, "kmslint.config.json")).config.account).toBeUndefined();
    expect(readFileSync(join(dir, "kmslint.config.json"), "utf8")).toContain('  // "account": "111122223333",\n');
  });

  it("--stdout prints the config and writes nothing, even over an existing file", async () => {
    const dir = fixture({ "kmslint.config.json": "{}\n" });
    process.chdir(dir);
    const r = await init([], { stdout: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/\/ kmslint configuration: /);
    expect(r.stdout).toContain(`  "$schema": "${SCHEMA}",\n`);
    expect(r.stderr).toBe("kmslint: next: kmslint lint\n");
    expect(readFileSync(join(dir, "kmslint.config.json"), "utf8")).toBe("{}\n");
  });

  it("a path that does not exist, or --stdout with --output, is exit 2 and writes nothing", async () => {
    const dir = fixture({ "key.json": "{}" });
    process.chdir(dir);
    const missing = await init(["key.json", "nope"]);
    expect(missing).toEqual({ code: 2, stdout: "", stderr: "kmslint: no such file or folder: nope\n" });
    const both = await init([], { stdout: true, output: "x.json" });
    expect(both.code).toBe(2);
    expect(both.stderr).toBe("kmslint: --stdout prints the config instead of writing it: give --stdout or --output, not both\n");
    expect(existsSync(join(dir, "kmslint.config.json")) || existsSync(join(dir, "x.json"))).toBe(false);
  });

  it("-o a folder writes kmslint.config.json in it; the next step adds --config when lint would not find it", async () => {
    const dir = fixture({ "policies/key.json": readFileSync(join(EXAMPLES, "key-policies/good-default-key-policy.json")), "ci/.keep": "" });
    process.chdir(dir);
    const inFolder = await init(["policies"], { output: "policies" });
    expect(inFolder.code).toBe(0);
    expect(existsSync(join(dir, "policies/kmslint.config.json"))).toBe(true);
    expect(inFolder.stderr).toContain("kmslint: wrote policies/kmslint.config.json\nkmslint: next: kmslint lint policies\n");
    // The schema path is relative to the config's folder: where npm will install kmslint in the current folder.
    expect(readFileSync(join(dir, "policies/kmslint.config.json"), "utf8")).toContain('"$schema": "../node_modules/kmslint/schemas/kmslint.config.schema.json"');

    const elsewhere = await init(["policies"], { output: "ci/strict config.json" });
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stderr).toContain("kmslint: next: kmslint lint --config 'ci/strict config.json' policies\n");
  });

  it("points $schema at kmslint's schema in the nearest node_modules above the config", async () => {
    const dir = fixture({ "node_modules/kmslint/schemas/kmslint.config.schema.json": "{}", "infra/.keep": "" });
    process.chdir(dir);
    const r = await init([], { output: "infra" });
    expect(r.code).toBe(0);
    expect((loadConfigFile(join(dir, "infra/kmslint.config.json")).config as Record<string, unknown>)["$schema"]).toBe("../node_modules/kmslint/schemas/kmslint.config.schema.json");
  });
});

describe("kmslint init on the command line", () => {
  ensureBuilt();
  const cliHasInit = / init\b/.test(kmslint(["--help"]).stdout);

  it.skipIf(!cliHasInit)("kmslint init --stdout <dir> prints the config found in the folder", () => {
    const dir = fixture({ "keys/key.json": readFileSync(join(EXAMPLES, "key-policies/bad-cross-account-untrusted.json")) });
    const r = kmslint(["init", "--stdout", "keys"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  "account": "111122223333",\n');
    expect(trustCandidates(r.stdout)).toEqual(['// "999988887777"   // keys/key.json:18 (principal in statement "AllowAnalyticsVendorToDecryptExports")']);
    expect(r.stderr).toContain("kmslint: next: kmslint lint keys\n");
    expect(existsSync(join(dir, "kmslint.config.json"))).toBe(false);
  });
});
