import { describe, expect, test } from 'bun:test';
import { GitError } from '../../../src/git/git.ts';
import { PeersError } from '../../../src/cli/errors.ts';
import { fileAccessError } from '../../../src/fs/file-errors.ts';
import { storageStop } from '../../../src/loop/shell/storage-stop.ts';
import { exitCodeFor, formatStopReason, parseStopReason } from '../../../src/state/stop-reason.ts';

const errno = (code: string, path?: string) => Object.assign(new Error(`${code}: failed, write`), { code, ...(path ? { path } : {}) });

describe('storage stops', () => {
  test('ENOSPC and EDQUOT are disk-full, EIO is io-error, naming the file the write hit', () => {
    expect(storageStop(errno('ENOSPC', '/s/state.json'), '/s')).toEqual({ kind: 'storage', problem: 'disk-full', path: '/s/state.json' });
    expect(storageStop(errno('EDQUOT', '/s/runs.jsonl'), '/s')).toEqual({ kind: 'storage', problem: 'disk-full', path: '/s/runs.jsonl' });
    expect(storageStop(errno('EIO'), '/s')).toEqual({ kind: 'storage', problem: 'io-error', path: '/s' });
  });

  test('other failures are not storage stops', () => {
    expect(storageStop(errno('EACCES', '/s/x'), '/s')).toBeNull();
    expect(storageStop(new Error('boom'), '/s')).toBeNull();
    expect(storageStop(new GitError(['fetch'], { code: 128, stdout: '', stderr: 'fatal: bad object' }), '/s')).toBeNull();
    expect(storageStop(undefined, '/s')).toBeNull();
  });

  test('a full disk under git (fetch into the mirror) or wrapped by a file reader is still disk-full', () => {
    const git = new GitError(['fetch'], { code: 128, stdout: '', stderr: 'error: unable to write file objects/ab/cd: No space left on device' });
    expect(storageStop(git, '/s/run/mirror.git')).toEqual({ kind: 'storage', problem: 'disk-full', path: '/s/run/mirror.git' });
    const wrapped = fileAccessError(errno('ENOSPC', '/s/gate-cache.json'), '/s/gate-cache.json', { what: 'gate cache', hint: '' });
    expect(wrapped).toBeInstanceOf(PeersError);
    expect(storageStop(wrapped, '/s')).toEqual({ kind: 'storage', problem: 'disk-full', path: '/s/gate-cache.json' });
  });

  test('the stop reason text round-trips, keeps a path with spaces, and exits 1', () => {
    const stop = { kind: 'storage', problem: 'disk-full', path: '/home/a b/state/state.json' } as const;
    expect(formatStopReason(stop)).toBe('disk-full:/home/a b/state/state.json');
    expect(parseStopReason(formatStopReason(stop))).toEqual(stop);
    expect(parseStopReason('io-error:/s/runs.jsonl')).toEqual({ kind: 'storage', problem: 'io-error', path: '/s/runs.jsonl' });
    expect(exitCodeFor(stop)).toBe(1);
  });
});
