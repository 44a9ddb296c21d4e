/**
 * How to point the real CLIs at a model server (the scripted one, or the auth sidecar, which
 * speaks the same APIs): environment for Claude Code, `-c` overrides or a config.toml for Codex.
 * Shared by the real-CLI tests, the loop, the sandbox and `peers demo`, so there is one place
 * that knows these settings. Each peer gets its own URL prefix (`/peer/<name>`), which is how the
 * scripted server tells two peers on the same API apart.
 *
 * Verified against Claude Code 2.1.330 and Codex 0.169.0: Claude appends `/v1/messages` to
 * ANTHROPIC_BASE_URL (path prefix kept) and sends ANTHROPIC_API_KEY as `x-api-key`; Codex appends
 * `/responses` to the provider's base_url and sends the env_key variable as a Bearer token.
 * opencode 1.18.33 reaches it through a custom provider on its bundled `@ai-sdk/anthropic`
 * (Messages API), configured inline via OPENCODE_CONFIG_CONTENT; it appends `/messages` to baseURL.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/** The Codex `model_providers` key used for the model server. */
export const CODEX_PROVIDER_ID = 'peers-model-server';
/** Environment variable Codex reads the (placeholder) key from: the provider's `env_key`. */
export const CODEX_KEY_ENV = 'PEERS_MODEL_SERVER_KEY';
/** Credentials never reach the workspace; the server (or the auth sidecar) ignores or swaps this. */
export const PLACEHOLDER_KEY = 'placeholder-key-not-a-secret';

export type ServerTarget = { serverUrl: string; peer: string };

export function peerBaseUrl({ serverUrl, peer }: ServerTarget): string {
  return `${serverUrl.replace(/\/+$/, '')}/peer/${encodeURIComponent(peer)}`;
}

/**
 * Claude Code's environment. DISABLE_NONESSENTIAL_TRAFFIC stops telemetry, update checks and
 * side requests that would otherwise try to leave the machine. HOME must be writable by the
 * (unprivileged) user the CLI runs as: Claude keeps its session files there.
 */
export function claudeEnv(target: ServerTarget & { home: string }): Record<string, string> {
  return {
    HOME: target.home,
    ANTHROPIC_BASE_URL: peerBaseUrl(target),
    ANTHROPIC_API_KEY: PLACEHOLDER_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_TELEMETRY: '1',
  };
}

function tomlString(s: string): string {
  return JSON.stringify(s); // a JSON string literal is a valid TOML basic string
}

/** The provider table as TOML inline-table text (usable in `-c key=value` and in config.toml). */
function providerInlineTable(target: ServerTarget): string {
  return `{ name = "peers model server", base_url = ${tomlString(`${peerBaseUrl(target)}/v1`)}, wire_api = "responses", env_key = ${tomlString(CODEX_KEY_ENV)} }`;
}

/**
 * Codex offers its model OpenAI's server-side web search on every turn (for most models); the model
 * server has none, and behind the auth sidecar under a budget cap such a request is refused (its
 * results are input no reservation bounds: SECURITY.md), so it is turned off, as in the pod
 * (src/config/peer-argv.ts).
 */
const CODEX_WEB_SEARCH_OFF = ['-c', 'web_search="disabled"'] as const;

/** `codex exec` arguments that select the model server without touching any config file. */
export function codexProviderArgs(target: ServerTarget): string[] {
  return ['-c', `model_providers.${CODEX_PROVIDER_ID}=${providerInlineTable(target)}`, '-c', `model_provider=${tomlString(CODEX_PROVIDER_ID)}`, ...CODEX_WEB_SEARCH_OFF];
}

/** The same selection as a config.toml, for a CODEX_HOME the caller owns. */
export function codexConfigToml(target: ServerTarget & { model?: string }): string {
  return [
    ...(target.model ? [`model = ${tomlString(target.model)}`] : []),
    `model_provider = ${tomlString(CODEX_PROVIDER_ID)}`,
    'web_search = "disabled"',
    '',
    `[model_providers.${CODEX_PROVIDER_ID}]`,
    'name = "peers model server"',
    `base_url = ${tomlString(`${peerBaseUrl(target)}/v1`)}`,
    'wire_api = "responses"',
    `env_key = ${tomlString(CODEX_KEY_ENV)}`,
    '',
  ].join('\n');
}

/** Writes `<codexHome>/config.toml` atomically; returns the environment Codex then needs. */
export function writeCodexHome(codexHome: string, target: ServerTarget & { model?: string }): Record<string, string> {
  writeFileAtomic(join(codexHome, 'config.toml'), codexConfigToml(target), 0o600);
  return codexEnv(codexHome);
}

export function codexEnv(codexHome: string): Record<string, string> {
  return { CODEX_HOME: codexHome, [CODEX_KEY_ENV]: PLACEHOLDER_KEY };
}

/**
 * Base argv for an unattended Codex turn: JSONL events on stdout, no approval prompts, no
 * sandbox of its own (the pod is the sandbox), usable outside a git repository.
 */
export const CODEX_EXEC_ARGV = ['exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--skip-git-repo-check'] as const;

/** Base argv for an unattended Claude Code turn with machine-readable output (needs a non-root user). */
export const CLAUDE_PRINT_ARGV = ['-p', '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions'] as const;

/** The opencode provider id for the model server; models are then named `peers-model-server/<model>`. */
export const OPENCODE_PROVIDER_ID = 'peers-model-server';

/** USD per million tokens, in opencode's (models.dev) cost fields: opencode computes `cost` from these. */
export type OpencodePrice = { input: number; output: number; cache_read?: number; cache_write?: number };

/**
 * An opencode config (opencode.json shape) whose only model is `model` on the model server.
 * `npm: @ai-sdk/anthropic` is bundled in the opencode binary, so nothing is installed at run time.
 * Without `cost` opencode reports cost 0; with the scenario's prices it reports what the server logs.
 */
export function opencodeConfig(target: ServerTarget & { model: string; price?: OpencodePrice }): Record<string, unknown> {
  const model: Record<string, unknown> = { name: target.model, tool_call: true, limit: { context: 200_000, output: 32_000 } };
  if (target.price) model.cost = { cache_read: 0, cache_write: 0, ...target.price };
  return {
    $schema: 'https://opencode.ai/config.json',
    model: `${OPENCODE_PROVIDER_ID}/${target.model}`,
    // The title generator uses small_model; pinning it keeps that side call on the server too.
    small_model: `${OPENCODE_PROVIDER_ID}/${target.model}`,
    autoupdate: false,
    share: 'disabled',
    provider: {
      [OPENCODE_PROVIDER_ID]: {
        npm: '@ai-sdk/anthropic',
        name: 'peers model server',
        options: { baseURL: `${peerBaseUrl(target)}/v1`, apiKey: PLACEHOLDER_KEY },
        models: { [target.model]: model },
      },
    },
  };
}

/**
 * opencode's environment. MODELS_FETCH off: otherwise it tries models.opencode.ai at every start
 * (harmless offline, but a request leaving the pod). HOME and the XDG dirs are scratch: opencode
 * keeps its database, session snapshots (a git store) and logs there.
 */
export function opencodeEnv(target: ServerTarget & { home: string; model: string; price?: OpencodePrice }): Record<string, string> {
  return {
    HOME: target.home,
    XDG_CONFIG_HOME: join(target.home, '.config'),
    XDG_DATA_HOME: join(target.home, '.local', 'share'),
    XDG_CACHE_HOME: join(target.home, '.cache'),
    XDG_STATE_HOME: join(target.home, '.local', 'state'),
    OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig(target)),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_SHARE: '1',
  };
}

/**
 * Base argv for an unattended opencode turn: JSON events on stdout, permissions auto-approved
 * (`--auto`; without it `run` auto-rejects every bash/edit request). The prompt may come on stdin:
 * `opencode run` reads a non-TTY stdin and appends it to the message.
 */
export const OPENCODE_RUN_ARGV = ['run', '--format', 'json', '--auto'] as const;

/**
 * config.yaml peer entries that run the real CLIs against a model server, for rehearsals,
 * `peers demo` and tests. `claudeHome`/`codexHome` must be writable by the user the peers run as.
 */
export function modelServerPeerSpecs(opts: {
  serverUrl: string;
  claudeBin?: string;
  codexBin?: string;
  claudeHome: string;
  codexHome: string;
  claudeModel?: string;
  codexModel?: string;
  extraClaudeEnv?: Record<string, string>;
  /** The opencode peer (scenario api: anthropic). Its home defaults to claude's: their files never overlap. */
  opencodeBin?: string;
  opencodeHome?: string;
  opencodeModel?: string;
  opencodePrice?: OpencodePrice;
}): { claude: ModelServerPeerSpec; codex: ModelServerPeerSpec; opencode: ModelServerPeerSpec } {
  const { serverUrl } = opts;
  const opencodeModel = opts.opencodeModel ?? 'claude-opus-5-5';
  return {
    opencode: {
      name: 'opencode',
      tool: 'opencode',
      argv: [opts.opencodeBin ?? 'opencode', ...OPENCODE_RUN_ARGV],
      model: `${OPENCODE_PROVIDER_ID}/${opencodeModel}`,
      env: opencodeEnv({ serverUrl, peer: 'opencode', home: opts.opencodeHome ?? opts.claudeHome, model: opencodeModel, price: opts.opencodePrice }),
    },
    claude: {
      name: 'claude',
      tool: 'claude',
      argv: [opts.claudeBin ?? 'claude', ...CLAUDE_PRINT_ARGV],
      model: opts.claudeModel ?? 'claude-opus-5-5',
      env: { ...claudeEnv({ serverUrl, peer: 'claude', home: opts.claudeHome }), ...opts.extraClaudeEnv },
    },
    codex: {
      name: 'codex',
      tool: 'codex',
      argv: [opts.codexBin ?? 'codex', ...CODEX_EXEC_ARGV, ...codexProviderArgs({ serverUrl, peer: 'codex' })],
      model: opts.codexModel ?? 'gpt-5.5',
      // Codex keeps sessions under CODEX_HOME and reads ~/.codex only through it; HOME too is scratch.
      env: { ...codexEnv(opts.codexHome), HOME: opts.codexHome },
    },
  };
}

export type ModelServerPeerSpec = { name: string; tool: 'claude' | 'codex' | 'opencode'; argv: string[]; model: string; env: Record<string, string> };
