/**
 * The corpus comparison (npm run corpus) run in process over kmslint's sources: every disagreement between
 * kmslint and a peer's verdict on ../shared/corpus (key and bucket policies, CloudFormation templates) must be
 * explained in test/corpus/explanations.json (or be fixed in kmslint), Terraform HCL cases are counted apart as
 * input not read, and test/corpus/report.md must be what a fresh run writes.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expandStatementActions, patternMatches } from "../src/analysis/actions.js";
import { lintSource } from "../src/cli/lint-task.js";
import { lintText } from "../src/engine/linter.js";
import { createDocument } from "../src/model/document.js";
import { decodeSource } from "../src/model/source.js";
import { loadCloudFormationJson } from "../src/sources/cfn-json.js";
import { loadCloudFormationYaml } from "../src/sources/cfn-yaml.js";
import { compareCorpus, failures, loadInputs, renderReport, type CaseResult, type CorpusApi, type Explanations, type ManifestEntry } from "../scripts/corpus-compare.mjs";

const CORPUS = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));
const REPORT = fileURLToPath(new URL("./corpus/report.md", import.meta.url));
const api = { lintText, lintSource, createDocument, decodeSource, loadCloudFormationYaml, loadCloudFormationJson, expandStatementActions, patternMatches } as unknown as CorpusApi;
const inputs = loadInputs({
  corpusDir: CORPUS,
  peerChecksPath: fileURLToPath(new URL("./corpus/peer-checks.json", import.meta.url)),
  explanationsPath: fileURLToPath(new URL("./corpus/explanations.json", import.meta.url)),
});
const run = (explanations: Explanations = inputs.explanations, manifest: ManifestEntry[] = inputs.manifest) => compareCorpus({ api, corpusDir: CORPUS, ...inputs, manifest, explanations });
const result = await run();
const caseOf = (id: string) => result.cases.find((c) => c.entry.id === id)!;

const describeCase = (c: CaseResult) =>
  `${c.status}: ${c.entry.id} ${c.entry.file} (${c.entry.peerCheck}; peer ${c.entry.peerVerdict}, kmslint ${c.kmslintVerdict ?? "—"})${c.note ? ` — ${c.note}` : ""}`;

describe("corpus comparison with the peers (npm run corpus)", () => {
  it("compares every key-policy, bucket-policy and cloudformation case of the manifest", () => {
    const compared = inputs.manifest.filter((e) => e.kind === "key-policy" || e.kind === "bucket-policy" || e.kind === "cloudformation");
    expect(compared.length).toBeGreaterThan(500);
    expect(result.cases.filter((c) => c.status !== "input-not-read").map((c) => c.entry.id)).toEqual(compared.map((e) => e.id));
    expect(result.cases.filter((c) => c.status === "agree").length).toBeGreaterThan(0);
    const templates = result.cases.filter((c) => c.entry.kind === "cloudformation");
    expect(templates.length).toBeGreaterThan(80);
    expect(templates.filter((c) => c.status === "agree").length).toBeGreaterThan(0);
  });

  it("counts every terraform (HCL) case as input not read, never as agreement or disagreement, and leaves identity policies out", () => {
    const terraform = inputs.manifest.filter((e) => e.kind === "terraform");
    expect(terraform.length).toBeGreaterThan(100);
    const notRead = result.cases.filter((c) => c.status === "input-not-read");
    expect(notRead.map((c) => c.entry.id)).toEqual(terraform.map((e) => e.id));
    for (const c of notRead) expect(c.kmslintVerdict).toBeUndefined();
    expect(result.kinds.find((k) => k.kind === "terraform")).toMatchObject({ cases: terraform.length, notRead: terraform.length, agree: 0, explained: 0, notCovered: 0 });
    expect(result.cases.some((c) => c.entry.kind === "identity-policy")).toBe(false);
    const report = renderReport(result);
    expect(report).toContain(`Input not read (HCL): ${terraform.length} terraform cases`);
    expect(report).toContain("terraform show -json");
  });

  describe("CloudFormation cases", () => {
    it("a case that names a resource counts only that resource's findings", () => {
      // Two keys of one checkov template: AwsWildcard and AwsWildcardList.
      const first = caseOf("case-0125");
      const second = caseOf("case-0127");
      expect(first.entry.file).toBe(second.entry.file);
      expect(first.findings!.length).toBeGreaterThan(0);
      expect(first.findings!.every((f) => f.resource === "AwsWildcard")).toBe(true);
      expect(second.findings!.every((f) => f.resource === "AwsWildcardList")).toBe(true);
      expect(first.scope).toEqual({ file: false, type: "AWS::KMS::Key", id: "AwsWildcard", attached: [] });
    });

    it("a kics case without a resource counts every finding of the file", () => {
      const c = caseOf("case-0256"); // kms_enable_key_rotation_disabled/positive1.yaml: myKey and myKey2
      expect(c.scope).toEqual({ file: true });
      expect(new Set(c.counted!.map((f) => f.resource))).toEqual(new Set(["myKey", "myKey2"]));
    });

    const synthetic = (id: string, file: string, peerCheck: string, resource?: string): ManifestEntry => ({
      id,
      file,
      kind: "cloudformation",
      peerCheck,
      peerVerdict: "fail",
      ...(resource ? { resource } : {}),
    });
    const ANY_PRINCIPAL = "7772bb8c-c0f3-42d4-8e4e-f1b8939ad085";

    it("a bucket case also counts the bucket policies attached to the bucket, and only those", async () => {
      const file = "kics/cloudFormation/s3_bucket_access_to_any_principal/positive1.yaml";
      const { cases } = await run(inputs.explanations, [
        synthetic("synthetic-1", file, ANY_PRINCIPAL, "AWS::S3::Bucket.Bucket2"),
        synthetic("synthetic-2", "kics/cloudFormation/s3_bucket_access_to_any_principal/negative1.yaml", ANY_PRINCIPAL, "AWS::S3::Bucket.Bucket"),
      ]);
      const [public2, privateBucket] = cases;
      expect(public2!.scope).toEqual({ file: false, type: "AWS::S3::Bucket", id: "Bucket2", attached: ["BucketPolicy2"] });
      expect(public2!.kmslintVerdict).toBe("fail");
      expect(public2!.counted!.map((f) => f.resource)).toEqual(["BucketPolicy2"]);
      expect(privateBucket!.kmslintVerdict).toBe("pass");
    });

    it("a resource the template does not hold is a problem", async () => {
      const { problems } = await run(inputs.explanations, [synthetic("synthetic-3", "kics/cloudFormation/s3_bucket_access_to_any_principal/positive1.yaml", ANY_PRINCIPAL, "AWS::S3::Bucket.NoSuchBucket")]);
      expect(problems.join("\n")).toContain("AWS::S3::Bucket.NoSuchBucket is not a key, bucket, alias or policy");
    });

    it("action-scoped checks read the statement from the policy of the finding's resource", async () => {
      // BucketPolicy: statement 0 lets anyone s3:GetObject, statement 1 denies s3:PutObject without TLS.
      const file = "kics/cloudFormation/s3_bucket_without_ssl_in_write_actions/negative1.yaml";
      const { cases } = await run(inputs.explanations, [
        synthetic("synthetic-4", file, "f97b7d23-568f-4bcc-9ac9-02df0d57fbba"), // Get
        synthetic("synthetic-5", file, "f6397a20-4cf1-4540-a997-1d363c25ef58"), // Put
      ]);
      expect(cases.map((c) => c.kmslintVerdict)).toEqual(["fail", "pass"]);
      expect(cases[1]!.findings!.some((f) => f.ruleId === "public-access")).toBe(true);
    });
  });

  it("finds every case a mapping, and the data files are consistent", () => {
    expect(result.problems).toEqual([]);
  });

  it("leaves no disagreement unexplained (suspected kmslint bugs count until fixed)", () => {
    expect(failures(result).map(describeCase)).toEqual([]);
  });

  it("test/corpus/report.md is up to date (run npm run corpus)", () => {
    expect(existsSync(REPORT)).toBe(true);
    expect(readFileSync(REPORT, "utf8")).toBe(renderReport(result));
  });

  describe("can fail", () => {
    const explained = result.cases.find((c) => c.status === "explained" && c.kmslintVerdict === "fail")!;

    it("a disagreement whose explanation is removed is unexplained", async () => {
      const cases = { ...inputs.explanations.cases };
      delete cases[explained.entry.id];
      const changed = (await run({ ...inputs.explanations, cases })).cases.find((c) => c.entry.id === explained.entry.id)!;
      expect(changed.status).toBe("unexplained");
    });

    it("an explanation that does not account for the rules kmslint failed the case with does not count", async () => {
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: { text: "about another rule", kmslint: "fail" as const, rules: ["no-such-rule"] } };
      const changed = (await run({ ...inputs.explanations, cases })).cases.find((c) => c.entry.id === explained.entry.id)!;
      expect(changed.status).toBe("unexplained");
      expect(changed.note).toContain("no-such-rule");
    });

    it("an explanation about the other kmslint verdict does not count", async () => {
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: { text: "kmslint passes it", kmslint: "pass" as const } };
      expect((await run({ ...inputs.explanations, cases })).cases.find((c) => c.entry.id === explained.entry.id)!.status).toBe("unexplained");
    });

    it("a reference to an unknown reason is a problem", async () => {
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: "no-such-reason" };
      expect((await run({ ...inputs.explanations, cases })).problems.join("\n")).toContain("unknown reason");
    });

    it("a suspected-bug reason keeps the case failing while kmslint still reports what it names", async () => {
      const reasons = { ...inputs.explanations.reasons, "test-bug": { text: "bug", kmslint: "fail" as const, suspectedBug: true, rules: explained.counted!.map((f) => f.ruleId) } };
      const cases = { ...inputs.explanations.cases, [explained.entry.id]: "test-bug" };
      const changed = (await run({ reasons, cases })).cases.find((c) => c.entry.id === explained.entry.id)!;
      expect(changed.status).toBe("suspected-bug");
    });

    it("a CloudFormation disagreement whose explanation is removed is unexplained", async () => {
      const template = result.cases.find((c) => c.entry.kind === "cloudformation" && c.status === "explained")!;
      const cases = { ...inputs.explanations.cases };
      delete cases[template.entry.id];
      expect((await run({ ...inputs.explanations, cases })).cases.find((c) => c.entry.id === template.entry.id)!.status).toBe("unexplained");
    });

    it("an explanation for a terraform (HCL) case is a problem", async () => {
      const terraform = result.cases.find((c) => c.status === "input-not-read")!;
      const cases = { ...inputs.explanations.cases, [terraform.entry.id]: { text: "peer is wrong", kmslint: "pass" as const } };
      expect((await run({ ...inputs.explanations, cases })).problems.join("\n")).toContain(`${terraform.entry.id} is a terraform case`);
    });

    it("the report shows a stale report as out of date", async () => {
      const cases = { ...inputs.explanations.cases };
      delete cases[explained.entry.id];
      expect(renderReport(await run({ ...inputs.explanations, cases }))).not.toBe(readFileSync(REPORT, "utf8"));
    });
  });
});
