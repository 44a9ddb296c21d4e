/**
 * A loop asked to stop while it is still loading records the stop. In the pod the loop answers on
 * its lifeline before its command is loaded, and `peers down` signals it the moment it answers:
 * `peers up` then `peers down` at once used to kill the loop unrecorded (exit 143, no stop line),
 * and the report named the run's previous stop. The real entry point, the real lifeline socket.
 */
import { afterEach, expect, test } from 'bun:test';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exits, makeProject, spawnLoopCli, stopReason, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

/** Resolves once `path` exists; polled often, since the window this test aims at is short. */
async function whenExists(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} never appeared`);
    await Bun.sleep(1);
  }
}

test('SIGTERM the moment the loop listens on its lifeline, before its command is loaded: the stop is recorded as interrupted, exit 1', async () => {
  p = makeProject({
    peers: { alice: 'always-handoff', bob: 'always-handoff' },
    goals: [{ id: 'always-true', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }],
  });
  const dir = join(p.root, 'lifeline');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'loop.sock');
  const child = spawnLoopCli(p, ['--max-ticks', '3'], { PEERS_LIFELINE: socket });
  await whenExists(socket, 60_000);
  child.kill('SIGTERM');
  const code = await child.exited;
  const stderr = await new Response(child.stderr).text();
  expect(code, stderr).toBe(1);
  expect(stopReason(p)).toBe('interrupted');
  expect(exits(p).map((e) => e.reason)).toEqual(['interrupted']);
  expect(ticks(p)).toEqual([]);
});
