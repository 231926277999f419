import { defineRule } from "../src/engine/rule.js";
import { joinWords } from "../src/analysis/explain.js";
import type { Fact, Inventory, InventoryFormat, ResourceRef, UnresolvedValue } from "../src/model/inventory.js";

/** What is left unchecked when a setting of a key or bucket could not be evaluated (when the source did not say). */
const KEY_CONSEQUENCES = {
  keySpec: "whether the key supports automatic rotation is not known, so rotation-disabled and rotation-period do not check it",
  keyUsage: "whether the key supports automatic rotation is not known, so rotation-disabled and rotation-period do not check it",
  origin: "whether the key supports automatic rotation is not known, so rotation-disabled and rotation-period do not check it",
  customKeyStore: "whether the key supports automatic rotation is not known, so rotation-disabled and rotation-period do not check it",
  multiRegion: "whether the key is multi-Region is not known",
  enabled: "whether the key is enabled is not known, so rotation-disabled does not check it",
  rotationEnabled: "whether automatic rotation is on is not known, so rotation-disabled and rotation-period do not check it",
  rotationPeriodDays: "the rotation period is not checked (rotation-period, and the 90–2560 day bounds of invalid-policy)",
} as const;
const ENCRYPTION_CONSEQUENCE = "the bucket's default encryption is not checked against its bucket policy (aws-managed-key-on-shared-bucket, bucket-key-mismatch)";
const POLICY_CONSEQUENCE = "the policy is not checked by any rule";
const GENERIC_CONSEQUENCE = "what depends on it is not checked (it is not counted as passing)";

interface Entry {
  value: UnresolvedValue;
  /** The resource it belongs to, when known. */
  resource: ResourceRef | undefined;
  consequence: string | undefined;
}

/**
 * Every value the source could not evaluate: the inventory's list, and, so that nothing passes silently,
 * any unknown setting or unreadable policy the source forgot to list. One entry per expression and position.
 */
function unresolvedEntries(inventory: Inventory): Entry[] {
  const byAddress = new Map<string, ResourceRef>();
  for (const item of [...inventory.keys, ...inventory.buckets, ...inventory.aliases, ...inventory.policies]) byAddress.set(item.resource.address, item.resource);
  for (const bucket of inventory.buckets) if (bucket.encryption) byAddress.set(bucket.encryption.resource.address, bucket.encryption.resource);

  const found: Entry[] = [];
  const seen = new Map<string, Entry>();
  const add = (value: UnresolvedValue, resource: ResourceRef | undefined, consequence: string | undefined) => {
    const id = `${value.expression}@${value.range.start.line}:${value.range.start.column}`;
    const existing = seen.get(id);
    if (existing) {
      existing.resource ??= resource;
      existing.consequence ??= consequence;
      return;
    }
    const entry: Entry = { value, resource: (value.resource !== undefined ? byAddress.get(value.resource) : undefined) ?? resource, consequence: value.consequence ?? consequence };
    seen.set(id, entry);
    found.push(entry);
  };
  const addFact = (fact: Fact<unknown> | undefined, resource: ResourceRef, consequence: string) => {
    if (fact && !fact.known) add(fact.unresolved, resource, consequence);
  };

  for (const value of inventory.unresolved) add(value, undefined, undefined);
  for (const key of inventory.keys) {
    for (const name of Object.keys(KEY_CONSEQUENCES) as (keyof typeof KEY_CONSEQUENCES)[]) addFact(key[name], key.resource, KEY_CONSEQUENCES[name]);
  }
  for (const bucket of inventory.buckets) {
    const encryption = bucket.encryption;
    if (!encryption) continue;
    addFact(encryption.algorithm, encryption.resource, ENCRYPTION_CONSEQUENCE);
    addFact(encryption.keyReference, encryption.resource, ENCRYPTION_CONSEQUENCE);
    addFact(encryption.bucketKeyEnabled, encryption.resource, "whether S3 Bucket Keys are enabled is not known");
  }
  for (const policy of inventory.policies) if (policy.unresolved) add(policy.unresolved, policy.resource, POLICY_CONSEQUENCE);
  return found;
}

/** How to make a value evaluable, by source and by what the expression refers to. */
export function howToEvaluate(expression: string, format: InventoryFormat, reason = ""): string {
  if (format === "terraform-plan") {
    return "Values known only after apply can be checked once applied: lint the deployed policy (`aws kms get-key-policy --policy-name default --key-id …`, `aws s3api get-bucket-policy --bucket …`), or write the value so that Terraform knows it when planning (a literal, a variable, or a data source).";
  }
  const parameters = new Set<string>();
  // A parameter name, not a pseudo parameter such as AWS::AccountId.
  const ref = /^(?:!Ref\s+|Ref:\s*|\{\s*"Ref"\s*:\s*")([A-Za-z0-9]+)(?![A-Za-z0-9]|::)/.exec(expression);
  if (ref) parameters.add(ref[1]!);
  for (const match of expression.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) parameters.add(match[1]!);
  const flags: string[] = [];
  if (/AWS::AccountId/.test(expression)) flags.push("--account <12-digit account id> (the account the stack is deployed to)");
  const names = [...parameters];
  for (const name of names) flags.push(`--parameter ${name}=<value>`);
  if (flags.length > 0) {
    const defaults =
      names.length === 0
        ? ""
        : `, or give the parameter${names.length > 1 ? "s" : ""} a Default (parameter values can also be set under "parameters" in kmslint.config.json)`;
    return `To check it, pass ${joinWords(flags)}${defaults}.`;
  }
  // An import wrapped in another intrinsic (`!Select [4, !Split [":", !ImportValue …]]`) is named in the reason.
  if (/ImportValue/.test(`${expression} ${reason}`)) {
    return "kmslint cannot read the exports of other stacks: pass the value as a template parameter (--parameter Name=Value), or lint the deployed policy once the stack exists.";
  }
  return "To check it, pass --parameter Name=Value for the template parameters it uses (or give them a Default), and --account for AWS::AccountId; values of resources outside the template can be checked only on the deployed resources (lint the deployed policy).";
}

function sentence(text: string): string {
  const trimmed = text.trim().replace(/\.$/, "");
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}.`;
}

export default defineRule({
  meta: {
    id: "unresolved-value",
    severity: "info",
    appliesTo: [],
    inventory: true,
    sources: ["cloudformation", "terraform-plan"],
    description: "A value in a template or plan that kmslint cannot evaluate: named, so that what depends on it is not silently passed.",
    messages: {
      unresolved: "Could not evaluate {{expression}}: {{reason}}. {{consequence}}{{fix}}",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    for (const entry of unresolvedEntries(inventory)) {
      const { value } = entry;
      const resource: ResourceRef | undefined = entry.resource ?? (value.resource ? { address: value.resource, type: "", anchor: value.range } : undefined);
      context.report({
        messageId: "unresolved",
        data: {
          expression: value.expression,
          reason: value.reason.trim().replace(/\.$/, ""),
          consequence: sentence(entry.consequence ?? GENERIC_CONSEQUENCE),
          // Some sources already say how in the reason ("…; pass --parameter Name=Value"): not twice.
          fix: /--parameter|--account/.test(value.reason) ? "" : ` ${howToEvaluate(value.expression, inventory.format, value.reason)}`,
        },
        ...(resource ? { resource } : {}),
        range: value.range,
      });
    }
  },
});
