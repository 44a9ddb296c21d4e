/**
 * `peers down` meeting a loop that is still starting (its container runs, nobody listens on its
 * lifeline yet) waits for the line while the loop's init lives, instead of stopping the container
 * under a loop that could not record its stop (sandbox/pod-teardown.ts, loopLifelineOnceStarted).
 * A real process stands for the init (its command line as podman's init has it: loop-pid.ts), a
 * real Unix socket for the lifeline.
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIFELINE_DIR_NAME, LIFELINE_SOCKET_NAME } from '../../../sandbox/lifeline.ts';
import { loopPidFilePath, sharedRoot } from '../../../sandbox/pod-plan.ts';
import { loopLifelineOnceStarted } from '../../../sandbox/pod-teardown.ts';

const PROJECT = 'app-1234abcd';
let root = '';
let init: ReturnType<typeof Bun.spawn> | undefined;
let server: Server | undefined;
afterEach(() => {
  init?.kill('SIGKILL');
  server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * A runtime dir of its own and, in it, a process whose command line and environment are those of
 * this project's loop init, its pidfile written; resolves once bash has exec'd into it.
 */
async function startInit(): Promise<{ env: NodeJS.ProcessEnv; init: ReturnType<typeof Bun.spawn> }> {
  root = mkdtempSync(join(tmpdir(), 'peers-start-'));
  const env = { XDG_RUNTIME_DIR: root };
  const p = Bun.spawn(['bash', '-c', "exec -a /run/podman-init sh -c 'sleep 60; :' -- /usr/local/bin/peers loop /state/run/clone"], { env: { ...process.env, PEERS_PROJECT: PROJECT } });
  init = p;
  mkdirSync(sharedRoot(PROJECT, env), { recursive: true });
  writeFileSync(loopPidFilePath(PROJECT, env), `${p.pid}\n`);
  for (;;) {
    const cmd = await Bun.file(`/proc/${p.pid}/cmdline`).text().catch(() => '');
    if (cmd.startsWith('/run/podman-init\0')) return { env, init: p };
    await Bun.sleep(5);
  }
}

function listen(env: NodeJS.ProcessEnv): Promise<void> {
  const dir = join(sharedRoot(PROJECT, env), LIFELINE_DIR_NAME);
  mkdirSync(dir, { recursive: true });
  server = createServer(() => {});
  return new Promise((r) => server!.listen(join(dir, LIFELINE_SOCKET_NAME), () => r()));
}

test('a starting loop: down waits until it listens on its lifeline, and gets the line', async () => {
  const { env } = await startInit();
  const t0 = Date.now();
  const waiting = loopLifelineOnceStarted(PROJECT, env, 20_000);
  await Bun.sleep(300); // the loop still loading: nothing listens yet
  await listen(env);
  const line = await waiting;
  expect(line).not.toBeNull();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  line!.close();
});

test('a loop whose init is gone is not waited for; one that never listens, only until the time is up', async () => {
  const { env, init } = await startInit();
  let t0 = Date.now();
  expect(await loopLifelineOnceStarted(PROJECT, env, 400)).toBeNull();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  init.kill('SIGKILL');
  await init.exited;
  t0 = Date.now();
  expect(await loopLifelineOnceStarted(PROJECT, env, 20_000)).toBeNull();
  expect(Date.now() - t0).toBeLessThan(10_000);
});
