import { afterEach, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkObjectStore } from '../../../src/git/object-store-links.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Until every directory's last change is well past (the links of one then are trusted unlisted). */
async function settled(dirs: string[]): Promise<void> {
  while (dirs.some((d) => Date.now() - lstatSync(d).ctimeMs < 100)) await Bun.sleep(10);
}

test('directories unchanged since the last sync are trusted; any change to one, made at any moment after, is seen', async () => {
  root = mkdtempSync(join(tmpdir(), 'peers-links-'));
  const src = join(root, 'objects');
  const dst = join(root, 'stage');
  for (const d of ['ab', 'cd']) mkdirSync(join(src, d), { recursive: true });
  writeFileSync(join(src, 'ab/x1'), '1');
  writeFileSync(join(src, 'cd/y1'), '1');
  await settled([src, join(src, 'ab'), join(src, 'cd')]);
  expect(linkObjectStore(src, dst)).toEqual({ ok: true });
  const linked = (rel: string) => existsSync(join(dst, rel)) && lstatSync(join(dst, rel)).ino === lstatSync(join(src, rel)).ino;
  expect(linked('ab/x1') && linked('cd/y1')).toBe(true);
  // Changes right after the sync (the same tick of the kernel's clock): all seen.
  writeFileSync(join(src, 'ab/x2'), '2');
  rmSync(join(src, 'cd/y1'));
  mkdirSync(join(src, 'ef'));
  writeFileSync(join(src, 'ef/z1'), '3');
  expect(linkObjectStore(src, dst)).toEqual({ ok: true });
  expect(linked('ab/x1') && linked('ab/x2') && linked('ef/z1')).toBe(true);
  expect(existsSync(join(dst, 'cd/y1'))).toBe(false);
  // A name swapped for a FIFO in a directory trusted before is refused.
  await settled([src, join(src, 'ab'), join(src, 'cd'), join(src, 'ef')]);
  expect(linkObjectStore(src, dst)).toEqual({ ok: true });
  rmSync(join(src, 'ab/x1'));
  spawnSync('mkfifo', [join(src, 'ab/x1')]);
  expect(linkObjectStore(src, dst)).toMatchObject({ ok: false, problem: expect.stringContaining('a FIFO') });
  rmSync(join(src, 'ab/x1'));
  writeFileSync(join(src, 'ab/x1'), '1');
  // A stage made again is filled again, trusted directories of the store included.
  await settled([src, join(src, 'ab'), join(src, 'cd'), join(src, 'ef')]);
  expect(linkObjectStore(src, dst)).toEqual({ ok: true });
  rmSync(dst, { recursive: true });
  expect(linkObjectStore(src, dst)).toEqual({ ok: true });
  expect(linked('ab/x1') && linked('ab/x2') && linked('ef/z1')).toBe(true);
});
