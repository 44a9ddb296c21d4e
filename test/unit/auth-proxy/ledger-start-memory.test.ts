/**
 * Attack: a peer grows the usage ledger with requests that cost it (almost) nothing — each writes
 * a `reserved` line and a reply or `released` line — until the auth sidecar cannot start on it.
 * The sidecar read the whole file and parsed every line into memory before counting: a 48 MB
 * ledger (300 000 lines, a few dollars of the cheapest model's requests) took it to 181 MiB, and
 * at about 70 MB it passes its container's 256 MiB limit, so a sidecar restarted mid-run (or after
 * `peers down`) is killed at once and the run cannot go on.
 *
 * The bound (SECURITY.md, "The ledger is the authority for spend"): the sidecar folds the ledger
 * line by line, a few MiB at a time, keeping only the totals and the reservations still open.
 */
import { afterAll, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_SIDECAR_ENV } from '../../../sandbox/pod-env.ts';
import { waitFor } from '../../wait-for.ts';

const repo = join(import.meta.dir, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'peers-ledger-start-'));
let sidecar: ChildProcess | undefined;
afterAll(() => {
  sidecar?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const PAIRS = 30_000;

test('a sidecar starts on a 10 MB ledger holding little more memory than on an empty one, and counts it right', async () => {
  const ledger = join(dir, 'usage.jsonl');
  const parts: string[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const id = `r-${i}`;
    parts.push(JSON.stringify({ kind: 'reserved', ts: '2026-12-06T10:00:00.000Z', id, upstream: 'anthropic', path: '/v1/messages', model: 'claude-haiku-4-5', input_tokens: 1100, output_tokens: 1, usd: 0.0011 }));
    parts.push(i % 2
      ? JSON.stringify({ kind: 'released', ts: '2026-12-06T10:00:00.100Z', id })
      : JSON.stringify({ kind: 'reply', ts: '2026-12-06T10:00:00.100Z', upstream: 'anthropic', status: 200, stream: false, model: 'claude-haiku-4-5', input_tokens: 9, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 10, usd: 0.000014, priced: 'table', reservation: id }));
  }
  // One left open: a request a stopped sidecar had at the vendor, spent at its reservation on start.
  parts.push(JSON.stringify({ kind: 'reserved', ts: '2026-12-06T10:00:01.000Z', id: 'open-1', upstream: 'anthropic', model: 'claude-haiku-4-5', input_tokens: 1100, output_tokens: 1, usd: 0.0011 }));
  writeFileSync(ledger, `${parts.join('\n')}\n`);
  sidecar = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', ledger, '--model-server', '127.0.0.1:9'], { cwd: repo, env: { ...process.env, ...AUTH_SIDECAR_ENV, PEERS_BUDGET_MAX_USD: '1000' } });
  let log = '';
  sidecar.stderr!.on('data', (d) => (log += d));
  await waitFor('the sidecar to print its anthropic listener', () => /anthropic=http:\/\/127\.0\.0\.1:\d+/.test(log), 60_000);
  const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${sidecar.pid}/status`, 'utf8'))![1]) / 1024;
  // Before: 73 MiB for this ledger (181 for 48 MB); now about 56, an idle sidecar takes about 40.
  expect(peakMiB).toBeLessThan(66);
  // 15 000 replies of 10 tokens and $0.000014, and the open reservation at its whole 1101 tokens, $0.0011.
  expect(log).toContain(`spent so far $${(PAIRS / 2 * 0.000014 + 0.0011).toFixed(4)}, ${PAIRS / 2 * 10 + 1101} tokens`);
}, 90_000);
