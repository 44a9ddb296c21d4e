import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigSchema, REASONING_BY_TOOL, type PeerSpec } from '../../../src/config/config-schema.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';
import { configTemplate } from '../../../src/mode-registry/init-project.ts';
import { parse } from 'yaml';

const bin = (name: string) => join(import.meta.dir, '../../../node_modules/.bin', name);
function helpText(argv: string[]): string {
  const res = spawnSync(bin(argv[0]!), argv.slice(1), { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  expect(res.status).toBe(0);
  return res.stdout + res.stderr;
}
const claudeHelp = helpText(['claude', '--help']);
const codexExecHelp = helpText(['codex', 'exec', '--help']);

/** Every `-x`/`--long` switch in argv (values and the prompt excluded) must appear in the help text. */
function switches(argv: string[]): string[] {
  return argv.slice(1).filter((a) => /^--?[A-Za-z]/.test(a)).map((a) => a.split('=')[0]!);
}
function helpDocuments(help: string, flag: string): boolean {
  return new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}([\\s,=<]|$)`, 'm').test(help);
}

const DEFAULT_IDENTITY_ENV = { GIT_AUTHOR_NAME: 'p (peers)', GIT_AUTHOR_EMAIL: 'p@peers.invalid', GIT_COMMITTER_NAME: 'p (peers)', GIT_COMMITTER_EMAIL: 'p@peers.invalid' };

function peer(p: Partial<PeerSpec> & Pick<PeerSpec, 'tool' | 'argv'>): PeerSpec {
  return { name: 'p', prompt_mode: 'stdin', ...p };
}

describe('buildPeerArgv', () => {
  test('stdin mode leaves argv alone and sends the prompt on stdin', () => {
    const out = buildPeerArgv(peer({ tool: 'custom', argv: ['agent', '--go'] }), 'do it', { hostEnv: {} });
    expect(out).toEqual({ argv: ['agent', '--go'], env: { ...DEFAULT_IDENTITY_ENV, PEERS_PEER_NAME: 'p' }, stdin: 'do it', missingEnv: [] });
  });

  test('argv-substitute replaces {PROMPT} verbatim, even with $& and several occurrences', () => {
    const out = buildPeerArgv(peer({ tool: 'custom', prompt_mode: 'argv-substitute', argv: ['a', '--msg={PROMPT}', '{PROMPT}'] }), 'fix $& now', { hostEnv: {} });
    expect(out.argv).toEqual(['a', '--msg=fix $& now', 'fix $& now']);
    expect(out.stdin).toBeUndefined();
  });

  test('peer env is passed through and the peer name is always set', () => {
    const out = buildPeerArgv(peer({ tool: 'custom', argv: ['a'], env: { FOO: '1', PEERS_PEER_NAME: 'spoof' } }), 'x', { hostEnv: {} });
    expect(out.env).toEqual({ ...DEFAULT_IDENTITY_ENV, FOO: '1', PEERS_PEER_NAME: 'p' });
  });

  test('claude: --model and --effort go before the prompt element; flags exist in the installed claude', () => {
    const out = buildPeerArgv(peer({ tool: 'claude', prompt_mode: 'argv-substitute', argv: ['claude', '-p', '{PROMPT}'], model: 'opus', reasoning: 'high' }), 'P', { hostEnv: {} });
    expect(out.argv).toEqual(['claude', '-p', '--model', 'opus', '--effort', 'high', 'P']);
    for (const flag of switches(out.argv)) expect(helpDocuments(claudeHelp, flag)).toBe(true);
  });

  test('claude: a switch already in argv wins (both --x and --x=v forms)', () => {
    const out = buildPeerArgv(peer({ tool: 'claude', argv: ['claude', '-p', '--model=sonnet', '--effort', 'low'], model: 'opus', reasoning: 'high' }), 'P', { hostEnv: {} });
    expect(out.argv).toEqual(['claude', '-p', '--model=sonnet', '--effort', 'low']);
  });

  test('claude reasoning levels are exactly the ones the installed claude documents for --effort', () => {
    const m = /--effort <level>[\s\S]*?\(([^)]*)\)/.exec(claudeHelp);
    expect(m).not.toBeNull();
    expect(m![1]!.split(',').map((s) => s.trim())).toEqual([...REASONING_BY_TOOL.claude]);
  });

  test('claude via openrouter: base URL and bearer token from OPENROUTER_API_KEY; missing key is named', () => {
    const spec = peer({ tool: 'claude', argv: ['claude', '-p'], provider: 'openrouter' });
    const withKey = buildPeerArgv(spec, 'P', { hostEnv: { OPENROUTER_API_KEY: 'sk-or' } });
    expect(withKey.env).toMatchObject({ ANTHROPIC_BASE_URL: 'https://openrouter.ai/api', ANTHROPIC_AUTH_TOKEN: 'sk-or', ANTHROPIC_API_KEY: '' });
    expect(withKey.missingEnv).toEqual([]);
    expect(buildPeerArgv(spec, 'P', { hostEnv: {} }).missingEnv).toEqual(['OPENROUTER_API_KEY']);
  });

  test('codex: -c settings right after exec, TOML-quoted; -c exists in the installed codex exec', () => {
    const out = buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '--json', '-'], model: 'gpt-5.5', reasoning: 'xhigh' }), 'P', { hostEnv: {} });
    expect(out.argv).toEqual(['codex', 'exec', '-c', 'model="gpt-5.5"', '-c', 'model_reasoning_effort="xhigh"', '--json', '-']);
    expect(out.stdin).toBe('P');
    for (const flag of switches(out.argv)) expect(helpDocuments(codexExecHelp, flag)).toBe(true);
  });

  test('codex: -m / --model / -c model= in argv win over model:', () => {
    for (const argv of [['codex', 'exec', '-m', 'o3'], ['codex', 'exec', '--model=o3'], ['codex', 'exec', '-c', 'model="o3"'], ['codex', 'exec', '--config=model="o3"']]) {
      expect(buildPeerArgv(peer({ tool: 'codex', argv, model: 'gpt-5.5' }), 'P', { hostEnv: {} }).argv).toEqual(argv);
    }
  });

  test('codex via openrouter: provider table added unless the user configured another provider', () => {
    const out = buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '-'], provider: 'openrouter' }), 'P', { hostEnv: {} });
    expect(out.argv).toEqual([
      'codex', 'exec',
      '-c', 'model_provider="openrouter"',
      '-c', 'model_providers.openrouter.name="openrouter"',
      '-c', 'model_providers.openrouter.base_url="https://openrouter.ai/api/v1"',
      '-c', 'model_providers.openrouter.env_key="OPENROUTER_API_KEY"',
      '-c', 'model_providers.openrouter.wire_api="responses"',
      '-',
    ]);
    expect(out.missingEnv).toEqual(['OPENROUTER_API_KEY']);
    const own = buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '-c', 'model_provider="azure"', '-'], provider: 'openrouter' }), 'P', { hostEnv: {} });
    expect(own.argv).toEqual(['codex', 'exec', '-c', 'model_provider="azure"', '-']);
    expect(own.missingEnv).toEqual([]);
  });

  test('codex in the pod: a codex peer with no provider of its own reaches the auth sidecar (codex ignores OPENAI_BASE_URL)', () => {
    const pod = { PEERS_CODEX_BASE_URL: 'http://127.0.0.1:8081/v1' };
    const table = '{ name = "OpenAI through the peers auth sidecar", base_url = "http://127.0.0.1:8081/v1", wire_api = "responses", env_key = "OPENAI_API_KEY" }';
    const out = buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '-'], model: 'gpt-5.5' }), 'P', { hostEnv: pod });
    expect(out.argv).toEqual(['codex', 'exec', '-c', 'model="gpt-5.5"', '-c', `model_providers.peers-auth-sidecar=${table}`, '-c', 'model_provider="peers-auth-sidecar"', '-c', 'web_search="disabled"', '--json', '--dangerously-bypass-approvals-and-sandbox', '-']);
    // Without web_search off, codex would offer OpenAI's server-side search every turn, which the
    // sidecar refuses under a budget cap (SECURITY.md); a web_search the user set wins.
    expect(buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '-c', 'web_search="live"', '-'] }), 'P', { hostEnv: pod }).argv.filter((a) => a.startsWith('web_search'))).toEqual(['web_search="live"']);
    // On the host (no sidecar), or when the user routes codex themselves, nothing is added.
    expect(buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '-'] }), 'P', { hostEnv: {} }).argv).toEqual(['codex', 'exec', '-']);
    for (const own of [['codex', 'exec', '-c', 'model_provider="mine"', '-'], ['codex', 'exec', '-c', 'openai_base_url="http://x/v1"', '-']]) {
      expect(buildPeerArgv(peer({ tool: 'codex', argv: own }), 'P', { hostEnv: pod }).argv).toEqual(own);
    }
    expect(buildPeerArgv(peer({ tool: 'codex', argv: ['codex', 'exec', '-'], provider: 'openrouter' }), 'P', { hostEnv: { ...pod, OPENROUTER_API_KEY: 'k' } }).argv).not.toContain('model_provider="peers-auth-sidecar"');
    // Not a codex tool: never touched.
    expect(buildPeerArgv(peer({ tool: 'custom', argv: ['sh', '-c', 'x'] }), 'P', { hostEnv: pod }).argv).toEqual(['sh', '-c', 'x']);
  });

  test('codex behind a wrapper script: settings go before the prompt element', () => {
    const out = buildPeerArgv(peer({ tool: 'codex', prompt_mode: 'argv-substitute', argv: ['/opt/run-codex.sh', '{PROMPT}'], model: 'm' }), 'P', { hostEnv: {} });
    expect(out.argv).toEqual(['/opt/run-codex.sh', '-c', 'model="m"', 'P']);
  });

  test('opencode: -m and --variant before the prompt; existing switches win', () => {
    const spec = peer({ tool: 'opencode', prompt_mode: 'argv-substitute', argv: ['opencode', 'run', '{PROMPT}'], model: 'ollama/qwen2.5', reasoning: 'high' });
    expect(buildPeerArgv(spec, 'P', { hostEnv: {} }).argv).toEqual(['opencode', 'run', '-m', 'ollama/qwen2.5', '--variant', 'high', 'P']);
    expect(buildPeerArgv({ ...spec, argv: ['opencode', 'run', '--model', 'x', '{PROMPT}'] }, 'P', { hostEnv: {} }).argv).toEqual(['opencode', 'run', '--model', 'x', '--variant', 'high', 'P']);
  });

  test('the template peers run switches the installed claude and codex accept', () => {
    const config = ConfigSchema.parse(parse(configTemplate));
    const [claude, codex] = config.peers;
    for (const flag of switches(claude!.argv)) expect(helpDocuments(claudeHelp, flag)).toBe(true);
    expect(claude!.argv.slice(0, 2)).toEqual(['claude', '-p']); // -p = --print: non-interactive
    for (const flag of switches(codex!.argv)) expect(helpDocuments(codexExecHelp, flag)).toBe(true);
    expect(codex!.argv.slice(0, 2)).toEqual(['codex', 'exec']);
    // codex reads the prompt from stdin when the prompt argument is "-"
    expect(codexExecHelp.replace(/\s+/g, ' ')).toContain('(or if `-` is used), instructions are read from stdin');
  });
});
