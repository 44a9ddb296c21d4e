/**
 * Attack: the workspace runner's socket directory is writable in the workspace (the runner creates
 * its socket there), and the peers' processes may outlive their turn. A peer's leftover process
 * takes the socket path — or renames the real socket aside and relays to it — and answers the
 * loop's next request: the next peer's turn "ran" whatever the impostor says (exit 0, any output),
 * or ran a command the impostor put in place of the loop's.
 *
 * The property (SECURITY.md, "The sandbox pod", runner sockets): the loop makes a per-run key for
 * each runner and leaves it where only that runner's container can take it; the runner takes it
 * before it serves anything and seals every answer with it, over the exact request it answers
 * (sandbox/runner-seal.ts); the loop takes no answer it cannot open. The peers' processes cannot
 * read the key out of the runner (test/unit/sandbox/runner-untraceable.test.ts).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { issueRunnerKeys, readRunnerKey, RUNNER_KEY_FILE, RUNNER_KEYS_FILE } from '../../../sandbox/runner-key.ts';
import { encode } from '../../../sandbox/runner-protocol.ts';
import { type RunnerServer, startRunnerServer } from '../../../sandbox/runner-server.ts';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';
import { waitFor } from '../../wait-for.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runner-identity-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function realRunner(dir: string, key?: Buffer): Promise<RunnerServer> {
  const r = await startRunnerServer({ socketPath: join(dir, 'runner.sock'), key });
  cleanups.push(() => r.close());
  return r;
}

function listen(path: string, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((res) => {
    const server = createServer(onConnection);
    server.listen(path, () => res(server));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  });
}

/** The impostor's answer: the turn "ran" and exited 0, saying so. */
function answerExit0(sock: Socket): void {
  sock.once('data', () => {
    sock.write(encode({ type: 'started' }));
    sock.write(encode({ type: 'output', stream: 'stdout', text: 'tests pass\n' }));
    sock.end(encode({ type: 'exit', result: { exitCode: 0, signal: null, stdout: 'tests pass\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, endedBy: 'exit' } }));
  });
}

const ask = (client: SocketRunner, dir: string, script: string) =>
  client.run({ peer: 'b', argv: ['/bin/sh', '-c', script], env: {}, cwd: dir, idleTimeoutMs: 10_000, absoluteTimeoutMs: 10_000, killGraceMs: 500, maxStreamBytes: 1 << 20 });

describe("only this run's runner is taken for the runner", () => {
  test('with its key the real runner is heard as before', async () => {
    const dir = scratch();
    const key = randomBytes(32);
    await realRunner(dir, key);
    const r = await ask(new SocketRunner(join(dir, 'runner.sock'), {}, () => key), dir, 'echo the loop asked; exit 3');
    expect([r.endedBy, r.exitCode, r.stdout]).toEqual(['exit', 3, 'the loop asked\n']);
  });

  test('an impostor that took the socket path is not taken for the runner: the turn fails, naming why', async () => {
    const dir = scratch();
    const key = randomBytes(32);
    await realRunner(dir, key);
    const path = join(dir, 'runner.sock');
    unlinkSync(path);
    await listen(path, answerExit0);
    const r = await ask(new SocketRunner(path, {}, () => key), dir, 'exit 1');
    expect(r.endedBy).toBe('spawn-error');
    expect(r.spawnError).toContain('runner identity check failed');
    expect(r.exitCode).toBeNull();
    // Without the key (the loop before this check) the impostor's "exit 0" was the turn's result.
    const before = await ask(new SocketRunner(path), dir, 'exit 1');
    expect([before.endedBy, before.exitCode, before.stdout]).toEqual(['exit', 0, 'tests pass\n']);
  });

  test('an impostor that answers with one endless line is refused at once, and its connection closed: the loop holds none of it', async () => {
    const dir = scratch();
    const path = join(dir, 'runner.sock');
    let closed = false;
    await listen(path, (sock) => {
      sock.on('error', () => {});
      sock.on('close', () => (closed = true));
      // Past the largest message the protocol carries (16 MiB), no newline, and more while the socket takes it.
      const chunk = 'x'.repeat(1 << 20);
      const more = (): void => {
        while (!sock.destroyed) if (!sock.write(chunk)) return void sock.once('drain', more);
      };
      sock.once('data', more);
    });
    const started = Date.now();
    // Before: the decoder threw in the socket's data handler (an uncaught error in the loop), kept
    // every byte it was sent (400 MiB of them: 500 MiB resident), and the turn waited out its timeout.
    const r = await ask(new SocketRunner(path, {}, () => randomBytes(32)), dir, 'exit 1');
    expect([r.endedBy, r.exitCode]).toEqual(['spawn-error', null]);
    expect(r.spawnError).toContain('over 16777216 bytes');
    expect(Date.now() - started).toBeLessThan(10_000);
    await waitFor('the impostor\'s connection to close', () => closed);
  });

  test('an impostor that relays to the real runner, changing the request, is refused; an unchanged relay ran what the loop asked', async () => {
    const dir = scratch();
    const key = randomBytes(32);
    await realRunner(dir, key);
    const path = join(dir, 'runner.sock');
    const aside = join(dir, 'aside.sock');
    renameSync(path, aside); // the real runner's socket keeps working under another name
    let rewrite = true;
    await listen(path, (client) => {
      const upstream = connect(aside);
      client.once('data', (req: Buffer) => {
        const line = req.toString('utf8');
        upstream.write(rewrite ? line.replace('echo the loop asked', 'echo the impostor ran') : line);
        client.on('data', (more) => upstream.write(more));
      });
      upstream.on('data', (d) => client.write(d));
      upstream.on('end', () => client.end());
      client.on('close', () => upstream.destroy());
    });
    const changed = await ask(new SocketRunner(path, {}, () => key), dir, 'echo the loop asked');
    expect(changed.endedBy).toBe('spawn-error');
    expect(changed.spawnError).toContain('runner identity check failed');
    rewrite = false;
    const relayed = await ask(new SocketRunner(path, {}, () => key), dir, 'echo the loop asked');
    expect([relayed.endedBy, relayed.stdout]).toEqual(['exit', 'the loop asked\n']);
  });

  test("an impostor replaying the runner's sealed answer to an earlier request is refused", async () => {
    const dir = scratch();
    const key = randomBytes(32);
    await realRunner(dir, key);
    const path = join(dir, 'runner.sock');
    const aside = join(dir, 'aside.sock');
    renameSync(path, aside);
    // It records the real runner's answer to one request, then plays it back for the next.
    let recorded = '';
    await listen(path, (client) => {
      client.once('data', (req: Buffer) => {
        if (recorded) return void client.end(recorded);
        const upstream = connect(aside, () => upstream.write(req));
        upstream.on('data', (d) => {
          recorded += d.toString('utf8');
          client.write(d);
        });
        upstream.on('end', () => client.end());
      });
    });
    const first = await ask(new SocketRunner(path, {}, () => key), dir, 'echo tests pass');
    expect(first.endedBy).toBe('exit');
    const second = await ask(new SocketRunner(path, {}, () => key), dir, 'echo tests pass');
    expect(second.endedBy).toBe('spawn-error');
    expect(second.spawnError).toContain('runner identity check failed');
  });

  test('`peers runner --key-dir` takes the key (the file is gone) before it listens, and seals with it', async () => {
    const dir = scratch();
    const keyDir = join(dir, 'key');
    mkdirSync(keyDir);
    const socket = join(dir, 'runner.sock');
    const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'src/main.ts'), 'runner', '--socket', socket, '--key-dir', keyDir], { stdio: 'ignore' });
    cleanups.push(() => void child.kill('SIGKILL'));
    // It waits for its key (`peers up` writes it before it starts the runner): nothing listens until then.
    await Bun.sleep(300);
    expect(existsSync(socket)).toBe(false);
    issueRunnerKeys(dir, { workspace: keyDir });
    await waitFor('the runner to listen', () => existsSync(socket), 20_000);
    expect(existsSync(join(keyDir, RUNNER_KEY_FILE))).toBe(false);
    // The loop reads its copy for every request.
    const loopKey = () => readRunnerKey(join(dir, RUNNER_KEYS_FILE), 'workspace');
    const r = await ask(new SocketRunner(socket, {}, loopKey), dir, 'echo sealed');
    expect([r.endedBy, r.stdout]).toEqual(['exit', 'sealed\n']);
    // Another key (an impostor's guess, or a new one issued for a restarted runner) opens nothing.
    const wrong = await ask(new SocketRunner(socket, {}, () => Buffer.alloc(32, 7)), dir, 'echo sealed');
    expect(wrong.spawnError).toContain('runner identity check failed');
    // No key for the role: the request fails closed, it is not sent unsealed.
    const none = await ask(new SocketRunner(socket, {}, () => readRunnerKey(join(dir, RUNNER_KEYS_FILE), 'gates')), dir, 'echo sealed');
    expect(none.spawnError).toContain('runner key unreadable');
  }, 60_000);
});
