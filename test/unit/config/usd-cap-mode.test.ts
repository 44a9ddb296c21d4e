import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, type PeersConfig } from '../../../src/config/config-schema.ts';
import { detectBilling, resolveUsdCapMode } from '../../../src/config/usd-cap-mode.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-usd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function home(files: Record<string, string> = {}): string {
  const dir = join(root, String(n++));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}
function config(mode: string, tools: string[] = ['claude', 'codex']): PeersConfig {
  return ConfigSchema.parse({ peers: tools.map((tool, i) => ({ name: `p${i}`, tool, argv: [tool] })), budget: { max_usd: 10, max_usd_mode: mode } });
}

describe('USD cap mode', () => {
  test('explicit modes are taken as written', () => {
    for (const mode of ['hard', 'warn', 'off']) {
      expect(resolveUsdCapMode(config(mode), { ANTHROPIC_API_KEY: 'k' }, home())).toEqual({ mode: mode as 'hard', reason: `explicit max_usd_mode=${mode}` });
    }
  });

  test('auto is hard as soon as one peer bills through an API key', () => {
    expect(resolveUsdCapMode(config('auto'), { OPENAI_API_KEY: 'k' }, home())).toEqual({ mode: 'hard', reason: 'auto: p1 bills through an API key' });
    expect(resolveUsdCapMode(config('auto'), { OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' }, home()).reason).toBe('auto: p0, p1 bill through an API key');
  });

  test('auto is warn when every peer uses a subscription login', () => {
    const h = home({ '.claude/.credentials.json': '{}', '.codex/auth.json': '{"auth_mode":"chatgpt"}' });
    expect(resolveUsdCapMode(config('auto'), {}, h)).toEqual({ mode: 'warn', reason: 'auto: every peer uses a subscription login (OAuth)' });
  });

  test('auto with unknown billing (opencode, nothing on disk) is warn and says why', () => {
    expect(resolveUsdCapMode(config('auto', ['claude', 'opencode']), {}, home())).toEqual({ mode: 'warn', reason: 'auto: billing p0=unknown, p1=unknown' });
  });

  test('claude billing detection', () => {
    expect(detectBilling('claude', { ANTHROPIC_API_KEY: 'k' }, home({ '.claude/.credentials.json': '{}' }))).toBe('api');
    expect(detectBilling('claude', {}, home({ '.claude.json': '{"userID":"u"}' }))).toBe('oauth');
    expect(detectBilling('claude', {}, home({ '.claude.json': '{"theme":"dark"}' }))).toBe('unknown');
    expect(detectBilling('claude', {}, home({ '.claude/.credentials.json': 'x'.repeat(1024 * 1024 + 1) }))).toBe('unknown');
    const h = home({ 'elsewhere.json': '{}' });
    mkdirSync(join(h, '.claude'));
    symlinkSync(join(h, 'elsewhere.json'), join(h, '.claude', '.credentials.json'));
    expect(detectBilling('claude', {}, h)).toBe('unknown'); // a symlink is not trusted
  });

  test('codex billing detection from auth.json', () => {
    const auth = (j: unknown) => home({ '.codex/auth.json': JSON.stringify(j) });
    expect(detectBilling('codex', {}, auth({ auth_mode: 'ApiKey' }))).toBe('api');
    expect(detectBilling('codex', {}, auth({ auth_mode: 'api-key' }))).toBe('api');
    expect(detectBilling('codex', {}, auth({ tokens: { id_token: 'x' } }))).toBe('oauth');
    expect(detectBilling('codex', {}, auth({ OPENAI_API_KEY: 'sk' }))).toBe('api');
    expect(detectBilling('codex', {}, auth({}))).toBe('unknown');
    expect(detectBilling('codex', {}, home({ '.codex/auth.json': 'not json' }))).toBe('unknown');
    expect(detectBilling('opencode', { OPENAI_API_KEY: 'k' }, home())).toBe('unknown');
  });
});
