import { defineRule, type InventoryContext } from "../src/engine/rule.js";
import type { InventoryKey } from "../src/model/inventory.js";
import { aliasNote } from "../src/analysis/storage.js";

const DAY_MS = 86_400_000;

/** Earlier key materials (NON_CURRENT) still decrypt old data: their expiry matters as much as the current one's. */
function reportNonCurrent(context: InventoryContext, key: InventoryKey, now: number, window: number): void {
  for (const material of key.keyMaterials ?? []) {
    if (material.state !== "NON_CURRENT" || !material.validTo || !material.range) continue;
    const expiry = Date.parse(material.validTo);
    if (Number.isNaN(expiry) || expiry - now > window * DAY_MS) continue;
    const days = Math.floor((expiry - now) / DAY_MS);
    context.report({
      messageId: "nonCurrent",
      data: {
        material: material.id ?? "(no id)",
        aliases: aliasNote(key),
        when: expiry <= now ? `expired on ${material.validTo}` : `expires on ${material.validTo}, in ${days} day${days === 1 ? "" : "s"}`,
        window,
        arn: key.arn ?? "<key ARN>",
      },
      resource: key.resource,
      range: material.range,
    });
  }
}

export default defineRule({
  meta: {
    id: "imported-material-expiring",
    severity: "warning",
    appliesTo: [],
    inventory: true,
    sources: ["live"],
    options: {
      days: { type: "integer", minimum: 1, maximum: 3650, default: 30, description: "How many days before its ValidTo imported key material is reported." },
    },
    description: "Imported key material expires within the configured window (30 days by default): then the key cannot be used until the material is imported again.",
    messages: {
      expiring:
        "The imported key material of this key{{aliases}} expires on {{validTo}}, in {{left}} (ValidTo; the window is {{window}} days). When it expires KMS deletes it, the key becomes PendingImport, and nothing encrypted under the key can be decrypted until the same material is imported again.{{pending}} Fix: import the same key material again before then with a later --valid-to, or with --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE (`aws kms import-key-material --key-id {{arn}} …`).",
      nonCurrent:
        "Key material {{material}} of this key{{aliases}}, no longer current but still needed to decrypt what it encrypted before the last rotation, {{when}} (ValidTo in ListKeyRotations; the window is {{window}} days). After that, data encrypted under that material cannot be decrypted until it is imported again. Fix: import that key material again with a later --valid-to or KEY_MATERIAL_DOES_NOT_EXPIRE (`aws kms import-key-material --key-id {{arn}} --key-material-id {{material}} …`), or re-encrypt that data first.",
      expired:
        "The imported key material of this key{{aliases}} expired on {{validTo}} (ValidTo): KMS deleted it, and nothing encrypted under the key can be decrypted until the same material is imported again.{{pending}} Fix: import the same key material again (`aws kms import-key-material --key-id {{arn}} …`).",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    // Expiry is measured from when the account was read; templates and plans hold no ValidTo.
    if (!inventory.readAt) return;
    const now = Date.parse(inventory.readAt);
    const configured = context.options["days"];
    const window = typeof configured === "number" && Number.isFinite(configured) ? configured : 30;
    for (const key of inventory.keys) {
      if (key.state === "PendingDeletion" || key.state === "PendingReplicaDeletion") continue;
      reportNonCurrent(context, key, now, window);
      const validTo = key.validTo;
      if (!validTo?.known) continue;
      const expiry = Date.parse(validTo.value);
      if (Number.isNaN(expiry)) continue;
      const left = expiry - now;
      if (left > window * DAY_MS) continue;
      const waiting = (key.keyMaterials ?? []).find((m) => m.state === "PENDING_ROTATION" || m.state === "PENDING_MULTI_REGION_IMPORT_AND_ROTATION");
      const pending = waiting
        ? ` New key material${waiting.id ? ` ${waiting.id.slice(0, 12)}…` : ""} is imported and waiting (${waiting.state}): \`aws kms rotate-key-on-demand --key-id ${key.arn ?? "<key ARN>"}\` makes it current.`
        : "";
      const days = Math.floor(left / DAY_MS);
      const hours = Math.floor(left / 3_600_000);
      context.report({
        messageId: left <= 0 ? "expired" : "expiring",
        data: {
          aliases: aliasNote(key),
          validTo: validTo.value,
          left: days >= 1 ? `${days} day${days === 1 ? "" : "s"}` : `${hours} hour${hours === 1 ? "" : "s"}`,
          window,
          pending,
          arn: key.arn ?? "<key ARN>",
        },
        resource: key.resource,
        range: validTo.range,
      });
    }
  },
});
