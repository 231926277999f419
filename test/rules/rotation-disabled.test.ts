import { InventoryBuilder, inventoryRuleTester, known, OWNER, type KeySettings } from "../inventory-builder.js";

/** One key declared at line 3 (anchor 3:3) with the given settings, in a template or plan. */
function oneKey(settings: KeySettings, format: "cloudformation" | "terraform-plan" | "live" = "cloudformation") {
  return () => {
    const builder = new InventoryBuilder({ format, owner: OWNER });
    builder.key("DataKey", 3, settings);
    return builder;
  };
}

const ROTATION_FALSE = { rotationEnabled: known(false, 6, 26) };

inventoryRuleTester("rotation-disabled", {
  valid: [
    { name: "rotation on", build: oneKey({ rotationEnabled: known(true, 6, 26) }) },
    { name: "turned off in the config", build: oneKey(ROTATION_FALSE), severities: { "rotation-disabled": "off" } },
    { name: "rotation on, explicit defaults", build: oneKey({ keySpec: known("SYMMETRIC_DEFAULT", 5), keyUsage: known("ENCRYPT_DECRYPT", 6), origin: known("AWS_KMS", 7), rotationEnabled: known(true, 8) }) },
    // Not eligible: AWS rejects rotation for these keys, so there is nothing to enable.
    { name: "HMAC key", build: oneKey({ keySpec: known("HMAC_256", 5), keyUsage: known("GENERATE_VERIFY_MAC", 6), ...ROTATION_FALSE }) },
    { name: "HMAC key with the usage left out", build: oneKey({ keySpec: known("HMAC_512", 5) }) },
    { name: "asymmetric RSA encryption key", build: oneKey({ keySpec: known("RSA_2048", 5), keyUsage: known("ENCRYPT_DECRYPT", 6), ...ROTATION_FALSE }) },
    { name: "asymmetric signing key", build: oneKey({ keySpec: known("ECC_NIST_P256", 5), keyUsage: known("SIGN_VERIFY", 6) }) },
    { name: "SM2 key", build: oneKey({ keySpec: known("SM2", 5), keyUsage: known("ENCRYPT_DECRYPT", 6) }) },
    { name: "ML-DSA key", build: oneKey({ keySpec: known("ML_DSA_65", 5), keyUsage: known("SIGN_VERIFY", 6) }) },
    { name: "symmetric spec with a non-encryption usage", build: oneKey({ keyUsage: known("GENERATE_VERIFY_MAC", 6) }) },
    { name: "imported key material (Origin EXTERNAL)", build: oneKey({ origin: known("EXTERNAL", 5), ...ROTATION_FALSE }) },
    { name: "CloudHSM key store", build: oneKey({ origin: known("AWS_CLOUDHSM", 5), customKeyStore: known("cks-1234567890abcdef0", 6) }) },
    { name: "external key store", build: oneKey({ origin: known("EXTERNAL_KEY_STORE", 5) }) },
    { name: "custom key store id alone", build: oneKey({ customKeyStore: known("cks-1234567890abcdef0", 6) }) },
    { name: "replica: rotation is set on the primary", build: oneKey({ replicaOf: "PrimaryKey" }) },
    { name: "AWS managed key", build: oneKey({ keyManager: "AWS" }, "live") },
    { name: "disabled key", build: oneKey({ enabled: known(false, 5), ...ROTATION_FALSE }) },
    { name: "live key pending deletion", build: oneKey({ state: "PendingDeletion", rotationEnabled: known(false, 1, 1) }, "live") },
    { name: "live primary waiting for its replicas to be deleted", build: oneKey({ state: "PendingReplicaDeletion" }, "live") },
    { name: "live disabled key", build: oneKey({ state: "Disabled", rotationEnabled: known(false, 1, 1) }, "live") },
    // Unknown: unresolved-value reports the value; this rule says nothing rather than guessing.
    {
      name: "unknown KeySpec",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { keySpec: builder.unknown("!Ref KeySpec", "the parameter has no Default", 5) });
        return builder;
      },
    },
    {
      name: "unknown KeyUsage",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { keyUsage: builder.unknown("!Ref Usage", "the parameter has no Default", 5) });
        return builder;
      },
    },
    {
      name: "unknown Origin",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { origin: builder.unknown("!Ref Origin", "the parameter has no Default", 5) });
        return builder;
      },
    },
    {
      name: "unknown custom key store",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { customKeyStore: builder.unknown("!ImportValue KeyStore", "kmslint cannot read other stacks' exports", 5) });
        return builder;
      },
    },
    {
      name: "unknown Enabled",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { enabled: builder.unknown("!Ref Enabled", "the parameter has no Default", 5), ...ROTATION_FALSE });
        return builder;
      },
    },
    {
      name: "unknown EnableKeyRotation",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { rotationEnabled: builder.unknown("!Ref Rotate", "the parameter has no Default", 6, 26) });
        return builder;
      },
    },
  ],
  invalid: [
    {
      name: "EnableKeyRotation false: at the property",
      build: oneKey(ROTATION_FALSE),
      errors: [
        {
          messageId: "disabled",
          line: 6,
          column: 26,
          severity: "warning",
          resource: "DataKey",
          message: ["DataKey: Automatic rotation is off", "EnableKeyRotation is false", "eligible", "Fix: set `EnableKeyRotation: true`", "RotationPeriodInDays"],
        },
      ],
    },
    {
      name: "EnableKeyRotation absent: at the key's logical id",
      build: oneKey({}),
      errors: [{ line: 3, column: 3, message: "EnableKeyRotation is not set, and it defaults to false" }],
    },
    {
      name: "explicit SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, AWS_KMS and Enabled true are eligible",
      build: oneKey({ keySpec: known("SYMMETRIC_DEFAULT", 4), keyUsage: known("ENCRYPT_DECRYPT", 5), origin: known("AWS_KMS", 6), enabled: known(true, 7), multiRegion: known(true, 8), rotationEnabled: known(false, 9, 26) }),
      errors: [{ line: 9, column: 26 }],
    },
    {
      name: "a multi-Region primary key is eligible (rotation is set on it)",
      build: oneKey({ multiRegion: known(true, 4) }),
      errors: [{ line: 3, column: 3 }],
    },
    {
      name: "the message names the aliases",
      build: oneKey({ aliases: ["alias/data", "alias/lake"], ...ROTATION_FALSE }),
      errors: [{ line: 6, column: 26, message: "this customer managed key (alias/data, alias/lake)" }],
    },
    {
      name: "Terraform: the fix uses the provider's attribute names",
      build: oneKey(ROTATION_FALSE, "terraform-plan"),
      errors: [{ line: 6, column: 26, message: ["enable_key_rotation is false", "`enable_key_rotation = true`", "rotation_period_in_days"] }],
    },
    {
      name: "live key: the fix is the CLI call",
      build: oneKey({ state: "Enabled", rotationEnabled: known(false, 1, 1) }, "live"),
      errors: [{ line: 1, column: 1, message: ["KeyRotationEnabled false", "aws kms enable-key-rotation"] }],
    },
    {
      name: "an unknown value elsewhere (the policy) does not hide the finding",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { rotationEnabled: known(false, 6, 26) });
        builder.unresolved("!Ref TrustedAccount", "the parameter has no Default", 12);
        return builder;
      },
      errors: [{ line: 6, column: 26 }],
    },
    {
      name: "severity follows the config",
      build: oneKey(ROTATION_FALSE),
      severities: { "rotation-disabled": "error" },
      errors: [{ line: 6, column: 26, severity: "error" }],
    },
  ],
});
