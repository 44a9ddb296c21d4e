/**
 * A peer's output flood never freezes the loop. The halt/error pattern scan is linear in
 * the output (a long line is judged by its head and tail windows), so a multi-MB line of ERROR
 * words is scanned at once, and SIGTERM during a flood stops the run promptly.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exits, loop, makeProject, spawnLoopCli, stopReason, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

describe('output floods and the pattern scan', () => {
  // Before: the post-turn scan of the captured 2 MiB line took hours (quadratic); this test timed out.
  test('a 3 MB line of ERROR words, then a handoff: the turn is scanned and ends as a success', async () => {
    p = makeProject({ peers: { alice: 'error-words-then-handoff', bob: 'always-handoff' } });
    const out = await loop(p, { maxTicks: 1 });
    expect(out.reason).toBe('max_ticks');
    const [t] = ticks(p);
    expect([t!.classification, t!.success, t!.truncated]).toEqual(['success', true, true]);
    expect(t!.halt).toBeNull();
  }, 60_000);

  test('a 3 MB line of ERROR words ending in an auth failure halts the peer on that failure', async () => {
    p = makeProject({ peers: { alice: 'error-words-then-auth-failure', bob: 'always-handoff' } });
    const out = await loop(p, { maxTicks: 3 });
    expect(out.reason).toBe('peer-unavailable:alice');
    const [t] = ticks(p);
    expect((t!.halt as { snippet: string }).snippet).toContain('authentication failed');
  }, 60_000);

  test('SIGTERM during a flood of long ERROR lines: the loop exits `interrupted` promptly', async () => {
    p = makeProject({ peers: { alice: 'error-words-forever', bob: 'always-handoff' }, health: { idle_timeout_s: 60, absolute_max_runtime_s: 120 } });
    const marker = join(p.root, 'flood-started');
    const child = spawnLoopCli(p, ['--max-ticks', '3'], { PEERS_FLOOD_MARKER: marker });
    await waitFor(() => existsSync(marker), 30_000, 'the flood to start');
    child.kill('SIGTERM');
    // Promptly: the bound is generous for a loaded machine; before, SIGTERM waited for each
    // multi-second scan of a 72 KB slice, line after line.
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
    if (!exited) child.kill('SIGKILL');
    expect(exited).toBe(true);
    expect(stopReason(p)).toBe('interrupted');
    expect(exits(p).map((e) => e.reason)).toEqual(['interrupted']);
  }, 60_000);
});
