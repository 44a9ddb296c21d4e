/**
 * The loop's digests of the peers' live `.peers/` are read beneath the working tree: a `.peers/checks`
 * (or `.peers`) swapped for a symlink to a directory of clean copies is reported, never followed,
 * and a FIFO planted there neither hangs the digests nor the diff `peers up` shows.
 * SECURITY.md, "A changed control plane is seen".
 */
import { afterEach, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlaneDiff } from '../../../src/config/control-snapshot.ts';
import { detectControlPlaneEdits, takeControlPlaneSnapshot } from '../../../src/protocol/control-plane-guard.ts';

const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tree with `.peers/{goals.yaml,checks/gate.sh}`, its snapshot, and a clean copy of the checks elsewhere. */
function treeWithSnapshot(): { repo: string; snap: string; clean: string } {
  const dir = mkdtempSync(join(tmpdir(), 'peers-cp-beneath-'));
  scratch.push(dir);
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, '.peers/checks'), { recursive: true });
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: []\n');
  writeFileSync(join(repo, '.peers/checks/gate.sh'), '#!/bin/sh\nexit 1\n');
  const snap = join(dir, 'snap');
  takeControlPlaneSnapshot(repo, snap);
  const clean = join(dir, 'clean');
  cpSync(join(repo, '.peers/checks'), clean, { recursive: true });
  return { repo, snap, clean };
}

test('.peers/checks swapped for a symlink to identical copies is reported as not a regular file', () => {
  const { repo, snap, clean } = treeWithSnapshot();
  renameSync(join(repo, '.peers/checks'), join(repo, '.peers/checks-real'));
  symlinkSync(clean, join(repo, '.peers/checks'));
  // Followed, the digests match the snapshot and the swap goes unseen (then the target is edited).
  expect(detectControlPlaneEdits(repo, snap)).toContainEqual({ path: '.peers/checks/gate.sh', change: 'not-a-regular-file' });
});

test('.peers swapped for a symlink is reported too', () => {
  const { repo, snap } = treeWithSnapshot();
  const elsewhere = `${repo}-peers`;
  cpSync(join(repo, '.peers'), elsewhere, { recursive: true });
  rmSync(join(repo, '.peers'), { recursive: true });
  symlinkSync(elsewhere, join(repo, '.peers'));
  expect(detectControlPlaneEdits(repo, snap).map((e) => e.change)).toEqual(['not-a-regular-file', 'not-a-regular-file']);
});

test('a FIFO in place of a check hangs neither the digests nor the diff', () => {
  const { repo, snap } = treeWithSnapshot();
  rmSync(join(repo, '.peers/checks/gate.sh'));
  spawnSync('mkfifo', [join(repo, '.peers/checks/gate.sh')]);
  const edits = detectControlPlaneEdits(repo, snap);
  expect(edits).toEqual([{ path: '.peers/checks/gate.sh', change: 'not-a-regular-file' }]);
  expect(controlPlaneDiff(repo, snap, edits)).toContain('not a regular file');
});
