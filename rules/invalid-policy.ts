import { defineRule, type InventoryContext, type RuleContext } from "../src/engine/rule.js";
import type { InventoryKey } from "../src/model/inventory.js";
import { MAX_ROTATION_PERIOD_DAYS, MIN_ROTATION_PERIOD_DAYS, keyProperties, rotationSupport } from "../src/analysis/storage.js";
import { parseArn, parseAwsPrincipal, isKnownPartition, PARTITIONS } from "../src/model/arn.js";
import { conditionKeyRole } from "../src/analysis/conditions.js";
import { findConditionKey } from "../src/model/catalogue.js";
import { structureIssues, suggest } from "../src/model/grammar.js";
import { FIRST_CHARACTER, MAX_JSON_DEPTH, type Path } from "../src/model/json.js";
import { KIND_NAMES, statementLabel, type Located, type PolicyKind, type PrincipalElement, type Statement } from "../src/model/policy.js";

/**
 * Condition operators of the IAM policy language.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
export const CONDITION_OPERATORS = [
  "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
  "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
  "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
  "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
] as const;

/**
 * KMS accepts TAB, LF, CR and U+0020–U+00FF in a key policy (PutKeyPolicy `Policy` pattern in the KMS API model);
 * IAM the same in a policy document (`policyDocumentType` in the IAM API model; IAM quotas page, AWS-FACTS §1.3).
 */
const OUTSIDE_POLICY_CHARACTER_SET = /[^\t\n\r\u0020-\u00ff]/u;
/** What the service does with a character outside that set. */
const CHARACTER_SET_REJECTION: Partial<Record<PolicyKind, string>> = {
  "key-policy": "KMS rejects the policy with MalformedPolicyDocumentException",
  "identity-policy": "IAM rejects the policy (the IAM API accepts no other character in a policy document)",
};
/** IAM: "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*". */
const IAM_SID = /^[0-9A-Za-z]*$/;
const MAX_CHARACTER_FINDINGS = 5;
const POLICY_VARIABLE = /\$\{[^}]*\}/;
const ACTION = /^[a-z0-9*?-]+:[a-z0-9*?]+$/i;

export default defineRule({
  meta: {
    id: "invalid-policy",
    severity: "error",
    appliesTo: ["key-policy", "bucket-policy", "identity-policy"],
    needsPolicy: false,
    inventory: true,
    description: "The document violates the policy grammar: AWS rejects it, or reads it differently than it looks.",
    messages: {
      notObject: "The file holds {{what}}, not a policy document: {{policyWords}} is a JSON object with \"Version\" and \"Statement\". Nothing else in this file was checked.",
      notPolicy:
        "The document has no \"Statement\" element, so it is not a policy: {{policyWords}} is a JSON object with \"Version\" and \"Statement\". Nothing else in this file was checked.",
      tooDeep: "The document is nested {{depth}} levels deep; a policy is at most 6. It was not checked further.",
      duplicateKey:
        "Duplicate key \"{{key}}\" (first at {{first}}). JSON parsers disagree on which one wins (JSON.parse, and kmslint, take the last; others take the first or reject the file), so a reviewer or another tool may read a different policy than the one AWS enforces. Keep one.",
      structure: "{{message}}",
      noStatements: "The policy has no statements: it grants nothing{{kmsNote}}.",
      noVersion:
        "The policy has no Version, so AWS reads it as \"2008-10-17\", in which policy variables such as ${aws:username} are plain text. Add \"Version\": \"2012-10-17\".",
      variableOldVersion:
        "{{value}} uses a policy variable, but the policy language version is {{version}}, in which variables are plain text. Set \"Version\": \"2012-10-17\".",
      bothElements: "Statement {{statement}} has both {{a}} and {{b}}; AWS rejects a statement with both. Keep one.",
      missingPrincipal:
        "Statement {{statement}} has no Principal: every statement of a {{kindName}} must name one (AWS rejects the policy). Use the account, role or service that needs access.",
      missingElementKms:
        "Statement {{statement}} has no {{element}}. KMS accepts the policy, but the statement has no effect. Add {{example}}.",
      missingElementS3: "Statement {{statement}} has no {{element}}; S3 rejects the policy (MalformedPolicy: Missing required field {{element}}).",
      missingElementIam:
        "Statement {{statement}} has no {{element}} (nor Not{{element}}); IAM rejects the policy (MalformedPolicyDocument: Policy statement must contain {{things}}). Add {{example}}.",
      principalInIdentity:
        "Statement {{statement}} has {{element}}, but an IAM identity policy names no principal: IAM rejects it (MalformedPolicyDocument: Policy document should not specify a principal). An identity policy grants the user, group or role it is attached to; to grant others, use the resource's policy (a key or bucket policy) or a role they can assume. If this is a key or bucket policy, pass --kind.",
      iamSid:
        "Sid {{sid}} has characters other than A-Z, a-z and 0-9; IAM rejects it in an identity policy (MalformedPolicyDocument: Statement IDs (SID) must be alpha-numeric). Write it as {{fix}}.",
      duplicateSid:
        "Sid \"{{sid}}\" is also the Sid of statement #{{first}}. {{consequence}} Give each statement its own Sid so that findings, reviews and logs can name it.",
      principalString: "A string Principal must be \"*\"; {{value}} is not. Write {\"AWS\": {{value}}} for an account or ARN, {\"Service\": …} for a service.",
      awsPrincipal: "Principal {{value}} is not valid: {{reason}}.",
      uniqueIdPrincipal:
        "Principal {{value}} is a unique id, which AWS shows in place of a principal that was deleted. The grant reaches nobody; recreating the user or role does not restore it. Remove it or name the principal again.",
      servicePrincipal: "Service principal {{value}} is not a service name such as \"s3.amazonaws.com\"{{reason}}.",
      canonicalUser: "CanonicalUser {{value}} is not a 64-character hexadecimal canonical user id.",
      action: "Action {{value}} is malformed: expected \"service:ActionName\" (wildcards * and ? allowed) or \"*\".",
      resourceArn: "Resource {{value}} is not a valid ARN: {{reason}}.",
      bucketResource:
        "Resource {{value}} is not an S3 bucket or object ARN (arn:aws:s3:::bucket or arn:aws:s3:::bucket/key); S3 rejects a bucket policy whose resources are not in the bucket (MalformedPolicy: Policy has invalid resource).",
      bucketNames:
        "This bucket policy names {{count}} buckets ({{names}}); a bucket policy can only name its own bucket, so S3 rejects it for every bucket but one.",
      operator: "Unknown condition operator \"{{operator}}\"{{hint}}; AWS rejects the policy.",
      nullIfExists: "\"{{operator}}\": Null cannot be combined with IfExists; AWS rejects it. Use Null alone.",
      boolValue: "{{operator}} takes \"true\" or \"false\", not {{value}}.",
      numericValue: "{{operator}} compares numbers; {{value}} is not a number, so the condition never matches.",
      dateValue: "{{operator}} compares dates; {{value}} is neither an ISO 8601 date nor epoch seconds, so the condition never matches.",
      ipValue: "{{operator}} takes IPv4 or IPv6 addresses or CIDR ranges; {{value}} is neither, so AWS rejects the policy.",
      accountValue:
        "{{key}} is compared with {{value}}, which is not a 12-digit account id, so it matches no request{{effect}}. Write the account id as 12 digits, as a string.",
      arnAccount:
        "{{key}} is compared with {{value}}, whose account field {{account}} is not a 12-digit account id, so it matches no request. Write the account id as 12 digits.",
      setOnSingleValued:
        "{{operator}} on {{key}}: {{key}} has one value per request, so the set operator is misleading (ForAnyValue behaves like the plain operator, ForAllValues is also true when the key is absent). Use {{plain}}.",
      arnValue:
        "{{operator}} compares the six colon-separated fields of an ARN; {{value}} has {{fields}}, so it matches no request{{effect}}. Write the whole ARN (arn:partition:service:region:account:resource), with * for the parts that may vary.",
      characterSet:
        "Character {{character}} (U+{{code}}) is outside the {{kindName}} character set (tab, line feed, carriage return and U+0020–U+00FF): {{rejection}}.{{more}}",
      kindGuess: "kmslint could not tell for sure whether this is a key policy or a bucket policy ({{reason}}); it was checked as a {{kindName}}. Pass --kind to be sure.",
      rotationPeriod:
        "{{property}} is {{value}}, but KMS accepts a rotation period of 90 to 2560 days (whole days): {{deploy}}. Use a period from 90 to 2560 days (365 by default).",
      rotationUnsupported:
        "{{property}} is true, but this key cannot be rotated automatically: {{why}}. KMS rejects EnableKeyRotation for it with UnsupportedOperationException, so {{deploy}}; CloudFormation's documentation says to omit EnableKeyRotation or set it to false for such keys. Fix: remove {{property}} or set it to false.{{onDemand}}",
      keyUsage:
        "{{usage}} is not valid for {{specProperty}} {{spec}}: KMS accepts only {{allowed}} for {{specKind}} keys, so CreateKey fails and {{deploy}}. Fix: set {{usageProperty}} to {{fix}}.",
      keyStoreSpec:
        "{{originProperty}} is {{origin}} (a custom key store), which requires {{specProperty}} SYMMETRIC_DEFAULT, but it is {{spec}}: CreateKey fails and {{deploy}}. Fix: use SYMMETRIC_DEFAULT, or keep the key in KMS ({{originProperty}} AWS_KMS).",
    },
  },
  checkInventory(context) {
    checkKeySettings(context);
  },
  check(context) {
    const { document } = context;
    if (document.problem) return;
    const value = document.value;
    const policyWords = context.kind === "identity-policy" ? "an IAM policy" : "a key or bucket policy";
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const what = Array.isArray(value) ? "a JSON array" : value === null ? "null" : `a JSON ${typeof value}`;
      context.report({ messageId: "notObject", data: { what, policyWords }, range: document.whole() });
      return;
    }
    for (const duplicate of document.duplicateKeys()) {
      context.report({
        messageId: "duplicateKey",
        data: { key: duplicate.key, first: `${duplicate.first.start.line}:${duplicate.first.start.column}` },
        range: duplicate.duplicate,
      });
    }
    if (document.depth > MAX_JSON_DEPTH) {
      context.report({ messageId: "tooDeep", data: { depth: document.depth }, range: document.whole() });
      return;
    }
    if (!document.policy) {
      context.report({ messageId: "notPolicy", data: { policyWords }, range: context.document.anchor?.() ?? FIRST_CHARACTER });
      return;
    }
    for (const issue of structureIssues(value)) {
      const statement = statementAt(context, issue.path);
      // Name a statement by its Sid, as the other messages do.
      const message = statement?.sid && statement.sid.value !== "" ? issue.message.replace(/\bstatement #\d+/i, (m) => `${m[0] === "S" ? "Statement" : "statement"} ${statementLabel(statement)}`) : issue.message;
      context.report({ messageId: "structure", data: { message }, path: issue.path, target: issue.target, statement });
    }
    checkCharacterSet(context);
    if (context.kindDecision && !context.kindDecision.confident && context.policy.statements.length > 0) {
      context.report({ messageId: "kindGuess", data: { reason: context.kindDecision.reason, kindName: KIND_NAMES[context.kind] }, range: context.document.anchor?.() ?? FIRST_CHARACTER, severity: "warning" });
    }

    const policy = context.policy;
    const kind = context.kind;
    const kms = kind === "key-policy";
    const identity = kind === "identity-policy";
    if (policy.statementIsArray && policy.statements.length === 0 && Array.isArray((value as Record<string, unknown>)["Statement"])) {
      context.report({
        messageId: "noStatements",
        data: { kmsNote: kms ? "; as a key policy it also locks every principal out of the key" : "" },
        path: ["Statement"],
        severity: "warning",
      });
    }
    if (!policy.version && "Statement" in value && !Object.keys(value).some((k) => k !== "Version" && k.toLowerCase() === "version")) {
      context.report({ messageId: "noVersion", range: context.document.anchor?.() ?? FIRST_CHARACTER, severity: "warning" });
    }
    const version = policy.version?.value ?? "none (read as 2008-10-17)";
    const oldVersion = policy.version?.value !== "2012-10-17";

    const sids = new Map<string, number>();
    for (const statement of policy.statements) {
      const label = statementLabel(statement);
      checkPairs(context, statement, label, kind);
      if (statement.sid && statement.sid.value !== "") {
        const first = sids.get(statement.sid.value);
        if (first !== undefined) {
          // KMS accepts duplicate Sids (the aws/secretsmanager key policy AWS writes has two); IAM Access Analyzer's
          // policy validation reports them as errors for resource policies, so bucket policies keep the error; IAM
          // rejects them in identity policies.
          const consequence = kms
            ? "KMS accepts it (the aws/secretsmanager key policy that AWS itself writes has one)."
            : identity
              ? "IAM rejects the policy (MalformedPolicyDocument: Statement IDs (SID) in a single policy must be unique)."
              : "IAM Access Analyzer policy validation reports this as an error.";
          context.report({ messageId: "duplicateSid", data: { sid: statement.sid.value, first, consequence }, path: statement.sid.path, statement, severity: kms ? "warning" : "error" });
        } else sids.set(statement.sid.value, statement.index);
        if (identity && !IAM_SID.test(statement.sid.value)) {
          const fix = statement.sid.value.replace(/[^0-9A-Za-z]/g, "");
          context.report({ messageId: "iamSid", data: { sid: JSON.stringify(statement.sid.value), fix: fix === "" ? "letters and digits only, or remove it" : JSON.stringify(fix) }, path: statement.sid.path, statement });
        }
      }
      // In an identity policy a principal is itself the error (checkPairs); its entries are not checked further.
      if (!identity) for (const element of [statement.principal, statement.notPrincipal]) if (element) checkPrincipal(context, statement, element);
      for (const action of [...(statement.action ?? []), ...(statement.notAction ?? [])]) {
        if (action.value !== "*" && !ACTION.test(action.value)) {
          context.report({ messageId: "action", data: { value: JSON.stringify(action.value) }, path: action.path, statement });
        }
      }
      for (const resource of [...(statement.resource ?? []), ...(statement.notResource ?? [])]) {
        checkResource(context, statement, resource, kind);
        if (oldVersion && POLICY_VARIABLE.test(resource.value)) {
          context.report({ messageId: "variableOldVersion", data: { value: JSON.stringify(resource.value), version }, path: resource.path, statement, severity: "warning" });
        }
      }
      checkConditions(context, statement, oldVersion, version);
    }
    if (kind === "bucket-policy") checkBucketNames(context);
  },
});

function statementAt(context: RuleContext, path: Path): Statement | undefined {
  if (path[0] !== "Statement") return undefined;
  const index = typeof path[1] === "number" ? path[1] : 0;
  return context.policy.statements.find((s) => s.index === index && (typeof path[1] === "number" || !context.policy.statementIsArray));
}

function checkPairs(context: RuleContext, statement: Statement, label: string, kind: PolicyKind): void {
  const has = (name: string) => statement.elements.includes(name);
  if (kind === "identity-policy") {
    // AWS rejects any principal in an identity policy: each one is reported where it is written.
    for (const element of ["Principal", "NotPrincipal"] as const) {
      if (has(element)) context.report({ messageId: "principalInIdentity", data: { statement: label, element }, path: [...statement.path, element], target: "key", statement });
    }
  } else if (has("Principal") && has("NotPrincipal")) {
    context.report({ messageId: "bothElements", data: { statement: label, a: "Principal", b: "NotPrincipal" }, path: [...statement.path, "NotPrincipal"], target: "key", statement });
  }
  for (const [a, b] of [["Action", "NotAction"], ["Resource", "NotResource"]] as const) {
    if (has(a) && has(b)) context.report({ messageId: "bothElements", data: { statement: label, a, b }, path: [...statement.path, b], target: "key", statement });
  }
  if (kind !== "identity-policy" && !has("Principal") && !has("NotPrincipal")) {
    context.report({ messageId: "missingPrincipal", data: { statement: label, kindName: KIND_NAMES[kind] }, path: statement.path, statement });
  }
  for (const [element, other, example] of [["Action", "NotAction", "the KMS actions it allows or denies"], ["Resource", "NotResource", "\"Resource\": \"*\" (in a key policy, \"*\" means this key)"]] as const) {
    if (has(element) || has(other)) continue;
    if (kind === "key-policy") context.report({ messageId: "missingElementKms", data: { statement: label, element, example }, path: statement.path, statement, severity: "warning" });
    else if (kind === "bucket-policy") context.report({ messageId: "missingElementS3", data: { statement: label, element }, path: statement.path, statement });
    else {
      const [things, iamExample] = element === "Action" ? ["actions", "the actions it allows or denies"] : ["resources", "the ARNs of the resources it applies to, or \"*\""];
      context.report({ messageId: "missingElementIam", data: { statement: label, element, things, example: iamExample }, path: statement.path, statement });
    }
  }
}

function checkPrincipal(context: RuleContext, statement: Statement, element: PrincipalElement): void {
  for (const entry of element.entries) {
    const value = JSON.stringify(entry.value);
    switch (entry.type) {
      case "*":
        if (entry.value !== "*") context.report({ messageId: "principalString", data: { value }, path: entry.path, statement });
        break;
      case "AWS": {
        const parsed = parseAwsPrincipal(entry.value);
        if (parsed.form === "invalid") context.report({ messageId: "awsPrincipal", data: { value, reason: parsed.reason }, path: entry.path, statement });
        else if (parsed.form === "unique-id") context.report({ messageId: "uniqueIdPrincipal", data: { value }, path: entry.path, statement, severity: "warning" });
        break;
      }
      case "Service":
        if (entry.value === "*" || entry.value.includes("*")) {
          context.report({ messageId: "servicePrincipal", data: { value, reason: ": wildcards are not allowed in a service principal" }, path: entry.path, statement });
        } else if (!/^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com|aws\.internal|[a-z0-9-]+\.(c2s\.ic\.gov|sc2s\.sgov\.gov))$/.test(entry.value)) {
          context.report({ messageId: "servicePrincipal", data: { value, reason: "" }, path: entry.path, statement });
        }
        break;
      case "CanonicalUser":
        if (!/^[0-9a-f]{64}$/.test(entry.value)) context.report({ messageId: "canonicalUser", data: { value }, path: entry.path, statement });
        break;
      default:
        break; // Federated: an identity provider name or ARN; checked by the access rules.
    }
  }
}

function checkResource(context: RuleContext, statement: Statement, resource: Located<string>, kind: PolicyKind): void {
  const kms = kind === "key-policy";
  const value = resource.value;
  if (value === "*") return;
  const arn = parseArn(value);
  if (!arn) {
    if (!kms || value.startsWith("arn:")) {
      context.report({ messageId: "resourceArn", data: { value: JSON.stringify(value), reason: "expected arn:partition:service:region:account:resource" }, path: resource.path, statement });
    }
    return;
  }
  if (!isKnownPartition(arn.partition) && !arn.partition.includes("*") && !arn.partition.includes("$")) {
    context.report({ messageId: "resourceArn", data: { value: JSON.stringify(value), reason: `unknown partition "${arn.partition}" (expected one of ${PARTITIONS.join(", ")})` }, path: resource.path, statement });
    return;
  }
  if (kind === "bucket-policy" && arn.service !== "s3" && arn.service !== "s3express" && !arn.service.includes("*")) {
    context.report({ messageId: "bucketResource", data: { value: JSON.stringify(value) }, path: resource.path, statement });
    return;
  }
  if (arn.account !== "" && !/^\d{12}$/.test(arn.account) && !/[*?$]/.test(arn.account)) {
    context.report({ messageId: "resourceArn", data: { value: JSON.stringify(value), reason: `account field "${arn.account}" is not a 12-digit account id` }, path: resource.path, statement });
  }
}

function checkBucketNames(context: RuleContext): void {
  const names = new Map<string, Located<string>>();
  for (const statement of context.policy.statements) {
    for (const resource of statement.resource ?? []) {
      const match = /^arn:[^:]+:s3:::([^/*?$]+)(\/|$)/.exec(resource.value);
      if (match && !names.has(match[1]!)) names.set(match[1]!, resource);
    }
  }
  if (names.size > 1) {
    const [, second] = [...names.values()];
    context.report({
      messageId: "bucketNames",
      data: { count: names.size, names: [...names.keys()].map((n) => `"${n}"`).join(", ") },
      path: second!.path,
    });
  }
}

function checkConditions(context: RuleContext, statement: Statement, oldVersion: boolean, version: string): void {
  for (const condition of statement.conditions) {
    const { operator } = condition;
    if (!(CONDITION_OPERATORS as readonly string[]).includes(operator.base)) {
      const guess = suggest(operator.base, CONDITION_OPERATORS);
      const hint = guess ? ` (did you mean "${operator.raw.replace(operator.base, guess)}"? operator names are case-sensitive)` : "";
      context.report({ messageId: "operator", data: { operator: operator.raw, hint }, path: condition.operatorPath, target: "key", statement });
      continue;
    }
    if (operator.base === "Null" && operator.ifExists) {
      context.report({ messageId: "nullIfExists", data: { operator: operator.raw }, path: condition.operatorPath, target: "key", statement });
    }
    // A set operator on a single-valued key (IAM Access Analyzer: FORALLVALUES_WITH_SINGLE_VALUED_KEY). The
    // organization keys are left to org-condition, which says what it does to the organization bound.
    const keyInfo = operator.set ? findConditionKey(condition.key) : undefined;
    if (keyInfo && !keyInfo.type.startsWith("ArrayOf") && !/^aws:(principal|source)org/i.test(condition.key)) {
      context.report({
        messageId: "setOnSingleValued",
        data: { operator: operator.raw, key: condition.key, plain: operator.raw.replace(/^For(All|Any)Values?:/, "") },
        path: condition.operatorPath,
        target: "key",
        statement,
        severity: "warning",
      });
    }
    const lowerKey = condition.key.toLowerCase();
    // The analysis's table of identity keys says which values are account ids and which ARNs.
    const role = conditionKeyRole(lowerKey);
    const accountKey = (role === "account" || role === "source-account" || lowerKey === "aws:resourceaccount") && /^String/.test(operator.base);
    const arnKey = role === "arn" || role === "source-arn";
    const validValues = condition.values.filter((v) => /^\d{12}$/.test(v.value)).length;
    for (const value of condition.values) {
      const shown = JSON.stringify(value.value);
      if (accountKey && !/[*?]|\$\{/.test(value.value) && !/^\d{12}$/.test(value.value)) {
        const effect = /Not/.test(operator.base) ? ": the condition is true for every request" : validValues > 0 ? " (the other values still apply)" : " and the statement never applies";
        context.report({ messageId: "accountValue", data: { key: condition.key, value: shown, effect }, path: value.path, statement });
      }
      if (arnKey && /^(Arn|String)/.test(operator.base) && !/Not/.test(operator.base)) {
        // A full ARN whose account field is a literal but not 12 digits matches no request.
        const account = value.value.split(":")[4];
        if (value.value.split(":").length >= 6 && account !== undefined && account !== "" && !/[*?$]/.test(account) && !/^\d{12}$/.test(account)) {
          context.report({ messageId: "arnAccount", data: { key: condition.key, value: shown, account: JSON.stringify(account) }, path: value.path, statement });
        }
      }
      if ((operator.base === "Bool" || operator.base === "Null") && !/^(true|false)$/i.test(value.value)) {
        context.report({ messageId: "boolValue", data: { operator: operator.base, value: shown }, path: value.path, statement });
      } else if (operator.base.startsWith("Numeric") && !/^-?\d+(\.\d+)?$/.test(value.value) && !POLICY_VARIABLE.test(value.value)) {
        context.report({ messageId: "numericValue", data: { operator: operator.base, value: shown }, path: value.path, statement, severity: "warning" });
      } else if (operator.base.startsWith("Date") && !isDate(value.value) && !POLICY_VARIABLE.test(value.value)) {
        context.report({ messageId: "dateValue", data: { operator: operator.base, value: shown }, path: value.path, statement, severity: "warning" });
      } else if (operator.base.endsWith("IpAddress") && !isIpOrCidr(value.value) && !POLICY_VARIABLE.test(value.value)) {
        context.report({ messageId: "ipValue", data: { operator: operator.base, value: shown }, path: value.path, statement });
      } else if (operator.base.startsWith("Arn") && value.value !== "*" && !POLICY_VARIABLE.test(value.value) && value.value.split(":").length < 6) {
        const fields = value.value.startsWith("arn:") ? `${value.value.split(":").length} fields` : "no arn: prefix";
        const effect = /Not/.test(operator.base) ? ": the condition is true for every request" : " and the statement never applies";
        context.report({ messageId: "arnValue", data: { operator: operator.base, value: shown, fields, effect }, path: value.path, statement, severity: "warning" });
      }
      if (oldVersion && POLICY_VARIABLE.test(value.value)) {
        context.report({ messageId: "variableOldVersion", data: { value: shown, version }, path: value.path, statement, severity: "warning" });
      }
    }
  }
}

function isDate(value: string): boolean {
  if (/^\d+$/.test(value)) return true;
  return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value));
}

function isIpOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split("/");
  if (extra !== undefined || address === undefined) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    if (!address.split(".").every((o) => Number(o) <= 255)) return false;
    return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
  }
  if (/^[0-9a-f:]+$/i.test(address) && address.includes(":")) {
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= 128);
  }
  return false;
}

function checkCharacterSet(context: RuleContext): void {
  const rejection = CHARACTER_SET_REJECTION[context.kind];
  if (!rejection) return; // S3 does not document a character set for bucket policies
  const kindName = context.kind === "identity-policy" ? "IAM policy" : KIND_NAMES[context.kind];
  const found = context.document.charactersMatching(OUTSIDE_POLICY_CHARACTER_SET);
  found.slice(0, MAX_CHARACTER_FINDINGS).forEach((c, i) => {
    const remaining = found.length - MAX_CHARACTER_FINDINGS;
    const more = i === MAX_CHARACTER_FINDINGS - 1 && remaining > 0 ? ` (${remaining} more such characters are not listed)` : "";
    context.report({
      messageId: "characterSet",
      data: { character: JSON.stringify(c.character), code: c.codePoint.toString(16).toUpperCase().padStart(4, "0"), kindName, rejection, more },
      range: c.range,
    });
  });
}


/**
 * The key usages KMS accepts for each key spec, from the CreateKey KeyUsage documentation in the KMS API
 * model: symmetric encryption keys ENCRYPT_DECRYPT; HMAC keys GENERATE_VERIFY_MAC; RSA ENCRYPT_DECRYPT or
 * SIGN_VERIFY; NIST elliptic curves SIGN_VERIFY or KEY_AGREEMENT (Ed25519 signing only); ECC_SECG_P256K1 and
 * ML-DSA SIGN_VERIFY; SM2 ENCRYPT_DECRYPT, SIGN_VERIFY or KEY_AGREEMENT.
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#KMS-CreateKey-request-KeyUsage
 * Key specs and usages not in this table are left alone (a newer spec must not become an error).
 */
const KEY_USAGES_BY_SPEC: readonly { spec: RegExp; usages: readonly string[]; kind: string }[] = [
  { spec: /^SYMMETRIC_DEFAULT$/, usages: ["ENCRYPT_DECRYPT"], kind: "symmetric encryption" },
  { spec: /^HMAC_(224|256|384|512)$/, usages: ["GENERATE_VERIFY_MAC"], kind: "HMAC" },
  { spec: /^RSA_(2048|3072|4096)$/, usages: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], kind: "RSA" },
  { spec: /^ECC_NIST_P(256|384|521)$/, usages: ["SIGN_VERIFY", "KEY_AGREEMENT"], kind: "NIST elliptic curve" },
  { spec: /^ECC_NIST_EDWARDS25519$/, usages: ["SIGN_VERIFY"], kind: "Ed25519" },
  { spec: /^ECC_SECG_P256K1$/, usages: ["SIGN_VERIFY"], kind: "secp256k1" },
  { spec: /^ML_DSA_(44|65|87)$/, usages: ["SIGN_VERIFY"], kind: "ML-DSA" },
  { spec: /^SM2$/, usages: ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"], kind: "SM2" },
];
const KEY_USAGES = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"];

/** CreateKey: for AWS_CLOUDHSM and EXTERNAL_KEY_STORE origins "The KeySpec value must be SYMMETRIC_DEFAULT" (KMS API model). */
const KEY_STORE_ORIGINS = ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

/** Settings of keys in a template or plan that make the deployment fail. A live key exists, so its settings were accepted. */
function checkKeySettings(context: InventoryContext): void {
  const { inventory } = context;
  if (inventory.format === "live") return;
  const names = keyProperties(inventory.format);
  const deploy = inventory.format === "terraform-plan" ? "terraform apply fails" : "the CloudFormation stack fails to deploy";
  for (const key of inventory.keys) {
    // Replicas take their settings (rotation included) from the primary key; AWS managed keys are not deployed.
    if (key.keyManager !== "CUSTOMER" || key.replicaOf !== undefined) continue;
    const period = key.rotationPeriodDays;
    if (period?.known && (!Number.isInteger(period.value) || period.value < MIN_ROTATION_PERIOD_DAYS || period.value > MAX_ROTATION_PERIOD_DAYS)) {
      context.report({ messageId: "rotationPeriod", data: { property: names.period, value: period.value, deploy }, resource: key.resource, range: period.range, severity: "error" });
    }
    if (key.rotationEnabled?.known && key.rotationEnabled.value === true) {
      const support = rotationSupport(key, inventory.format);
      if (support.supported === false) {
        const external = key.origin?.known && key.origin.value === "EXTERNAL";
        context.report({
          messageId: "rotationUnsupported",
          data: {
            property: names.rotation,
            why: support.why,
            deploy,
            onDemand: external ? " Keys with imported key material are rotated on demand instead: import new key material, then call RotateKeyOnDemand." : "",
          },
          resource: key.resource,
          range: key.rotationEnabled.range,
          severity: "error",
        });
      }
    }
    checkKeyUsage(context, key, names, deploy);
  }
}

function checkKeyUsage(context: InventoryContext, key: InventoryKey, names: ReturnType<typeof keyProperties>, deploy: string): void {
  const spec = key.keySpec ? (key.keySpec.known ? key.keySpec.value : undefined) : "SYMMETRIC_DEFAULT";
  const usage = key.keyUsage ? (key.keyUsage.known ? key.keyUsage.value : undefined) : "ENCRYPT_DECRYPT";
  if (spec === undefined) return;
  const origin = key.origin?.known ? key.origin.value : undefined;
  if (origin !== undefined && KEY_STORE_ORIGINS.includes(origin) && spec !== "SYMMETRIC_DEFAULT" && key.keySpec) {
    context.report({
      messageId: "keyStoreSpec",
      data: { originProperty: names.origin, origin, specProperty: names.keySpec, spec, deploy },
      resource: key.resource,
      range: key.keySpec.range,
      severity: "error",
    });
  }
  if (usage === undefined || !KEY_USAGES.includes(usage)) return;
  const entry = KEY_USAGES_BY_SPEC.find((e) => e.spec.test(spec));
  if (!entry || entry.usages.includes(usage)) return;
  const range = key.keyUsage?.range ?? key.keySpec?.range;
  if (!range) return;
  const usageWords = key.keyUsage ? `${names.keyUsage} ${usage}` : `${names.keyUsage} ${usage} (the default, as ${names.keyUsage} is not set)`;
  const allowed = entry.usages.length === 1 ? entry.usages[0]! : `${entry.usages.slice(0, -1).join(", ")} or ${entry.usages[entry.usages.length - 1]}`;
  context.report({
    messageId: "keyUsage",
    data: { usageProperty: names.keyUsage, usage: usageWords, specProperty: names.keySpec, spec, allowed, specKind: entry.kind, deploy, fix: entry.usages.length === 1 ? allowed : `one of ${allowed}` },
    resource: key.resource,
    range,
    severity: "error",
  });
}
