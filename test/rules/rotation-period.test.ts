import { InventoryBuilder, inventoryRuleTester, known, OWNER, type KeySettings } from "../inventory-builder.js";

/** One key declared at line 3, with RotationPeriodInDays at 7:29. */
function oneKey(settings: KeySettings, format: "cloudformation" | "terraform-plan" | "live" = "cloudformation") {
  return () => {
    const builder = new InventoryBuilder({ format, owner: OWNER });
    builder.key("DataKey", 3, { rotationEnabled: known(true, 6, 26), ...settings });
    return builder;
  };
}
const period = (days: number) => ({ rotationPeriodDays: known(days, 7, 29) });

inventoryRuleTester("rotation-period", {
  valid: [
    { name: "no period: KMS's default, 365 days", build: oneKey({}) },
    { name: "365 days, the default maximum", build: oneKey(period(365)) },
    { name: "90 days", build: oneKey(period(90)) },
    { name: "730 days, allowed by maxDays 730", build: oneKey(period(730)), ruleOptions: { "rotation-period": { maxDays: 730 } } },
    { name: "rotation off: the period does not apply (rotation-disabled reports it)", build: oneKey({ rotationEnabled: known(false, 6, 26), ...period(2000) }) },
    { name: "rotation not set", build: oneKey({ rotationEnabled: undefined, ...period(2000) }) },
    // Outside 90–2560 the deployment fails: invalid-policy's error, not this warning.
    { name: "2561 days is invalid-policy's", build: oneKey(period(2561)) },
    { name: "89 days is invalid-policy's", build: oneKey(period(89)) },
    { name: "a fractional period is invalid-policy's", build: oneKey(period(400.5)) },
    { name: "an HMAC key cannot rotate at all: invalid-policy's", build: oneKey({ keySpec: known("HMAC_256", 4), ...period(1000) }) },
    { name: "replica: the primary's setting applies", build: oneKey({ replicaOf: "PrimaryKey", ...period(1000) }) },
    {
      name: "unknown period (unresolved-value reports it)",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { rotationEnabled: known(true, 6, 26), rotationPeriodDays: builder.unknown("!Ref Days", "the parameter has no Default", 7, 29) });
        return builder;
      },
    },
    {
      name: "unknown EnableKeyRotation",
      build: () => {
        const builder = new InventoryBuilder();
        builder.key("DataKey", 3, { rotationEnabled: builder.unknown("!Ref Rotate", "the parameter has no Default", 6, 26), ...period(1000) });
        return builder;
      },
    },
  ],
  invalid: [
    {
      name: "366 days over the default 365",
      build: oneKey(period(366)),
      errors: [
        {
          messageId: "tooLong",
          line: 7,
          column: 29,
          severity: "warning",
          resource: "DataKey",
          message: ["rotates every 366 days (RotationPeriodInDays)", "maximum of 365 days", "1 day longer", "set RotationPeriodInDays to 365 or less", "maxDays"],
        },
      ],
    },
    { name: "2560 days, the KMS maximum", build: oneKey(period(2560)), errors: [{ line: 7, column: 29, message: "rotates every 2560 days" }] },
    { name: "maxDays 180 makes 365 too long", build: oneKey(period(365)), ruleOptions: { "rotation-period": { maxDays: 180 } }, errors: [{ line: 7, column: 29, message: ["maximum of 180 days", "185 days longer"] }] },
    { name: "maxDays 90 makes 91 too long", build: oneKey(period(91)), ruleOptions: { "rotation-period": { maxDays: 90 } }, errors: [{ line: 7, column: 29 }] },
    { name: "Terraform attribute name", build: oneKey(period(1000), "terraform-plan"), errors: [{ line: 7, column: 29, message: "set rotation_period_in_days to 365 or less" }] },
    { name: "live key: the fix is the CLI call", build: oneKey(period(1000), "live"), errors: [{ line: 7, column: 29, message: "--rotation-period-in-days 365" }] },
    { name: "aliases are named", build: oneKey({ aliases: ["alias/data"], ...period(1000) }), errors: [{ line: 7, column: 29, message: "This key (alias/data) rotates" }] },
  ],
});
