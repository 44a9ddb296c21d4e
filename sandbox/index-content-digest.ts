/**
 * A digest of what a git index stages, not of the index file's bytes. Git rewrites the file
 * whenever it refreshes its cached file times or its caches (the user's own `git status` does, an
 * editor's git integration does), so a digest of the bytes told the user after `peers down` that
 * "the index (staged changes)" had changed when nothing was staged. What a user stages is each
 * entry's path, mode, object and flags (stage, assume-unchanged, skip-worktree, intent-to-add);
 * the times, device, inode, owner and size beside them are git's cache of the working tree, and the
 * extensions after the entries (the tree and untracked caches, …) are caches too.
 *
 * Read by hand, with no git run, as the rest of the fingerprint (repo-fingerprint.ts). Index
 * versions 2, 3 and 4, SHA-1 and SHA-256 object names. A file this cannot read whole is digested
 * by its bytes, so an index it does not understand can only be reported as changed.
 */
import { createHash } from 'node:crypto';

/** Bytes of an entry before its object name: ctime, mtime, dev, ino, mode, uid, gid, size. */
const STAT_BYTES = 40;
const MODE_OFFSET = 24;

/** The entries' digest, or undefined when `buf` is not an index this reads with `oidBytes`-byte names. */
function entriesDigest(buf: Buffer, oidBytes: number): string | undefined {
  if (buf.length < 12 + oidBytes || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = buf.readUInt32BE(8);
  const end = buf.length - oidBytes;
  const h = createHash('sha256').update(`${oidBytes} ${count}\0`);
  let at = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = at;
    if (at + STAT_BYTES + oidBytes + 2 > end) return undefined;
    const mode = buf.readUInt32BE(at + MODE_OFFSET);
    at += STAT_BYTES;
    const oid = buf.subarray(at, at + oidBytes);
    at += oidBytes;
    const flags = buf.readUInt16BE(at);
    at += 2;
    let extended = 0;
    if (flags & 0x4000) {
      if (version < 3 || at + 2 > end) return undefined;
      extended = buf.readUInt16BE(at);
      at += 2;
    }
    let path: Buffer;
    if (version === 4) {
      // The path is the previous one less a varint's count of its last bytes, plus a NUL-ended suffix.
      let strip = 0;
      let byte: number;
      do {
        if (at >= end) return undefined;
        byte = buf[at++]!;
        strip = (strip << 7) | (byte & 0x7f);
        if (byte & 0x80) strip += 1;
      } while (byte & 0x80);
      if (strip > previous.length) return undefined;
      const nul = buf.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      path = Buffer.concat([previous.subarray(0, previous.length - strip), buf.subarray(at, nul)]);
      at = nul + 1;
    } else {
      const nul = buf.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      path = buf.subarray(at, nul);
      // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
      at = start + Math.ceil((nul + 1 - start) / 8) * 8;
      if (at > end) return undefined;
    }
    previous = path;
    // Stage and the assume-unchanged bit from flags; the name length is the path's.
    h.update(`${mode.toString(8)} ${oid.toString('hex')} ${flags & 0xb000} ${extended}\0`).update(path).update('\0');
  }
  // Then the extensions (signature, size, data), each skipped, up to the checksum.
  while (at < end) {
    if (at + 8 > end) return undefined;
    const size = buf.readUInt32BE(at + 4);
    at += 8 + size;
  }
  return at === end ? `entries:${h.digest('hex')}` : undefined;
}

/** What `index` (the file's bytes) stages, as a digest that a refresh of git's caches leaves alone. */
export function indexContentDigest(index: Buffer): string {
  return entriesDigest(index, 20) ?? entriesDigest(index, 32) ?? `bytes:${createHash('sha256').update(index).digest('hex')}`;
}
