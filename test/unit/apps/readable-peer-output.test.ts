/**
 * `peers logs --peer` renders the CLIs' JSON events as the lines a person reads
 * (apps/logs/readable-peer-output.ts), a chunk at a time: an event cut between two reads is
 * rendered once whole, never shown as two halves of JSON.
 */
import { expect, test } from 'bun:test';
import { ReadablePeerOutput } from '../../../apps/logs/readable-peer-output.ts';

const codex = [
  { type: 'thread.started', thread_id: 't' },
  { type: 'item.started', item: { id: '1', type: 'command_execution', command: 'bash -lc "npm test"' } },
  { type: 'item.completed', item: { id: '2', type: 'agent_message', text: 'Done.' } },
].map((e) => JSON.stringify(e));

test('an event split across reads is rendered once, when its line is complete; events that say nothing are left out', () => {
  const r = new ReadablePeerOutput();
  const all = `${codex.join('\n')}\n`;
  const cut = all.indexOf('npm');
  expect(r.push('1.stdout', all.slice(0, cut))).toBe('');
  expect(r.push('1.stdout', all.slice(cut))).toBe('· running: bash -lc "npm test"\n· says: Done.\n');
  expect(r.end('1.stdout')).toBe('');
});

test('streams keep their own unfinished lines; a last line without its newline comes out at the end', () => {
  const r = new ReadablePeerOutput();
  expect(r.push('1.stdout', 'step 1\nstep')).toBe('step 1\n');
  expect(r.push('1.stderr', 'warn')).toBe('');
  expect(r.push('1.stdout', ' 2\n')).toBe('step 2\n');
  expect(r.end('1.stderr')).toBe('warn');
  expect(r.end('1.stdout')).toBe('');
});

test('text that only looks like JSON, and JSON that is no event object, is shown as printed', () => {
  const r = new ReadablePeerOutput();
  expect(r.push('k', '{not json\n[1,2]\n{"unknown":"event"}\n')).toBe('{not json\n[1,2]\n');
});
