/**
 * `provider:` with the real CLIs, wired as in the pod: the peer's command line comes from
 * buildPeerArgv with the run's provider upstreams (src/config/provider.ts), so codex gets a
 * `model_providers` entry and claude an ANTHROPIC_BASE_URL pointing at the auth sidecar, each with
 * a placeholder key; the sidecar forwards to the provider's base URL (here the scripted model
 * server, through the real egress proxy) with the real key, and meters the reply under the
 * provider's name. Proves the CLIs accept that wiring and send only paths the allow-list has; and,
 * under a token cap, that a provider gets every header the CLIs send (the sidecar forwards a
 * provider only the headers in ROUTED_REQUEST_HEADERS: a CLI sending a new one fails here, to be
 * judged) and Codex's capless requests go out with an output cap (routed-output-cap.ts).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import net from 'node:net';
import { join } from 'node:path';
import { providerCredentials } from '../../../auth-proxy/auth-sidecar.ts';
import { isCredentialHeader } from '../../../auth-proxy/credential-headers.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { ROUTED_OUTPUT_CAP_TOKENS } from '../../../auth-proxy/usage/routed-output-cap.ts';
import { readLedger, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';
import { runProviders, type ProviderUpstream } from '../../../src/config/provider.ts';
import { CLAUDE_PRINT_ARGV, CODEX_EXEC_ARGV } from '../../../src/model-server/cli-wiring.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { type Egress, type RecordingRelay, type Sidecar, startEgress, startRecordingRelay, startSidecar } from '../../unit/auth-proxy/sidecar-fixture.ts';
import { CLAUDE_BIN, CODEX_BIN, ensureTestUser, giveToTestUser, removeDir, runAsUser, startServer, userDir } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

setDefaultTimeout(120_000);

const KEYS = { ROUTER_KEY: 'sk-router-real-key-0001', MESSAGES_KEY: 'sk-messages-real-key-0002' };
let server: ModelServerHandle;
let egress: Egress;
let cwd: string;
const sidecars: Sidecar[] = [];
/** What reached the provider (between the egress proxy and the model server), and what each CLI sent its sidecar. */
let atProvider: RecordingRelay;
const fromCli: RecordingRelay[] = [];
let providers: ProviderUpstream[];
let ledger: UsageLedger;

const config = ConfigSchema.parse({
  peers: [
    { name: 'claude', tool: 'claude', argv: [CLAUDE_BIN, ...CLAUDE_PRINT_ARGV], model: 'anthropic/claude-sonnet-4.5', provider: { kind: 'anthropic-compatible', base_url: 'https://api.peers.test', key_env: 'MESSAGES_KEY', name: 'messages' } },
    { name: 'codex', tool: 'codex', argv: [CODEX_BIN, ...CODEX_EXEC_ARGV], model: 'openai/gpt-5.5', provider: { kind: 'openai-compatible', base_url: 'https://api.peers.test/v1', key_env: 'ROUTER_KEY', name: 'router' } },
  ],
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  if (!need.ok) return;
  ensureTestUser();
  cwd = userDir('provider');
  server = startServer({ version: 1, peers: { claude: { api: 'anthropic', ticks: [{ replies: [{ text: 'claude via provider' }] }] }, codex: { api: 'responses', ticks: [{ replies: [{ text: 'codex via provider' }] }] } } });
  atProvider = await startRecordingRelay(Number(new URL(server.url!).port));
  const port = atProvider.port;
  egress = await startEgress(port);
  ledger = new UsageLedger(join(egress.dir, 'usage.jsonl'));
  // The ports runProviders gives in the pod, moved to free ones for this machine.
  providers = await Promise.all(runProviders(config.peers).map(async (p) => ({ ...p, port: await freePort() })));
  for (const p of providers) {
    // The test origin replaces the provider's host (https://api.peers.test) with the model server's.
    // Under a token cap: what the sidecar does to a provider's requests then must leave the CLIs working.
    const s = await startSidecar({ egress, vendorPort: port, upstream: providerUpstream(p), credentials: providerCredentials(p, { env: KEYS }), ledger, caps: { maxTokens: 2_000_000 } });
    sidecars.push(s);
    fromCli.push(await startRecordingRelay(Number(new URL(s.url).port)));
  }
});

afterAll(async () => {
  if (!need.ok) return;
  for (const s of sidecars) await s.close();
  for (const r of fromCli) await r.close();
  await atProvider?.close();
  await egress?.close();
  await server?.stop();
  removeDir(cwd);
});

/** The peer's command as the pod's loop builds it, run as the test user, its sidecar on `port`. */
async function runPeer(name: string) {
  const peer = config.peers.find((p) => p.name === name)!;
  const at = providers.findIndex((p) => p.name === (name === 'claude' ? 'messages' : 'router'));
  const sidecar = sidecars[at]!;
  // The CLI reaches its sidecar through a recording relay.
  const port = fromCli[at]!.port;
  const cmd = buildPeerArgv(peer, 'Say hello.', { hostEnv: {}, providers: providers.map((p) => ({ ...p, port: p.name === (name === 'claude' ? 'messages' : 'router') ? port : p.port })) });
  expect(cmd.missingEnv).toEqual([]);
  expect(JSON.stringify(cmd)).not.toMatch(/sk-router-real|sk-messages-real/);
  const home = userDir(`${name}-home`);
  giveToTestUser(home);
  try {
    const env: Record<string, string> = { HOME: home, CODEX_HOME: home, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', ...cmd.env };
    const sent = fromCli[at]!.seen.length;
    const reached = atProvider.seen.length;
    const run = await runAsUser(cmd.argv, env, { cwd, prompt: cmd.stdin });
    return { run, sidecar, sent: fromCli[at]!.seen.slice(sent), reached: atProvider.seen.slice(reached) };
  } finally {
    removeDir(home);
  }
}

test.skipIf(!need.ok)('codex reaches an OpenAI-compatible provider through its sidecar upstream; metered under the provider name', async () => {
  const { run, sidecar, sent, reached } = await runPeer('codex');
  expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
  expect(run.events.findLast((e) => e.type === 'item.completed')?.item).toMatchObject({ type: 'agent_message', text: 'codex via provider' });
  expect(sidecar.logs.filter((l) => / 403 denied/.test(l))).toEqual([]);
  const lines = readLedger(ledger.path).filter((l) => l.upstream === 'router');
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.every((l) => l.path === '/responses' && l.model === 'openai/gpt-5.5' && l.priced === 'table')).toBe(true);
  expectEveryCliHeaderReached(sent, reached);
  // Codex names no output cap; the provider gets one, and the rest of the body as Codex sent it.
  const [first] = sent.map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>);
  expect(first!.max_output_tokens).toBeUndefined();
  expect(JSON.parse(reached[0]!.body.toString())).toEqual({ ...first, max_output_tokens: ROUTED_OUTPUT_CAP_TOKENS });
});

test.skipIf(!need.ok)('claude reaches an Anthropic-compatible provider through its sidecar upstream', async () => {
  const { run, sidecar, sent, reached } = await runPeer('claude');
  expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
  expect(run.events.findLast((e) => e.type === 'result')).toMatchObject({ is_error: false, result: 'claude via provider' });
  expect(sidecar.logs.filter((l) => / 403 denied/.test(l))).toEqual([]);
  expect(readLedger(ledger.path).filter((l) => l.upstream === 'messages' && l.path === '/v1/messages').length).toBeGreaterThan(0);
  expectEveryCliHeaderReached(sent, reached);
  // Claude Code names its own output cap: its bodies reach the provider byte for byte.
  expect(reached.map((r) => r.body.toString())).toEqual(sent.map((r) => r.body.toString()));
});

/**
 * Every header a CLI sent reached the provider, but for those the sidecar replaces (credentials,
 * the connection's own, `host`, `accept-encoding`): the provider allow-list covers the real CLIs.
 */
function expectEveryCliHeaderReached(sent: { headers: Record<string, unknown> }[], reached: { headers: Record<string, unknown> }[]) {
  expect(sent.length).toBeGreaterThan(0);
  expect(reached.length).toBe(sent.length);
  const replaced = new Set(['host', 'connection', 'content-length', 'accept-encoding']);
  sent.forEach((r, i) => {
    const kept = Object.keys(r.headers).filter((h) => !replaced.has(h) && !isCredentialHeader(h));
    expect(kept.filter((h) => reached[i]!.headers[h] !== r.headers[h])).toEqual([]);
  });
}
