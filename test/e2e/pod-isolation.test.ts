/**
 * In the real pod: the peers never touch the user's repository, and nothing a peer writes
 * runs outside the workspace container. The user's repository is a `git worktree` with uncommitted
 * work; fake peers (shell scripts) run by the real loop. On its first turn, alpha plants every way
 * a repository can make git run a command (test/fixtures/attacks/plant-git-traps.sh: textconv, an
 * external diff, clean/smudge and process filters, include.path/includeIf to a tracked file,
 * core.hooksPath, hooks, core.fsmonitor, core.pager, core.sshCommand, credential helper, gpg
 * program…), each leaving a marker file named after it; then both peers keep committing files the
 * planted attributes apply to. We check:
 *  - the run completes ticks on a worktree repository, from its HEAD, and `up` names the
 *    uncommitted changes that are not in the run; the user's files stay as they were;
 *  - no marker appears in the loop, setup or gates containers, the state dir, the mirror, or on
 *    the host — while the traps do fire in the workspace (they are real);
 *  - every host command (status, report, verify, check, bugs, replay, down) runs nothing, also
 *    when pointed at the peers' clone itself;
 *  - `peers down` says the repository is unchanged, and it is: `.git/config`, hooks, info, HEAD,
 *    index and `.peers/` are byte-identical; the results are the branch peers/app; plain `git
 *    status`, `git diff`, `git log -p` and even checking out that branch run nothing;
 *  - a `.peers/` changed since the run's snapshot makes `up` refuse, with the diff.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(300_000);

const TOKEN = `iso${Math.random().toString(36).slice(2, 8)}`;
const PLANT = readFileSync(resolve(import.meta.dir, '../fixtures/attacks/plant-git-traps.sh'), 'utf8');
let root: string;
let main: string;
let repo: string;
let env: Record<string, string>;
let key = '';
let stateDir: string;
let upOutput = '';

const peers = (args: string[], timeoutMs = 180_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const userGit = (cwd: string, args: string[]) => asUser(['git', '-C', cwd, ...args], { env });
const cname = (role: string) => `peers-${key}-${role}`;
const execIn = (role: string, script: string) => podmanAsUser(['exec', cname(role), 'sh', '-c', script]);
const hostMarkers = () => readdirSync('/tmp').filter((n) => n.startsWith(`peers-pwned-${TOKEN}-`));
const markersIn = (role: string) => {
  // `grep -c` always prints a count: an empty answer is output podman exec lost (seen once, under a
  // loaded CI run, for a container that was running), asked again rather than read as a count.
  for (let attempt = 1; ; attempt++) {
    const r = execIn(role, `ls -A /tmp /state /mirror 2>/dev/null | grep -c 'peers-pwned-${TOKEN}-' || true`);
    // A container that stopped (the run over) cannot be looked into: say so, not an empty count.
    if (r.code !== 0) throw new Error(`cannot look into the ${role} container (exit ${r.code}): ${r.stderr.slice(0, 300)}`);
    if (r.stdout.trim() !== '' || attempt === 3) return r.stdout.trim();
  }
};
const tickLines = () =>
  existsSync(join(stateDir, 'runs.jsonl'))
    ? readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; success: boolean }).filter((l) => l.event === 'tick')
    : [];
function waitFor(what: string, cond: () => boolean, ms = 240_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; loop log:\n${peers(['logs']).stdout.slice(-3000)}`);
    Bun.sleepSync(1000);
  }
}

/** Every file a run must leave byte-identical, with its content. */
function userRepoBytes(): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (path: string) => {
    try {
      out[path] = readFileSync(path).toString('base64');
    } catch (e) {
      out[path] = `(${(e as NodeJS.ErrnoException).code})`;
    }
  };
  const gitDir = join(main, '.git');
  for (const f of ['config', 'HEAD', 'packed-refs', 'info/exclude', 'info/attributes', 'worktrees/app/HEAD', 'worktrees/app/index', 'worktrees/app/config.worktree', 'refs/heads/feature', 'refs/heads/main']) add(join(gitDir, f));
  for (const f of readdirSync(join(gitDir, 'hooks'))) add(join(gitDir, 'hooks', f));
  for (const f of readdirSync(join(repo, '.peers'), { recursive: true }) as string[]) add(join(repo, '.peers', f));
  for (const f of ['app.txt', 'notes-local.txt', '.git']) add(join(repo, f));
  return out;
}

const PEER = `set -e
cat >/dev/null
cd /work
me=$PEERS_PEER_NAME
if [ "$me" = alpha ] && [ ! -f evil.gitconfig ]; then
  cat > /tmp/plant.sh <<'PLANT_EOF'
${PLANT}
PLANT_EOF
  sh /tmp/plant.sh /work ${TOKEN}
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
health:
  idle_timeout_s: 120
goals:
  timeout_s: 60
  stuck_halt_after: 1000
  # never converge: the loop keeps running while we look into its container
  convergence_n: 1000
setup: 'git status --short >/dev/null; git log -p -2 >/dev/null; true'
`;
const hard = (id: string, cmd: string) => `  - id: ${id}\n    type: hard\n    cmd: ${JSON.stringify(cmd)}\n    pass_when: exit_code == 0\n`;
const GOALS = `goals:
${hard('has-work', 'grep -q "tick by" work.txt')}${hard('git-in-the-gates', 'git log -p -3 >/dev/null && git diff HEAD~1 >/dev/null && git status --short >/dev/null')}${hard('peers-check-in-the-gates', 'peers check self-review-on-handoff')}`;

let before: Record<string, string>;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-iso-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: 'sk-ant-unused', OPENAI_API_KEY: 'sk-unused' };
  main = join(root, 'main');
  repo = join(root, 'app');
  const setup = asUser(
    [
      'sh',
      '-ec',
      `cd ${root} && git init -q -b main main && cd main && git config user.email t@e && git config user.name t
       echo base > app.txt && git add app.txt && git commit -qm base
       git worktree add -q ../app -b feature
       cd ../app && ${PEERS_BIN} init >/dev/null
       echo 'uncommitted edit' >> app.txt
       echo 'mine, not committed' > notes-local.txt`,
    ],
    { env },
  );
  expect(setup.code, setup.stderr).toBe(0);
  writeFileSync(join(repo, '.peers/config.yaml'), CONFIG);
  writeFileSync(join(repo, '.peers/goals.yaml'), GOALS);
  for (const f of ['config.yaml', 'goals.yaml']) chownSync(join(repo, '.peers', f), uid(), uid());
  before = userRepoBytes();
  // Room for the ticks the checks below need while the pod still runs, failed ticks included (a
  // loaded machine): the containers' /tmp goes with them once the run is over.
  const r = peers(['up', '--max-ticks', '400']);
  upOutput = r.stderr;
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
  stateDir = join(root, 'state', 'peers', key);
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  for (const m of hostMarkers()) rmSync(join('/tmp', m), { force: true });
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('a worktree repository with uncommitted work, and a peer planting every git command hook', () => {
  test('the run starts from the worktree HEAD, says what is left out, and completes ticks in the pod', () => {
    expect(upOutput).toContain('made the run clone');
    expect(upOutput).toContain('(feature)');
    expect(upOutput).toMatch(/2 uncommitted change\(s\) are NOT in the run[^\n]*M app\.txt[^\n]*\?\? notes-local\.txt/);
    waitFor('four successful ticks', () => tickLines().filter((t) => t.success).length >= 4);
    const clone = join(stateDir, 'run', 'clone');
    expect(readFileSync(join(clone, 'app.txt'), 'utf8')).toBe('base\n');
    expect(existsSync(join(clone, 'notes-local.txt'))).toBe(false);
    expect(existsSync(join(clone, 'evil.gitconfig'))).toBe(true);
    // The gates ran git and `peers check` on the planted history, in their own containers.
    const st = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
    expect(st.gates.results['git-in-the-gates']?.state).toBe('pass');
    expect(st.gates.results['has-work']?.state).toBe('pass');
    expect(st.gates.results['peers-check-in-the-gates']?.state).toBe('pass');
  });

  test('no marker outside the workspace: loop, setup and gates containers, state dir, mirror, host', () => {
    // The traps are live: the peers' own git in the workspace fired them there.
    const live = Number(markersIn('workspace'));
    if (live === 0) {
      // Once seen under a loaded CI run and never again: say what the workspace held and what the ticks were.
      const tmp = execIn('workspace', 'ls -la /tmp; cat /proc/1/stat').stdout.slice(0, 2000);
      throw new Error(`no marker in the workspace; its /tmp:\n${tmp}\nticks:\n${readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').slice(0, 4000)}`);
    }
    expect(live).toBeGreaterThan(0);
    for (const role of ['loop', 'setup', 'gates']) expect(`${role}: ${markersIn(role)}`).toBe(`${role}: 0`);
    expect(readdirSync(stateDir).filter((n) => n.includes('pwned'))).toEqual([]);
    expect(readdirSync(join(stateDir, 'run', 'mirror.git')).filter((n) => n.includes('pwned'))).toEqual([]);
    expect(hostMarkers()).toEqual([]);
    // The loop also found what alpha planted in the clone's .git after that tick and had the
    // workspace disable it (git-hook-guard.ts): the turn failed with the finding.
    const planted = readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.event === 'tick' && l.peer === 'alpha' && (l.findings ?? []).some((f: { kind: string }) => f.kind === 'planted-git-hook'));
    expect(planted?.success).toBe(false);
    expect(readFileSync(join(stateDir, 'run', 'clone', '.git', 'config'), 'utf8')).not.toContain('evil.gitconfig');
  });

  test('host commands run nothing a peer planted, on the user\'s repository and on the peers\' clone itself', () => {
    const clone = join(stateDir, 'run', 'clone');
    // A process a peer leaves running can plant everything again after the loop disabled it. Stop
    // the loop (nothing disables them now; the workspace stops with it), then re-arm the traps as
    // the peer would, with the workspace image on the clone.
    expect(podmanAsUser(['stop', '-t', '30', cname('loop')]).code).toBe(0);
    const rearm = podmanAsUser(['run', '--rm', '--network=none', '--userns=keep-id', '--user', `${uid()}:${uid()}`, '--entrypoint', '/bin/sh', '-v', `${clone}:/work`, 'localhost/peers-workspace:latest', '-c', `cat > /tmp/plant.sh <<'PLANT_EOF'\n${PLANT}\nPLANT_EOF\nsh /tmp/plant.sh /work ${TOKEN}`]);
    expect(rearm.code, rearm.stderr).toBe(0);
    expect(readFileSync(join(clone, '.git', 'config'), 'utf8')).toContain('evil.gitconfig');
    const runs: [string, string[], number[]][] = [
      ['status', ['status'], [0]],
      ['report', ['report'], [0]],
      ['replay', ['replay', '2'], [0]],
      ['bugs', ['bugs'], [0]],
      ['check', ['check', 'self-review-on-handoff'], [0, 1]],
      ['check no-new-skip-markers', ['check', 'no-new-skip-markers'], [0, 1]],
      ['check on the clone', ['check', 'self-review-on-handoff', clone], [0]],
      ['bugs on the clone', ['bugs', clone], [0]],
      ['check no-secrets on the clone', ['check', 'no-secrets', clone], [0, 1]],
    ];
    for (const [what, args, codes] of runs) {
      const r = peers(args);
      expect(`${what}: ${codes.includes(r.code) ? 'ok' : `exit ${r.code}: ${r.stderr.slice(-400)}`}`).toBe(`${what}: ok`);
      expect(`${what}: ${hostMarkers().join(',')}`).toBe(`${what}: `);
    }
    // status published the run's work as the branch.
    expect(userGit(repo, ['log', '--format=%s', '-1', 'peers/app']).stdout.trim()).toMatch(/^work by (alpha|beta)$/);
  });

  test('down: the branch holds the results, the repository is byte-identical, and plain git on it runs nothing', () => {
    const r = peers(['down', '--grace', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('results: branch peers/app');
    expect(r.stdout).toContain('your repository: unchanged since `peers up`');
    expect(hostMarkers()).toEqual([]);
    expect(userRepoBytes()).toEqual(before);
    // What a user does in the morning, with the peers' history (attributes, evil.gitconfig) in it.
    for (const args of [['status'], ['diff'], ['log', '-p', '--all'], ['log', '-p', 'feature..peers/app'], ['diff', 'feature', 'peers/app'], ['show', 'peers/app']]) {
      const g = userGit(repo, args);
      expect(`${args.join(' ')}: ${g.code}`).toBe(`${args.join(' ')}: 0`);
    }
    expect(userGit(main, ['checkout', '-q', 'peers/app']).code).toBe(0);
    expect(userGit(main, ['status', '--short']).stdout).toBe('');
    expect(hostMarkers()).toEqual([]);
    expect(readFileSync(join(repo, 'app.txt'), 'utf8')).toBe('base\nuncommitted edit\n');
    expect(readFileSync(join(repo, 'notes-local.txt'), 'utf8')).toBe('mine, not committed\n');
  });

  test('verify (it writes .peers/VERIFY.md, so after the byte comparison) runs nothing either', () => {
    const r = peers(['verify']);
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toContain('has-work');
    expect(hostMarkers()).toEqual([]);
  });

  test('a .peers/ changed since the run\'s snapshot: up prints the diff and refuses without --accept-changes', () => {
    writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: []\n');
    const r = peers(['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(".peers/ changed since the last run's snapshot (.peers/goals.yaml modified)");
    expect(r.stderr).toContain('+goals: []');
    expect(r.stderr).toContain('--accept-changes');
    expect(podmanAsUser(['pod', 'exists', `peers-${key}`]).code).not.toBe(0);
    expect(readFileSync(join(stateDir, 'snapshot', 'goals.yaml'), 'utf8')).toBe(GOALS);
  });

  test('the traps are real: plain git in the peers\' clone on the host would have run them', () => {
    const clone = join(stateDir, 'run', 'clone');
    userGit(clone, ['log', '-p', '-2']);
    expect(hostMarkers().length).toBeGreaterThan(0);
  });
});
