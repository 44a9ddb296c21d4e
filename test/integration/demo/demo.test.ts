/**
 * `peers demo`, the README's first line, run as a user runs it (`bun src/main.ts demo --json`):
 * the real claude and codex CLIs, the scripted model server, the real loop and gates. It must
 * converge, leave a repository whose tests really pass, with handoff commits by both peers, and
 * account for exactly the tokens (and claude's USD) the scenario served.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCommits } from '../../../src/git/commits.ts';
import { gitOk } from '../../../src/git/git.ts';
import { isHandoffCommit } from '../../../src/loop/handoff-check.ts';
import { demoScenario } from '../../../apps/demo/demo-scenario.ts';
import { BASELINE_TAG } from '../../../src/mode-registry/init-project.ts';
import { readRunLog, tickLines } from '../../../src/state/run-log.ts';
import { ZERO_USAGE, type Scenario } from '../../../src/model-server/scenario-schema.ts';
import { loadScenarioFile } from '../../../src/model-server/load-scenario.ts';
import { requires } from '../../requirements.ts';

const REPO = join(import.meta.dir, '../../..');
const BUN = join(REPO, 'node_modules/.bin/bun');

type Cli = { code: number; stdout: string; stderr: string };

async function peers(args: string[], env: Record<string, string>): Promise<Cli> {
  const child = Bun.spawn([BUN, join(REPO, 'src/main.ts'), ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 115_000);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** What the scenario serves, computed from the file itself (not from the server's log). */
function scenarioFigures(s: Scenario): { tokens: number; claudeUsd: number } {
  let tokens = 0;
  let claudeUsd = 0;
  for (const [peer, p] of Object.entries(s.peers)) {
    for (const tick of p.ticks) {
      for (const reply of tick.replies) {
        if ('fault' in reply) continue;
        const u = reply.usage ?? s.default_usage ?? ZERO_USAGE;
        tokens += u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
        if (peer === 'claude') {
          const price = s.prices['claude-opus-5-5']!;
          claudeUsd += (u.input_tokens * price.input + u.output_tokens * price.output + u.cache_read_tokens * price.cache_read + u.cache_write_tokens * price.cache_write) / 1e6;
        }
      }
    }
  }
  return { tokens, claudeUsd };
}

/** `node --test` on a fresh clone of `rev`: what the tests say about that commit alone. */
function testsPassAt(project: string, rev: string): boolean {
  const clone = mkdtempSync(join(tmpdir(), 'peers-demo-clone-'));
  try {
    gitOk(tmpdir(), ['clone', '--quiet', '--no-checkout', project, clone]);
    gitOk(clone, ['checkout', '--quiet', '--detach', rev]);
    return spawnSync('node', ['--test'], { cwd: clone, encoding: 'utf8', timeout: 30_000 }).status === 0;
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

const root = requires('root');

describe('peers demo', () => {
  let scratch: string;
  let home: Record<string, string>;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'peers-demo-test-'));
    chmodSync(scratch, 0o755); // as root, the demo hands --dir to an unprivileged user, who must reach it
    mkdirSync(join(scratch, 'home'));
    // A scratch HOME/XDG: the demo must not need (or touch) the developer's own state.
    home = { HOME: join(scratch, 'home'), XDG_CONFIG_HOME: join(scratch, 'home/.config'), XDG_STATE_HOME: join(scratch, 'home/.local/state') };
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('converges with real commits by both peers, passing tests, and exact token accounting', async () => {
    const dir = join(scratch, 'demo');
    // --host: this file proves the host run (the pod run is demo-pod.test.ts's).
    const run = await peers(['demo', '--json', '--host', '--dir', dir], home);
    if (run.code !== 0) console.error(run.stderr.slice(-3000), run.stdout.slice(-3000));
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.ok).toBe(true);
    expect(out.stop_reason).toBe('complete');
    expect(out.kept).toBe(true);
    expect(out).toMatchObject({ launcher: 'host', sandboxed: false, notice: 'running on the host as asked (--host): not sandboxed' });
    expect(run.stderr).toContain('peers demo: running on the host as asked (--host): not sandboxed');

    // Progress: one line per tick on stderr, the gates judged at each tick's commit.
    expect(run.stderr).toMatch(/^ {2}start +[0-9a-f]{8} +gates: tests-pass FAIL/m);
    // claude fixes, codex adds tests (claude vouched for a test-only turn), claude approves those
    // tests (the gate's surface), then each peer re-audits the other's change as the skeptic.
    expect(out.ticks.map((t: { peer: string; skeptic: boolean; result: string }) => [t.peer, t.skeptic, t.result])).toEqual([
      ['claude', false, 'handoff'],
      ['codex', false, 'handoff'],
      ['claude', false, 'handoff'],
      ['codex', true, 'handoff'],
      ['claude', true, 'handoff'],
    ]);
    expect(out.ticks.at(-1).gates).toEqual({ 'tests-pass': 'pass', 'self-review-on-handoff': 'pass' });

    // The repository: the bug was real (tests fail at the baseline) and is fixed at HEAD.
    const project: string = out.project;
    expect(testsPassAt(project, BASELINE_TAG)).toBe(false);
    expect(testsPassAt(project, 'HEAD')).toBe(true);
    expect(gitOk(project, ['status', '--porcelain'])).toBe('');

    // Every peer commit is a valid handoff, and both peers made one.
    const commits = listCommits(project, `${BASELINE_TAG}..HEAD`, {});
    expect(commits.map((c) => c.trailers.get('Peer'))).toEqual(['claude', 'codex', 'claude', 'codex', 'claude']);
    expect(commits[2]!.trailers.get('Peer-Review-Of')).toBe(commits[1]!.sha);
    for (const c of commits) expect(isHandoffCommit(c, c.trailers.get('Peer')!)).toBe(true);
    // No git identity anywhere (the sample repository sets none; the loop's HOME has no .gitconfig):
    // the peers committed under git_author's names and the documented default address.
    expect(spawnSync('git', ['-C', project, 'config', '--local', '--get', 'user.email']).status).toBe(1);
    expect(gitOk(project, ['log', '--format=%an <%ae>|%cn <%ce>', `${BASELINE_TAG}..HEAD`]).trim().split('\n').reverse()).toEqual(
      ['claude', 'codex', 'claude', 'codex', 'claude'].map((p) => `${p} (peers demo) <${p}@peers.invalid>|${p} (peers demo) <${p}@peers.invalid>`),
    );
    expect(gitOk(project, ['diff', '--name-only', `${BASELINE_TAG}..HEAD`]).trim().split('\n').sort()).toEqual(['src/chunk.mjs', 'test/chunk-edges.test.mjs']);

    // Tokens: the loop's total = the server's = the scenario's own figures; USD = claude's bill.
    const expected = scenarioFigures(demoScenario());
    expect(out.tokens).toEqual({ loop: expected.tokens, served: expected.tokens });
    const perTick = tickLines(readRunLog(join(out.state_dir, 'runs.jsonl'))).reduce((n, t) => n + Number(t.tokens_this_tick), 0);
    expect(perTick).toBe(expected.tokens);
    expect(out.usd.loop).toBeCloseTo(expected.claudeUsd, 5);
    expect(out.served.claude.cost_usd).toBeCloseTo(expected.claudeUsd, 9);

    // The report was printed into the JSON and saved; the suggested follow-up command works.
    expect(out.report).toContain('**Outcome:** complete');
    // The run's commits and bug ledger, as `peers report` shows them (once said "could not be read").
    expect(out.report).toMatch(/^- \d+ commit\(s\); \d+ file\(s\) changed/m);
    expect(out.report).toContain('src/chunk.mjs');
    expect(out.report).not.toContain('could not be read');
    expect(existsSync(join(out.state_dir, 'REPORT.md'))).toBe(true);
    const statusLine: string = out.next_steps[0];
    expect(statusLine).toStartWith('peers status ');
    const status = await peers([...statusLine.split(' ').slice(1), '--json'], home);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).last_stop.reason).toBe('complete');
    // The last step hands over the scenario the model played: the one a user of the binary alone
    // can start a `peers up --rehearse` of their own from. It is there, and it is a valid scenario.
    const scenarioFile = join(dir, 'model-server', 'scenario.yaml');
    expect(out.next_steps.at(-1)).toStartWith(`cp ${scenarioFile} my-scenario.yaml   # `);
    expect(loadScenarioFile(scenarioFile).peers).toEqual(demoScenario().peers);
  }, 120_000);

  test('plain `peers demo` prints progress, the report and what next, and removes its temporary directory', async () => {
    const tmp = join(scratch, 'tmp');
    mkdirSync(tmp, { mode: 0o755 });
    const run = await peers(['demo'], { ...home, TMPDIR: tmp });
    if (run.code !== 0) console.error(run.stderr.slice(-3000), run.stdout.slice(-3000));
    expect(run.code).toBe(0);
    // Where it runs is said up front: as root, handed to the unprivileged user's pod, or why not.
    expect(run.stdout).toMatch(/^peers demo: sample project .* \((in the sandbox pod|on the host)\)/m);
    if (process.getuid?.() === 0) expect(run.stdout).toMatch(/^peers demo: (running as root: the demo runs as the unprivileged user \S+, in its rootless sandbox pod|not sandboxed: )/m);
    const lines = run.stdout.split('\n');
    expect(lines.filter((l) => /^ {2}tick \d/.test(l)).map((l) => l.replace(/^ {2}tick (\d) +[0-9a-f]{8} +(\S+( \(skeptic\))?): (\S+) .*$/, '$1 $2 $4'))).toEqual([
      '1 claude handoff',
      '2 codex handoff',
      '3 claude handoff',
      '4 codex (skeptic) handoff',
      '5 claude (skeptic) handoff',
    ]);
    expect(run.stdout).toContain('# peers report — chunk-list');
    expect(run.stdout).toContain('**Outcome:** complete');
    expect(run.stdout).not.toContain('could not be read');
    expect(run.stdout).toMatch(/Tokens: [\d,]+ \(model server served [\d,]+\)/);
    expect(run.stdout).toContain('rerun with --keep');
    expect(run.stdout).not.toContain('peers status /');
    expect(readdirSync(tmp).filter((f) => f.startsWith('peers-demo-'))).toEqual([]);
  }, 120_000);

  test.skipIf(!root.ok)(`as root without the unprivileged user: says why it is not sandboxed, then names the missing user (exit 1)${root.skipped}`, async () => {
    const auto = await peers(['demo', '--json'], { ...home, PEERS_TEST_USER: 'no-such-peers-user' });
    expect(auto.code).toBe(1);
    expect(auto.stderr).toContain("peers demo: not sandboxed: this is root and the unprivileged user 'no-such-peers-user' does not exist");
    expect(auto.stderr).toContain('useradd -m no-such-peers-user');
    const pod = await peers(['demo', '--pod'], { ...home, PEERS_TEST_USER: 'no-such-peers-user' });
    expect(pod.code).toBe(1);
    expect(pod.stderr).toContain("cannot run the demo in the sandbox pod: this is root and the unprivileged user 'no-such-peers-user' does not exist");
  }, 20_000);

  test('refuses a --dir that already holds files, naming it, with exit 2', async () => {
    const dir = join(scratch, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep-me.txt'), 'mine\n');
    const run = await peers(['demo', '--dir', dir], home);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${dir}: the --dir directory is not empty`);
    expect(run.stderr).not.toMatch(/^\s+at\s/m);
    expect(existsSync(join(dir, 'keep-me.txt'))).toBe(true);
  }, 20_000);
});
