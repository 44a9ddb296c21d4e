/**
 * The runner protocol on the host: a real `startRunnerServer` on a real Unix socket, real child
 * processes, and `SocketRunner` as the loop would use it. Proves what the loop relies on when peers
 * run in another container: output streams live, exit status and env arrive intact, kill requests
 * and a vanished loop both stop the whole process group, and bad requests are refused cleanly.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRunnerServer, type RunnerServer } from '../../../sandbox/runner-server.ts';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';
import { waitFor } from '../../wait-for.ts';
import { isRunning } from '../../support/process-state.ts';

let dir: string;
let server: RunnerServer;
let runner: SocketRunner;

const inv = (argv: string[], extra: Partial<Parameters<SocketRunner['run']>[0]> = {}) => ({
  peer: 'alpha',
  argv,
  env: { PATH: '/usr/bin:/bin' },
  cwd: dir,
  idleTimeoutMs: 20_000,
  absoluteTimeoutMs: 20_000,
  killGraceMs: 500,
  maxStreamBytes: 1024 * 1024,
  ...extra,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-runner-'));
  server = await startRunnerServer({ socketPath: join(dir, 'runner.sock'), baseEnv: { PATH: '/usr/bin:/bin', FROM_CONTAINER: 'workspace' } });
  runner = new SocketRunner(join(dir, 'runner.sock'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runner protocol over a Unix socket', () => {
  test('the socket is a filesystem socket only its owner can open', () => {
    const st = statSync(join(dir, 'runner.sock'));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o077).toBe(0);
  });

  test('runs the command in cwd with stdin, streams output live, reports the exit code', async () => {
    const chunks: string[] = [];
    const r = await runner.run(
      inv(['sh', '-c', 'echo "cwd=$(pwd)"; cat; echo "env=$FROM_CONTAINER/$PEER_VAR"; echo oops >&2; exit 3'], {
        stdin: 'prompt text\n',
        env: { PATH: '/usr/bin:/bin', PEER_VAR: 'set-by-loop' },
        onOutput: (s, t) => void chunks.push(`${s}:${t}`),
      }),
    );
    expect(r.endedBy).toBe('exit');
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe(`cwd=${dir}\nprompt text\nenv=workspace/set-by-loop\n`);
    expect(r.stderr).toBe('oops\n');
    expect(chunks.join('')).toContain('stdout:cwd=');
    expect(chunks.some((c) => c.startsWith('stderr:oops'))).toBe(true);
  });

  test('output arrives while the process is still running', async () => {
    let firstAt = 0;
    const t0 = Date.now();
    const r = await runner.run(inv(['sh', '-c', 'echo first; sleep 1; echo second'], { onOutput: () => void (firstAt ||= Date.now() - t0) }));
    expect(r.stdout).toBe('first\nsecond\n');
    expect(firstAt).toBeLessThan(800);
    expect(r.durationMs).toBeGreaterThanOrEqual(900);
  });

  test('an abort from the loop kills the whole process group, grandchildren included', async () => {
    const ac = new AbortController();
    let grandchild = 0;
    const p = runner.run(
      inv(['sh', '-c', 'sleep 300 & echo "gc=$!"; wait'], {
        onOutput: (_s, t) => {
          const m = t.match(/gc=(\d+)/);
          if (m) {
            grandchild = Number(m[1]);
            ac.abort();
          }
        },
      }),
      ac.signal,
    );
    const r = await p;
    expect(r.endedBy).toBe('aborted');
    expect(grandchild).toBeGreaterThan(0);
    await waitFor('the aborted run\'s grandchild (sleep 300) to die', () => !isRunning(grandchild), 5_000);
  });

  test("the onOutput callback's 'kill' (a halt pattern) ends the process as killed-by-callback", async () => {
    const r = await runner.run(inv(['sh', '-c', 'echo "usage limit reached"; sleep 300'], { onOutput: (_s, t) => (t.includes('usage limit') ? 'kill' : undefined) }));
    expect(r.endedBy).toBe('killed-by-callback');
    expect(r.stdout).toContain('usage limit reached');
  });

  test('idle timeout is enforced by the runner', async () => {
    const r = await runner.run(inv(['sh', '-c', 'echo hi; sleep 300'], { idleTimeoutMs: 300 }));
    expect(r.endedBy).toBe('idle-timeout');
  });

  test('a loop that disconnects mid-run (crash, peers down) leaves no process behind', async () => {
    const pidFile = join(dir, 'pid');
    const sock = connect(join(dir, 'runner.sock'));
    await new Promise((r) => sock.once('connect', r));
    sock.write(`${JSON.stringify({ type: 'run', argv: ['sh', '-c', `echo $$ > ${pidFile}; sleep 300`], cwd: dir, env: {}, limits: { killGraceMs: 200 } })}\n`);
    await waitFor('the runner to start the command (its pid file)', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 5_000);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(isRunning(pid)).toBe(true);
    sock.destroy();
    await waitFor('the disconnected run\'s process to be killed', () => !isRunning(pid), 5_000);
  });

  test("the loop's own environment stays in the loop; the peer's settings arrive; the runner's base env stands", async () => {
    // As in the pod: the invocation env is the loop container's env plus the peer's own entries.
    const loopEnv = { PATH: '/usr/bin:/bin', PEERS_STATE_DIR: '/state', FROM_CONTAINER: 'loop' };
    const viaLoop = new SocketRunner(join(dir, 'runner.sock'), loopEnv);
    const r = await viaLoop.run(
      inv(['sh', '-c', 'echo "state=${PEERS_STATE_DIR:-unset} from=$FROM_CONTAINER peer=$PEERS_PEER_NAME"'], { env: { ...loopEnv, PEERS_PEER_NAME: 'alpha' } }),
    );
    expect(r.stdout.trim()).toBe('state=unset from=workspace peer=alpha');
  });

  test('a malformed request gets an error message, not a crash, and the server keeps serving', async () => {
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(join(dir, 'runner.sock'));
      let buf = '';
      sock.on('data', (b) => (buf += b.toString()));
      sock.on('close', () => resolve(buf));
      sock.on('connect', () => sock.write('{"type":"run","argv":[]}\n'));
    });
    expect(JSON.parse(reply.trim().split('\n')[0]!)).toMatchObject({ type: 'error' });
    expect(reply).toContain('bad request');
    const r = await runner.run(inv(['true']));
    expect(r.exitCode).toBe(0);
  });

  test('a missing command is a spawn error, reported as such', async () => {
    const r = await runner.run(inv(['/nonexistent/peer-cli']));
    expect(r.endedBy).toBe('spawn-error');
  });

  test('an unreachable runner is a spawn error naming the socket', async () => {
    const r = await new SocketRunner(join(dir, 'nobody.sock')).run(inv(['true']));
    expect(r.endedBy).toBe('spawn-error');
    expect(r.spawnError).toContain('nobody.sock');
  });

  test('a flood stops being streamed past the cap, while the result still keeps head and tail', async () => {
    const small = await startRunnerServer({ socketPath: join(dir, 'small.sock'), baseEnv: { PATH: '/usr/bin:/bin' }, maxStreamedBytes: 4096 });
    try {
      let live = 0;
      const r = await new SocketRunner(join(dir, 'small.sock')).run(
        inv(['sh', '-c', 'echo START; head -c 200000 /dev/zero | tr "\\0" x; echo; echo END'], { maxStreamBytes: 1000, onOutput: (_s, t) => void (live += t.length) }),
      );
      expect(r.exitCode).toBe(0);
      expect(live).toBeLessThanOrEqual(4096 + 65536);
      expect(live).toBeLessThan(200_000);
      expect(r.stdout.startsWith('START')).toBe(true);
      expect(r.stdout.trimEnd().endsWith('END')).toBe(true);
      expect(r.stdoutTruncated).toBe(true);
    } finally {
      await small.close();
    }
  });

  test('two invocations run concurrently on one runner (gates run in parallel)', async () => {
    // A rendezvous, not a stopwatch: each waits for the other's mark, so run one after the other
    // the first never ends (its 20 s timeout fails it) whatever the machine's load.
    const meet = mkdtempSync(join(dir, 'meet-'));
    const side = (me: string, other: string) => inv(['sh', '-c', `touch ${meet}/${me}; until [ -e ${meet}/${other} ]; do sleep 0.02; done; echo ${me}`]);
    const [a, b] = await Promise.all([runner.run(side('a', 'b')), runner.run(side('b', 'a'))]);
    expect([a.endedBy, b.endedBy]).toEqual(['exit', 'exit']);
    expect(a.stdout + b.stdout).toBe('a\nb\n');
  });
});
