/**
 * What DescribeKey's metadata says a key allows, shared by the collector (which calls to make) and the live
 * Inventory (what an unread value means). Pure: SDK types only.
 */
import type { KeyMetadata } from "@aws-sdk/client-kms";

/** Rotation can be read only for these keys (AWS-FACTS.md §2.1); other keys answer UnsupportedOperationException. */
export function rotationReadable(metadata: KeyMetadata): boolean {
  return (
    metadata.KeyManager === "CUSTOMER" &&
    (metadata.KeySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT" &&
    (metadata.KeyUsage ?? "ENCRYPT_DECRYPT") === "ENCRYPT_DECRYPT" &&
    (metadata.Origin ?? "AWS_KMS") === "AWS_KMS" &&
    !metadata.CustomKeyStoreId &&
    metadata.MultiRegionConfiguration?.MultiRegionKeyType !== "REPLICA" &&
    metadata.KeyState !== "PendingDeletion" &&
    metadata.KeyState !== "PendingReplicaDeletion"
  );
}
