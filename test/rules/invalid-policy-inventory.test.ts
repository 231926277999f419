/** invalid-policy's checks of key settings in templates and plans (the policy grammar is in invalid-policy.test.ts). */
import { describe, expect, it } from "vitest";
import { findingsOf, InventoryBuilder, inventoryRuleTester, known, OWNER, type KeySettings } from "../inventory-builder.js";

function oneKey(settings: KeySettings, format: "cloudformation" | "terraform-plan" | "live" = "cloudformation") {
  return () => {
    const builder = new InventoryBuilder({ format, owner: OWNER });
    builder.key("DataKey", 3, settings);
    return builder;
  };
}
const ROTATE = { rotationEnabled: known(true, 6, 26) };
const period = (days: number) => ({ ...ROTATE, rotationPeriodDays: known(days, 7, 29) });

inventoryRuleTester("invalid-policy", {
  valid: [
    { name: "defaults everywhere", build: oneKey({}) },
    { name: "rotation on a symmetric key", build: oneKey(ROTATE) },
    { name: "period 90 (the minimum)", build: oneKey(period(90)) },
    { name: "period 2560 (the maximum)", build: oneKey(period(2560)) },
    { name: "EnableKeyRotation false on an asymmetric key (what CloudFormation asks for)", build: oneKey({ keySpec: known("RSA_2048", 4), keyUsage: known("SIGN_VERIFY", 5), rotationEnabled: known(false, 6, 26) }) },
    { name: "EnableKeyRotation absent on an HMAC key", build: oneKey({ keySpec: known("HMAC_256", 4), keyUsage: known("GENERATE_VERIFY_MAC", 5) }) },
    { name: "replica: it takes its settings from the primary", build: oneKey({ replicaOf: "PrimaryKey", keySpec: known("HMAC_256", 4), ...ROTATE }) },
    { name: "a live key exists, so its settings were accepted", build: oneKey({ keySpec: known("HMAC_256", 4), ...period(30) }, "live") },
    {
      name: "unknown KeySpec: nothing is guessed",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { keySpec: builder.unknown("!Ref Spec", "the parameter has no Default", 4), keyUsage: known("ENCRYPT_DECRYPT", 5), ...ROTATE });
        return builder;
      },
    },
    {
      name: "unknown KeyUsage with a symmetric spec",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { keyUsage: builder.unknown("!Ref Usage", "the parameter has no Default", 5), ...ROTATE });
        return builder;
      },
    },
    {
      name: "unknown Origin with rotation on",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { origin: builder.unknown("!Ref Origin", "the parameter has no Default", 4), ...ROTATE });
        return builder;
      },
    },
    // Every combination the CreateKey documentation allows.
    ...(
      [
        ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"],
        ["HMAC_224", "GENERATE_VERIFY_MAC"],
        ["HMAC_512", "GENERATE_VERIFY_MAC"],
        ["RSA_2048", "ENCRYPT_DECRYPT"],
        ["RSA_4096", "SIGN_VERIFY"],
        ["ECC_NIST_P256", "SIGN_VERIFY"],
        ["ECC_NIST_P384", "KEY_AGREEMENT"],
        ["ECC_NIST_EDWARDS25519", "SIGN_VERIFY"],
        ["ECC_SECG_P256K1", "SIGN_VERIFY"],
        ["ML_DSA_44", "SIGN_VERIFY"],
        ["SM2", "ENCRYPT_DECRYPT"],
        ["SM2", "SIGN_VERIFY"],
        ["SM2", "KEY_AGREEMENT"],
      ] as const
    ).map(([spec, usage]) => ({ name: `${spec} with ${usage}`, build: oneKey({ keySpec: known(spec, 4), keyUsage: known(usage, 5) }) })),
    { name: "a key spec kmslint does not know is left alone", build: oneKey({ keySpec: known("ML_KEM_768", 4), keyUsage: known("KEY_AGREEMENT", 5) }) },
    { name: "a key usage kmslint does not know is left alone", build: oneKey({ keySpec: known("RSA_2048", 4), keyUsage: known("WRAP_UNWRAP", 5) }) },
    { name: "an RSA key with the usage left out defaults to ENCRYPT_DECRYPT, which RSA accepts", build: oneKey({ keySpec: known("RSA_3072", 4) }) },
    { name: "CloudHSM key store with SYMMETRIC_DEFAULT", build: oneKey({ origin: known("AWS_CLOUDHSM", 4), keySpec: known("SYMMETRIC_DEFAULT", 5) }) },
  ],
  invalid: [
    {
      name: "period 89",
      build: oneKey(period(89)),
      errors: [{ messageId: "rotationPeriod", line: 7, column: 29, severity: "error", resource: "DataKey", message: ["RotationPeriodInDays is 89", "90 to 2560 days", "the CloudFormation stack fails to deploy"] }],
    },
    { name: "period 2561", build: oneKey(period(2561)), errors: [{ messageId: "rotationPeriod", line: 7, column: 29, message: "RotationPeriodInDays is 2561" }] },
    { name: "period 0", build: oneKey(period(0)), errors: [{ messageId: "rotationPeriod", line: 7, column: 29 }] },
    { name: "fractional period", build: oneKey(period(365.5)), errors: [{ messageId: "rotationPeriod", line: 7, column: 29 }] },
    {
      name: "period out of bounds even with rotation off (the property is still validated)",
      build: oneKey({ rotationEnabled: known(false, 6, 26), rotationPeriodDays: known(3000, 7, 29) }),
      errors: [{ messageId: "rotationPeriod", line: 7, column: 29 }],
    },
    {
      name: "Terraform names",
      build: oneKey(period(10), "terraform-plan"),
      errors: [{ messageId: "rotationPeriod", line: 7, column: 29, message: ["rotation_period_in_days is 10", "terraform apply fails"] }],
    },
    {
      name: "rotation on an asymmetric key",
      build: oneKey({ keySpec: known("RSA_2048", 4), keyUsage: known("ENCRYPT_DECRYPT", 5), ...ROTATE }),
      errors: [
        {
          messageId: "rotationUnsupported",
          line: 6,
          column: 26,
          severity: "error",
          message: ["EnableKeyRotation is true", "its KeySpec is RSA_2048 (an asymmetric key)", "UnsupportedOperationException", "omit EnableKeyRotation or set it to false"],
        },
      ],
    },
    {
      name: "rotation on an HMAC key",
      build: oneKey({ keySpec: known("HMAC_256", 4), keyUsage: known("GENERATE_VERIFY_MAC", 5), ...ROTATE }),
      errors: [{ messageId: "rotationUnsupported", line: 6, column: 26, message: "HMAC_256 (an HMAC key)" }],
    },
    {
      name: "rotation on imported key material: on-demand rotation is the alternative",
      build: oneKey({ origin: known("EXTERNAL", 4), ...ROTATE }),
      errors: [{ messageId: "rotationUnsupported", line: 6, column: 26, message: ["Origin is EXTERNAL (imported key material)", "RotateKeyOnDemand"] }],
    },
    {
      name: "rotation on a key in a custom key store",
      build: oneKey({ origin: known("AWS_CLOUDHSM", 4), customKeyStore: known("cks-1234567890abcdef0", 5), ...ROTATE }),
      errors: [{ messageId: "rotationUnsupported", line: 6, column: 26, message: "AWS_CLOUDHSM (a CloudHSM key store)" }],
    },
    {
      name: "rotation on a key with only a custom key store id",
      build: oneKey({ customKeyStore: known("cks-1234567890abcdef0", 5), ...ROTATE }),
      errors: [{ messageId: "rotationUnsupported", line: 6, column: 26, message: "custom key store cks-1234567890abcdef0" }],
    },
    {
      name: "Terraform: rotation on an asymmetric key",
      build: oneKey({ keySpec: known("ECC_NIST_P256", 4), keyUsage: known("SIGN_VERIFY", 5), ...ROTATE }, "terraform-plan"),
      errors: [{ messageId: "rotationUnsupported", line: 6, column: 26, message: ["enable_key_rotation is true", "customer_master_key_spec is ECC_NIST_P256", "terraform apply fails"] }],
    },
    {
      name: "a known reason wins over an unknown setting: SIGN_VERIFY cannot rotate whatever the KeySpec",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { keySpec: builder.unknown("!Ref Spec", "the parameter has no Default", 4), keyUsage: known("SIGN_VERIFY", 5), ...ROTATE });
        return builder;
      },
      errors: [{ messageId: "rotationUnsupported", line: 6, column: 26, message: "its KeyUsage is SIGN_VERIFY, not ENCRYPT_DECRYPT" }],
    },
    {
      name: "SIGN_VERIFY on a symmetric key: at KeyUsage",
      build: oneKey({ keyUsage: known("SIGN_VERIFY", 5) }),
      errors: [{ messageId: "keyUsage", line: 5, column: 5, severity: "error", message: ["KeyUsage SIGN_VERIFY is not valid for KeySpec SYMMETRIC_DEFAULT", "only ENCRYPT_DECRYPT for symmetric encryption keys"] }],
    },
    {
      name: "GENERATE_VERIFY_MAC with a non-HMAC spec",
      build: oneKey({ keySpec: known("RSA_2048", 4), keyUsage: known("GENERATE_VERIFY_MAC", 5) }),
      errors: [{ messageId: "keyUsage", line: 5, column: 5, message: ["only ENCRYPT_DECRYPT or SIGN_VERIFY for RSA keys", "set KeyUsage to one of ENCRYPT_DECRYPT or SIGN_VERIFY"] }],
    },
    {
      name: "ENCRYPT_DECRYPT with an HMAC spec",
      build: oneKey({ keySpec: known("HMAC_384", 4), keyUsage: known("ENCRYPT_DECRYPT", 5) }),
      errors: [{ messageId: "keyUsage", line: 5, column: 5, message: "only GENERATE_VERIFY_MAC for HMAC keys" }],
    },
    {
      name: "an HMAC key without KeyUsage: the default ENCRYPT_DECRYPT is rejected, at KeySpec",
      build: oneKey({ keySpec: known("HMAC_256", 4) }),
      errors: [{ messageId: "keyUsage", line: 4, column: 5, message: "KeyUsage ENCRYPT_DECRYPT (the default, as KeyUsage is not set)" }],
    },
    {
      name: "ENCRYPT_DECRYPT with an ECC spec",
      build: oneKey({ keySpec: known("ECC_NIST_P521", 4), keyUsage: known("ENCRYPT_DECRYPT", 5) }),
      errors: [{ messageId: "keyUsage", line: 5, column: 5, message: "only SIGN_VERIFY or KEY_AGREEMENT for NIST elliptic curve keys" }],
    },
    { name: "KEY_AGREEMENT with Ed25519", build: oneKey({ keySpec: known("ECC_NIST_EDWARDS25519", 4), keyUsage: known("KEY_AGREEMENT", 5) }), errors: [{ messageId: "keyUsage", line: 5, column: 5 }] },
    { name: "KEY_AGREEMENT with secp256k1", build: oneKey({ keySpec: known("ECC_SECG_P256K1", 4), keyUsage: known("KEY_AGREEMENT", 5) }), errors: [{ messageId: "keyUsage", line: 5, column: 5 }] },
    { name: "ENCRYPT_DECRYPT with ML-DSA", build: oneKey({ keySpec: known("ML_DSA_87", 4), keyUsage: known("ENCRYPT_DECRYPT", 5) }), errors: [{ messageId: "keyUsage", line: 5, column: 5 }] },
    { name: "GENERATE_VERIFY_MAC with SM2", build: oneKey({ keySpec: known("SM2", 4), keyUsage: known("GENERATE_VERIFY_MAC", 5) }), errors: [{ messageId: "keyUsage", line: 5, column: 5 }] },
    {
      name: "a custom key store needs SYMMETRIC_DEFAULT",
      build: oneKey({ origin: known("EXTERNAL_KEY_STORE", 4), keySpec: known("RSA_2048", 5), keyUsage: known("SIGN_VERIFY", 6) }),
      errors: [{ messageId: "keyStoreSpec", line: 5, column: 5, message: ["Origin is EXTERNAL_KEY_STORE", "requires KeySpec SYMMETRIC_DEFAULT"] }],
    },
    {
      name: "several problems on one key, in source order",
      build: oneKey({ keySpec: known("HMAC_256", 4), keyUsage: known("SIGN_VERIFY", 5), ...period(20) }),
      errors: [
        { messageId: "keyUsage", line: 5, column: 5 },
        { messageId: "rotationUnsupported", line: 6, column: 26 },
        { messageId: "rotationPeriod", line: 7, column: 29 },
      ],
    },
  ],
});

describe("invalid-policy in an inventory", () => {
  it("still checks the policies of the inventory with the policy grammar, at their positions in the template", () => {
    const builder = new InventoryBuilder({ owner: OWNER });
    builder.key("DataKey", 3, {}, { json: '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]\n}', line: 10 });
    const found = findingsOf(builder, "invalid-policy");
    expect(found.map((f) => [f.line, f.column, f.resource])).toEqual([[12, 34, "DataKey"]]);
    expect(found[0]!.message).toContain("DataKey: ");
  });
});
