import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk, headSha } from '../../../src/git/git.ts';
import { CHANGES_CAP_BYTES, reviewChanges, dirtyPaths, inboxLines, observeTurnGit } from '../../../src/loop/git-observe.ts';

let repo: string;
const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
function commit(msg: string, file = 'f.txt'): string {
  writeFileSync(join(repo, file), `${msg}\n`);
  gitOk(repo, ['add', file]);
  gitOk(repo, [...id, 'commit', '-q', '-m', msg]);
  return headSha(repo)!;
}

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'peers-gitobs-'));
  gitOk(repo, ['init', '-q', '-b', 'main']);
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe('git facts of a turn', () => {
  test('new commits oldest first; a reset behind the start is a rewrite', () => {
    const a = commit('a');
    commit('b');
    commit('c');
    const facts = observeTurnGit(repo, a);
    expect(facts.rewritten).toBe(false);
    expect(facts.newCommits.map((c) => c.subject)).toEqual(['b', 'c']);
    gitOk(repo, ['reset', '-q', '--hard', a]);
    commit('other');
    expect(observeTurnGit(repo, facts.headAfter).rewritten).toBe(true);
  });

  test('an empty repository: the first commits are all new', () => {
    commit('first');
    expect(observeTurnGit(repo, null).newCommits.map((c) => c.subject)).toEqual(['first']);
  });

  test('dirty paths include untracked files and renames, never the .peers control plane', () => {
    commit('a', 'old.txt');
    gitOk(repo, ['mv', 'old.txt', 'new.txt']);
    writeFileSync(join(repo, 'untracked.txt'), 'x');
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers', 'config.yaml'), 'x');
    expect(dirtyPaths(repo).sort()).toEqual(['new.txt', 'untracked.txt']);
  });

  test("inbox: the other peers' commits since the cursor, not one's own", () => {
    const start = commit('base');
    writeFileSync(join(repo, 'g.txt'), '1');
    gitOk(repo, ['add', 'g.txt']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'fix parser', '-m', 'Peer: bob']);
    writeFileSync(join(repo, 'h.txt'), '1');
    gitOk(repo, ['add', 'h.txt']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'my own', '-m', 'Peer: alice']);
    const lines = inboxLines(repo, 'alice', start, headSha(repo)!);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[bob\] fix parser \([0-9a-f]{8}\)$/);
    expect(inboxLines(repo, 'alice', undefined, headSha(repo)!)).toEqual([]);
  });

  test('changes for a blind review: the code diff since the cursor, never commit messages, .peers/ excluded', () => {
    const a = commit('start');
    writeFileSync(join(repo, 'f.txt'), 'answer: 42\n');
    mkdirSync(join(repo, '.peers'), { recursive: true });
    writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals: []\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'Fix it\n\n## Self-Review\nNOTES-OF-THE-IMPLEMENTER\n\nPeer: bob']);
    const saved: string[] = [];
    const { text: diff, truncated } = reviewChanges(repo, a, headSha(repo)!, (d) => (saved.push(d), 'unused'));
    expect(truncated).toBe(false);
    expect(saved).toEqual([]);
    expect(diff).toContain('+answer: 42');
    expect(diff).toContain('-start');
    expect(diff).not.toContain('NOTES-OF-THE-IMPLEMENTER');
    expect(diff).not.toContain('Fix it');
    expect(diff).not.toContain('.peers');
    expect(reviewChanges(repo, undefined, headSha(repo)!, () => null).text).toBe('');
    expect(reviewChanges(repo, headSha(repo)!, headSha(repo)!, () => null).text).toBe('');
  });

  test('a diff too large for the prompt is summarised: every changed file listed, the full diff saved and named', () => {
    const a = commit('start');
    writeFileSync(join(repo, 'big.txt'), `${'x'.repeat(100)}\n`.repeat(1000));
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'small.ts'), 'export const tiny = 1;\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'big']);
    let full = '';
    const { text, truncated } = reviewChanges(repo, a, headSha(repo)!, (d) => ((full = d), '/state/diffs/tick-00002-bob.diff'));
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(CHANGES_CAP_BYTES);
    expect(text).toContain('big.txt');
    expect(text).toContain('src/small.ts');
    expect(text).toContain('The full diff is saved at /state/diffs/tick-00002-bob.diff.');
    expect(text).toContain(`\`git diff ${a.slice(0, 12)}..${headSha(repo)!.slice(0, 12)} -- <file>\``);
    expect(text).not.toContain('xxxxxxxxxx');
    expect(full).toContain('+export const tiny = 1;');
    expect(Buffer.byteLength(full)).toBeGreaterThan(100_000);
  });
});
