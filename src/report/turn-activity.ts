/**
 * "What is the peer doing?" in one line, from the end of its live output: the last tool call or
 * message the CLI reported as a JSON event (claude stream-json, codex --json, opencode --format
 * json), else the last plain line it printed. Informational only: the text is the peer's own
 * output, shown as text and never acted upon.
 */
import { jsonObjectOf } from '../peer-output/json-lines.ts';

export const ACTIVITY_TAIL_BYTES = 16 * 1024;
const MAX = 160;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const clip = (s: string) => {
  // Control characters are exactly what must not reach a terminal or a page.
  const one = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return one.length > MAX ? `${one.slice(0, MAX - 1)}…` : one;
};

function inputSummary(input: unknown): string {
  if (!isObj(input)) return '';
  for (const k of ['command', 'cmd', 'file_path', 'filePath', 'path', 'pattern', 'url', 'description']) {
    const v = input[k];
    if (typeof v === 'string' && v) return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(' ');
  }
  return '';
}

/**
 * What one JSON event of a known CLI says, as a line a person reads (a tool call and its input, a
 * message, thinking, an API retry, the turn's end), or null for an event that says nothing of the
 * kind (usage, session ids). Unclipped: `peers logs --peer` shows a message whole
 * (apps/logs/readable-peer-output.ts); describeActivity clips it to one short line.
 */
export function eventLine(e: Obj): string | null {
  // claude stream-json
  if (e.type === 'result') return 'finished its turn';
  // Claude Code retrying a failed API call (a vendor that cannot be reached retries for minutes).
  if (e.type === 'system' && e.subtype === 'api_retry') {
    const status = [typeof e.error_status === 'number' ? String(e.error_status) : '', str(e.error)].filter(Boolean).join(' ') || 'an error';
    const next = typeof e.retry_delay_ms === 'number' ? `, next in ${Math.round(e.retry_delay_ms / 1000)}s` : '';
    const attempt = typeof e.attempt === 'number' ? ` (attempt ${e.attempt}${typeof e.max_retries === 'number' ? ` of ${e.max_retries}` : ''}${next})` : '';
    return `retrying the API after ${status}${attempt}`;
  }
  if (e.type === 'assistant' && isObj(e.message) && Array.isArray(e.message.content)) {
    const last = [...e.message.content].reverse().find(isObj);
    if (last?.type === 'tool_use') return `${str(last.name) || 'tool'}: ${inputSummary(last.input)}`;
    if (last?.type === 'text') return `says: ${str(last.text)}`;
    if (last?.type === 'thinking') return 'thinking';
  }
  // codex --json
  if (isObj(e.item)) {
    const it = e.item;
    if (it.type === 'command_execution') return `${e.type === 'item.completed' ? 'ran' : 'running'}: ${str(it.command)}`;
    if (it.type === 'file_change' && Array.isArray(it.changes)) return `editing: ${it.changes.filter(isObj).map((c) => str(c.path)).join(', ')}`;
    if (it.type === 'agent_message') return `says: ${str(it.text)}`;
    if (it.type === 'reasoning') return 'thinking';
  }
  // opencode --format json
  if (isObj(e.part)) {
    const p = e.part;
    if (typeof p.tool === 'string') return `${p.tool}: ${inputSummary(isObj(p.state) ? p.state.input : undefined)}`;
    if (typeof p.text === 'string' && p.text.trim()) return `says: ${p.text}`;
  }
  return null;
}

/** One line describing the latest activity in `tail` (the end of the turn's output), or null. */
export function describeActivity(tail: string): string | null {
  const lines = tail.split('\n').slice(-200).reverse();
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    // A JSON event cut at the tail's start, or plain text that starts with a brace, is no event.
    const event = jsonObjectOf(line);
    if (event) {
      const d = eventLine(event);
      if (d) return clip(d);
      continue; // an event that says nothing about activity (usage, session ids)
    }
    return clip(line);
  }
  return null;
}
