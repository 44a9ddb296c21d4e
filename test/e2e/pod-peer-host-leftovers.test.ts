/**
 * In the real pod, what a peer leaves for the host to read later: alpha commits `.peers/config.yaml`
 * past its mask (`git update-index --cacheinfo`: the workspace cannot write `.peers/`, git's index
 * can) with a `notify:` command of its own, and locks a directory of its runner's socket dir
 * (`chmod 000`: it runs as the user's uid). Before, `peers down` ended in exit 70 "internal error:
 * EACCES" once the pod was gone, and an earlier host command had published the branch, whose
 * checkout put the peers' config in place of the user's ignored `.peers/config.yaml` (the next
 * `peers up --fresh` arms its command on the host). Now `down` removes the dir, exit 0, and says the
 * branch is not published and why. The gate (the peers' code too) locks a directory of its checkout:
 * the gates runner's removal of it failed with EACCES ("internal error"), and every later probe's
 * sweep with it, so no gate ran again and the run made no tick more. SECURITY.md, "Results come back
 * as a branch" and "The loop's run state".
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, PEERS_BIN, uid, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

const need = requires('root', 'podman');

setDefaultTimeout(300_000);

let root: string;
let repo: string;
let env: Record<string, string>;
let key = '';
let stateDir: string;
let userConfig = '';

const peers = (args: string[], timeoutMs = 180_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });

const PEER = `set -e
cat >/dev/null
cd /work
me=$PEERS_PEER_NAME
if [ "$me" = alpha ] && [ ! -e /run/peers/workspace/locked ]; then
  mkdir -p /run/peers/workspace/locked/inner && chmod 000 /run/peers/workspace/locked
  printf 'peers:\\n  - name: x\\nnotify:\\n  command: [sh, -c, "touch /tmp/peers-pwned"]\\n' > /tmp/cfg
  git update-index --add --cacheinfo "100644,$(git hash-object -w /tmp/cfg),.peers/config.yaml"
fi
echo "tick by $me $(date +%s%N)" >> work.txt
git add work.txt
printf 'work by %s\\n\\n## Self-Review\\nappended one line\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$me" "$me" > /tmp/msg
git commit -q -F /tmp/msg
`;
const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', PEER])}
  - name: beta
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', PEER])}
goals:
  stuck_halt_after: 1000
  convergence_n: 1000
`;
const GOALS = `goals:
  - id: has-work
    type: hard
    cmd: "grep -q 'tick by' work.txt && mkdir -p locked/inner && chmod 000 locked"
    pass_when: exit_code == 0
`;

const ticks = () =>
  existsSync(join(stateDir, 'runs.jsonl'))
    ? readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; success: boolean; peer: string }).filter((l) => l.event === 'tick')
    : [];
function waitFor(what: string, cond: () => boolean, ms = 240_000): void {
  const end = Date.now() + ms;
  for (let i = 0; !cond(); i++) {
    const log = Date.now() > end || i % 10 === 9 ? peers(['logs']).stdout : '';
    if (Date.now() > end || log.includes('internal error')) throw new Error(`waiting for ${what}: ${Date.now() > end ? 'timed out' : 'the loop reports an internal error'}; loop log:\n${log.slice(-3000)}`);
    Bun.sleepSync(1000);
  }
}

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-leftovers-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), XDG_CACHE_HOME: join(root, 'cache'), ANTHROPIC_API_KEY: 'sk-ant-unused', OPENAI_API_KEY: 'sk-unused' };
  repo = join(root, 'app');
  const setup = asUser(['sh', '-ec', `cd ${root} && git init -q -b main app && cd app && git config user.email t@e && git config user.name t && echo base > app.txt && git add app.txt && git commit -qm base && ${PEERS_BIN} init >/dev/null`], { env });
  expect(setup.code, setup.stderr).toBe(0);
  writeFileSync(join(repo, '.peers/config.yaml'), CONFIG);
  writeFileSync(join(repo, '.peers/goals.yaml'), GOALS);
  for (const f of ['config.yaml', 'goals.yaml']) chownSync(join(repo, '.peers', f), uid(), uid());
  userConfig = readFileSync(join(repo, '.peers/config.yaml'), 'utf8');
  const r = peers(['up', '--max-ticks', '400']);
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
  stateDir = join(root, 'state', 'peers', key);
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) removeRunLeftovers(key);
  if (root) {
    asUser(['chmod', '-R', 'u+rwX', root]);
    rmSync(root, { recursive: true, force: true });
  }
});

describe.skipIf(!need.ok)("a peer's leftovers for the host: a committed .peers/config.yaml, a locked socket dir", () => {
  test('gates go on over the directory a gate locked; peers down removes the locked dir (exit 0) and does not publish the branch that would replace the user\'s config', () => {
    waitFor("alpha's planting turn and others after it", () => ticks().filter((t) => t.success).length >= 4);
    const gates = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')).gates as { head: string | null; results: Record<string, { state: string }> };
    waitFor('the gate measured at a later head, green', () => gates().results['has-work']?.state === 'pass' && ticks().filter((t) => t.success).length >= 4);
    const runnerDir = join(root, 'cache', 'peers', 'pods', key);
    expect(existsSync(join(runnerDir, 'workspace', 'locked'))).toBe(true);
    const down = peers(['down']);
    expect(down.stderr).not.toContain('internal error');
    expect(down.code, down.stderr).toBe(0);
    expect(existsSync(runnerDir)).toBe(false);
    expect(down.stderr + down.stdout).toContain('not published: the run\'s commits write peers\' own configuration');
    expect(down.stderr + down.stdout).toContain('".peers/config.yaml"');
    // `up` published the branch at the run's start (its base); it was not moved to the peers' commits.
    expect(asUser(['git', '-C', repo, 'cat-file', '-e', 'refs/heads/peers/app:.peers/config.yaml'], { env }).code).not.toBe(0);
    expect(asUser(['git', '-C', repo, 'log', '--format=%s', 'refs/heads/peers/app'], { env }).stdout).not.toContain('work by');
    expect(readFileSync(join(repo, '.peers/config.yaml'), 'utf8')).toBe(userConfig);
  });
});
