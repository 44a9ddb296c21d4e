/**
 * Subscription logins overnight, in the real pod (rootless podman, the compiled binary, the real
 * claude and codex CLIs in the workspace image), started with `--credentials oauth-file` from a
 * project `peers init` wrote. The user's logins are a Claude Code `.credentials.json` whose access
 * token has expired and a Codex ChatGPT `auth.json` whose access token the vendor has revoked. The
 * vendors are the stand-in of stand-in-vendor.ts (TLS, the real OAuth refresh grants, 401 for a
 * stale token), reached through the product's own path: CLI → auth sidecar → the egress proxy's
 * vendor listener → api.anthropic.com / chatgpt.com / platform.claude.com / auth.openai.com,
 * resolved to the host by the test-only table (sandbox/test-upstream.ts). The scripted model
 * server behind the stand-in plays the run. What a user relies on, checked as they would see it:
 *  - the sidecar refreshes Claude's expired login before the first request, and Codex's after the
 *    vendor's 401, each with its vendor's request shape, once; every later request carries the new
 *    token; the new tokens are written back into the login files atomically (mode kept, no temp
 *    file left), and nothing else ever holds them;
 *  - codex hits its usage limit and sleeps until the reset the vendor gave; claude keeps working
 *    meanwhile; `peers status` says codex waits until when; codex comes back after the reset, does
 *    its skeptic turn, and the run stops `complete`;
 *  - the workspace never sees a token: not in its environment, its processes, its files (looked at
 *    while the run goes on), nor anywhere in the run's state or the results branch.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isLimited, readLedgerFile } from '../../auth-proxy/usage/usage-ledger.ts';
import { hostUsageLedgerPath } from '../../src/budget/ledger-path.ts';
import { parseScenario } from '../../src/model-server/load-scenario.ts';
import { type ModelServerHandle, startModelServer } from '../../src/model-server/server.ts';
import { SIDECAR_PLACEHOLDER_KEY } from '../../src/config/provider.ts';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { handoffCommitCommand } from '../integration/real-cli/harness.ts';
import { asUser, ensurePodmanReady, podmanAsUser, PEERS_BIN, TEST_USER, uid, userEnv, removeRunLeftovers, type Run } from './podman-user.ts';
import { CODEX_CLIENT_ID, jwt, type StandInVendor, startStandInVendor } from './stand-in-vendor.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(420_000);

const BUN = join(import.meta.dir, '../../node_modules/.bin/bun');
const DRIVER = join(import.meta.dir, 'subscription-pod-up.ts');
/**
 * Codex's usage limit lifts this long after it is hit: claude works meanwhile (a few turns). Codex
 * sleeps 10 s past it (src/loop/peer-sleep.ts, RESET_SLACK_MS), 35 s in all: above the 30 s floor
 * (MIN_SLEEP_MS), so the sleep is the vendor's reset, not the floor.
 */
const RESET_S = 25;
const salt = Math.random().toString(36).slice(2, 10);
const exp = (s: number) => Math.floor(Date.now() / 1000) + s;
const T = {
  claudeOldAccess: `sk-ant-oat01-e2e-old-${salt}`,
  claudeOldRefresh: `sk-ant-ort01-e2e-old-${salt}`,
  claudeNewAccess: `sk-ant-oat01-e2e-new-${salt}`,
  claudeNewRefresh: `sk-ant-ort01-e2e-new-${salt}`,
  // Codex's access token looks valid (exp in the future): only the vendor's 401 says otherwise.
  codexOldAccess: jwt({ exp: exp(86_400), jti: `old-${salt}` }),
  codexOldRefresh: `rt_e2e_old_${salt}`,
  codexNewAccess: jwt({ exp: exp(86_400), jti: `new-${salt}` }),
  codexNewRefresh: `rt_e2e_new_${salt}`,
  codexNewId: jwt({ email: 'user@example.com', jti: `id-${salt}` }),
};
const ALL_TOKENS = Object.values(T);

let root: string;
let repo: string;
let env: Record<string, string>;
let key = '';
let stateDir = '';
let model: ModelServerHandle;
let vendor: StandInVendor;

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
/**
 * asUser without blocking: the stand-in vendor and the model server answer from this very process,
 * so while the run goes on nothing here may hold the event loop (no spawnSync, no sleepSync).
 */
async function asUserAsync(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  const e = userEnv(env);
  const p = Bun.spawn(['runuser', '-u', TEST_USER, '--', 'env', '-i', ...Object.entries(e).map(([k, v]) => `${k}=${v}`), ...argv], {
    cwd: repo,
    stdin: opts.input === undefined ? 'ignore' : new Blob([opts.input]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const timer = setTimeout(() => p.kill(), opts.timeoutMs ?? 120_000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
const cname = (role: string) => `peers-${key}-${role}`;
const claudeFile = () => join(root, 'claude-login', '.credentials.json');
const codexFile = () => join(root, 'codex-login', 'auth.json');

const work = (file: string) => ({ name: `claude ${file}`, replies: [{ tool_calls: [{ write: { path: file, content: `${file}\n` } }] }, { tool_calls: [{ shell: handoffCommitCommand('claude', `Add ${file}`) }] }, { text: 'Handed off.' }] });
const scenario = {
  version: 1,
  peers: {
    // More turns than claude can take while codex sleeps RESET_S seconds: a pod turn takes at least
    // a few hundred ms on a quiet machine, so 150 cannot run out (nor can the tick cap, 200, end the
    // run first; with 40 turns and a cap of 30, a quiet machine ended it at max_ticks before the reset).
    // (Not `cN.txt`: `c8.txt` reads as the c8 coverage tool's configuration, gate surface.)
    claude: { api: 'anthropic', ticks: Array.from({ length: 150 }, (_, i) => work(`step-${i + 1}.md`)) },
    codex: {
      api: 'responses',
      ticks: [
        { name: 'limited', replies: [{ fault: { kind: 'usage_limit', resets_in_s: RESET_S, times: 1 } }] },
        // Its audits of claude's work (the loop decides how many rounds; every one is a clean re-audit).
        ...Array.from({ length: 4 }, () => ({ name: 'skeptic', replies: [{ tool_calls: [{ shell: handoffCommitCommand('codex', 'Skeptic re-audit: nothing new').replace('git commit -q', 'git commit -q --allow-empty') }] }, { text: 'Nothing new.' }] })),
      ],
    },
  },
};

/** Paths under `dirs` (recursively) whose bytes contain any token. */
function filesHoldingTokens(dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) return readdirSync(p).forEach((n) => walk(join(p, n)));
    if (!st.isFile()) return;
    const text = readFileSync(p).toString('latin1');
    if (ALL_TOKENS.some((t) => text.includes(t))) found.push(p);
  };
  dirs.forEach(walk);
  return found;
}

beforeAll(async () => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-subscriptions-');
  model = startModelServer({ scenario: parseScenario(stringify(scenario), 'scenario.yaml'), host: '127.0.0.1', port: 0, logFile: join(root, 'served.jsonl') });
  mkdirSync(join(root, 'certs'));
  vendor = await startStandInVendor(join(root, 'certs'), model.url!);
  chmodSync(vendor.certFile, 0o644);
  vendor.grants.set(T.claudeOldRefresh, { access: T.claudeNewAccess, refresh: T.claudeNewRefresh });
  vendor.grants.set(T.codexOldRefresh, { access: T.codexNewAccess, refresh: T.codexNewRefresh, idToken: T.codexNewId });

  // The user's logins, as the CLIs write them (where CLAUDE_CONFIG_DIR and CODEX_HOME point).
  mkdirSync(join(root, 'claude-login'), { mode: 0o700 });
  mkdirSync(join(root, 'codex-login'), { mode: 0o700 });
  writeFileSync(claudeFile(), `${JSON.stringify({ claudeAiOauth: { accessToken: T.claudeOldAccess, refreshToken: T.claudeOldRefresh, expiresAt: Date.now() - 60_000, scopes: ['user:inference', 'user:profile', 'user:sessions:claude_code'], subscriptionType: 'max', rateLimitTier: 'default_claude_max_20x' } })}`, { mode: 0o600 });
  writeFileSync(codexFile(), `${JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: jwt({ email: 'user@example.com' }), access_token: T.codexOldAccess, refresh_token: T.codexOldRefresh, account_id: 'acct-e2e' }, last_refresh: '2026-01-01T00:00:00Z' }, null, 2)}\n`, { mode: 0o600 });
  Bun.spawnSync(['chown', '-R', `${uid()}:${uid()}`, root]);
  chownSync(join(root, 'certs', 'vendor-key.pem'), 0, 0); // the stand-in's key stays the test's own

  // No API key anywhere: the logins are the only credentials.
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), TMPDIR: join(root, 'tmp'), CLAUDE_CONFIG_DIR: join(root, 'claude-login'), CODEX_HOME: join(root, 'codex-login'), PEERS_EGRESS_TEST_MODE: '1' };
  const setup = asUser(['sh', '-ec', `mkdir -p ${root}/tmp ${root}/state && cd ${root} && git init -q app && cd app && echo '# app' > README.md && ${PEERS_BIN} init >/dev/null && git add -A && git -c user.name=t -c user.email=t@e commit -q -m start`], { env });
  expect(setup.code, setup.stderr).toBe(0);
  repo = join(root, 'app');
  // The user's edits: the peers as `init` wrote them; the hard gates, with the placeholder made real.
  const configPath = join(repo, '.peers/config.yaml');
  const config = parse(readFileSync(configPath, 'utf8'));
  config.goals.convergence_n = 1;
  config.budget.max_ticks = 200;
  writeFileSync(configPath, stringify(config));
  const goalsPath = join(repo, '.peers/goals.yaml');
  const goals = parse(readFileSync(goalsPath, 'utf8')) as { goals: Array<Record<string, unknown>> };
  goals.goals = [...goals.goals.filter((g) => g.type === 'hard' && g.id !== 'placeholder-replace-me'), { id: 'readme', type: 'hard', cmd: 'test -f README.md', pass_when: 'exit_code == 0' }];
  writeFileSync(goalsPath, stringify(goals));
  for (const f of [configPath, goalsPath]) chownSync(f, uid(), uid());
}, 20 * 60_000);

afterAll(async () => {
  if (!need.ok) return;
  if (key) {
    peers(['down', '--grace', '5']);
    removeRunLeftovers(key);
  }
  await vendor?.stop();
  await model?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const startOf = (t: Tick) => Date.parse(t.ts) - t.duration_ms;
type Tick = { tick: number; peer: string; classification: string; success: boolean; skeptic: boolean; ts: string; duration_ms: number; sleeps_until: string | null; cause: string | null; stderr_tail: string; stdout_tail: string };

test.skipIf(!need.ok)('on subscription logins the sidecar refreshes both in the pod; codex sleeps until its reset while claude works; the run completes; no token reaches the workspace', async () => {
  const started = Date.now();
  const r = await asUserAsync([BUN, DRIVER, repo, vendor.certFile], { timeoutMs: 240_000 });
  expect(r.code, r.stderr).toBe(0);
  ({ project: key, stateDir } = JSON.parse(r.stdout.trim().split('\n').at(-1)!));
  expect(r.stderr).toContain('TEST MODE: the vendors are a local stand-in');

  // While the run goes on: who waits until when, and what the workspace can see.
  const waits = new Map<string, string>();
  let statusText = '';
  let workspaceLook: { code: number; stdout: string; stderr: string } | undefined;
  let stop: { reason: string; at: string } | undefined;
  // About 100 s here; the margin is for a loaded CI machine. Fails with the loop's log, before the test's own timeout.
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    stop = readStopReason(join(stateDir, 'last-stop-reason.txt'));
    if (stop && Date.parse(stop.at) >= started) break;
    if (Date.now() > deadline) throw new Error(`the run did not stop; loop log:\n${(await asUserAsync([PEERS_BIN, 'logs'])).stdout.slice(-4000)}`);
    const status = await asUserAsync([PEERS_BIN, 'status', '--json']);
    const waiting = status.code === 0 ? ((JSON.parse(status.stdout).waiting ?? []) as { peer: string; until: string }[]) : [];
    for (const w of waiting) waits.set(w.peer, w.until);
    if (waiting.some((w) => w.peer === 'codex') && !workspaceLook) {
      statusText = (await asUserAsync([PEERS_BIN, 'status'])).stdout;
      // Patterns on stdin, so no token is in any process's argv or environment but the ones under test.
      // The second grep proves the first one reads what it should: the placeholder key IS in the CLIs' environment.
      workspaceLook = await asUserAsync(
        ['podman', 'exec', '-i', cname('workspace'), 'sh', '-c', `grep -rlsF -f /dev/stdin /work /home/peer /tmp /proc/[0-9]*/environ /proc/[0-9]*/cmdline; echo "tokens: exit $?"; grep -lsF ${SIDECAR_PLACEHOLDER_KEY} /proc/[0-9]*/environ | wc -l`],
        { input: `${ALL_TOKENS.join('\n')}\n`, timeoutMs: 60_000 },
      );
    }
    await Bun.sleep(1500);
  }
  const log = peers(['logs']).stdout;
  const ticks = readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'tick') as Tick[];
  const summary = ticks.map((t) => `${t.tick} ${t.peer}${t.skeptic ? ' (skeptic)' : ''} ${t.classification} ${startOf(t)}+${t.duration_ms}ms: ${t.cause}`).join('\n');
  console.log(`e2e: subscriptions ticks:\n${summary}`);
  const why = `${log.slice(-3000)}\n${summary}\n${ticks.map((t) => `${t.peer} ${t.classification}: ${t.cause}\n${t.stderr_tail.slice(-500)}\n${t.stdout_tail.slice(-500)}`).join('\n')}\nstand-in: ${JSON.stringify(vendor.apiCalls.map((c) => [c.host, c.path, c.status]))}`;
  expect(stop.reason, why).toBe('complete');

  // Refresh: each login once, in its vendor's shape, at its vendor's token URL.
  expect(vendor.tokenCalls.map((c) => [c.host, c.path, c.contentType, c.status])).toEqual([
    ['platform.claude.com', '/v1/oauth/token', 'application/json', 200],
    ['auth.openai.com', '/oauth/token', 'application/json', 200],
  ]);
  expect(vendor.tokenCalls[0]!.body).toEqual({ grant_type: 'refresh_token', refresh_token: T.claudeOldRefresh, client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e', scope: 'user:inference user:profile user:sessions:claude_code' });
  expect(vendor.tokenCalls[1]!.body).toEqual({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: T.codexOldRefresh, scope: 'openid profile email' });
  // Claude's expired token was never sent; Codex's revoked one once (the 401 that started the
  // refresh); every other request carried the new token.
  const anthropic = vendor.apiCalls.filter((c) => c.host === 'api.anthropic.com');
  const chatgpt = vendor.apiCalls.filter((c) => c.host === 'chatgpt.com');
  expect(anthropic.length).toBeGreaterThan(0);
  expect(anthropic.every((c) => c.token === T.claudeNewAccess && c.beta?.includes('oauth-2025-04-20') && c.status === 200), why).toBe(true);
  // (Codex may have had two requests in flight with the revoked token: both were refused, one refresh served both.)
  const stale = chatgpt.filter((c) => c.token === T.codexOldAccess);
  expect(chatgpt[0]).toMatchObject({ token: T.codexOldAccess, status: 401 });
  expect(stale.every((c) => c.status === 401)).toBe(true);
  expect(chatgpt.indexOf(stale.at(-1)!)).toBeLessThan(chatgpt.findIndex((c) => c.token === T.codexNewAccess));
  expect(chatgpt.filter((c) => c.token !== T.codexOldAccess).every((c) => c.token === T.codexNewAccess && c.accountId === 'acct-e2e' && c.path.startsWith('/backend-api/codex/')), why).toBe(true);
  expect(chatgpt.map((c) => c.status)).toContain(429);

  // The new tokens are in the login files, written in place of the old (mode kept, nothing left beside them).
  const claude = JSON.parse(readFileSync(claudeFile(), 'utf8')).claudeAiOauth;
  expect(claude).toMatchObject({ accessToken: T.claudeNewAccess, refreshToken: T.claudeNewRefresh, subscriptionType: 'max', rateLimitTier: 'default_claude_max_20x' });
  expect(claude.expiresAt).toBeGreaterThan(Date.now() + 7 * 3600_000);
  const codex = JSON.parse(readFileSync(codexFile(), 'utf8'));
  expect(codex.tokens).toEqual({ id_token: T.codexNewId, access_token: T.codexNewAccess, refresh_token: T.codexNewRefresh, account_id: 'acct-e2e' });
  expect(Date.parse(codex.last_refresh)).toBeGreaterThanOrEqual(started);
  for (const f of [claudeFile(), codexFile()]) expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
  expect(readdirSync(join(root, 'claude-login'))).toEqual(['.credentials.json']);
  expect(readdirSync(join(root, 'codex-login'))).toEqual(['auth.json']);

  // codex hit its limit and slept until the vendor's reset; claude worked meanwhile; codex came back after it.
  const limits = readLedgerFile(hostUsageLedgerPath(stateDir)).lines.filter(isLimited);
  expect(limits.map((l) => [l.upstream, l.limit, l.source])).toEqual([['chatgpt', 'usage', 'error.resets_at']]);
  const codexTicks = ticks.filter((t) => t.peer === 'codex');
  expect(codexTicks[0]!.classification, why).toBe('usage-limited');
  expect(codexTicks.slice(1).map((t) => t.classification), why).toEqual(codexTicks.slice(1).map(() => 'success'));
  expect(codexTicks.length, why).toBeGreaterThan(1);
  const until = codexTicks[0]!.sleeps_until!;
  expect(Date.parse(until) - Date.parse(codexTicks[0]!.ts)).toBeGreaterThan((RESET_S - 10) * 1000);
  expect(startOf(codexTicks[1]!)).toBeGreaterThanOrEqual(Date.parse(until) - 1000);
  expect(codexTicks[1]!.skeptic).toBe(true);
  const claudeWhileCodexSlept = ticks.filter((t) => t.peer === 'claude' && startOf(t) >= Date.parse(codexTicks[0]!.ts) && startOf(t) < Date.parse(until));
  expect(claudeWhileCodexSlept.length, why).toBeGreaterThan(0);
  expect(ticks.filter((t) => t.peer === 'claude').every((t) => t.success), why).toBe(true);
  // `peers status` said so while it lasted.
  expect(waits.get('codex')).toBe(until);
  expect(waits.has('claude')).toBe(false);
  expect(statusText).toContain('Waiting for usage limits: codex until');

  // The workspace never saw a token: its processes, environment and files while the run went on…
  expect(workspaceLook, 'the status never showed codex waiting').toBeDefined();
  const [tokenLine, placeholderCount, ...extra] = workspaceLook!.stdout.trim().split('\n');
  expect([tokenLine, extra], workspaceLook!.stdout + workspaceLook!.stderr).toEqual([expect.stringMatching(/^tokens: exit [12]$/), []]);
  expect(Number(placeholderCount)).toBeGreaterThan(0);
  const inspect = JSON.parse(podmanAsUser(['inspect', '--type', 'container', cname('workspace')]).stdout)[0];
  const wsConfig = JSON.stringify([inspect.Config.Env, inspect.Mounts, inspect.Config.Cmd]);
  for (const t of ALL_TOKENS) expect(wsConfig).not.toContain(t);
  expect(wsConfig).not.toContain('claude-login');
  expect(wsConfig).not.toContain('codex-login');
  // …nor is any token anywhere in the run's state (ledger, logs, prompts, clone) or the results.
  expect(filesHoldingTokens([stateDir])).toEqual([]);
  const history = asUser(['git', 'log', '-p', '--all'], { cwd: repo, env });
  for (const t of ALL_TOKENS) expect(history.stdout).not.toContain(t);
  console.log(`e2e: subscriptions in the pod: ${ticks.map((t) => `${t.peer}:${t.classification}${t.skeptic ? '(skeptic)' : ''}`).join(', ')}; ${Math.round((Date.now() - started) / 1000)}s`);
});
