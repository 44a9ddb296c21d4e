/**
 * The one-line cause of a failed tick with the real claude and codex CLIs against the scripted
 * model server, through `peers loop`: what each CLI really prints when git has no identity, when
 * its key is rejected, when it is not installed, and (Claude Code) when it is run as root.
 */
import { describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CLAUDE_PRINT_ARGV, claudeEnv } from '../../../src/model-server/cli-wiring.ts';
import { loop, makeProject, state, ticks, writeConfig } from '../loop/harness.ts';
import { CLAUDE_BIN, ensureTestUser, handoffCommitCommand, makeLoopProject, runLoopAsUser, startServer } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

/** The commit a CLI made before peers gave it an identity: git has none and may not guess one. */
const COMMIT_WITHOUT_IDENTITY = [
  'echo note > note.txt && git add -A &&',
  'env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u GIT_COMMITTER_NAME -u GIT_COMMITTER_EMAIL',
  'git -c user.useConfigOnly=true commit -q -m "Add a note"',
].join(' ');

const commitTick = (peer: string) => ({ replies: [{ tool_calls: [{ shell: `echo ${peer} > ${peer}.txt && ${handoffCommitCommand(peer, `Add ${peer}.txt`)}` }] }, { text: 'Handed off.' }] });
const GOALS = [{ id: 'notes', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }];

type PeerEntry = { argv: string[] };

async function firstTick(scenarioPeers: Record<string, unknown>, opts: { peers?: Array<'claude' | 'codex'>; editConfig?: (cfg: { peers: PeerEntry[] }) => void } = {}) {
  ensureTestUser();
  const server = startServer({ version: 1, peers: scenarioPeers });
  // No identity in the repository: the loop's HOME (the claude home) has no .gitconfig either.
  const project = makeLoopProject(server, { goals: GOALS, health: { max_retries: 0 }, peers: opts.peers, claudeEnv: { CLAUDE_CODE_MAX_RETRIES: '0' }, gitIdentity: false });
  if (opts.editConfig) {
    const path = join(project.repo, '.peers', 'config.yaml');
    const cfg = parse(readFileSync(path, 'utf8')) as { peers: PeerEntry[] };
    opts.editConfig(cfg);
    writeFileSync(path, stringify(cfg));
  }
  try {
    const run = await runLoopAsUser(project, ['--no-skeptic', '--max-ticks', '1']);
    const tick = run.runs.find((r) => r.event === 'tick');
    return { run, tick: tick! };
  } finally {
    await server.stop();
    project.cleanup();
  }
}

describe.skipIf(!need.ok)('real CLIs: the cause of a failed tick', () => {
  test('claude: git refuses to commit without an identity → git: no identity', async () => {
    const { run, tick } = await firstTick({ claude: { api: 'anthropic', ticks: [{ replies: [{ tool_calls: [{ shell: COMMIT_WITHOUT_IDENTITY }] }, { text: 'Tried to commit.' }] }] }, codex: { api: 'responses', ticks: [commitTick('codex')] } });
    expect(tick).toMatchObject({ peer: 'claude', success: false, classification: 'success' });
    expect(tick.cause as string).toStartWith('git: no identity');
    expect(run.stderr).toContain(`peers: tick 1 no-handoff head=no-new-commit`);
    expect(run.stderr).toContain(` -- ${tick.cause}`);
  }, 180_000);

  test('codex: git refuses to commit without an identity → git: no identity', async () => {
    const { tick } = await firstTick({ codex: { api: 'responses', ticks: [{ replies: [{ tool_calls: [{ shell: COMMIT_WITHOUT_IDENTITY }] }, { text: 'Tried to commit.' }] }] }, claude: { api: 'anthropic', ticks: [commitTick('claude')] } }, { peers: ['codex', 'claude'] });
    expect(tick).toMatchObject({ peer: 'codex', success: false });
    expect(tick.cause as string).toStartWith('git: no identity');
  }, 180_000);

  test('claude: the API answers 401 → 401 invalid API key', async () => {
    const { run, tick } = await firstTick({ claude: { api: 'anthropic', ticks: [{ replies: [{ fault: { kind: 'unauthorized', times: 5 } }] }] }, codex: { api: 'responses', ticks: [commitTick('codex')] } });
    expect(run.stopReason).toBe('peer-unavailable:claude');
    expect(tick.cause).toBe('401 invalid API key');
  }, 180_000);

  test('codex: the API answers 401 → 401 invalid API key', async () => {
    const { run, tick } = await firstTick({ codex: { api: 'responses', ticks: [{ replies: [{ fault: { kind: 'unauthorized', times: 10 } }] }] }, claude: { api: 'anthropic', ticks: [commitTick('claude')] } }, { peers: ['codex', 'claude'] });
    expect(run.stopReason).toBe('peer-unavailable:codex');
    expect(tick.cause).toBe('401 invalid API key');
  }, 180_000);

  test('claude not installed where the peer runs → claude: command not found (exit 127)', async () => {
    // The bare name, as in the config `peers init` writes; the loop's PATH has no claude on it.
    const { tick } = await firstTick(
      { claude: { api: 'anthropic', ticks: [commitTick('claude')] }, codex: { api: 'responses', ticks: [commitTick('codex')] } },
      { editConfig: (cfg) => void (cfg.peers[0]!.argv[0] = 'claude') },
    );
    expect(tick).toMatchObject({ peer: 'claude', success: false, classification: 'process-fail', ended_by: 'spawn-error' });
    expect(tick.cause).toBe('claude: command not found (exit 127)');
  }, 180_000);
});

// Claude Code's refusal exists only for root, so only a root run of the suite can observe it (CI runs as root).
test.skipIf(!need.ok || !requires('root').ok)('claude run as root → claude refused to run as root', async () => {
  ensureTestUser();
  const server = startServer({ version: 1, peers: { claude: { api: 'anthropic', ticks: [commitTick('claude')] }, codex: { api: 'responses', ticks: [commitTick('codex')] } } });
  const p = makeProject({ peers: { claude: 'always-handoff', codex: 'always-handoff' } });
  try {
    const home = join(p.root, 'claude-home');
    mkdirSync(home);
    const claude = { tool: 'claude', argv: [CLAUDE_BIN, ...CLAUDE_PRINT_ARGV], env: claudeEnv({ serverUrl: server.url!, peer: 'claude', home }) };
    writeConfig(p, { peers: { claude: 'always-handoff', codex: 'always-handoff' }, health: { max_retries: 0 }, peerExtra: { claude } });
    const console: string[] = [];
    await loop(p, { maxTicks: 1, log: (l) => console.push(l) });
    const [tick] = ticks(p);
    expect(tick).toMatchObject({ peer: 'claude', success: false, classification: 'process-fail', exit_code: 1 });
    expect(tick!.cause).toBe('claude refused to run as root (run peers as an unprivileged user)');
    expect(state(p).peers.claude!.last_failure?.cause).toBe(tick!.cause as string);
    expect(console.join('\n')).toContain(` -- ${tick!.cause}`);
  } finally {
    await server.stop();
    p.cleanup();
  }
}, 180_000);
