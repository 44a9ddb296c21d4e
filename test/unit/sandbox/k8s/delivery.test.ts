/**
 * The repository's way into a Kubernetes run (sandbox/k8s/delivery.ts): a framed archive whose
 * header carries size and digest. The run starts only on the marker, and the marker is written
 * only after a complete, verified archive is in place: a cut stream, a flipped byte or a second
 * delivery onto a started run leave the run's volume as it was.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { deliveryStream, packDelivery, parseDeliveryHeader, readMarker, receiveDelivery } from '../../../../sandbox/k8s/delivery.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-delivery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

async function framed(): Promise<Buffer> {
  const src = fresh();
  mkdirSync(join(src, 'sub'));
  writeFileSync(join(src, 'sub', 'file.txt'), 'content '.repeat(1000));
  writeFileSync(join(src, 'top.txt'), 'top');
  const d = await packDelivery([{ dir: src, as: 'state/run/clone' }], join(fresh(), 'd.tar'));
  const chunks: Buffer[] = [];
  for await (const c of deliveryStream(d)) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Splits a buffer into small chunks, the way a websocket delivers stdin. */
const chunked = (b: Buffer, size = 777) => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));

describe('delivery into the run volume', () => {
  test('a complete stream lands in place, then the marker; extra bytes after the frame are ignored', async () => {
    const buf = await framed();
    const vol = fresh();
    const marker = join(vol, '.peers-delivery.json');
    const m = await receiveDelivery(chunked(Buffer.concat([buf, Buffer.from('trailing junk')])), { roots: { state: vol }, marker });
    expect(readFileSync(join(vol, 'run', 'clone', 'top.txt'), 'utf8')).toBe('top');
    expect(readMarker(marker)).toEqual(m);
    expect(readdirSync(vol).sort()).toEqual(['.peers-delivery.json', 'run']);
  });

  test('a cut stream: no marker, nothing moved into place, the staging dir removed', async () => {
    const buf = await framed();
    const vol = fresh();
    const marker = join(vol, '.peers-delivery.json');
    await expect(receiveDelivery(chunked(buf.subarray(0, buf.length - 600)), { roots: { state: vol }, marker })).rejects.toThrow(/short|Unexpected end/);
    expect(readdirSync(vol)).toEqual([]);
  });

  test('one flipped byte in the archive: the digest refuses it, no marker', async () => {
    const buf = await framed();
    const header = buf.indexOf(10) + 1;
    // A byte inside a file's content: the tar still parses, only the digest can tell.
    const at = buf.indexOf(Buffer.from('content content'), header) + 3;
    buf[at] = buf[at]! ^ 1;
    const vol = fresh();
    const marker = join(vol, '.peers-delivery.json');
    await expect(receiveDelivery(chunked(buf), { roots: { state: vol }, marker })).rejects.toThrow(/SHA-256/);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(vol, 'run'))).toBe(false);
  });

  test('a second delivery onto a delivered run is refused and changes nothing', async () => {
    const vol = fresh();
    const marker = join(vol, '.peers-delivery.json');
    await receiveDelivery(chunked(await framed()), { roots: { state: vol }, marker });
    writeFileSync(join(vol, 'run', 'clone', 'top.txt'), 'the run changed this');
    await expect(receiveDelivery(chunked(await framed()), { roots: { state: vol }, marker })).rejects.toThrow(/already delivered/);
    expect(readFileSync(join(vol, 'run', 'clone', 'top.txt'), 'utf8')).toBe('the run changed this');
  });

  test('leftovers of a failed delivery (no marker) are replaced, not merged', async () => {
    const vol = fresh();
    mkdirSync(join(vol, 'run', 'clone'), { recursive: true });
    writeFileSync(join(vol, 'run', 'clone', 'stale.txt'), 'from a cut delivery');
    await receiveDelivery(chunked(await framed()), { roots: { state: vol }, marker: join(vol, '.peers-delivery.json') });
    expect(existsSync(join(vol, 'run', 'clone', 'stale.txt'))).toBe(false);
    expect(existsSync(join(vol, 'run', 'clone', 'top.txt'))).toBe(true);
  });

  test('headers: other formats, versions and absurd sizes are refused before any write', () => {
    expect(() => parseDeliveryHeader('GET / HTTP/1.1')).toThrow(/not a peers delivery/);
    expect(() => parseDeliveryHeader(`peers-delivery 2 10 ${'a'.repeat(64)}`)).toThrow(/format 2/);
    expect(() => parseDeliveryHeader(`peers-delivery 1 999999999999999 ${'a'.repeat(64)}`)).toThrow(/cap/);
    expect(parseDeliveryHeader(`peers-delivery 1 10 ${'a'.repeat(64)}`)).toEqual({ bytes: 10, sha256: 'a'.repeat(64) });
  });
});
