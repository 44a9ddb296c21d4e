/**
 * Attestation on a real repository: the loop's note, not the trailer a peer types, says who made a
 * commit; commits from before the run are the operator's; a note a peer forged or emptied is not
 * believed; approvals count for the attested reviewer only.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { OPERATOR } from '../../../src/protocol/approvals.ts';
import { ATTEST_REF, attestCommits, attestedPeer, attestedPeerLookup, readAttestations, readAttestationView } from '../../../src/protocol/attestation.ts';
import { makeRepo, sh, type Repo } from './git-fixture.ts';

let repo: Repo;
afterEach(() => repo?.cleanup());

const reviewOf = (target: string, peer: string) => `review\n\n## Review\n{"pass": true, "notes": "read it"}\n\nPeer-Review-Of: ${target}\nPeer: ${peer}`;

describe('the loop attests what a tick made', () => {
  test('every commit of the tick is noted, oldest first, by the loop\'s own identity, over any note the peer forged', () => {
    repo = makeRepo();
    const base = repo.commit('init', {}, null);
    const a = repo.commit('one', {}, null);
    const b = repo.commit('two', {}, null);
    sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'add', '-m', 'bob', b]); // alice's tick forges bob's name
    expect(attestCommits(repo.dir, 'alice', base, b)).toEqual([a, b]);
    expect([attestedPeer(repo.dir, base), attestedPeer(repo.dir, a), attestedPeer(repo.dir, b)]).toEqual([undefined, 'alice', 'alice']);
    expect(sh(repo.dir, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', `refs/notes/${ATTEST_REF}`]).trim()).toBe('peers-substrate <peers-substrate@local>|peers-substrate <peers-substrate@local>');
  });

  test('a tick of many commits: every one noted (the first written, the rest copied from it in one call), forged notes overwritten', () => {
    repo = makeRepo();
    const base = repo.commit('init', {}, null);
    const made = [repo.commit('one', {}, null), repo.commit('two', {}, null), repo.commit('three', {}, null), repo.commit('four', {}, null)];
    sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'add', '-m', 'bob', made[0]!]);
    sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'add', '-m', 'bob', made[2]!]);
    expect(attestCommits(repo.dir, 'alice', base, made[3]!)).toEqual(made);
    expect(Object.fromEntries(readAttestations(repo.dir))).toEqual(Object.fromEntries(made.map((sha) => [sha, 'alice'])));
    expect(sh(repo.dir, ['log', '-1', '--format=%an|%cn', `refs/notes/${ATTEST_REF}`]).trim()).toBe('peers-substrate|peers-substrate');
  });

  test('a tick that made no commit notes nothing', () => {
    repo = makeRepo();
    const a = repo.commit('one', {}, null);
    expect(attestCommits(repo.dir, 'alice', a, a)).toEqual([]);
    expect(readAttestations(repo.dir).size).toBe(0);
  });

  test('on the first tick of an empty repository every commit is the tick\'s', () => {
    repo = makeRepo();
    const a = repo.commit('one', {}, null);
    const b = repo.commit('two', {}, null);
    expect(attestCommits(repo.dir, 'alice', undefined, b)).toEqual([a, b]);
    expect(Object.fromEntries(readAttestations(repo.dir))).toEqual({ [a]: 'alice', [b]: 'alice' });
  });

  test('an empty note (a peer blanking its attestation) names nobody', () => {
    repo = makeRepo();
    const a = repo.commit('one', {}, null);
    const b = repo.commit('two', {}, 'bob');
    sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'add', '--allow-empty', '-m', '', a]);
    expect(attestedPeer(repo.dir, a)).toBeUndefined();
    expect(Object.fromEntries(readAttestations(repo.dir))).toEqual({ [b]: 'bob' });
  });
});

describe('reading every note at once', () => {
  test('each commit maps to its own peer, whatever the length of the names', () => {
    repo = makeRepo();
    const a = repo.commit('one', {}, 'al');
    const b = repo.commit('two', {}, 'bartholomew-the-reviewer');
    const c = repo.commit('three', {}, 'c');
    const d = repo.commit('four', {}, null);
    const notes = readAttestations(repo.dir);
    expect(Object.fromEntries(notes)).toEqual({ [a]: 'al', [b]: 'bartholomew-the-reviewer', [c]: 'c' });
    expect(notes.has(d)).toBe(false);
  });

  test('a damaged repository: a missing note object credits no later commit to the wrong peer', () => {
    repo = makeRepo();
    const names = ['alice-one', 'bob-two', 'carol-three'];
    for (const name of names) repo.commit(name, {}, name);
    const listed = sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'list']).trim().split('\n').map((l) => l.split(' ') as [string, string]);
    expect(listed).toHaveLength(3);
    const objectFile = (blob: string) => join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2));
    const [first, middle, last] = listed as [[string, string], [string, string], [string, string]];
    const firstName = readAttestations(repo.dir).get(first[1])!;
    rmSync(objectFile(middle[0]), { force: true });
    const notes = readAttestations(repo.dir);
    expect(notes.get(first[1])).toBe(firstName);
    expect(notes.has(middle[1])).toBe(false);
    expect(notes.has(last[1])).toBe(false); // fail closed: unread, not misread
  });

  test('a note object git cannot read (a truncated blob) stops the read with an error naming the git command, crediting nobody silently', () => {
    repo = makeRepo();
    repo.commit('one', {}, 'alice');
    const [blob] = sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'list']).trim().split(' ') as [string];
    const objectFile = join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2));
    // The header still inflates (so `cat-file` announces the blob) but the content cannot: git exits 128 mid-answer.
    const whole = deflateSync(Buffer.from('blob 6\0alice\n'));
    chmodSync(objectFile, 0o644);
    writeFileSync(objectFile, whole.subarray(0, whole.length - 6));
    expect(() => readAttestations(repo.dir)).toThrow('git cat-file --batch failed (exit 128)');
  });

  test('a forged notes ref whose note is not a text blob (here a commit object) names nobody', () => {
    repo = makeRepo();
    const a = repo.commit('one', {}, null);
    // A tree mapping commit a to an object that is a commit, not a note's blob: git's own tools refuse to write it.
    const tree = spawnSync('git', ['hash-object', '-t', 'tree', '-w', '--stdin'], { cwd: repo.dir, input: Buffer.concat([Buffer.from(`100644 ${a}\0`), Buffer.from(a, 'hex')]) });
    expect(tree.status).toBe(0);
    const notesCommit = sh(repo.dir, ['commit-tree', '-m', 'forged notes', tree.stdout.toString().trim()]).trim();
    sh(repo.dir, ['update-ref', `refs/notes/${ATTEST_REF}`, notesCommit]);
    expect(sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'list']).trim()).toBe(`${a} ${a}`);
    expect(readAttestations(repo.dir).size).toBe(0);
  });

  test('a repository without notes, or without commits, gives none', () => {
    repo = makeRepo();
    expect(readAttestations(repo.dir).size).toBe(0);
    repo.commit('one', {}, null);
    expect(readAttestations(repo.dir).size).toBe(0);
  });

  test('the per-commit lookup reads each note once per pass, so a note rewritten mid-pass does not change its answer', () => {
    repo = makeRepo();
    const a = repo.commit('one', {}, 'alice');
    const b = repo.commit('two', {}, null);
    const lookup = attestedPeerLookup(repo.dir);
    expect([lookup(a), lookup(b)]).toEqual(['alice', undefined]);
    sh(repo.dir, ['notes', `--ref=${ATTEST_REF}`, 'add', '-f', '-m', 'mallory', a]);
    expect(lookup(a)).toBe('alice');
    expect(attestedPeerLookup(repo.dir)(a)).toBe('mallory');
  });
});

describe('the run\'s attestation view', () => {
  test('commits before the run are the operator\'s; unnoted commits of the run are nobody\'s; notes win', () => {
    repo = makeRepo();
    const old = repo.commit('before the run', {}, null);
    const baseline = repo.commit('run starts here', {}, null);
    const unnoted = repo.commit('sneaked in', {}, null);
    const noted = repo.commit('a tick', {}, 'alice');
    const view = readAttestationView(repo.dir, baseline);
    expect([view.peerOf(old), view.peerOf(baseline), view.peerOf(unnoted), view.peerOf(noted)]).toEqual([OPERATOR, OPERATOR, undefined, 'alice']);
    expect(view.peerOf(unnoted)).toBeUndefined(); // asked twice: the same answer
  });

  test('without a baseline no commit is the operator\'s', () => {
    repo = makeRepo();
    const old = repo.commit('one', {}, null);
    const view = readAttestationView(repo.dir, undefined);
    expect(view.peerOf(old)).toBeUndefined();
  });

  test('an approval counts for the attested reviewer of a review made during the run, not one from before it', () => {
    repo = makeRepo();
    const target = repo.commit('feature', {}, 'alice');
    repo.commit(reviewOf(target, 'carol'), {}, 'carol'); // before the run: not this run's approval
    const baseline = repo.commit('run starts here', {}, null);
    const work = repo.commit('work', {}, 'alice');
    repo.commit(reviewOf(work, 'bob'), {}, 'bob');
    const view = readAttestationView(repo.dir, baseline);
    expect([...view.approversOf(work)]).toEqual(['bob']);
    expect([...view.approversOf(target)]).toEqual([]);
    const whole = readAttestationView(repo.dir, undefined);
    expect([...whole.approversOf(target)]).toEqual(['carol']);
  });

  test('the view is read up to the head asked for, HEAD by default', () => {
    repo = makeRepo();
    const baseline = repo.commit('run starts here', {}, null);
    const work = repo.commit('work', {}, 'alice');
    const before = repo.head();
    repo.commit(reviewOf(work, 'bob'), {}, 'bob');
    expect([...readAttestationView(repo.dir, baseline, before).approversOf(work)]).toEqual([]);
    expect([...readAttestationView(repo.dir, baseline).approversOf(work)]).toEqual(['bob']);
  });

  test('a repository without commits has an empty view', () => {
    repo = makeRepo();
    const view = readAttestationView(repo.dir, undefined);
    expect(view.peerOf('0'.repeat(40))).toBeUndefined();
    expect([...view.approversOf('0'.repeat(40))]).toEqual([]);
  });
});
