/**
 * The command line: parses arguments with commander and hands over to the command. Nothing else.
 */
import { Command, CommanderError, Help, Option } from "@commander-js/extra-typings";
import { allRules } from "../../rules/index.js";
import type { RuleMeta } from "../engine/rule.js";
import { ruleDocUrl } from "../report/pretty.js";
import { catalogueSource } from "../model/catalogue.js";
import { FORCED_KINDS, type ForcedKind } from "./lint.js";
import pkg from "../../package.json" with { type: "json" };
import { EXIT_OK, EXIT_USAGE, FORMATS, runLint, type Format, type Io } from "./lint.js";

const collect = (value: string, previous: string[]) => [...previous, value];

const LINT_HELP_AFTER = `
What each file is, is decided by its content, not its name: a CloudFormation template (YAML or JSON with
AWSTemplateFormatVersion, or Resources of AWS types), a Terraform plan or state (terraform show -json:
format_version with planned_values or values), or a policy: an IAM identity policy when no statement names
a Principal (unless the file name says key-policy or bucket-policy), else a key or bucket policy by kms: or
s3: actions, bucket ARNs and the file name. --kind forces one. Terraform HCL (.tf) is not read: lint
the plan (terraform show -json plan.out > plan.json). Inside folders, *.json, *.yaml, *.yml and *.template
files that are none of these are skipped; files named on the command line are always linted. node_modules
and .git are never entered.

In templates and plans every key and bucket policy is linted, findings name the resource (logical id or
address), and the rules that need keys and buckets together run too (rotation, aws/s3 on a shared bucket,
bucket policy against key policy). A value kmslint cannot evaluate (a parameter without a Default, an import,
a value known only after apply) is an unresolved-value note at its position, never a silent pass.

Configuration: the nearest kmslint.config.json above each linted path (or --config FILE) sets the trust
context ("account", "org", "trustedAccounts"), rule severities and options ("rules": {"<rule-id>": "off" |
"info" | "warning" | "error", or ["warning", {options}]}), CloudFormation "parameters" and "ignore" globs. Its
JSON schema is schemas/kmslint.config.schema.json in the package. Flags override the file.

Config "suppressions" accept reviewed findings: [{"rule", "path" (glob) or "arn", "resource"?, "statement"?
(Sid or /Statement/N), "reason" (required), "expires"? (YYYY-MM-DD)}]. Suppressed findings are counted and kept
in JSON and SARIF with the reason; an expired one stops suppressing (expired-suppression), one that matched
nothing in the files linted is an unused-suppression warning. Comments (//, /* */) are allowed in the config.

Formats: pretty (default), json (ESLint's LintResult[] with fingerprints), sarif (SARIF 2.1.0 for code
scanning), github (workflow-command annotations). --output FILE writes any of them to a file. Each finding's
fingerprint survives reformatting and moved statements and changes when its statement is edited:
--write-baseline FILE records the findings (and exits 0), --baseline FILE then reports only new ones (and counts
the fixed); both with the same FILE gate against the old baseline, then record the new one. --quiet shortens
pretty, json and github output; SARIF keeps every finding.
Hooks that pass changed files' names (pre-commit, lint-staged) use --ignore-unknown; docs/ci.md shows set-ups.

The trust context (--account, --org, --trusted-account) tells kmslint which accounts count as "inside"; the
access rules (public, cross-account, organization) use it. Without --account, a key policy's owner is the
account whose root gets kms:* or kms:PutKeyPolicy, and findings say it was inferred.

IAM Access Analyzer (--access-analyzer, off by default): every policy also goes through ValidatePolicy
(findings access-analyzer/<ISSUE_CODE>, placed on the file, template or plan) and, for key and bucket
policies, CheckNoPublicAccess, compared with kmslint's public-access. Both calls are billed by AWS per call;
answers are cached by policy text and region, so an unchanged policy costs nothing the next time.

Environment: KMSLINT_WORKERS=N lints with N worker threads (default: every core for 300 files or more;
0 or 1 for none).

Exit codes:
  0  no error-severity finding (or --exit-zero)
  1  at least one error, or more warnings than --max-warnings
  2  kmslint could not run: bad flags, unreadable or invalid config, a path that does not exist

Examples:
  kmslint lint policies/                          lint every policy JSON under policies/
  kmslint lint --kind key-policy key.json         lint one file as a KMS key policy
  kmslint lint docs/audit-iam-policy.json         lint an IAM identity policy (grammar, size, names)
  kmslint lint --account 111122223333 template.yaml --parameter TrustedAccount=444455556666
  terraform show -json plan.out > plan.json && kmslint lint plan.json
  kmslint lint --account 111122223333 --org o-a1b2c3d4e5 --format json policies/ > report.json
  kmslint lint --format sarif --output kmslint.sarif --baseline .kmslint-baseline.json .
  git diff --cached --name-only --diff-filter=ACMR -z | xargs -0 -r kmslint lint --ignore-unknown
`;


const AUDIT_HELP_AFTER = `
Read-only: only Describe, Get and List calls (and STS GetCallerIdentity). docs/audit-iam-policy.json in the
package is the least-privilege IAM policy it needs. Credentials and region are found as the AWS CLI finds
them: --profile or AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO (aws sso login), web identity, the instance role;
AWS_ENDPOINT_URL replaces AWS's endpoints.

Reads per region ListKeys, ListAliases, DescribeKey, and for customer managed keys GetKeyPolicy,
GetKeyRotationStatus (keys that can rotate) and ListKeyRotations (keys with imported key material); then
S3 ListBuckets and, for buckets of the audited regions, GetBucketPolicy and GetBucketEncryption. Never
DescribeKey on an alias (on a predefined alias/aws/* alias it would create the AWS managed key).

Calls are paced per region and operation, well under the KMS request quotas (DescribeKey 500/s,
GetKeyPolicy and GetKeyRotationStatus 250/s, ListKeys and ListAliases 100/s, ListKeyRotations 25/s;
S3 bucket reads 100/s, ListBuckets 10/s); --rate changes one. The SDK
retries throttling, timeouts and server errors (--max-attempts, --retry-mode). A call that still fails is
an audit-error finding naming the call, the resource and the permission; the audit goes on. A failed
listing (ListKeys, ListBuckets, ListRegions) is an error; --quiet still shows audit-error findings.

Findings are listed per key and bucket, named by ARN; a position is a line and column in the policy as
GetKeyPolicy or GetBucketPolicy returned it, and --format json adds the API answer ("api") and a JSON
pointer into it ("pointer"). The same rules run as for templates, plus key-state,
imported-material-expiring and audit-error. The trust context comes from STS and Organizations;
kmslint.config.json (nearest to the current folder, or --config) adds trusted accounts and rule settings.

IAM Access Analyzer: in every audited region with an active external-access analyzer (ACCOUNT or
ORGANIZATION), its findings on keys and buckets (ListAnalyzers, ListFindingsV2, GetFindingV2) are compared
with kmslint's: a kmslint finding it reports too says so, one it does not report says why that can be, and a
finding only it has is an access-analyzer finding. --no-access-analyzer skips this; --include-archived
compares archived findings too. These calls are read-only and not billed.

Formats: pretty, json, sarif (results located by the key's or bucket's ARN) and github; --output FILE,
--baseline and --write-baseline (entries by ARN) work as for lint. Config suppressions name resources with
"arn" ("*" matches any characters); a literal ARN in the audited account and regions that matched nothing
is an unused-suppression warning.

Progress goes to stderr (a task list on a terminal, a line every 5 s otherwise). Ctrl-C stops the audit
and reports what was read (exit 130); a second Ctrl-C quits at once.

Exit codes:
  0    no error-severity finding (or --exit-zero)
  1    at least one error, or more warnings than --max-warnings
  2    the audit could not run: bad flags, no credentials or region, an invalid config
  130  interrupted (Ctrl-C): the report is partial

Examples:
  kmslint audit --demo                              a demo account, no AWS credentials needed
  kmslint audit --profile security --all-regions
  kmslint audit --region eu-west-1 --region us-east-1 --format json > audit.json
  kmslint audit --rate GetKeyPolicy=50 --max-attempts 8   a gentler audit of a busy account
`;

const INIT_HELP_AFTER = `
Without paths, writes a starter kmslint.config.json in the current folder: each setting with a comment that
says what it does, and examples (rule severities and options, parameters, ignore globs, a suppression) left
in comments. Comments (// and /* */) are allowed in kmslint.config.json.

With paths (policy JSON files, CloudFormation templates in YAML or JSON, Terraform plans, or folders of them,
read as kmslint lint reads them), it also fills in what the key and bucket policies say:
  account          the account whose root gets kms:* or kms:PutKeyPolicy in a key policy (the owner kmslint
                   lint infers without --account), or the account a Terraform plan was made with
                   (data.aws_caller_identity). When the files name several, none is set and they are listed.
  org              a literal o-... id in aws:PrincipalOrgID, aws:ResourceOrgID or aws:SourceOrgID conditions;
                   none when the files name several.
  trustedAccounts  left empty: the other 12-digit accounts named as principals or in aws:PrincipalAccount and
                   kms:CallerAccount conditions are listed in comments with where each was seen. Trusting an
                   account is your decision.
Each value found is said in a comment and on stderr, with the file and line it comes from. A file that cannot
be parsed is named and skipped.

Exit codes:
  0  the config was written (or printed with --stdout)
  2  it was not: the file exists (--force overwrites it), a path does not exist, the file cannot be written

Examples:
  kmslint init                                  a starter config to fill in
  kmslint init policies/ infra/                 fill in the trust context from policies and templates
  kmslint init --stdout plan.json               print the config instead of writing it
  kmslint init -o ci/kmslint.config.json --force .
`;

const USAGE_HELP_AFTER = `
Reads CloudTrail log files as the trail delivers them (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz,
and AWSLogs/<o-id>/<account>/… for organization trails), streaming, on every core. Digest and Insights files
are skipped; a malformed or truncated file is named on stderr and not counted, and the rest still is.

From the KMS records (eventSource kms.amazonaws.com) it builds one fact table: caller account and principal
(the role for role sessions), key and its owner (from resources[], not requestParameters.keyId), event,
whether S3 called KMS for the caller (encryption context aws:s3:arn), error code, and the count. A
cross-account call is delivered to both accounts of an organization trail: it is counted once.
--format json prints {records, files, rows: [...]}; csv the rows; pretty the views: cross-account calls by
caller account, by principal and by key, within-account against cross-account calls per key, calls by event,
failed calls by error code, caller and key.

No calls are seen for a trail that excludes KMS events (ExcludeManagementEventSources): check the trail
before reading "unused" as unused.

Athena (organization scale): --athena-table and --athena-database run the same analysis as one query over a
CloudTrail table (AWS's table with partition projection on the date); --print-sql shows it. Athena bills by
data scanned; --start and --end prune the date partitions.

With --policies (files and folders) or --audit (the account's key policies, read-only), it also reports:
  unused-cross-account-grant  an outside account or organization a key policy grants made no call in the window
  denied-caller               a principal's calls on a key failed repeatedly (AccessDenied, IncorrectKeyException)
  and, as info, calls from accounts no statement names (probably through grants).

Exit codes:
  0  the report was made (and no finding above --max-warnings)
  1  more warnings than --max-warnings
  2  kmslint could not run: bad flags, no such path, Athena or AWS refused

Examples:
  kmslint usage AWSLogs/ --start 2026-11-01 --end 2026-11-30
  kmslint usage logs/ --format csv --output usage.csv
  kmslint usage logs/ --policies policies/ --account 111122223333
  kmslint usage --athena-database default --athena-table cloudtrail_logs --athena-output s3://my-athena-results/ --start 2026-11-01
`;

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name("kmslint")
    .description("Static analyzer for AWS KMS key policies and S3 bucket policies.")
    .version(`${pkg.version} (action catalogue: ${catalogueSource})`, "-v, --version", "print the version and the action catalogue it was built with")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    // Repeatable options start as [] and switches as false: "(default: [])" says nothing, so it is left out.
    .configureHelp({ optionDescription: (option) => Help.prototype.optionDescription.call(new Help(), option).replace(/ \(default: (\[\]|false)\)/, "") })
    .exitOverride();

  program
    .command("lint")
    .description("Lint KMS key policies, S3 bucket policies and IAM identity policies: policy JSON, CloudFormation templates, Terraform plans.")
    .argument("[paths...]", "files and folders to lint (default: the current folder)")
    .addOption(new Option("-f, --format <format>", "output format").choices(FORMATS).default("pretty" as Format))
    .addOption(new Option("--kind <kind>", "treat every file as this kind instead of detecting it").choices(FORCED_KINDS))
    .option("--max-warnings <n>", "exit 1 when there are more than n warnings", (v) => parseWholeNumber(v, "--max-warnings"))
    .option("-c, --config <file>", "use this config file for every path instead of searching for kmslint.config.json")
    .option("--account <id>", "the account that owns the keys and buckets (12 digits)")
    .option("--org <id>", "the owner's AWS Organizations id (o-…)")
    .option("--trusted-account <id>", "an account whose access is expected; repeat for several", collect, [] as string[])
    .option("--parameter <name=value>", "a CloudFormation parameter's value (wins over its Default); repeat for several", collect, [] as string[])
    .option("-o, --output <file>", "write the report to this file instead of stdout (the summary line goes to stderr; - is stdout)")
    .option("--baseline <file>", "report only findings not recorded in this baseline (see --write-baseline)")
    .option("--write-baseline <file>", "record this run's findings in a baseline file (entries of files not linted this time are kept)")
    .option("--ignore-unknown", "skip files named on the command line that are not policies, templates or plans, as inside folders (for pre-commit and lint-staged)", false)
    .option("--quiet", "report errors only (warnings still count for --max-warnings)", false)
    .option("--exit-zero", "exit 0 even when errors are found (exit 2 still means kmslint could not run)", false)
    .option("--access-analyzer", "also run IAM Access Analyzer's policy checks (ValidatePolicy, CheckNoPublicAccess) on every policy: AWS credentials needed, billed per call, cached", false)
    .option("--region <region>", "with --access-analyzer: the region to call (default: AWS_REGION or the profile's)")
    .option("--profile <name>", "with --access-analyzer: the AWS profile to use")
    .option("--cache-dir <dir>", "with --access-analyzer: where answers are cached (default ~/.cache/kmslint/access-analyzer)")
    .helpOption("-h, --help", "show help")
    .addHelpText("after", LINT_HELP_AFTER)
    .action(async (paths, options) => {
      setExitCode(
        await runLint(
          paths,
          {
            format: options.format,
            ...(options.kind ? { kind: options.kind as ForcedKind } : {}),
            ...(options.maxWarnings !== undefined ? { maxWarnings: options.maxWarnings } : {}),
            ...(options.config ? { config: options.config } : {}),
            ...(options.account ? { account: options.account } : {}),
            ...(options.org ? { org: options.org } : {}),
            trustedAccount: options.trustedAccount,
            parameter: options.parameter,
            exitZero: options.exitZero,
            quiet: options.quiet,
            ignoreUnknown: options.ignoreUnknown,
            ...(options.output !== undefined ? { output: options.output } : {}),
            ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
            ...(options.writeBaseline !== undefined ? { writeBaseline: options.writeBaseline } : {}),
            accessAnalyzer: options.accessAnalyzer,
            ...(options.region ? { region: options.region } : {}),
            ...(options.profile ? { profile: options.profile } : {}),
            ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
          },
          io,
        ),
      );
    });

  program
    .command("rules")
    .description("List every rule with its default severity, what it applies to, its options and its documentation.")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
    .action((options) => {
      io.stdout(options.format === "json" ? rulesJson() : rulesText());
      setExitCode(EXIT_OK);
    });

  program
    .command("init")
    .description("Write a commented starter kmslint.config.json; given policies, templates or plans, fill in the owner account and organization found in them.")
    .argument("[paths...]", "policies, templates, plans or folders to detect the account and organization from")
    .option("-o, --output <file>", "where to write the config (default: ./kmslint.config.json)")
    .option("--force", "overwrite the file if it exists", false)
    .option("--stdout", "print the config instead of writing it", false)
    .helpOption("-h, --help", "show help")
    .addHelpText("after", INIT_HELP_AFTER)
    .action(async (paths, options) => {
      const { runInit } = await import("./init.js");
      setExitCode(await runInit(paths, { force: options.force, stdout: options.stdout, ...(options.output !== undefined ? { output: options.output } : {}) }, io));
    });

  program
    .command("audit")
    .description("Audit a live AWS account, read-only: its KMS keys, key policies, rotation, S3 buckets, bucket policies and default encryption, in every region asked for.")
    .option("--profile <name>", "use this profile of the AWS config and credentials files (as AWS_PROFILE does)")
    .option("--region <region>", "audit this region; repeat for several (default: the profile's or AWS_REGION's region)", collect, [] as string[])
    .option("--all-regions", "audit every region enabled for the account (Account ListRegions)", false)
    .addOption(new Option("-f, --format <format>", "output format").choices(FORMATS).default("pretty" as Format))
    .option("--rate <operation=n>", "requests per second per region for one operation, e.g. GetKeyPolicy=100; repeat for several", collect, [] as string[])
    .option("--concurrency <n>", "calls in flight per region (default 32)", (v) => parseWholeNumber(v, "--concurrency"))
    .option("--max-attempts <n>", "attempts per call, the first included, before it counts as failed (default 5)", (v) => parseWholeNumber(v, "--max-attempts"))
    .addOption(new Option("--retry-mode <mode>", "the AWS SDK's retry strategy (default standard)").choices(["standard", "adaptive"]))
    .option("--call-timeout <ms>", "milliseconds one attempt may take (default 10000)", (v) => parseWholeNumber(v, "--call-timeout"))
    .option("-c, --config <file>", "use this config file instead of the kmslint.config.json found from the current folder")
    .option("--org <id>", "the organization id (o-…), when Organizations DescribeOrganization is not allowed")
    .option("--trusted-account <id>", "an account whose access is expected; repeat for several", collect, [] as string[])
    .option("--quiet", "report errors only, and show no progress", false)
    .option("--no-progress", "show no progress on stderr")
    .option("--max-warnings <n>", "exit 1 when there are more than n warnings", (v) => parseWholeNumber(v, "--max-warnings"))
    .option("--exit-zero", "exit 0 even when errors are found", false)
    .option("-o, --output <file>", "write the report to this file instead of stdout (the summary line goes to stderr; - is stdout)")
    .option("--baseline <file>", "report only findings not recorded in this baseline (see --write-baseline)")
    .option("--write-baseline <file>", "record this audit's findings in a baseline file (by ARN)")
    .option("--no-access-analyzer", "do not read IAM Access Analyzer's findings (read by default where an external-access analyzer exists)")
    .option("--include-archived", "compare with archived Access Analyzer findings too, not only active ones", false)
    .option("--demo [snapshot]", "audit a built-in demo account served by a local stand-in for AWS (no credentials needed), or an account snapshot file")
    .helpOption("-h, --help", "show help")
    .addHelpText("after", AUDIT_HELP_AFTER)
    .action(async (options) => {
      // The AWS SDK warns on every run under Node 20 that its own support for Node 20 ends in January
      // 2027; that is for kmslint's maintainers (CHANGELOG, package engines), not for each audit's stderr.
      process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
      const { runAudit } = await import("./audit.js");
      setExitCode(
        await runAudit(
          {
            format: options.format as Format,
            region: options.region,
            allRegions: options.allRegions,
            rate: options.rate,
            trustedAccount: options.trustedAccount,
            quiet: options.quiet,
            progress: options.progress,
            exitZero: options.exitZero,
            accessAnalyzer: options.accessAnalyzer,
            includeArchived: options.includeArchived,
            ...(options.profile ? { profile: options.profile } : {}),
            ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
            ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
            ...(options.retryMode ? { retryMode: options.retryMode } : {}),
            ...(options.callTimeout !== undefined ? { callTimeout: options.callTimeout } : {}),
            ...(options.config ? { config: options.config } : {}),
            ...(options.org ? { org: options.org } : {}),
            ...(options.maxWarnings !== undefined ? { maxWarnings: options.maxWarnings } : {}),
            ...(options.demo !== undefined ? { demo: options.demo } : {}),
            ...(options.output !== undefined ? { output: options.output } : {}),
            ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
            ...(options.writeBaseline !== undefined ? { writeBaseline: options.writeBaseline } : {}),
          },
          { ...io, stderrIsTTY: Boolean(process.stderr.isTTY) },
        ),
      );
    });

  program
    .command("usage")
    .description("Who calls which KMS keys, from CloudTrail: cross-account calls by account, principal, key and event, and failed calls; joined with the key policies, the grants nobody uses and the callers that keep being denied.")
    .argument("[paths...]", "CloudTrail log files (.json, .json.gz) and folders (AWSLogs/…, organization trails too)")
    .addOption(new Option("-f, --format <format>", "output format").choices(["pretty", "json", "csv"]).default("pretty"))
    .option("--start <date>", "only events from this date (2026-11-01) or time (ISO 8601, UTC)")
    .option("--end <date>", "only events before this time; a date (2026-11-30) includes that day")
    .option("-o, --output <file>", "write the report to this file instead of stdout (- is stdout)")
    .option("--no-progress", "show no progress on stderr")
    .option("--policies <path>", "join with the key policies in these files or folders (policies, templates, plans); repeat for several", collect, [] as string[])
    .option("--audit", "join with the key policies of the account, read by a read-only audit (AWS credentials needed)", false)
    .option("--profile <name>", "with --audit or Athena: the AWS profile")
    .option("--region <region>", "with --audit: a region to read (repeat); with Athena: the region of the query", collect, [] as string[])
    .option("--all-regions", "with --audit: every enabled region", false)
    .option("--athena-table <table>", "run the analysis on Athena over this CloudTrail table instead of reading files")
    .option("--athena-database <database>", "the Glue database of --athena-table")
    .option("--athena-workgroup <workgroup>", "the Athena workgroup (default: primary)")
    .option("--athena-output <s3-uri>", "where Athena writes results (s3://…), when the workgroup sets none")
    .option("--print-sql", "print the Athena SQL and exit, without running it", false)
    .option("--min-denied <n>", "denied-caller: failed calls of one principal on one key before it is reported (default 3)", (v) => parseWholeNumber(v, "--min-denied"))
    .option("-c, --config <file>", "use this config file (trust context, rule settings)")
    .option("--account <id>", "the account that owns the keys (12 digits)")
    .option("--org <id>", "the owner's AWS Organizations id (o-…)")
    .option("--trusted-account <id>", "an account whose access is expected; repeat for several", collect, [] as string[])
    .option("--max-warnings <n>", "exit 1 when there are more than n warnings", (v) => parseWholeNumber(v, "--max-warnings"))
    .option("--exit-zero", "exit 0 even when errors are found", false)
    .helpOption("-h, --help", "show help")
    .addHelpText("after", USAGE_HELP_AFTER)
    .action(async (paths, options) => {
      const { runUsage } = await import("./usage.js");
      setExitCode(
        await runUsage(
          paths,
          {
            format: options.format as "pretty" | "json" | "csv",
            progress: options.progress,
            policies: options.policies,
            audit: options.audit,
            region: options.region,
            allRegions: options.allRegions,
            printSql: options.printSql,
            trustedAccount: options.trustedAccount,
            exitZero: options.exitZero,
            ...(options.start !== undefined ? { start: options.start } : {}),
            ...(options.end !== undefined ? { end: options.end } : {}),
            ...(options.output !== undefined ? { output: options.output } : {}),
            ...(options.profile !== undefined ? { profile: options.profile } : {}),
            ...(options.athenaTable !== undefined ? { athenaTable: options.athenaTable } : {}),
            ...(options.athenaDatabase !== undefined ? { athenaDatabase: options.athenaDatabase } : {}),
            ...(options.athenaWorkgroup !== undefined ? { athenaWorkgroup: options.athenaWorkgroup } : {}),
            ...(options.athenaOutput !== undefined ? { athenaOutput: options.athenaOutput } : {}),
            ...(options.minDenied !== undefined ? { minDenied: options.minDenied } : {}),
            ...(options.config !== undefined ? { config: options.config } : {}),
            ...(options.account !== undefined ? { account: options.account } : {}),
            ...(options.org !== undefined ? { org: options.org } : {}),
            ...(options.maxWarnings !== undefined ? { maxWarnings: options.maxWarnings } : {}),
          },
          { ...io, stderrIsTTY: Boolean(process.stderr.isTTY) },
        ),
      );
    });

  program.addHelpText(
    "after",
    `
Run "kmslint <command> --help" (lint, audit, usage, init) for each command's options and exit codes.`,
  );
  return program;
}

const USAGE_RULES = new Set(["unused-cross-account-grant", "denied-caller", "usage-unnamed-account"]);
const WHERE: Record<string, string> = { cloudformation: "templates", "terraform-plan": "plans", live: "audits" };

function appliesTo(meta: RuleMeta): string[] {
  const inventories = meta.inventory ? (meta.sources ?? ["cloudformation", "terraform-plan", "live"]).map((f) => WHERE[f]!) : [];
  const list = [...meta.appliesTo, ...inventories];
  if (list.length > 0) return list;
  // Rules that no lint runs: kmslint usage's (joined with CloudTrail) and the config's suppressions.
  return USAGE_RULES.has(meta.id) ? ["usage"] : ["kmslint.config.json"];
}

function rulesText(): string {
  const width = Math.max(...allRules.map((r) => r.meta.id.length));
  let text = "";
  for (const { meta } of allRules) {
    text += `${meta.id.padEnd(width)}  ${meta.severity.padEnd(7)}  ${appliesTo(meta).join(", ").padEnd(42)}  ${meta.description}\n`;
    for (const [name, spec] of Object.entries(meta.options ?? {})) {
      text += `${"".padEnd(width)}  option ${name} (${spec.type}, default ${JSON.stringify(spec.default)}): ${spec.description}\n`;
    }
  }
  return `${text}\nDocumentation: rules/<rule-id>.md in the kmslint package. Options are set in kmslint.config.json: "rules": {"<rule-id>": ["warning", {"<option>": value}]}.\n`;
}

/** `kmslint rules --format json`: one object per rule, for tools and documentation generators. */
function rulesJson(): string {
  const rules = allRules.map(({ meta }) => ({
    id: meta.id,
    severity: meta.severity,
    appliesTo: appliesTo(meta),
    description: meta.description,
    options: Object.fromEntries(Object.entries(meta.options ?? {}).map(([name, spec]) => [name, { ...spec }])),
    docs: ruleDocUrl(meta.id),
  }));
  return `${JSON.stringify(rules, null, 2)}\n`;
}

function parseWholeNumber(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value)) throw new CommanderError(EXIT_USAGE, "kmslint.invalidArgument", `error: ${flag} takes a whole number, not "${value}"`);
  return Number(value);
}

/** Runs kmslint with these arguments (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    io.stdout(program.helpInformation());
    return EXIT_OK;
  }
  try {
    await program.parseAsync(argv as string[], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT_OK;
      if (error.code === "kmslint.invalidArgument") io.stderr(`${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return code;
}

function defaultIo(): Io {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}
