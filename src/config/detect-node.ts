/**
 * A Node project as `peers init` proposes it (detect-project.ts): the test script as a gate whose
 * pass_when reads its runner's summary, a typecheck gate, and a setup by the package manager.
 */
import { isYarnBerry, packageManagerOf, PM_DIR, pmSetupCommand, scriptCommand, type PackageManager } from './package-manager.ts';
import { newerNodeNote } from './node-version.ts';
import { npmRegistryHosts, npmTokenNote } from './npm-registries.ts';
import { imageFix, TEST_TIMEOUT_S, type Found, type ProjectFiles, type ProposedGate } from './detected-ecosystem.ts';

/** What `npm init` writes into scripts.test: a test command that always fails. */
const NPM_PLACEHOLDER_TEST = /no test specified/;

// Each pass_when reads the runner's summary, not only its exit status (detect-python.ts says why).
// node --test reports `# pass N` (TAP) or `ℹ pass N` (spec reporter): one leading character.
const NODE_TEST_PASS = 'exit_code == 0 and regex("(?m)^. pass [1-9]", stdout) != None and regex("(?m)^. fail 0$", stdout) != None';

/** pass_when per test runner named in a test script: tests must have run, and none failed. */
function nodeRunnerPassWhen(script: string): { runner: string; pass_when: string } {
  if (/\bnode\b[^&|;]*--test\b/.test(script)) return { runner: 'node --test', pass_when: NODE_TEST_PASS };
  if (/\bvitest\b/.test(script)) return { runner: 'vitest', pass_when: 'exit_code == 0 and regex("Tests +[0-9]+ passed", stdout) != None' };
  // Jest prints its summary on stderr.
  if (/\bjest\b/.test(script)) return { runner: 'jest', pass_when: 'exit_code == 0 and regex("Tests: +[0-9]+ passed", stderr) != None' };
  if (/\bmocha\b/.test(script)) return { runner: 'mocha', pass_when: 'exit_code == 0 and regex("[1-9][0-9]* passing", stdout) != None and regex("[0-9]+ failing", stdout) == None' };
  if (/\bbun test\b/.test(script)) return { runner: 'bun test', pass_when: 'exit_code == 0 and regex("(?m)^ *[1-9][0-9]* pass$", stderr) != None and regex("(?m)^ *0 fail$", stderr) != None' };
  return { runner: 'its test script', pass_when: 'exit_code == 0' };
}

/** A root test script that runs each workspace's own (`npm test --workspaces`, `pnpm -r test`, …). */
const delegatesToWorkspaces = (script: string): boolean =>
  /\b(?:npm|yarn)\b[^&|;]*\s(?:--workspaces?\b|-ws\b)|\bpnpm\b[^&|;]*\s(?:-r|--recursive)\b|\byarn workspaces\b|\blerna run\b/.test(script);

/** The workspace directories package.json names: `dir/*` globs and plain paths (other globs are skipped). */
function workspaceDirs(pkg: Record<string, unknown>, files: ProjectFiles): string[] {
  const field = pkg.workspaces;
  const patterns = Array.isArray(field) ? field : Array.isArray(record(field).packages) ? (record(field).packages as unknown[]) : [];
  return patterns.filter((p): p is string => typeof p === 'string').flatMap((p) => {
    const dir = p.replace(/^\.\//, '').replace(/\/+$/, '');
    if (dir.endsWith('/*') && !dir.slice(0, -2).includes('*')) return files.list(dir.slice(0, -2)).map((n) => `${dir.slice(0, -2)}/${n}`);
    return dir.includes('*') ? [] : [dir];
  });
}

/**
 * A root script that runs the workspaces' tests: its output is theirs, so the pass_when is the
 * one of their runner when they all use one (tests ran and none failed), else the exit code.
 */
function workspacesPassWhen(pkg: Record<string, unknown>, files: ProjectFiles): { runner: string; pass_when: string } {
  const scripts = workspaceDirs(pkg, files)
    .map((d) => record(record(parseJson(files.read(`${d}/package.json`))).scripts).test)
    .filter((t): t is string => typeof t === 'string' && !NPM_PLACEHOLDER_TEST.test(t));
  const runners = [...new Set(scripts.map((t) => nodeRunnerPassWhen(t).runner))];
  if (scripts.length && runners.length === 1 && runners[0] !== 'its test script') return { ...nodeRunnerPassWhen(scripts[0]!), runner: `${runners[0]} in ${scripts.length} workspace${scripts.length === 1 ? '' : 's'}` };
  return { runner: 'the workspaces\' test scripts', pass_when: 'exit_code == 0' };
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** About a setup of its own: not said of a workspace's package (its root's install covers it). */
export const NO_NPM_LOCK_NOTE = 'no package-lock.json: setup is `npm install`, so each gate run may resolve newer dependencies; commit a lockfile and use `npm ci`';

export function detectNode(files: ProjectFiles): Found | undefined {
  const text = files.read('package.json');
  if (text === undefined) return undefined;
  const pkg = parseJson(text);
  const notes: string[] = [];
  if (!pkg) return { kind: 'node', extra: [], egress: [], notes: ['package.json does not parse as JSON: no gate proposed for it'] };
  const scripts = record(pkg.scripts);
  const deps = { ...record(pkg.dependencies), ...record(pkg.devDependencies) };
  const pm = packageManagerOf(pkg, files);
  const npmLock = files.exists('package-lock.json') || files.exists('npm-shrinkwrap.json');
  const hasDeps = Object.keys(deps).length > 0;
  const setup: Record<PackageManager, string | undefined> = {
    npm: npmLock ? 'npm ci' : hasDeps ? 'npm install --no-audit --no-fund' : undefined,
    pnpm: pmSetupCommand('pnpm', pkg, files),
    yarn: pmSetupCommand('yarn', pkg, files),
    bun: 'bun install --frozen-lockfile',
  };
  if (pm === 'npm' && !npmLock && hasDeps) notes.push(NO_NPM_LOCK_NOTE);
  const newerNode = newerNodeNote(record(pkg.engines).node, files);
  if (newerNode) notes.push(newerNode);
  if (pm === 'bun') notes.push(`bun is not in the workspace image (it has node and npm): switch setup and the gates to npm, or ${imageFix(pm)}`);
  if (pm === 'pnpm' || pm === 'yarn') notes.push(`${pm} is not in the workspace image (it has node and npm): setup installs it with npm into ${PM_DIR} in the checkout (from registry.npmjs.org), and the gates run that one`);
  const berry = pm === 'yarn' && isYarnBerry(pkg, files);
  const run = (script: string) => scriptCommand(pm, script, berry);
  const testScript = typeof scripts.test === 'string' ? scripts.test : undefined;
  let tests: Found['tests'];
  if (testScript && !NPM_PLACEHOLDER_TEST.test(testScript)) {
    const { runner, pass_when } = delegatesToWorkspaces(testScript) ? workspacesPassWhen(pkg, files) : nodeRunnerPassWhen(testScript);
    tests = { description: `The test suite passes (${runner}).`, cmd: run('test'), pass_when, timeout_s: TEST_TIMEOUT_S, why: `package.json scripts.test: ${testScript}` };
  }
  const noTests = tests ? undefined : testScript ? 'package.json scripts.test is npm\'s "no test specified" placeholder: no test gate proposed' : 'package.json has no scripts.test: no test gate proposed';
  const extra: ProposedGate[] = [];
  const typecheck = ['typecheck', 'type-check', 'tsc'].find((s) => typeof scripts[s] === 'string');
  if (typecheck) {
    extra.push({ id: 'typecheck', description: 'The code typechecks.', cmd: run(typecheck), pass_when: 'exit_code == 0', timeout_s: TEST_TIMEOUT_S, why: `package.json scripts.${typecheck}` });
  } else if (files.exists('tsconfig.json') && 'typescript' in deps) {
    extra.push({ id: 'typecheck', description: 'The code typechecks.', cmd: 'npx --no-install tsc --noEmit', pass_when: 'exit_code == 0', timeout_s: TEST_TIMEOUT_S, why: 'tsconfig.json and typescript in devDependencies' });
  }
  const egress = [...(pm === 'yarn' ? ['registry.npmjs.org', 'registry.yarnpkg.com'] : ['registry.npmjs.org']), ...npmRegistryHosts(files)];
  const token = npmTokenNote(files);
  if (token && setup[pm]) notes.push(token);
  const workspaceRoot = workspaceDirs(pkg, files).length > 0 || pkg.workspaces !== undefined || files.exists('pnpm-workspace.yaml');
  return { kind: 'node', tests, extra, setup: setup[pm], egress: setup[pm] ? egress : [], notes, ...(noTests ? { noTests } : {}), ...(workspaceRoot ? { workspaceRoot } : {}) };
}
