/**
 * Trees cross between the host and a Pod only as tar streams (sandbox/k8s/tar-tree.ts). Packing
 * keeps a repository as it is (symlinks as links, modes); unpacking treats every archive as an
 * attack: names that climb out, absolute names, links planted to redirect a later write, hard
 * links, devices, oversize streams are refused, and nothing lands outside the given roots.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { packTrees, unpackTrees, UnsafeArchiveError } from '../../../../sandbox/k8s/tar-tree.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-tar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

async function packToBuffer(sources: Parameters<typeof packTrees>[0]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  await packTrees(sources, out);
  return Buffer.concat(chunks);
}

/** A hand-made archive (what an attacker would send). */
async function archive(entries: { name: string; type?: 'file' | 'symlink' | 'link' | 'directory' | 'character-device' | 'fifo'; body?: string; linkname?: string; mode?: number }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (b: unknown) => void chunks.push(b as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.type === undefined || e.type === 'file') p.entry({ name: e.name, mode: e.mode ?? 0o644 }, e.body ?? '', cb);
      else p.entry({ name: e.name, type: e.type, linkname: e.linkname, mode: e.mode ?? 0o755 }, cb).end(undefined);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const unpack = (buf: Buffer, roots: Record<string, string>, extra: Partial<Parameters<typeof unpackTrees>[1]> = {}) =>
  unpackTrees(Readable.from([buf]), { roots, mode: 'create', symlinks: true, maxBytes: 1 << 30, maxEntries: 10_000, ...extra });

describe('a repository crosses whole', () => {
  test('a git work tree with a symlink, an executable and .git comes out identical (git fsck clean, same HEAD, clean status)', async () => {
    const src = fresh();
    const git = (...a: string[]) => execFileSync('git', ['-C', src, ...a], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    mkdirSync(join(src, 'bin'));
    writeFileSync(join(src, 'bin', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(src, 'README'), 'readme\n');
    symlinkSync('README', join(src, 'LINK'));
    git('add', '-A');
    git('commit', '-qm', 'one');
    const buf = await packToBuffer([{ dir: src, as: 'state/run/clone' }]);
    const dest = fresh();
    await unpack(buf, { state: dest });
    const out = join(dest, 'run', 'clone');
    expect(readlinkSync(join(out, 'LINK'))).toBe('README');
    expect(statSync(join(out, 'bin', 'run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(out, 'README')).mode & 0o111).toBe(0);
    const git2 = (...a: string[]) => execFileSync('git', ['-C', out, ...a], { encoding: 'utf8' });
    expect(git2('rev-parse', 'HEAD')).toBe(git('rev-parse', 'HEAD'));
    expect(git2('status', '--porcelain')).toBe('');
    git2('fsck', '--strict');
  });

  test('excluded paths stay home; sockets and FIFOs are skipped', async () => {
    const src = fresh();
    mkdirSync(join(src, 'run', 'clone'), { recursive: true });
    writeFileSync(join(src, 'run', 'clone', 'big'), 'x');
    writeFileSync(join(src, 'state.json'), '{}');
    execFileSync('mkfifo', [join(src, 'fifo')]);
    const buf = await packToBuffer([{ dir: src, as: 'state', exclude: ['run'] }]);
    const dest = fresh();
    await unpack(buf, { state: dest });
    expect(readFileSync(join(dest, 'state.json'), 'utf8')).toBe('{}');
    expect(existsSync(join(dest, 'run'))).toBe(false);
    expect(existsSync(join(dest, 'fifo'))).toBe(false);
  });
});

describe('hostile archives are refused and write nothing outside the roots', () => {
  const cases: [string, Parameters<typeof archive>[0], RegExp][] = [
    ['a name that climbs out with ..', [{ name: 'state/../escaped', body: 'x' }], /\.\. segment/],
    ['an absolute name', [{ name: '/tmp/escaped', body: 'x' }], /absolute name/],
    ['a name under no root', [{ name: 'other/escaped', body: 'x' }], /outside the expected trees/],
    ['a symlink planted, then a file written through it', [{ name: 'state/link', type: 'symlink', linkname: '..' }, { name: 'state/link/escaped', body: 'x' }], /is a symlink on the way/],
    ['a symlink planted, then a directory made through it', [{ name: 'state/link', type: 'symlink', linkname: '/tmp' }, { name: 'state/link/sub/', type: 'directory' }], /is a symlink on the way/],
    ['a hard link to a file elsewhere', [{ name: 'state/hard', type: 'link', linkname: '/etc/passwd' }], /is a link/],
    ['a device node', [{ name: 'state/dev', type: 'character-device' }], /is a character-device/],
    ['a FIFO', [{ name: 'state/fifo', type: 'fifo' }], /is a fifo/],
    ['the same file twice (the second would overwrite)', [{ name: 'state/a', body: '1' }, { name: 'state/a', body: '2' }], /EEXIST|exists/],
    ['a file where a directory was', [{ name: 'state/d/', type: 'directory' }, { name: 'state/d', body: 'x' }], /EEXIST|exists/],
  ];
  for (const [what, entries, why] of cases) {
    test(what, async () => {
      const dest = join(fresh(), 'in');
      mkdirSync(dest);
      const outside = join(root, 'escaped');
      const buf = await archive(entries);
      await expect(unpack(buf, { state: dest }).catch((e) => Promise.reject(new Error(`${(e as Error).name}: ${(e as Error).message}`)))).rejects.toThrow(why);
      expect(existsSync(outside)).toBe(false);
      expect(existsSync('/tmp/escaped')).toBe(false);
    });
  }

  test('symlinks are refused outright where only files are expected (state coming home)', async () => {
    const dest = fresh();
    await expect(unpack(await archive([{ name: 'state/l', type: 'symlink', linkname: '/etc/passwd' }]), { state: dest }, { symlinks: false })).rejects.toBeInstanceOf(UnsafeArchiveError);
    expect(existsSync(join(dest, 'l'))).toBe(false);
  });

  test('replace mode: a symlink already at the target is not written through', async () => {
    const dest = fresh();
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'original');
    symlinkSync(victim, join(dest, 'state.json'));
    await expect(unpack(await archive([{ name: 'state/state.json', body: 'evil' }]), { state: dest }, { mode: 'replace', symlinks: false })).rejects.toThrow(/not a regular file/);
    expect(readFileSync(victim, 'utf8')).toBe('original');
    expect(lstatSync(join(dest, 'state.json')).isSymbolicLink()).toBe(true);
  });

  test('replace mode overwrites regular files atomically', async () => {
    const dest = fresh();
    writeFileSync(join(dest, 'state.json'), 'old');
    await unpack(await archive([{ name: 'state/state.json', body: 'new' }]), { state: dest }, { mode: 'replace', symlinks: false });
    expect(readFileSync(join(dest, 'state.json'), 'utf8')).toBe('new');
  });

  test('size and entry caps hold', async () => {
    const big = await archive([{ name: 'state/a', body: 'x'.repeat(5000) }]);
    await expect(unpack(big, { state: fresh() }, { maxBytes: 4096 })).rejects.toThrow(/more than 4096 bytes/);
    const many = await archive(Array.from({ length: 20 }, (_, i) => ({ name: `state/f${i}`, body: 'x' })));
    await expect(unpack(many, { state: fresh() }, { maxEntries: 10 })).rejects.toThrow(/more than 10 entries/);
  });

  test('a truncated archive is an error, not a silent partial tree', async () => {
    const buf = await archive([{ name: 'state/a', body: 'x'.repeat(3000) }, { name: 'state/b', body: 'y' }]);
    await expect(unpack(buf.subarray(0, 1024), { state: fresh() })).rejects.toThrow();
  });
});
