/**
 * The budget refusal as the user meets it: the real `claude` and `codex` CLIs (devDependencies)
 * pointed at `peers sidecar auth` with placeholder keys, on a run whose budget is already spent.
 * Each must stop at once with exit 1 and show our sentence, and the sidecar must have refused
 * every request without forwarding it (its egress address leads nowhere, so nothing could be).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isRefusal, isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requires } from '../../requirements.ts';
import { waitFor } from '../../wait-for.ts';

const repo = join(import.meta.dir, '../../..');
const bin = (name: string) => join(repo, 'node_modules/.bin', name);
let dir: string;
let sidecar: ChildProcess;
let log = '';
let ports: { anthropic: number; openai: number };

beforeAll(async () => {
  if (!need.ok) return;
  dir = mkdtempSync(join(tmpdir(), 'peers-real-cli-budget-'));
  writeFileSync(join(dir, 'usage.jsonl'), `${JSON.stringify({ ts: '2026-11-22T00:00:00Z', upstream: 'anthropic', model: 'claude-sonnet-4-5', input_tokens: 4000, output_tokens: 1000, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 5000, usd: 0.027, priced: 'table', status: 200, stream: true })}\n`);
  sidecar = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--port', 'anthropic=0', '--port', 'openai=0', '--usage-ledger', join(dir, 'usage.jsonl'), '--max-tokens', '1000', '--egress', `unix:${join(dir, 'no-egress.sock')}`], {
    cwd: repo,
    env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-real-key-never-shown-0001', OPENAI_API_KEY: 'sk-real-openai-never-shown-0001' },
  });
  sidecar.stderr!.on('data', (d) => (log += d));
  await waitFor('the sidecar to print its listeners', () => /openai=http/.test(log), 20_000);
  ports = { anthropic: Number(/anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]), openai: Number(/openai=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]) };
}, 30000);

afterAll(() => {
  if (!need.ok) return;
  sidecar.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const need = requires('claude', 'codex');

/** `codex exec` against the sidecar's OpenAI port, with its own home and `extra` lines in its config.toml. */
function codexExec(homeName: string, extra = '') {
  const home = join(dir, homeName);
  mkdirSync(home);
  writeFileSync(join(home, 'config.toml'), `model = "gpt-5-codex"\n${extra}model_provider = "peers"\n[model_providers.peers]\nname = "peers"\nbase_url = "http://127.0.0.1:${ports.openai}/v1"\nwire_api = "responses"\nenv_key = "OPENAI_API_KEY"\n`);
  return spawnSync(bin('codex'), ['exec', '--skip-git-repo-check', 'say hi'], {
    cwd: dir, encoding: 'utf8', timeout: 60000,
    env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, OPENAI_API_KEY: 'peers-placeholder' },
  });
}

describe.skipIf(!need.ok)(`a spent budget, seen through the real CLIs${need.skipped}`, () => {
  test('claude -p stops at once and prints the sidecar\'s sentence', () => {
    const home = join(dir, 'claude-home');
    mkdirSync(home);
    const t0 = Date.now();
    const r = spawnSync(bin('claude'), ['-p', 'say hi'], {
      cwd: dir, encoding: 'utf8', timeout: 60000,
      env: { PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: `http://127.0.0.1:${ports.anthropic}`, ANTHROPIC_API_KEY: 'peers-placeholder', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    });
    const out = r.stdout + r.stderr;
    expect(out).toContain("API Error: 402 peers: the run's token budget is spent (5000 of 1000 tokens)");
    expect(r.status).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30000);
    expect(out).not.toContain('never-shown');
  }, 70000);

  test('codex exec stops at once (no retries) and prints the sidecar\'s sentence', async () => {
    const before = (log.match(/openai POST \/v1\/responses 400 budget refused/g) ?? []).length;
    // web_search off, as peers runs codex (src/config/peer-argv.ts): the next test has it on.
    const r = codexExec('codex-home', 'web_search = "disabled"\n');
    const out = r.stdout + r.stderr;
    expect(out).toContain("peers: the run's token budget is spent (5000 of 1000 tokens)");
    expect(out).not.toContain('Reconnecting');
    expect(r.status).toBe(1);
    // spawnSync blocked this event loop: the sidecar's log lines arrive after it returns.
    await waitFor('the sidecar to log the refusal', () => (log.match(/openai POST \/v1\/responses 400 budget refused/g) ?? []).length > before, 5_000);
    expect((log.match(/openai POST \/v1\/responses 400 budget refused/g) ?? []).length - before).toBe(1);
    expect(out).not.toContain('never-shown');
    // Nothing was spent; every refusal is on record (claude's and codex's), none adds to the spend.
    const ledger = readLedgerFile(join(dir, 'usage.jsonl')).lines;
    expect(ledger.filter(isReply)).toHaveLength(1);
    const refusals = ledger.filter(isRefusal);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.every((l) => l.cap === 'max_tokens' && l.limit === 1000 && l.spent === 5000)).toBe(true);
    expect(new Set(refusals.map((l) => l.upstream))).toEqual(new Set(['anthropic', 'openai']));
  }, 70000);

  test('codex with its server-side web search on is refused at once, saying why (SECURITY.md: the vendor reaches nothing for a peer)', async () => {
    const refusedLog = /openai POST \/v1\/responses 400 refused: peers_vendor_reach/g;
    const before = (log.match(refusedLog) ?? []).length;
    const r = codexExec('codex-home-search');
    const out = r.stdout + r.stderr;
    expect(out).toContain('peers: the server-side tool \\"web_search\\" runs on the vendor\'s side');
    expect(out).not.toContain('Reconnecting');
    expect(r.status).toBe(1);
    await waitFor('the sidecar to log the refusal', () => (log.match(refusedLog) ?? []).length > before, 5_000);
    expect((log.match(refusedLog) ?? []).length - before).toBe(1);
  }, 70000);
});
