/**
 * Files committed under `.peers/` and links out of the repository are read from one `git diff
 * --raw` of the run's range, shared by the turn's report and convergence (unread-code.ts): the same
 * answers as each reader's own diff gave, each turn told only what it added, and a HEAD read once.
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { parseRawDiffZ, treeChanges } from '../../../src/git/tree-changes.ts';
import { UnreadCodeReader } from '../../../src/loop/shell/unread-code.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const ID = ['-c', 'user.name=t', '-c', 'user.email=t@t'];

function repo(): { repo: string; snapshot: string; commit: (m: string) => string } {
  dir = mkdtempSync(join(tmpdir(), 'peers-unread-'));
  const repo = join(dir, 'repo');
  const snapshot = join(dir, 'snapshot');
  mkdirSync(join(repo, 'src'), { recursive: true });
  mkdirSync(snapshot);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  const commit = (m: string) => {
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...ID, 'commit', '-q', '--allow-empty', '-m', m]);
    return gitOk(repo, ['rev-parse', 'HEAD']).trim();
  };
  return { repo, snapshot, commit };
}

test('one raw diff answers both: the committed .peers/ files that are not the snapshot, and the links out of the tree', () => {
  const r = repo();
  writeFileSync(join(r.repo, 'src/calc.mjs'), 'export const x = 1;\n');
  mkdirSync(join(r.repo, '.peers'));
  writeFileSync(join(r.repo, '.peers/goals.yaml'), 'goals: []\n');
  writeFileSync(join(r.snapshot, 'goals.yaml'), 'goals: []\n');
  const base = r.commit('start');
  mkdirSync(join(r.repo, '.peers/lib'));
  writeFileSync(join(r.repo, '.peers/lib/calc-impl.mjs'), 'export function add() {}\n');
  writeFileSync(join(r.repo, '.peers/goals.yaml'), 'goals: []\n# same as the snapshot? no\n');
  symlinkSync('/tmp/peer-state/impl.mjs', join(r.repo, 'src/impl.mjs'));
  symlinkSync('../src/calc.mjs', join(r.repo, 'src/inside.mjs'));
  // A file renamed into .peers/ is a new path there (renames are off).
  renameSync(join(r.repo, 'src/calc.mjs'), join(r.repo, '.peers/calc.mjs'));
  const head = r.commit('hide');
  const found = new UnreadCodeReader(r.repo, r.snapshot).at(base, head);
  expect(found.control).toEqual({ ok: true, held: ['.peers/calc.mjs', '.peers/goals.yaml', '.peers/lib/calc-impl.mjs'] });
  expect(found.links).toMatchObject({ ok: true, links: ['src/impl.mjs -> /tmp/peer-state/impl.mjs'] });
  // Without a baseline, the whole tree at HEAD: the snapshot's own goals file no longer matches either.
  const whole = new UnreadCodeReader(r.repo, r.snapshot).at(undefined, head);
  expect(whole.control.ok && whole.control.held).toEqual(['.peers/calc.mjs', '.peers/goals.yaml', '.peers/lib/calc-impl.mjs']);
  expect(whole.links).toEqual(found.links);
  // A range git cannot read holds both (fail closed).
  const bad = new UnreadCodeReader(r.repo, r.snapshot).at('f'.repeat(40), head);
  expect(bad.control.ok).toBe(false);
  expect(bad.links.ok).toBe(false);
});

test("each turn is told the escaping links it added or repointed, not the ones already held; an unreadable HEAD says so", () => {
  const r = repo();
  writeFileSync(join(r.repo, 'a.txt'), 'a\n');
  const base = r.commit('start');
  symlinkSync('/etc/one', join(r.repo, 'src/one'));
  const t1 = r.commit('turn 1');
  writeFileSync(join(r.repo, 'a.txt'), 'b\n');
  const t2 = r.commit('turn 2: no link');
  rmSync(join(r.repo, 'src/one'));
  symlinkSync('/etc/two', join(r.repo, 'src/one'));
  const t3 = r.commit('turn 3: repointed');
  const reader = new UnreadCodeReader(r.repo, r.snapshot);
  expect(reader.linksAdded(base, base, t1)).toMatchObject({ ok: true, links: ['src/one -> /etc/one'] });
  expect(reader.linksAdded(base, t1, t2)).toMatchObject({ ok: true, links: [] });
  expect(reader.linksAdded(base, t2, t3)).toMatchObject({ ok: true, links: ['src/one -> /etc/two'] });
  // Convergence at the same HEAD still holds on the link the turn was told of.
  expect(reader.at(base, t3).links).toMatchObject({ ok: true, links: ['src/one -> /etc/two'] });
  expect(reader.linksAdded(base, t3, 'e'.repeat(40)).ok).toBe(false);
  // A HEAD before the turn that cannot be read: every link after it is told.
  expect(reader.linksAdded(base, 'e'.repeat(40), t3)).toMatchObject({ ok: true, links: ['src/one -> /etc/two'] });
});

test('a new link is told even when its path and target read as an older link\'s text (`a -> b` to `../x` beside `a` to `b -> ../x`)', () => {
  const r = repo();
  const base = r.commit('start');
  symlinkSync('b -> ../../../../x', join(r.repo, 'src/a'));
  const t1 = r.commit('turn 1');
  symlinkSync('../../../../x', join(r.repo, 'src/a -> b'));
  const t2 = r.commit('turn 2');
  const reader = new UnreadCodeReader(r.repo, r.snapshot);
  expect(reader.linksAdded(base, base, t1)).toMatchObject({ ok: true, links: ['src/a -> b -> ../../../../x'] });
  expect(reader.linksAdded(base, t1, t2)).toMatchObject({ ok: true, links: ['src/a -> b -> ../../../../x'], found: [{ path: 'src/a -> b', target: '../../../../x' }] });
});

test('a HEAD is read once: the second ask at it is answered without git, an unreadable one is asked again', () => {
  const r = repo();
  const base = r.commit('start');
  symlinkSync('/etc/x', join(r.repo, 'src/x'));
  const head = r.commit('link');
  const reader = new UnreadCodeReader(r.repo, r.snapshot);
  const first = reader.at(base, head);
  // The repository gone: only a kept answer can still be given.
  renameSync(r.repo, `${r.repo}-gone`);
  expect(reader.at(base, head)).toEqual(first);
  expect(new UnreadCodeReader(r.repo, r.snapshot).at(base, head).links.ok).toBe(false);
  const missing = reader.at(head, base);
  expect(missing.links.ok).toBe(false);
  renameSync(`${r.repo}-gone`, r.repo);
  expect(reader.at(head, base).links).toMatchObject({ ok: true, links: [] });
});

test('raw diff parsing: modes, deletions, type changes and names with line breaks', () => {
  const z = [':000000 120000 ' + '0'.repeat(40) + ' ' + 'a'.repeat(40) + ' A', 'src/l\nink', ':100644 000000 ' + 'b'.repeat(40) + ' ' + '0'.repeat(40) + ' D', 'gone.txt', ':100644 120000 ' + 'c'.repeat(40) + ' ' + 'd'.repeat(40) + ' T', 'was-file', ''].join('\0');
  expect(parseRawDiffZ(z)).toEqual([
    { path: 'src/l\nink', mode: '120000', sha: 'a'.repeat(40), deleted: false, oldMode: '000000', oldSha: '0'.repeat(40) },
    { path: 'gone.txt', mode: '000000', sha: '0'.repeat(40), deleted: true, oldMode: '100644', oldSha: 'b'.repeat(40) },
    { path: 'was-file', mode: '120000', sha: 'd'.repeat(40), deleted: false, oldMode: '100644', oldSha: 'c'.repeat(40) },
  ]);
  // A line of another shape is no entry to skip: the read fails (its callers hold).
  expect(() => parseRawDiffZ(`:100644 100644 ${'b'.repeat(40)}\0odd\0`)).toThrow('unexpected raw diff line');
  expect(treeChanges('/nonexistent-peers-dir', undefined, 'HEAD').ok).toBe(false);
});
