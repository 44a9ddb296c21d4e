/** `peers model-server` as a user runs it: a real process, a real port, SIGTERM to stop. */
import { expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseListen } from '../../../src/model-server/listen-address.ts';

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
const REHEARSAL = resolve(import.meta.dir, '../../fixtures/scenarios/rehearsal.yaml');

test('serves the rehearsal scenario on the requested port, logs usage, and stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-ms-cmd-'));
  try {
    const log = join(dir, 'served.jsonl');
    const proc = Bun.spawn([process.execPath, MAIN, 'model-server', '--scenario', REHEARSAL, '--listen', '127.0.0.1:0', '--log', log], { stdout: 'pipe', stderr: 'pipe' });
    const reader = proc.stdout.getReader();
    let out = '';
    while (!out.includes('\n')) out += new TextDecoder().decode((await reader.read()).value);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(out).toContain('(2 peer(s): claude, codex)');
    expect(url).toBeDefined();
    const res = await fetch(`${url}/peer/codex/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5.5', stream: true, tools: [{ type: 'function', name: 'exec_command' }], input: [] }), headers: { 'session-id': 'one' } });
    expect(await res.text()).toContain('response.completed');
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const record = JSON.parse(readFileSync(log, 'utf8').trim()) as Record<string, unknown>;
    expect(record).toMatchObject({ peer: 'codex', tick: 0, step: 0, kind: 'reply', usage: { input_tokens: 2000, cache_read_tokens: 1500, output_tokens: 220, reasoning_tokens: 64 }, cost_usd: (2000 * 1.25 + 220 * 10 + 1500 * 0.125) / 1e6 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 20_000);

test('a bad scenario exits 2 naming the file, line and problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-ms-cmd-'));
  try {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\npeers:\n  claude:\n    api: anthropic-ish\n    ticks: []\n');
    const proc = Bun.spawn([process.execPath, MAIN, 'model-server', '--scenario', file], { stdout: 'pipe', stderr: 'pipe' });
    expect(await proc.exited).toBe(2);
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).toContain(`${file}:4:10: peers.claude.api:`);
    expect(stderr).not.toContain('    at ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 20_000);

test('--listen accepts HOST:PORT, [v6]:PORT and :PORT, and refuses anything else', () => {
  expect(parseListen('127.0.0.1:8089')).toEqual({ host: '127.0.0.1', port: 8089 });
  expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
  expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
  expect(() => parseListen('8089')).toThrow('expected HOST:PORT');
  expect(() => parseListen('h:70000')).toThrow('expected HOST:PORT');
  // Not an address or a host name: refused here, not by the socket layer (it said ENOTTY, exit 70).
  for (const bad of ['1.2.3.4.5:1', '[1.2.3.4]:80', 'a b:80', '-host:80', '999.1.1.1:80']) expect(() => parseListen(bad)).toThrow('expected HOST:PORT');
  expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
});
