/**
 * Cheat class "too big to read": a turn that skips the failing test and also commits a 70 MiB
 * generated file, so every diff of the turn is larger than the buffer a git read gets. A reader
 * that buffers the diff either stops the loop (a peer then ends the run at will) or, worse, sees
 * nothing; the diffs are streamed (src/git/git.ts, gitLines), so the skip is found and the run goes on.
 */
import { afterEach, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { findingKinds, gateOf, makeCheatProject, runCatalogue, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test('a skip in a turn that commits a 70 MiB generated file is found, the loop goes on and the run does not complete', async () => {
  p = makeCheatProject({ cheat: 'huge-generated-skip' });
  const out = await runCatalogue(p, 3);
  expect(out.reason).not.toBe('complete');
  const t = ticksOf(p);
  // The loop read the turn and went on to the reviewer's turns.
  expect(t.map((x) => x.peer)).toEqual(['alice', 'bob', 'alice']);
  expect(statSync(join(p.repo, 'src/generated.mjs')).size).toBeGreaterThan(64 * 1024 * 1024);
  expect(findingKinds(p)).toContain('test-marker');
  const gate = gateOf(p, 'no-new-skip-markers');
  expect(gate?.state).toBe('fail');
  expect(JSON.stringify(gate)).toContain('test/calc.test.mjs');
}, 300_000);
