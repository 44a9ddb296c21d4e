/**
 * The loop's hard gates run on a clean checkout of HEAD, after the project's `setup` command has
 * installed their dependencies there; a stop request during a long gate ends the run promptly.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildReportModel } from '../../../src/report/report-model.ts';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { formatStatus } from '../../../src/report/status-text.ts';
import { exits, loop, makeProject, spawnLoopCli, state, stopReason, ticks, writeConfig, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('gates once per HEAD', () => {
  test('a HEAD is evaluated once, however many ticks see it (baseline quirk: the doubled evaluation)', async () => {
    p = makeProject({ peers: { alice: 'crash', bob: 'crash' }, budget: { max_consecutive_failures: 99 } });
    const seen = join(p.root, 'evaluated-heads.txt');
    const goals = [{ id: 'records-head', type: 'hard', cmd: `git rev-parse HEAD >> ${seen}`, pass_when: 'exit_code == 0' }];
    writeFileSync(join(p.repo, '.peers', 'goals.yaml'), stringify({ goals }));
    await loop(p, { maxTicks: 3 }); // three failed turns: HEAD never moves
    expect(ticks(p).length).toBe(3);
    expect(readFileSync(seen, 'utf8').trim().split('\n')).toHaveLength(1);
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    // The accepted control-plane change re-judges the unchanged HEAD once (its earlier verdict was
    // under the old config); then two new HEADs, each evaluated once (the last one at the stop).
    await loop(p, { maxTicks: 2, acceptChanges: true });
    const heads = readFileSync(seen, 'utf8').trim().split('\n');
    expect(heads).toHaveLength(4);
    expect(heads[1]).toBe(heads[0]!);
    expect(new Set(heads).size).toBe(3);
  });

  test('the gate probe is swappable (the pod runs gates in its gates container) and gets HEAD, goals and setup', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, setup: 'npm ci', goals: [{ id: 'remote', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' }] });
    const asked: Array<{ head: string; goals: string[]; setup?: string }> = [];
    await loop(p, {
      maxTicks: 1,
      gateProbe: async (o) => {
        asked.push({ head: o.head, goals: o.goals.map((g) => g.id), setup: o.setup });
        return [{ id: 'remote', state: 'pass', durationMs: 1, diagnostic: '', cached: false }];
      },
    });
    expect(asked.map((a) => [a.goals, a.setup])).toEqual([
      [['remote'], 'npm ci'],
      [['remote'], 'npm ci'],
    ]);
    expect(asked[0]!.head).not.toBe(asked[1]!.head);
    expect(state(p).gates.results.remote?.state).toBe('pass');
  });

  test('in the pod, the first gate probe runs once the containers it uses serve, not after the whole pod; the first turn waits for every one', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [{ id: 'remote', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }] });
    const order: string[] = [];
    let serveAll!: () => void;
    // The rest of the pod serves once the probe has run, or after 2 s (then the order shows it waited).
    const allServe = new Promise<void>((r) => {
      serveAll = r;
      setTimeout(r, 2_000);
    });
    await loop(p, {
      maxTicks: 1,
      podHealth: {
        down: () => [],
        changed: (signal) => new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true })),
        started: async (_signal, _ms, only) => {
          if (only) {
            order.push(`serving: ${only.join(', ')}`);
            return [];
          }
          await allServe;
          order.push('serving: the whole pod');
          return [];
        },
      },
      gateProbe: async (o) => {
        order.push(`gate probe at ${o.head.slice(0, 7)}`);
        serveAll();
        return [{ id: 'remote', state: 'pass', durationMs: 1, diagnostic: '', cached: false }];
      },
    });
    const head = ticks(p)[0]!.head_before!.slice(0, 7);
    expect(order.slice(0, 3)).toEqual(['serving: setup, gates, egress', `gate probe at ${head}`, 'serving: the whole pod']);
    // HEAD is measured once before the turn (the loop's own refresh finds it measured).
    expect(order.filter((o) => o === `gate probe at ${head}`)).toHaveLength(1);
    expect(ticks(p)).toHaveLength(1);
  });
});

describe('gate setup on the clean checkout', () => {
  test('setup runs in the checkout before the gates, never in the user tree', async () => {
    p = makeProject({
      peers: { alice: 'always-handoff', bob: 'always-handoff' },
      setup: 'echo installed > deps-installed.txt',
      goals: [{ id: 'deps-present', type: 'hard', cmd: 'test -f deps-installed.txt', pass_when: 'exit_code == 0' }],
    });
    await loop(p, { maxTicks: 1 });
    expect(state(p).gates.results['deps-present']?.state).toBe('pass');
    expect((ticks(p)[0]!.gates as { hard: unknown }).hard).toEqual({ 'deps-present': 'pass' });
    expect(existsSync(join(p.repo, 'deps-installed.txt'))).toBe(false);
  });

  test('a failing setup fails every gate and says so in the diagnostic the peers see', async () => {
    p = makeProject({
      peers: { alice: 'always-handoff', bob: 'always-handoff' },
      setup: 'echo "registry unreachable" >&2; exit 7',
      goals: [{ id: 'always-true', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }],
    });
    await loop(p, { maxTicks: 1 });
    const r = state(p).gates.results['always-true']!;
    expect(r.state).toBe('fail');
    expect(r.diagnostic).toContain('not run: setup `echo "registry unreachable" >&2; exit 7` failed: exit=7; stderr: registry unreachable');
  });

  test('setup exits 1: status and the report say the gates were not run (setup failed, said once), and the run stays red, never complete', async () => {
    p = makeProject({
      peers: { alice: 'always-handoff', bob: 'always-handoff' },
      setup: 'echo "npm ERR! 404 left-pad@9 not found" >&2; exit 1',
      goals: [
        { id: 'tests-pass', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' },
        { id: 'lint-clean', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' },
      ],
    });
    const out = await loop(p, { maxTicks: 3 });
    // Fail closed: gates that never ran are red; a run can never end complete on them.
    expect(out.reason).not.toBe('complete');
    expect(Object.values(state(p).gates.results).map((g) => g.state)).toEqual(['fail', 'fail']);
    const summary = readRunSummary(p.stateDir);
    const status = formatStatus(summary).split('\n');
    expect(status.filter((l) => l.includes('npm ERR! 404 left-pad@9 not found'))).toHaveLength(1);
    expect(status.find((l) => l.startsWith('  setup failed, so no gate ran: '))).toContain('exit=1');
    expect(status.find((l) => l.startsWith('  tests-pass:'))).toMatch(/^  tests-pass: not run: setup failed \(above\)/);
    expect(status.find((l) => l.startsWith('  lint-clean:'))).toMatch(/^  lint-clean: not run: setup failed \(above\)/);
    const md = renderMarkdown(buildReportModel({ project: 'setup-fails', summary, history: null, egress: null, generatedAt: new Date().toISOString() }));
    expect(md).toMatch(/\| tests-pass \| not run \| .* \| setup failed \(below\) \|/);
    expect(md).toContain('### Setup failed, so no gate ran');
    expect(md).not.toContain('### Why the failing gates fail');
    expect(md.split('npm ERR! 404 left-pad@9 not found').length - 1).toBe(2); // setup's command, and its output once
  });

  test('SIGTERM during a long gate stops the run promptly as interrupted, without recording a verdict for HEAD', async () => {
    p = makeProject({
      peers: { alice: 'always-handoff', bob: 'always-handoff' },
      goals: [{ id: 'slow-gate', type: 'hard', cmd: 'echo gate-started > "$MARK"; sleep 60', pass_when: 'exit_code == 0', timeout_s: 120 }],
    });
    const mark = join(p.root, 'gate-started');
    const child = spawnLoopCli(p, ['--max-ticks', '1'], { MARK: mark });
    // Event, not time: wait until the gate itself has started.
    const deadline = Date.now() + 20_000;
    while (!existsSync(mark)) {
      if (Date.now() > deadline) throw new Error('the gate never started');
      await Bun.sleep(25);
    }
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await child.exited;
    expect(Date.now() - t0).toBeLessThan(10_000); // well under the gate's 60 s
    expect(code).toBe(1);
    expect(stopReason(p)).toBe('interrupted');
    expect(exits(p).map((e) => e.reason)).toEqual(['interrupted']);
    expect(ticks(p)).toEqual([]);
    expect(state(p).gates.results).toEqual({});
  });
});
