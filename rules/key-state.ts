import { defineRule } from "../src/engine/rule.js";
import { aliasNote, bucketWords, encryptsWithKms } from "../src/analysis/storage.js";
import type { InventoryKey } from "../src/model/inventory.js";

/**
 * Key states in which KMS refuses the cryptographic requests S3 makes for SSE-KMS (Decrypt, GenerateDataKey):
 * "Key states of AWS KMS keys", AWS KMS Developer Guide. Creating and Updating are transient, Enabled is fine.
 */
const UNUSABLE: Record<string, string> = {
  Disabled: "is disabled: KMS refuses every cryptographic request with it (DisabledException)",
  PendingDeletion: "is scheduled for deletion{{when}}: until then KMS refuses every cryptographic request with it (KMSInvalidStateException), and once it is deleted nothing encrypted under it can ever be decrypted",
  PendingReplicaDeletion: "is a multi-Region primary key scheduled for deletion once its replicas are deleted: KMS refuses every cryptographic request with it (KMSInvalidStateException), and once it is deleted nothing encrypted under it can ever be decrypted",
  PendingImport: "has no key material (its imported material expired or was deleted, or was never imported): KMS refuses every cryptographic request with it until the same material is imported again",
  Unavailable: "is unavailable: its custom key store is disconnected, so KMS refuses every cryptographic request with it",
};

const FIX: Record<string, string> = {
  Disabled: "enable the key (`aws kms enable-key --key-id {{arn}}`), or point the bucket's default encryption at an enabled key",
  PendingDeletion: "cancel the deletion (`aws kms cancel-key-deletion --key-id {{arn}}`, which leaves the key disabled) and enable it (`aws kms enable-key --key-id {{arn}}`), or re-encrypt the objects under another key before the deletion date",
  PendingReplicaDeletion: "cancel the deletion of the key (`aws kms cancel-key-deletion --key-id {{arn}}`) and enable it, or re-encrypt the objects under another key",
  PendingImport: "import the same key material again (`aws kms import-key-material`), with an expiration that leaves time, or none (KEY_MATERIAL_DOES_NOT_EXPIRE)",
  Unavailable: "reconnect the custom key store (`aws kms connect-custom-key-store`), or point the bucket's default encryption at another key",
};

/** The key's state as the source knows it: the live state, or `Disabled` for a template or plan that disables it. */
function stateOf(key: InventoryKey): string | undefined {
  if (key.state !== undefined) return key.state;
  if (key.enabled?.known && key.enabled.value === false) return "Disabled";
  return undefined;
}

export default defineRule({
  meta: {
    id: "key-state",
    severity: "error",
    appliesTo: [],
    inventory: true,
    description: "A key that encrypts a bucket by default is disabled, pending deletion, without key material, unavailable, missing or in another region: S3 requests that need it fail.",
    messages: {
      missing:
        "Bucket {{bucket}} is encrypted by default with {{reference}}, {{why}}. S3 does not check the key when default encryption is set, so the mistake shows only now: uploads that S3 encrypts by default fail with an error from KMS. Fix: {{fix}}.",
      unusable:
        "Bucket {{bucket}} is encrypted by default with {{key}}{{aliases}}, which {{state}}. Uploads that S3 encrypts with it and reads of objects encrypted under it fail with an error from KMS. Fix: {{fix}}.",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    for (const bucket of inventory.buckets) {
      const encryption = bucket.encryption;
      const missing = encryption?.missingKey;
      if (encryption && missing && encryptsWithKms(encryption) === true) {
        const why =
          missing.kind === "no-key"
            ? `a key that does not exist in ${missing.bucketRegion} (ListKeys does not list it)`
            : missing.kind === "no-alias"
              ? `an alias that does not exist in ${missing.bucketRegion} (ListAliases does not list it)`
              : `a key in ${missing.keyRegion}, but the bucket is in ${missing.bucketRegion}: S3 uses only keys of the bucket's own region`;
        const fix = missing.kind === "other-region" ? `use a key in ${missing.bucketRegion}, named by its key ARN` : "point the bucket's default encryption at an existing key, named by its key ARN";
        context.report({
          messageId: "missing",
          data: { bucket: bucketWords(bucket), reference: missing.reference, why, fix },
          resource: encryption.resource,
          range: encryption.keyReference?.range ?? encryption.anchor,
        });
        continue;
      }
      const key = encryption?.key;
      if (!encryption || !key || encryptsWithKms(encryption) !== true) continue;
      const state = stateOf(key);
      if (state === undefined || !Object.hasOwn(UNUSABLE, state)) continue;
      const arn = key.arn ?? "<key ARN>";
      const when = key.deletionDate ? ` on ${key.deletionDate.slice(0, 10)}` : "";
      const described =
        inventory.format === "live" || state !== "Disabled" ? UNUSABLE[state]!.replace("{{when}}", when) : `is created disabled (${inventory.format === "terraform-plan" ? "is_enabled = false" : "Enabled: false"}): KMS refuses every cryptographic request with it`;
      const fix =
        inventory.format === "live" || state !== "Disabled"
          ? FIX[state]!.replaceAll("{{arn}}", arn)
          : `enable the key (${inventory.format === "terraform-plan" ? "is_enabled = true" : "Enabled: true"}), or point the bucket's default encryption at an enabled key`;
      context.report({
        messageId: "unusable",
        data: { bucket: bucketWords(bucket), key: inventory.format === "live" ? arn : key.resource.address, aliases: aliasNote(key), state: described, fix },
        resource: encryption.resource,
        range: encryption.keyReference?.range ?? encryption.anchor,
      });
    }
  },
});
