/**
 * `expensive: true` goals through the real loop on real git repositories (docs/ARCHITECTURE.md,
 * "Expensive gates"; SECURITY.md): measured in the background while the next peer works, recorded
 * against the commit they judged, and measured fresh at the converging HEAD before `complete`. The
 * attacks: a fix committed then reverted before convergence; a pass of one commit shown as another's;
 * a background job left running when the run stops; an expensive gate that times out or whose probe
 * crashes.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { probeGates, type GateProbe } from '../../../src/loop/shell/gate-probe.ts';
import { processIdentity } from '../../../src/proc/proc-table.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { formatStatus, statusJson } from '../../../src/report/status-text.ts';
import { buildReportModel } from '../../../src/report/report-model.ts';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { renderHtml } from '../../../src/report/render-html.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { loop, makeProject, state, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const CHEAP = { id: 'lint', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' };
const SLOW_SUITE = { id: 'slow-suite', type: 'hard', cmd: 'test -f fixed.txt', pass_when: 'exit_code == 0', expensive: true };
// Two clean ticks: alice's fix alone cannot converge; bob's revert is the second.
const quick = { convergence_n: 2 };

type GateTimeLine = { sync: string[]; background: { id: string; head: string; state: string }[]; running: { head: string; ids: string[] } | null };
const gateTimeOf = (t: Record<string, unknown>) => t.gate_time as GateTimeLine;
const hasFix = (repo: string, sha: string) => gitOk(repo, ['ls-tree', '--name-only', sha]).split('\n').includes('fixed.txt');

async function waitFor(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

const alive = (pid: number) => {
  const id = processIdentity(pid);
  return id !== null && !id.zombie;
};

describe('expensive gates converge only on a pass at the converging HEAD', () => {
  test('a fix committed then reverted before convergence never completes the run, though the fix commit passed in the background', async () => {
    p = makeProject({ peers: { alice: 'fix-then-revert', bob: 'fix-then-revert' }, goals: [CHEAP, SLOW_SUITE], goalsSettings: quick });
    const out = await loop(p, { maxTicks: 6, noSkeptic: true });
    expect(out.reason).not.toBe('complete');
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    const fix = t[0]!.head_after as string;
    const revert = t[1]!.head_after as string;
    expect(hasFix(p.repo, fix)).toBe(true);
    expect(hasFix(p.repo, revert)).toBe(false);
    // The fix commit did pass, measured in the background while bob reverted it.
    const background = t.flatMap((x) => gateTimeOf(x).background);
    expect(background).toContainEqual(expect.objectContaining({ id: 'slow-suite', head: fix, state: 'pass' }));
    // No tick ever showed that pass as the state of another commit.
    for (const x of t) {
      const g = x.gates as { head: string; hard: Record<string, string> };
      if (g.hard['slow-suite'] === 'pass') expect(g.head).toBe(fix);
      expect(hasFix(p.repo, g.head) || g.hard['slow-suite'] !== 'pass').toBe(true);
    }
    // The converging HEAD was measured fresh, synchronously, and failed: that is what holds the run.
    const s = state(p);
    expect(s.gates.expensive?.['slow-suite']).toMatchObject({ state: 'fail' });
    expect(hasFix(p.repo, s.gates.expensive!['slow-suite']!.head)).toBe(false);
    expect(t.some((x) => gateTimeOf(x).sync.includes('slow-suite'))).toBe(true);
    // status --json and the report say the same, per commit.
    const j = statusJson(readRunSummary(p.stateDir));
    expect(j.gates.results['slow-suite']?.state ?? 'unknown').not.toBe('pass');
    expect(j.gates.time.length).toBe(t.length);
    expect(j.gates.expensive['slow-suite']!.head).not.toBe(fix);
  });

  test('control: the same peers keeping the fix complete, and the expensive gate passed at exactly the converging HEAD', async () => {
    p = makeProject({ peers: { alice: 'fix-then-revert', bob: 'fix-then-revert' }, goals: [CHEAP, SLOW_SUITE], goalsSettings: quick });
    const out = await loop(p, { maxTicks: 6, noSkeptic: true, env: { ...process.env, KEEP_FIX: '1' } });
    expect(out.reason).toBe('complete');
    const s = state(p);
    const head = gitOk(p.repo, ['rev-parse', 'HEAD']).trim();
    expect(s.gates.head).toBe(head);
    expect(s.gates.results['slow-suite']?.state).toBe('pass');
    expect(s.gates.expensive?.['slow-suite']).toMatchObject({ head, state: 'pass' });
  });
});

describe('anti-cheat sees expensive gates', () => {
  test('a test-only turn that turns an expensive gate from red to green is reverted at once, as for a cheap gate', async () => {
    const gamed = { ...SLOW_SUITE, cmd: 'test -f test/gamed.test.js' };
    p = makeProject({ peers: { alice: 'test-only', bob: 'always-handoff' }, goals: [CHEAP, gamed], goalsSettings: quick });
    await loop(p, { maxTicks: 1 });
    const t = ticks(p)[0]!;
    expect((t.anti_cheat as { action: string }).action).toBe('revert');
    expect(gitOk(p.repo, ['log', '--format=%s', '-n', '1'])).toMatch(/^Anti-cheating revert: it turned slow-suite from red to green/);
  });
});

describe('the report shows gate time per tick', () => {
  test('each tick line says which gates ran before the turn and which in the background, and the report renders it', async () => {
    p = makeProject({ peers: { alice: 'fix-then-revert', bob: 'fix-then-revert' }, goals: [CHEAP, SLOW_SUITE], goalsSettings: quick });
    await loop(p, { maxTicks: 4, noSkeptic: true });
    const t = ticks(p);
    // The first tick measured the cheap gate before the turn and started the expensive one beside it.
    expect(gateTimeOf(t[0]!).sync).toEqual(['lint']);
    const started = t.map((x) => gateTimeOf(x)).filter((g) => g.running || g.background.length);
    expect(started.length).toBeGreaterThan(0);
    const model = buildReportModel({ summary: readRunSummary(p.stateDir), project: 'demo', generatedAt: new Date().toISOString(), history: null, egress: null });
    const md = renderMarkdown(model);
    expect(md).toContain('### Gate time per tick');
    expect(md).toMatch(/\| 1 \| alice \| [0-9.]+ s \(lint\) \|/);
    expect(md).toMatch(/slow-suite@[0-9a-f]{8} (pass|fail)/);
    // `peers status` says where the gate time went and what the expensive gate last found, at which commit.
    const text = formatStatus(readRunSummary(p.stateDir));
    expect(text).toMatch(/^Gate time: [0-9.]+ s before the turns, [0-9.]+ s in the background; tick 4: [0-9.]+ s before the turn/m);
    expect(text).toMatch(/^  slow-suite \(expensive\): last measured (pass|fail) at (HEAD|[0-9a-f]{8}, an earlier commit), [0-9.]+ s/m);
    // The HTML report has the same table, newest tick first.
    const html = renderHtml(model);
    expect(html).toContain('<h3>Gate time per tick</h3>');
    expect(html).toMatch(/<table id="gate-time">.*<tr><td class="num">1<\/td><td>alice<\/td><td class="num">[0-9.]+ s<\/td><td>lint<\/td>/s);
    expect(html).toMatch(/slow-suite@[0-9a-f]{8} (pass|fail)/);
  });
});

describe('fail closed', () => {
  test('an expensive gate that times out holds the run: never complete, and the timeout is the diagnostic', async () => {
    const hangs = { ...SLOW_SUITE, cmd: 'sleep 30', timeout_s: 1 };
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [CHEAP, hangs], goalsSettings: quick });
    const out = await loop(p, { maxTicks: 4, noSkeptic: true });
    expect(out.reason).toBe('max_ticks');
    const s = state(p);
    expect(s.gates.expensive?.['slow-suite']).toMatchObject({ state: 'fail' });
    expect(s.gates.expensive!['slow-suite']!.diagnostic).toContain('timeout after 1s');
  });

  test('an expensive gate whose probe crashes holds the run: the crash is a failure of that commit', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [CHEAP, { ...SLOW_SUITE, cmd: 'true' }], goalsSettings: quick });
    // The pod's probe throws when its runner fails; here the same failure for the expensive goal only.
    const crashing: GateProbe = async (o) => {
      if (o.goals.some((g) => g.expensive)) throw new Error('gates container exited (137)');
      return probeGates(o);
    };
    const out = await loop(p, { maxTicks: 4, noSkeptic: true, gateProbe: crashing });
    expect(out.reason).toBe('max_ticks');
    const s = state(p);
    expect(s.gates.expensive?.['slow-suite']).toMatchObject({ state: 'fail' });
    expect(s.gates.expensive!['slow-suite']!.diagnostic).toContain('gates container exited (137)');
  });
});

describe('no orphans', () => {
  test('a background job still running when the run is stopped is killed with its process group before the loop returns', async () => {
    p = makeProject({ peers: { alice: 'slow-steps', bob: 'slow-steps' }, goals: [CHEAP], goalsSettings: quick });
    const pids = join(p.root, 'gate-pids');
    // The gate and a child of it record their pids, then wait far longer than the test.
    const hangs = { ...SLOW_SUITE, cmd: `sleep 600 & echo "$$ $!" > ${pids}; wait`, timeout_s: 900 };
    writeFileSync(join(p.repo, '.peers', 'goals.yaml'), stringify({ goals: [CHEAP, hangs] }));
    const stop = new AbortController();
    const run = loop(p, { maxTicks: 50, noSkeptic: true, signal: stop.signal });
    await waitFor(() => existsSync(pids) && readFileSync(pids, 'utf8').trim().split(' ').length === 2, 'the background gate to start');
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
    expect(alive(shell)).toBe(true);
    expect(alive(sleeper)).toBe(true);
    // The loop's child tracking knows the job (the next loop would reap it after a crash).
    const group = processIdentity(shell)!.pgid;
    const tracked = JSON.parse(readFileSync(statePaths(p.stateDir).children, 'utf8')) as { children: { pgid: number }[] };
    expect(tracked.children.map((c) => c.pgid)).toContain(group);
    stop.abort();
    const out = await run;
    expect(out.reason).toBe('interrupted');
    // The group was killed; a killed process leaves /proc asynchronously (on a loaded machine it
    // can be listed a moment after the loop returns). One left running fails this.
    await waitFor(() => !alive(shell) && !alive(sleeper), 'the background gate and its child to die', 5_000);
  });
});
