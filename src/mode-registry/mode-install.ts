/**
 * What `peers init --modes … [--lang] [--spec] [--plan]` installs, decided before anything is
 * written: the mode stack (compose.ts rules), the language, the files that go into the repository
 * with init's commit (SPEC.md, PLAN.md, document mode's seeds), the acceptance files to pin, and
 * the gates left out for want of a tool. Every refusal is an InputError naming the file and line.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, InputErrors } from '../cli/errors.ts';
import type { ProjectFiles, ProjectProposal } from '../config/detect-project.ts';
import { FileTooLargeError, MiB, readTextCapped } from '../fs/safe-read.ts';
import { headSha } from '../git/git.ts';
import { codemapAt } from '../codemap/codemap-at.ts';
import { commitFiles } from '../git/commit-files.ts';
import { resolveModes, modeGoals, placeholdersOf, type RawGoal } from './compose.ts';
import { ARCHITECTURE_FILE, CODEMAP_FILE, seedArchitecture, seedCodemap } from './document/codemap-file.ts';
import { detectLang, LANGS, normalizeLang, type Lang } from './language.ts';
import { formatPlanIssues, parsePlan } from './plan/plan-parse.ts';
import { PLAN_PATH, type Plan } from './plan/plan-schema.ts';
import { projectTool, toolAdvice } from './project-tools.ts';
import type { BuiltinMode } from './registry.ts';

export type ModeInstallRequest = {
  modes: string[];
  lang?: string;
  /** --spec FILE: copied to SPEC.md. */
  spec?: string;
  /** --plan FILE: copied to PLAN.md (implement). */
  plan?: string;
  /** Install even though the acceptance command already passes. */
  allowPassingAcceptance?: boolean;
};

export type ModeInstall = {
  modes: BuiltinMode[];
  lang?: Lang;
  /** Repository files init writes and commits (relative path → text). */
  repoFiles: Map<string, string>;
  /** Repository paths of the acceptance files to pin (committed with init). */
  frozen: string[];
  plan?: Plan;
  omit: Set<string>;
  notes: string[];
};

export const SPEC_FILE = 'SPEC.md';
export const PLAN_FILE = 'PLAN.md';
const INPUT_LIMIT = 2 * MiB;
export const PREFLIGHT_TIMEOUT_MS = 60_000;

function readInput(path: string, flag: string): string {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) throw new InputError(`${flag} ${path}: no such file`, { location: { file: path } });
  if (!st.isFile()) throw new InputError(`${flag} ${path}: not a regular file`, { location: { file: path } });
  try {
    return readTextCapped(path, INPUT_LIMIT);
  } catch (error) {
    if (error instanceof FileTooLargeError) throw new InputError(`${flag} ${path}: larger than ${INPUT_LIMIT} bytes`, { location: { file: path } });
    throw error;
  }
}

/** A file init will write into the repository: absent, or already holding exactly this text. */
function claimRepoFile(repo: string, rel: string, text: string, flag: string): boolean {
  const abs = join(repo, rel);
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return true;
  if (!st.isFile()) throw new InputError(`${rel} exists and is not a regular file; ${flag} would write it`, { location: { file: abs } });
  if (readTextCapped(abs, INPUT_LIMIT) === text) return false;
  throw new InputError(`${rel} exists with other content; ${flag} would replace it`, { location: { file: abs }, hint: `remove or rename ${rel}, or pass it as ${flag} ${rel}` });
}

/** Repository files an acceptance command names (so a peer cannot weaken what it runs). */
export function filesNamedBy(cmd: string, exists: (rel: string) => boolean): string[] {
  const tokens = cmd.split(/[\s'"=;&|()<>]+/).map((t) => t.replace(/^\.\//, '')).filter((t) => t && PLAN_PATH.test(t) && /[./]/.test(t));
  return [...new Set(tokens.filter(exists))];
}

function preflight(repo: string, acceptance: string): 'passes' | 'fails' {
  const res = spawnSync('/bin/sh', ['-c', acceptance], { cwd: repo, stdio: 'ignore', timeout: PREFLIGHT_TIMEOUT_MS, killSignal: 'SIGKILL' });
  return res.status === 0 && !res.error ? 'passes' : 'fails';
}

export function prepareModeInstall(repo: string, req: ModeInstallRequest, files: ProjectFiles, proposal: ProjectProposal): ModeInstall {
  const modes = resolveModes({ modes: req.modes, plan: req.plan !== undefined, spec: req.spec !== undefined });
  const names = modes.map((m) => m.name);
  const notes: string[] = [];
  const omit = new Set<string>();
  const repoFiles = new Map<string, string>();

  const needsLang = modes.some((m) => modeGoals(m).some((g) => placeholdersOf(g).includes('lang')));
  let lang: Lang | undefined;
  if (req.lang !== undefined) {
    lang = normalizeLang(req.lang);
    if (!lang) throw new InputError(`--lang ${req.lang} is not a language peers knows`, { hint: `use one of ${LANGS.join(', ')}` });
  } else if (needsLang) {
    lang = detectLang(files);
    if (!lang) throw new InputError(`cannot tell this project's language for mode ${names.join(',')} (no package.json, pyproject.toml, go.mod or Cargo.toml)`, { hint: `pass --lang ${LANGS.join('|')}` });
    notes.push(`language: ${lang} (detected; pass --lang to choose another)`);
  }
  if (lang && needsLang) {
    for (const [kind, id] of [['lint', 'lint-clean'], ['type', 'type-clean']] as const) {
      if (!modes.some((m) => modeGoals(m).some((g) => g.id === id))) continue;
      const tool = projectTool(kind, lang, files);
      if (tool) notes.push(`${id} runs \`${tool.cmd}\` (from ${tool.why})`);
      else {
        omit.add(id);
        notes.push(`${id} left out: this ${lang} project has no ${kind === 'lint' ? 'linter' : 'type checker'} configured (${toolAdvice(kind, lang)}); configure one and add the goal back from \`peers modes list\``);
      }
    }
  }

  if (req.spec !== undefined) {
    const text = readInput(resolve(req.spec), '--spec');
    if (claimRepoFile(repo, SPEC_FILE, text, '--spec')) repoFiles.set(SPEC_FILE, text);
  }

  let plan: Plan | undefined;
  const frozen: string[] = [];
  if (req.plan !== undefined) {
    const planPath = resolve(req.plan);
    const text = readInput(planPath, '--plan');
    const parsed = parsePlan(text);
    if (!parsed.ok) throw new InputErrors(parsed.issues.map((i) => new InputError(i.message, { location: { file: planPath, line: i.line } })));
    plan = parsed.plan;
    if (claimRepoFile(repo, PLAN_FILE, text, '--plan')) repoFiles.set(PLAN_FILE, text);
    // Acceptance files the repository lacks come from beside the plan (peers new: a fresh project).
    const planDir = dirname(planPath);
    const inRepo = (rel: string) => lstatSync(join(repo, rel), { throwIfNoEntry: false })?.isFile() === true;
    const copies = new Map<string, string>();
    for (const f of plan.meta.acceptance_files) {
      if (inRepo(f)) continue;
      const beside = join(planDir, f);
      if (resolve(planDir) !== resolve(repo) && lstatSync(beside, { throwIfNoEntry: false })?.isFile()) copies.set(f, readInput(beside, 'acceptance_files'));
      else throw new InputError(`acceptance_files names ${f}, which is neither in ${repo} nor beside the plan`, { location: { file: planPath }, hint: 'write the acceptance test before starting the run: it is the contract the peers build against' });
    }
    const exists = (rel: string) => inRepo(rel) || copies.has(rel);
    const named = [...filesNamedBy(plan.meta.acceptance, exists), ...(plan.meta.e2e ? filesNamedBy(plan.meta.e2e, exists) : [])];
    frozen.push(...new Set([...plan.meta.acceptance_files, ...named]));
    // The preflight runs with the copied files in place; a refusal takes them away again.
    for (const [rel, text] of copies) {
      mkdirSync(dirname(join(repo, rel)), { recursive: true });
      writeFileSync(join(repo, rel), text);
    }
    const verdict = preflight(repo, plan.meta.acceptance);
    if (verdict === 'passes' && !req.allowPassingAcceptance) {
      for (const rel of copies.keys()) rmSync(join(repo, rel), { force: true });
      throw new InputError(`the acceptance command already passes: \`${plan.meta.acceptance}\``, {
        location: { file: planPath },
        hint: 'a feature that is already done gives the peers nothing to prove; make the acceptance test fail until the feature exists, or pass --allow-passing-acceptance',
      });
    }
    for (const [rel, text] of copies) repoFiles.set(rel, text);
    if (frozen.length === 0) notes.push('the acceptance command names no file of the repository: only the command is frozen, not what it runs (list them in the plan\'s acceptance_files)');
    else notes.push(`frozen acceptance contract: \`${plan.meta.acceptance}\` and ${frozen.join(', ')}`);
  }

  if (names.includes('document')) {
    const head = headSha(repo);
    const symbols = head ? codemapAt(commitFiles(repo), head) : [];
    if (!files.exists(CODEMAP_FILE)) repoFiles.set(CODEMAP_FILE, seedCodemap(symbols));
    if (!files.exists(ARCHITECTURE_FILE)) repoFiles.set(ARCHITECTURE_FILE, seedArchitecture(symbols, basename(repo)));
    notes.push(`document: ${CODEMAP_FILE} maps ${symbols.length} public symbol(s) of the committed source`);
  }
  if (proposal.gates.length === 0 && modes.some((m) => m.projectGates) && !names.includes('implement')) notes.push('no test suite found: add your tests-pass gate to goals.yaml');
  return { modes, lang, repoFiles, frozen, plan, omit, notes };
}

export function e2eGoal(cmd: string): RawGoal {
  return { id: 'e2e-pass', type: 'hard', description: "The plan's end-to-end command (frozen; change it only with peers amend) passes.", cmd, pass_when: 'exit_code == 0', timeout_s: 900 };
}
