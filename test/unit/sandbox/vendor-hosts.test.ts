/**
 * `peers up` and `peers doctor` resolve the configured peers' vendor hosts with this machine's
 * resolver (the egress proxy's) and warn when one does not resolve: every turn of its peers would
 * fail as vendor unreachable.
 */
import { describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor } from '../../../apps/doctor/doctor-checks.ts';
import { withVendorLookups } from '../../../apps/doctor/vendor-hosts-check.ts';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { registerProject } from '../../../src/config/project-registry.ts';
import { type Resolver, StaticResolver, SystemResolver } from '../../../proxy/resolver.ts';
import { unresolvedVendorHosts, unresolvedVendorWarning, vendorHostsOf } from '../../../sandbox/vendor-hosts.ts';

const config = ConfigSchema.parse({
  peers: [
    { name: 'claude', tool: 'claude', argv: ['claude'] },
    { name: 'claude2', tool: 'claude', argv: ['claude'] },
    { name: 'codex', tool: 'codex', argv: ['codex'] },
    { name: 'router', tool: 'codex', argv: ['codex'], provider: 'openrouter' },
    { name: 'corp', tool: 'claude', argv: ['claude'], provider: { kind: 'anthropic-compatible', base_url: 'https://llm.peers-test.invalid/anthropic', key_env: 'CORP_KEY' } },
    { name: 'oc', tool: 'opencode', argv: ['opencode'], model: 'openai/gpt-5' },
    { name: 'rehearsal', tool: 'claude', argv: ['claude'], env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8089/peer/claude' } },
    // README "Rehearse offline" and `peers demo --keep`: codex pointed at the model server by its argv.
    // doctor warned that chatgpt.com did not resolve and every turn would fail, for a peer that never goes there.
    { name: 'codex-rehearsal', tool: 'codex', argv: ['codex', 'exec', '-c', 'model_providers.rehearsal={ name = "rehearsal", base_url = "http://127.0.0.1:8089/peer/codex/v1", wire_api = "responses", env_key = "REHEARSAL_KEY" }', '-c', 'model_provider="rehearsal"'], env: { CODEX_HOME: '/tmp/rehearsal-codex-home' } },
    { name: 'codex-own-url', tool: 'codex', argv: ['codex', 'exec', '--config=openai_base_url="https://llm.example.invalid/v1"'] },
    { name: 'mine', tool: 'custom', argv: ['aider'] },
  ],
});

describe('vendorHostsOf', () => {
  test('each vendor host and the peers that reach it; a Codex login is chatgpt.com; custom and self-pointed peers none', () => {
    expect(vendorHostsOf(config.peers, { codexLogin: false })).toEqual([
      { host: 'api.anthropic.com', peers: ['claude', 'claude2'] },
      { host: 'api.openai.com', peers: ['codex', 'oc'] },
      { host: 'openrouter.ai', peers: ['router'] },
      { host: 'llm.peers-test.invalid', peers: ['corp'] },
    ]);
    expect(vendorHostsOf(config.peers, { codexLogin: true }).map((h) => h.host)).toContain('chatgpt.com');
  });
});

describe('unresolvedVendorHosts', () => {
  test('a host that does not resolve is named with why and the peers it cuts off; the others are not', async () => {
    const hosts = vendorHostsOf(config.peers, { codexLogin: false });
    const resolver = new StaticResolver({ 'api.anthropic.com': ['160.79.104.10'], 'api.openai.com': ['162.159.140.245'], 'openrouter.ai': ['104.18.2.115'] });
    const bad = await unresolvedVendorHosts(hosts, resolver);
    expect(bad).toEqual([{ host: 'llm.peers-test.invalid', peers: ['corp'], why: 'ENOTFOUND' }]);
    expect(unresolvedVendorWarning(bad[0]!)).toBe('vendor host llm.peers-test.invalid (for corp) does not resolve on this machine (ENOTFOUND): the pod\'s egress proxy resolves it the same way, so every turn would fail as vendor unreachable. Check this machine\'s DNS and any proxy or firewall in the way (`getent hosts llm.peers-test.invalid`)');
  });

  test("with the system resolver (what peers up uses): a .invalid name does not resolve; localhost does", async () => {
    const bad = await unresolvedVendorHosts([{ host: 'api.peers-test.invalid', peers: ['claude'] }, { host: 'localhost', peers: ['x'] }], new SystemResolver());
    expect(bad.map((b) => b.host)).toEqual(['api.peers-test.invalid']);
  });

  test('a resolver that does not answer holds no longer than the budget, and says so', async () => {
    const silent: Resolver = { resolve: () => new Promise<string[]>(() => {}) };
    const t0 = performance.now();
    expect(await unresolvedVendorHosts([{ host: 'api.anthropic.com', peers: ['claude'] }], silent, 50)).toEqual([{ host: 'api.anthropic.com', peers: ['claude'], why: 'no answer within 0.05 s' }]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('peers doctor', () => {
  test("a registered project's vendor host that does not resolve is a warning naming it (doctor stays green); hosts that resolve are ok", async () => {
    const root = mkdtempSync(join(tmpdir(), 'peers-doctor-vendor-'));
    try {
      const env = { HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'cfg'), PATH: '/nonexistent', CORP_KEY: 'k', LOCAL_KEY: 'k' };
      const repos = { cut: join(root, 'cut'), fine: join(root, 'fine') };
      const provider = (host: string) => `{ kind: anthropic-compatible, base_url: "https://${host}/anthropic", key_env: CORP_KEY }`;
      for (const [name, host] of [['cut', 'llm.peers-test.invalid'], ['fine', 'localhost']] as const) {
        mkdirSync(join(repos[name], '.peers'), { recursive: true });
        writeFileSync(join(repos[name], '.peers', 'config.yaml'), `peers:\n  - { name: corp, tool: claude, argv: [claude], provider: ${provider(host)} }\n  - { name: mine, tool: custom, argv: [aider] }\n`);
        writeFileSync(join(repos[name], '.peers', 'goals.yaml'), 'goals: []\n');
        registerProject(repos[name], env);
      }
      const probe = {
        env,
        uid: 1000,
        user: 'u',
        which: (p: string) => (['git', 'podman', 'newuidmap', 'newgidmap', 'runc', 'slirp4netns'].includes(p) ? `/usr/bin/${p}` : undefined),
        run: (argv: string[]) => (argv[1] === 'info' ? { code: 0, stdout: '{"host":{"cgroupVersion":"v2","ociRuntime":{"name":"runc"}}}', stderr: '' } : { code: 0, stdout: argv.includes('--version') ? `${argv[0]} 1.0` : '', stderr: '' }),
        readText: () => 'u:100000:65536\n',
        exists: () => true,
        isCharDevice: () => true,
        canReadWrite: () => true,
      };
      const checks = runDoctor(await withVendorLookups(probe)).checks;
      const cut = checks.find((c) => c.id === `vendor-hosts:${repos.cut}`)!;
      expect(cut).toMatchObject({ title: '  vendor hosts', status: 'warn', required: false, fix: "getent hosts llm.peers-test.invalid  # fix this machine's DNS (or proxy settings) until it answers" });
      expect(cut.detail).toStartWith('vendor host llm.peers-test.invalid (for corp) does not resolve on this machine (');
      expect(cut.detail).toContain('every turn would fail as vendor unreachable');
      expect(checks.find((c) => c.id === `vendor-hosts:${repos.fine}`)).toMatchObject({ status: 'ok', detail: 'localhost resolve' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
