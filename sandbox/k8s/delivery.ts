/**
 * The repository's way into a Kubernetes run (docs/ARCHITECTURE.md, "Kubernetes"): `peers up`
 * packs the trees the run starts from (tar-tree.ts) into a file, then streams it, framed by a
 * header line with its size and SHA-256, into the run Pod's init container through the API's exec
 * (`peers k8s unpack`). The receiver unpacks into a staging directory beside each root, checks
 * size and digest, only then moves the trees into place, and writes the delivery marker last: the
 * init container (`peers k8s init --await-delivery`) lets the run start only once the marker exists.
 * A cut stream, a wrong digest or an unsafe entry leaves no marker, so the run never starts on a
 * half-delivered repository. The frame's length also tells the receiver where the stream ends,
 * whether or not the exec protocol can close stdin (v4 cannot).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { PeersError } from '../../src/cli/errors.ts';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../../src/fs/safe-read.ts';
import { packTrees, type PackSource, unpackTrees } from './tar-tree.ts';

const MAGIC = 'peers-delivery';
const VERSION = 1;
/** Beyond this a repository is not something to stream into a Pod (and a header is lying). */
export const MAX_DELIVERY_BYTES = 64 * 1024 * MiB;
const STAGING = '.peers-incoming';

export type DeliveryFile = { path: string; bytes: number; sha256: string };
/** Written last: what was delivered, and the commit the run starts from (its results count from it). */
export type DeliveryMarker = { bytes: number; sha256: string; at: string; base?: string };

/** Packs the trees into `path`, hashing as it writes. */
export async function packDelivery(sources: PackSource[], path: string): Promise<DeliveryFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tee = new PassThrough();
  tee.on('data', (b: Buffer) => {
    hash.update(b);
    bytes += b.length;
  });
  const file = createWriteStream(path, { mode: 0o600 });
  const written = new Promise<void>((resolve, reject) => {
    file.on('finish', () => resolve());
    file.on('error', reject);
  });
  tee.pipe(file);
  await packTrees(sources, tee);
  await written;
  return { path, bytes, sha256: hash.digest('hex') };
}

export function deliveryHeader(d: Pick<DeliveryFile, 'bytes' | 'sha256'>): string {
  return `${MAGIC} ${VERSION} ${d.bytes} ${d.sha256}\n`;
}

/** The framed stream an exec's stdin carries: the header line, then the archive. */
export function deliveryStream(d: DeliveryFile): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(deliveryHeader(d));
      yield* createReadStream(d.path);
    })(),
  );
}

/** Parses the header line; anything else is refused before a byte is written. */
export function parseDeliveryHeader(line: string): { bytes: number; sha256: string } {
  const m = new RegExp(`^${MAGIC} (\\d+) (\\d{1,15}) ([0-9a-f]{64})$`).exec(line);
  if (!m) throw new PeersError(`not a peers delivery stream (header ${JSON.stringify(line.slice(0, 80))})`);
  if (Number(m[1]) !== VERSION) throw new PeersError(`delivery format ${m[1]} is not ${VERSION}: the peers binary in the image and on your machine differ`);
  const bytes = Number(m[2]);
  if (bytes > MAX_DELIVERY_BYTES) throw new PeersError(`a delivery of ${bytes} bytes is over the ${MAX_DELIVERY_BYTES}-byte cap`);
  return { bytes, sha256: m[3]! };
}

/** Splits a framed stream: the header, then exactly `bytes` of archive (hashed on the way). */
async function* framedBody(input: AsyncIterable<Uint8Array>, onHeader: (h: { bytes: number; sha256: string }) => void, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  let head = Buffer.alloc(0);
  let left = -1;
  for await (const raw of input) {
    let chunk = Buffer.from(raw);
    if (left < 0) {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > 256) throw new PeersError('not a peers delivery stream (no header line)');
        continue;
      }
      const h = parseDeliveryHeader(head.subarray(0, nl).toString('utf8'));
      onHeader(h);
      left = h.bytes;
      chunk = head.subarray(nl + 1);
    }
    const take = chunk.subarray(0, left);
    left -= take.length;
    if (take.length) {
      hash.update(take);
      yield take;
    }
    if (left === 0) return;
  }
  throw new PeersError(left < 0 ? 'the delivery stream ended before its header' : `the delivery stream ended ${left} bytes short`);
}

export function readMarker(marker: string): DeliveryMarker | undefined {
  const text = readTextIfExists(marker, MiB);
  return text === undefined ? undefined : (JSON.parse(text) as DeliveryMarker);
}

/**
 * The receiving end (`peers k8s unpack` in the init container): unpack, verify, move into place,
 * write the marker. Refuses when the marker already exists (a delivered run is never overwritten).
 */
export async function receiveDelivery(input: AsyncIterable<Uint8Array>, o: { roots: Record<string, string>; marker: string; base?: string }): Promise<DeliveryMarker> {
  if (existsSync(o.marker)) throw new PeersError(`the run was already delivered (${o.marker} exists)`, { hint: 'peers down --purge removes the run\'s volumes; then peers up starts a new run' });
  const staging: Record<string, string> = {};
  for (const [name, root] of Object.entries(o.roots)) {
    staging[name] = join(root, STAGING);
    rmSync(staging[name]!, { recursive: true, force: true });
    mkdirSync(staging[name]!, { recursive: true, mode: 0o700 });
  }
  const hash = createHash('sha256');
  let header: { bytes: number; sha256: string } | undefined;
  try {
    await unpackTrees(framedBody(input, (h) => (header = h), hash), {
      roots: staging,
      mode: 'create',
      symlinks: true,
      maxBytes: MAX_DELIVERY_BYTES,
      maxEntries: 10_000_000,
    });
    const digest = hash.digest('hex');
    if (!header || digest !== header.sha256) throw new PeersError(`the delivery's SHA-256 is ${digest}, its header said ${header?.sha256}: nothing was moved into place`);
    for (const [name, root] of Object.entries(o.roots)) {
      for (const child of readdirSync(staging[name]!)) {
        // Left by an earlier delivery that never wrote its marker: the run never started on it.
        rmSync(join(root, child), { recursive: true, force: true });
        renameSync(join(staging[name]!, child), join(root, child));
      }
    }
  } finally {
    for (const dir of Object.values(staging)) rmSync(dir, { recursive: true, force: true });
  }
  const marker: DeliveryMarker = { bytes: header!.bytes, sha256: header!.sha256, at: new Date().toISOString(), ...(o.base ? { base: o.base } : {}) };
  writeFileAtomic(o.marker, `${JSON.stringify(marker)}\n`, 0o644);
  return marker;
}

/** A private temp file for a delivery (the caller removes it). */
export function deliveryTempPath(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, `delivery-${randomBytes(6).toString('hex')}.tar`);
}
