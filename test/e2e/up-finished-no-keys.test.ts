/**
 * `peers up` the morning after, in a shell without the API keys: a run that has finished says so
 * (why it stopped, what would continue it, exit as the run did) instead of asking for keys it
 * does not need; continuing it still asks for them first. Real podman, the compiled binary, as
 * the unprivileged test user; the finished run is a real `peers loop` stopped by --max-ticks.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { podName } from '../../sandbox/pod-layout.ts';
import { projectKey } from '../../src/state/paths.ts';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser } from './podman-user.ts';
import { requires } from '../requirements.ts';

const need = requires('root', 'podman');

// Peers of the claude kind (so `up` wants ANTHROPIC_API_KEY), played by a script that commits a handoff.
const TURN = `cat >/dev/null; echo "$PEERS_PEER_NAME" >> work.log; git add -A; printf 'w\\n\\n## Self-Review\\nok\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$PEERS_PEER_NAME" | git commit -q -F -`;
const CONFIG = `peers:
  - name: alpha
    tool: claude
    argv: ${JSON.stringify(['sh', '-c', TURN])}
  - name: beta
    tool: claude
    argv: ${JSON.stringify(['sh', '-c', TURN])}
budget:
  max_ticks: 1
  max_usd: 5
`;
const GOALS = `goals:
  - id: never-green
    type: hard
    cmd: 'false'
    pass_when: exit_code == 0
`;

let root = '';
let repo = '';
let env: Record<string, string> = {};

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'finished-nokeys', config: CONFIG, goals: GOALS }));
  const run = asUser([PEERS_BIN, 'loop', repo, '--backoff-base-ms', '10'], { cwd: repo, env });
  if (!run.stderr.includes('stopped: budget:max_ticks')) throw new Error(`the host loop failed (exit ${run.code}): ${run.stderr.slice(-2000)}`);
}, 10 * 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)(`up without API keys${need.skipped}`, () => {
  test('on a finished run: why it stopped and what next (exit 1, as the run), no key asked; continuing it asks for the key first', () => {
    const { ANTHROPIC_API_KEY: _a, OPENAI_API_KEY: _o, ...noKeys } = env;
    const r = asUser([PEERS_BIN, 'up'], { cwd: repo, env: noKeys });
    expect(r.stderr).not.toContain('no API key');
    expect(r.stdout).toContain('the run has finished: budget:max_ticks: 1 ticks of budget.max_ticks 1');
    expect(r.stdout).toContain('raise budget.max_ticks in .peers/config.yaml');
    expect(r.code, r.stderr).toBe(1);
    // What continues it (a bigger cap) starts a loop: that needs the key, and nothing starts without it.
    writeFileSync(join(repo, '.peers/config.yaml'), CONFIG.replace('max_ticks: 1', 'max_ticks: 5'));
    const more = asUser([PEERS_BIN, 'up', '--accept-changes'], { cwd: repo, env: noKeys });
    expect(more.stderr).toContain('no API key for the configured peers: ANTHROPIC_API_KEY (for alpha, beta)');
    expect(more.code).toBe(2);
    expect(podmanAsUser(['pod', 'exists', podName(projectKey(repo))]).code).not.toBe(0);
  }, 120_000);
});
