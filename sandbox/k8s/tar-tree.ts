/**
 * Directory trees as tar streams, both ways between the host and a Pod (docs/ARCHITECTURE.md,
 * "Kubernetes": the repository goes in, the run's state comes back). No hostPath exists on the
 * Kubernetes target, so this is the only way files cross.
 *
 * Packing never follows a symlink (it is stored as one) and skips sockets, FIFOs and devices.
 * Unpacking treats the stream as hostile wherever it came from: every name must be relative, free
 * of `..` and empty segments, and start with one of the given roots; only regular files,
 * directories and (when allowed) symlinks are accepted; no path component on the way to an entry
 * may be a symlink or a non-directory, so a symlink an earlier entry planted can never redirect a
 * later write; files are created O_EXCL|O_NOFOLLOW in fresh trees, or written beside the target
 * and renamed over it when replacing; the total size and the number of entries are capped.
 */
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeSync, createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { PeersError } from '../../src/cli/errors.ts';

export type PackSource = {
  dir: string;
  /** The name prefix of this tree in the stream (`state`, `state/run/clone`). */
  as: string;
  /** Paths relative to `dir` left out, with everything below them. */
  exclude?: string[];
};

/** Writes the trees to `out` as one tar stream and ends it. */
export async function packTrees(sources: PackSource[], out: Writable): Promise<void> {
  const p = pack();
  const piped = new Promise<void>((resolve, reject) => {
    p.on('error', reject);
    out.on('error', reject);
    out.on('finish', () => resolve());
    out.on('close', () => resolve());
    p.pipe(out as unknown as NodeJS.WritableStream);
  });
  const add = (header: Parameters<typeof p.entry>[0], body?: Buffer | string) =>
    new Promise<void>((resolve, reject) => (body === undefined ? p.entry(header, (e) => (e ? reject(e) : resolve())).end(undefined) : p.entry(header, body, (e) => (e ? reject(e) : resolve()))));
  const addFile = (name: string, path: string, size: number, mode: number, mtime: Date) =>
    new Promise<void>((resolve, reject) => {
      const sink = p.entry({ name, size, mode, mtime, type: 'file' }, (e) => (e ? reject(e) : resolve()));
      const src = createReadStream(path);
      src.on('error', reject);
      src.pipe(sink as unknown as NodeJS.WritableStream);
    });
  const walk = async (src: PackSource, rel: string): Promise<void> => {
    const abs = rel ? join(src.dir, rel) : src.dir;
    const st = lstatSync(abs);
    const name = rel ? `${src.as}/${rel}` : src.as;
    if (rel && src.exclude?.some((x) => rel === x || rel.startsWith(`${x}/`))) return;
    if (st.isSymbolicLink()) return add({ name, type: 'symlink', linkname: readlinkSync(abs), mode: 0o777, mtime: st.mtime });
    if (st.isFile()) return addFile(name, abs, st.size, st.mode & 0o755, st.mtime);
    if (!st.isDirectory()) return; // sockets, FIFOs, devices have no place in a repository or a state dir
    await add({ name: `${name}/`, type: 'directory', mode: 0o755, mtime: st.mtime });
    for (const child of readdirSync(abs).sort()) await walk(src, rel ? `${rel}/${child}` : child);
  };
  try {
    for (const s of sources) await walk(s, '');
    p.finalize();
  } catch (error) {
    p.destroy(error as Error);
    throw error;
  }
  await piped;
}

export type UnpackOptions = {
  /** First name segment → the directory it lands in. Names under no root are refused. */
  roots: Record<string, string>;
  /** 'create': every file is new (O_EXCL); 'replace': files are written beside and renamed over. */
  mode: 'create' | 'replace';
  symlinks: boolean;
  maxBytes: number;
  maxEntries: number;
};

export class UnsafeArchiveError extends PeersError {
  constructor(what: string) {
    super(`refusing the archive: ${what}`);
    this.name = 'UnsafeArchiveError';
  }
}

/** The entry's path split into (root, segments), or an error naming why it is unsafe. */
export function entryPath(name: string, roots: Record<string, string>): { base: string; segments: string[] } {
  if (name.includes('\0')) throw new UnsafeArchiveError(`a name contains NUL`);
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed.startsWith('/')) throw new UnsafeArchiveError(`absolute name ${JSON.stringify(name)}`);
  const parts = trimmed.split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) throw new UnsafeArchiveError(`name ${JSON.stringify(name)} has an empty, . or .. segment`);
  const base = Object.hasOwn(roots, parts[0]!) ? roots[parts[0]!] : undefined;
  if (base === undefined) throw new UnsafeArchiveError(`name ${JSON.stringify(name)} is outside the expected trees (${Object.keys(roots).join(', ')})`);
  return { base, segments: parts.slice(1) };
}

/** Creates (or checks) every directory from `base` down to `segments`, refusing symlinks and non-directories. */
function ensureDirs(base: string, segments: string[]): string {
  let cur = base;
  for (const s of segments) {
    cur = join(cur, s);
    let st;
    try {
      st = lstatSync(cur);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(cur, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink() || !st.isDirectory()) throw new UnsafeArchiveError(`${cur} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'} on the way to an entry`);
  }
  return cur;
}

async function writeEntryFile(path: string, body: AsyncIterable<Uint8Array>, exec: boolean, how: UnpackOptions['mode'], count: (n: number) => void): Promise<void> {
  const mode = exec ? 0o755 : 0o644;
  const target = how === 'create' ? path : join(dirname(path), `.${randomBytes(6).toString('hex')}.unpack`);
  if (how === 'replace') {
    try {
      const st = lstatSync(path);
      if (!st.isFile()) throw new UnsafeArchiveError(`${path} exists and is not a regular file`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    for await (const chunk of body) {
      count(chunk.length);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(target);
    throw error;
  }
  closeSync(fd);
  if (how === 'replace') renameSync(target, path);
}

/** Unpacks a tar stream under the roots. Resolves with the number of entries written. */
export async function unpackTrees(input: Readable | AsyncIterable<Uint8Array>, o: UnpackOptions): Promise<number> {
  const ex = extract();
  const feeding = (async () => {
    try {
      for await (const chunk of input as AsyncIterable<Uint8Array>) if (!ex.write(chunk)) await new Promise<void>((r) => ex.once('drain', () => r()));
      ex.end(undefined);
    } catch (error) {
      ex.destroy(error as Error);
    }
  })();
  let entries = 0;
  let bytes = 0;
  const count = (n: number) => {
    bytes += n;
    if (bytes > o.maxBytes) throw new UnsafeArchiveError(`more than ${o.maxBytes} bytes`);
  };
  try {
    for await (const entry of ex) {
      const h = entry.header;
      if (++entries > o.maxEntries) throw new UnsafeArchiveError(`more than ${o.maxEntries} entries`);
      const { base, segments } = entryPath(h.name, o.roots);
      if (h.type === 'directory') {
        ensureDirs(base, segments);
        entry.resume();
        continue;
      }
      if (!segments.length) throw new UnsafeArchiveError(`${h.name} would replace a root directory`);
      const parent = ensureDirs(base, segments.slice(0, -1));
      const path = join(parent, segments.at(-1)!);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        await writeEntryFile(path, entry as AsyncIterable<Uint8Array>, (h.mode & 0o111) !== 0, o.mode, count);
      } else if (h.type === 'symlink' && o.symlinks) {
        // Created as a link, never followed by a later entry (ensureDirs refuses it on any path).
        if (o.mode === 'replace') throw new UnsafeArchiveError(`symlink ${h.name} where only files are expected`);
        symlinkSync(h.linkname, path);
        entry.resume();
      } else {
        throw new UnsafeArchiveError(`${h.name} is a ${h.type}${h.type === 'symlink' ? ' (not accepted here)' : ''}`);
      }
    }
  } catch (error) {
    // Stop reading: whatever follows a refused entry is not wanted either.
    ex.destroy(error as Error);
    (input as Readable).destroy?.();
    throw error;
  }
  await feeding;
  return entries;
}
