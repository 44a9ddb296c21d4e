/**
 * The loop with the real `claude` and `codex` CLIs behind the auth sidecar, as in the pod: the
 * CLIs hold placeholder keys and reach the scripted model server only through the sidecar (and the
 * real egress proxy), the loop reads spend from the sidecar's usage ledger.
 *  - spend in state.json equals the ledger, and the ledger equals what the model server served;
 *  - codex is priced (it prints no cost of its own: $0 before);
 *  - a turn interrupted mid-stream (the model goes silent, the loop's idle timeout kills claude
 *    before it prints its result) is metered: the CLI reports nothing, the ledger has what was served.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { Reservations } from '../../../auth-proxy/usage/budget.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { readLedger, totalsOf, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { writeBudgetPolicy } from '../../../src/budget/budget-policy-file.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from '../../unit/auth-proxy/sidecar-fixture.ts';
import { ensureTestUser, giveToTestUser, handoffCommitCommand, type LoopProject, makeLoopProject, runLoopAsUser, startServer, userDir } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

setDefaultTimeout(240_000);

let server: ModelServerHandle;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;
let project: LoopProject;
let ledgerPath: string;

const U = {
  c1: { input_tokens: 1500, output_tokens: 120, cache_read_tokens: 800, cache_write_tokens: 300 },
  c2: { input_tokens: 1700, output_tokens: 90, cache_read_tokens: 900 },
  c3: { input_tokens: 1800, output_tokens: 25 },
  x1: { input_tokens: 2222, output_tokens: 77, cache_read_tokens: 111 },
  x2: { input_tokens: 2300, output_tokens: 50, cache_read_tokens: 500 },
  x3: { input_tokens: 2400, output_tokens: 20 },
  i1: { input_tokens: 2600, output_tokens: 500, cache_read_tokens: 1200 },
};

beforeAll(async () => {
  if (!need.ok) return;
  ensureTestUser();
  server = startServer({
    version: 1,
    peers: {
      claude: {
        api: 'anthropic',
        ticks: [
          { name: 'work', replies: [{ tool_calls: [{ write: { path: 'a.txt', content: 'a\n' } }], usage: U.c1 }, { tool_calls: [{ shell: handoffCommitCommand('claude', 'Add a') }], usage: U.c2 }, { text: 'done', usage: U.c3 }] },
          // Interrupted: one reply served, then the model goes silent until the loop kills claude.
          { name: 'interrupted', replies: [{ tool_calls: [{ shell: 'echo still working' }], usage: U.i1 }, { fault: { kind: 'stall' } }] },
        ],
      },
      codex: {
        api: 'responses',
        ticks: [{ name: 'work', replies: [{ tool_calls: [{ write: { path: 'b.txt', content: 'b\n' } }], usage: U.x1 }, { tool_calls: [{ shell: handoffCommitCommand('codex', 'Add b') }], usage: U.x2 }, { text: 'done', usage: U.x3 }] }],
      },
    },
  });
  const port = Number(new URL(server.url!).port);
  egress = await startEgress(port);
  // The ledger lives where the (unprivileged) loop can read it; the sidecar (this process) writes it.
  const dir = userDir('ledger');
  ledgerPath = join(dir, 'usage.jsonl');
  writeFileSync(ledgerPath, '');
  chmodSync(ledgerPath, 0o644);
  const ledger = new UsageLedger(ledgerPath);
  const reservations = new Reservations();
  const caps = { maxUsd: 50, maxTokens: 5_000_000 };
  anthropic = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-real-loop-00000'), ledger, reservations, caps });
  openai = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-real-loop-openai-000'), ledger, reservations, caps });
  project = makeLoopProject(server, {
    goals: [],
    urls: { claude: anthropic.url, codex: openai.url },
    health: { idle_timeout_s: 12, absolute_max_runtime_s: 90, kill_grace_s: 2 },
    budget: { max_usd: 50, max_tokens: 5_000_000, max_usd_mode: 'auto', max_consecutive_failures: 5 },
  });
  const policy = join(project.root, 'budget.json');
  writeBudgetPolicy(policy, resolveBudgetPolicy({ config: loadConfigFile(join(project.repo, '.peers', 'config.yaml')), credentials: 'api-key', env: {} }));
  giveToTestUser(policy);
}, 60_000);

afterAll(async () => {
  if (!need.ok) return;
  await anthropic?.close();
  await openai?.close();
  await egress?.close();
  await server?.stop();
  project?.cleanup();
});

test.skipIf(!need.ok)('the ledger is the bill: state equals it, codex is priced, an interrupted turn is metered', async () => {
  const run = await runLoopAsUser(project, ['--max-ticks', '3', '--no-recon', '--no-codemap', '--budget-policy', join(project.root, 'budget.json'), '--usage-ledger', ledgerPath], { timeoutMs: 200_000 });
  expect(run.stopReason, `${run.stderr.slice(-3000)}\n${anthropic.logs.slice(-10).join('\n')}`).toBe('max_ticks');
  type Tick = { peer: string; metered_by: string; ended_by: string; tokens_this_tick: number; usd_this_tick: number; cli_tokens: number; cli_usd: number };
  const ticks = run.runs.filter((l) => l.event === 'tick') as unknown as Tick[];
  expect(ticks.map((t) => [t.peer, t.metered_by])).toEqual([['claude', 'ledger'], ['codex', 'ledger'], ['claude', 'ledger']]);

  const ledger = readLedger(ledgerPath);
  const served = server.log.records;
  const sum = (rows: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }[]) => rows.reduce((n, r) => n + r.input_tokens + r.output_tokens + r.cache_read_tokens + r.cache_write_tokens, 0);
  // Every token the model server served is on the ledger (auxiliary calls included); beyond it,
  // only what a reply cut short is charged up to its whole output allowance (SECURITY.md, "Nothing unmetered").
  const cut = ledger.filter((l) => l.cut_short);
  expect(sum(ledger)).toBeGreaterThanOrEqual(sum(served.map((r) => r.usage)));
  expect(sum(ledger) - sum(served.map((r) => r.usage))).toBeLessThanOrEqual(cut.reduce((n, l) => n + l.output_tokens, 0));
  expect(sum(ledger.filter((l) => !l.cut_short))).toBeLessThanOrEqual(sum(served.map((r) => r.usage)));

  // state.json's spend IS the ledger's.
  const state = loadState(join(project.stateDir, 'state.json'))!;
  const totals = totalsOf(ledger);
  expect(state.budget.spent_tokens).toBe(totals.tokens);
  expect(state.budget.spent_usd).toBe(totals.usd);
  expect(ticks.reduce((n, t) => n + t.tokens_this_tick, 0)).toBe(totals.tokens);

  // Codex prints no cost; the ledger prices its gpt-5.5 replies from the table.
  const codex = ticks[1]!;
  expect(codex.cli_usd).toBe(0);
  expect(codex.usd_this_tick).toBeGreaterThan(0);
  const codexLines = ledger.filter((l) => l.upstream === 'openai');
  expect(codexLines.every((l) => l.model === 'gpt-5.5' && l.priced === 'table')).toBe(true);
  for (const l of codexLines) expect(l.usd).toBeCloseTo(usdFor(l, 'openai').usd, 10);
  expect(codex.usd_this_tick).toBeCloseTo(codexLines.reduce((n, l) => n + l.usd, 0), 6);

  // The interrupted turn: killed for silence before claude printed a result, so the CLI reports
  // nothing; the ledger has the reply it got, and the stalled one marked as cut short.
  const interrupted = ticks[2]!;
  expect(interrupted.ended_by).toBe('idle-timeout');
  expect(interrupted.cli_tokens).toBe(0);
  expect(interrupted.tokens_this_tick).toBeGreaterThanOrEqual(sum([{ cache_write_tokens: 0, ...U.i1 }]));
  // Claude's request asked for thousands of output tokens; hung up on, it is charged all of them.
  expect(ledger.some((l) => l.cut_short === 'client-abort' && l.upstream === 'anthropic' && l.output_tokens >= 1000)).toBe(true);
  // The sidecar forwarded only paths on its list: the CLIs needed nothing else.
  expect([...anthropic.logs, ...openai.logs].filter((l) => l.includes(' 403 denied'))).toEqual([]);
});
