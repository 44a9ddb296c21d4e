/**
 * The budget policy `peers up` resolves once for the pod (pure), what the sidecar enforces of it,
 * when `up` warns, and how a bad policy file is refused (never read as "no cap").
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { policyPrices, readBudgetPolicy, sidecarCaps, uncappedWarning, writeBudgetPolicy } from '../../../src/budget/budget-policy-file.ts';
import { PRICE_TABLE_DATE } from '../../../auth-proxy/usage/price-table.ts';
import { ConfigSchema, type PeersConfig } from '../../../src/config/config-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'peers-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(budget: Record<string, unknown>, tools = ['claude', 'codex']): PeersConfig {
  return ConfigSchema.parse({ peers: tools.map((tool) => ({ name: tool, tool, argv: [tool] })), budget });
}
const decide = (budget: Record<string, unknown>, credentials: 'api-key' | 'oauth-file' | 'model-server', env: Record<string, string> = {}, extra: { maxUsd?: number; tools?: string[] } = {}) => {
  const p = resolveBudgetPolicy({ config: config(budget, extra.tools), credentials, env, maxUsd: extra.maxUsd });
  return [p.max_usd_mode, p.reason];
};

describe('one budget policy for the pod', () => {
  test('auto follows how the pod bills, not the environment of whoever reads it', () => {
    // API keys (the default): every claude and codex request is billed through the sidecar's keys.
    expect(decide({ max_usd: 5 }, 'api-key')).toEqual(['hard', 'auto: claude, codex bill through an API key']);
    // CLI logins: subscriptions, a warning; codex still bills through OPENAI_API_KEY when it is set.
    expect(decide({ max_usd: 5 }, 'oauth-file')).toEqual(['warn', 'auto: every peer uses a subscription login (OAuth)']);
    expect(decide({ max_usd: 5 }, 'oauth-file', { OPENAI_API_KEY: 'sk' })).toEqual(['hard', 'auto: codex bills through an API key']);
    expect(decide({ max_usd: 5 }, 'model-server')).toEqual(['hard', 'auto: the scripted model server stands in for API-key billing']);
    // A custom peer's billing is its own: unknown, so only a warning.
    expect(decide({ max_usd: 5 }, 'oauth-file', {}, { tools: ['custom', 'claude'] })).toEqual(['warn', 'auto: billing custom=unknown, claude=oauth']);
  });

  test('an explicit mode is taken as written; `up --max-usd` is always a hard cap unless the mode is off', () => {
    expect(decide({ max_usd: 5, max_usd_mode: 'warn' }, 'api-key')).toEqual(['warn', 'explicit max_usd_mode=warn']);
    expect(decide({ max_usd_mode: 'warn' }, 'oauth-file', {}, { maxUsd: 3 })).toEqual(['hard', 'peers up --max-usd 3']);
    expect(decide({ max_usd_mode: 'off' }, 'api-key', {}, { maxUsd: 3 })).toEqual(['off', 'explicit max_usd_mode=off']);
    const p = resolveBudgetPolicy({ config: config({ max_usd: 5, max_tokens: 1000 }), credentials: 'api-key', env: {}, maxUsd: 3 });
    expect(p).toMatchObject({ max_usd: 3, max_tokens: 1000, price_table: PRICE_TABLE_DATE, credentials: 'api-key' });
  });

  test('the sidecar enforces max_tokens always and max_usd only in hard mode', () => {
    const p = (budget: Record<string, unknown>, credentials: 'api-key' | 'oauth-file') => sidecarCaps(resolveBudgetPolicy({ config: config(budget), credentials, env: {} }));
    expect(p({ max_usd: 5, max_tokens: 1000 }, 'api-key')).toEqual({ maxUsd: 5, maxTokens: 1000 });
    expect(p({ max_usd: 5, max_tokens: 1000 }, 'oauth-file')).toEqual({ maxTokens: 1000 });
    expect(p({ max_usd: 5, max_usd_mode: 'off' }, 'api-key')).toEqual({});
  });

  test('`up` warns when nothing caps the spend', () => {
    const w = (budget: Record<string, unknown>) => uncappedWarning(resolveBudgetPolicy({ config: config(budget), credentials: 'api-key', env: {} }));
    expect(w({ max_usd: 5 })).toBeNull();
    expect(w({ max_tokens: 1000 })).toBeNull();
    expect(w({ max_usd: 5, max_usd_mode: 'warn' })).toBeNull(); // reported against, and still a cap users see
    expect(w({})).toStartWith('this run has no spending cap');
    expect(w({ max_usd: 5, max_usd_mode: 'off' })).toContain('is set but max_usd_mode is off');
  });

  test("budget.prices reach the policy by the id the sidecar looks up, with conservative defaults; a model of peers' own table is refused", () => {
    const p = resolveBudgetPolicy({ config: config({ max_usd: 5, prices: { 'Acme/Large-20270101': { input: 4, output: 20 } } }), credentials: 'api-key', env: {} });
    expect(p.prices).toEqual({ large: { input: 4, output: 20, cache_read: 4, cache_write: 5, cache_write_1h: 8 } });
    const path = join(dir, 'priced.json');
    writeBudgetPolicy(path, p);
    expect(policyPrices(readBudgetPolicy(path))).toEqual({ large: { input: 4, output: 20, cacheRead: 4, cacheWrite: 5, cacheWrite1h: 8 } });
    expect(resolveBudgetPolicy({ config: config({ max_usd: 5 }), credentials: 'api-key', env: {} }).prices).toBeUndefined();
    // A lower price for a listed model would let its requests past the cap: the table's row is the price.
    expect(() => resolveBudgetPolicy({ config: config({ max_usd: 5, prices: { 'claude-opus-4-1': { input: 0, output: 0 } } }), credentials: 'api-key', env: {} })).toThrow("claude-opus-4-1 is in peers' price table already");
    expect(() => config({ prices: { x: { input: -1, output: 1 } } })).toThrow();
  });

  test('a policy file round-trips; a missing, non-JSON or mistyped one is exit-2 bad input naming it', () => {
    const ok = join(dir, 'ok.json');
    const p = resolveBudgetPolicy({ config: config({ max_usd: 5 }), credentials: 'api-key', env: {} });
    writeBudgetPolicy(ok, p);
    expect(readBudgetPolicy(ok)).toEqual(p);
    const bad = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cases: [string, string][] = [
      [join(dir, 'missing.json'), 'the budget policy is missing'],
      [bad('torn.json', '{"version": 1, "max_u'), 'the budget policy cannot be read'],
      [bad('string.json', JSON.stringify({ ...p, max_usd: '5' })), 'the budget policy is invalid: max_usd'],
      [bad('mode.json', JSON.stringify({ ...p, max_usd_mode: 'auto' })), 'the budget policy is invalid: max_usd_mode'],
      [bad('extra.json', JSON.stringify({ ...p, max_usd_cap: 1 })), 'the budget policy is invalid'],
    ];
    for (const [path, message] of cases) {
      let error: { message: string; exitCode?: number } | undefined;
      try {
        readBudgetPolicy(path);
      } catch (e) {
        error = e as { message: string; exitCode?: number };
      }
      expect(error?.message, path).toContain(message);
      expect(error?.exitCode, path).toBe(2);
    }
  });
});
