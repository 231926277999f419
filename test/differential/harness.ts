/**
 * The world, the generators and the simulator calls of the differential test (test/differential.test.ts).
 *
 * @cloud-copilot/iam-simulate is AGPL: it is a devDependency used only here and in other tests, never by src/ or
 * rules/. How it is called, and the divergences worked around below, are ../shared/DEPENDENCIES.md §4.
 */
import fc from "fast-check";
import {
  anonymousPrincipal,
  getGrantReasons,
  runSimulation,
  runUnsafeSimulation,
  type EvaluationResult,
  type RequestGrant,
  type Simulation,
  type SimulationIdentityPolicy,
} from "@cloud-copilot/iam-simulate";
import type { TrustContext } from "../../src/engine/rule.js";
// The simulator cases are key and bucket policies (resource policies, with principals).
import type { ResourcePolicyKind as PolicyKind } from "../../src/model/policy.js";

// ─── the world ──────────────────────────────────────────────────────────────────────────────────────────

export const OWNER = "111111111111";
export const TRUSTED = "222222222222";
/** Another organization's account. */
export const FOREIGN = "333333333333";
/** An account in no organization. */
export const NO_ORG = "444444444444";
/** Another account of the owner's organization that is not trusted: the "another account in the organization" tier. */
export const MEMBER = "555555555555";
export const OWN_ORG = "o-aaaaaaaaaa";
export const FOREIGN_ORG = "o-bbbbbbbbbb";
/** Accounts that policies name. */
export const NAMED_ACCOUNTS = [OWNER, TRUSTED, FOREIGN, NO_ORG, MEMBER] as const;
/**
 * Accounts no policy ever names, one per organization situation. A statement that lets one of them in lets in an
 * account it cannot have meant: the whole organization (own), a foreign organization, or anyone (no organization).
 */
export const STRANGER_OWN_ORG = "666666666666";
export const STRANGER_FOREIGN_ORG = "777777777777";
export const STRANGER_NO_ORG = "888888888888";

export const KEY_ARN = `arn:aws:kms:us-east-1:${OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const BUCKET_ARN = "arn:aws:s3:::example-bucket";
export const OBJECT_ARN = `${BUCKET_ARN}/data/report.csv`;

export const TRUST: TrustContext = { account: OWNER, org: OWN_ORG, trustedAccounts: [TRUSTED] };
export const INSIDE: ReadonlySet<string> = new Set([OWNER, TRUSTED]);

const SERVICES: Record<PolicyKind, readonly string[]> = {
  "key-policy": ["logs.amazonaws.com", "cloudtrail.amazonaws.com"],
  "bucket-policy": ["logging.s3.amazonaws.com", "cloudtrail.amazonaws.com"],
};

// ─── policies ───────────────────────────────────────────────────────────────────────────────────────────

export type ConditionBlock = Record<string, Record<string, string | string[]>>;
export type PrincipalValue = "*" | { AWS?: string | string[]; Service?: string | string[] };

export interface StatementJson {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: PrincipalValue;
  NotPrincipal?: PrincipalValue;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyJson {
  Version: "2012-10-17";
  Statement: StatementJson[];
}

export const ROOT_STATEMENT: StatementJson = {
  Sid: "Enable IAM User Permissions",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${OWNER}:root` },
  Action: "kms:*",
  Resource: "*",
};

const one = <T>(values: T[]): T | T[] => (values.length === 1 ? values[0]! : values);

interface Atom {
  operator: string;
  key: string;
  values: string[];
}

/** Condition keys are case-insensitive in AWS; a policy may spell them in any case. */
const keyCase = (key: string): fc.Arbitrary<string> => fc.oneof({ weight: 5, arbitrary: fc.constant(key) }, { weight: 1, arbitrary: fc.constant(key.toLowerCase()) });

const STRING_OPERATORS = [
  "StringEquals",
  "StringLike",
  "StringEqualsIfExists",
  "ForAllValues:StringEquals",
  "ForAnyValue:StringEquals",
  "ForAnyValue:StringLike",
  "StringNotEquals",
  "StringNotEqualsIfExists",
  "StringEqualsIgnoreCase",
  "Null",
] as const;
const ARN_OPERATORS = ["ArnLike", "ArnEquals", "StringEquals", "StringLike", "ArnLikeIfExists", "ArnNotLike", "Null"] as const;
const BOOL_OPERATORS = ["Bool", "BoolIfExists", "Null"] as const;

const ACCOUNT_VALUE = fc.constantFrom<string>(...NAMED_ACCOUNTS, "*", "3333*", "55555555555?");
const ORG_VALUE = fc.constantFrom(OWN_ORG, FOREIGN_ORG, "o-*", "o-aaaa*", "O-AAAAAAAAAA", "${aws:ResourceOrgID}");
const PRINCIPAL_ARN_VALUE = fc.oneof(
  fc.constantFrom(...NAMED_ACCOUNTS).map((a) => `arn:aws:iam::${a}:role/App`),
  fc.constantFrom(...NAMED_ACCOUNTS).map((a) => `arn:aws:iam::${a}:*`),
  fc.constantFrom(...NAMED_ACCOUNTS).map((a) => `arn:aws:iam::${a}:root`),
  fc.constantFrom("arn:aws:iam::*:role/App", "*"),
);
const SOURCE_ARN_VALUE = fc.oneof(
  fc.constantFrom(...NAMED_ACCOUNTS).map((a) => `arn:aws:cloudtrail:*:${a}:trail/*`),
  fc.constant("arn:aws:cloudtrail:*:*:trail/*"),
);

function atom(key: string, operators: readonly string[], value: fc.Arbitrary<string>): fc.Arbitrary<Atom> {
  return fc
    .record({ operator: fc.constantFrom(...operators), key: keyCase(key), values: fc.uniqueArray(value, { minLength: 1, maxLength: 2 }), isNull: fc.boolean() })
    .map(({ operator, key, values, isNull }) => ({ operator, key, values: operator === "Null" ? [String(isNull)] : values }));
}

function atomArbitrary(kind: PolicyKind): fc.Arbitrary<Atom> {
  const atoms: fc.Arbitrary<Atom>[] = [
    atom("aws:PrincipalOrgID", STRING_OPERATORS, ORG_VALUE),
    atom("aws:PrincipalAccount", STRING_OPERATORS, ACCOUNT_VALUE),
    atom("kms:CallerAccount", STRING_OPERATORS, ACCOUNT_VALUE),
    atom("aws:PrincipalArn", ARN_OPERATORS, PRINCIPAL_ARN_VALUE),
    atom("aws:SourceAccount", STRING_OPERATORS, ACCOUNT_VALUE),
    atom("aws:SourceArn", ARN_OPERATORS, SOURCE_ARN_VALUE),
    atom("aws:SecureTransport", BOOL_OPERATORS, fc.constantFrom("true", "false")),
    atom("aws:PrincipalIsAWSService", BOOL_OPERATORS, fc.constantFrom("true", "false")),
  ];
  if (kind === "key-policy") {
    atoms.push(atom("kms:ViaService", ["StringEquals", "StringLike", "StringEqualsIfExists", "StringNotEquals", "Null"], fc.constantFrom("s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com", "*.amazonaws.com")));
  }
  return fc.oneof(...atoms);
}

function conditionBlock(atoms: Atom[]): ConditionBlock | undefined {
  if (atoms.length === 0) return undefined;
  const block: ConditionBlock = {};
  for (const a of atoms) (block[a.operator] ??= {})[a.key] = one(a.values);
  return block;
}

function conditionArbitrary(kind: PolicyKind, maxLength: number): fc.Arbitrary<ConditionBlock | undefined> {
  return fc
    .uniqueArray(atomArbitrary(kind), { maxLength, selector: (a) => `${a.operator}|${a.key.toLowerCase()}` })
    .map(conditionBlock);
}

const AWS_PRINCIPAL_VALUE = fc.oneof(
  { weight: 1, arbitrary: fc.constant("*") },
  { weight: 2, arbitrary: fc.constantFrom(...NAMED_ACCOUNTS) },
  { weight: 2, arbitrary: fc.constantFrom(...NAMED_ACCOUNTS).map((a) => `arn:aws:iam::${a}:root`) },
  { weight: 2, arbitrary: fc.constantFrom(...NAMED_ACCOUNTS).map((a) => `arn:aws:iam::${a}:role/App`) },
);

function principalArbitrary(kind: PolicyKind): fc.Arbitrary<PrincipalValue> {
  const service = fc.constantFrom(...SERVICES[kind]);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant("*" as const) },
    { weight: 2, arbitrary: fc.constant({ AWS: "*" }) },
    { weight: 6, arbitrary: fc.uniqueArray(AWS_PRINCIPAL_VALUE, { minLength: 1, maxLength: 3 }).map((values) => ({ AWS: one(values) })) },
    { weight: 2, arbitrary: service.map((s) => ({ Service: s })) },
    { weight: 1, arbitrary: fc.record({ AWS: AWS_PRINCIPAL_VALUE, Service: service }) },
  );
}

const KEY_ACTIONS = ["kms:Decrypt", "kms:*", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:Encrypt", "kms:Describe*"];
const BUCKET_ACTIONS = ["s3:GetObject", "s3:*", "s3:ListBucket", "s3:PutObject", "s3:Get*"];
const KEY_NOT_ACTIONS = [["kms:PutKeyPolicy"], ["kms:Decrypt"], ["kms:Create*", "kms:Put*"]];
const BUCKET_NOT_ACTIONS = [["s3:DeleteBucket"], ["s3:PutObject"], ["s3:Get*"]];

function actionElement(kind: PolicyKind): fc.Arbitrary<Pick<StatementJson, "Action" | "NotAction">> {
  const actions = kind === "key-policy" ? KEY_ACTIONS : BUCKET_ACTIONS;
  const notActions = kind === "key-policy" ? KEY_NOT_ACTIONS : BUCKET_NOT_ACTIONS;
  return fc.oneof(
    { weight: 6, arbitrary: fc.uniqueArray(fc.constantFrom(...actions), { minLength: 1, maxLength: 3 }).map((a) => ({ Action: one(a) })) },
    { weight: 1, arbitrary: fc.constantFrom(...notActions).map((a) => ({ NotAction: one(a) })) },
  );
}

function resourceElement(kind: PolicyKind): fc.Arbitrary<string | string[]> {
  if (kind === "key-policy") return fc.constant("*");
  return fc.constantFrom<string | string[]>(`${BUCKET_ARN}/*`, BUCKET_ARN, [BUCKET_ARN, `${BUCKET_ARN}/*`]);
}

function allowArbitrary(kind: PolicyKind): fc.Arbitrary<StatementJson> {
  return fc
    .record({
      notPrincipal: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      principal: principalArbitrary(kind),
      actions: actionElement(kind),
      resource: resourceElement(kind),
      condition: conditionArbitrary(kind, 3),
    })
    .map(({ notPrincipal, principal, actions, resource, condition }) => ({
      Effect: "Allow" as const,
      ...(notPrincipal ? { NotPrincipal: principal === "*" ? { AWS: `arn:aws:iam::${OWNER}:root` } : principal } : { Principal: principal }),
      ...actions,
      Resource: resource,
      ...(condition ? { Condition: condition } : {}),
    }));
}

const ALL_ACTIONS: Record<PolicyKind, string> = { "key-policy": "kms:*", "bucket-policy": "s3:*" };
const WHOLE_RESOURCE: Record<PolicyKind, string | string[]> = { "key-policy": "*", "bucket-policy": [BUCKET_ARN, `${BUCKET_ARN}/*`] };

/** Deny actions: mostly everything, sometimes one action (a guardrail that covers only part of an Allow). */
function denyActions(kind: PolicyKind): fc.Arbitrary<Pick<StatementJson, "Action" | "NotAction">> {
  const partial = kind === "key-policy" ? ["kms:Decrypt", "kms:PutKeyPolicy"] : ["s3:GetObject", "s3:PutObject"];
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant({ Action: ALL_ACTIONS[kind] }) },
    { weight: 1, arbitrary: fc.constantFrom(...partial).map((a) => ({ Action: a })) },
    { weight: 1, arbitrary: fc.constantFrom(...partial).map((a) => ({ NotAction: a })) },
  );
}

function denyResource(kind: PolicyKind): fc.Arbitrary<string | string[]> {
  if (kind === "key-policy") return fc.constant("*");
  return fc.oneof({ weight: 5, arbitrary: fc.constant(WHOLE_RESOURCE[kind]) }, { weight: 1, arbitrary: fc.constantFrom(BUCKET_ARN, `${BUCKET_ARN}/*`) });
}

/** The AWS-service exemption of the data-perimeter pattern, or a weaker one, or none. */
const SERVICE_EXEMPTION = fc.constantFrom<ConditionBlock>(
  { BoolIfExists: { "aws:PrincipalIsAWSService": "false" } },
  { Bool: { "aws:PrincipalIsAWSService": "false" } },
  {},
);

function mergeBlocks(...blocks: ConditionBlock[]): ConditionBlock {
  const merged: ConditionBlock = {};
  for (const block of blocks) for (const [operator, keys] of Object.entries(block)) merged[operator] = { ...merged[operator], ...keys };
  return merged;
}

function denyArbitrary(kind: PolicyKind): fc.Arbitrary<StatementJson> {
  // The data-perimeter pattern (aws-samples/data-perimeter-policy-examples, resource_based_policies) and partial ones.
  const orgPart = fc
    .record({
      operator: fc.constantFrom("StringNotEqualsIfExists", "StringNotEquals", "StringNotLike"),
      org: fc.uniqueArray(fc.constantFrom(OWN_ORG, FOREIGN_ORG, "${aws:ResourceOrgID}", "o-aaaa*"), { minLength: 1, maxLength: 2 }),
    })
    .map(({ operator, org }): ConditionBlock => ({ [operator]: { "aws:PrincipalOrgID": one(org) } }));
  // Keep-to-these-accounts parts.
  const accountPart = fc
    .record({
      key: fc.constantFrom("aws:PrincipalAccount", "kms:CallerAccount", "aws:PrincipalArn"),
      operator: fc.constantFrom("StringNotEquals", "StringNotEqualsIfExists"),
      accounts: fc.uniqueArray(fc.constantFrom(OWNER, TRUSTED, MEMBER, FOREIGN, "${aws:ResourceAccount}"), { minLength: 1, maxLength: 2 }),
    })
    .map(({ key, operator, accounts }): ConditionBlock =>
      key === "aws:PrincipalArn" ? { ArnNotLike: { [key]: one(accounts.map((a) => `arn:aws:iam::${a}:*`)) } } : { [operator]: { [key]: one(accounts) } },
    );
  // Parts that do not keep callers to a set: TLS only, callers without an organization.
  const otherPart = fc.constantFrom<ConditionBlock>({ Bool: { "aws:SecureTransport": "false" } }, { Null: { "aws:PrincipalOrgID": "true" } });
  const none = fc.constant<ConditionBlock>({});
  // Several parts are ANDed: the Deny spares a caller that passes any one of them (its org, or its account, or …).
  const condition = fc
    .record({
      org: fc.oneof({ weight: 3, arbitrary: orgPart }, { weight: 2, arbitrary: none }),
      account: fc.oneof({ weight: 1, arbitrary: accountPart }, { weight: 2, arbitrary: none }),
      other: fc.oneof({ weight: 1, arbitrary: otherPart }, { weight: 5, arbitrary: none }),
      exemption: SERVICE_EXEMPTION,
    })
    .map(({ org, account, other, exemption }) => mergeBlocks(org, account, other, exemption))
    .filter((block) => Object.keys(block).length > 0);
  const guard = fc
    .record({ condition, actions: denyActions(kind), resource: denyResource(kind) })
    .map(({ condition, actions, resource }): StatementJson => ({ Effect: "Deny", Principal: "*", ...actions, Resource: resource, Condition: condition }));
  const named = fc
    .record({ account: fc.constantFrom(...NAMED_ACCOUNTS), actions: denyActions(kind) })
    .map(({ account, actions }): StatementJson => ({ Effect: "Deny", Principal: { AWS: `arn:aws:iam::${account}:root` }, ...actions, Resource: WHOLE_RESOURCE[kind] }));
  // Deny everyone but these accounts, with NotPrincipal (divergence 3 of the simulator).
  const notPrincipal = fc
    .uniqueArray(fc.constantFrom(OWNER, TRUSTED, FOREIGN), { minLength: 1, maxLength: 2 })
    .map((accounts): StatementJson => ({ Effect: "Deny", NotPrincipal: { AWS: one(accounts.map((a) => `arn:aws:iam::${a}:root`)) }, Action: ALL_ACTIONS[kind], Resource: WHOLE_RESOURCE[kind] }));
  return fc.oneof({ weight: 8, arbitrary: guard }, { weight: 1, arbitrary: named }, { weight: 1, arbitrary: notPrincipal });
}

export interface GeneratedPolicy {
  kind: PolicyKind;
  policy: PolicyJson;
}

export function policyArbitrary(kind: PolicyKind): fc.Arbitrary<GeneratedPolicy> {
  return fc
    .record({
      root: kind === "key-policy" ? fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.constant(false),
      allows: fc.array(allowArbitrary(kind), { minLength: 1, maxLength: 3 }),
      denies: fc.array(denyArbitrary(kind), { maxLength: 2 }),
      order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
      sids: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    })
    .map(({ root, allows, denies, order, sids }) => {
      const statements = [...(root ? [ROOT_STATEMENT] : []), ...allows, ...denies];
      // Statement order must not matter (DESIGN.md): shuffle deterministically from the generated numbers.
      const shuffled = statements.map((s, i) => ({ s, k: order[i] ?? i })).sort((a, b) => a.k - b.k).map((x) => x.s);
      const Statement = shuffled.map((s, i) => (s === ROOT_STATEMENT || !sids[i] ? s : { Sid: `S${i}`, ...s }));
      return { kind, policy: { Version: "2012-10-17" as const, Statement } };
    });
}

// ─── requests ───────────────────────────────────────────────────────────────────────────────────────────

/** What one request is and where it comes from, beyond the raw simulation. */
export type Requester =
  | { type: "role"; account: string; org: string | undefined; name: string; arn: string }
  | { type: "anonymous"; principalAccountKey: boolean }
  | { type: "service"; service: string; sourceAccount: string | undefined };

export interface Scenario {
  /** Action and the resource ARN it acts on. */
  action: string;
  resource: string;
  secureTransport: boolean;
  /** kms:ViaService of role requests (KMS only): an integrated service calling on the principal's behalf. */
  viaService: string | undefined;
  roleName: "App" | "Other";
  /** Call with the assumed-role session ARN rather than the role ARN. */
  session: boolean;
  service: string;
  serviceSource: string | undefined;
  /** Anonymous requests: whether the context carries aws:PrincipalAccount "anonymous" (AWS-FACTS.md §5.2, UNVERIFIED either way). */
  anonymousPrincipalAccount: boolean;
}

export function scenarioArbitrary(kind: PolicyKind): fc.Arbitrary<Scenario> {
  const actionResource =
    kind === "key-policy"
      ? fc.constantFrom("kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:DescribeKey").map((action) => ({ action, resource: KEY_ARN }))
      : fc.constantFrom({ action: "s3:GetObject", resource: OBJECT_ARN }, { action: "s3:PutObject", resource: OBJECT_ARN }, { action: "s3:ListBucket", resource: BUCKET_ARN });
  return fc
    .record({
      actionResource,
      secureTransport: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      viaService: kind === "key-policy" ? fc.option(fc.constantFrom("s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"), { nil: undefined }) : fc.constant(undefined),
      roleName: fc.constantFrom("App" as const, "Other" as const),
      session: fc.boolean(),
      service: fc.constantFrom(...SERVICES[kind]),
      serviceSource: fc.option(fc.constantFrom(OWNER, TRUSTED, FOREIGN, MEMBER, STRANGER_NO_ORG), { nil: undefined }),
      anonymousPrincipalAccount: fc.boolean(),
    })
    .map(({ actionResource, ...rest }) => ({ ...actionResource, ...rest }));
}

/** The organization of each account, as AWS Organizations would put it in aws:PrincipalOrgID. */
export const ORG_OF: Readonly<Record<string, string | undefined>> = {
  [OWNER]: OWN_ORG,
  [TRUSTED]: OWN_ORG,
  [MEMBER]: OWN_ORG,
  [STRANGER_OWN_ORG]: OWN_ORG,
  [FOREIGN]: FOREIGN_ORG,
  [STRANGER_FOREIGN_ORG]: FOREIGN_ORG,
  [NO_ORG]: undefined,
  [STRANGER_NO_ORG]: undefined,
};

export const ROLE_ACCOUNTS = [OWNER, TRUSTED, MEMBER, FOREIGN, NO_ORG, STRANGER_OWN_ORG, STRANGER_FOREIGN_ORG, STRANGER_NO_ORG] as const;

export function requestersFor(kind: PolicyKind, scenario: Scenario): Requester[] {
  const requesters: Requester[] = ROLE_ACCOUNTS.map((account) => ({
    type: "role",
    account,
    org: ORG_OF[account],
    name: scenario.roleName,
    arn: scenario.session ? `arn:aws:sts::${account}:assumed-role/${scenario.roleName}/session` : `arn:aws:iam::${account}:role/${scenario.roleName}`,
  }));
  // KMS does not accept unsigned requests; S3 does.
  if (kind === "bucket-policy") requesters.push({ type: "anonymous", principalAccountKey: scenario.anonymousPrincipalAccount });
  requesters.push({ type: "service", service: scenario.service, sourceAccount: scenario.serviceSource });
  return requesters;
}

/** Whether a request comes from inside owner ∪ trusted (a service acting for one of them counts as inside). */
export function isInside(requester: Requester): boolean {
  if (requester.type === "role") return INSIDE.has(requester.account);
  if (requester.type === "service") return requester.sourceAccount !== undefined && INSIDE.has(requester.sourceAccount);
  return false;
}

export function describeRequester(requester: Requester): string {
  switch (requester.type) {
    case "role":
      return `${requester.arn} (org ${requester.org ?? "none"})`;
    case "anonymous":
      return `anonymous${requester.principalAccountKey ? " (aws:PrincipalAccount=anonymous)" : ""}`;
    case "service":
      return `service ${requester.service}${requester.sourceAccount ? ` for aws:SourceAccount ${requester.sourceAccount}` : " without aws:SourceAccount"}`;
  }
}

const ALLOW_EVERYTHING: SimulationIdentityPolicy[] = [{ name: "AllowEverything", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }];

/**
 * The request context. The simulator does not fill in the keys AWS always supplies (divergence 1), so they are
 * set here from the AWS documentation of each key (AWS-FACTS.md §5.2):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
export function contextFor(kind: PolicyKind, scenario: Scenario, requester: Requester): Record<string, string> {
  const context: Record<string, string> = {
    "aws:SecureTransport": String(scenario.secureTransport),
    "aws:ResourceAccount": OWNER,
    "aws:ResourceOrgID": OWN_ORG,
  };
  switch (requester.type) {
    case "role": {
      context["aws:PrincipalAccount"] = requester.account;
      // For a role session the key holds the role's ARN, not the session's.
      context["aws:PrincipalArn"] = `arn:aws:iam::${requester.account}:role/${requester.name}`;
      context["aws:PrincipalIsAWSService"] = "false";
      context["aws:PrincipalType"] = "AssumedRole";
      // Present only for members of an organization.
      if (requester.org) context["aws:PrincipalOrgID"] = requester.org;
      if (kind === "key-policy") {
        context["kms:CallerAccount"] = requester.account;
        if (scenario.viaService) context["kms:ViaService"] = scenario.viaService;
      }
      break;
    }
    case "anonymous":
      // Anonymous requests carry no principal keys; whether aws:PrincipalAccount is "anonymous" or absent is generated.
      if (requester.principalAccountKey) context["aws:PrincipalAccount"] = "anonymous";
      break;
    case "service": {
      // A service principal acting directly: aws:PrincipalIsAWSService true, and the source keys when it acts for a resource.
      context["aws:PrincipalIsAWSService"] = "true";
      context["aws:PrincipalServiceName"] = requester.service;
      if (requester.sourceAccount) {
        context["aws:SourceAccount"] = requester.sourceAccount;
        context["aws:SourceArn"] = `arn:aws:cloudtrail:us-east-1:${requester.sourceAccount}:trail/management`;
        const org = ORG_OF[requester.sourceAccount];
        if (org) context["aws:SourceOrgID"] = org;
      }
      break;
    }
  }
  return context;
}

export function simulationFor(generated: GeneratedPolicy, scenario: Scenario, requester: Requester): Simulation {
  const principal = requester.type === "role" ? requester.arn : requester.type === "anonymous" ? anonymousPrincipal : requester.service;
  return {
    request: { principal, action: scenario.action, resource: { resource: scenario.resource, accountId: OWNER }, contextVariables: contextFor(generated.kind, scenario, requester) },
    // A cross-account request needs the identity side too: allow everything there so that only the resource policy decides.
    identityPolicies: requester.type === "role" ? ALLOW_EVERYTHING : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: generated.policy,
    // No S3 Block Public Access (additionalSettings unset): kmslint judges the policy, not the bucket's settings.
  };
}

/**
 * runUnsafeSimulation (no validation; about 3x faster than runSimulation on a 2-core machine) crashes on a plain resource policy document
 * (divergence 4: it reads `metadata().name` of a policy loaded without metadata). The workaround in
 * DEPENDENCIES.md §4 passes a validated-policy wrapper; this is the shape iam-policy's createValidatedPolicy
 * returns, built here so that the test does not import iam-policy (a transitive dependency).
 */
export function fastResult(simulation: Simulation): EvaluationResult {
  const resourcePolicy = { __validated: true, policyDocument: simulation.resourcePolicy, metadata: { name: "ResourcePolicy" }, errors: [] };
  return runUnsafeSimulation({ ...simulation, resourcePolicy }, {});
}

export interface ExplainedResult {
  result: EvaluationResult | "error";
  /** The resource-policy statements that grant the request, 1-based as the simulator counts. */
  grants: number[];
  reasons: RequestGrant[];
  ignoredContextKeys: string[];
  error?: string;
}

/** The validated simulation, for the grant reasons (which statements allowed the request). */
export async function explainedResult(simulation: Simulation): Promise<ExplainedResult> {
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error") return { result: "error", grants: [], reasons: [], ignoredContextKeys: [], error: JSON.stringify(result.errors) };
  if (result.resultType !== "single") return { result: "error", grants: [], reasons: [], ignoredContextKeys: [], error: `unexpected result type ${result.resultType}` };
  const reasons = getGrantReasons(result.result.analysis);
  return {
    result: result.overallResult,
    grants: reasons.filter((r) => r.policyType === "resource").map((r) => r.statementIndex),
    reasons,
    ignoredContextKeys: result.result.ignoredContextKeys ?? [],
  };
}
