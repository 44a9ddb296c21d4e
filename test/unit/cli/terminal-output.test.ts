/**
 * Attack: a peer's words (a commit message, its CLI's output) carry escape sequences and bidi
 * controls, and reach the operator through whatever command prints them. The property (SECURITY.md,
 * "A peer's words reach the operator's terminal as text"): what a command writes to its output
 * streams has no control character but line breaks, tabs and the colours peers itself paints, so
 * a command gets this without doing anything (src/cli/command-io.ts); --json stays exact.
 */
import { expect, test } from 'bun:test';
import { terminalSafeIO, rawOutput } from '../../../src/cli/command-io.ts';
import { paintFor } from '../../../src/cli/colour.ts';
import { jsonForTerminal, terminalText } from '../../../src/cli/terminal-text.ts';
import { writeJson } from '../../../src/cli/json-output/command-output.ts';
import { InputError } from '../../../src/cli/errors.ts';
import { reportFatal } from '../../../src/cli/report-error.ts';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';

const PLANTED = 'a\u001b[2J\u001b[Hb\u001b]52;c;cHduZWQ=\u0007c\u001b]0;title\u001b\\d\u009b31me\r\u0008\u007ff\u202eg\u202ch\u2066i\u2069\t\nj\u001b[35mk\u001b[0m';
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function captured(isTTY = true) {
  const chunks: Array<string | Uint8Array> = [];
  const stream = { isTTY, columns: 99, write: (c: string | Uint8Array) => (chunks.push(c), true) };
  const text = () => chunks.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8'))).join('');
  return { stream, chunks, text };
}

const ioOf = (stdout: ReturnType<typeof captured>['stream'], stderr = captured().stream) =>
  terminalSafeIO({ stdout, stderr, stdin: Readable.from(['']), env: {}, cwd: '/', signals: new EventEmitter() });

test('text written to a command stream reaches it with every control character shown as ?, line breaks and tabs kept', () => {
  const out = captured();
  const err = captured();
  const io = ioOf(out.stream, err.stream);
  io.stdout.write(PLANTED);
  io.stderr.write(PLANTED);
  const shown = 'a?[2J?[Hb?]52;c;cHduZWQ=?c?]0;title?\\d?31me???f?g?h?i?\t\nj?[35mk?[0m';
  expect(out.text()).toBe(shown);
  expect(err.text()).toBe(shown);
  expect(io.stdout.isTTY).toBe(true);
  expect(io.stdout.columns).toBe(99);
});

test('bytes are read as UTF-8 across writes: a C1 control split between two chunks does not slip through', () => {
  const out = captured();
  const io = ioOf(out.stream);
  const bytes = Buffer.from('x\u009b2Jy\u202ez', 'utf8');
  const cut = bytes.indexOf(0x9b);
  io.stdout.write(bytes.subarray(0, cut));
  io.stdout.write(bytes.subarray(cut, cut + 4));
  io.stdout.write(bytes.subarray(cut + 4));
  expect(out.text()).toBe('x?2Jy?z');
});

test("peers' own colours pass (the exact styles of colour.ts); nothing else that starts with ESC does", () => {
  const out = captured();
  const io = ioOf(out.stream);
  const paint = paintFor({ isTTY: true }, {});
  const line = `${paint.bold('MODE')} ${paint.red('crashed')} ${paint.dim(paint.cyan('x'))} ${paint.green('ok')} ${paint.yellow('stopped')}`;
  io.stdout.write(line);
  expect(out.text()).toBe(line);
  io.stdout.write('\u001b[8mhidden\u001b[0m\u001b[38;5;1m');
  expect(out.text()).toEndWith('?[8mhidden?[0m?[38;5;1m');
});

test('the raw stream (a tar archive, the watch screen) is reachable on purpose only, and wrapping twice changes nothing', () => {
  const out = captured();
  const io = ioOf(out.stream);
  expect(rawOutput(io.stdout)).toBe(out.stream);
  expect(rawOutput(out.stream)).toBe(out.stream);
  expect(rawOutput(terminalSafeIO(io).stdout)).toBe(out.stream);
  rawOutput(io.stdout).write(Buffer.from([0x1b, 0x00, 0x9b]));
  expect(Buffer.from(out.chunks[0] as Uint8Array)).toEqual(Buffer.from([0x1b, 0x00, 0x9b]));
});

test('--json through the safe stream: a document holding every planted character parses back exactly, and carries none raw', () => {
  const out = captured();
  const io = ioOf(out.stream);
  writeJson(io, { text: PLANTED, list: [PLANTED] });
  expect(out.text().match(CONTROLS)?.filter((c) => c !== '\n') ?? []).toEqual([]);
  expect(JSON.parse(out.text())).toEqual({ text: PLANTED, list: [PLANTED] });
  expect(JSON.parse(jsonForTerminal(JSON.stringify('\u0085\u202e')))).toBe('\u0085\u202e');
});

test('terminalText: bidi embeddings, overrides and isolates are shown as ?, as control characters are', () => {
  expect(terminalText('a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j')).toBe('a?b?c?d?e?f?g?h?i?j');
  // Letters of right-to-left scripts and the marks that only nudge neutral characters stay.
  expect(terminalText('שלום \u200f ok')).toBe('שלום \u200f ok');
});

test("an error's message reaches stderr as text, also on the stream the binary reports on without a command (reportFatal)", () => {
  const err = captured();
  expect(reportFatal(new InputError(`no tick in "${PLANTED}"`), { stderr: err.stream, env: { NO_COLOR: '1' } })).toBe(2);
  expect(err.text()).toStartWith('peers: no tick in "a?[2J?[Hb');
  expect(err.text().match(CONTROLS)?.filter((c) => c !== '\n' && c !== '\t') ?? []).toEqual([]);
});
