/**
 * `peers sidecar auth`: its flags (plain data, see src/cli/role-flags.ts) and what it does with
 * them. src/main.ts runs it without loading oclif; auth.ts is its oclif command (help, errors).
 */
import { join } from 'node:path';
import { parseKeyedList, startAuthSidecar } from '../../auth-proxy/auth-sidecar.ts';
import type { UpstreamId } from '../../auth-proxy/upstreams.ts';
import { InputError } from '../../src/cli/errors.ts';
import type { ProviderUpstream } from '../../src/config/provider.ts';
import type { FlagSpecs, FlagValues } from '../../src/cli/role-flags.ts';
import { DEFAULT_LOG_CAP_BYTES, MIN_CAP_BYTES, SizeCappedLog } from '../../src/fs/size-capped-log.ts';
import { processIO, type CommandIO } from '../../src/cli/command-io.ts';
import { untilStopSignal } from '../../src/cli/stop-signal.ts';
import { roleReady } from '../../sandbox/lifeline.ts';
import { parseUsdCap } from '../../src/cli/usd-cap.ts';

export const AUTH_FLAGS = {
  upstream: { kind: 'strings', description: 'Upstreams to serve (ports 8080 anthropic, 8081 openai, 8082 chatgpt); none: no vendor (only --provider upstreams, or none at all for custom peers).', options: ['anthropic', 'openai', 'chatgpt', 'none'], default: ['anthropic', 'openai'] },
  host: { kind: 'string', description: 'Loopback address to listen on.', default: '127.0.0.1' },
  port: { kind: 'strings', description: 'Override a port: NAME=PORT.', default: [] },
  origin: { kind: 'strings', description: 'Override an upstream origin: NAME=https://host (staging endpoints).', default: [] },
  egress: { kind: 'string', description: 'The egress proxy: unix:PATH or HOST:PORT.', default: '127.0.0.1:3128' },
  credentials: { kind: 'string', description: 'For anthropic: api-key (ANTHROPIC_API_KEY from this process\'s environment) or oauth-file (Claude Code\'s login file, opt-in). openai always takes OPENAI_API_KEY; chatgpt always takes Codex\'s auth.json.', options: ['api-key', 'oauth-file'], default: 'api-key' },
  'claude-credentials': { kind: 'string', description: 'Claude Code credentials file (oauth-file mode).' },
  'codex-auth': { kind: 'string', description: 'Codex auth.json (oauth-file mode, chatgpt upstream).' },
  'oauth-refresh': { kind: 'string', description: 'when-needed: refresh expired tokens under a lock; never: leave refreshing to the host CLI.', options: ['when-needed', 'never'], default: 'when-needed' },
  'usage-ledger': { kind: 'string', description: 'Usage ledger JSONL (default $PEERS_STATE_DIR/usage.jsonl).' },
  'max-tokens': { kind: 'integer', description: 'Refuse requests once the run has used this many tokens.', min: 1 },
  'max-usd': { kind: 'string', description: 'Refuse requests once the run\'s estimated spend reaches this many USD.' },
  'budget-file': { kind: 'string', description: 'JSON {"max_tokens", "max_usd"} re-read on every request; the tightest cap wins.' },
  'log-file': { kind: 'string', description: 'Write the per-request log here (timestamped lines) instead of stderr; rotated to FILE.1 at half the size cap. The usage ledger is never rotated.' },
  'log-max-bytes': { kind: 'integer', description: 'The log file\'s cap on disk, both files together; older lines are dropped and counted.', default: DEFAULT_LOG_CAP_BYTES, min: MIN_CAP_BYTES },
  'budget-policy': { kind: 'string', description: 'The budget policy `peers up` wrote (budget.json): max_tokens, and max_usd when its mode is hard. Read at start; a missing or invalid file is an error.' },
  'audit-log': { kind: 'string', description: 'JSONL audit of refused API paths (default: audit.jsonl beside the usage ledger).' },
  provider: { kind: 'strings', description: 'One more upstream for an API-compatible provider: JSON {"name", "kind": "anthropic-compatible"|"openai-compatible", "base_url", "key_env", "port"} (peers up writes it from the config\'s provider:). Its key comes from $key_env.', default: [] },
  'model-server': { kind: 'string', hidden: true, description: 'Send every upstream to the scripted model server at 127.0.0.1:PORT, with no credential (`peers up` in model-server mode only).' },
} as const satisfies FlagSpecs;

export async function runAuthSidecar(flags: FlagValues<typeof AUTH_FLAGS>, io: CommandIO = processIO()): Promise<void> {
  // The flags first (as oclif would check them), then what they point at.
  const maxUsd = flags['max-usd'] === undefined ? undefined : parseUsdCap(flags['max-usd']);
  const stateDir = io.env.PEERS_STATE_DIR;
  const usageLedger = flags['usage-ledger'] ?? (stateDir ? join(stateDir, 'usage.jsonl') : undefined);
  if (!usageLedger) throw new InputError('no usage ledger: pass --usage-ledger PATH or set PEERS_STATE_DIR');
  const upstreams = [...new Set(flags.upstream)];
  if (upstreams.includes('none') && upstreams.length > 1) throw new InputError(`--upstream none serves no vendor: it cannot be given with ${upstreams.filter((u) => u !== 'none').join(', ')}`);
  const port = (v: string) => (/^\d{1,5}$/.test(v) && Number(v) <= 65535 ? Number(v) : null);
  const logFile = flags['log-file'] ? openLogFile(flags['log-file'], flags['log-max-bytes']) : undefined;
  // A timestamp first: a logged line never starts with the rotation marker's `{"ts":`.
  const log = logFile ? (line: string) => logFile.append(`${new Date().toISOString()} ${line}`) : (line: string) => io.stderr.write(`${line}\n`);
  const sidecar = await startAuthSidecar(
    {
      upstreams: upstreams.filter((u) => u !== 'none') as UpstreamId[],
      host: flags.host,
      ports: parseKeyedList(flags.port, '--port', port),
      origins: parseKeyedList(flags.origin, '--origin', (v) => (/^https:\/\/[^/]+$/.test(v) ? v : null)),
      egress: flags.egress,
      credentials: flags.credentials as 'api-key' | 'oauth-file',
      claudeCredentialsPath: flags['claude-credentials'],
      codexAuthPath: flags['codex-auth'],
      oauthRefresh: flags['oauth-refresh'] as 'when-needed' | 'never',
      usageLedger,
      caps: { maxTokens: flags['max-tokens'], maxUsd },
      budgetFile: flags['budget-file'],
      budgetPolicy: flags['budget-policy'],
      auditLog: flags['audit-log'],
      modelServer: flags['model-server'],
      providers: await parseProviders(flags.provider),
      env: io.env,
    },
    log,
  );
  io.stderr.write(`peers auth sidecar listening: ${sidecar.listening.join(' ')}\n`);
  // What it enforces goes where the operator looks (`podman logs`), not only into the log file.
  if (logFile) io.stderr.write(`peers auth sidecar ${sidecar.budgetLine}\n`);
  // Serving: the loop may count this container as up (sandbox/lifeline.ts).
  roleReady();
  await untilStopSignal(io.signals);
  await sidecar.stop();
  logFile?.close();
}

/**
 * The --provider arguments. Their schema is the config's (src/config/provider.ts), written with
 * zod's functional build like the ledger's and the budget policy's, so a sidecar with providers
 * loads no more of zod than one without (BENCHMARKS.md, Memory); imported only when there is one.
 */
async function parseProviders(args: string[]): Promise<ProviderUpstream[]> {
  if (args.length === 0) return [];
  const { parseProviderArg } = await import('../../src/config/provider.ts');
  return args.map((text) => {
    try {
      return parseProviderArg(text);
    } catch (e) {
      throw new InputError(`--provider ${text}: ${(e as Error).message}`, { hint: 'e.g. --provider \'{"name":"openrouter","kind":"openai-compatible","base_url":"https://openrouter.ai/api/v1","key_env":"OPENROUTER_API_KEY","port":8100}\'' });
    }
  });
}

/** A bad --log-file is bad input (exit 2) naming the file, never a crash. */
function openLogFile(path: string, capBytes: number): SizeCappedLog {
  try {
    return new SizeCappedLog(path, capBytes);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'its directory does not exist' : (e as Error).message;
    throw new InputError(`--log-file: ${why}`, { location: { file: path }, hint: 'point --log-file at a file in an existing directory you own' });
  }
}
