/**
 * Stale git lock files in the peers' repository (stale-locks.ts): before, a loop killed while a
 * peer's git held `index.lock` left it behind, every turn after the restart failed with
 * "index.lock exists", the peers were marked down and the run halted, for good. A peer can leave
 * one on purpose too, to make the next peer's turn fail.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loop, makeProject, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('git lock files nobody holds', () => {
  test('a stale index.lock from a killed run is removed at start-up, said once, and the turns hand off', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    writeFileSync(join(p.repo, '.git', 'index.lock'), '');
    const lines: string[] = [];
    const out = await loop(p, { maxTicks: 2, log: (l) => lines.push(l) });
    expect(out.stop.kind).toBe('max_ticks');
    expect(lines).toContain('peers: removed git lock file .git/index.lock left by an earlier run (no process holds it)');
    expect(ticks(p).map((t) => t.success)).toEqual([true, true]);
  });

  test("locks a peer leaves after its turn do not fail the next peer's turn; the log names who left them", async () => {
    p = makeProject({ peers: { alice: 'leaves-git-locks', bob: 'always-handoff' } });
    const lines: string[] = [];
    const out = await loop(p, { maxTicks: 3, log: (l) => lines.push(l) });
    expect(out.stop.kind).toBe('max_ticks');
    expect(ticks(p).map((t) => [t.peer, t.success])).toEqual([['alice', true], ['bob', true], ['alice', true]]);
    expect(lines).toContain("peers: removed git lock files .git/index.lock, .git/refs/heads/main.lock left by alice's turn (tick 1) (no process holds them)");
    expect(existsSync(join(p.repo, '.git', 'index.lock'))).toBe(false);
  });
});
