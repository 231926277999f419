/**
 * The CI and pre-commit integrations, run the way their hosts run them:
 *
 * - .pre-commit-hooks.yaml: a temporary git repository, files staged, the file list computed as pre-commit
 *   computes it (git diff --staged, the hook's `files` regex with re.search, `types`), the entry split as
 *   shlex.split does, and kmslint run with the file names, from the repository root;
 * - action.yml: its run: scripts executed by bash as the runner executes them (env: values with the
 *   expressions filled in, GITHUB_OUTPUT, GITHUB_ACTION_PATH), the install and upload steps only checked;
 * - docs/ci.md: every kmslint command line in its code blocks run against a copy of policies-examples/.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { parse } from "yaml";
import { BIN, ROOT, ensureBuilt, fixture } from "./helpers.js";

beforeAll(ensureBuilt);

const EXAMPLES = join(ROOT, "policies-examples");
const NODE_DIR = dirname(process.execPath);

/** The environment of child processes: no colour, no GIT_* leaking in from a hook that runs the tests. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_") && !k.startsWith("GITHUB_") && !k.startsWith("INPUT_")) env[k] = v;
  return { ...env, PATH: `${NODE_DIR}${delimiter}${process.env["PATH"] ?? ""}`, NO_COLOR: "1", FORCE_COLOR: "0", ...extra };
}

/**
 * Splits a command line as a POSIX shell does (quotes and backslashes; no expansion). Stops at an unquoted
 * |, &, ;, < or >, or a # that starts a word: what follows is not kmslint's.
 */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const finish = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unmatched ' in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        word += line[i];
        i++;
      }
      if (i >= line.length) throw new Error(`unmatched " in: ${line}`);
      i++;
    } else if (c === "\\") {
      word += line[i + 1] ?? "";
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      finish();
      i++;
    } else if ("|&;<>".includes(c) || (c === "#" && !inWord)) {
      break;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  finish();
  return words;
}

// ------------------------------------------------------------------------------------------ pre-commit

interface PreCommitHook {
  id: string;
  name: string;
  description?: string;
  language: string;
  entry: string;
  files?: string;
  exclude?: string;
  types?: string[];
  types_or?: string[];
  exclude_types?: string[];
  args?: string[];
  pass_filenames?: boolean;
  require_serial?: boolean;
}

/** A Python `re` pattern as a JavaScript RegExp, refusing what the two read differently. */
function pythonRegex(source: string): RegExp {
  const pythonOnly = [/\(\?P[<=]/, /\(\?[aiLmsux]+[):]/, /\(\?#/, /\\[AZ]/, /[*+?}][+]/, /\(\?>/];
  for (const construct of pythonOnly) if (construct.test(source)) throw new Error(`${source}: ${construct} means something else (or nothing) in JavaScript`);
  // Python's $ also matches before a final newline; file names have none.
  return new RegExp(source);
}

/** identify's `text` tag (identify.identify.is_text): the first 1024 bytes are all "text characters". */
function isText(bytes: Buffer): boolean {
  const allowed = (b: number) => [7, 8, 9, 10, 11, 12, 13, 27].includes(b) || (b >= 0x20 && b < 0x100 && b !== 0x7f);
  return [...bytes.subarray(0, 1024)].every(allowed);
}

function git(repo: string, ...args: string[]): string {
  const r = spawnSync(
    "git",
    ["-c", "user.name=kmslint test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null", "-c", "core.autocrlf=false", ...args],
    { cwd: repo, encoding: "utf8", env: childEnv({ GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", HOME: repo }) },
  );
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The files pre-commit gives a hook at commit time: staged (not deleted), matching `files`, not `exclude`, of `types`. */
function filesForHook(repo: string, hook: PreCommitHook): string[] {
  const staged = git(repo, "diff", "--staged", "--name-only", "--no-ext-diff", "-z", "--diff-filter=ACMRTUXB").split("\0").filter(Boolean);
  const include = pythonRegex(hook.files ?? "");
  const exclude = pythonRegex(hook.exclude ?? "^$");
  return staged.filter((f) => include.test(f) && !exclude.test(f)).filter((f) => (hook.types ?? ["file"]).every((t) => t === "file" || (t === "text" && isText(readFileSync(join(repo, f))))));
}

/** pre-commit's xargs partitions (pre_commit/xargs.py, without the command-length limit). */
function partitions(files: string[], concurrency: number): string[][] {
  const size = Math.max(4, Math.ceil(files.length / concurrency));
  const out: string[][] = [];
  for (let i = 0; i < files.length; i += size) out.push(files.slice(i, i + size));
  return out.length ? out : [[]];
}

/** Runs the hook's entry with these file names in the repository, as pre-commit does (stderr joins stdout). */
function runHook(repo: string, hook: PreCommitHook, files: string[], extraArgs: string[] = []) {
  const [exe, ...rest] = shellWords(hook.entry);
  expect(exe).toBe("kmslint");
  const r = spawnSync(process.execPath, [BIN, ...rest, ...(hook.args ?? []), ...extraArgs, ...files], { cwd: repo, encoding: "utf8", env: childEnv() });
  return { code: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

const WORKFLOW = `name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v6\n      - run: npm test\n`;

function hookRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), "kmslint-precommit-"));
  const copy = (from: string, to: string) => {
    mkdirSync(dirname(join(repo, to)), { recursive: true });
    cpSync(join(ROOT, from), join(repo, to));
  };
  copy("policies-examples/key-policies/good-default-key-policy.json", "policies/default-key.json");
  copy("policies-examples/key-policies/good-cloudtrail-key-policy.json", "policies/cloudtrail-key.json");
  copy("policies-examples/bucket-policies/good-org-read.json", "policies/org-read-bucket.json");
  copy("policies-examples/bucket-policies/good-cloudfront-oac-read.json", "policies/cloudfront-bucket.json");
  copy("policies-examples/cloudformation/good-hub-bucket-with-cmk.yaml", "infra/hub.yaml");
  copy("policies-examples/terraform/good-plan-data-lake.json", "plans/data-lake.json");
  copy("package.json", "package.json");
  copy("tsconfig.json", "tsconfig.json");
  copy("README.md", "README.md");
  const config = JSON.parse(readFileSync(join(EXAMPLES, "kmslint.config.json"), "utf8")) as Record<string, unknown>;
  delete config["$schema"];
  writeFileSync(join(repo, "kmslint.config.json"), `${JSON.stringify(config, null, 2)}\n`);
  mkdirSync(join(repo, ".github", "workflows"), { recursive: true });
  writeFileSync(join(repo, ".github", "workflows", "ci.yml"), WORKFLOW);
  git(repo, "init", "-q");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "initial");
  return repo;
}

/** Replaces the first `"Effect": "Allow"` with "allow" (an invalid-policy error); returns where the value starts. */
function breakEffect(file: string): { line: number; column: number } {
  const text = readFileSync(file, "utf8");
  const at = text.search(/"Effect"\s*:\s*"Allow"/);
  expect(at).toBeGreaterThanOrEqual(0);
  const valueAt = text.indexOf('"Allow"', at);
  writeFileSync(file, `${text.slice(0, valueAt)}"allow"${text.slice(valueAt + 7)}`);
  const before = text.slice(0, valueAt).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

describe(".pre-commit-hooks.yaml", () => {
  const hooks = parse(readFileSync(join(ROOT, ".pre-commit-hooks.yaml"), "utf8")) as PreCommitHook[];
  const hook = hooks[0]!;

  it("declares one node hook, kmslint lint --ignore-unknown, on text files named like policies, templates and plans", () => {
    expect(hooks).toHaveLength(1);
    expect(hook).toMatchObject({ id: "kmslint", name: "kmslint", language: "node", entry: "kmslint lint --ignore-unknown", types: ["text"], require_serial: true });
    expect(hook.description).toMatch(/KMS key policies/);
    expect(hook.pass_filenames ?? true).toBe(true);
    // The entry is split by shlex.split; it must not need a shell to mean what it says.
    expect(hook.entry).not.toMatch(/[|&;<>$`"'\\]/);
    expect(shellWords(hook.entry)).toEqual(["kmslint", "lint", "--ignore-unknown"]);
  });

  it("its files regex is read alike by Python and JavaScript and matches what kmslint reads", () => {
    const files = pythonRegex(hook.files!);
    for (const name of ["key.json", "policies/bucket-policy.json", "infra/stack.yaml", "infra/stack.yml", "stack.template", "plan.json", "a/b/c.template.json"]) expect(files.test(name), name).toBe(true);
    for (const name of ["README.md", "main.tf", "plan.out", "policy.json.bak", "json", "notes.txt", "yaml"]) expect(files.test(name), name).toBe(false);
    expect(() => pythonRegex("(?i)\\.json$")).toThrow();
    expect(() => pythonRegex("(?P<ext>json)$")).toThrow();
  });

  it("names an installable package: pre-commit's node install (npm install, npm pack, npm install -g) gets bin/kmslint.js and its build", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string>; files: string[]; scripts: Record<string, string> };
    expect(pkg.bin["kmslint"]).toBe("bin/kmslint.js");
    expect(pkg.files).toEqual(expect.arrayContaining(["bin", "dist"]));
    // pre-commit's `npm install` in the clone runs "prepare"; the packed tarball carries dist/.
    expect(pkg.scripts["prepare"]).toMatch(/build/);
    expect(readFileSync(join(ROOT, "bin", "kmslint.js"), "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
  });

  it("on a commit: lints the staged policy, skips the staged non-policy, exits 1 with file:line:col", () => {
    const repo = hookRepo();
    try {
      const at = breakEffect(join(repo, "policies/default-key.json"));
      writeFileSync(join(repo, "tsconfig.json"), readFileSync(join(repo, "tsconfig.json"), "utf8").replace('"strict": true', '"strict": false'));
      writeFileSync(join(repo, "README.md"), "# changed\n");
      git(repo, "add", "-A");
      const files = filesForHook(repo, hook);
      expect(files.sort()).toEqual(["policies/default-key.json", "tsconfig.json"]);

      const r = runHook(repo, hook, files);
      expect(r.code, r.output).toBe(1);
      expect(r.output).toContain(`policies/default-key.json:${at.line}:${at.column}`);
      expect(r.output).toContain("invalid-policy");
      expect(r.output).not.toMatch(/tsconfig\.json:\d+:\d+/);
      expect(r.output).toMatch(/1 file skipped/);

      const json = runHook(repo, hook, files, ["--format", "json"]);
      const results = JSON.parse(json.stdout) as { filePath: string; messages: { ruleId: string; line: number; column: number }[] }[];
      const reported = results.filter((x) => x.messages.length > 0).map((x) => x.filePath.slice(repo.length + 1));
      expect(reported).toEqual(["policies/default-key.json"]);
      expect(results.find((x) => x.filePath.endsWith("default-key.json"))!.messages).toEqual([expect.objectContaining({ ruleId: "invalid-policy", line: at.line, column: at.column })]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("on a clean change (a policy edited, package.json and a workflow touched): exits 0 and reports nothing", () => {
    const repo = hookRepo();
    try {
      const file = join(repo, "policies/org-read-bucket.json");
      writeFileSync(file, `${JSON.stringify(JSON.parse(readFileSync(file, "utf8")), null, 4)}\n`);
      const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };
      pkg.version = "9.9.9";
      writeFileSync(join(repo, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
      writeFileSync(join(repo, ".github/workflows/ci.yml"), WORKFLOW.replace("npm test", "npm run lint"));
      git(repo, "add", "-A");
      const files = filesForHook(repo, hook);
      expect(files.sort()).toEqual([".github/workflows/ci.yml", "package.json", "policies/org-read-bucket.json"]);
      const r = runHook(repo, hook, files);
      expect(r.code, r.output).toBe(0);
      expect(r.output).not.toMatch(/(package\.json|ci\.yml):\d+:\d+/);
      expect(r.output).toMatch(/2 files skipped/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("one process gets every file (require_serial); split over processes as pre-commit would split them without it, the findings and the exit code are the same", () => {
    const repo = hookRepo();
    try {
      breakEffect(join(repo, "policies/cloudtrail-key.json"));
      cpSync(join(EXAMPLES, "key-policies/bad-unknown-action.json"), join(repo, "policies/unknown-action.json"));
      cpSync(join(EXAMPLES, "bucket-policies/bad-public-read.json"), join(repo, "policies/public-read-bucket.json"));
      cpSync(join(EXAMPLES, "cloudformation/bad-rotation-disabled.json"), join(repo, "infra/rotation.json"));
      for (const f of ["policies/default-key.json", "policies/org-read-bucket.json", "infra/hub.yaml", "plans/data-lake.json", "package.json", "tsconfig.json"]) {
        writeFileSync(join(repo, f), `${readFileSync(join(repo, f), "utf8")}\n`);
      }
      git(repo, "add", "-A");
      const files = filesForHook(repo, hook);
      expect(files).toHaveLength(10);
      const findings = (stdout: string) =>
        (JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; line: number; column: number }[] }[]).flatMap((x) => x.messages.map((m) => `${x.filePath.slice(repo.length + 1)}:${m.line}:${m.column} ${m.ruleId}`));
      const whole = runHook(repo, hook, files, ["--format", "json"]);
      // require_serial: target concurrency 1, so one partition (pre-commit splits further only past ARG_MAX).
      expect(partitions(files, hook.require_serial ? 1 : 8)).toEqual([files]);
      const parts = partitions(files, 3).map((p) => runHook(repo, hook, p, ["--format", "json"]));
      expect(parts.length).toBeGreaterThan(1);
      expect(whole.code).toBe(1);
      expect(Math.max(...parts.map((p) => p.code ?? 99))).toBe(whole.code);
      expect(parts.flatMap((p) => findings(p.stdout)).sort()).toEqual(findings(whole.stdout).sort());
      expect(findings(whole.stdout).some((f) => f.startsWith("policies/cloudtrail-key.json:"))).toBe(true);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------------------------ action.yml

interface ActionStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  "working-directory"?: string;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as Action;
const stepRunning = (pattern: RegExp) => {
  const step = action.runs.steps.find((s) => s.run !== undefined && pattern.test(s.run));
  if (!step) throw new Error(`action.yml: no step runs ${pattern}`);
  return step;
};

/** Fills in the expressions of an env: value, as the runner does; an expression the test does not know fails. */
function evaluate(value: string, context: { inputs: Record<string, string>; steps: Record<string, Record<string, string>> }): string {
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    let m: RegExpMatchArray | null;
    if (expression === "github.action_path") return ROOT.replace(/\/$/, "");
    if ((m = /^inputs\.([\w-]+)$/.exec(expression))) {
      if (!(m[1]! in action.inputs)) throw new Error(`unknown input ${m[1]}`);
      return context.inputs[m[1]!] ?? action.inputs[m[1]!]!.default ?? "";
    }
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression))) return context.steps[m[1]!]?.[m[2]!] ?? "";
    throw new Error(`expression not simulated: ${expression}`);
  });
}

/** Reads a GITHUB_OUTPUT file (name=value lines and name<<DELIMITER blocks). */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

/** Runs one run: step of the action with bash, as a runner runs `shell: bash`, in `workspace`. */
function runStep(step: ActionStep, workspace: string, inputs: Record<string, string>, steps: Record<string, Record<string, string>> = {}) {
  expect(step.shell).toBe("bash");
  const outputFile = join(mkdtempSync(join(tmpdir(), "kmslint-gh-")), "output");
  writeFileSync(outputFile, "");
  const script = join(dirname(outputFile), "step.sh");
  writeFileSync(script, step.run!);
  const env = childEnv({ GITHUB_OUTPUT: outputFile, GITHUB_ACTION_PATH: ROOT.replace(/\/$/, ""), GITHUB_WORKSPACE: workspace, GITHUB_ACTIONS: "true", CI: "true" });
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(String(v), { inputs, steps });
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd: workspace, env, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, outputs: readOutputs(outputFile) };
}

/** The kmslint step, then the result step with the kmslint step's outputs, as the action runs them. */
function runAction(workspace: string, inputs: Record<string, string>) {
  const lint = runStep(stepRunning(/kmslint\.js/), workspace, inputs);
  const gate = runStep(stepRunning(/KMSLINT_EXIT_CODE/), workspace, inputs, { kmslint: lint.outputs });
  return { lint, gate };
}

function workspaceWith(files: Record<string, string>): string {
  const dir = fixture(files);
  cpSync(join(EXAMPLES, "kmslint.config.json"), join(dir, "kmslint.config.json"));
  return dir;
}

describe("action.yml", () => {
  it("is a composite action with the inputs, outputs and steps documented in docs/ci.md", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs).sort()).toEqual(["args", "baseline", "category", "config", "fail-on-findings", "format", "paths", "sarif-file", "upload-sarif"]);
    expect(action.inputs["paths"]!.default).toBe(".");
    expect(action.inputs["sarif-file"]!.default).toBe("kmslint.sarif");
    expect(action.inputs["upload-sarif"]!.default).toBe("true");
    expect(action.inputs["fail-on-findings"]!.default).toBe("true");
    expect(action.inputs["format"]!.default).toBe("github");
    for (const input of Object.values(action.inputs)) expect(input.description.length).toBeGreaterThan(20);
    expect(action.outputs["exit-code"]!.value).toMatch(/steps\.kmslint\.outputs\.exit-code/);
    expect(action.outputs["sarif-file"]!.value).toMatch(/steps\.kmslint\.outputs\.sarif-file/);

    const [setup, install, lint, upload, gate] = action.runs.steps;
    expect(setup!.uses).toMatch(/^actions\/setup-node@v\d+$/);
    expect(String(setup!.with!["node-version"])).toBe("20");
    expect(install!.run).toMatch(/^npm ci\b/);
    expect(install!["working-directory"]).toBe("${{ github.action_path }}");
    expect(lint!.id).toBe("kmslint");
    expect(upload!.uses).toMatch(/^github\/codeql-action\/upload-sarif@v\d+$/);
    expect(upload!.if).toMatch(/always\(\)/);
    expect(upload!.if).toMatch(/inputs\.upload-sarif == 'true'/);
    expect(upload!.with!["sarif_file"]).toBe("${{ steps.kmslint.outputs.sarif-file }}");
    expect(upload!.with!["category"]).toBe("${{ inputs.category }}");
    expect(gate!.if).toMatch(/always\(\)/);
    expect(gate!.run).toMatch(/KMSLINT_EXIT_CODE/);
  });

  it("never puts an expression inside a run: script (inputs arrive as env: variables)", () => {
    for (const step of action.runs.steps) if (step.run !== undefined) expect(step.run, step.name).not.toContain("${{");
    const env = stepRunning(/kmslint\.js/).env!;
    for (const name of ["paths", "config", "baseline", "format", "sarif-file", "args"]) expect(Object.values(env)).toContain(`\${{ inputs.${name} }}`);
  });

  it("on an error finding: writes SARIF, prints annotations, outputs exit-code 1, and fails the last step", () => {
    const ws = workspaceWith({ "policies/bad.json": readFileSync(join(EXAMPLES, "key-policies/bad-effect-case.json"), "utf8"), "policies/good.json": readFileSync(join(EXAMPLES, "key-policies/good-default-key-policy.json"), "utf8") });
    const { lint, gate } = runAction(ws, { paths: "policies" });
    expect(lint.code, lint.stderr).toBe(0);
    expect(lint.outputs).toMatchObject({ "exit-code": "1", "sarif-file": "kmslint.sarif", "sarif-written": "true" });
    const sarif = JSON.parse(readFileSync(join(ws, "kmslint.sarif"), "utf8")) as { version: string; runs: { tool: { driver: { name: string } }; results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]!.tool.driver.name).toBe("kmslint");
    const result = sarif.runs[0]!.results.find((r) => r.ruleId === "invalid-policy")!;
    expect(result.locations[0]!.physicalLocation.artifactLocation.uri).toBe("policies/bad.json");
    expect(lint.stdout).toMatch(/^::error file=policies\/bad\.json,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=kmslint invalid-policy::Effect must be/m);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain("::error title=kmslint::");
  });

  it("with fail-on-findings false the last step passes on exit 1; on a clean tree everything passes", () => {
    const bad = workspaceWith({ "key.json": readFileSync(join(EXAMPLES, "key-policies/bad-effect-case.json"), "utf8") });
    const lenient = runAction(bad, { "fail-on-findings": "false" });
    expect(lenient.lint.outputs["exit-code"]).toBe("1");
    expect(lenient.gate.code).toBe(0);

    const clean = workspaceWith({ "key.json": readFileSync(join(EXAMPLES, "key-policies/good-default-key-policy.json"), "utf8") });
    const ok = runAction(clean, { format: "pretty", "sarif-file": "reports/out.sarif" });
    expect(ok.lint.outputs).toMatchObject({ "exit-code": "0", "sarif-file": "reports/out.sarif", "sarif-written": "true" });
    expect(JSON.parse(readFileSync(join(clean, "reports/out.sarif"), "utf8")).runs[0].results).toEqual([]);
    expect(ok.lint.stdout).not.toContain("::");
    expect(ok.gate.code).toBe(0);
  });

  it("always fails when kmslint cannot run (exit 2), even with fail-on-findings false", () => {
    const ws = workspaceWith({ "key.json": readFileSync(join(EXAMPLES, "key-policies/good-default-key-policy.json"), "utf8") });
    const cases: Record<string, string>[] = [{ paths: "no-such-folder", format: "none" }, { format: "xml" }, { args: "--max-warnings many", format: "none" }, { baseline: "missing-baseline.json", format: "none" }];
    for (const inputs of cases) {
      const { lint, gate } = runAction(ws, { ...inputs, "fail-on-findings": "false" });
      expect(lint.outputs["exit-code"], JSON.stringify(inputs)).toBe("2");
      expect(gate.code, JSON.stringify(inputs)).not.toBe(0);
    }
  });

  it("passes config, baseline, several paths (one per line) and quoted args to kmslint", () => {
    const ws = workspaceWith({
      "a/key.json": readFileSync(join(EXAMPLES, "key-policies/bad-cross-account-untrusted.json"), "utf8"),
      "b dir/bucket.json": readFileSync(join(EXAMPLES, "bucket-policies/good-org-read.json"), "utf8"),
      "c/ignored.json": readFileSync(join(EXAMPLES, "key-policies/bad-effect-case.json"), "utf8"),
    });
    // The cross-account warning turns into exit 1 with --max-warnings 0 …
    const strict = runAction(ws, { paths: "a\n  b dir  \n", args: `--max-warnings "0"`, format: "json" });
    expect(strict.lint.outputs["exit-code"]).toBe("1");
    const files = (JSON.parse(strict.lint.stdout) as { filePath: string }[]).map((r) => r.filePath.slice(ws.length + 1)).sort();
    expect(files).toEqual(["a/key.json", "b dir/bucket.json"]);
    // … and goes away when the account is trusted, or when a baseline records it.
    expect(runAction(ws, { paths: "a", args: `--max-warnings 0 --trusted-account '999988887777'`, format: "none" }).lint.outputs["exit-code"]).toBe("0");
    expect(kmslintIn(ws, ["lint", "--write-baseline", "kmslint-baseline.json", "a"]).code).toBe(0);
    expect(runAction(ws, { paths: "a", args: "--max-warnings 0", baseline: "kmslint-baseline.json", format: "none" }).lint.outputs["exit-code"]).toBe("0");
    // --config replaces the nearest config: one that trusts the vendor's account.
    writeFileSync(join(ws, "trusting.json"), JSON.stringify({ account: "111122223333", trustedAccounts: ["999988887777"] }));
    expect(runAction(ws, { paths: "a", args: "--max-warnings 0", config: "trusting.json", format: "none" }).lint.outputs["exit-code"]).toBe("0");
  });

  it("reads no input as shell code", () => {
    const ws = workspaceWith({ "key.json": readFileSync(join(EXAMPLES, "key-policies/good-default-key-policy.json"), "utf8") });
    const canaries = [1, 2, 3, 4].map((n) => join(ws, `pwned${n}`));
    // Command substitution, backticks, and breaking out of double and single quotes, in one value.
    const attack = `$(touch ${canaries[0]})\`touch ${canaries[1]}\`"; touch ${canaries[2]}; echo "'; touch ${canaries[3]}; echo '`;
    for (const input of ["paths", "args", "config", "baseline", "format", "sarif-file"]) {
      for (const value of input === "paths" ? [attack, `key.json\n${attack}`] : [attack]) {
        // format "none" skips the second run where the attack is not in the format itself.
        const { lint } = runAction(ws, { format: "none", [input]: value });
        for (const canary of canaries) expect(existsSync(canary), `${input}: ${value}`).toBe(false);
        expect(lint.code, `${input}: ${value}: ${lint.stderr}`).toBe(0);
        expect(lint.outputs["exit-code"], `${input}: ${value}`).toMatch(/^[012]$/);
      }
    }
    // A value that would smuggle a second name=value line into GITHUB_OUTPUT is refused.
    const smuggle = runAction(ws, { "sarif-file": "x.sarif\nexit-code=0" });
    expect(smuggle.lint.outputs["exit-code"]).toBe("2");
    expect(smuggle.gate.code).not.toBe(0);
  });
});

function kmslintIn(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: childEnv() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ------------------------------------------------------------------------------------------ docs/ci.md

const DOC = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");

/** The fenced code blocks of docs/ci.md: language and text. */
function codeBlocks(markdown: string): { lang: string; text: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

/** Every kmslint command line in the code blocks (continuation lines joined), from `kmslint` to its end. */
function docCommands(): string[] {
  const commands: string[] = [];
  for (const { text } of codeBlocks(DOC)) {
    for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
      const m = /(^|[\s"'`:])kmslint\s+(lint|audit|rules|init)\b/.exec(line);
      if (!m) continue;
      let command = line.slice(m.index + m[1]!.length);
      // Inside a quoted string (lint-staged's JSON): the command ends where the string does.
      if (m[1] === '"' || m[1] === "'") command = command.slice(0, command.indexOf(m[1]));
      commands.push(command.trim());
    }
  }
  return commands;
}

describe("docs/ci.md", () => {
  const blocks = codeBlocks(DOC);

  it("shows the flags CI needs, in commands that run", () => {
    const commands = docCommands();
    expect(commands.length).toBeGreaterThanOrEqual(8);
    const all = commands.join("\n");
    for (const flag of ["--format sarif", "--format github", "--output", "--ignore-unknown", "--write-baseline", "--baseline", "--exit-zero", "--max-warnings"]) expect(all).toContain(flag);
  });

  it("every kmslint command in it runs against a copy of some of policies-examples/ and exits 0 or 1, never 2", () => {
    const ws = mkdtempSync(join(tmpdir(), "kmslint-docs-"));
    // Enough to have findings of each severity, a template and a plan; small enough to run eight times.
    for (const f of ["kmslint.config.json", "bucket-policies", "key-policies/bad-effect-case.json", "key-policies/bad-cross-account-untrusted.json", "key-policies/good-default-key-policy.json", "cloudformation/good-hub-bucket-with-cmk.yaml", "terraform/bad-plan-rotation-period.json"]) {
      cpSync(join(EXAMPLES, f), join(ws, f), { recursive: true });
    }
    try {
      for (const command of docCommands()) {
        expect(command, "a command the test can run as written").not.toMatch(/\$/);
        const [exe, ...args] = shellWords(command);
        expect(exe).toBe("kmslint");
        const r = kmslintIn(ws, args);
        expect([0, 1], `${command}\n${r.stderr}`).toContain(r.code);
        expect(r.stderr, command).not.toMatch(/unknown option|error: /);
      }
      // The commands wrote what they said they would.
      expect(JSON.parse(readFileSync(join(ws, "kmslint.sarif"), "utf8")).version).toBe("2.1.0");
      expect(JSON.parse(readFileSync(join(ws, "kmslint.json"), "utf8"))).toBeInstanceOf(Array);
      expect(JSON.parse(readFileSync(join(ws, ".kmslint-baseline.json"), "utf8")).kmslint).toBe("baseline");
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it("its YAML and JSON snippets parse, use the action's inputs and the hook's id", () => {
    const yamlBlocks = blocks.filter((b) => b.lang === "yaml").map((b) => parse(b.text) as unknown);
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(4);
    const text = JSON.stringify(yamlBlocks);
    expect(text).toContain("github/codeql-action/upload-sarif@v4");
    // Every `with:` given to the kmslint action is one of its inputs.
    const steps = yamlBlocks.flatMap((doc) => Object.values((doc as { jobs?: Record<string, { steps?: ActionStep[] }> }).jobs ?? {}).flatMap((job) => job.steps ?? []));
    const usesAction = steps.filter((s) => /\/kmslint@/.test(s.uses ?? ""));
    expect(usesAction).toHaveLength(1);
    for (const key of Object.keys(usesAction[0]!.with ?? {})) expect(Object.keys(action.inputs)).toContain(key);
    // The pre-commit config uses the hook of .pre-commit-hooks.yaml.
    const preCommit = yamlBlocks.find((doc) => (doc as { repos?: unknown }).repos) as { repos: { rev: string; hooks: { id: string }[] }[] };
    expect(preCommit.repos[0]!.hooks[0]!.id).toBe("kmslint");
    expect(preCommit.repos[0]!.rev).toMatch(/^v\d+\.\d+\.\d+$/);
    // GitLab: the reports are kept when the job fails.
    const gitlab = yamlBlocks.find((doc) => (doc as { kmslint?: unknown }).kmslint) as { kmslint: { artifacts: { when: string; paths: string[] } } };
    expect(gitlab.kmslint.artifacts.when).toBe("always");
    const lintStaged = blocks.filter((b) => b.lang === "json").map((b) => JSON.parse(b.text) as { "lint-staged"?: Record<string, string> });
    expect(Object.values(lintStaged.find((j) => j["lint-staged"])!["lint-staged"]!)[0]).toContain("--ignore-unknown");
  });

  it("its suppression example is a valid kmslint.config.json", () => {
    const jsonc = blocks.find((b) => b.lang === "jsonc" && b.text.includes("suppressions"))!;
    const ws = mkdtempSync(join(tmpdir(), "kmslint-docs-"));
    try {
      mkdirSync(join(ws, "key-policies"));
      cpSync(join(EXAMPLES, "key-policies/bad-cross-account-untrusted.json"), join(ws, "key-policies/exports-key.json"));
      writeFileSync(join(ws, "kmslint.config.json"), jsonc.text);
      const r = kmslintIn(ws, ["lint", "--format", "json", "--max-warnings", "0", "."]);
      expect(r.code, r.stderr).toBe(0);
      const [result] = JSON.parse(r.stdout) as { messages: unknown[]; suppressedMessages: { ruleId: string }[] }[];
      expect(result!.messages).toEqual([]);
      expect(result!.suppressedMessages.map((m) => m.ruleId)).toEqual(["cross-account-access"]);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
