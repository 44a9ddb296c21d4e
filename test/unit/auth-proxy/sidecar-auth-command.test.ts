/** `peers sidecar auth` as a real process: startup checks, and the budget cap from flags and file. */
import { afterAll, describe, expect, test } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../wait-for.ts';

const repo = join(import.meta.dir, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'peers-auth-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string | undefined>) =>
  spawnSync(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', ...args], { cwd: repo, env: { ...process.env, ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: undefined, ...env } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 20000 });

describe('peers sidecar auth', () => {
  test('refuses to start without the API key, naming the variable (exit 2)', () => {
    const r = run(['--upstream', 'anthropic', '--usage-ledger', join(dir, 'u0.jsonl')], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ANTHROPIC_API_KEY is not set in the auth sidecar');
  });

  test('--upstream none starts with no vendor upstream and no key (custom peers); none beside a vendor is refused (exit 2)', async () => {
    const both = run(['--upstream', 'none', '--upstream', 'openai', '--usage-ledger', join(dir, 'none0.jsonl')], {});
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--upstream none serves no vendor: it cannot be given with openai');
    const child = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'none', '--usage-ledger', join(dir, 'none1.jsonl')], { cwd: repo, env: { ...process.env, ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: undefined } as NodeJS.ProcessEnv });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    try {
      await waitFor('the sidecar to listen', () => err.includes('peers auth sidecar listening:'), 15000);
      expect(err).not.toContain('is not set');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('in OAuth mode, refuses to start without a usable credentials file, saying how to log in (exit 2)', () => {
    writeFileSync(join(dir, 'creds.json'), '{"claudeAiOauth": {"accessToken": "only-half"}}');
    const r = run(['--upstream', 'anthropic', '--credentials', 'oauth-file', '--claude-credentials', join(dir, 'creds.json'), '--usage-ledger', join(dir, 'u2.jsonl')], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'creds.json')}: cannot use this credentials file: .credentials.json: claudeAiOauth has no accessToken/refreshToken`);
    expect(r.stderr).toContain('log in on the host with `claude` then `/login`');
  });

  test('--model-server goes only to this loopback, directly, with no credential; any other address is refused', async () => {
    for (const target of ['10.0.0.1:80', 'localhost:8090', '127.0.0.1:8090/x', 'api.anthropic.com:443']) {
      const r = run(['--upstream', 'anthropic', '--usage-ledger', join(dir, 'ms0.jsonl'), '--model-server', target], {});
      expect(`${target} → ${r.status}`).toBe(`${target} → 2`);
      expect(r.stderr).toContain('expected 127.0.0.1:PORT');
    }
    const seen: { path: string; key: string | null; auth: string | null }[] = [];
    const model = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        seen.push({ path: new URL(req.url).pathname, key: req.headers.get('x-api-key'), auth: req.headers.get('authorization') });
        return Response.json({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 7, output_tokens: 3 } });
      },
    });
    const ledger = join(dir, 'ms1.jsonl');
    // A real-looking key in its environment is never read in this mode.
    const p = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', ledger, '--model-server', `127.0.0.1:${model.port}`], { cwd: repo, env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-must-not-leave-0000' } });
    let log = '';
    p.stderr.on('data', (d) => (log += d));
    try {
      await waitFor('the sidecar to print its anthropic listener', () => /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.test(log), 20_000);
      const port = /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1];
      const r = await fetch(`http://127.0.0.1:${port}/peer/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'placeholder' }, body: '{"model":"claude-sonnet-4-5","max_tokens":10}' });
      expect(r.status).toBe(200);
      await r.text();
      // The /peer/<name> prefix reaches the model server (it routes on it); no credential does.
      expect(seen).toEqual([{ path: '/peer/claude/v1/messages', key: null, auth: null }]);
      const { readLedger } = await import('../../../auth-proxy/usage/usage-ledger.ts');
      await waitFor('the ledger line of the reply', () => readLedger(ledger).length > 0, 5_000);
      expect(readLedger(ledger).map((l) => l.total_tokens)).toEqual([10]);
    } finally {
      p.kill('SIGTERM');
      model.stop(true);
    }
  }, 60_000);

  test('refuses a malformed budget file at startup, not at the first request (exit 2)', () => {
    writeFileSync(join(dir, 'bad-budget.json'), '{"max_usd": "lots"}');
    const r = run(['--upstream', 'anthropic', '--usage-ledger', join(dir, 'u1.jsonl'), '--budget-file', join(dir, 'bad-budget.json')], { ANTHROPIC_API_KEY: 'sk-ant-x-000000000' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('max_usd: expected a non-negative number');
  });

  test('a FIFO given as ledger, budget file, budget policy or credentials file is refused at startup (exit 2), never read (no hang)', () => {
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const key = { ANTHROPIC_API_KEY: 'sk-ant-x-000000000' };
    const cases: [string[], string][] = [
      [['--usage-ledger', fifo], `usage ledger: ${fifo}: not a regular file`],
      [['--usage-ledger', join(dir, 'u3.jsonl'), '--budget-file', fifo], `${fifo}: not a regular budget file`],
      [['--usage-ledger', join(dir, 'u4.jsonl'), '--credentials', 'oauth-file', '--claude-credentials', fifo], `${fifo}: cannot use this credentials file: ${fifo}: not a regular file`],
      [['--usage-ledger', join(dir, 'u5.jsonl'), '--budget-policy', fifo], `${fifo}: the budget policy is not a regular file`],
    ];
    for (const [args, message] of cases) {
      const r = run(['--upstream', 'anthropic', ...args], key);
      expect(`${args.join(' ')} → ${r.status}`).toBe(`${args.join(' ')} → 2`);
      expect(r.stderr).toContain(message);
    }
  }, 30_000); // five process starts

  test("under the policy's USD cap, a model priced only by the user's budget.prices goes out and is billed at that price; an unpriced one is refused, naming it", async () => {
    const served: string[] = [];
    const model = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const { model: name } = (await req.json()) as { model: string };
        served.push(name);
        return Response.json({ type: 'message', model: name, content: [], usage: { input_tokens: 1000, output_tokens: 100 } });
      },
    });
    const policy = join(dir, 'priced-policy.json');
    const { resolveBudgetPolicy } = await import('../../../src/budget/budget-policy.ts');
    const { writeBudgetPolicy } = await import('../../../src/budget/budget-policy-file.ts');
    const { ConfigSchema } = await import('../../../src/config/config-schema.ts');
    const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'claude', argv: ['claude'] }, { name: 'b', tool: 'claude', argv: ['claude'] }], budget: { max_usd: 10, prices: { 'acme-large': { input: 40, output: 200 } } } });
    writeBudgetPolicy(policy, resolveBudgetPolicy({ config, credentials: 'model-server', env: {} }));
    const ledger = join(dir, 'priced.jsonl');
    const p = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', ledger, '--budget-policy', policy, '--model-server', `127.0.0.1:${model.port}`], { cwd: repo, env: process.env });
    let log = '';
    p.stderr.on('data', (d) => (log += d));
    try {
      await waitFor('the sidecar to print its anthropic listener', () => /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.test(log), 20_000);
      expect(log).toContain('budget.prices for acme-large');
      const port = /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1];
      const ask = (name: string) => fetch(`http://127.0.0.1:${port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: name, max_tokens: 1000 }) }).then(async (r) => ({ status: r.status, text: await r.text() }));
      expect((await ask('acme-large')).status).toBe(200);
      const refused = await ask('acme-huge');
      expect(refused.status).toBe(402);
      expect(refused.text).toContain('acme-huge');
      expect(refused.text).toContain('budget.prices');
      expect(served).toEqual(['acme-large']);
      const { readLedger } = await import('../../../auth-proxy/usage/usage-ledger.ts');
      await waitFor('the ledger line of the reply', () => readLedger(ledger).length > 0, 5_000);
      expect(readLedger(ledger).map((l) => [l.model, l.priced, l.usd])).toEqual([['acme-large', 'config', (1000 * 40 + 100 * 200) / 1e6]]);
    } finally {
      p.kill('SIGTERM');
      model.stop(true);
    }
  }, 60_000);

  test('a run whose ledger already exceeds the budget file cap is refused without contacting anyone', async () => {
    const ledger = join(dir, 'usage.jsonl');
    writeFileSync(ledger, `${JSON.stringify({ ts: 'x', upstream: 'anthropic', model: 'claude-sonnet-4-5', input_tokens: 900, output_tokens: 200, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 1100, usd: 0.0057, priced: 'table', status: 200, stream: false })}\n`);
    writeFileSync(join(dir, 'budget.json'), '{"max_tokens": 1000}');
    // The egress address points nowhere: a refusal must not need it.
    const p = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', ledger, '--budget-file', join(dir, 'budget.json'), '--egress', `unix:${join(dir, 'nothing.sock')}`], { cwd: repo, env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-real-key-0000000' } });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    await waitFor('the sidecar to print its anthropic listener', () => /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.test(err), 15_000);
    const url = /anthropic=(http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1];
    const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'placeholder' }, body: '{}' });
    const body = (await res.json()) as { error: { type: string; message: string } };
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    p.kill('SIGTERM');
    expect(res.status).toBe(402);
    expect(body.error.type).toBe('billing_error');
    expect(body.error.message).toContain('1100 of 1000 tokens');
    expect(await exited).toBe(0);
    expect(err).not.toContain('sk-ant-real-key');
  });
});
