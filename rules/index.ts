/** Every rule, in the order their findings are listed when they share a position. */
import type { Rule } from "../src/engine/rule.js";
import invalidJson from "./invalid-json.js";
import invalidPolicy from "./invalid-policy.js";
import policySize from "./policy-size.js";
import unknownAction from "./unknown-action.js";
import unknownConditionKey from "./unknown-condition-key.js";
import publicAccess from "./public-access.js";
import crossAccountAccess from "./cross-account-access.js";
import orgCondition from "./org-condition.js";
import viaServiceWithoutCallerAccount from "./via-service-without-caller-account.js";
import externalAdminAccess from "./external-admin-access.js";
import grantWithoutAwsResourceGuard from "./grant-without-aws-resource-guard.js";
import lockoutRisk from "./lockout-risk.js";
import notPrincipalAllow from "./not-principal-allow.js";
import servicePrincipalWithoutSource from "./service-principal-without-source.js";
import rotationDisabled from "./rotation-disabled.js";
import rotationPeriod from "./rotation-period.js";
import awsManagedKeyOnSharedBucket from "./aws-managed-key-on-shared-bucket.js";
import bucketKeyMismatch from "./bucket-key-mismatch.js";
import unresolvedValue from "./unresolved-value.js";
import auditError from "./audit-error.js";
import accessAnalyzer from "./access-analyzer.js";
import keyState from "./key-state.js";
import importedMaterialExpiring from "./imported-material-expiring.js";
import unusedSuppression from "./unused-suppression.js";
import expiredSuppression from "./expired-suppression.js";
import unusedCrossAccountGrant from "./unused-cross-account-grant.js";
import deniedCaller from "./denied-caller.js";
import usageUnnamedAccount from "./usage-unnamed-account.js";

export const allRules: readonly Rule[] = [
  invalidJson,
  invalidPolicy,
  policySize,
  unknownAction,
  unknownConditionKey,
  publicAccess,
  crossAccountAccess,
  orgCondition,
  viaServiceWithoutCallerAccount,
  externalAdminAccess,
  grantWithoutAwsResourceGuard,
  lockoutRisk,
  notPrincipalAllow,
  servicePrincipalWithoutSource,
  rotationDisabled,
  rotationPeriod,
  awsManagedKeyOnSharedBucket,
  bucketKeyMismatch,
  keyState,
  importedMaterialExpiring,
  unresolvedValue,
  auditError,
  accessAnalyzer,
  unusedSuppression,
  expiredSuppression,
  unusedCrossAccountGrant,
  deniedCaller,
  usageUnnamedAccount,
];
