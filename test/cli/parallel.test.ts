import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { BAD_KEY_POLICY, BIN, CLEAN_KEY_POLICY, WARNING_KEY_POLICY, ensureBuilt, fixture } from "./helpers.js";

beforeAll(ensureBuilt);

describe("worker threads", () => {
  it("lint 320 files with 2 workers exactly as with none, in the same order", () => {
    const files: Record<string, string | Uint8Array> = {};
    const kinds = [CLEAN_KEY_POLICY, BAD_KEY_POLICY, WARNING_KEY_POLICY, "{ not json", '{"name": "not a policy"}'];
    for (let i = 0; i < 320; i++) files[`p/${String(i).padStart(3, "0")}.json`] = kinds[i % kinds.length]!;
    const dir = fixture(files);
    const run = (workers: string) =>
      spawnSync(process.execPath, [BIN, "lint", "--format", "json", "p"], { cwd: dir, encoding: "utf8", env: { ...process.env, KMSLINT_WORKERS: workers } });
    const one = run("1");
    const two = run("2");
    expect(one.status).toBe(1);
    expect(two.status).toBe(1);
    expect(two.stderr).toBe("");
    expect(two.stdout).toBe(one.stdout);
    expect(JSON.parse(two.stdout)).toHaveLength(256); // 64 non-policies skipped
  });
});
