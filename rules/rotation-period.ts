import { defineRule } from "../src/engine/rule.js";
import { DEFAULT_ROTATION_PERIOD_DAYS, MAX_ROTATION_PERIOD_DAYS, MIN_ROTATION_PERIOD_DAYS, aliasNote, keyProperties, rotationSupport } from "../src/analysis/storage.js";

export default defineRule({
  meta: {
    id: "rotation-period",
    severity: "warning",
    appliesTo: [],
    inventory: true,
    options: {
      maxDays: {
        type: "integer",
        minimum: MIN_ROTATION_PERIOD_DAYS,
        maximum: MAX_ROTATION_PERIOD_DAYS,
        default: DEFAULT_ROTATION_PERIOD_DAYS,
        description: "The longest rotation period (RotationPeriodInDays) accepted without a finding.",
      },
    },
    description: "A key's automatic rotation period is longer than the configured maximum (365 days by default).",
    messages: {
      tooLong:
        "This key{{aliases}} rotates every {{days}} days ({{property}}), longer than the maximum of {{max}} days this project allows (rotation-period option maxDays): each key material stays in use {{extra}} longer than allowed. Fix: {{fix}} (KMS's default is 365), or raise maxDays in kmslint.config.json if the longer period is intended.",
    },
  },
  checkInventory(context) {
    const { inventory } = context;
    const configured = context.options["maxDays"];
    const max = typeof configured === "number" && Number.isFinite(configured) ? configured : DEFAULT_ROTATION_PERIOD_DAYS;
    const names = keyProperties(inventory.format);
    for (const key of inventory.keys) {
      if (key.keyManager !== "CUSTOMER" || key.replicaOf !== undefined) continue;
      if (!key.rotationEnabled?.known || key.rotationEnabled.value !== true) continue;
      const period = key.rotationPeriodDays;
      if (!period?.known) continue;
      const days = period.value;
      // Outside 90–2560 the deployment fails: invalid-policy reports that, not this rule.
      if (!Number.isInteger(days) || days < MIN_ROTATION_PERIOD_DAYS || days > MAX_ROTATION_PERIOD_DAYS) continue;
      // A key that cannot rotate at all is invalid-policy's (EnableKeyRotation on an ineligible key).
      if (rotationSupport(key, inventory.format).supported === false) continue;
      if (days <= max) continue;
      const fix =
        inventory.format === "live"
          ? `run \`aws kms enable-key-rotation --key-id ${key.arn ?? "<key ARN>"} --rotation-period-in-days ${max}\` (or fewer days)`
          : `set ${names.period} to ${max} or less`;
      context.report({
        messageId: "tooLong",
        data: { aliases: aliasNote(key), days, property: names.period, max, extra: `${days - max} day${days - max === 1 ? "" : "s"}`, fix },
        resource: key.resource,
        range: period.range,
      });
    }
  },
});
