/**
 * A full disk (or quota, or an I/O error) under a host command is the machine's state, not a bug in
 * peers: `peers up` with its state directory on a full disk ended "internal error … please report
 * it" (exit 70), git's own "No space left on device" buried in it.
 */
import { expect, test } from 'bun:test';
import { reportFatal } from '../../../src/cli/report-error.ts';
import { GitError } from '../../../src/git/git.ts';

function stderrOf(e: unknown): { text: string; code: number } {
  let text = '';
  const code = reportFatal(e, { stderr: { write: (s: string) => ((text += s), true) } as never, env: { NO_COLOR: '1' } });
  return { text, code };
}

test("git's fetch into the run's mirror on a full disk (the message `peers up` printed): exit 1, said as a full disk, with what to do", () => {
  const args = ['fetch', '--quiet', '/home/me/app', '+HEAD:refs/peers/base'];
  const r = stderrOf(new GitError(args, { code: 128, stdout: '', stderr: 'fatal: write error: No space left on device\nfatal: fetch-pack: invalid index-pack output\n' }));
  expect(r.code).toBe(1);
  expect(r.text).not.toContain('internal error');
  expect(r.text).toStartWith('peers: no space left on the device: git fetch --quiet /home/me/app +HEAD:refs/peers/base failed (exit 128): fatal: write error: No space left on device');
  expect(r.text).toContain('hint: free space on the disk that holds the state directory (XDG_STATE_HOME, or PEERS_STATE_DIR; `peers prune` deletes archived runs) or the repository, then run the command again: what was written whole stays');
});

test('an errno from a write names the file; quota and I/O errors are told apart', () => {
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, write '/s/peers/app/state.json'"), { code: 'ENOSPC', path: '/s/peers/app/state.json' });
  const r = stderrOf(enospc);
  expect(r.code).toBe(1);
  expect(r.text).toStartWith('peers: no space left on the device: /s/peers/app/state.json: ');
  const quota = stderrOf(Object.assign(new Error('EDQUOT: disk quota exceeded'), { code: 'EDQUOT' }));
  expect([quota.code, quota.text.split('\n')[0]]).toEqual([1, 'peers: disk quota exceeded: EDQUOT: disk quota exceeded']);
  const io = stderrOf(new Error('wrapped', { cause: Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }) }));
  expect([io.code, io.text.split('\n')[0]]).toEqual([1, 'peers: an I/O error: EIO: i/o error, read']);
  expect(io.text).toContain('hint: check the disk and its file system (dmesg), then run the command again');
  // Anything else is still a bug, reported as one.
  expect(stderrOf(new Error('undefined is not a function')).code).toBe(70);
});
