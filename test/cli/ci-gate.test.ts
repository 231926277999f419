/**
 * The CI gate: SARIF (validated against the official schema), GitHub annotations, --output, fingerprints,
 * baselines, config suppressions, --ignore-unknown and `kmslint rules --format json`. kmslint runs as a child
 * process from bin/kmslint.js, as CI runs it.
 */
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { allRules } from "../../rules/index.js";
import { formatGithub } from "../../src/report/github.js";
import type { LintResult } from "../../src/report/results.js";
import { sarifErrors } from "../sarif-validator.js";
import { ROOT, ensureBuilt, fixture, kmslint } from "./helpers.js";

beforeAll(ensureBuilt);

const EXAMPLES = join(ROOT, "policies-examples");

interface SarifResult {
  ruleId: string;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number; startColumn: number; endLine: number; endColumn: number } }; logicalLocations?: { name?: string; fullyQualifiedName?: string; kind?: string }[] }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; status?: string; justification?: string }[];
  baselineState?: string;
  properties?: Record<string, unknown>;
}

function sarifOf(stdout: string): { log: { runs: { tool: { driver: { rules: { id: string; helpUri?: string; defaultConfiguration?: { level: string }; help?: { markdown?: string } }[] } }; results: SarifResult[] }[] }; results: SarifResult[] } {
  const log = JSON.parse(stdout);
  expect(sarifErrors(log)).toEqual([]);
  return { log, results: log.runs[0].results };
}

/** A key policy of account 111122223333: the root statement, a partner account (a warning) and anyone (an error). */
const statements = {
  root: { Sid: "Root", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" },
  partner: { Sid: "Partner", Effect: "Allow", Principal: { AWS: "arn:aws:iam::999988887777:root" }, Action: ["kms:Decrypt"], Resource: "*" },
  anyone: { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
};
/** One statement per line: Partner on line 5, Anyone on line 6. */
const KEY_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    ${JSON.stringify(statements.root)},
    ${JSON.stringify(statements.partner)},
    ${JSON.stringify(statements.anyone)}
  ]
}
`;
const CONFIG = JSON.stringify({ account: "111122223333" });

describe("--format sarif", () => {
  it("a policy file: valid SARIF 2.1.0, every rule declared, results with region, statement and fingerprint", () => {
    const dir = fixture({ "policies/key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    const r = kmslint(["lint", "--format", "sarif", "policies"], dir);
    expect(r.code).toBe(1);
    const { log, results } = sarifOf(r.stdout);
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((rule) => rule.id)).toEqual(allRules.map((rule) => rule.meta.id));
    const publicAccess = rules.find((rule) => rule.id === "public-access")!;
    expect(publicAccess.defaultConfiguration).toEqual({ level: "error" });
    expect(publicAccess.helpUri).toMatch(/^file:\/\/.*\/rules\/public-access\.md$/);
    expect(publicAccess.help?.markdown).toContain("# public-access");
    expect(rules.find((rule) => rule.id === "unresolved-value")!.defaultConfiguration).toEqual({ level: "note" });

    expect(results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.region])).toEqual([
      ["cross-account-access", "warning", { startLine: 5, startColumn: 58, endLine: 5, endColumn: 90 }],
      ["public-access", "error", { startLine: 6, startColumn: 50, endLine: 6, endColumn: 53 }],
    ]);
    const [partner, anyone] = results as [SarifResult, SarifResult];
    expect(partner.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: "policies/key-policy.json", uriBaseId: "%SRCROOT%" });
    expect(partner.locations[0]!.logicalLocations).toEqual([{ name: "Partner", fullyQualifiedName: "Statement[1]", kind: "object" }]);
    expect(anyone.partialFingerprints["primaryLocationLineHash"]).toMatch(/^[0-9a-f]{32}:1$/);
    expect(anyone.partialFingerprints["kmslint/v1"]).toBe(anyone.partialFingerprints["primaryLocationLineHash"]);
  });

  it("templates (YAML) and Terraform plans: valid, placed on the template's and plan's lines, named by resource", () => {
    const r = kmslint(["lint", "--format", "sarif", "cloudformation/bad-shared-bucket-aws-managed-key.yaml", "terraform/bad-plan-rotation-period.json"], EXAMPLES);
    expect(r.code).toBe(1);
    const { results } = sarifOf(r.stdout);
    const yaml = results.filter((x) => x.locations[0]!.physicalLocation.artifactLocation.uri === "cloudformation/bad-shared-bucket-aws-managed-key.yaml");
    const plan = results.filter((x) => x.locations[0]!.physicalLocation.artifactLocation.uri === "terraform/bad-plan-rotation-period.json");
    expect(yaml.length).toBeGreaterThan(0);
    expect(plan.length).toBeGreaterThan(0);
    // The same findings, at the same places, as --format json says.
    const json = JSON.parse(kmslint(["lint", "--format", "json", "cloudformation/bad-shared-bucket-aws-managed-key.yaml", "terraform/bad-plan-rotation-period.json"], EXAMPLES).stdout) as LintResult[];
    const expected = json.flatMap((file) => file.messages.map((m) => [m.ruleId, m.line, m.column, m.resource]));
    const actual = [...yaml, ...plan].map((x) => [x.ruleId, x.locations[0]!.physicalLocation.region.startLine, x.locations[0]!.physicalLocation.region.startColumn, x.locations[0]!.logicalLocations?.find((l) => l.kind === "resource")?.name]);
    expect(actual).toEqual(expected);
    expect(yaml.find((x) => x.ruleId === "aws-managed-key-on-shared-bucket")).toBeDefined();
  });

  it("every bundled example, an unparseable file and an empty run are valid SARIF", () => {
    const all = kmslint(["lint", "--format", "sarif", "."], EXAMPLES);
    expect(all.code).toBe(1);
    const { results } = sarifOf(all.stdout);
    const invalidJson = results.find((x) => x.ruleId === "invalid-json")!;
    expect(invalidJson.locations[0]!.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
    expect(results.every((x) => x.locations[0]!.physicalLocation.region.startLine >= 1 && x.locations[0]!.physicalLocation.region.startColumn >= 1)).toBe(true);

    const dir = fixture({ "key.json": JSON.stringify({ Version: "2012-10-17", Statement: [statements.root] }) });
    const clean = kmslint(["lint", "--format", "sarif", "key.json"], dir);
    expect(clean.code).toBe(0);
    expect(sarifOf(clean.stdout).results).toEqual([]);
  });

  it("audits: valid SARIF, each result located by the key's or bucket's ARN, with the API answer and pointer", () => {
    const r = kmslint(["audit", "--demo", "--no-progress", "--format", "sarif"], ROOT);
    expect(r.code).toBe(1);
    const { results } = sarifOf(r.stdout);
    expect(results.length).toBeGreaterThan(10);
    for (const x of results) {
      const { uri, uriBaseId } = x.locations[0]!.physicalLocation.artifactLocation;
      expect(uri).toMatch(/^arn:aws:(kms|s3|iam):/);
      expect(uriBaseId).toBeUndefined();
      expect(x.locations[0]!.logicalLocations?.[0]).toMatchObject({ fullyQualifiedName: uri, kind: "resource" });
    }
    const policyFinding = results.find((x) => x.ruleId === "public-access")!;
    expect(policyFinding.properties).toMatchObject({ api: expect.stringMatching(/^Get(Key|Bucket)Policy$/), pointer: expect.stringMatching(/^\//) });
  });
});

describe("--format github and --output", () => {
  it("prints one workflow command per finding with file, line, column and rule, then the summary", () => {
    const dir = fixture({ "key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    const r = kmslint(["lint", "--format", "github", "key-policy.json"], dir);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^::warning file=key-policy\.json,line=5,col=58,endLine=5,endColumn=90,title=kmslint cross-account-access::Account 999988887777 /);
    expect(lines[1]).toMatch(/^::error file=key-policy\.json,line=6,col=50,endLine=6,endColumn=53,title=kmslint public-access::Statement "Anyone" lets anyone/);
    expect(lines[2]).toBe("kmslint: 1 file checked; 1 error, 1 warning.");
  });

  it("escapes what would end a workflow command; audits name the ARN", () => {
    const result = {
      filePath: join(process.cwd(), "dir,with:odd", "a%b.json"),
      messages: [{ ruleId: "invalid-policy", severity: 2, level: "error", message: "50% of\nit", messageId: "x", line: 2, column: 3, endLine: 4, endColumn: 1, fingerprint: "f:1" }],
    } as unknown as LintResult;
    const arn = { filePath: "arn:aws:kms:eu-west-1:111122223333:key/k", messages: [{ ...result.messages[0]!, severity: 0, message: "note" }] } as unknown as LintResult;
    expect(formatGithub([result, arn], "summary")).toBe(
      "::error file=dir%2Cwith%3Aodd/a%25b.json,line=2,col=3,endLine=4,title=kmslint invalid-policy::50%25 of%0Ait\n" +
        "::notice title=kmslint invalid-policy on arn%3Aaws%3Akms%3Aeu-west-1%3A111122223333%3Akey/k::arn:aws:kms:eu-west-1:111122223333:key/k: note\n" +
        "summary\n",
    );
  });

  it("--output writes the report to a file (every format), the summary to stderr, and keeps the exit code", () => {
    const dir = fixture({ "key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    for (const format of ["pretty", "json", "sarif", "github"]) {
      const r = kmslint(["lint", "--format", format, "--output", `out/report.${format}`, "key-policy.json"], dir);
      expect(r.code, format).toBe(1);
      expect(r.stdout, format).toBe("");
      expect(r.stderr, format).toBe(`kmslint: 1 file checked; 1 error, 1 warning. Report: out/report.${format}.\n`);
      const written = readFileSync(join(dir, "out", `report.${format}`), "utf8");
      if (format === "sarif") expect(sarifOf(written).results).toHaveLength(2);
      if (format === "json") expect((JSON.parse(written) as LintResult[])[0]!.errorCount).toBe(1);
      if (format === "pretty") {
        expect(written).toContain("6:50");
        expect(written).not.toContain("\u001b[");
      }
    }
    const bad = kmslint(["lint", "--output", join(dir, "key-policy.json", "x.txt"), "key-policy.json"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kmslint: cannot write --output .*x\.txt: (ENOTDIR|EEXIST)/);
  });
});

describe("fingerprints and baselines", () => {
  const reformatted = {
    // Indented by 4, keys in another order, statements moved: the same findings.
    moved: JSON.stringify({ Statement: [statements.anyone, statements.root, { ...statements.partner, Resource: "*" }], Version: "2012-10-17" }, null, 4),
    minified: JSON.stringify({ Version: "2012-10-17", Statement: [statements.root, statements.partner, statements.anyone] }),
  };

  it("a baseline keeps matching when the policy is reformatted or its statements move, and not when a principal changes", () => {
    const dir = fixture({ "key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    const write = kmslint(["lint", "--write-baseline", ".kmslint-baseline.json", "key-policy.json"], dir);
    expect(write.code).toBe(0);
    expect(write.stdout).toBe("kmslint: 1 file checked; 0 errors, 0 warnings (2 in the baseline).\n");
    expect(write.stderr).toBe("kmslint: wrote 2 findings to the baseline .kmslint-baseline.json.\n");
    const baseline = JSON.parse(readFileSync(join(dir, ".kmslint-baseline.json"), "utf8"));
    expect(baseline).toMatchObject({ kmslint: "baseline", version: 1 });
    expect(baseline.findings.map((e: { location: string; ruleId: string; line: number }) => [e.location, e.ruleId, e.line])).toEqual([
      ["key-policy.json", "cross-account-access", 5],
      ["key-policy.json", "public-access", 6],
    ]);

    for (const [how, text] of Object.entries(reformatted)) {
      writeFileSync(join(dir, "key-policy.json"), text);
      const r = kmslint(["lint", "--baseline", ".kmslint-baseline.json", "key-policy.json"], dir);
      expect([how, r.code, r.stdout]).toEqual([how, 0, "kmslint: 1 file checked; 0 errors, 0 warnings (2 in the baseline).\n"]);
    }

    // Another partner account: a new finding (the old one is fixed), reported at its position.
    writeFileSync(join(dir, "key-policy.json"), KEY_POLICY.replace("999988887777", "777766665555"));
    const changed = kmslint(["lint", "--format", "json", "--baseline", ".kmslint-baseline.json", "key-policy.json"], dir);
    expect(changed.code).toBe(0);
    const [result] = JSON.parse(changed.stdout) as LintResult[];
    expect(result!.messages.map((m) => [m.ruleId, m.line, m.column])).toEqual([["cross-account-access", 5, 58]]);
    expect(result!.messages[0]!.message).toContain("777766665555");
    expect(result!.suppressedMessages.map((m) => [m.ruleId, m.suppressions])).toEqual([
      ["public-access", [{ kind: "baseline", justification: "recorded in the baseline .kmslint-baseline.json", source: ".kmslint-baseline.json" }]],
    ]);
    const pretty = kmslint(["lint", "--baseline", ".kmslint-baseline.json", "key-policy.json"], dir);
    expect(pretty.stdout).toContain("5:58");
    expect(pretty.stdout.trimEnd().split("\n").pop()).toBe("kmslint: 1 file checked; 0 errors, 1 warning (1 in the baseline, 1 baseline entry fixed).");

    // A new error is not in the baseline: exit 1, and in SARIF it is "new" while baselined ones are left out.
    const encrypt = JSON.stringify({ ...statements.anyone, Sid: "AnyoneEncrypts", Action: "kms:Encrypt" });
    writeFileSync(join(dir, "key-policy.json"), KEY_POLICY.replace(`${JSON.stringify(statements.anyone)}\n`, `${JSON.stringify(statements.anyone)},\n    ${encrypt}\n`));
    const sarif = kmslint(["lint", "--format", "sarif", "--baseline", ".kmslint-baseline.json", "key-policy.json"], dir);
    expect(sarif.code).toBe(1);
    const { results } = sarifOf(sarif.stdout);
    expect(results.map((x) => [x.ruleId, x.baselineState, x.locations[0]!.physicalLocation.region.startLine])).toEqual([["public-access", "new", 7]]);
  });

  it("fingerprints are the same in JSON and YAML templates for the same policy, and differ per statement content", () => {
    const policy = { Version: "2012-10-17", Statement: [statements.root, statements.anyone] };
    const template = { AWSTemplateFormatVersion: "2010-09-09", Resources: { Key: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, KeyPolicy: policy } } } };
    const dir = fixture({ "t.json": JSON.stringify(template, null, 2), "t.yaml": toYaml(template), "kmslint.config.json": CONFIG });
    const r = kmslint(["lint", "--format", "json", "t.json", "t.yaml"], dir);
    const [json, yaml] = JSON.parse(r.stdout) as LintResult[];
    const publicOf = (x: LintResult) => x.messages.find((m) => m.ruleId === "public-access")!;
    expect(publicOf(json!).line).not.toBe(publicOf(yaml!).line);
    expect(publicOf(json!).fingerprint).toBe(publicOf(yaml!).fingerprint);
  });

  it("--write-baseline on some files keeps the entries of the others; a broken baseline is a usage error with its position", () => {
    const dir = fixture({ "a/key-policy.json": KEY_POLICY, "b/key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    expect(kmslint(["lint", "--write-baseline", "baseline.json", "a", "b"], dir).code).toBe(0);
    writeFileSync(join(dir, "a", "key-policy.json"), JSON.stringify({ Version: "2012-10-17", Statement: [statements.root] }));
    const partial = kmslint(["lint", "--write-baseline", "baseline.json", "a/key-policy.json"], dir);
    expect(partial.stderr).toBe("kmslint: wrote 0 findings to the baseline baseline.json (and kept 2 of files this run did not check).\n");
    const entries = JSON.parse(readFileSync(join(dir, "baseline.json"), "utf8")).findings as { location: string }[];
    expect(entries.map((e) => e.location)).toEqual(["b/key-policy.json", "b/key-policy.json"]);

    writeFileSync(join(dir, "broken.json"), '{\n  "kmslint": "baseline",\n  "version": 1,\n  "findings": [{"location": "x"}]\n}\n');
    const broken = kmslint(["lint", "--baseline", "broken.json", "a"], dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toBe('kmslint: broken.json:4:16: an entry needs "location", "ruleId" and "fingerprint" (hash:N)\n');
    const notBaseline = kmslint(["lint", "--baseline", "kmslint.config.json", "a"], dir);
    expect(notBaseline.code).toBe(2);
    expect(notBaseline.stderr).toContain("kmslint.config.json:1:1: not a kmslint baseline");
    expect(kmslint(["lint", "--baseline", "missing.json", "a"], dir).stderr).toBe("kmslint: cannot read baseline missing.json: ENOENT\n");
  });
});

describe("config suppressions", () => {
  const config = (suppressions: unknown[]) => `{
  // The partner's access is reviewed.
  "account": "111122223333",
  "suppressions": ${JSON.stringify(suppressions, null, 2).replace(/\n/g, "\n  ")}
}
`;

  it("suppresses by rule, path and Sid: counted, kept in JSON and SARIF with the reason, not in the exit code", () => {
    const dir = fixture({
      "policies/key-policy.json": KEY_POLICY,
      "kmslint.config.json": config([{ rule: "public-access", path: "policies/*.json", statement: "Anyone", reason: "a public test key (ticket SEC-12)", expires: "2999-12-31" }]),
    });
    const r = kmslint(["lint", "policies"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("public-access");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("kmslint: 1 file checked; 0 errors, 1 warning (1 suppressed).");

    const json = JSON.parse(kmslint(["lint", "--format", "json", "policies"], dir).stdout) as LintResult[];
    expect(json[0]!.errorCount).toBe(0);
    expect(json[0]!.suppressedMessages).toEqual([
      expect.objectContaining({
        ruleId: "public-access",
        line: 6,
        column: 50,
        suppressions: [{ kind: "external", justification: "a public test key (ticket SEC-12)", source: "kmslint.config.json:5:5", expires: "2999-12-31" }],
      }),
    ]);
    const { results } = sarifOf(kmslint(["lint", "--format", "sarif", "policies"], dir).stdout);
    expect(results.find((x) => x.ruleId === "public-access")!.suppressions).toEqual([
      { kind: "external", status: "accepted", justification: "a public test key (ticket SEC-12)", properties: { source: "kmslint.config.json:5:5", expires: "2999-12-31" } },
    ]);
    expect(results.find((x) => x.ruleId === "cross-account-access")!.suppressions).toBeUndefined();
  });

  it("matches /Statement/N pointers and template resources; another statement or resource is not suppressed", () => {
    const template = {
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        KeyA: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, KeyPolicy: { Version: "2012-10-17", Statement: [statements.root, statements.anyone] } } },
        KeyB: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: true, KeyPolicy: { Version: "2012-10-17", Statement: [statements.root, statements.anyone] } } },
      },
    };
    const dir = fixture({
      "stack.yaml": toYaml(template),
      "kmslint.config.json": config([{ rule: "public-access", path: "stack.yaml", resource: "KeyA", statement: "/Statement/1", reason: "reviewed" }]),
    });
    const json = JSON.parse(kmslint(["lint", "--format", "json", "stack.yaml"], dir).stdout) as LintResult[];
    expect(json[0]!.messages.filter((m) => m.ruleId === "public-access").map((m) => m.resource)).toEqual(["KeyB"]);
    expect(json[0]!.suppressedMessages.map((m) => [m.ruleId, m.resource])).toEqual([["public-access", "KeyA"]]);
  });

  it("an expired suppression reports its findings again and warns at the entry; an unused one warns; one for files not linted says nothing", () => {
    const dir = fixture({
      "policies/key-policy.json": KEY_POLICY,
      "other/key-policy.json": KEY_POLICY,
      "kmslint.config.json": config([
        { rule: "public-access", path: "policies/key-policy.json", reason: "temporary", expires: "2020-01-31" },
        { rule: "lockout-risk", path: "policies/*.json", reason: "the finding is gone" },
        { rule: "public-access", path: "elsewhere/**", reason: "not linted in this run" },
      ]),
    });
    const r = kmslint(["lint", "--format", "json", "policies"], dir);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout) as LintResult[];
    const policy = results.find((x) => x.kind === "key-policy")!;
    const reported = policy.messages.find((m) => m.ruleId === "public-access")!;
    expect(reported.message).toMatch(/\(A suppression in kmslint\.config\.json:5:5 expired on 2020-01-31: "temporary"\.\)$/);
    const configResult = results.find((x) => x.kind === "config")!;
    expect(configResult.filePath).toBe(join(dir, "kmslint.config.json"));
    expect(configResult.messages.map((m) => [m.ruleId, m.line, m.column, m.severity])).toEqual([
      ["expired-suppression", 5, 5, 1],
      ["unused-suppression", 11, 5, 1],
    ]);
    expect(configResult.messages[0]!.message).toContain("expired on 2020-01-31");
    expect(configResult.messages[0]!.message).toContain("the finding it matched is reported again");
    const pretty = kmslint(["lint", "policies"], dir);
    expect(pretty.stdout).toContain("kmslint.config.json:5:5");
    expect(pretty.stdout.trimEnd().split("\n").pop()).toBe("kmslint: 1 file checked; 1 error, 3 warnings.");
  });

  it("rejects a suppression without a reason, without a place, of an unknown rule or with a bad date, with positions", () => {
    const dir = fixture({
      "key.json": KEY_POLICY,
      "kmslint.config.json": config([
        { rule: "public-access", path: "key.json" },
        { rule: "public-acess", path: "key.json", reason: "typo" },
        { rule: "public-access", reason: "no place" },
        { rule: "public-access", path: "key.json", reason: "x", expires: "2026-02-30" },
      ]),
    });
    const r = kmslint(["lint", "key.json"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kmslint.config.json:5:5: /suppressions/0: needs a "reason": why the finding is accepted (shown in JSON and SARIF)');
    expect(r.stderr).toContain('kmslint.config.json:14:5: /suppressions/2: needs "path" (the files it applies to) or "arn" (the key or bucket of an audit)');
    const known = fixture({ "key.json": KEY_POLICY, "kmslint.config.json": config([{ rule: "public-acess", path: "key.json", reason: "typo" }, { rule: "public-access", path: "key.json", reason: "x", expires: "2026-02-30" }]) });
    const second = kmslint(["lint", "key.json"], known);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('kmslint.config.json:6:15: /suppressions/0/rule: "public-acess" is not a kmslint rule id');
    expect(second.stderr).toContain("kmslint.config.json:14:18: /suppressions/1/expires: 2026-02-30 is not a date");
  });

  it("audits suppress by ARN pattern; a literal ARN of the audited account that matched nothing is unused", () => {
    const dir = fixture({
      "kmslint.config.json": JSON.stringify(
        {
          account: "111122223333",
          org: "o-a1b2c3d4e5",
          trustedAccounts: ["444455556666"],
          suppressions: [
            { rule: "public-access", arn: "arn:aws:kms:*:111122223333:key/*", reason: "demo" },
            { rule: "rotation-disabled", arn: "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000", reason: "deleted key" },
          ],
        },
        null,
        2,
      ),
    });
    const plain = JSON.parse(kmslint(["audit", "--demo", "--no-progress", "--format", "json"], ROOT).stdout) as LintResult[];
    const publicOnKeys = plain.filter((x) => x.filePath.includes(":kms:")).flatMap((x) => x.messages).filter((m) => m.ruleId === "public-access").length;
    expect(publicOnKeys).toBeGreaterThan(0);
    const r = kmslint(["audit", "--demo", "--no-progress", "--format", "json", "--config", join(dir, "kmslint.config.json")], ROOT);
    const results = JSON.parse(r.stdout) as LintResult[];
    expect(results.filter((x) => x.filePath.includes(":kms:")).flatMap((x) => x.messages).filter((m) => m.ruleId === "public-access")).toEqual([]);
    expect(results.flatMap((x) => x.suppressedMessages).filter((m) => m.ruleId === "public-access")).toHaveLength(publicOnKeys);
    const configResult = results.find((x) => x.kind === "config")!;
    expect(configResult.messages.map((m) => [m.ruleId, m.line])).toEqual([["unused-suppression", 13]]);
  });
});

describe("the suppression rules' pages print what kmslint prints", () => {
  for (const [rule, policy] of [
    ["unused-suppression", { Version: "2012-10-17", Statement: [statements.root] }],
    ["expired-suppression", JSON.parse(KEY_POLICY) as object],
  ] as const) {
    it(rule, () => {
      const page = readFileSync(join(ROOT, "rules", `${rule}.md`), "utf8");
      const config = /```json\n([\s\S]*?)```/.exec(page)![1]!;
      const expected = /```text\n([\s\S]*?)```/.exec(page)![1]!.trimEnd();
      const dir = fixture({ "kmslint.config.json": config, "policies/key-policy.json": JSON.stringify(policy, null, 2) });
      const r = kmslint(["lint", "policies"], dir);
      const section = r.stdout.slice(r.stdout.indexOf("kmslint.config.json")).split(/\n\n|\nkmslint: /)[0]!;
      expect(section.replace(/ {2,}/g, "  ").replace(/^\s*⚠\s+/gm, "  ").replace(/:(\d+):(\d+)\n/, "\n")).toBe(expected.replace(/(\d+:\d+)\s+warning\s+/g, "$1  "));
    });
  }
});

describe("--ignore-unknown (pre-commit, lint-staged)", () => {
  it("skips named files that are not policies, templates or plans, and still lints the rest", () => {
    const dir = fixture({
      "key-policy.json": KEY_POLICY,
      "package.json": JSON.stringify({ name: "x", version: "1.0.0" }),
      ".github/workflows/ci.yml": "on: push\njobs: {}\n",
      "kmslint.config.json": CONFIG,
    });
    const named = ["key-policy.json", "package.json", ".github/workflows/ci.yml"];
    const without = kmslint(["lint", ...named], dir);
    expect(without.stdout).toContain("package.json");
    const r = kmslint(["lint", "--ignore-unknown", ...named], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("package.json");
    expect(r.stdout).not.toContain("ci.yml");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("kmslint: 1 file checked, 2 files skipped (not a policy, template or plan); 1 error, 1 warning.");
  });

  it("skips JSON with comments that is none of kmslint's inputs (tsconfig.json), but reports a policy with comments", () => {
    const tsconfig = '{\n  // what tsc --init writes\n  "compilerOptions": {\n    "strict": true, /* on */\n    "target": "es2022",\n  },\n}\n';
    const commented = KEY_POLICY.replace('"Version"', '// reviewed\n  "Version"');
    const dir = fixture({ "tsconfig.json": tsconfig, "policies/key-policy.json": commented, "kmslint.config.json": CONFIG });
    const named = kmslint(["lint", "--ignore-unknown", "tsconfig.json", "policies/key-policy.json"], dir);
    expect(named.code).toBe(1);
    expect(named.stdout).not.toContain("tsconfig.json");
    expect(named.stdout).toMatch(/policies\/key-policy\.json:2:3\n.*2:3\s+.*invalid-json/);
    expect(named.stdout.trimEnd().split("\n").pop()).toBe("kmslint: 1 file checked, 1 file skipped (not a policy, template or plan); 1 error, 0 warnings.");
    const folder = kmslint(["lint", "."], dir);
    expect(folder.stdout).not.toContain("tsconfig.json");
    expect(kmslint(["lint", "tsconfig.json"], dir).code).toBe(1);
  });

  it("applies the config's ignore patterns to named files", () => {
    const dir = fixture({ "fixtures/key-policy.json": KEY_POLICY, "kmslint.config.json": JSON.stringify({ account: "111122223333", ignore: ["fixtures"] }) });
    expect(kmslint(["lint", "fixtures/key-policy.json"], dir).code).toBe(1);
    const r = kmslint(["lint", "--ignore-unknown", "fixtures/key-policy.json"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("kmslint: 0 files checked, 1 file skipped (not a policy, template or plan); 0 errors, 0 warnings.\n");
  });
});

describe("kmslint rules", () => {
  it("--format json lists every rule with severity, scope, options and documentation", () => {
    const r = kmslint(["rules", "--format", "json"]);
    expect(r.code).toBe(0);
    const rules = JSON.parse(r.stdout) as { id: string; severity: string; appliesTo: string[]; description: string; options: Record<string, { default: unknown }>; docs: string }[];
    expect(rules.map((x) => x.id)).toEqual(allRules.map((x) => x.meta.id));
    expect(rules.find((x) => x.id === "rotation-period")).toMatchObject({ severity: "warning", appliesTo: ["templates", "plans", "audits"], options: { maxDays: { default: 365 } } });
    expect(rules.find((x) => x.id === "public-access")!.appliesTo).toEqual(["key-policy", "bucket-policy"]);
    expect(rules.find((x) => x.id === "unused-suppression")!.appliesTo).toEqual(["kmslint.config.json"]);
    for (const rule of rules) expect(readFileSync(new URL(rule.docs), "utf8")).toContain(`# ${rule.id}`);
    const text = kmslint(["rules"]);
    expect(text.stdout).toMatch(/^unused-suppression\s+warning\s+kmslint\.config\.json\s+A suppression/m);
  });
});

describe("review regressions", () => {
  it("--baseline F --write-baseline F gates against the old baseline, then records the new one", () => {
    const dir = fixture({ "key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    expect(kmslint(["lint", "--write-baseline", "b.json", "key-policy.json"], dir).code).toBe(0);
    const encrypt = JSON.stringify({ ...statements.anyone, Sid: "AnyoneEncrypts", Action: "kms:Encrypt" });
    writeFileSync(join(dir, "key-policy.json"), KEY_POLICY.replace(`${JSON.stringify(statements.anyone)}\n`, `${JSON.stringify(statements.anyone)},\n    ${encrypt}\n`));
    const both = ["lint", "--baseline", "b.json", "--write-baseline", "b.json", "key-policy.json"];
    const first = kmslint(both, dir);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("7:58");
    expect(first.stdout.trimEnd().split("\n").pop()).toBe("kmslint: 1 file checked; 1 error, 0 warnings (2 in the baseline).");
    expect(kmslint(both, dir).code).toBe(0);
  });

  it("a run that names files judges no glob suppression; a literal path is judged when its file is linted", () => {
    const clean = JSON.stringify({ Version: "2012-10-17", Statement: [statements.root] }, null, 2);
    const dir = fixture({
      "keys/b.json": KEY_POLICY,
      "keys/c.json": clean,
      "kmslint.config.json": JSON.stringify({
        account: "111122223333",
        suppressions: [
          { rule: "cross-account-access", path: "keys/*.json", statement: "Partner", reason: "partner" },
          { rule: "public-access", path: "keys/c.json", reason: "nothing there" },
          { rule: "access-analyzer/INVALID_ACTION", path: "keys/*.json", reason: "only with --access-analyzer" },
          { rule: "rotation-disabled", path: "keys/*.json", reason: "the rule ran on every file the glob can match: unused" },
        ],
      }, null, 2),
    });
    const named = JSON.parse(kmslint(["lint", "--ignore-unknown", "--format", "json", "keys/c.json"], dir).stdout) as LintResult[];
    expect(named.find((r) => r.kind === "config")!.messages.map((m) => [m.ruleId, m.line])).toEqual([["unused-suppression", 10]]);
    const folder = JSON.parse(kmslint(["lint", "--format", "json", "keys"], dir).stdout) as LintResult[];
    expect(folder.flatMap((r) => r.suppressedMessages).map((m) => m.ruleId)).toEqual(["cross-account-access"]);
    expect(folder.find((r) => r.kind === "config")!.messages.map((m) => [m.ruleId, m.line])).toEqual([
      ["unused-suppression", 10],
      ["unused-suppression", 20],
    ]);
  });

  it("rewriting a baseline drops entries of deleted files; a baseline named through a symbolic link still matches", () => {
    const dir = fixture({ "a/key-policy.json": KEY_POLICY, "b/key-policy.json": KEY_POLICY, "kmslint.config.json": CONFIG });
    expect(kmslint(["lint", "--write-baseline", "baseline.json", "a", "b"], dir).code).toBe(0);
    rmSync(join(dir, "b"), { recursive: true });
    expect(kmslint(["lint", "--write-baseline", "baseline.json", "a"], dir).stderr).toBe("kmslint: wrote 2 findings to the baseline baseline.json.\n");
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    const r = kmslint(["lint", "--baseline", join(link, "baseline.json"), join(link, "a")], dir);
    expect(r.stdout).toBe("kmslint: 1 file checked; 0 errors, 0 warnings (2 in the baseline).\n");
    expect(r.code).toBe(0);
  });

  it("fingerprints of template findings do not change with the trust context; reordering an Action list keeps them", () => {
    const files = ["cloudformation/bad-bucket-key-mismatch.yaml", "cloudformation/bad-shared-bucket-aws-managed-key.yaml"];
    const dir = fixture(Object.fromEntries(files.map((f) => [f.split("/")[1]!, readFileSync(join(EXAMPLES, f))])));
    const prints = (flags: string[]) =>
      (JSON.parse(kmslint(["lint", "--format", "json", ...flags, "."], dir).stdout) as LintResult[])
        .flatMap((r) => r.messages)
        .filter((m) => m.ruleId === "bucket-key-mismatch" || m.ruleId === "aws-managed-key-on-shared-bucket")
        .map((m) => `${m.ruleId} ${m.fingerprint}`)
        .sort();
    const bare = prints([]);
    expect(bare.length).toBeGreaterThanOrEqual(2);
    expect(prints(["--account", "111122223333"])).toEqual(bare);
    expect(prints(["--account", "111122223333", "--org", "o-a1b2c3d4e5"])).toEqual(bare);
    expect(prints(["--account", "111122223333", "--org", "o-a1b2c3d4e5", "--trusted-account", "444455556666"])).toEqual(bare);

    const policy = (actions: string[]) => JSON.stringify({ Version: "2012-10-17", Statement: [statements.root, { ...statements.anyone, Action: actions }] });
    const keys = fixture({ "one.json": policy(["kms:Decrypt", "kms:Encrypt"]), "two.json": policy(["kms:Encrypt", "kms:Decrypt"]), "kmslint.config.json": CONFIG });
    const [one, two] = JSON.parse(kmslint(["lint", "--format", "json", "one.json", "two.json"], keys).stdout) as LintResult[];
    expect(one!.messages.map((m) => m.fingerprint)).toEqual(two!.messages.map((m) => m.fingerprint));
    expect(one!.messages.length).toBeGreaterThan(0);
  });

  it("an audit judges a literal bucket ARN that matched nothing as unused", () => {
    const dir = fixture({
      "kmslint.config.json": JSON.stringify({ suppressions: [{ rule: "public-access", arn: "arn:aws:s3:::no-such-bucket", reason: "gone" }] }, null, 2),
    });
    const results = JSON.parse(kmslint(["audit", "--demo", "--no-progress", "--format", "json", "--config", join(dir, "kmslint.config.json")], ROOT).stdout) as LintResult[];
    expect(results.find((x) => x.kind === "config")!.messages.map((m) => [m.ruleId, m.line, m.column])).toEqual([["unused-suppression", 3, 5]]);
  });

  it("configs take trailing commas, but not a comma where no value was", () => {
    const good = fixture({ "kmslint.config.json": '{\n  "account": "111122223333",\n  "rules": {"rotation-period": ["warning", {"maxDays": 180},],},\n}\n', "key.json": KEY_POLICY });
    expect(kmslint(["lint", "key.json"], good).code).toBe(1);
    const bad = fixture({ "kmslint.config.json": '{"rules": {,}}', "key.json": KEY_POLICY });
    expect(kmslint(["lint", "key.json"], bad).code).toBe(2);
  });
});
