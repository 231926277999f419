/**
 * Words for findings: who a reach is, why its conditions did or did not narrow it, which Deny statements
 * did or did not guard it. Shared by the access rules so that every message explains itself the same way.
 */
import type { PolicyAnalysis, Reach } from "./index.js";

// An identity policy is never analysed (the access rules do not apply to it); "resource" keeps the type total.
const KIND_WORDS = { "key-policy": "key", "bucket-policy": "bucket", "identity-policy": "resource" } as const;

export function resourceWord(analysis: PolicyAnalysis): string {
  return KIND_WORDS[analysis.kind];
}

/** The principal as written: `"*"`, `{"AWS": "arn:…"}`, or `NotPrincipal`. */
export function principalShown(reach: Reach): string {
  if (!reach.principal) return "everyone but the NotPrincipal list";
  if (reach.principal.type === "*") return `Principal ${JSON.stringify(reach.principal.value)}`;
  return `{"${reach.principal.type}": ${JSON.stringify(reach.principal.value)}}`;
}

/** Why the statement's conditions leave the reach as wide as it is (empty when none were written). */
export function conditionsWhy(reach: Reach): string {
  const notes = reach.constraints.notes.filter((n) => !n.narrows);
  if (reach.statement.conditions.length === 0) return "It has no Condition.";
  if (notes.length === 0) return "";
  const parts = notes.map((n) => `${n.condition.operator.raw} ${n.condition.key}: ${n.reason}`);
  return `Its conditions do not narrow who (${parts.join("; ")}).`;
}

export function deniesWhy(reach: Reach): string {
  if (reach.uncoveredDenies.length === 0) return "";
  return ` A Deny exists but was not counted: ${[...new Set(reach.uncoveredDenies)].join("; ")}.`;
}

export function ownerNote(analysis: PolicyAnalysis): string {
  if (analysis.owner.inferred) return ` (Owner account ${analysis.owner.reason}; pass --account to be sure.)`;
  if (!analysis.owner.account) return " (The owner account is unknown: pass --account.)";
  return "";
}

export function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
