/**
 * A node Writable onto a command's output stream (command-io.ts), for a library that pipes into a
 * stream. Apart from command-io.ts so that a command that only prints does not load node:stream.
 */
import { Writable } from 'node:stream';
import type { OutputStream } from './command-io.ts';

type Drains = { once(event: 'drain', listener: () => void): unknown };
const drains = (out: OutputStream): out is OutputStream & Drains => typeof (out as Partial<Drains>).once === 'function';

/**
 * A node Writable onto `out`, for a library that pipes into a stream (a tar stream, a Kubernetes log
 * or exec). A real stream that says it is full (write returned false) is waited on until it drains,
 * so a large archive is not held in memory.
 */
export function writableTo(out: OutputStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (out.write(chunk) === false && drains(out)) out.once('drain', () => done());
      else done();
    },
  });
}
