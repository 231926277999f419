/**
 * `kmslint lint` on infrastructure as code, run as a user runs it: templates and plans found by content in
 * folders, findings that name the resource and point into the template or plan, parameters, rule options
 * from the config, and the bundled examples' README kept true.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CLEAN_KEY_POLICY, ROOT, ensureBuilt, fixture, kmslint } from "./helpers.js";

beforeAll(ensureBuilt);

interface Message {
  ruleId: string;
  level: string;
  line: number;
  column: number;
  message: string;
  resource?: string;
}
interface Result {
  filePath: string;
  kind: string;
  messages: Message[];
}

const parse = (stdout: string) => JSON.parse(stdout) as Result[];
const brief = (m: Message) => `${m.ruleId}@${m.line}:${m.column}${m.resource ? ` ${m.resource}` : ""}`;

/** Line 11: the public statement's principal `AWS: "*"`, its value at column 31. */
const PUBLIC_KEY_TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  OpenKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: "*" }
            Action: kms:Decrypt
            Resource: "*"
          - Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::\${AWS::AccountId}:root
            Action: kms:*
            Resource: "*"
`;

const PARAMETER_TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Partner:
    Type: String
Resources:
  SharedKey:
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
          - Sid: Partner
            Effect: Allow
            Principal:
              AWS: !Ref Partner
            Action: kms:Decrypt
            Resource: "*"
`;

describe("kmslint lint on templates and plans", () => {
  it("finds templates and plans in folders by content, skips other YAML and JSON, and points into each file", () => {
    const dir = fixture({
      "infra/key.yaml": PUBLIC_KEY_TEMPLATE,
      "infra/key.template": PUBLIC_KEY_TEMPLATE,
      "infra/key-as-json.json": JSON.stringify({ AWSTemplateFormatVersion: "2010-09-09", Resources: { K: { Type: "AWS::KMS::Key", Properties: { EnableKeyRotation: false } } } }, null, 2),
      "infra/docker-compose.yml": "services:\n  web:\n    image: nginx\n",
      "infra/.github/workflow.yaml": "on: push\njobs: {}\n",
      "infra/chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include \"x\" . | nindent 4 }}\n",
      "infra/ci.yml": "jobs:\n  build: [unclosed\n",
      "infra/email.template": "Hello {{name}},\nyour report is ready.\n",
      "infra/nginx.conf.template": "server { listen ${PORT}; }\n",
      "infra/logo.yaml": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]),
      "policies/key.json": CLEAN_KEY_POLICY,
      "plan.json": readFileSync(join(ROOT, "policies-examples", "terraform", "bad-plan-rotation-period.json")),
    });
    const r = kmslint(["lint", "--format", "json", "--account", "111122223333", "."], dir);
    expect(r.stderr).toBe("");
    const byFile = Object.fromEntries(parse(r.stdout).map((x) => [x.filePath.slice(dir.length + 1), [x.kind, ...x.messages.map(brief)]]));
    expect(byFile).toEqual({
      "infra/key-as-json.json": ["cloudformation", "rotation-disabled@7:30 K"],
      "infra/key.template": ["cloudformation", "public-access@11:31 OpenKey"],
      "infra/key.yaml": ["cloudformation", "public-access@11:31 OpenKey"],
      "plan.json": ["terraform-plan", "rotation-period@39:40 aws_kms_key.archive"],
      "policies/key.json": ["key-policy"],
    });
    expect(r.code).toBe(1);
    // The pretty report counts the YAML that is not a template as skipped.
    const pretty = kmslint(["lint", "--account", "111122223333", "."], dir);
    expect(pretty.stdout).toMatch(/5 files checked, 7 files skipped \(not a policy, template or plan\)/);
  });

  it("names the resource in the message, and a YAML file named on the command line that is not a template is a finding", () => {
    const dir = fixture({ "key.yaml": PUBLIC_KEY_TEMPLATE, "compose.yml": "services: {}\n" });
    const r = kmslint(["lint", "--format", "json", "key.yaml", "compose.yml"], dir);
    const [key, compose] = parse(r.stdout);
    expect(key!.messages[0]!.message).toMatch(/^OpenKey: Statement #0 lets anyone/);
    expect(compose!.messages.map(brief)).toEqual(["invalid-policy@1:1"]);
    expect(compose!.messages[0]!.message).toContain("not a CloudFormation template");
  });

  it("an unresolved parameter is an info note at the Ref; --parameter evaluates it", () => {
    const dir = fixture({ "key.yaml": PARAMETER_TEMPLATE });
    const unresolved = parse(kmslint(["lint", "--format", "json", "--account", "111122223333", "key.yaml"], dir).stdout)[0]!;
    expect(unresolved.messages.map(brief)).toEqual(["unresolved-value@21:20 SharedKey"]);
    expect(unresolved.messages[0]!.level).toBe("info");
    const given = kmslint(["lint", "--format", "json", "--account", "111122223333", "--parameter", "Partner=999988887777", "key.yaml"], dir);
    expect(parse(given.stdout)[0]!.messages.map(brief)).toEqual(["cross-account-access@21:20 SharedKey"]);
    // The config's parameters work too, and --parameter wins over them.
    const configured = fixture({ "key.yaml": PARAMETER_TEMPLATE, "kmslint.config.json": JSON.stringify({ account: "111122223333", trustedAccounts: ["444455556666"], parameters: { Partner: "444455556666" } }) });
    expect(parse(kmslint(["lint", "--format", "json", "key.yaml"], configured).stdout)[0]!.messages).toEqual([]);
    expect(parse(kmslint(["lint", "--format", "json", "--parameter", "Partner=999988887777", "key.yaml"], configured).stdout)[0]!.messages.map(brief)).toEqual([
      "cross-account-access@21:20 SharedKey",
    ]);
  });

  it("rule options come from the config: rotation-period maxDays", () => {
    const plan = readFileSync(join(ROOT, "policies-examples", "terraform", "bad-plan-rotation-period.json"));
    const strict = fixture({ "plan.json": plan, "kmslint.config.json": JSON.stringify({ rules: { "rotation-period": ["error", { maxDays: 180 }] } }) });
    const r = kmslint(["lint", "--format", "json", "plan.json"], strict);
    expect(parse(r.stdout)[0]!.messages.map((m) => `${brief(m)} ${m.level}`)).toEqual(["rotation-period@39:40 aws_kms_key.archive error"]);
    expect(parse(r.stdout)[0]!.messages[0]!.message).toContain("maximum of 180 days");
    const lenient = fixture({ "plan.json": plan, "kmslint.config.json": JSON.stringify({ rules: { "rotation-period": ["warning", { maxDays: 730 }] } }) });
    expect(parse(kmslint(["lint", "--format", "json", "plan.json"], lenient).stdout)[0]!.messages).toEqual([]);
  });

  it("a rule option the rule does not take, or of the wrong type, is exit 2 with its position", () => {
    const dir = fixture({
      "kmslint.config.json": '{\n  "rules": {\n    "rotation-period": ["warning", {"maxDayz": 180}],\n    "rotation-disabled": ["warning", {"x": 1}],\n    "unresolved-value": "off"\n  }\n}\n',
      "a.json": CLEAN_KEY_POLICY,
    });
    const r = kmslint(["lint", "a.json"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kmslint.config.json:3:37: /rules/rotation-period/1/maxDayz: rotation-period has no option "maxDayz" (it takes maxDays)');
    expect(r.stderr).toContain('kmslint.config.json:4:39: /rules/rotation-disabled/1/x: rotation-disabled has no option "x" (it takes none)');
    const typed = fixture({ "kmslint.config.json": '{"rules": {"rotation-period": ["warning", {"maxDays": "365"}]}}', "a.json": CLEAN_KEY_POLICY });
    const t = kmslint(["lint", "a.json"], typed);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("/rules/rotation-period/1/maxDays: must be a whole number");
  });

  it("--kind cloudformation reads a template whatever its name; a bad --parameter is a usage error", () => {
    const dir = fixture({ "stack.txt": PUBLIC_KEY_TEMPLATE });
    const r = kmslint(["lint", "--format", "json", "--kind", "cloudformation", "stack.txt"], dir);
    expect(parse(r.stdout)[0]!.messages.map(brief)).toEqual(["public-access@11:31 OpenKey"]);
    const bad = kmslint(["lint", "--parameter", "no-equals-sign", "stack.txt"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--parameter takes Name=Value");
  });
});

describe("policies-examples/README.md", () => {
  it("lists exactly the findings kmslint reports on every example, with rule, severity and line:col", () => {
    const r = kmslint(["lint", "--format", "json", "policies-examples"]);
    const actual = new Map(
      parse(r.stdout).map((x) => [
        x.filePath.slice(join(ROOT, "policies-examples").length + 1),
        x.messages.map((m) => `${m.ruleId}, ${m.level}, ${m.line}:${m.column}`).sort(),
      ]),
    );
    const readme = readFileSync(join(ROOT, "policies-examples", "README.md"), "utf8");
    const documented = new Map<string, string[]>();
    let folder = "";
    for (const line of readme.split("\n")) {
      const heading = /^## .*\(`([^`]+)\/`\)/.exec(line);
      if (heading) folder = heading[1]!;
      const row = /^\| `([^`/]+\.(?:json|ya?ml))` \|.*\| (none|`.*) \|$/.exec(line);
      if (!row || !folder) continue;
      const findings = row[2] === "none" ? [] : [...row[2]!.matchAll(/`([a-z-]+)`, (error|warning|info), (\d+:\d+)/g)].map((m) => `${m[1]}, ${m[2]}, ${m[3]}`);
      documented.set(`${folder}/${row[1]}`, findings.sort());
    }
    expect(documented.size).toBe(actual.size);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(actual));
  });

  it("quotes every message exactly as the JSON output gives it", () => {
    const r = kmslint(["lint", "--format", "json", "policies-examples"]);
    const actual = parse(r.stdout)
      .flatMap((x) => x.messages.map((m) => `${x.filePath.slice(join(ROOT, "policies-examples").length + 1)} ${m.ruleId} ${m.message}`))
      .sort();
    const readme = readFileSync(join(ROOT, "policies-examples", "README.md"), "utf8");
    const quoted = [...readme.matchAll(/^\| `([a-z-]+\/[^`]+)` \| `([a-z-]+)` \| (.*) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]!.replace(/\\\|/g, "|")}`).sort();
    expect(quoted).toEqual(actual);
  });
});
