/** Inputs the fuzz test found crashing kmslint, kept as fixed cases. */
import { describe, expect, it } from "vitest";
import { lintText } from "../../src/engine/linter.js";

const ids = (text: string) => lintText(text, "p.json").findings.map((f) => `${f.ruleId}:${f.messageId}`);

describe("regressions", () => {
  it.each(["constructor:x", "__proto__:x", "Constructor:x", "toString:x"])("condition key %s is unknown, not a crash", (key) => {
    const text = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { [key]: "v" } } }] });
    expect(ids(text)).toContain("unknown-condition-key:unknown");
  });

  it("an action name of 100,000 characters is an unknown action, not a regex error", () => {
    const text = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: `kms:${"a".repeat(100_000)}`, Resource: "*" }] });
    expect(ids(text)).toContain("unknown-action:noMatch");
  });

  it("a run of 100,000 stars is one star", () => {
    const text = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "111122223333" }, Action: `kms:Create${"*".repeat(100_000)}`, Resource: "*" }] });
    expect(ids(text)).not.toContain("unknown-action:noMatch");
  });
});
