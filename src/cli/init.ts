/**
 * `kmslint init`: writes a starter kmslint.config.json in which every setting is explained by a comment.
 *
 * Given files or folders, it first reads them as `kmslint lint` does (src/cli/lint-task.ts decides what each
 * file is: a policy, a CloudFormation template in YAML or JSON, a Terraform plan) and fills in what the key
 * and bucket policies say about the trust context:
 * - `account`: the account whose root gets kms:* or kms:PutKeyPolicy in a key policy (the owner the analysis
 *   infers without --account, src/analysis/index.ts inferOwner), or the account a Terraform plan was made
 *   with (its data.aws_caller_identity). Several candidates: none is set, they are listed in a comment.
 * - `org`: literal o-… ids in aws:PrincipalOrgID, aws:ResourceOrgID and aws:SourceOrgID conditions, the same
 *   way.
 * - `trustedAccounts`: left empty. The other accounts the policies name (Allow principals, aws:PrincipalAccount
 *   and kms:CallerAccount conditions) are listed in comments with where each was seen: trusting an account is
 *   the user's decision, not something to read off the policies being reviewed.
 * Every value found is said in a comment and on stderr with the file and line it comes from.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { inferOwner } from "../analysis/index.js";
import { CONFIG_FILE_NAME } from "../engine/config.js";
import { STACK_ACCOUNT } from "../engine/linter.js";
import { isAccountId, isOrgId, parseAwsPrincipal } from "../model/arn.js";
import { createDecodedDocument, parsedJsonOf } from "../model/document.js";
import type { Path } from "../model/json.js";
import { statementLabel, type Statement } from "../model/policy.js";
import { decodeSource } from "../model/source.js";
import { expandPaths, readSource, type FoundFile } from "../sources/files.js";
import { loadTerraformPlan } from "../sources/terraform-plan.js";
import { runTask, type CheckedPolicy } from "./lint-task.js";
import { EXIT_OK, EXIT_USAGE, type Io } from "./exit.js";

export interface InitOptions {
  /** Where to write the config (default ./kmslint.config.json); a folder gets a kmslint.config.json inside. */
  output?: string;
  /** Overwrite an existing file. */
  force: boolean;
  /** Print the config instead of writing it. */
  stdout?: boolean;
}


/** Where a value was seen: a file, the line when there is one, and what named it. */
interface Sighting {
  file: string;
  line?: number;
  what: string;
}

/** Values found, each with every place it was seen, in the order first seen. */
type Tally = Map<string, Sighting[]>;

interface Detections {
  /** Accounts that look like the owner. */
  owners: Tally;
  orgs: Tally;
  /** Every 12-digit account named (the owner's too: it is left out when the config is written). */
  accounts: Tally;
  files: number;
  policies: number;
  /** Files that could not be parsed, with the first error. */
  unreadable: { file: string; line: number; column: number; message: string }[];
}

const ORG_KEYS = new Set(["aws:principalorgid", "aws:resourceorgid", "aws:sourceorgid"]);
const ACCOUNT_KEYS = new Set(["aws:principalaccount", "kms:calleraccount"]);
/** The schema as kmslint's package installs it, relative to the project folder. */
const SCHEMA_IN_PACKAGE = "node_modules/kmslint/schemas/kmslint.config.schema.json";
/** How many places (in different files) a comment names for one value before "and N other places". */
const PLACES_SHOWN = 3;

export async function runInit(paths: readonly string[], options: InitOptions, io: Io): Promise<number> {
  const usage = (message: string) => {
    io.stderr(`kmslint: ${message}\n`);
    return EXIT_USAGE;
  };
  if (options.stdout && options.output !== undefined) return usage("--stdout prints the config instead of writing it: give --stdout or --output, not both");
  const { files, missing } = expandPaths(paths, () => false);
  if (missing.length > 0) return usage(`no such file or folder: ${missing.join(", ")}`);
  let target = resolve(options.output ?? CONFIG_FILE_NAME);
  if (isDirectory(target)) target = join(target, CONFIG_FILE_NAME);
  const cwd = process.cwd();
  if (!options.stdout && !options.force && existsSync(target)) {
    return usage(`${shown(target, cwd)} already exists: --force overwrites it, --stdout prints the new config instead`);
  }

  const found = paths.length > 0 ? await detect(files) : undefined;
  const text = renderConfig(found, paths, dirname(target));
  if (found) report(found, cwd, io);
  if (options.stdout) {
    io.stdout(text);
  } else {
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text, { flag: options.force ? "w" : "wx" });
    } catch (error) {
      return usage(`cannot write ${shown(target, cwd)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    io.stderr(`kmslint: wrote ${shown(target, cwd)}${found ? "" : ': set "account" and "org" in it, or run kmslint init <paths> to find them in your policies'}\n`);
  }
  const lintPaths = paths.length > 0 ? paths : ["."];
  const needsConfigFlag = !options.stdout && !lintPaths.every((path) => nearestConfig(path) === target);
  const command = ["kmslint", "lint", ...(needsConfigFlag ? ["--config", shown(target, cwd)] : []), ...paths].map(shellWord).join(" ");
  io.stderr(`kmslint: next: ${command}\n`);
  return EXIT_OK;
}

/** Reads every file as `kmslint lint` does and collects what its key and bucket policies say. */
async function detect(files: readonly FoundFile[]): Promise<Detections> {
  const found: Detections = { owners: new Map(), orgs: new Map(), accounts: new Map(), files: 0, policies: 0, unreadable: [] };
  for (const file of files) {
    const policies: CheckedPolicy[] = [];
    const outcome = await runTask({ path: file.path, explicit: file.explicit, options: { trust: { trustedAccounts: [] } } }, (policy) => policies.push(policy));
    if (outcome.skipped) continue;
    found.files++;
    const fatal = outcome.result.messages.find((m) => m.fatal);
    if (fatal) {
      found.unreadable.push({ file: file.path, line: fatal.line, column: fatal.column, message: fatal.message });
      continue;
    }
    for (const policy of policies) readPolicy(policy, found);
    if (outcome.result.kind === "terraform-plan") {
      const owner = planOwner(file.path);
      if (owner && isAccountId(owner.account)) add(found.owners, owner.account, { file: file.path, what: owner.reason });
    }
  }
  return found;
}

function readPolicy({ document, kind, resource }: CheckedPolicy, found: Detections): void {
  const policy = document.policy;
  if (!policy || kind === "identity-policy") return;
  found.policies++;
  const at = (path: Path, statement: Statement, what: string): Sighting => ({
    file: document.filePath,
    line: document.locate(path).start.line,
    what: `${what} in statement ${statementLabel(statement)}${resource ? ` of ${resource}` : ""}`,
  });
  for (const statement of policy.statements) {
    if (statement.effect?.value === "Allow" && statement.principal) {
      for (const entry of statement.principal.entries) {
        if (entry.type !== "AWS") continue;
        const parsed = parseAwsPrincipal(entry.value);
        if ((parsed.form !== "account" && parsed.form !== "root" && parsed.form !== "iam") || parsed.account === STACK_ACCOUNT) continue;
        add(found.accounts, parsed.account, at(entry.path, statement, "principal"));
        if (kind !== "key-policy") continue;
        // The analysis's own inference, asked about this one principal: does it make its account the owner?
        const alone: Statement = { ...statement, principal: { ...statement.principal, entries: [entry] } };
        const owner = inferOwner({ ...policy, statements: [alone] }, kind, { trustedAccounts: [] });
        if (owner.account) add(found.owners, owner.account, at(entry.path, statement, "root with kms:* or kms:PutKeyPolicy"));
      }
    }
    for (const condition of statement.conditions) {
      const key = condition.key.toLowerCase();
      const tally = ORG_KEYS.has(key) ? found.orgs : ACCOUNT_KEYS.has(key) ? found.accounts : undefined;
      if (!tally) continue;
      const valid = tally === found.orgs ? isOrgId : isNamedAccount;
      for (const value of condition.values) if (valid(value.value)) add(tally, value.value, at(value.path, statement, condition.key));
    }
  }
}

/**
 * A 12-digit account the policy names itself: not the stand-in for a template's own account (AWS::AccountId),
 * which is the owner, whatever its id.
 */
function isNamedAccount(value: string): boolean {
  return isAccountId(value) && value !== STACK_ACCOUNT;
}

/** The account a Terraform plan was made with (data.aws_caller_identity), as the plan reader finds it. */
function planOwner(path: string): { account: string; reason: string } | undefined {
  const read = readSource(path);
  if (!("bytes" in read)) return undefined;
  const decoded = decodeSource(read.bytes);
  const parsed = decoded.ok ? parsedJsonOf(createDecodedDocument(decoded, path)) : undefined;
  return parsed ? loadTerraformPlan(parsed, path, { trust: { trustedAccounts: [] } }).owner : undefined;
}

function add(tally: Tally, value: string, sighting: Sighting): void {
  const sightings = tally.get(value);
  if (sightings) sightings.push(sighting);
  else tally.set(value, [sighting]);
}

/** The one value found, or undefined when there is none or several. */
function single(tally: Tally): string | undefined {
  return tally.size === 1 ? [...tally.keys()][0] : undefined;
}

/** The config file's text: JSON with comments, every member explained, examples commented out. */
function renderConfig(found: Detections | undefined, paths: readonly string[], base: string): string {
  const place = (s: Sighting) => `${shown(s.file, base)}${s.line !== undefined ? `:${s.line}` : ""} (${s.what})`;
  // One line per place: the first place in each file, for a few files, then how many places are left.
  const placeLines = (sightings: Sighting[]) => {
    const listed = sightings.filter((s, i) => sightings.findIndex((t) => t.file === s.file) === i).slice(0, PLACES_SHOWN);
    const more = sightings.length - listed.length;
    return [...listed.map((s) => `  //   ${place(s)}`), ...(more > 0 ? [`  //  ${otherPlaces(more)}`] : [])];
  };
  const owner = found && single(found.owners);
  const org = found && single(found.orgs);
  const others = found ? trustCandidates(found, owner) : [];

  const lines = [
    "// kmslint configuration: which accounts count as inside (the trust context), how each rule reports, and what",
    "// not to lint. kmslint uses the nearest kmslint.config.json above each file it lints (or the file given with",
    "// --config); the flags --account, --org, --trusted-account and --parameter win over it.",
  ];
  if (found) {
    lines.push(
      `// Filled in by kmslint init from ${paths.map((p) => shown(p, base)).join(", ")} (${count(found.files, "file")} read, ${count(found.policies, "key or bucket policy", "key and bucket policies")}).`,
      "// Check every value found before you rely on it.",
    );
  }
  lines.push(
    "{",
    "  // The JSON schema of this file, so that editors complete and check it (it comes with kmslint: npm install",
    "  // --save-dev kmslint).",
    `  "$schema": ${JSON.stringify(schemaPath(base))},`,
    "",
    "  // The AWS account that owns the keys and buckets: 12 digits, in quotes. Access from any other account is",
    "  // reported (cross-account-access), and administration from another account is an error",
    "  // (external-admin-access). Without it, kmslint takes a key policy's owner to be the account whose root gets",
    "  // kms:* or kms:PutKeyPolicy, and says so in its findings; a bucket policy does not name its owner.",
  );
  if (owner) {
    lines.push(`  // Found: ${owner}, from:`, ...placeLines(found.owners.get(owner)!), `  "account": ${JSON.stringify(owner)},`);
  } else {
    if (found && found.owners.size > 1) {
      lines.push("  // Not set: the files name several possible owners. Write the one that owns these keys and buckets:");
      for (const [account, sightings] of found.owners) lines.push(`  //   ${account}: ${place(sightings[0]!)}${otherPlaces(sightings.length - 1)}`);
    } else if (found) {
      lines.push("  // Not found: no key policy read gives an account root kms:* or kms:PutKeyPolicy, and no Terraform plan says", "  // which account it was made with.");
    }
    lines.push('  // "account": "111122223333",');
  }

  lines.push(
    "",
    "  // The owner's AWS Organizations id (o- then 10 to 32 lower-case letters and digits; aws organizations",
    "  // describe-organization shows it). A principal bound to this organization (aws:PrincipalOrgID) counts as",
    "  // inside; an organization condition that names another organization is an error (org-condition).",
  );
  if (org) {
    lines.push(
      `  // Found: ${org}, from:`,
      ...placeLines(found.orgs.get(org)!),
      "  // A policy can also name a partner's organization: check that this one is yours.",
      `  "org": ${JSON.stringify(org)},`,
    );
  } else {
    if (found && found.orgs.size > 1) {
      lines.push("  // Not set: the files name several organizations. Write the owner's:");
      for (const [id, sightings] of found.orgs) lines.push(`  //   ${id}: ${place(sightings[0]!)}${otherPlaces(sightings.length - 1)}`);
    } else if (found) {
      lines.push("  // Not found: no aws:PrincipalOrgID, aws:ResourceOrgID or aws:SourceOrgID condition read names an organization id.");
    }
    lines.push('  // "org": "o-a1b2c3d4e5",');
  }

  lines.push(
    "",
    "  // Other accounts whose access is expected (a partner, your other accounts): their access is reported as that",
    "  // of a trusted account, not as cross-account access. Administration and grants from them are still reported.",
  );
  if (others.length > 0) {
    lines.push(
      `  // The files name ${count(others.length, "other account")}, as principals or in aws:PrincipalAccount or kms:CallerAccount`,
      "  // conditions (the most named first). None is trusted here: trusting an account is your decision. Uncomment",
      "  // the ones whose access you expect (the last one without a comma).",
      '  "trustedAccounts": [',
      ...others.map(([account, sightings], i) => `    // ${JSON.stringify(account)}${i < others.length - 1 ? "," : " "}  // ${place(sightings[0]!)}${otherPlaces(sightings.length - 1)}`),
      "  ],",
    );
  } else {
    if (found) lines.push("  // The files read name no other account.");
    lines.push('  "trustedAccounts": [', '    // "444455556666"', "  ],");
  }

  lines.push(
    "",
    '  // How rules report, by rule id: "off", "info", "warning" or "error"; or ["<severity>", {options}] for a rule',
    "  // that takes options. A rule not named here keeps its default; kmslint rules lists every rule, its default",
    "  // and its options. Examples:",
    '  "rules": {',
    '    // "rotation-period": ["warning", { "maxDays": 180 }],  // keys must get new key material every 180 days or sooner (365 by default)',
    '    // "unknown-action": "error",                           // an action that does not exist fails the run',
    '    // "unresolved-value": "off"                            // no note for template values kmslint cannot evaluate',
    "  },",
    "",
    "  // CloudFormation parameter values by name, for templates that refer to a parameter (Ref, ${Name} in Fn::Sub).",
    "  // They win over the parameter's Default, and --parameter Name=Value wins over them. A parameter with neither",
    "  // leaves what depends on it unchecked (an unresolved-value note).",
    '  "parameters": {',
    '    // "PartnerAccount": "444455556666"',
    "  },",
    "",
    "  // Reviewed exceptions: the findings of one rule at one place that you accept, each with the reason why.",
    "  // They are not shown and do not fail the run; the json and sarif reports keep them, with the reason.",
    '  // "path" is a glob relative to this file\'s folder (for kmslint audit, "arn": the key or bucket ARN, *',
    '  // matching anything); "resource" a template\'s logical id or a plan\'s address; "statement" a Sid or',
    '  // /Statement/N (from 0); "expires" the last day it applies (YYYY-MM-DD), after which the finding is',
    "  // reported again.",
    '  // "suppressions": [',
    "  //   {",
    '  //     "rule": "cross-account-access",',
    '  //     "path": "policies/partner-key.json",',
    '  //     "statement": "PartnerDecryptsReports",',
    '  //     "reason": "The partner decrypts the reports we send it (approved in SEC-123).",',
    '  //     "expires": "2026-12-31"',
    "  //   }",
    "  // ],",
    "",
    "  // Files and folders not to lint: globs relative to this file's folder. A file named on the command line is",
    "  // linted even when it matches; node_modules and .git are never entered.",
    '  "ignore": [',
    '    // "fixtures/**", "**/*.draft.json"',
    "  ]",
    "}",
    "",
  );
  return lines.join("\n");
}

/** One line on stderr per value found and per file skipped. */
function report(found: Detections, cwd: string, io: Io): void {
  const where = ([first, ...rest]: Sighting[]) => `${shown(first!.file, cwd)}${first!.line !== undefined ? `:${first!.line}` : ""}${otherPlaces(rest.length)}`;
  for (const file of found.unreadable) io.stderr(`kmslint: skipped ${shown(file.file, cwd)}:${file.line}:${file.column}: ${file.message}\n`);
  io.stderr(`kmslint: read ${count(found.files, "file")} (${count(found.policies, "key or bucket policy", "key and bucket policies")})\n`);
  const owner = single(found.owners);
  if (owner) io.stderr(`kmslint: account ${owner}, from ${where(found.owners.get(owner)!)}\n`);
  else if (found.owners.size > 1) io.stderr(`kmslint: account not set: several possible owners (${[...found.owners.keys()].join(", ")}), listed in the config\n`);
  else io.stderr("kmslint: account not found\n");
  const org = single(found.orgs);
  if (org) io.stderr(`kmslint: org ${org}, from ${where(found.orgs.get(org)!)}\n`);
  else if (found.orgs.size > 1) io.stderr(`kmslint: org not set: several organizations (${[...found.orgs.keys()].join(", ")}), listed in the config\n`);
  else io.stderr("kmslint: org not found\n");
  const others = trustCandidates(found, owner).map(([account]) => account);
  if (others.length > 0) {
    const listed = others.length > 10 ? `${others.slice(0, 10).join(", ")} and ${others.length - 10} more` : others.join(", ");
    io.stderr(`kmslint: trustedAccounts left empty; candidates listed in the config: ${listed}\n`);
  }
}

/** The accounts named besides the owner: the most named first, then by id. */
function trustCandidates(found: Detections, owner: string | undefined): [string, Sighting[]][] {
  return [...found.accounts]
    .filter(([account]) => account !== owner)
    .sort(([a, as], [b, bs]) => bs.length - as.length || (a < b ? -1 : 1));
}

/** The $schema value: kmslint's schema in the nearest node_modules at or above the config's folder, else where npm would put it. */
function schemaPath(base: string): string {
  for (let dir = base; ; dir = dirname(dir)) {
    const schema = join(dir, SCHEMA_IN_PACKAGE);
    if (existsSync(schema)) {
      const path = shown(schema, base);
      return path.startsWith("../") ? path : `./${path}`;
    }
    if (dirname(dir) === dir) {
      // Not installed yet: where `npm install kmslint` in the current folder will put it, when the config is
      // inside the current folder (ci/kmslint.config.json); else beside the config.
      const inside = !relative(process.cwd(), base).startsWith("..");
      const path = inside ? shown(join(process.cwd(), SCHEMA_IN_PACKAGE), base) : SCHEMA_IN_PACKAGE;
      return path.startsWith("../") ? path : `./${path}`;
    }
  }
}

/** The kmslint.config.json that `kmslint lint` would use for a path: the nearest at or above it. */
function nearestConfig(path: string): string | undefined {
  const absolute = resolve(path);
  for (let dir = isDirectory(absolute) ? absolute : dirname(absolute); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A path as the user reads it: relative to `base`, with forward slashes. */
function shown(path: string, base: string): string {
  return relative(base, resolve(path)).split(sep).join("/") || ".";
}

/** " and N other places", or nothing for none. */
function otherPlaces(n: number): string {
  return n > 0 ? ` and ${count(n, "other place")}` : "";
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A word of a shell command, quoted when the shell would split or expand it. */
function shellWord(word: string): string {
  return /^[\w./:@=+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
