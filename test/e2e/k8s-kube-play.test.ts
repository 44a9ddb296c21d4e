/**
 * The Kubernetes target run for real, without a cluster: `peers up --dry-run k8s` renders the
 * objects `peers up --target k8s` applies, `podman kube play` runs the Pods (kube-play.ts lists
 * what podman 4.3 does not implement and what stands in for it: NetworkPolicy by --network none,
 * claims by node directories, subPath by binding each subdirectory), and the host side runs the
 * same functions `up`, `status` and `down` call (delivery, state, results branch) with `podman
 * exec` in place of the API's exec (k8s-host-driver.ts), as the unprivileged test user.
 *
 * Fake peers drive the real loop to `complete`. Each turn records where it runs and leaves a
 * server on the workspace's loopback; the hard gates check they run in the gates Pod, away from
 * that loopback and from the state.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { K8sObject } from '../../sandbox/k8s/k8s-render.ts';
import { forPodman, type PodmanPlay } from './kube-play.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, TEST_USER, uid, userEnv } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(240_000);

const REPO = resolve(import.meta.dir, '..', '..');
const BUN = join(REPO, 'node_modules', '.bin', 'bun');
const DRIVER = join(import.meta.dir, 'k8s-host-driver.ts');

let root: string;
let repo: string;
let env: Record<string, string>;
let objects: K8sObject[];
let play: PodmanPlay;
let image = '';
let secretName = '';
let base = '';
let userHead = '';
let ticks = 0;
const starts: ChildProcess[] = [];
const pods = () => objects.filter((o) => o.kind === 'Pod').map((o) => o.metadata!.name!);
const runPod = () => objects.find((o) => o.kind === 'Pod' && o.metadata?.labels?.['peers.dev/pod'] === 'run')!.metadata!.name!;
const driver = (args: string[]) => asUser([BUN, DRIVER, ...args], { cwd: root, env, timeoutMs: 180_000 });
const inRun = (container: string, script: string) => podmanAsUser(['exec', `${runPod()}-${container}`, 'sh', '-c', script]);

/** Records where the turn runs, leaves a server on the workspace loopback, commits a handoff. */
const PEER = `set -e
cat >/dev/null
cd /work
setsid node -e "require('net').createServer(s=>s.end('tests pass')).listen(5077,'127.0.0.1')" >/dev/null 2>&1 </dev/null &
for i in 1 2 3 4 5 6 7 8 9 10; do node -e "require('net').connect(5077,'127.0.0.1').on('data',d=>{process.stdout.write(String(d));process.exit(0)}).on('error',()=>process.exit(1))" >/tmp/server && break; sleep 0.3; done
{
  echo "runner-socket=$(ls /run/peers | grep -v -e lifeline -e -key)"
  echo "server=$(cat /tmp/server)"
  if [ -d /run/peers/workspace-key ]; then echo "runner-key-files=$(ls -A /run/peers/workspace-key | wc -l)"; else echo runner-key-files=no-dir; fi
  if ls /state >/dev/null 2>&1; then echo state=readable; else echo state=absent; fi
  echo "peers-dir-entries=$(ls -A .peers | wc -l)"
  echo "vendor-url=$ANTHROPIC_BASE_URL"
  if env | grep -q '^ANTHROPIC_API_KEY=sk-ant-e2e'; then echo key=present; else echo key=absent; fi
  echo "interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' ')"
} > evidence-$PEERS_PEER_NAME.txt
echo "tick by $PEERS_PEER_NAME" >> work.txt
git add work.txt evidence-$PEERS_PEER_NAME.txt
printf 'work by %s\\n\\n## Self-Review\\nappended one line\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$PEERS_PEER_NAME" "$PEERS_PEER_NAME" > /tmp/msg
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
  timeout_s: 30
`;
const hard = (id: string, cmd: string) => `  - id: ${id}\n    type: hard\n    cmd: ${JSON.stringify(cmd)}\n    pass_when: exit_code == 0\n`;
const GOALS = `goals:
${hard('committed-work', 'grep -q "tick by" work.txt')}${hard('in-gates-pod', 'test -d /mirror && test ! -e /cache && test ! -e /state && test ! -e /run/peers/workspace && test -S /run/peers/gates/runner.sock')}${hard('workspace-loopback-unreachable', `node -e "require('net').connect(5077,'127.0.0.1').on('connect',()=>process.exit(1)).on('error',()=>process.exit(0))"`)}`;

function waitFor(what: string, cond: () => boolean, ms = 180_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; loop log:\n${podmanAsUser(['logs', `${runPod()}-loop`]).stderr.slice(-3000)}`);
    Bun.sleepSync(1000);
  }
}

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-k8s-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: 'sk-ant-e2e', OPENAI_API_KEY: 'sk-e2e' };
  // The image for this binary: the shared workspace image (as it was built) plus the binary.
  const wsBase = podmanAsUser(['image', 'inspect', '--format', '{{index .Labels "peers.base"}}', 'localhost/peers-workspace:latest']).stdout.trim();
  const built = asUser([PEERS_BIN, 'image', 'build', '--k8s', 'localhost', '--base', wsBase, '--json'], { timeoutMs: 600_000 });
  expect(built.code, built.stderr).toBe(0);
  image = JSON.parse(built.stdout).kubernetes.ref;

  const setup = asUser(['sh', '-ec', `cd ${root} && git init -q app && cd app && git config user.email t@e && git config user.name t && ${PEERS_BIN} init >/dev/null && git commit -q --allow-empty -m start`], { env });
  expect(setup.code, setup.stderr).toBe(0);
  repo = join(root, 'app');
  for (const [f, text] of [['config.yaml', CONFIG], ['goals.yaml', GOALS]] as const) {
    writeFileSync(join(repo, '.peers', f), text);
    chownSync(join(repo, '.peers', f), uid(), uid());
  }
  userHead = asUser(['git', '-C', repo, 'rev-parse', 'HEAD']).stdout.trim();

  // The objects `peers up --target k8s` would apply (the dry run leaves the Secret out: no values).
  const dry = asUser([PEERS_BIN, 'up', '--dry-run', 'k8s', '--registry', 'localhost', '--json'], { cwd: repo, env });
  expect(dry.code, dry.stderr).toBe(0);
  objects = JSON.parse(dry.stdout).objects;
  expect(new Set(objects.filter((o) => o.kind === 'Pod').map((o) => (o as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image))).toEqual(new Set([image]));

  play = forPodman(objects, join(root, 'claims'));
  const dirs = [...Object.values(play.claims), ...[...play.egress, ...play.isolated].flatMap((p) => p.spec!.volumes!.flatMap((v) => (v.hostPath && !play.secretDirs.some((d) => d.path === v.hostPath!.path) ? [v.hostPath.path] : [])))];
  expect(asUser(['mkdir', '-p', ...dirs]).code).toBe(0);
  // The runners' keys, as `up` would put them in their Secret (sandbox/runner-key.ts): each Pod's
  // init container copies its runners' from there, the loop reads them all.
  const runnerKeys = Object.fromEntries(['workspace', 'setup', 'gates'].map((r) => [r, randomBytes(32).toString('hex')]));
  const secretFiles: Record<string, string> = { ...runnerKeys, 'runner-keys.json': `${JSON.stringify(runnerKeys)}\n` };
  for (const d of play.secretDirs) {
    expect(asUser(['mkdir', '-p', d.path]).code).toBe(0);
    for (const i of d.items) {
      writeFileSync(join(d.path, i.path), secretFiles[i.key]!, { mode: 0o400 });
      chownSync(join(d.path, i.path), uid(), uid());
    }
  }
  // What fsGroup does on a node: the claims belong to the run's user (uid 1000 in the Pods).
  expect(asUser(['podman', 'unshare', 'chown', '-R', '1000:1000', join(root, 'claims')]).code).toBe(0);
  writeFileSync(join(root, 'egress.yaml'), play.egress.map((p) => stringify(p)).join('---\n'));
  writeFileSync(join(root, 'isolated.yaml'), play.isolated.map((p) => stringify(p)).join('---\n'));
  // podman's secret store holds what the Secret would: the keys from this environment, by name.
  const auth = play.isolated.flatMap((p) => p.spec!.containers).find((c) => c.name === 'auth')!;
  const refs = auth.env!.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom!.secretKeyRef!);
  secretName = refs[0]!.name!;
  writeFileSync(join(root, 'secret.json'), JSON.stringify(Object.fromEntries(refs.map((r) => [r.key, Buffer.from(env[r.key]!).toString('base64')]))));
  for (const f of ['egress.yaml', 'isolated.yaml', 'secret.json']) chownSync(join(root, f), uid(), uid());
  expect(podmanAsUser(['secret', 'create', secretName, join(root, 'secret.json')]).code).toBe(0);
  // podman does not enforce NetworkPolicy: the Pods the policies isolate get no network at all.
  for (const [file, network] of [['egress.yaml', 'slirp4netns'], ['isolated.yaml', 'none']] as const) {
    const r = podmanAsUser(['kube', 'play', '--start=false', `--network=${network}`, join(root, file)]);
    expect(r.code, r.stderr).toBe(0);
  }
  // Each Pod starts its init container and blocks on it (podman runs init containers to the end).
  for (const pod of pods()) {
    const u = userEnv();
    starts.push(spawn('runuser', ['-u', TEST_USER, '--', 'env', '-i', ...Object.entries(u).map(([k, v]) => `${k}=${v}`), 'podman', 'pod', 'start', pod], { stdio: 'ignore' }));
  }
  waitFor('the run Pod\'s init container', () => podmanAsUser(['container', 'inspect', '--format', '{{.State.Running}}', `${runPod()}-init`]).stdout.trim() === 'true', 60_000);
  const d = driver(['deliver', repo, runPod()]);
  expect(d.code, d.stderr).toBe(0);
  base = d.stdout.trim();
}, 15 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  for (const c of starts) c.kill();
  if (objects) for (const pod of pods()) podmanAsUser(['pod', 'rm', '-f', '--ignore', pod]);
  if (play) for (const v of play.emptyDirs) podmanAsUser(['volume', 'rm', '-f', v]);
  if (secretName) podmanAsUser(['secret', 'rm', secretName]);
  if (image) podmanAsUser(['rmi', '-f', image]);
  if (root) {
    asUser(['podman', 'unshare', 'rm', '-rf', join(root, 'claims')]);
    rmSync(root, { recursive: true, force: true });
  }
});

describe.skipIf(!need.ok)('the rendered Pods on podman', () => {
  test('the loop in the run Pod drives the peers in the workspace container, setup and gates in their own Pods, to `complete`', () => {
    waitFor('the loop to exit', () => podmanAsUser(['container', 'inspect', '--format', '{{.State.Status}}', `${runPod()}-loop`]).stdout.trim() === 'exited');
    expect(podmanAsUser(['container', 'inspect', '--format', '{{.State.ExitCode}}', `${runPod()}-loop`]).stdout.trim()).toBe('0');
    expect(inRun('reader', 'cat /state/last-stop-reason.txt').stdout).toStartWith('complete ');
    const state = JSON.parse(inRun('reader', 'cat /state/state.json').stdout);
    // Clean ticks converge, then the skeptic's re-audit (each tick one commit); every hard gate green in the gates Pod.
    ticks = state.tick;
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(Object.fromEntries(Object.entries(state.gates.results as Record<string, { state: string }>).map(([k, v]) => [k, v.state]))).toEqual({
      'committed-work': 'pass',
      'in-gates-pod': 'pass',
      'workspace-loopback-unreachable': 'pass',
    });
  });

  test('when the loop stops, the rest of the run stops with it (the lifeline crosses Pods on the sockets claim)', () => {
    for (const c of [`${runPod()}-workspace`, `${runPod()}-auth`, `${runPod()}-bridge`, ...pods().filter((p) => p !== runPod()).map((p) => `${p}-${p.slice(p.lastIndexOf('-') + 1)}`)]) {
      waitFor(`${c} to stop`, () => podmanAsUser(['container', 'inspect', '--format', '{{.State.Status}}', c]).stdout.trim() === 'exited', 60_000);
    }
    // The reader outlives the loop: state and commits can still come home.
    expect(podmanAsUser(['container', 'inspect', '--format', '{{.State.Status}}', `${runPod()}-reader`]).stdout.trim()).toBe('running');
  });

  test('each turn ran in the workspace container on the run clone: its own socket dir, no state, an empty .peers/, placeholder credentials, loopback only', () => {
    for (const peer of ['alpha', 'beta']) {
      const ev = Object.fromEntries(inRun('reader', `git -C /state/run/clone show HEAD:evidence-${peer}.txt`).stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
      // The server the peer left answered on the workspace's loopback; the gates did not see it.
      // The workspace runner took its per-run key before any turn ran: nothing left to read.
      expect(ev).toEqual({ 'runner-socket': 'workspace', server: 'tests pass', 'runner-key-files': '0', state: 'absent', 'peers-dir-entries': '0', 'vendor-url': 'http://127.0.0.1:8080', key: 'absent', interfaces: 'lo' });
    }
  });

  test('the commits come home into the trusted mirror and are published as peers/app, the user\'s branch untouched; the state reads as a podman run\'s', () => {
    const fetched = driver(['fetch-back', repo, runPod()]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(JSON.parse(fetched.stdout).results).toMatchObject({ branch: 'peers/app', ahead: ticks, updated: true });
    const log = asUser(['git', '-C', repo, 'log', '--reverse', '--format=%s', `${base}..peers/app`]).stdout.trim().split('\n');
    expect(log).toEqual(Array.from({ length: ticks }, (_, i) => `work by ${i % 2 ? 'beta' : 'alpha'}`));
    expect(base).toBe(userHead);
    expect(asUser(['git', '-C', repo, 'rev-parse', 'HEAD']).stdout.trim()).toBe(userHead);
    expect(asUser(['git', '-C', repo, 'symbolic-ref', 'HEAD']).stdout.trim()).not.toBe('refs/heads/peers/app');
    // The loop read the peers' objects through links it checked, never their store in place
    // (src/git/object-store-links.ts): the clone and the stage share the state volume.
    const stateDir = Object.entries(play.claims).find(([name]) => name.endsWith('-state'))![1];
    expect(existsSync(join(stateDir, 'run', 'stage.git', 'peer-objects.linked'))).toBe(true);
    // Nothing the run wrote is in the user's working tree.
    expect(existsSync(join(repo, 'work.txt'))).toBe(false);
    expect(readFileSync(join(repo, '.peers', 'goals.yaml'), 'utf8')).toBe(GOALS);

    const pulled = driver(['pull-state', repo, runPod()]);
    expect(pulled.code, pulled.stderr).toBe(0);
    const status = asUser([PEERS_BIN, 'status', '--json'], { cwd: repo, env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ tick: ticks, last_stop: { reason: 'complete' }, results: { branch: 'peers/app', ahead: ticks } });
  });
});
