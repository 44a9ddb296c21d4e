/**
 * `no-prior-regression`: no test fails now that passed when the run began, and no test added since
 * fails; tests that already failed at the run's start may keep failing, so a repository with known
 * failures can still be audited. The suite runs at HEAD (the checkout); only when something fails
 * does the check build the run's baseline commit beside it (through check-repo.ts, never a file a
 * peer could write) and run the suite there too. A failure that is new is re-run once at HEAD, so
 * one flaky run does not hold the run; a suite that cannot run at all counts as one failing entry.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectFilesAt } from '../../src/mode-registry/init-project.ts';
import type { Lang } from '../../src/mode-registry/language.ts';
import { NODE_REPORTER_SOURCE, testCommand, type TestCommand } from '../../src/mode-registry/test-command.ts';
import { failing, parseCargoTest, parseGoTestJson, parseJestJson, parseJunitXml, parseMochaJson, parseNodeTestEvents, parseUnittestVerbose, type TestResults } from '../../src/mode-registry/test-results.ts';
import { checkLang } from './check-lang.ts';
import { CheckRepoError, openCheckRepo } from './check-repo.ts';
import { outputTail, runShell, type CommandRun } from './run-command.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import type { Check } from './types.ts';
import { shownName } from '../../src/cli/terminal-text.ts';

/** The entry a suite that produced no result at all (compile error, crash) counts as. */
export const SUITE_DID_NOT_RUN = '(the test suite did not run to completion)';
/** Dependency directories a checkout's setup installed, lent to the baseline's tree. */
const LENT_DIRS = ['node_modules', '.venv', 'venv'];
const LISTED = 30;

type SuiteRun = { results: TestResults; failing: Set<string>; run: CommandRun; cmd: string };

function parseResults(c: TestCommand, run: CommandRun, file: string, root: string): TestResults {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  try {
    switch (c.format) {
      case 'node-events':
        return parseNodeTestEvents(text, root);
      case 'jest-json':
        return text ? parseJestJson(text, root) : new Map();
      case 'mocha-json':
        return text ? parseMochaJson(text, root) : new Map();
      case 'junit-xml':
        return parseJunitXml(text);
      case 'unittest-verbose':
        return parseUnittestVerbose(run.stderr);
      case 'go-json':
        return parseGoTestJson(run.stdout);
      case 'cargo-text':
        return parseCargoTest(run.stdout);
    }
  } catch {
    return new Map();
  }
}

function runSuite(lang: Lang, dir: string, scratch: string, label: string, extraEnv: Record<string, string> = {}): SuiteRun | { error: string } {
  const resultsFile = join(scratch, `${label}-results`);
  const nodeReporter = join(scratch, 'peers-node-reporter.mjs');
  if (!existsSync(nodeReporter)) writeFileSync(nodeReporter, NODE_REPORTER_SOURCE);
  rmSync(resultsFile, { force: true });
  const pytestAvailable = lang === 'python' && runShell('python3 -c "import pytest"', dir).exitCode === 0;
  const c = testCommand(lang, projectFilesAt(dir), { resultsFile, nodeReporter, pytestAvailable, nodeOptions: spawnEnv().NODE_OPTIONS });
  if ('error' in c) return c;
  const run = runShell(c.cmd, dir, { ...c.env, ...extraEnv });
  const results = parseResults(c, run, resultsFile, dir);
  const fails = failing(results);
  if (run.exitCode !== 0 && fails.size === 0) fails.add(SUITE_DID_NOT_RUN);
  return { results, failing: fails, run, cmd: c.cmd };
}

export const noPriorRegression: Check = {
  description: "No test fails that passed at the run's start (or was added since); tests already failing then may still fail.",
  async run(repoDir, opts = {}) {
    const l = checkLang(repoDir, opts.lang);
    if ('error' in l) return { pass: false, report: `no-prior-regression: ${l.error}` };
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'no-prior-regression: the repository has no commit' };
    let baseline;
    try {
      baseline = repo.baseline();
    } catch (error) {
      if (error instanceof CheckRepoError) return { pass: false, report: `no-prior-regression: ${error.message}` };
      throw error;
    }
    const scratch = mkdtempSync(join(tmpdir(), 'peers-regression-'));
    try {
      const now = runSuite(l.lang, repoDir, scratch, 'head');
      if ('error' in now) return { pass: false, report: `no-prior-regression: ${now.error}` };
      const ran = `${now.results.size} test(s) ran (\`${now.cmd}\`)`;
      if (now.failing.size === 0) return { pass: true, report: `no-prior-regression: clean, ${ran}, none failing` };
      if (baseline.sha === head) return { pass: true, report: `no-prior-regression: HEAD is the run's start, so its ${now.failing.size} failing test(s) are all pre-existing; ${ran}` };

      const baseDir = join(scratch, 'baseline');
      repo.materialize(baseline.sha, baseDir);
      for (const d of LENT_DIRS) {
        const src = join(repoDir, d);
        if (lstatSync(src, { throwIfNoEntry: false })?.isDirectory() && !existsSync(join(baseDir, d))) symlinkSync(src, join(baseDir, d));
      }
      const before = runSuite(l.lang, baseDir, scratch, 'baseline', l.lang === 'rust' ? { CARGO_TARGET_DIR: join(scratch, 'baseline-target') } : {});
      if ('error' in before) return { pass: false, report: `no-prior-regression: at the run's start (${baseline.sha.slice(0, 8)}): ${before.error}` };
      const fresh = [...now.failing].filter((id) => !before.failing.has(id));
      if (fresh.length === 0) return { pass: true, report: `no-prior-regression: ${now.failing.size} failing test(s), all already failing at the run's start (${baseline.sha.slice(0, 8)}); ${ran}` };

      const again = runSuite(l.lang, repoDir, scratch, 'head-again');
      const confirmed = 'error' in again ? fresh : fresh.filter((id) => again.failing.has(id));
      if (confirmed.length === 0) return { pass: true, report: `no-prior-regression: ${fresh.length} new failure(s) passed on a second run (flaky: ${fresh.slice(0, 5).join(', ')}); ${ran}` };
      const lines = confirmed.slice(0, LISTED).map((id) => `  ${shownName(id)}  (${before.results.has(id) ? `${before.results.get(id) === 'skip' ? 'skipped' : 'passed'} at the run's start` : 'new since the run began'})`);
      return {
        pass: false,
        report: [
          `no-prior-regression: ${confirmed.length} test(s) fail now that did not fail at the run's start (${baseline.sha.slice(0, 8)}, ${baseline.source === 'run' ? "the run's baseline" : baseline.source === 'tag' ? 'tag peers-baseline' : 'root commit'}); failed twice:`,
          ...lines,
          ...(confirmed.length > LISTED ? [`  … and ${confirmed.length - LISTED} more`] : []),
          `output of \`${now.cmd}\`:`,
          outputTail(again && !('error' in again) ? again.run : now.run, 20),
        ].join('\n'),
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
