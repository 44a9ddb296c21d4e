/**
 * Attack, in the real pod: a peer leaves a process in the workspace that takes the workspace
 * runner's socket path (the directory is writable there: the runner creates its socket in it) and
 * answers every request of the loop with "exit 0". Before, the next peer's turns were whatever the
 * impostor said. The property (SECURITY.md, "The sandbox pod", runner sockets): the loop takes
 * only answers sealed with the runner's per-run key; the impostor's are refused, the turns fail
 * saying why, and the run stops on them instead of going on with made-up turns. Since a turn's
 * leftovers are stopped when it ends (SECURITY.md, "A turn's commits are its own peer's"), the
 * impostor dies with alpha's turn and the socket it took answers no one.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { requires } from '../requirements.ts';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, removeRunLeftovers, podKeyOf } from './podman-user.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(600_000);

let root: string;
let repo: string;
let env: Record<string, string>;
let key = '';
let stateDir = '';

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });

/** The impostor: replaces the socket, answers every request "exit 0" with its own output (one line: it goes into `node -e`). */
const IMPOSTOR = [
  "const net = require('net'), fs = require('fs');",
  "const p = '/run/peers/workspace/runner.sock';",
  'try { fs.unlinkSync(p); } catch {}',
  "net.createServer((s) => s.on('error', () => {}).once('data', () => {",
  "  s.write(JSON.stringify({ type: 'started' }) + String.fromCharCode(10));",
  "  s.end(JSON.stringify({ type: 'exit', result: { exitCode: 0, signal: null, stdout: 'impostor answered', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, endedBy: 'exit' } }) + String.fromCharCode(10));",
  "})).listen(p, () => fs.writeFileSync('/work/.impostor-listening', ''));",
].join(' ');

/** alpha's turn plants the impostor; every turn records that it really ran. */
const PEER_SCRIPT = `set -e
cat >/dev/null
echo "$PEERS_PEER_NAME" >> /work/.really-ran
if [ "$PEERS_PEER_NAME" = alpha ] && [ ! -e /work/.impostor-listening ]; then
  setsid node -e ${JSON.stringify(IMPOSTOR)} >/dev/null 2>&1 </dev/null &
  while [ ! -e /work/.impostor-listening ]; do sleep 0.1; done
fi
`;

const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', PEER_SCRIPT])}
  - name: beta
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', PEER_SCRIPT])}
budget:
  max_consecutive_failures: 3
health:
  max_retries: 0
goals:
  stuck_halt_after: 1000
`;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'identity', config: CONFIG, goals: 'goals: []\n', ignored: ['.really-ran', '.impostor-listening'] }));
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    peers(['down', '--grace', '5']);
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)("an impostor at the workspace runner's socket", () => {
  test('is never taken for the runner: the turns it answers fail, saying why, and the run stops on them', () => {
    const started = new Date();
    const r = peers(['up', '--max-ticks', '12']);
    expect(r.code, r.stderr).toBe(0);
    key = podKeyOf(r.stderr);
    stateDir = join(root, 'state', 'peers', key);
    const end = Date.now() + 8 * 60_000;
    let stop: ReturnType<typeof readStopReason>;
    for (;;) {
      stop = readStopReason(join(stateDir, 'last-stop-reason.txt'));
      if (stop && new Date(stop.at) >= started) break;
      if (Date.now() > end) throw new Error(`the run did not stop; loop log:\n${peers(['logs']).stdout.slice(-3000)}`);
      Bun.sleepSync(1000);
    }
    type Tick = { event: string; peer: string; success: boolean; ended_by: string; cause: string | null };
    const ticks = readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Tick).filter((l) => l.event === 'tick');
    const log = peers(['logs']).stdout;
    // alpha's turn really ran (and planted the impostor); no turn after it was taken from the impostor.
    expect(ticks[0]).toMatchObject({ peer: 'alpha', ended_by: 'exit' });
    expect(ticks.length).toBeGreaterThan(1);
    for (const t of ticks.slice(1)) expect([t.success, t.ended_by], JSON.stringify(t)).toEqual([false, 'spawn-error']);
    // Either way the impostor is never the runner: it is stopped when alpha's turn ends (nothing a turn
    // starts outlives it: the workspace runner's sweep), leaving its socket unreachable; one that
    // answered would fail the per-run key (runner-identity.test.ts holds that one alone).
    expect(ticks[1]!.cause).toMatch(/runner identity check failed|runner at \/run\/peers\/workspace\/runner\.sock unreachable/);
    expect(log).not.toContain('impostor answered');
    expect(readFileSync(join(stateDir, 'run', 'clone', '.really-ran'), 'utf8').trim().split('\n')).toEqual(['alpha']);
    expect(stop!.reason).not.toBe('max_ticks');
    expect(existsSync(join(stateDir, 'run', 'clone', '.impostor-listening'))).toBe(true);
  });
});
