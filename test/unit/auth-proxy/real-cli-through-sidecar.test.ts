/**
 * The pod's model path end to end with the real CLIs: `claude` and `codex` (devDependencies), given
 * placeholder keys, talk to the auth sidecar, which swaps in the real key and reaches the scripted
 * model server (`peers model-server`, the vendor stand-in) through a CONNECT tunnel in the egress
 * proxy. The CLIs must print the scripted replies, and the usage ledger must equal, token for
 * token, what the model server says it reported.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { readLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { parseScenario } from '../../../src/model-server/load-scenario.ts';
import { type ModelServerHandle, startModelServer } from '../../../src/model-server/server.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';
import { requires } from '../../requirements.ts';

const repo = join(import.meta.dir, '../../..');
const REAL = { anthropic: 'sk-ant-api03-real-e2e-key-000000', openai: 'sk-proj-real-e2e-key-000000' };
const SCENARIO = `
version: 1
peers:
  claude:
    api: anthropic
    ticks:
      - name: hello
        replies:
          - text: "hello from the scripted claude"
            usage: { input_tokens: 1234, output_tokens: 56, cache_read_tokens: 700, cache_write_tokens: 300 }
  codex:
    api: responses
    ticks:
      - name: hello
        replies:
          - text: "hello from the scripted codex"
            usage: { input_tokens: 2222, output_tokens: 77, cache_read_tokens: 111 }
`;

const need = requires('claude', 'codex');
let model: ModelServerHandle;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;

beforeAll(async () => {
  if (!need.ok) return;
  model = startModelServer({ scenario: parseScenario(SCENARIO, 'inline scenario'), host: '127.0.0.1', port: 0 });
  const port = Number(new URL(model.url!).port);
  egress = await startEgress(port);
  anthropic = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', REAL.anthropic) });
  openai = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', REAL.openai) });
});
afterAll(async () => {
  if (!need.ok) return;
  await anthropic.close();
  await openai.close();
  await egress.close();
  await model.stop();
});

/** Runs a CLI without blocking this process (the sidecars live in it). */
function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(join(repo, 'node_modules/.bin', cmd), args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe.skipIf(!need.ok)(`real CLIs through the auth sidecar and the egress proxy${need.skipped}`, () => {
  test('claude and codex get their replies and the ledger matches what was served, token for token', async () => {
    const home = join(egress.dir, 'home');
    mkdirSync(join(home, 'codex'), { recursive: true });
    const claude = await run('claude', ['-p', 'say hi'], {
      HOME: home, ANTHROPIC_BASE_URL: `${anthropic.url}/peer/claude`, ANTHROPIC_API_KEY: 'placeholder-key-not-a-secret', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    }, egress.dir);
    expect(claude.out).toContain('hello from the scripted claude');
    expect(claude.code).toBe(0);
    writeFileSync(join(home, 'codex', 'config.toml'), `model = "gpt-5-codex"\nmodel_provider = "peers"\nweb_search = "disabled"\n[model_providers.peers]\nname = "peers"\nbase_url = "${openai.url}/peer/codex/v1"\nwire_api = "responses"\nenv_key = "OPENAI_API_KEY"\n`);
    const codex = await run('codex', ['exec', '--skip-git-repo-check', 'say hi'], { HOME: home, CODEX_HOME: join(home, 'codex'), OPENAI_API_KEY: 'placeholder-key-not-a-secret' }, egress.dir);
    expect(codex.out).toContain('hello from the scripted codex');
    expect(codex.code).toBe(0);

    const served = model.log.records.filter((r) => r.usage.input_tokens + r.usage.output_tokens > 0);
    const ledger = readLedger(join(egress.dir, 'usage.jsonl'));
    const sum = (rows: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }[]) =>
      rows.reduce((t, r) => ({ in: t.in + r.input_tokens, out: t.out + r.output_tokens, cr: t.cr + r.cache_read_tokens, cw: t.cw + r.cache_write_tokens }), { in: 0, out: 0, cr: 0, cw: 0 });
    for (const [upstream, api] of [['anthropic', 'anthropic'], ['openai', 'responses']] as const) {
      const l = ledger.filter((x) => x.upstream === upstream);
      const s = served.filter((x) => x.api === api);
      expect(l.length).toBe(s.length);
      expect(sum(l)).toEqual(sum(s.map((x) => x.usage)));
    }
    expect(sum(ledger.filter((x) => x.upstream === 'anthropic')).in).toBeGreaterThanOrEqual(1234);
    // Codex is priced from the table (it reports no cost of its own).
    const codexLines = ledger.filter((x) => x.upstream === 'openai');
    expect(codexLines.every((x) => x.model === 'gpt-5-codex' && x.priced === 'table' && x.usd > 0)).toBe(true);
    // The CLIs needed no path the sidecar does not forward.
    expect([...anthropic.logs, ...openai.logs].filter((l) => l.includes(' 403 denied'))).toEqual([]);
    // Nothing the CLIs printed or the sidecars logged holds a real key.
    const transcript = [claude.out, codex.out, ...anthropic.logs, ...openai.logs, JSON.stringify(ledger)].join('\n');
    expect(transcript).not.toContain(REAL.anthropic);
    expect(transcript).not.toContain(REAL.openai);
  }, 150000);
});
