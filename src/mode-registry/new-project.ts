/**
 * `peers new NAME [DIR]`: a new project directory with git, a skeleton for the language (when
 * --lang is given), a first commit, then `peers init` with the same modes, spec and plan (which
 * also registers it). The directory must not exist or be empty; everything is checked before the
 * first write, and a refused init removes what `new` created.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../cli/errors.ts';
import { commitInitFiles, initProject, writtenFile, type InitOptions, type InitResult } from './init-project.ts';
import { gitOk } from '../git/git.ts';
import { resolveModes } from './compose.ts';
import { LANGS, normalizeLang, type Lang } from './language.ts';

export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Files of a new project: enough for its tests to run, nothing the peers would have to undo. */
export function skeleton(name: string, lang: Lang | undefined): Record<string, string> {
  const ident = name.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  const files: Record<string, string> = { 'README.md': `# ${name}\n` };
  switch (lang) {
    case 'js':
      files['package.json'] = `${JSON.stringify({ name: name.toLowerCase(), version: '0.1.0', private: true, type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`;
      files['.gitignore'] = 'node_modules/\n';
      break;
    case 'ts':
      files['package.json'] = `${JSON.stringify({ name: name.toLowerCase(), version: '0.1.0', private: true, type: 'module', scripts: { test: 'node --test', typecheck: 'tsc --noEmit' }, devDependencies: { typescript: '^5' } }, null, 2)}\n`;
      files['tsconfig.json'] = `${JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, noEmit: true }, include: ['src', 'test'] }, null, 2)}\n`;
      files['.gitignore'] = 'node_modules/\n';
      break;
    case 'python':
      files['pyproject.toml'] = `[project]\nname = "${name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n`;
      files['.gitignore'] = '__pycache__/\n.venv/\n';
      break;
    case 'go':
      files['go.mod'] = `module ${name.toLowerCase()}\n\ngo 1.19\n`;
      break;
    case 'rust':
      files['Cargo.toml'] = `[package]\nname = "${ident}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n`;
      files['src/lib.rs'] = '';
      files['.gitignore'] = 'target/\n';
      break;
    case undefined:
      break;
  }
  return files;
}

/**
 * A skeleton holds no test, and an empty suite never passes (detect-project.ts: tests must have run),
 * so the suite's gate of a new project is red until its first test, in every language. Said
 * plainly, beside "peers verify", rather than a placeholder test the peers would have to undo.
 * With a plan, the gates are the plan's work: red until the peers do it.
 */
function withFirstTestNote(result: InitResult, planned: boolean): InitResult {
  const suite = result.proposal.gates.find((g) => g.id === 'tests-pass');
  if (!suite) return result;
  const note = planned
    ? `${suite.id} (\`${suite.cmd}\`) is red until the plan is implemented: that is the peers' work (peers up)`
    : `${suite.id} (\`${suite.cmd}\`) is red until the project has its first test, by design: the skeleton has none, and an empty suite never passes (a run cannot complete on no tests); write one, then peers verify`;
  return { ...result, notes: [...result.notes, note], ...(planned ? {} : { redUntilFirstTest: suite.id }) };
}

export type NewOptions = Omit<InitOptions, 'target' | 'force'> & { name: string; dir?: string; cwd?: string };

export function newProject(o: NewOptions): InitResult {
  if (!PROJECT_NAME.test(o.name)) throw new InputError(`"${o.name}" is not a project name`, { hint: 'use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit' });
  const dir = resolve(o.cwd ?? process.cwd(), o.dir ?? o.name);
  // A file where the directory goes, or on its way (`peers new x notes.txt/sub`): named, not ENOTDIR (exit 70).
  const notDir = [dir, dirname(dir)].find((d) => existsSync(d) && !statSync(d).isDirectory());
  if (notDir) throw new InputError(`${notDir} is not a directory`, { hint: 'pick another name or directory' });
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new InputError(`${dir} exists and is not empty`, { hint: 'pick another name or directory, or run `peers init --modes …` inside the existing project' });
  if (!existsSync(dirname(dir))) throw new InputError(`${dirname(dir)} does not exist`, { hint: 'create the parent directory first' });
  let lang: Lang | undefined;
  if (o.lang !== undefined) {
    lang = normalizeLang(o.lang);
    if (!lang) throw new InputError(`--lang ${o.lang} is not a language peers knows`, { hint: `use one of ${LANGS.join(', ')}` });
  }
  // The mode stack is refused before anything exists (the rest of init's checks need the project).
  if (o.modes?.length) resolveModes({ modes: o.modes, plan: o.plan !== undefined, spec: o.spec !== undefined });
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  try {
    gitOk(dir, ['init', '--quiet', '-b', 'main']);
    const files = skeleton(o.name, lang);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    commitInitFiles(dir, Object.keys(files).map((rel) => writtenFile(dir, rel)), `peers new: ${o.name}${lang ? ` (${lang})` : ''}\n\nPeer: peers-init\n`);
    // --lang alone picks the skeleton; init's own --lang is a mode's setting, so it goes only with --modes.
    const withModes = Boolean(o.modes?.length);
    return withFirstTestNote(initProject({ ...o, target: dir, force: false, modes: withModes ? o.modes : undefined, lang: withModes ? o.lang : undefined }), o.plan !== undefined);
  } catch (error) {
    if (created) rmSync(dir, { recursive: true, force: true });
    else for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
    throw error;
  }
}
