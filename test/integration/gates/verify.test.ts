/**
 * `peers verify` end to end: the real CLI entry point, real git repositories, real gate processes.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { waitFor } from '../../wait-for.ts';
import { isRunning } from '../../support/process-state.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];

const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: [cat]
  - name: beta
    tool: custom
    argv: [cat]
`;

function makeRepo(goalsYaml: string, configExtra = ''): string {
  const repo = tempDir('verify-repo-');
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(join(repo, 'status.txt'), 'green\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'initial']);
  mkdirSync(join(repo, '.peers'));
  writeFileSync(join(repo, '.peers', 'config.yaml'), CONFIG + configExtra);
  writeFileSync(join(repo, '.peers', 'goals.yaml'), goalsYaml);
  return repo;
}

function verify(repo: string, ...args: string[]) {
  const res = Bun.spawnSync([process.execPath, MAIN, 'verify', '-C', repo, ...args], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  return { code: res.exitCode, stdout: res.stdout.toString(), stderr: res.stderr.toString() };
}

const STATUS_GOAL = `goals:
  - id: status-green
    type: hard
    cmd: cat status.txt
    pass_when: "stdout.strip() == 'green'"
  - id: has-readme-note
    type: soft
    prompt: is it nice?
    reviewer: other
`;

describe('peers verify', () => {
  test('a retry runs on a fresh checkout: a first attempt that rewrites what the gate reads fools no retry; a flaky gate still passes on its retry', () => {
    const outside = tempDir('verify-attempts-');
    const repo = makeRepo(`goals:
  - id: rewritten
    type: hard
    retry_on_fail: 2
    cmd: grep -qx fixed status.txt; s=$?; echo fixed > status.txt; exit $s
    pass_when: exit_code == 0
  - id: flaky
    type: hard
    retry_on_fail: 1
    cmd: echo x >> ${outside}/flaky; test "$(wc -l < ${outside}/flaky)" -ge 2
    pass_when: exit_code == 0
`, 'setup: echo setup >> ' + outside + '/setups\n');
    const r = verify(repo, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { hard: Array<{ id: string; state: string; diagnostic: string }> };
    const byId = Object.fromEntries(report.hard.map((h) => [h.id, h]));
    expect(byId.rewritten).toMatchObject({ state: 'fail' });
    expect(byId.rewritten!.diagnostic).toContain('(failed 3 attempts, each on a fresh checkout)');
    expect(byId.flaky).toMatchObject({ state: 'pass' });
    // One setup for the first checkout, then one per retry round: both goals in the first, rewritten alone in the second.
    expect(readFileSync(join(outside, 'setups'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  test('all green: exit 0, a table, and VERIFY.md with the result line and the table', () => {
    const repo = makeRepo(STATUS_GOAL, 'verify:\n  commands:\n    - name: lists-files\n      cmd: ls status.txt\n');
    const r = verify(repo);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hard\s+status-green\s+pass/);
    expect(r.stdout).toMatch(/verify\s+lists-files\s+pass/);
    expect(r.stdout).toContain('Result: PASS (hard 1/1, verify.commands 1/1)');
    const md = readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8');
    const head = gitOk(repo, ['rev-parse', 'HEAD']).trim();
    expect(md).toStartWith(`# peers verify — ${repo.split('/').pop()}\n`);
    expect(md).toContain('**Result:** PASS (hard 1/1, verify.commands 1/1)');
    expect(md).toContain(head);
    expect(md).toMatch(/\| id \| state \| duration \(ms\) \| diagnostic \|\n\| --- \| --- \| --- \| --- \|\n\| status-green \| pass \| \d+ \|  \|/);
    expect(md).toMatch(/\| lists-files \| pass \| \d+ \|  \|/);
  });

  test('a failing gate: exit 1, the diagnostic in the table and VERIFY.md (pipes escaped, newlines flattened)', () => {
    const repo = makeRepo(`goals:
  - id: status-green
    type: hard
    cmd: "printf 'a|b\\\\nred\\\\n'; exit 1"
    pass_when: exit_code == 0
`, 'verify:\n  commands:\n    - cmd: echo boom >&2; exit 4\n');
    const r = verify(repo);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Result: FAIL (hard 0/1, verify.commands 0/1)');
    const md = readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8');
    expect(md).toContain('**Result:** FAIL (hard 0/1, verify.commands 0/1)');
    expect(md).toContain("| status-green | fail |");
    // Diagnostics and command ids are code spans (src/cli/inert-markdown.ts), their pipes still escaped.
    expect(md).toContain("`pass_when returned False; exit_code=1; stdout-tail='a\\|b\\nred\\n'` |");
    expect(md).toContain("| `echo boom >&2; exit 4` | fail |");
    expect(md).toContain("exit=4; stderr-tail='boom\\n'` |");
  });

  test('only committed content counts: a dirty working tree neither fixes nor breaks the result', () => {
    const repo = makeRepo(STATUS_GOAL);
    writeFileSync(join(repo, 'status.txt'), 'red (uncommitted)\n');
    expect(verify(repo).code).toBe(0);
    gitOk(repo, [...ID, 'commit', '-q', '-am', 'now red']);
    writeFileSync(join(repo, 'status.txt'), 'green\n');
    const r = verify(repo);
    expect(r.code).toBe(1);
    expect(readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8')).toContain("stdout-tail='red (uncommitted)\\n'");
    // The user's edit is still there.
    expect(readFileSync(join(repo, 'status.txt'), 'utf8')).toBe('green\n');
  });

  test('the user\'s repository is left exactly as it was: status, index, HEAD, branch, worktrees', () => {
    const repo = makeRepo(`goals:
  - id: sees-only-committed
    type: hard
    cmd: "touch made-by-gate; git add made-by-gate; ls"
    pass_when: "'status.txt' in stdout and 'untracked' not in stdout and 'staged' not in stdout"
`);
    writeFileSync(join(repo, 'untracked.txt'), 'u\n');
    writeFileSync(join(repo, 'staged.txt'), 's\n');
    gitOk(repo, ['add', 'staged.txt']);
    writeFileSync(join(repo, 'status.txt'), 'edited, not staged\n');
    const snapshot = () => ({
      status: gitOk(repo, ['status', '--porcelain=v1', '--branch', '--untracked-files=all']),
      index: gitOk(repo, ['ls-files', '--stage']),
      head: gitOk(repo, ['rev-parse', 'HEAD']),
      worktrees: gitOk(repo, ['worktree', 'list', '--porcelain']),
      stash: gitOk(repo, ['stash', 'list']),
    });
    const before = snapshot();
    const r = verify(repo);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(snapshot()).toEqual(before);
    expect(existsSync(join(repo, 'made-by-gate'))).toBe(false);
    expect(readFileSync(join(repo, 'status.txt'), 'utf8')).toBe('edited, not staged\n');
  });

  test('goals that run the project code run one at a time, each on its own copy of the checkout, whatever --jobs says (two goals that wait for each other never meet)', () => {
    const meet = mkdtempSync(join(tmpdir(), 'verify-meet-'));
    // Each goal marks its start, then passes only if the other one has started within 3 s.
    const waiter = (me: string, other: string) => `  - id: ${me}
    type: hard
    cmd: "touch ${meet}/${me}; for i in $(seq 30); do [ -e ${meet}/${other} ] && exit 0; sleep 0.1; done; exit 1"
    pass_when: exit_code == 0
`;
    const repo = makeRepo(`goals:\n${waiter('left', 'right')}${waiter('right', 'left')}`);
    // Side by side, a gate running the peers' code could write into the other's tree
    // (SECURITY.md, "Each gate starts from the state right after setup"): the first waits in vain;
    // the second finds the first's mark.
    const together = verify(repo, '--jobs', '2', '--json');
    expect(together.code).toBe(1);
    expect(JSON.parse(together.stdout).hard.map((h: { id: string; state: string }) => `${h.id}:${h.state}`)).toEqual(['left:fail', 'right:pass']);
  });

  test('Ctrl-C stops the running gate and what it started, removes the checkout, writes no VERIFY.md, exit 130', async () => {
    const marks = mkdtempSync(join(tmpdir(), 'verify-marks-'));
    const repo = makeRepo(`goals:
  - id: long-suite
    type: hard
    cmd: "sleep 60 & echo $! > ${marks}/child; echo $$ > ${marks}/shell; pwd > ${marks}/cwd; wait"
    pass_when: exit_code == 0
`);
    const proc = Bun.spawn([process.execPath, MAIN, 'verify', '-C', repo], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    await waitFor('the gate to start in its checkout (marks/cwd)', () => existsSync(join(marks, 'cwd')) && readFileSync(join(marks, 'cwd'), 'utf8').endsWith('\n'), 15_000);
    const checkout = readFileSync(join(marks, 'cwd'), 'utf8').trim();
    expect(existsSync(checkout)).toBe(true);
    proc.kill('SIGINT');
    expect(await proc.exited).toBe(130);
    expect(await new Response(proc.stderr).text()).toContain('interrupted by SIGINT');
    for (const name of ['shell', 'child']) {
      const pid = readFileSync(join(marks, name), 'utf8').trim();
      // The group was sent SIGKILL; a killed process leaves /proc asynchronously (on a loaded
      // machine it can still be listed right after verify exits). One left running fails this.
      await waitFor(`the gate's ${name} (pid ${pid}) to be gone`, () => !isRunning(pid), 5_000);
    }
    expect(existsSync(checkout)).toBe(false);
    expect(gitOk(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
    expect(existsSync(join(repo, '.peers', 'VERIFY.md'))).toBe(false);
  });

  test('a symlink planted at .peers/VERIFY.md is refused (exit 2, with the fix), never written through', () => {
    const repo = makeRepo(STATUS_GOAL);
    const target = join(mkdtempSync(join(tmpdir(), 'verify-target-')), 'elsewhere.md');
    symlinkSync(target, join(repo, '.peers', 'VERIFY.md'));
    const r = verify(repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(repo, '.peers', 'VERIFY.md')}: refusing to use`);
    expect(r.stderr).toContain('hint: remove it');
    expect(r.stderr).not.toContain('internal error');
    expect(existsSync(target)).toBe(false);
  });

  test('--json reports every goal and the file written', () => {
    const repo = makeRepo(STATUS_GOAL);
    const r = verify(repo, '--json', '--jobs', '1');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, hard: [{ id: 'status-green', state: 'pass', cached: false }], commands: [], verify_file: join(repo, '.peers', 'VERIFY.md') });
  });

  test('a setup command runs in the checkout before the gates', () => {
    const repo = makeRepo(`goals:
  - id: deps-installed
    type: hard
    cmd: cat node_modules/marker
    pass_when: "'installed' in stdout"
`, 'setup: mkdir -p node_modules && echo installed > node_modules/marker\n');
    const r = verify(repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/setup\s+setup\s+pass/);
  });

  test('a failing setup command fails verify without running any gate', () => {
    const marks = mkdtempSync(join(tmpdir(), 'verify-setup-'));
    const repo = makeRepo(`goals:
  - id: needs-deps
    type: hard
    cmd: touch ${marks}/gate-ran
    pass_when: exit_code == 0
`, 'setup: echo registry unreachable >&2; exit 3\n');
    const r = verify(repo, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.setup).toMatchObject({ id: 'setup', state: 'fail' });
    expect(report.setup.diagnostic).toBe("exit=3; stderr-tail='registry unreachable\\n'");
    expect(report.hard).toMatchObject([{ id: 'needs-deps', state: 'fail', diagnostic: 'not run: setup failed' }]);
    expect(existsSync(join(marks, 'gate-ran'))).toBe(false);
  });

  test('setup exits 1: the gates read "not run", not FAIL; setup\'s failure and its output are said once; verify still fails (exit 1, never PASS)', () => {
    const repo = makeRepo(`goals:
  - id: tests-pass
    type: hard
    cmd: 'true'
    pass_when: exit_code == 0
  - id: lint-clean
    type: hard
    cmd: 'true'
    pass_when: exit_code == 0
`, 'setup: echo "npm ERR! 404 left-pad@9 not found" >&2; exit 1\nverify:\n  commands:\n    - cmd: "true"\n');
    const r = verify(repo);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n');
    expect(rows.find((l) => l.startsWith('setup '))).toMatch(/^setup\s+setup\s+FAIL\s+\d+\s+exit=1/);
    for (const id of ['tests-pass', 'lint-clean']) expect(rows.find((l) => l.startsWith(`hard    ${id}`))).toMatch(/not run\s+0\s+setup failed \(its row and output above\)$/);
    expect(rows.find((l) => l.startsWith('verify '))).toMatch(/not run\s+0\s+setup failed/);
    // No gate reads FAIL: the only FAIL row is setup's, and its output is printed once.
    expect(rows.filter((l) => /\bFAIL\b/.test(l) && !l.startsWith('Result:'))).toHaveLength(1);
    // What failed printed: setup's output, once; no gate has any (none ran).
    const printed = r.stdout.slice(r.stdout.indexOf('What the failures printed'), r.stdout.indexOf('Result:'));
    expect(printed.split('\n').filter((l) => /^  \S/.test(l))).toEqual(['  setup: echo "npm ERR! 404 left-pad@9 not found" >&2; exit 1']);
    expect(printed.split('      npm ERR! 404 left-pad@9 not found').length - 1).toBe(1);
    expect(r.stdout).toContain('Result: FAIL: setup failed, so no gate ran (3 not run; the code was not judged)');
    expect(r.stdout).not.toContain('PASS');
    const md = readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8');
    expect(md).toContain('| tests-pass | not run | 0 | setup failed (its row and output above) |');
    expect(md).toContain('**Result:** FAIL: setup failed');
  });

  // A suite that makes a repository and commits in it passed under the user's identity and failed
  // in every gate with "Please tell me who you are": the fresh HOME hides the user's, the pod has none.
  test("a gate whose test commits in a repository of its own has a git identity; a test's own identity still wins", () => {
    const goals = `goals:
  - id: commits
    type: hard
    cmd: d=$(mktemp -d) && git init -q "$d" && git -C "$d" commit -q --allow-empty -m t && git -C "$d" log -1 --format=%an
    pass_when: "exit_code == 0 and stdout.strip() == 'peers gate'"
  - id: own-identity-wins
    type: hard
    cmd: d=$(mktemp -d) && git init -q "$d" && git -C "$d" config user.name tester && git -C "$d" commit -q --allow-empty -m t && git -C "$d" log -1 --format=%an
    pass_when: "exit_code == 0 and stdout.strip() == 'tester'"
`;
    const repo = makeRepo(goals);
    const home = tempDir('verify-no-identity-home-');
    // The user has no identity anywhere: no global config, no GIT_* or EMAIL variables.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GIT_(AUTHOR|COMMITTER)_|GIT_CONFIG|EMAIL$)/.test(k)));
    const res = Bun.spawnSync([process.execPath, MAIN, 'verify', '-C', repo], { stdout: 'pipe', stderr: 'pipe', env: { ...env, NO_COLOR: '1', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1' } });
    const out = res.stdout.toString() + res.stderr.toString();
    expect(out).not.toContain('tell me who you are');
    expect(res.exitCode).toBe(0);
  });

  test('a repository without commits is bad input (exit 2) with a hint', () => {
    const repo = mkdtempSync(join(tmpdir(), 'verify-empty-'));
    gitOk(repo, ['init', '-q']);
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers', 'config.yaml'), CONFIG);
    writeFileSync(join(repo, '.peers', 'goals.yaml'), STATUS_GOAL);
    const r = verify(repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no commits yet');
    expect(r.stderr).toContain('commit your work');
  });

  test('an unparsable pass_when is reported with file and line, exit 2, before anything runs', () => {
    const repo = makeRepo(`goals:
  - id: broken
    type: hard
    cmd: touch ran-anyway
    pass_when: "exit_code == "
`);
    const r = verify(repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/goals\.yaml:5/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

test('a directory that is not a git repository is bad input (exit 2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-nogit-'));
  mkdirSync(join(dir, '.peers'));
  writeFileSync(join(dir, '.peers', 'config.yaml'), CONFIG);
  writeFileSync(join(dir, '.peers', 'goals.yaml'), STATUS_GOAL);
  const r = verify(dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('is not a git repository');
});
