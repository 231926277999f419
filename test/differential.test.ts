/**
 * Differential test against a simulator. fast-check generates key and bucket policies (principals, condition
 * operators including IfExists, set operators and negated ones, organization and account values, Deny
 * guardrails among them the data-perimeter pattern) and, for each, concrete requests: a role in the owner's,
 * a trusted, another organization member's, a foreign organization's and an organization-less account (plus
 * accounts no policy names), anonymous callers (S3) and service principals with or without aws:SourceAccount.
 * @cloud-copilot/iam-simulate evaluates every request with the generated policy as the resource policy.
 *
 * The property: whenever the simulator allows a request from outside owner ∪ trusted, and no documented
 * simulator divergence covers the request, kmslint reports every statement that granted it (the simulator's
 * grant reasons) with an access finding at the tier the request shows, or a stronger one:
 *
 * | the request that got in                                   | what kmslint must say about the granting statement |
 * | --------------------------------------------------------- | -------------------------------------------------- |
 * | anonymous, or an account no policy names in no org        | public-access (or not-principal-allow, which says "everyone") |
 * | an account no policy names in a foreign organization      | the above, or org-condition (foreign / bypassable / unknownOrg) |
 * | a named account outside the organization (333…, 444…)     | the above (444…, in no organization: org-condition bypassable only), or cross-account-access naming it "(outside the organization)" |
 * | the named member account 555… (own organization, not trusted) | the above, or cross-account-access naming it at either tier |
 * | a service principal without aws:SourceAccount             | public-access or service-principal-without-source |
 * | a service principal acting for an outside account         | the above, or cross-account-access naming that account |
 *
 * The own organization as a whole is inside by design: "an org condition narrows to the organization: no finding"
 * (DESIGN.md, test/analysis/pitfalls.test.ts P3). So a grant that also lets in an own-organization account no
 * policy names, or that kmslint's analysis scopes to the whole own organization (a superset of the member
 * account), needs no finding; those are counted and printed, not checked.
 *
 * The simulator is not ground truth (DEPENDENCIES.md §4). Every known divergence is in DIVERGENCES with what the
 * simulator does, what AWS documents and the link; a request is excluded only when one of them matches it, and
 * exclusions are counted per divergence. Misses of kmslint that the simulator and AWS agree on are in
 * KMSLINT_GAPS, each pinned by a fixed regression case below (`it.fails` until kmslint is fixed; then delete the
 * gap and turn the case into a plain `it`). A failure of the property is anything else.
 *
 * DIFF_RUNS=<n> changes the number of generated policies per kind; DIFF_COLLECT=<file> writes every failure to
 * the file (JSON) instead of stopping at the first, to study a new class of failures.
 */
import { writeFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { analyzePolicy, type PolicyAnalysis } from "../src/analysis/index.js";
import { lintText, type Finding } from "../src/engine/linter.js";
import { createDocument } from "../src/model/document.js";
import {
  FOREIGN,
  FOREIGN_ORG,
  KEY_ARN,
  MEMBER,
  NO_ORG,
  OWNER,
  OWN_ORG,
  ROOT_STATEMENT,
  STRANGER_FOREIGN_ORG,
  STRANGER_NO_ORG,
  STRANGER_OWN_ORG,
  TRUST,
  contextFor,
  describeRequester,
  explainedResult,
  fastResult,
  isInside,
  policyArbitrary,
  requestersFor,
  scenarioArbitrary,
  simulationFor,
  type ExplainedResult,
  type GeneratedPolicy,
  type PolicyJson,
  type Requester,
  type Scenario,
  type StatementJson,
} from "./differential/harness.js";

/** Generated policies per kind; each is asked SCENARIOS_PER_POLICY scenarios (action, resource, transport, …) × 9-10 requesters. */
const RUNS_PER_KIND = Number(process.env.DIFF_RUNS ?? 350);
const SCENARIOS_PER_POLICY = 3;
const MIN_CASES = 10_000;

interface Case {
  generated: GeneratedPolicy;
  scenario: Scenario;
  requester: Requester;
}

// ─── known simulator divergences ────────────────────────────────────────────────────────────────────────

interface Divergence {
  id: string;
  /** What @cloud-copilot/iam-simulate 0.1.173 does. */
  simulator: string;
  /** What AWS documents. */
  aws: string;
  link: string;
  /** How the harness deals with it. */
  handling: string;
  /** The allowed-from-outside requests whose simulator answer it makes wrong; they are excluded. */
  applies?: (c: Case) => boolean;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

const DIVERGENCES: Divergence[] = [
  {
    id: "1-always-present-keys",
    simulator:
      "does not put the keys AWS always sets into the request context (aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalIsAWSService, aws:PrincipalOrgID, kms:CallerAccount, aws:SecureTransport, …): StringEquals aws:PrincipalAccount never matches",
    aws: "each key's Availability, e.g. aws:PrincipalArn and aws:PrincipalIsAWSService are in every signed request, aws:PrincipalOrgID whenever the principal's account is in an organization",
    link: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html",
    handling: "worked around: contextFor() in test/differential/harness.ts supplies them per requester; nothing excluded",
  },
  {
    id: "2-encryption-context-keys",
    simulator: "runSimulation drops kms:EncryptionContext:<key> context keys (ignoredContextKeys), so encryption-context conditions never match",
    aws: "kms:EncryptionContext:<context-key> is a condition key of Encrypt, Decrypt, GenerateDataKey*, ReEncrypt* and CreateGrant",
    link: "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context",
    handling: "not generated: no encryption-context conditions or context keys; nothing excluded",
  },
  {
    id: "3-deny-notprincipal-account-root",
    simulator: "a Deny with NotPrincipal naming an account (root ARN or id) exempts every principal of that account: an account-level principal match is inverted to 'not matched'",
    aws: "with NotPrincipal in a Deny naming Bob and his account root, 'all principals except the user named Bob … are explicitly denied': naming the account exempts the account principal, not its roles",
    link: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
    handling: "excluded: role requests from an account that a condition-free NotPrincipal Deny names, for an action the Deny covers",
    applies: ({ generated, scenario, requester }) =>
      requester.type === "role" &&
      generated.policy.Statement.some((s) => {
        if (s.Effect !== "Deny" || !s.NotPrincipal || s.NotPrincipal === "*" || s.Condition) return false;
        const listed = asList(s.NotPrincipal.AWS);
        const namesAccount = listed.some((p) => p === requester.account || p === `arn:aws:iam::${requester.account}:root`);
        return namesAccount && !listed.includes(requester.arn) && asList(s.Action).some((a) => a === "kms:*" || a === "s3:*" || a === scenario.action);
      }),
  },
  {
    id: "4-unsafe-resource-policy-crash",
    simulator: "runUnsafeSimulation throws (metadata().name of undefined) when given a plain resource policy document",
    aws: "not a question of AWS semantics: an API defect of the simulator",
    link: "https://github.com/cloud-copilot/iam-simulate/blob/main/src/simulation_engine/unsafeSimulationEngine.ts",
    handling: "worked around: fastResult() passes a validated-policy wrapper; nothing excluded",
  },
];

// ─── known kmslint gaps (simulator and AWS agree; kmslint misses the access) ─────────────────────────────

interface Gap {
  id: string;
  what: string;
  aws: string;
  link: string;
  /** Recognises this gap in a failed requirement. */
  applies: (c: Case, statement: number, findings: Finding[], analysis: PolicyAnalysis) => boolean;
}

/** kmslint misses the simulator and AWS agree on, still open. Gaps A, B, C and E were fixed; their cases below stay. */
const KMSLINT_GAPS: Gap[] = [];

// ─── what kmslint must say ──────────────────────────────────────────────────────────────────────────────

type Requirement = { tier: string; accepts: (f: Finding) => boolean } | { tier: string; byDesign: string };

const ORG_CONDITION_TIERS = new Set(["foreign", "bypassable", "unknownOrg"]);

/** How kmslint names a statement in messages: its Sid in quotes, else `#<0-based index>`. */
function statementLabel(policy: PolicyJson, index0: number): string {
  const sid = policy.Statement[index0]?.Sid;
  return sid ? `"${sid}"` : `#${index0}`;
}

/** Whether kmslint's analysis scopes some principal of the statement to the whole own organization. */
function analysedAsOwnOrg(analysis: PolicyAnalysis, index0: number): boolean {
  return analysis.reaches.some((r) => r.statement.index === index0 && r.who.kind === "limited" && r.who.orgs.includes(OWN_ORG));
}

/**
 * What kmslint must report about the granting statement (1-based, as the simulator counts) for this request.
 * `grantsBy` holds the granting statements of the other role requesters of the same scenario, by account.
 */
function requirementFor(c: Case, statement: number, grantsBy: Map<string, number[]>, analysis: PolicyAnalysis): Requirement {
  const index0 = statement - 1;
  const on = (ruleId: string) => (f: Finding) => f.ruleId === ruleId && f.statement?.index === index0;
  // not-principal-allow says "everyone except … gets the access, anonymous callers and every other account included": the public tier.
  const publicAccess = (f: Finding) => on("public-access")(f) || on("not-principal-allow")(f);
  // org-condition that says callers of another organization get in; for callers in no organization only "bypassable" says so.
  const orgCondition = (f: Finding) => on("org-condition")(f) && (c.requester.type === "role" && c.requester.org === undefined ? f.messageId === "bypassable" : ORG_CONDITION_TIERS.has(f.messageId));
  const label = statementLabel(c.generated.policy, index0).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const mentions = new RegExp(`in statement ${label}(?![0-9])`);
  // cross-account-access reports each account once, at its first statement, and names every statement in the message.
  const crossAccount = (account: string, tiers: readonly string[]) => (f: Finding) =>
    f.ruleId === "cross-account-access" && tiers.some((tier) => f.message.startsWith(`Account ${account} (${tier})`)) && (f.statement?.index === index0 || mentions.test(f.message));
  const bothTiers = ["another account in the organization", "outside the organization"];
  const { requester } = c;
  switch (requester.type) {
    case "anonymous":
      return { tier: "anonymous", accepts: publicAccess };
    case "service": {
      const source = requester.sourceAccount;
      if (source === undefined) return { tier: "service without aws:SourceAccount", accepts: (f) => publicAccess(f) || on("service-principal-without-source")(f) };
      return {
        tier: "service acting for an outside account",
        accepts: (f) => publicAccess(f) || on("service-principal-without-source")(f) || crossAccount(source, bothTiers)(f),
      };
    }
    case "role":
      switch (requester.account) {
        case STRANGER_NO_ORG:
          return { tier: "any account (public)", accepts: publicAccess };
        case STRANGER_FOREIGN_ORG:
          return { tier: "any account of a foreign organization", accepts: (f) => publicAccess(f) || orgCondition(f) };
        case STRANGER_OWN_ORG:
          return { tier: "the whole own organization", byDesign: "an own-organization account no policy names got in" };
        case MEMBER:
          if (grantsBy.get(STRANGER_OWN_ORG)?.includes(statement)) return { tier: "the whole own organization", byDesign: "an own-organization account no policy names got in too" };
          if (analysedAsOwnOrg(analysis, index0)) return { tier: "another account in the organization", byDesign: "kmslint scopes the statement to the whole own organization, a superset" };
          return { tier: "another account in the organization", accepts: (f) => publicAccess(f) || orgCondition(f) || crossAccount(MEMBER, bothTiers)(f) };
        case FOREIGN:
        case NO_ORG:
          return { tier: "an account outside the organization", accepts: (f) => publicAccess(f) || orgCondition(f) || crossAccount(requester.account, ["outside the organization"])(f) };
        default:
          throw new Error(`no requirement for ${describeRequester(requester)}`);
      }
  }
}

type Judgement =
  | { verdict: "by design"; reason: string }
  | { verdict: "reported"; tier: string }
  | { verdict: "known gap"; tier: string; gap: string }
  | { verdict: "missed"; tier: string };

/** Whether kmslint reports the granting statement (1-based) as this allowed request requires. */
function judge(c: Case, statement: number, grantsBy: Map<string, number[]>, findings: Finding[], analysis: PolicyAnalysis): Judgement {
  const requirement = requirementFor(c, statement, grantsBy, analysis);
  if ("byDesign" in requirement) return { verdict: "by design", reason: requirement.byDesign };
  if (findings.some(requirement.accepts)) return { verdict: "reported", tier: requirement.tier };
  const gap = KMSLINT_GAPS.find((g) => g.applies(c, statement, findings, analysis));
  return gap ? { verdict: "known gap", tier: requirement.tier, gap: gap.id } : { verdict: "missed", tier: requirement.tier };
}

function lint(generated: GeneratedPolicy): Finding[] {
  return lintText(JSON.stringify(generated.policy, null, 2), "policy.json", { kind: generated.kind, trust: TRUST }).findings;
}

function analyse(generated: GeneratedPolicy): PolicyAnalysis {
  return analyzePolicy(createDocument(JSON.stringify(generated.policy, null, 2), "policy.json").policy!, generated.kind, TRUST);
}

// ─── counting ───────────────────────────────────────────────────────────────────────────────────────────

const stats = {
  policies: 0,
  cases: 0,
  allowed: 0,
  allowedOutside: 0,
  checked: 0,
  byTier: new Map<string, number>(),
  byDesign: new Map<string, number>(),
  excluded: new Map<string, number>(DIVERGENCES.map((d) => [d.id, 0])),
  gaps: new Map<string, number>(KMSLINT_GAPS.map((g) => [g.id, 0])),
  started: performance.now(),
};
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const collected: unknown[] = [];

function accessFindings(findings: Finding[]) {
  return findings
    .filter((f) => ["public-access", "cross-account-access", "org-condition", "service-principal-without-source", "not-principal-allow"].includes(f.ruleId))
    .map((f) => ({ ruleId: f.ruleId, messageId: f.messageId, statement: f.statement?.index, message: f.message }));
}

function failureReport(c: Case, explained: ExplainedResult, statement: number, tier: string, findings: Finding[]) {
  return {
    problem: `the simulator allows ${describeRequester(c.requester)} through statement ${statement} (1-based; kmslint index ${statement - 1}), and kmslint does not report that statement at tier "${tier}"`,
    kind: c.generated.kind,
    policy: c.generated.policy,
    request: { action: c.scenario.action, resource: c.scenario.resource, context: contextFor(c.generated.kind, c.scenario, c.requester) },
    simulator: { result: explained.result, grantReasons: explained.reasons, ignoredContextKeys: explained.ignoredContextKeys },
    kmslint: accessFindings(findings),
  };
}

// ─── the property ───────────────────────────────────────────────────────────────────────────────────────

async function check(generated: GeneratedPolicy, scenarios: Scenario[]): Promise<void> {
  stats.policies++;
  const findings = lint(generated);
  let analysis: PolicyAnalysis | undefined;
  for (const scenario of scenarios) {
    const outcomes: { requester: Requester; explained: ExplainedResult; excludedBy: string | undefined }[] = [];
    for (const requester of requestersFor(generated.kind, scenario)) {
      const simulation = simulationFor(generated, scenario, requester);
      stats.cases++;
      if (fastResult(simulation) !== "Allowed") continue;
      stats.allowed++;
      if (isInside(requester)) continue;
      stats.allowedOutside++;
      // The validated engine gives the grant reasons; it must agree with the unsafe one, else the harness feeds one of them wrongly.
      const explained = await explainedResult(simulation);
      if (explained.result !== "Allowed" || explained.grants.length === 0) {
        throw new Error(
          `runSimulation says ${explained.result} (${JSON.stringify(explained.reasons)}${explained.error ? `, ${explained.error}` : ""}) where runUnsafeSimulation says Allowed:\n${JSON.stringify({ policy: generated.policy, requester, scenario }, null, 2)}`,
        );
      }
      outcomes.push({ requester, explained, excludedBy: DIVERGENCES.find((d) => d.applies?.({ generated, scenario, requester }))?.id });
    }
    const grantsBy = new Map<string, number[]>();
    for (const { requester, explained } of outcomes) if (requester.type === "role") grantsBy.set(requester.account, explained.grants);
    for (const { requester, explained, excludedBy } of outcomes) {
      if (excludedBy) {
        bump(stats.excluded, excludedBy);
        continue;
      }
      const c: Case = { generated, scenario, requester };
      for (const statement of explained.grants) {
        const judgement = judge(c, statement, grantsBy, findings, (analysis ??= analyse(generated)));
        switch (judgement.verdict) {
          case "by design":
            bump(stats.byDesign, judgement.reason);
            continue;
          case "reported":
            bump(stats.byTier, judgement.tier);
            stats.checked++;
            continue;
          case "known gap":
            bump(stats.byTier, judgement.tier);
            bump(stats.gaps, judgement.gap);
            stats.checked++;
            continue;
          case "missed": {
            stats.checked++;
            const report = failureReport(c, explained, statement, judgement.tier, findings);
            if (!process.env.DIFF_COLLECT) throw new Error(JSON.stringify(report, null, 2));
            collected.push(report);
          }
        }
      }
    }
  }
}

const list = (map: Map<string, number>) => [...map].map(([key, n]) => `${key}: ${n}`).join("; ");

describe("differential: kmslint reports every grant the simulator allows from outside owner ∪ trusted", () => {
  afterAll(() => {
    const seconds = ((performance.now() - stats.started) / 1000).toFixed(1);
    console.log(
      [
        `differential: ${stats.cases} (policy, request) cases from ${stats.policies} generated policies in ${seconds} s`,
        `  allowed ${stats.allowed}; allowed from outside owner ∪ trusted ${stats.allowedOutside}; (request, granting statement) pairs checked against kmslint ${stats.checked}`,
        `  checked, by tier: ${list(stats.byTier)}`,
        `  not checked, own organization by design: ${list(stats.byDesign)}`,
        `  excluded, per simulator divergence: ${list(stats.excluded)}`,
        `  known kmslint gaps met (pinned by the regression cases): ${list(stats.gaps)}`,
      ].join("\n"),
    );
    if (process.env.DIFF_COLLECT) writeFileSync(process.env.DIFF_COLLECT, JSON.stringify(collected, null, 1));
  });

  for (const kind of ["key-policy", "bucket-policy"] as const) {
    it(`${kind === "key-policy" ? "key" : "bucket"} policies`, async () => {
      await fc.assert(
        fc.asyncProperty(policyArbitrary(kind), fc.array(scenarioArbitrary(kind), { minLength: SCENARIOS_PER_POLICY, maxLength: SCENARIOS_PER_POLICY }), check),
        { numRuns: RUNS_PER_KIND },
      );
      if (process.env.DIFF_COLLECT) expect(collected).toEqual([]);
    });
  }

  // A smaller DIFF_RUNS is for exploring.
  it.skipIf(RUNS_PER_KIND < 350)(`ran at least ${MIN_CASES} generated (policy, request) cases`, () => {
    expect(stats.cases).toBeGreaterThanOrEqual(MIN_CASES);
    // The property would be vacuous if the simulator seldom let outsiders in.
    expect(stats.checked).toBeGreaterThan(1_000);
  });
});

// ─── fixed cases: the divergences are still there, and the kmslint gaps ─────────────────────────────────

const KEY_POLICY = (...statements: StatementJson[]): GeneratedPolicy => ({ kind: "key-policy", policy: { Version: "2012-10-17", Statement: [ROOT_STATEMENT, ...statements] } });
const DECRYPT: Scenario = {
  action: "kms:Decrypt",
  resource: KEY_ARN,
  secureTransport: true,
  viaService: undefined,
  roleName: "App",
  session: false,
  service: "cloudtrail.amazonaws.com",
  serviceSource: undefined,
  anonymousPrincipalAccount: false,
};
const role = (account: string, org: string | undefined): Requester => ({ type: "role", account, org, name: "App", arn: `arn:aws:iam::${account}:role/App` });

describe("the simulator divergences are still present in this version (delete a divergence when its case fails)", () => {
  it("1: without the always-present keys, StringEquals aws:PrincipalAccount does not match", () => {
    const generated = KEY_POLICY({ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalAccount": FOREIGN } } });
    const simulation = simulationFor(generated, DECRYPT, role(FOREIGN, FOREIGN_ORG));
    expect(fastResult(simulation)).toBe("Allowed");
    expect(fastResult({ ...simulation, request: { ...simulation.request, contextVariables: {} } })).toBe("ImplicitlyDenied");
  });
  it("3: a Deny with NotPrincipal naming an account root exempts the account's roles", () => {
    const generated = KEY_POLICY(
      { Effect: "Allow", Principal: { AWS: FOREIGN }, Action: "kms:Decrypt", Resource: "*" },
      { Effect: "Deny", NotPrincipal: { AWS: `arn:aws:iam::${FOREIGN}:root` }, Action: "kms:*", Resource: "*" },
    );
    const c: Case = { generated, scenario: DECRYPT, requester: role(FOREIGN, FOREIGN_ORG) };
    expect(fastResult(simulationFor(generated, DECRYPT, c.requester))).toBe("Allowed"); // AWS: explicitly denied
    expect(DIVERGENCES.find((d) => d.applies?.(c))?.id).toBe("3-deny-notprincipal-account-root");
  });
  it("4: runUnsafeSimulation needs the validated-policy wrapper", async () => {
    const { runUnsafeSimulation } = await import("@cloud-copilot/iam-simulate");
    const simulation = simulationFor(KEY_POLICY(), DECRYPT, role(OWNER, OWN_ORG));
    expect(() => runUnsafeSimulation(simulation, {})).toThrow();
    expect(fastResult(simulation)).toBe("Allowed");
  });
});

/**
 * Fixed regression cases from the property's counterexamples. While `gap` is in KMSLINT_GAPS the case pins
 * kmslint's miss; a case whose gap was fixed stays as a plain check that kmslint reports it.
 */
interface RegressionCase {
  gap: string;
  name: string;
  generated: GeneratedPolicy;
  requester: Requester;
  /** The resource statements (1-based) the simulator names as granting. */
  grants: number[];
  /** kmslint's answer while the gap is open, for the reader. */
  today: string;
}

const PERIMETER: StatementJson = {
  Sid: "Perimeter",
  Effect: "Deny",
  Principal: "*",
  Action: "kms:*",
  Resource: "*",
  Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": OWN_ORG }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } },
};

const REGRESSION_CASES: RegressionCase[] = [
  {
    gap: "A-tier-with-foreign-org",
    name: "Principal 333… with StringEquals aws:PrincipalOrgID [own, foreign] is reachable from the foreign organization",
    generated: KEY_POLICY({ Sid: "OrgPair", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${FOREIGN}:root` }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": [OWN_ORG, FOREIGN_ORG] } } }),
    requester: role(FOREIGN, FOREIGN_ORG),
    grants: [2],
    today: 'cross-account-access "Account 333333333333 (another account in the organization) … Only while it is in o-aaaaaaaaaa or o-bbbbbbbbbb."; no org-condition finding',
  },
  {
    gap: "B-merged-account-keeps-one-org-requirement",
    name: "an unconditional grant to 444… next to an organization-conditioned one lets 444… in outside any organization",
    generated: KEY_POLICY(
      { Sid: "InOrg", Effect: "Allow", Principal: { AWS: NO_ORG }, Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": OWN_ORG } } },
      { Sid: "Always", Effect: "Allow", Principal: { AWS: NO_ORG }, Action: "kms:Decrypt", Resource: "*" },
    ),
    requester: role(NO_ORG, undefined),
    grants: [3],
    today: 'cross-account-access "Account 444444444444 (another account in the organization) … Only while it is in o-aaaaaaaaaa."',
  },
  {
    gap: "C-guard-exempting-services-drops-services",
    name: 'Allow "*" behind the data-perimeter Deny lets every AWS service principal in, for any account',
    generated: KEY_POLICY({ Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }, PERIMETER),
    requester: { type: "service", service: "logs.amazonaws.com", sourceAccount: STRANGER_NO_ORG },
    grants: [2],
    today: 'no access finding (the "*" reach is scoped to o-aaaaaaaaaa)',
  },
  {
    gap: "D-service-bound-to-outside-account (fixed: the service reach keeps its source accounts)",
    name: "a service principal bound to aws:SourceAccount 333… acts for 333…",
    generated: KEY_POLICY({ Sid: "TrailOf333", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": FOREIGN } } }),
    requester: { type: "service", service: "cloudtrail.amazonaws.com", sourceAccount: FOREIGN },
    grants: [2],
    today: "no access finding (sourceBound was true whatever the account)",
  },
  {
    gap: "E-guard-drops-org-grant",
    name: "an Allow for organizations [own, foreign] behind a Deny that spares the own organization and account 333… lets 333… of the foreign organization in",
    generated: KEY_POLICY(
      { Sid: "TwoOrgs", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": [OWN_ORG, FOREIGN_ORG] } } },
      { Sid: "OwnOrgOr333", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalOrgID": OWN_ORG, "aws:PrincipalAccount": FOREIGN } } },
    ),
    requester: role(FOREIGN, FOREIGN_ORG),
    grants: [2],
    today: "no access finding (the reach ends as o-aaaaaaaaaa only; without the Deny, org-condition reports o-bbbbbbbbbb)",
  },
  {
    gap: "E-guard-drops-org-grant",
    name: "a caller of the foreign organization that one Deny spares by organization and the other by account gets in",
    generated: KEY_POLICY(
      { Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
      { Sid: "OrgPair", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalOrgID": [OWN_ORG, FOREIGN_ORG] } } },
      { Sid: "OwnOrgOr333", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalOrgID": OWN_ORG, "aws:PrincipalAccount": FOREIGN } } },
    ),
    requester: role(FOREIGN, FOREIGN_ORG),
    grants: [2],
    today: "no access finding (the \"*\" reach ends as o-aaaaaaaaaa only)",
  },
  {
    gap: "F-guard-exempting-services-drops-source-bound-services (fixed: a service-acting scope survives a Deny that exempts services)",
    name: 'Allow "*" bound by aws:SourceAccount 333… behind a Deny on other accounts that exempts services lets services act for 333…',
    generated: KEY_POLICY(
      { Sid: "SourceBound", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": FOREIGN } } },
      { Sid: "OwnAccountOnly", Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalAccount": OWNER }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } } },
    ),
    requester: { type: "service", service: "logs.amazonaws.com", sourceAccount: FOREIGN },
    grants: [2],
    today: "no access finding (the Deny dropped the service-acting account scope)",
  },
];

describe("kmslint gaps found by the property, as fixed regression cases", () => {
  it("every open gap has a case", () => {
    expect(KMSLINT_GAPS.map((g) => g.id).filter((id) => !REGRESSION_CASES.some((r) => r.gap === id))).toEqual([]);
  });
  for (const r of REGRESSION_CASES) {
    const judged = async () => {
      const explained = await explainedResult(simulationFor(r.generated, DECRYPT, r.requester));
      const c: Case = { generated: r.generated, scenario: DECRYPT, requester: r.requester };
      return { explained, judgements: explained.grants.map((statement) => judge(c, statement, new Map(), lint(r.generated), analyse(r.generated))) };
    };
    if (!KMSLINT_GAPS.some((g) => g.id === r.gap)) {
      it(`${r.gap}: kmslint reports it (${r.name})`, async () => {
        const { explained, judgements } = await judged();
        expect([explained.result, explained.grants]).toEqual(["Allowed", r.grants]);
        expect(judgements.map((j) => j.verdict)).toEqual(["reported"]);
      });
      continue;
    }
    it(`${r.gap}: the simulator allows it, and today kmslint answers ${r.today}`, async () => {
      const { explained, judgements } = await judged();
      expect([explained.result, explained.grants]).toEqual(["Allowed", r.grants]);
      expect(judgements.map((j) => (j.verdict === "known gap" ? j.gap : j.verdict))).toEqual([r.gap]);
    });
    // Passes while kmslint misses the access. Once kmslint reports it, this case and the one above turn red:
    // then delete the gap from KMSLINT_GAPS (keep the case: it becomes a plain check that kmslint reports it).
    it.fails(`${r.gap}: kmslint reports it (${r.name})`, async () => {
      const { judgements } = await judged();
      expect(judgements.map((j) => j.verdict)).toEqual(["reported"]);
    });
  }
});
