/**
 * What a failing command printed, cut to what a person reads: the first lines of each stream and
 * the last few. The head matters because many tools put the real error at the top (npm prints
 * `npm ERR! code …` first and a log path last); the tail because test runners end with a summary.
 * Pure: text in, text out; shown by `peers verify` on the terminal, in VERIFY.md and in --json.
 */

export const EXCERPT_HEAD_LINES = 10;
export const EXCERPT_TAIL_LINES = 5;
const MAX_LINE_CHARS = 200;

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;

function clean(line: string): string {
  const flat = line.replace(ANSI, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trimEnd();
  return flat.length > MAX_LINE_CHARS ? `${flat.slice(0, MAX_LINE_CHARS - 1)}…` : flat;
}

/** The lines of one stream: all of them when short, else head, a count of what was left out, tail. */
export function streamExcerpt(text: string, head = EXCERPT_HEAD_LINES, tail = EXCERPT_TAIL_LINES): string[] {
  const lines = text.split(/\r?\n/).map(clean);
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length <= head + tail + 1) return lines;
  return [...lines.slice(0, head), `… ${lines.length - head - tail} more lines …`, ...lines.slice(-tail)];
}

/** Both streams, labelled, stderr first (where tools put their errors); '' when nothing was printed. */
export function failureExcerpt(stdout: string, stderr: string): string {
  const parts: string[] = [];
  for (const [name, text] of [['stderr', stderr], ['stdout', stdout]] as const) {
    const lines = streamExcerpt(text);
    if (lines.length) parts.push(`${name}:`, ...lines.map((l) => `  ${l}`));
  }
  return parts.join('\n');
}
