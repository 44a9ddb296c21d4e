/**
 * A peer's output as `peers logs --peer` shows it by default: the JSON events the CLIs print
 * (claude stream-json, codex --json, opencode --format json) as the lines a person reads, one per
 * event that says something (a tool call, a message, thinking, an API retry, the turn's end:
 * src/report/turn-activity.ts, eventLine), events that say nothing of the kind (usage, session
 * ids) left out, and every other line as the CLI printed it. A user following a peer overnight
 * read screens of raw JSON. `--raw` shows the output as written.
 *
 * Output arrives in chunks that may end inside a line: each stream keeps its unfinished line until
 * the rest comes (or `end`, when the turn's file is read whole).
 */
import { jsonObjectOf } from '../../src/peer-output/json-lines.ts';
import { eventLine } from '../../src/report/turn-activity.ts';

/** One event's line, prefixed so it reads apart from what the CLI printed as text. */
function readable(line: string): string | null {
  // Text, text that starts with a brace, and JSON that is no event object are shown as printed.
  const event = jsonObjectOf(line);
  if (!event) return line;
  const said = eventLine(event);
  // The peer's own words may hold line breaks: each continues under the event's mark.
  return said === null ? null : `· ${said.replace(/\r/g, '').trimEnd().split('\n').join('\n  ')}`;
}

export class ReadablePeerOutput {
  private readonly pending = new Map<string, string>();

  /** The readable text of `text`, the next chunk of the stream `key` (a tick's stdout, say). */
  push(key: string, text: string): string {
    const all = (this.pending.get(key) ?? '') + text;
    const cut = all.lastIndexOf('\n');
    this.pending.set(key, cut === -1 ? all : all.slice(cut + 1));
    if (cut === -1) return '';
    return render(all.slice(0, cut + 1));
  }

  /** What is left of `key`'s last line (its file read whole, or the run over). */
  end(key: string): string {
    const rest = this.pending.get(key) ?? '';
    this.pending.delete(key);
    return rest ? render(rest) : '';
  }
}

function render(lines: string): string {
  const ends = lines.endsWith('\n');
  const out: string[] = [];
  for (const line of (ends ? lines.slice(0, -1) : lines).split('\n')) {
    const r = readable(line);
    if (r !== null) out.push(r);
  }
  return out.length ? `${out.join('\n')}${ends ? '\n' : ''}` : '';
}
