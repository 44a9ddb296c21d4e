/**
 * A host command's read-only view of a repository (`peers check`, `bugs` pointed at the peers'
 * clone; observed-view.ts `openView`): git opens what it finds in the object stores it borrows with a
 * blocking open(), so a FIFO the peers put there held the operator's command for ever. The store
 * was checked in place, then read by git: a process the peers left running could swap a pack index
 * for a FIFO after the check, and the stores named by `objects/info/alternates` were never checked.
 * SECURITY.md, "The user's repository, the run clone and the trusted observer".
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { initObserverRepo } from '../../../src/git/observer.ts';

const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
const observedView = resolve(import.meta.dir, '../../../src/git/observed-view.ts');
let root: string;
let work: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-view-store-'));
  work = join(root, 'clone');
  gitOk(root, ['init', '-q', '-b', 'main', work]);
  // A run clone: <state>/run/clone beside the run's mirror (the view keeps its links in <state>/run/view-objects).
  initObserverRepo(join(root, 'mirror.git'));
  writeFileSync(join(work, 'f.txt'), 'a\n');
  gitOk(work, ['add', 'f.txt']);
  gitOk(work, [...id, 'commit', '-q', '--no-verify', '-m', 'a']);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** `peers check`'s view of the clone, in a child with a deadline (the operator's command would wait for ever). */
function viewWithin(ms: number, path?: string) {
  return spawnSync(process.execPath, ['-e', `const { withObservedWorkTree } = await import(${JSON.stringify(observedView)}); const { gitOk } = await import(${JSON.stringify(resolve(observedView, '../git.ts'))}); try { await withObservedWorkTree(${JSON.stringify(work)}, process.env, async () => { gitOk(${JSON.stringify(work)}, ['log', '--oneline', '-1', 'HEAD']); }); console.log('read'); } catch (e) { console.log('refused: ' + e.message); }`], {
    encoding: 'utf8',
    timeout: ms,
    killSignal: 'SIGKILL',
    env: path ? { ...process.env, PATH: `${path}:${process.env.PATH}` } : process.env,
  });
}

test('a FIFO a leftover process swaps into the clone\'s object store after the check cannot hang the operator\'s view', () => {
  // The peers' process that outlived its turn, played deterministically: it plants the FIFO the
  // moment the view first reads an object (its update-ref of HEAD), after the check has passed.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
  const idx = join(work, '.git/objects/pack/pack-0123456789012345678901234567890123456789.idx');
  const plant = `[ -e ${idx} ] || { echo x > ${idx.replace(/\.idx$/, '.pack')}; mkfifo ${idx}; }`;
  writeFileSync(join(bin, 'git'), `#!/bin/sh\ncase " $* " in *" update-ref "*) ${plant};; esac\nexec ${realGit} "$@"\n`, { mode: 0o755 });
  const r = viewWithin(15_000, bin);
  expect(spawnSync('test', ['-p', idx]).status, 'the leftover planted its FIFO').toBe(0);
  expect(r.signal, 'the view hung on the FIFO').toBeNull();
  expect(r.stdout.trim()).toBe('read');
});

test('a FIFO in a store the clone names in objects/info/alternates cannot hang the operator\'s view', () => {
  // A relative alternate into the peers' own tree: the host path of the clone need not be known.
  const other = join(work, 'stash', 'objects', 'pack');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'pack-0123456789012345678901234567890123456789.pack'), 'x');
  expect(spawnSync('mkfifo', [join(other, 'pack-0123456789012345678901234567890123456789.idx')]).status).toBe(0);
  writeFileSync(join(work, '.git/objects/info/alternates'), '../../stash/objects\n');
  const r = viewWithin(15_000);
  expect(r.signal, 'the view hung on the FIFO').toBeNull();
  expect(r.stdout).toContain('refused: ');
  expect(r.stdout).toContain('not a regular file');
});

test('the view of a run clone keeps its checked links in the run directory, out of the peers\' reach, and reuses them', () => {
  const r1 = viewWithin(15_000);
  expect(r1.stdout.trim()).toBe('read');
  const links = join(root, 'view-objects', '0');
  const loose = readdirSync(join(work, '.git/objects')).find((n) => /^[0-9a-f]{2}$/.test(n))!;
  const name = readdirSync(join(work, '.git/objects', loose))[0]!;
  const inode = (p: string) => lstatSync(p).ino;
  expect(inode(join(links, loose, name))).toBe(inode(join(work, '.git/objects', loose, name)));
  expect(viewWithin(15_000).stdout.trim()).toBe('read');
  expect(inode(join(links, loose, name))).toBe(inode(join(work, '.git/objects', loose, name)));
});

test("a `shallow` the peers plant in the run clone does not hide commits from the operator's view: it is the mirror's", async () => {
  // The peers' commit the operator's `peers check` must see, then one on top; a `shallow` naming the
  // top makes git end the history there, so every commit-based check reads one commit only.
  writeFileSync(join(work, 'f.txt'), 'b\n');
  gitOk(work, [...id, 'commit', '-q', '--no-verify', '-am', 'b: the one to hide']);
  writeFileSync(join(work, 'f.txt'), 'c\n');
  gitOk(work, [...id, 'commit', '-q', '--no-verify', '-am', 'c']);
  writeFileSync(join(work, '.git/shallow'), `${gitOk(work, ['rev-parse', 'HEAD']).trim()}\n`);
  const { withObservedWorkTree } = await import(observedView);
  const subjects = await withObservedWorkTree(work, process.env, async () => gitOk(work, ['log', '--format=%s', 'HEAD']).trim().split('\n'));
  expect(subjects).toEqual(['c', 'b: the one to hide', 'a']);
});
