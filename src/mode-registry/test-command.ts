/**
 * How to run a project's test suite so that every test's result can be read back: the project's
 * own test command (package.json's test script, pytest or unittest, `go test`, `cargo test`), with
 * the runner's machine-readable reporter switched on. Pure; the check runs the command.
 */
import type { ProjectFiles } from '../config/detect-project.ts';
import type { Lang } from './language.ts';
import { pyPrefix, runScript } from './project-tools.ts';

export type ResultFormat = 'node-events' | 'jest-json' | 'mocha-json' | 'junit-xml' | 'unittest-verbose' | 'go-json' | 'cargo-text';
export type TestCommand = { cmd: string; env: Record<string, string>; format: ResultFormat; why: string };
export type TestCommandContext = { resultsFile: string; nodeReporter: string; pytestAvailable: boolean; nodeOptions?: string };

/** Our node --test reporter: one JSON line per finished test (node ≥ 20 passes `file`). */
export const NODE_REPORTER_SOURCE = `export default async function* peersReporter(source) {
  for await (const ev of source) {
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const d = ev.data;
    yield JSON.stringify({ type: ev.type, name: d.name, nesting: d.nesting, file: d.file, skip: Boolean(d.skip), todo: Boolean(d.todo), suite: d.details?.type === 'suite' }) + '\\n';
  }
}
`;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function withArgs(files: ProjectFiles, args: string): string {
  const base = runScript(files, 'test');
  return base.startsWith('npm ') ? `${base} -- ${args}` : `${base} ${args}`;
}

function jsCommand(files: ProjectFiles, ctx: TestCommandContext): TestCommand | { error: string } {
  let script: unknown;
  try {
    script = (JSON.parse(files.read('package.json') ?? '{}') as { scripts?: Record<string, unknown> }).scripts?.test;
  } catch {
    return { error: 'package.json does not parse' };
  }
  if (typeof script !== 'string' || /no test specified/.test(script)) return { error: 'package.json has no test script' };
  const why = `package.json scripts.test: ${script}`;
  if (/\bnode\b[^&|;]*--test\b/.test(script)) {
    const reporter = `--test-reporter=${ctx.nodeReporter} --test-reporter-destination=${ctx.resultsFile} --test-reporter=spec --test-reporter-destination=stdout`;
    return { cmd: runScript(files, 'test'), env: { NODE_OPTIONS: [ctx.nodeOptions, reporter].filter(Boolean).join(' ') }, format: 'node-events', why };
  }
  if (/\bvitest\b/.test(script)) return { cmd: withArgs(files, `--reporter=json --outputFile=${quote(ctx.resultsFile)}`), env: {}, format: 'jest-json', why };
  if (/\bjest\b/.test(script)) return { cmd: withArgs(files, `--json --outputFile=${quote(ctx.resultsFile)}`), env: {}, format: 'jest-json', why };
  if (/\bmocha\b/.test(script)) return { cmd: withArgs(files, `--reporter json --reporter-option output=${quote(ctx.resultsFile)}`), env: {}, format: 'mocha-json', why };
  return { error: `cannot read single test results from "${script}": no-prior-regression understands node --test, jest, vitest and mocha` };
}

function pythonCommand(files: ProjectFiles, ctx: TestCommandContext): TestCommand {
  const prefix = pyPrefix(files);
  if (ctx.pytestAvailable || prefix) {
    return { cmd: `${prefix}python3 -m pytest -q -p no:cacheprovider --junitxml=${quote(ctx.resultsFile)}`, env: {}, format: 'junit-xml', why: 'pytest' };
  }
  return { cmd: 'python3 -m unittest discover -v', env: {}, format: 'unittest-verbose', why: 'unittest (pytest is not installed)' };
}

export function testCommand(lang: Lang, files: ProjectFiles, ctx: TestCommandContext): TestCommand | { error: string } {
  switch (lang) {
    case 'js':
    case 'ts':
      return jsCommand(files, ctx);
    case 'python':
      return pythonCommand(files, ctx);
    case 'go':
      return { cmd: 'go test -json ./...', env: {}, format: 'go-json', why: 'go.mod' };
    case 'rust':
      return { cmd: 'cargo test --no-fail-fast 2>&1', env: {}, format: 'cargo-text', why: 'Cargo.toml' };
  }
}
