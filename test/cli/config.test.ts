import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allRules } from "../../rules/index.js";
import { BAD_KEY_POLICY, ROOT, WARNING_KEY_POLICY, ensureBuilt, fixture, kmslint } from "./helpers.js";

beforeAll(ensureBuilt);

const ruleIds = (stdout: string) =>
  (JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; level: string }[] }[]).flatMap((r) => r.messages.map((m) => `${m.ruleId}:${m.level}`));

describe("kmslint.config.json", () => {
  it("is found upward from the linted path and overrides rule severities", () => {
    const dir = fixture({
      "kmslint.config.json": JSON.stringify({ rules: { "unknown-action": "error", "invalid-policy": "off" } }),
      "policies/keys/a.json": WARNING_KEY_POLICY,
      "policies/keys/b.json": BAD_KEY_POLICY,
    });
    const r = kmslint(["lint", "--format", "json", "policies"], dir);
    expect(ruleIds(r.stdout)).toEqual(["unknown-action:error"]);
    expect(r.code).toBe(1);
  });

  it("the nearest config wins", () => {
    const dir = fixture({
      "kmslint.config.json": JSON.stringify({ rules: { "unknown-action": "error" } }),
      "team/kmslint.config.json": JSON.stringify({ rules: { "unknown-action": "off" } }),
      "team/a.json": WARNING_KEY_POLICY,
      "b.json": WARNING_KEY_POLICY,
    });
    const r = kmslint(["lint", "--format", "json", "."], dir);
    const results = JSON.parse(r.stdout) as { filePath: string; messages: unknown[] }[];
    expect(results.map((x) => [x.filePath.slice(dir.length + 1), x.messages.length])).toEqual([
      ["b.json", 1],
      ["team/a.json", 0],
    ]);
  });

  it("ignores paths by glob relative to the config file, but not files named on the command line", () => {
    const dir = fixture({
      "kmslint.config.json": JSON.stringify({ ignore: ["fixtures/**", "**/*.draft.json"] }),
      "fixtures/bad.json": BAD_KEY_POLICY,
      "keys/x.draft.json": BAD_KEY_POLICY,
      "keys/ok.json": WARNING_KEY_POLICY,
    });
    const r = kmslint(["lint", "--format", "json", "."], dir);
    expect((JSON.parse(r.stdout) as { filePath: string }[]).map((x) => x.filePath.slice(dir.length + 1))).toEqual(["keys/ok.json"]);
    expect(kmslint(["lint", "fixtures/bad.json"], dir).code).toBe(1);
  });

  it("--config applies one file to every path", () => {
    const dir = fixture({ "ci/strict.json": JSON.stringify({ rules: { "unknown-action": "error" } }), "a.json": WARNING_KEY_POLICY });
    const r = kmslint(["lint", "--config", "ci/strict.json", "--format", "json", "a.json"], dir);
    expect(ruleIds(r.stdout)).toEqual(["unknown-action:error"]);
  });

  it("an invalid config is exit 2 naming file:line:col, the JSON path and what was expected", () => {
    const dir = fixture({
      "kmslint.config.json": '{\n  "account": 111122223333,\n  "rules": {\n    "unknown-actions": "off",\n    "policy-size": "warn"\n  },\n  "trustedAcounts": []\n}',
      "a.json": WARNING_KEY_POLICY,
    });
    const r = kmslint(["lint", "a.json"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("kmslint: invalid config:");
    expect(r.stderr).toContain("kmslint.config.json:2:14: /account: must be string");
    expect(r.stderr).toContain('kmslint.config.json:4:5: /rules: "unknown-actions" is not a kmslint rule id');
    expect(r.stderr).toContain('kmslint.config.json:5:20: /rules/policy-size: must be "off", "info", "warning", "error", or ["<severity>", {options}]');
    expect(r.stderr).toContain('kmslint.config.json:7:3: /: unknown property "trustedAcounts"');
  });

  it("a config that is not JSON is exit 2 with its position", () => {
    const dir = fixture({ "kmslint.config.json": '{"rules": {,}}', "a.json": WARNING_KEY_POLICY });
    const r = kmslint(["lint", "a.json"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kmslint\.config\.json:1:12: /);
  });

  it("a missing --config file is exit 2", () => {
    const r = kmslint(["lint", "--config", "nope.json", "."], fixture({}));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read config nope.json: ENOENT");
  });

  it("trust context from the config is validated too", () => {
    const dir = fixture({ "kmslint.config.json": JSON.stringify({ account: "111122223333", org: "o-a1b2c3d4e5", trustedAccounts: ["444455556666"] }), "a.json": WARNING_KEY_POLICY });
    expect(kmslint(["lint", "a.json"], dir).code).toBe(0);
    const bad = fixture({ "kmslint.config.json": JSON.stringify({ org: "o-*" }), "a.json": WARNING_KEY_POLICY });
    const r = kmslint(["lint", "a.json"], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/org: must be an organization id like o-a1b2c3d4e5");
  });
});

describe("the published config schema", () => {
  it("lists every rule id kmslint has", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "schemas", "kmslint.config.schema.json"), "utf8"));
    const listed: string[] = schema.properties.rules.propertyNames.enum;
    for (const rule of allRules) expect(listed).toContain(rule.meta.id);
  });
});
