/**
 * `peers status --watch` and `peers logs -f --peer` in a real terminal (tmux: the commands run in
 * panes, the test reads the screen with capture-pane and types with send-keys) while a scripted
 * run advances: fake peers that work in visible steps, so a turn is long enough to watch.
 */
import { afterEach, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probeRunLock } from '../../../src/state/run-lock.ts';
import { makeProject, REPO_ROOT, spawnLoopCli, ticks, type Project } from '../loop/harness.ts';

let p: Project | undefined;
let socket: string | undefined;
afterEach(() => {
  if (socket) spawnSync('tmux', ['-S', socket, 'kill-server']);
  socket = undefined;
  p?.cleanup();
});

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-S', socket!, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A pane running `peers ARGS`, then printing its exit code and staying open to be read. */
function pane(name: string, args: string[]): void {
  const cmd = [process.execPath, join(REPO_ROOT, 'src/main.ts'), ...args].map(quote).join(' ');
  // PEERS_STATE_DIR: the state dir the loop writes, for `logs` (which takes no --state-dir).
  const env = ['-e', `PEERS_STATE_DIR=${p!.stateDir}`, '-e', `HOME=${p!.root}`, '-e', `XDG_CONFIG_HOME=${join(p!.root, 'config')}`, '-e', `XDG_STATE_HOME=${join(p!.root, 'state-home')}`, '-e', 'TERM=xterm-256color', '-e', 'NO_COLOR=1'];
  const line = `${cmd}; echo "[exit $?]"; sleep 600`;
  if (!socket) {
    socket = join(p!.root, 'tmux.sock');
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'live', '-n', name, '-x', '140', '-y', '45', ...env, line);
  } else tmux('new-window', '-d', '-t', 'live', '-n', name, ...env, line);
}

/** The loop holds its run lock (as the pod's loop does by the time `peers up` returns). */
async function running(p: Project): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(existsSync(join(p.stateDir, 'run.lock')) && probeRunLock(join(p.stateDir, 'run.lock')).held)) {
    if (Date.now() > deadline) throw new Error('the loop did not start');
    await Bun.sleep(50);
  }
}

const screen = (name: string) => tmux('capture-pane', '-p', '-t', `live:${name}`);
/** The pane's scrollback and screen (the normal screen, after an alternate-screen program left). */
const history = (name: string) => tmux('capture-pane', '-p', '-S', '-200', '-t', `live:${name}`);

async function until(name: string, what: string, ok: (s: string) => boolean, read = screen, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = read(name);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the pane shows:\n${s}`);
    await Bun.sleep(100);
  }
}

test('status --watch redraws who is working on what as the run goes and leaves the final status on the screen; logs -f --peer shows a turn while it runs', async () => {
  const steps = { env: { STEPS: '10', STEP_DELAY: '0.4' } };
  p = makeProject({ peers: { alice: 'slow-steps', bob: 'slow-steps' }, peerExtra: { alice: steps, bob: steps } });
  const loop = spawnLoopCli(p, ['--max-ticks', '2']);
  await running(p);
  pane('watch', ['status', p.repo, '--state-dir', p.stateDir, '--watch', '--interval', '1']);
  pane('logs', ['logs', p.repo, '--peer', 'bob', '-f']);

  // Mid-turn: the frame names the peer, the tick and what its output says it is doing.
  const mid = await until('watch', "alice's turn in the frame", (s) => /Now: tick 1, alice working for \d+s/.test(s) && /doing: Bash: step [2-9] of 10 by alice/.test(s));
  expect(mid).toContain('every 1s, Ctrl-C to stop watching');
  expect(ticks(p)).toHaveLength(0); // the turn is still under way: this is live, not the log of a finished tick
  const later = await until('watch', "bob's turn", (s) => /Now: tick 2, bob working for/.test(s));
  expect(later).toMatch(/Tick: 1\b/);

  // bob's output appears step by step while his turn runs.
  const streaming = await until('logs', "bob's steps", (s) => s.includes('==> tick 2 (bob) <==') && /step [3-9] of 10 by bob/.test(s));
  expect(streaming).not.toContain('step 10 of 10 by bob');
  expect(ticks(p)).toHaveLength(1);

  await loop.exited;
  // The run stopped: the watch ends by itself, back on the normal screen with the last status.
  const after = await until('watch', 'the watch to end', (s) => s.includes('[exit 0]'), history);
  expect(after).toContain('Last stop: max_ticks');
  expect(after).not.toContain('Ctrl-C to stop watching'); // the frames were on the alternate screen
  const logs = await until('logs', 'logs -f to end with the run', (s) => s.includes('[exit 0]'), history);
  expect(logs).toContain('step 10 of 10 by bob');
  expect(logs).not.toContain('by alice');
}, 180_000);

test('Ctrl-C leaves status --watch at once and restores the screen', async () => {
  p = makeProject({ peers: { alice: 'slow-steps', bob: 'slow-steps' }, peerExtra: { alice: { env: { STEPS: '200', STEP_DELAY: '0.2' } } } });
  const loop = spawnLoopCli(p, ['--max-ticks', '1']);
  try {
    await running(p);
    pane('watch', ['status', p.repo, '--state-dir', p.stateDir, '--watch', '--interval', '1']);
    await until('watch', 'the first frame', (s) => s.includes('Ctrl-C to stop watching') && s.includes('Now: tick 1, alice'));
    tmux('send-keys', '-t', 'live:watch', 'C-c');
    const after = await until('watch', 'the watch to stop', (s) => /\[exit \d+\]/.test(s), history);
    expect(after).toContain('[exit 0]');
    expect(after).toContain('Project: ');
    expect(after).not.toContain('Ctrl-C to stop watching');
  } finally {
    loop.kill('SIGTERM');
    await loop.exited;
  }
}, 120_000);
