/**
 * Repeated git reads of the run's mirror are answered from memory (src/git/read-memo.ts), and an
 * answer never outlives what it depends on: a note the loop adds, a head it imports, the end of a
 * tick. Real git on a real run mirror; a `git` first on PATH counts what is really spawned.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetRefReads, git, gitOk } from '../../../src/git/git.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { classifyGitRead, movesOnlyNotes } from '../../../src/git/read-memo.ts';
import { attestCommits, readAttestations } from '../../../src/protocol/attestation.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('which git calls are reads, and of what', () => {
  test('reads that name every revision by object id depend on objects only', () => {
    for (const args of [
      ['merge-base', '--is-ancestor', A, B],
      ['log', '-z', '--format=%H%x00%ae%x00%B', '--reverse', `${A}..${B}`],
      ['rev-list', '--reverse', '--max-count=5000', `${A}..${B}`],
      ['diff', '-U0', '-w', '--ignore-blank-lines', '-M', '--no-color', '--no-ext-diff', '--no-textconv', `${A}..${B}`, '--', '.', ':(exclude).peers'],
      ['diff', '--name-only', '-z', '--no-renames', A, B],
      ['rev-parse', '--verify', '--quiet', `${A}^{commit}`],
      ['rev-parse', '--verify', '--quiet', A],
    ]) expect({ args, kind: classifyGitRead(args, undefined) }).toEqual({ args, kind: 'object' });
    expect(classifyGitRead(['cat-file', '--batch'], `${A}\n${B}\n`)).toBe('object');
  });

  test('reads that look at a ref are ref reads', () => {
    for (const args of [
      ['rev-parse', '--verify', '--quiet', 'HEAD'],
      ['rev-parse', '--verify', '--quiet', 'refs/peers/head^{commit}'],
      ['notes', '--ref=peers-attest', 'list'],
      ['log', '-z', '--format=%H%x00%ae%x00%B', '--reverse', `${A}..HEAD`],
      ['log', '-z', '--format=%H%x00%ae%x00%B', 'HEAD'],
    ]) expect({ args, kind: classifyGitRead(args, undefined) }).toEqual({ args, kind: 'ref' });
  });

  test('anything that may write, or whose answer depends on more than the revisions named, is not kept', () => {
    for (const args of [
      ['fetch', '--quiet', '/stage.git', '+refs/peers/head:refs/peers/head'],
      ['update-ref', 'refs/peers/head', A],
      ['notes', '--ref=peers-attest', 'add', '-f', '-m', 'alice', A],
      ['log', '--all', `${A}..${B}`],
      ['log', '--since=2.weeks', `${A}..${B}`],
      ['log', '--format=%H %N', `${A}..${B}`],
      ['log', '--format=%G?', `${A}..${B}`],
      ['log', '--ext-diff', `${A}..${B}`],
      ['diff', 'HEAD', B],
      ['diff', A, B, '--', ':(attr:x)f'],
      ['rev-parse', '--verify', '--quiet', 'HEAD~1'],
      ['rev-parse', 'HEAD'],
      ['log', 'main@{yesterday}'],
      ['log', '-z'],
      ['status', '--porcelain=v1'],
    ]) expect({ args, kind: classifyGitRead(args, undefined) }).toEqual({ args, kind: 'other' });
    expect(classifyGitRead(['cat-file', '--batch'], 'HEAD:secret\n')).toBe('other');
    expect(classifyGitRead(['rev-parse', '--verify', '--quiet', 'HEAD'], 'x')).toBe('other');
  });

  test('a write that moves only a notes ref is told apart from one that may move any ref', () => {
    expect(movesOnlyNotes(['notes', '--ref=peers-attest', 'add', '-f', '-m', 'alice', A])).toBe(true);
    expect(movesOnlyNotes(['notes', '--ref=peers-attest', 'copy', '-f', '--stdin'])).toBe(true);
    expect(movesOnlyNotes(['update-ref', 'refs/notes/peers-attest', A])).toBe(true);
    expect(movesOnlyNotes(['update-ref', 'refs/peers/head', A])).toBe(false);
    expect(movesOnlyNotes(['update-ref', '--stdin'])).toBe(false);
    expect(movesOnlyNotes(['fetch', '/x', '+refs/notes/peers-attest:refs/notes/peers-attest'])).toBe(false);
  });
});

describe('the run mirror\'s reads, on real git', () => {
  let dir: string;
  let work: string;
  let observer: RunObserver;
  let spawnLog: string;
  let savedPath: string | undefined;
  const id = { env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } };
  const commit = (msg: string) => {
    writeFileSync(join(work, 'f.txt'), msg);
    spawnSync('git', ['add', 'f.txt'], { cwd: work });
    spawnSync('git', ['commit', '-qm', msg], { cwd: work, env: { ...process.env, ...id.env } });
    return spawnSync('git', ['rev-parse', 'HEAD'], { cwd: work, encoding: 'utf8' }).stdout.trim();
  };
  /** How many git processes `fn` spawned. */
  const spawnedIn = (fn: () => void): number => {
    const before = readFileSync(spawnLog, 'utf8').split('\n').length;
    fn();
    return readFileSync(spawnLog, 'utf8').split('\n').length - before;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'peers-read-memo-'));
    work = join(dir, 'work');
    spawnSync('git', ['init', '-q', '-b', 'main', work]);
    commit('one');
    observer = new RunObserver({ workDir: work, mirror: join(dir, 'mirror.git'), stage: join(dir, 'stage.git'), lenient: true });
    observer.sync();
    // A `git` that logs every call and runs the real one: what is counted is what is spawned.
    const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    spawnLog = join(dir, 'spawned.log');
    writeFileSync(spawnLog, '');
    writeFileSync(join(dir, 'git'), `#!/bin/sh\necho "$*" >> ${spawnLog}\nexec ${real} "$@"\n`);
    chmodSync(join(dir, 'git'), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  test('the same object read twice spawns git once, and answers the same', () => {
    commit('one more');
    observer.sync();
    const head = observer.head()!;
    const base = gitOk(observer.mirror, ['rev-list', '--max-parents=0', 'HEAD']).trim();
    // A format no other read of the mirror uses, so the first read is not already kept.
    const args = ['log', '-z', '--format=%H %s', '--reverse', `${base}..${head}`];
    let first = '';
    let second = '';
    expect(spawnedIn(() => (first = gitOk(observer.mirror, args)))).toBe(1);
    expect(spawnedIn(() => (second = gitOk(observer.mirror, args)))).toBe(0);
    expect(second).toBe(first);
    // merge-base's "no" (exit 1) is an answer too.
    expect(spawnedIn(() => expect(git(observer.mirror, ['merge-base', '--is-ancestor', head, base]).code).toBe(1))).toBe(1);
    expect(spawnedIn(() => expect(git(observer.mirror, ['merge-base', '--is-ancestor', head, base]).code).toBe(1))).toBe(0);
  });

  test('a note the loop adds is in the next read of the notes, though the notes were read just before', () => {
    const head = observer.head()!;
    expect(readAttestations(observer.mirror).get(head)).toBeUndefined();
    expect(spawnedIn(() => readAttestations(observer.mirror))).toBe(0); // the notes, as just read
    attestCommits(observer.mirror, 'alice', undefined, head);
    expect(readAttestations(observer.mirror).get(head)).toBe('alice');
  });

  test('a head the loop imports is the next HEAD read, and a new tick reads refs afresh', () => {
    const before = gitOk(observer.mirror, ['rev-parse', '--verify', '--quiet', 'HEAD']).trim();
    expect(spawnedIn(() => gitOk(observer.mirror, ['rev-parse', '--verify', '--quiet', 'HEAD']))).toBe(0);
    const next = commit('two');
    observer.sync();
    expect(next).not.toBe(before);
    expect(gitOk(observer.mirror, ['rev-parse', '--verify', '--quiet', 'HEAD']).trim()).toBe(next);
    forgetRefReads();
    expect(spawnedIn(() => gitOk(observer.mirror, ['rev-parse', '--verify', '--quiet', 'HEAD']))).toBe(1);
  });

  test('a repository other than the run mirror is always asked', () => {
    const args = ['rev-parse', '--verify', '--quiet', 'HEAD'];
    expect(spawnedIn(() => gitOk(work, args))).toBe(1);
    expect(spawnedIn(() => gitOk(work, args))).toBe(1);
  });
});
