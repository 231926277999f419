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

  if (snapshot["AccessAnalyzer"] !== undefined) checkAccessAnalyzer(object(snapshot["AccessAnalyzer"], "AccessAnalyzer"));

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

const ANALYZER_TYPES = ["ACCOUNT", "ORGANIZATION", "ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"];
const ANALYZER_STATUSES = ["ACTIVE", "CREATING", "DISABLED", "FAILED"];
const FINDING_STATUSES = ["ACTIVE", "ARCHIVED", "RESOLVED"];

function oneOf(value: unknown, path: string, allowed: readonly string[]): void {
  if (typeof value !== "string" || !allowed.includes(value)) fail(path, `must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
}

function stringMap(value: unknown, path: string): void {
  for (const [name, member] of Object.entries(object(value, path))) {
    if (typeof member !== "string") fail(`${path}${key(name)}`, "must be a string");
  }
}

function checkAccessAnalyzer(content: Record<string, unknown>): void {
  /** Region → type of every analyzer name. */
  const analyzers = new Map<string, Map<string, string>>();
  if (content["Analyzers"] !== undefined) {
    array(content["Analyzers"], "AccessAnalyzer.Analyzers").forEach((item, i) => {
      const path = `AccessAnalyzer.Analyzers[${i}]`;
      const analyzer = object(item, path);
      checkRegionName(analyzer["Region"], `${path}.Region`);
      const name = string(analyzer["Name"], `${path}.Name`);
      const region = analyzer["Region"] as string;
      const types = analyzers.get(region) ?? new Map<string, string>();
      if (types.has(name)) fail(`${path}.Name`, `repeats the analyzer name ${JSON.stringify(name)} in ${region}`);
      oneOf(analyzer["Type"], `${path}.Type`, ANALYZER_TYPES);
      types.set(name, analyzer["Type"] as string);
      analyzers.set(region, types);
      if (analyzer["Status"] !== undefined) oneOf(analyzer["Status"], `${path}.Status`, ANALYZER_STATUSES);
      optionalDate(analyzer["CreatedAt"], `${path}.CreatedAt`);
      optionalDate(analyzer["LastResourceAnalyzedAt"], `${path}.LastResourceAnalyzedAt`);
    });
  }
  if (content["Findings"] !== undefined) {
    const ids = new Set<string>();
    array(content["Findings"], "AccessAnalyzer.Findings").forEach((item, i) => {
      const path = `AccessAnalyzer.Findings[${i}]`;
      const finding = object(item, path);
      const name = string(finding["Analyzer"], `${path}.Analyzer`);
      if (finding["Region"] !== undefined) checkRegionName(finding["Region"], `${path}.Region`);
      const region = finding["Region"] as string | undefined;
      const types = [...analyzers].filter(([r]) => region === undefined || r === region).flatMap(([, t]) => (t.has(name) ? [t.get(name)] : []));
      if (types.length === 0) fail(`${path}.Analyzer`, `names no analyzer of AccessAnalyzer.Analyzers${region === undefined ? "" : ` in ${region}`}: ${JSON.stringify(name)}`);
      if (types.some((type) => type !== "ACCOUNT" && type !== "ORGANIZATION")) {
        fail(`${path}.Analyzer`, `must name an external-access analyzer (Type ACCOUNT or ORGANIZATION): ${JSON.stringify(name)}`);
      }
      const id = string(finding["Id"], `${path}.Id`);
      if (ids.has(`${name}\n${id}`)) fail(`${path}.Id`, `repeats the finding id ${JSON.stringify(id)} of analyzer ${JSON.stringify(name)}`);
      ids.add(`${name}\n${id}`);
      string(finding["Resource"], `${path}.Resource`);
      string(finding["ResourceType"], `${path}.ResourceType`);
      if (finding["ResourceOwnerAccount"] !== undefined && !ACCOUNT.test(string(finding["ResourceOwnerAccount"], `${path}.ResourceOwnerAccount`))) {
        fail(`${path}.ResourceOwnerAccount`, `must be a 12-digit account id, not ${JSON.stringify(finding["ResourceOwnerAccount"])}`);
      }
      if (finding["Status"] !== undefined) oneOf(finding["Status"], `${path}.Status`, FINDING_STATUSES);
      if (finding["Principal"] !== undefined) stringMap(finding["Principal"], `${path}.Principal`);
      if (finding["Condition"] !== undefined) stringMap(finding["Condition"], `${path}.Condition`);
      if (finding["Action"] !== undefined) array(finding["Action"], `${path}.Action`).forEach((action, a) => string(action, `${path}.Action[${a}]`));
      if (finding["IsPublic"] !== undefined && typeof finding["IsPublic"] !== "boolean") fail(`${path}.IsPublic`, "must be true or false");
      if (finding["Sources"] !== undefined) array(finding["Sources"], `${path}.Sources`).forEach((source, s) => object(source, `${path}.Sources[${s}]`));
      for (const field of ["CreatedAt", "AnalyzedAt", "UpdatedAt"]) optionalDate(finding[field], `${path}.${field}`);
      optionalString(finding["Error"], `${path}.Error`);
    });
  }
  if (content["PublicAccessChecks"] !== undefined) {
    array(content["PublicAccessChecks"], "AccessAnalyzer.PublicAccessChecks").forEach((item, i) => {
      const path = `AccessAnalyzer.PublicAccessChecks[${i}]`;
      const check = object(item, path);
      string(check["PolicyContains"], `${path}.PolicyContains`);
      oneOf(check["Result"], `${path}.Result`, ["PASS", "FAIL"]);
      optionalString(check["Message"], `${path}.Message`);
    });
  }
}
