/**
 * The turn reads the `.peers/` paths a range changed from the skip-marker scan's diff instead of a
 * `git diff --name-status` of its own (BENCHMARKS.md, "Loop processes per tick"): both must give
 * the same answer, or a peer's commit to the control plane would go unreported.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlaneDiffReader, controlPlaneEditsInRange } from '../../../src/protocol/control-plane-guard.ts';
import { scanRangeForTestMarkers } from '../../../src/protocol/test-markers.ts';
import { makeRepo, type Repo } from './git-fixture.ts';

let repo: Repo;
afterEach(() => repo?.cleanup());

function fromScan(dir: string, base: string) {
  const reader = controlPlaneDiffReader();
  expect(scanRangeForTestMarkers(dir, base, 'HEAD', reader.line)).toBeDefined();
  return reader.edits();
}

describe('control-plane paths read from the marker scan diff', () => {
  test('additions, edits, deletions, renames in and out, empty files, a type and a mode change, odd names: as --name-status --no-renames says', () => {
    repo = makeRepo();
    const long = 'line\n'.repeat(40);
    const base = repo.commit('init', {
      '.peers/goals.yaml': 'goals: []\n',
      '.peers/config.yaml': 'peers: []\n',
      '.peers/checks/old.sh': long,
      '.peers/checks/mode.sh': 'exit 0\n',
      '.peers/checks/typed.sh': 'exit 0\n',
      '.peers/empty-gone': '',
      'src/moved-in.ts': `${long}x\n`,
      'src/a.ts': 'a\n',
    });
    const d = repo.dir;
    writeFileSync(join(d, '.peers/goals.yaml'), 'goals:\n  - { id: t, type: hard, cmd: "true" }\n');
    rmSync(join(d, '.peers/config.yaml'));
    mkdirSync(join(d, 'elsewhere'));
    renameSync(join(d, '.peers/checks/old.sh'), join(d, 'elsewhere/old.sh'));
    renameSync(join(d, 'src/moved-in.ts'), join(d, '.peers/checks/moved-in.ts'));
    chmodSync(join(d, '.peers/checks/mode.sh'), 0o755);
    rmSync(join(d, '.peers/checks/typed.sh'));
    symlinkSync('/etc/hostname', join(d, '.peers/checks/typed.sh'));
    rmSync(join(d, '.peers/empty-gone'));
    writeFileSync(join(d, '.peers/empty-new'), '');
    writeFileSync(join(d, '.peers/café "x" b.sh'), 'exit 0\n');
    writeFileSync(join(d, '.peers/with space.sh'), '+++ b/src/a.ts\n');
    writeFileSync(join(d, 'src/a.ts'), 'b\n');
    repo.commit('everything at once');
    const expected = controlPlaneEditsInRange(d, base).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    expect(expected.length).toBe(10);
    expect(fromScan(d, base)).toEqual(expected);
  });

  test('a range that leaves .peers/ alone reports nothing; one whose line reads like a header does not fool it', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/a.ts': 'a\n' });
    repo.commit('edit', { 'src/a.ts': 'a\n++ b/.peers/goals.yaml\n', 'src/diff --git a/.peers/x b/.peers/x': 'y\n' });
    expect(controlPlaneEditsInRange(repo.dir, base)).toEqual([]);
    expect(fromScan(repo.dir, base)).toEqual([]);
  });

  test('a file named .peers itself counts, as the pathspec does', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/a.ts': 'a\n' });
    repo.commit('plant', { '.peers': 'x\n', '.peersx/y': 'z\n' });
    expect(fromScan(repo.dir, base)).toEqual(controlPlaneEditsInRange(repo.dir, base));
    expect(fromScan(repo.dir, base)).toEqual([{ path: '.peers', change: 'added' }]);
  });
});
