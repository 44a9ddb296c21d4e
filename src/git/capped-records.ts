/**
 * NUL-separated `git log -z` output read with every field bounded, so a commit message of any size
 * costs a bounded read, never the run. A peer can commit a 300 MB one-line message: read whole it
 * overflowed the loop's buffered read of its mirror (the run stopped with "printed more than 256
 * MiB") and the report's read of the run's commits (every commit and the bug ledger vanished from
 * it). A field longer than MAX_FIELD characters keeps its first and last halves around a paragraph
 * that says how long it was: the subject (first line) and the trailers (last paragraph) of a long
 * message stay where the readers look, and no trailer block reaches above the note. Output the
 * buffered read cannot hold is streamed from an unlinked file (gitStream) and cut as it is read.
 * SECURITY.md, "Peer text outside the sandbox is inert" (sizes).
 *
 * Cutting never hides a terminal control character: the note carries the first one of the text
 * after its first half (control-characters.ts), so a text holds one exactly when what was read does.
 * The loop undoes a turn whose commit holds one (src/loop/judge-turn.ts); an escape in the elided
 * middle of a long message would otherwise reach history unseen, and keep the run from publishing.
 */
import { StringDecoder } from 'node:string_decoder';
import { git, gitStream, GitOutputTooLarge, type GitResult } from './git.ts';
import { controlCharIn } from './control-characters.ts';

/** Longest field kept whole, in characters (a commit message of 64 KiB is a long one). */
export const MAX_FIELD = 64 * 1024;
const HALF = MAX_FIELD / 2;

const note = (bytes: number, control: string | undefined) =>
  `\n\n[peers: this text is ${bytes} bytes long; its middle is elided here${control ? `, and holds the control character ${control}` : ''}]\n\n`;

/**
 * `field` as kept: whole up to MAX_FIELD characters, else its first and last HALF around a note of
 * its size (and of the first control character after the first HALF, if any).
 */
export function capField(field: string): string {
  if (field.length <= MAX_FIELD) return field;
  return `${field.slice(0, HALF)}${note(Buffer.byteLength(field), controlCharIn(field.slice(HALF)))}${field.slice(-HALF)}`;
}

/**
 * One field read as bytes: whole up to KEEP_ALL bytes (then cut as capField cuts the string), past
 * that its first bytes and a rolling tail, cut to the same first and last HALF characters. A field
 * of more than KEEP_ALL bytes has more than MAX_FIELD characters (at most 4 bytes, 2 UTF-16 units
 * each), so both reads give the same text. Exported for its test (pieces cut where a test chooses).
 */
export class FieldBytes {
  private static readonly KEEP_ALL = 4 * MAX_FIELD;
  // Enough bytes for HALF characters of up to 4 bytes, and a character cut at the edge.
  private static readonly KEEP = 4 * HALF + 4;
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  private total = 0;
  // The whole field decoded as it streams, for its first control character after the first HALF.
  private readonly decoder = new StringDecoder('utf8');
  private seen = 0;
  private control: string | undefined;
  // A CR that ends a piece is judged with the next one: followed by LF it is text (control-characters.ts).
  private heldCR = false;

  push(piece: Buffer): void {
    this.total += piece.length;
    if (this.control === undefined) {
      let text = `${this.heldCR ? '\r' : ''}${this.decoder.write(piece)}`;
      this.heldCR = text.endsWith('\r');
      if (this.heldCR) text = text.slice(0, -1);
      this.control = controlCharIn(this.seen >= HALF ? text : text.slice(HALF - this.seen));
      this.seen += text.length;
    }
    if (this.headLen < FieldBytes.KEEP_ALL) {
      const n = Math.min(piece.length, FieldBytes.KEEP_ALL - this.headLen);
      this.head.push(Buffer.from(piece.subarray(0, n)));
      this.headLen += n;
      piece = piece.subarray(n);
    }
    if (!piece.length) return;
    this.tail.push(Buffer.from(piece));
    this.tailLen += piece.length;
    while (this.tailLen - this.tail[0]!.length >= FieldBytes.KEEP) this.tailLen -= this.tail.shift()!.length;
  }

  text(): string {
    const head = Buffer.concat(this.head);
    if (!this.tailLen) return capField(head.toString('utf8'));
    const end = Buffer.concat(this.tailLen < FieldBytes.KEEP ? [head, ...this.tail] : this.tail);
    const headText = new StringDecoder('utf8').write(head).slice(0, HALF);
    const tailText = end.subarray(Math.max(0, end.length - FieldBytes.KEEP)).toString('utf8').slice(-HALF);
    // A CR held at the field's end ends no line.
    const control = this.control ?? (this.heldCR && this.seen >= HALF ? '\r' : undefined);
    return `${headText}${note(this.total, control)}${tailText}`;
  }
}

/** Splits streamed output on NUL into capped fields. */
function streamFields(repo: string, args: string[]): { res: GitResult; fields: string[] } {
  const fields: string[] = [];
  let field = new FieldBytes();
  const r = gitStream(repo, args, (chunk) => {
    let from = 0;
    for (let nul = chunk.indexOf(0); nul !== -1; nul = chunk.indexOf(0, from)) {
      field.push(chunk.subarray(from, nul));
      fields.push(field.text());
      field = new FieldBytes();
      from = nul + 1;
    }
    if (from < chunk.length) field.push(chunk.subarray(from));
  });
  fields.push(field.text());
  return { res: { code: r.code, stdout: '', stderr: r.stderr }, fields };
}

/**
 * `git <args>` (a `-z` read) as its NUL-separated fields, each capped (capField): one buffered read
 * of at most `maxBuffer` (kept by the read memo like any other), or, past that, a streamed one.
 * The last field is what follows the last NUL (empty when the output ends with one).
 */
export function cappedFields(repo: string, args: string[], maxBuffer?: number): { res: GitResult; fields: string[] } {
  try {
    const res = git(repo, args, maxBuffer ? { maxBuffer } : {});
    return { res, fields: res.code === 0 ? res.stdout.split('\0').map(capField) : [] };
  } catch (error) {
    if (!(error instanceof GitOutputTooLarge)) throw error;
    return streamFields(repo, args);
  }
}
