/**
 * The mirror's head is checked to be a commit after every import (observer.ts) by reading the
 * type its own pack gives the object, without git. A wrong answer here would let a blob or tree
 * become the run's head, or refuse an honest commit.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { packedObjectType } from '../../../src/git/pack-object-type.ts';

const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
let work: string;
const gitDir = () => join(work, '.git');
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'peers-pack-type-'));
  gitOk(work, ['init', '-q', '-b', 'main', work]);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function commitFile(name: string, content: string): string {
  writeFileSync(join(work, name), content);
  gitOk(work, ['add', name]);
  gitOk(work, [...id, 'commit', '-q', '--no-verify', '-m', `add ${name}`]);
  return gitOk(work, ['rev-parse', 'HEAD']).trim();
}

describe('packedObjectType', () => {
  test('a packed commit, tree, blob and annotated tag are read as what they are; an object no pack holds is unknown', () => {
    const c = commitFile('a.txt', 'some data\n');
    gitOk(work, [...id, 'tag', '-a', '-m', 'v1', 'v1']);
    gitOk(work, ['repack', '-a', '-d', '-q']);
    const tree = gitOk(work, ['rev-parse', `${c}^{tree}`]).trim();
    const blob = gitOk(work, ['rev-parse', `${c}:a.txt`]).trim();
    const tag = gitOk(work, ['rev-parse', 'v1']).trim();
    expect(packedObjectType(gitDir(), c)).toBe('commit');
    expect(packedObjectType(gitDir(), tree)).toBe('tree');
    expect(packedObjectType(gitDir(), blob)).toBe('blob');
    expect(packedObjectType(gitDir(), tag)).toBe('tag');
    expect(packedObjectType(gitDir(), 'f'.repeat(40))).toBeUndefined();
    expect(packedObjectType(gitDir(), 'not an id')).toBeUndefined();
  });

  test('an object stored as a delta names no type of its own: unknown, so git is asked', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} of a file long enough to be worth a delta`).join('\n');
    const first = commitFile('big.txt', `${lines}\n`);
    const second = commitFile('big.txt', `${lines}\none more line\n`);
    gitOk(work, ['repack', '-a', '-d', '-f', '-q', '--window=10', '--depth=10']);
    const blobs = [gitOk(work, ['rev-parse', `${first}:big.txt`]).trim(), gitOk(work, ['rev-parse', `${second}:big.txt`]).trim()];
    // `git verify-pack -v`: a delta's line has its depth and base after the sizes.
    const dir = join(gitDir(), 'objects', 'pack');
    const verify = gitOk(work, ['verify-pack', '-v', ...readdirSync(dir).filter((n) => n.endsWith('.idx')).map((n) => join(dir, n))]);
    const isDelta = (sha: string) => verify.split('\n').some((l) => l.startsWith(sha) && l.trim().split(/\s+/).length > 5);
    const delta = blobs.find(isDelta);
    const whole = blobs.find((b) => !isDelta(b));
    expect(delta).toBeDefined();
    expect(packedObjectType(gitDir(), delta!)).toBeUndefined();
    expect(packedObjectType(gitDir(), whole!)).toBe('blob');
  });

  test('a damaged index is not read: unknown', () => {
    const c = commitFile('a.txt', 'x\n');
    gitOk(work, ['repack', '-a', '-d', '-q']);
    const dir = join(gitDir(), 'objects', 'pack');
    const idx = readdirSync(dir).find((n) => n.endsWith('.idx'))!;
    chmodSync(join(dir, idx), 0o644);
    writeFileSync(join(dir, idx), 'not an index');
    expect(packedObjectType(gitDir(), c)).toBeUndefined();
  });
});
