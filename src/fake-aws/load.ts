/**
 * Reading an account snapshot: JSON from a file, checked field by field so that a mistake in a hand-written
 * snapshot is reported with the path of the field (`Kms["eu-west-1"].Keys[2].KeyMetadata.KeyId`) instead of
 * surfacing later as a strange answer from the fake endpoint.
 */
import { snapshotTime } from "./wire.js";
import { readFileSync } from "node:fs";
import type { AccountSnapshot } from "./snapshot.js";

export function loadSnapshot(path: string): AccountSnapshot {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`Cannot read snapshot ${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`Snapshot ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateSnapshot(value, path);
}

class SnapshotError extends Error {}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT = /^\d{12}$/;

/** The value as an AccountSnapshot, or an Error naming the first field that is wrong and the source (`source`). */
export function validateSnapshot(value: unknown, source: string): AccountSnapshot {
  try {
    checkSnapshot(value);
  } catch (error) {
    if (error instanceof SnapshotError) throw new Error(`Invalid snapshot ${source}: ${error.message}`, { cause: error });
    throw error;
  }
  return value as AccountSnapshot;
}

function fail(path: string, problem: string): never {
  throw new SnapshotError(`${path} ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) fail(path, "must be an object");
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, "must be an array");
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string" || value === "") fail(path, "must be a non-empty string");
  return value;
}

function optionalString(value: unknown, path: string): void {
  if (value !== undefined) string(value, path);
}

function optionalDate(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value === "number" ? !Number.isFinite(value) : typeof value !== "string" || Number.isNaN(snapshotTime(value))) {
    fail(path, `must be a date (ISO 8601 text, a time relative to now such as "now+12d", or epoch seconds), not ${JSON.stringify(value)}`);
  }
}

function key(name: string): string {
  return `[${JSON.stringify(name)}]`;
}

function checkSnapshot(value: unknown): void {
  const snapshot = object(value, "the snapshot");
  const account = string(snapshot["Account"], "Account");
  if (!ACCOUNT.test(account)) fail("Account", `must be a 12-digit account id, not ${JSON.stringify(account)}`);
  optionalString(snapshot["Partition"], "Partition");
  if (snapshot["CallerArn"] !== undefined && !string(snapshot["CallerArn"], "CallerArn").startsWith("arn:")) fail("CallerArn", "must be an ARN");
  if (snapshot["Organization"] !== undefined) {
    const organization = object(snapshot["Organization"], "Organization");
    optionalString(organization["Error"], "Organization.Error");
    optionalString(organization["Id"], "Organization.Id");
  }
  if (snapshot["Regions"] !== undefined) array(snapshot["Regions"], "Regions").forEach((region, i) => checkRegionName(region, `Regions[${i}]`));

  const kms = object(snapshot["Kms"], "Kms");
  for (const [region, content] of Object.entries(kms)) {
    const path = `Kms${key(region)}`;
    checkRegionName(region, path);
    checkRegion(object(content, path), path);
  }

  const names = new Set<string>();
  array(snapshot["Buckets"], "Buckets").forEach((item, i) => {
    const path = `Buckets[${i}]`;
    const bucket = object(item, path);
    const name = string(bucket["Name"], `${path}.Name`);
    if (names.has(name)) fail(`${path}.Name`, `repeats the bucket name ${JSON.stringify(name)}`);
    names.add(name);
    checkRegionName(bucket["Region"], `${path}.Region`);
    optionalDate(bucket["CreationDate"], `${path}.CreationDate`);
    const encryption = bucket["Encryption"];
    if (encryption !== undefined && encryption !== null) {
      const rules = array(object(encryption, `${path}.Encryption`)["Rules"], `${path}.Encryption.Rules`);
      rules.forEach((rule, r) => object(rule, `${path}.Encryption.Rules[${r}]`));
    }
    if (bucket["PolicyStatus"] !== undefined && typeof object(bucket["PolicyStatus"], `${path}.PolicyStatus`)["IsPublic"] !== "boolean") {
      fail(`${path}.PolicyStatus.IsPublic`, "must be true or false");
    }
    if (bucket["ListedWithoutRegion"] !== undefined && typeof bucket["ListedWithoutRegion"] !== "boolean") fail(`${path}.ListedWithoutRegion`, "must be true or false");
  });

  if (snapshot["Faults"] !== undefined) {
    array(snapshot["Faults"], "Faults").forEach((item, i) => {
      const path = `Faults[${i}]`;
      const fault = object(item, path);
      string(fault["Operation"], `${path}.Operation`);
      string(fault["Error"], `${path}.Error`);
      optionalString(fault["Resource"], `${path}.Resource`);
      optionalString(fault["Region"], `${path}.Region`);
      optionalString(fault["Message"], `${path}.Message`);
      const count = fault["Count"];
      if (count !== undefined && !(typeof count === "number" && Number.isInteger(count) && count >= 0)) fail(`${path}.Count`, "must be a whole number, 0 or more");
      const status = fault["Status"];
      if (status !== undefined && !(typeof status === "number" && Number.isInteger(status) && status >= 300 && status <= 599)) {
        fail(`${path}.Status`, "must be an HTTP error status (300-599)");
      }
    });
  }
}

function checkRegionName(value: unknown, path: string): void {
  const region = string(value, path);
  if (!REGION.test(region)) fail(path, `must be a region name like us-east-1, not ${JSON.stringify(region)}`);
}

function checkRegion(content: Record<string, unknown>, path: string): void {
  const ids = new Set<string>();
  array(content["Keys"], `${path}.Keys`).forEach((item, i) => {
    const keyPath = `${path}.Keys[${i}]`;
    const entry = object(item, keyPath);
    const metadata = object(entry["KeyMetadata"], `${keyPath}.KeyMetadata`);
    const id = string(metadata["KeyId"], `${keyPath}.KeyMetadata.KeyId`);
    if (ids.has(id)) fail(`${keyPath}.KeyMetadata.KeyId`, `repeats the key id ${JSON.stringify(id)}`);
    ids.add(id);
    for (const field of ["CreationDate", "DeletionDate", "ValidTo"]) optionalDate(metadata[field], `${keyPath}.KeyMetadata.${field}`);
    for (const field of ["KeySpec", "KeyUsage", "KeyState", "Origin", "KeyManager", "Arn"]) optionalString(metadata[field], `${keyPath}.KeyMetadata.${field}`);
    if (entry["Rotation"] !== undefined) {
      const rotation = object(entry["Rotation"], `${keyPath}.Rotation`);
      if (typeof rotation["KeyRotationEnabled"] !== "boolean") fail(`${keyPath}.Rotation.KeyRotationEnabled`, "must be true or false");
      const period = rotation["RotationPeriodInDays"];
      if (period !== undefined && !(typeof period === "number" && Number.isInteger(period) && period >= 90 && period <= 2560)) {
        fail(`${keyPath}.Rotation.RotationPeriodInDays`, "must be a whole number of days from 90 to 2560");
      }
      optionalDate(rotation["NextRotationDate"], `${keyPath}.Rotation.NextRotationDate`);
      optionalDate(rotation["OnDemandRotationStartDate"], `${keyPath}.Rotation.OnDemandRotationStartDate`);
    }
    if (entry["Rotations"] !== undefined) {
      array(entry["Rotations"], `${keyPath}.Rotations`).forEach((rotation, r) => {
        const rotationPath = `${keyPath}.Rotations[${r}]`;
        const fields = object(rotation, rotationPath);
        optionalDate(fields["RotationDate"], `${rotationPath}.RotationDate`);
        optionalDate(fields["ValidTo"], `${rotationPath}.ValidTo`);
      });
    }
  });
  if (content["Aliases"] === undefined) return;
  const aliases = new Set<string>();
  array(content["Aliases"], `${path}.Aliases`).forEach((item, i) => {
    const aliasPath = `${path}.Aliases[${i}]`;
    const alias = object(item, aliasPath);
    const name = string(alias["AliasName"], `${aliasPath}.AliasName`);
    if (!name.startsWith("alias/")) fail(`${aliasPath}.AliasName`, `must start with "alias/", not ${JSON.stringify(name)}`);
    if (aliases.has(name)) fail(`${aliasPath}.AliasName`, `repeats the alias ${JSON.stringify(name)}`);
    aliases.add(name);
    if (alias["TargetKeyId"] !== undefined) {
      const target = string(alias["TargetKeyId"], `${aliasPath}.TargetKeyId`);
      if (!ids.has(target)) fail(`${aliasPath}.TargetKeyId`, `names no key of the region: ${JSON.stringify(target)}`);
    }
    optionalDate(alias["CreationDate"], `${aliasPath}.CreationDate`);
    optionalDate(alias["LastUpdatedDate"], `${aliasPath}.LastUpdatedDate`);
  });
}
