/**
 * `provider:` in config: the schema's errors, how a shorthand becomes a provider, how a run's
 * providers become auth sidecar upstreams (names, ports), how a peer is pointed at one (in the
 * pod: the sidecar with a placeholder; outside: the provider with the key), and the pod's wiring
 * (the key to the auth container only, the host to the sidecar's egress listener only).
 */
import { describe, expect, test } from 'bun:test';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';
import { parseProviderArg, PROVIDER_BASE_PORT, resolveProvider, runProviders, SIDECAR_PLACEHOLDER_KEY } from '../../../src/config/provider.ts';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { missingApiKeys } from '../../../sandbox/credential-check.ts';
import { buildPodSpec, type PodInputs } from '../../../sandbox/pod-spec.ts';

const claude = { name: 'claude', tool: 'claude', argv: ['claude', '-p'] };
const codex = { name: 'codex', tool: 'codex', argv: ['codex', 'exec', '-'] };
const together = { kind: 'openai-compatible' as const, base_url: 'https://api.together.xyz/v1', key_env: 'TOGETHER_API_KEY' };

function issues(input: unknown): { path: string; message: string }[] {
  const r = ConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('provider: in config.yaml', () => {
  test('the shorthand and the object form are accepted; mistakes name the field and what to write', () => {
    expect(issues({ peers: [{ ...claude, provider: 'openrouter' }, { ...codex, provider: together }] })).toEqual([]);
    expect(issues({ peers: [claude, { ...codex, provider: { ...together, base_url: 'http://api.together.xyz/v1' } }] })).toEqual([{ path: 'peers.1.provider.base_url', message: 'base_url must be an https URL without a query, fragment or user name' }]);
    expect(issues({ peers: [claude, { ...codex, provider: { ...together, base_url: 'https://10.0.0.5/v1' } }] })[0]!.message).toContain('not an IP address');
    expect(issues({ peers: [claude, { ...codex, provider: { ...together, key_env: 'together key' } }] })[0]).toMatchObject({ path: 'peers.1.provider.key_env' });
    expect(issues({ peers: [claude, { ...codex, provider: { ...together, kind: 'anthropic-compatible' } }] })).toEqual([{ path: 'peers.1.provider', message: 'codex speaks the OpenAI Responses API: use kind: openai-compatible' }]);
    expect(issues({ peers: [claude, { ...codex, provider: { ...together, name: 'openai' } }] })[0]!.path).toBe('peers.1.provider.name');
    expect(issues({ peers: [{ ...claude, provider: 'openai' }, codex] })[0]!.message).toContain("provider 'openai' is not supported for claude");
  });

  test('one name for two different providers is refused; OpenRouter for both CLIs is two upstreams', () => {
    const other = { ...together, base_url: 'https://api.other.example/v1' };
    expect(issues({ peers: [claude, { ...codex, provider: { ...together, name: 'p' } }, { ...codex, name: 'codex2', provider: { ...other, name: 'p' } }] })).toEqual([{ path: 'peers', message: 'two providers are named p: give them different names (provider.name)' }]);
    const c = ConfigSchema.parse({ peers: [{ ...claude, provider: 'openrouter' }, { ...codex, provider: 'OpenRouter' }, { ...codex, name: 'codex2', provider: together }] });
    expect(runProviders(c.peers).map((p) => [p.name, p.kind, p.base_url, p.port])).toEqual([
      ['openrouter-anthropic', 'anthropic-compatible', 'https://openrouter.ai/api', PROVIDER_BASE_PORT],
      ['openrouter-openai', 'openai-compatible', 'https://openrouter.ai/api/v1', PROVIDER_BASE_PORT + 1],
      ['together', 'openai-compatible', 'https://api.together.xyz/v1', PROVIDER_BASE_PORT + 2],
    ]);
    // Two peers on one provider share one upstream.
    expect(runProviders([{ ...codex, provider: 'openrouter' }, { ...codex, name: 'b', provider: 'openrouter' }]).map((p) => p.name)).toEqual(['openrouter']);
  });

  test("the sidecar's --provider argument is validated like the config", () => {
    expect(() => parseProviderArg('{"name":"x","kind":"openai-compatible","base_url":"http://x.example/v1","key_env":"K","port":8100}')).toThrow(/base_url/);
    expect(() => parseProviderArg('not json')).toThrow(/JSON object/);
    expect(parseProviderArg('{"name":"x","kind":"openai-compatible","base_url":"https://x.example/v1","key_env":"K","port":8100}').port).toBe(8100);
  });
});

describe('a provider peer', () => {
  const c = ConfigSchema.parse({ peers: [{ ...claude, provider: 'openrouter' }, { ...codex, provider: together }] });
  const providers = runProviders(c.peers);

  test('in the pod: pointed at its auth sidecar port with a placeholder; no key, none missing', () => {
    const hostEnv = { OPENROUTER_API_KEY: 'sk-or-real', TOGETHER_API_KEY: 'tg-real' };
    const cl = buildPeerArgv(c.peers[0]!, 'P', { hostEnv: {}, providers });
    expect(cl.env).toMatchObject({ ANTHROPIC_BASE_URL: `http://127.0.0.1:${PROVIDER_BASE_PORT}`, ANTHROPIC_API_KEY: SIDECAR_PLACEHOLDER_KEY, ANTHROPIC_AUTH_TOKEN: '' });
    expect(cl.missingEnv).toEqual([]);
    const cx = buildPeerArgv(c.peers[1]!, 'P', { hostEnv, providers });
    expect(cx.argv).toEqual([
      'codex', 'exec',
      '-c', 'model_provider="together"',
      '-c', 'model_providers.together.name="together"',
      '-c', `model_providers.together.base_url="http://127.0.0.1:${PROVIDER_BASE_PORT + 1}"`,
      '-c', 'model_providers.together.env_key="TOGETHER_API_KEY"',
      '-c', 'model_providers.together.wire_api="responses"',
      // Through the sidecar the vendor may not search the web for the peer (SECURITY.md, "The vendor reaches nothing for a peer").
      '-c', 'web_search="disabled"',
      '-',
    ]);
    expect(cx.env.TOGETHER_API_KEY).toBe(SIDECAR_PLACEHOLDER_KEY);
    for (const built of [cl, cx]) expect(JSON.stringify(built)).not.toMatch(/sk-or-real|tg-real/);
  });

  test('outside the pod: pointed at the provider itself, with the key from the environment (or named as missing)', () => {
    const cl = buildPeerArgv(c.peers[0]!, 'P', { hostEnv: { OPENROUTER_API_KEY: 'sk-or-real' } });
    expect(cl.env).toMatchObject({ ANTHROPIC_BASE_URL: 'https://openrouter.ai/api', ANTHROPIC_AUTH_TOKEN: 'sk-or-real', ANTHROPIC_API_KEY: '' });
    expect(buildPeerArgv(c.peers[1]!, 'P', { hostEnv: {} }).missingEnv).toEqual(['TOGETHER_API_KEY']);
  });

  test('bills through an API key: max_usd is a hard cap under auto, also with subscription logins; up asks for its key', () => {
    const policy = resolveBudgetPolicy({ config: ConfigSchema.parse({ peers: [claude, { ...codex, provider: together }], budget: { max_usd: 5 } }), credentials: 'oauth-file', env: {} });
    expect(policy.max_usd_mode).toBe('hard');
    expect(missingApiKeys(c, {}, { providersOnly: true })).toEqual([{ variable: 'OPENROUTER_API_KEY', peers: ['claude'] }, { variable: 'TOGETHER_API_KEY', peers: ['codex'] }]);
    expect(resolveProvider('claude', 'anthropic')).toBeNull();
  });
});

describe('the pod', () => {
  const inputs: PodInputs = {
    project: 'app-1a2b3c4d', repoDir: '/r', stateDir: '/s', cloneDir: '/s/run/clone', mirrorDir: '/s/run/mirror.git', snapshotDir: '/s/snapshot', binaryPath: '/bin/peers', image: 'img',
    allow: ['registry.npmjs.org'], secretEnv: ['ANTHROPIC_API_KEY', 'TOGETHER_API_KEY'], secretFiles: [], loopArgs: [],
    providers: runProviders([{ ...codex, provider: { ...together, base_url: 'https://api.together.xyz:8443/v1' } }]),
  };
  const spec = buildPodSpec(inputs);
  const role = (r: string) => spec.containers.find((x) => x.role === r)!;
  const values = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));

  test('the auth sidecar serves the provider and alone gets its key; its host goes to the vendor listener', () => {
    expect(values(role('auth').command, '--provider').map((j) => JSON.parse(j))).toEqual([{ name: 'together', kind: 'openai-compatible', base_url: 'https://api.together.xyz:8443/v1', key_env: 'TOGETHER_API_KEY', port: PROVIDER_BASE_PORT }]);
    expect(spec.containers.filter((x) => x.secretEnv.includes('TOGETHER_API_KEY')).map((x) => x.role)).toEqual(['auth']);
    expect(values(role('egress').command, '--vendor-allow')).toEqual(['api.together.xyz:8443']);
    expect(values(role('egress').command, '--allow')).toEqual(['registry.npmjs.org']);
    expect(JSON.stringify(role('workspace').env)).not.toContain('TOGETHER');
  });

  test('rehearsals (the model server in the pod) reach no provider host', () => {
    expect(buildPodSpec({ ...inputs, upstream: 'model-server' }).containers.find((x) => x.role === 'egress')!.command).not.toContain('--vendor-allow');
  });
});
