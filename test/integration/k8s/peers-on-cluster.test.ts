/**
 * The whole Kubernetes flow as a user runs it (`peers up --target k8s`, `status`, `logs -f`,
 * `down`), the real CLI against a stand-in API server (kube-stand-in.ts): every object applied,
 * the repository streamed into the run Pod through exec over the v5 channel protocol and unpacked
 * by the real `peers k8s unpack`, the state and the commits brought home by the real `peers k8s
 * pack` and git, and the run's commits published as `peers/<project>` in the user's repository.
 * The requests each command makes are asserted in order (a poll repeated while waiting counts once).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths } from '../../../src/state/paths.ts';
import { readPolicyIfPresent } from '../../../src/budget/budget-policy-file.ts';
import { freshState } from '../../../src/state/state-schema.ts';
import { saveState } from '../../../src/state/state-store.ts';
import { PEERS_VERSION } from '../../../src/cli/version.ts';
import { gitIn, makeRepo } from '../cli/peers-cli.ts';
import { KubeStandIn, type SeenRequest } from './kube-stand-in.ts';

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, '..', '..', '..');
const BUN = join(ROOT, 'node_modules', '.bin', 'bun');
const TOKEN = 'stand-in-token-of-dev';
const ANTHROPIC_KEY = 'sk-ant-stand-in-0123456789';
const OPENAI_KEY = 'sk-openai-stand-in-0123456789';
const IDENT = { GIT_AUTHOR_NAME: 'Peer', GIT_AUTHOR_EMAIL: 'peer@example.com', GIT_COMMITTER_NAME: 'Peer', GIT_COMMITTER_EMAIL: 'peer@example.com' };

let root: string;
let repo: string;
let env: Record<string, string>;
let api: KubeStandIn;
let userHead: string;
let runPod = '';
let namespace = '';
let stateClaim = '';
let createdPods: string[] = [];

type Run = { code: number; stdout: string; stderr: string };

/** The CLI as a separate process (the stand-in answers from this one, so never spawnSync). */
function peers(args: string[], o: { stdout?: (s: string) => void } = {}): { done: Promise<Run>; kill: (sig: NodeJS.Signals) => void } {
  const child = Bun.spawn([BUN, join(ROOT, 'src', 'main.ts'), ...args], { cwd: repo, env: { ...env, NO_COLOR: '1' }, stdout: 'pipe', stderr: 'pipe' });
  let stdout = '';
  const reading = (async () => {
    for await (const chunk of child.stdout as unknown as AsyncIterable<Uint8Array>) {
      stdout += new TextDecoder().decode(chunk);
      o.stdout?.(stdout);
    }
  })();
  const done = (async () => {
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text(), reading]);
    return { code, stdout, stderr };
  })();
  return { done, kill: (sig) => child.kill(sig) };
}
const run = (args: string[]) => peers(args).done;

/** Requests since `from` as `METHOD path` (+ what matters of the query), a repeated poll once. */
function since(from: number): string[] {
  const lines = api.requests.slice(from).map((r: SeenRequest) => {
    const q = r.query;
    const extra = q.command ? ` [${q.container}] ${(q.command as string[]).join(' ')}` : q.labelSelector ? `?labelSelector=${q.labelSelector}` : q.follow ? `?container=${q.container}&follow=${q.follow}` : q.gracePeriodSeconds ? `?gracePeriodSeconds=${q.gracePeriodSeconds}` : '';
    return `${r.method} ${r.path}${extra}`;
  });
  return lines.filter((l, i) => !(l.startsWith('GET ') && l === lines[i - 1]));
}

async function waitUntil(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'peers'))) throw new Error('dist/peers is missing: run `bun build.ts` first (the image carries the compiled binary)');
  root = mkdtempSync(join(tmpdir(), 'peers-k8s-flow-'));
  api = new KubeStandIn(join(root, 'node')).start();
  const home = join(root, 'home');
  mkdirSync(home);
  writeFileSync(join(root, 'kubeconfig'), api.kubeconfig(TOKEN));
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
    KUBECONFIG: join(root, 'kubeconfig'),
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    OPENAI_API_KEY: OPENAI_KEY,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  // A real-shaped project: no git identity of its own, `peers init`'s configuration.
  repo = makeRepo(root, 'app');
  const init = await run(['init']);
  expect(init.code, init.stderr).toBe(0);
  userHead = gitIn(repo, ['rev-parse', 'HEAD']);
  // What the loop's PID 1 does on SIGTERM (down): the loop ends, having written its last line.
  api.onExec = (e) => {
    if (e.container === 'loop' && e.argv.join(' ') === '/bin/sh -c kill -TERM 1') {
      api.appendLog(e.pod, 'loop', 'peers loop: SIGTERM: state saved, stopping\n');
      api.setContainer(e.pod, 'loop', { exitCode: 0 });
      return { code: 0 };
    }
    return undefined;
  };
});

afterAll(() => {
  api?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** What the loop does on the cluster for one turn: a commit in the run clone, observed into the trusted mirror. */
function loopCommits(file: string, text: string, subject: string): string {
  const delivered = statePaths(api.claimDir(stateClaim));
  writeFileSync(join(delivered.clone, file), text);
  gitIn(delivered.clone, ['add', file]);
  gitIn(delivered.clone, ['-c', `user.name=${IDENT.GIT_AUTHOR_NAME}`, '-c', `user.email=${IDENT.GIT_AUTHOR_EMAIL}`, 'commit', '-q', '-m', subject]);
  const head = gitIn(delivered.clone, ['rev-parse', 'HEAD']);
  gitIn(delivered.mirror, ['fetch', '-q', delivered.clone, `+${head}:refs/peers/head`]);
  return head;
}

describe('peers on a Kubernetes cluster (stand-in API server)', () => {
  test('up --target k8s applies every object, streams the repository into the run Pod over exec, and waits for the loop', async () => {
    const r = await run(["up", "--target", "k8s", "--registry", "registry.example.com/team", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    namespace = out.namespace;
    runPod = out.pod;
    expect(out).toMatchObject({ already_running: false, resumed: false, context: 'stand-in', namespace: expect.stringMatching(/^peers-app-[0-9a-f]{8}$/) });
    // The image is the one `peers image build --push` made of this binary: version and digest in the tag.
    expect(out.image).toMatch(new RegExp(`^registry\\.example\\.com/team/peers:${PEERS_VERSION.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    stateClaim = `${runPod}-state`;

    const ns = namespace;
    const core = `/api/v1/namespaces/${ns}`;
    const pods = api.stored('Pod').map((p) => p.metadata.name);
    createdPods = pods;
    const others = pods.filter((p) => p !== runPod);
    expect(pods.at(-1)).toBe(runPod);
    const claims = api.stored('PersistentVolumeClaim').map((p) => `POST ${core}/persistentvolumeclaims`);
    const exec = (c: string, argv: string) => `GET ${core}/pods/${runPod}/exec [${c}] ${argv}`;
    const marker = `/volumes/${stateClaim}/.peers-delivery.json`;
    expect(since(0)).toEqual([
      `GET /api/v1/namespaces/${ns}/pods/${runPod}`,
      `GET ${core}/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/project=${runPod.slice('peers-'.length)}`,
      `GET /api/v1/namespaces/${ns}`,
      'POST /api/v1/namespaces',
      `POST ${core}/secrets`,
      `POST ${core}/secrets`,
      ...api.stored('ConfigMap').map(() => `POST ${core}/configmaps`),
      ...claims,
      `POST /apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
      `POST /apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
      ...others.map(() => `POST ${core}/pods`),
      `POST ${core}/pods`,
      `GET ${core}/pods/${runPod}`,
      exec('init', `/usr/local/bin/peers k8s unpack --probe --marker ${marker}`),
      exec('init', `/usr/local/bin/peers k8s unpack --into state=/volumes/${stateClaim} --marker ${marker} --base ${userHead}`),
      `GET ${core}/pods/${runPod}`,
    ]);
    // Every call carried the kubeconfig's bearer token; every exec spoke the v5 channel protocol.
    expect(new Set(api.requests.map((q) => q.auth))).toEqual(new Set([`Bearer ${TOKEN}`]));
    expect(new Set(api.requests.filter((q) => q.path.endsWith('/exec')).map((q) => q.protocol))).toEqual(new Set(['v5.channel.k8s.io']));
    // Created with strict field validation, as the field manager `peers`.
    for (const q of api.requests.filter((x) => x.method === 'POST')) expect([q.query.fieldValidation, q.query.fieldManager]).toEqual(['Strict', 'peers']);

    // The keys are in the Secret, and in no other object the cluster holds.
    const secrets = api.stored('Secret') as unknown as { metadata: { name: string }; data: Record<string, string> }[];
    const secret = secrets.find((x) => x.metadata.name.endsWith('-credentials'))!;
    expect(Object.values(secret.data).map((v) => Buffer.from(v, 'base64').toString()).sort()).toEqual([ANTHROPIC_KEY, OPENAI_KEY].sort());
    for (const kind of ['Pod', 'ConfigMap', 'PersistentVolumeClaim', 'NetworkPolicy', 'Namespace']) {
      for (const o of api.stored(kind)) expect(JSON.stringify(o)).not.toContain(ANTHROPIC_KEY.slice(7));
    }
    // Each runner's per-run key is in a Secret of its own, and in no other object (SECURITY.md, "Runner sockets").
    const runnerKeys = secrets.find((x) => x.metadata.name.endsWith('-runner-keys'))!;
    const keys = Object.fromEntries(['workspace', 'setup', 'gates'].map((r) => [r, Buffer.from(runnerKeys.data[r]!, 'base64').toString()]));
    for (const key of Object.values(keys)) {
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      for (const kind of ['Pod', 'ConfigMap', 'PersistentVolumeClaim', 'NetworkPolicy', 'Namespace']) for (const o of api.stored(kind)) expect(JSON.stringify(o)).not.toContain(key);
    }
    expect(new Set(Object.values(keys)).size).toBe(3);

    // The delivery landed on the state claim: the run clone at the user's HEAD, nothing of the host's paths.
    const delivered = statePaths(api.claimDir(stateClaim));
    expect(gitIn(delivered.clone, ['rev-parse', 'HEAD'])).toBe(userHead);
    expect(JSON.parse(readFileSync(join(api.claimDir(stateClaim), '.peers-delivery.json'), 'utf8'))).toMatchObject({ base: userHead });
    expect(gitIn(repo, ['rev-parse', 'HEAD'])).toBe(userHead);
  });

  test('status reads the running loop from the API and brings the state and the run\'s commits home', async () => {
    // The loop's work on the cluster: a commit in the run clone, observed into the trusted mirror.
    const delivered = statePaths(api.claimDir(stateClaim));
    loopCommits('work.txt', 'done by alpha\n', 'work by alpha');
    api.appendLog(runPod, 'loop', 'peers loop: tick 1 alpha: handoff\n');
    saveState(delivered.state, { ...freshState(['alpha', 'beta']), tick: 1 });

    const from = api.requests.length;
    const r = await run(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ status: 'running', tick: 1, results: { branch: 'peers/app', ahead: 1 } });
    const core = `/api/v1/namespaces/${namespace}`;
    const mirror = '/state/run/mirror.git';
    const git = `env GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/tmp git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c safe.directory=* -C ${mirror}`;
    expect(since(from)).toEqual([
      `GET ${core}/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/project=${runPod.slice('peers-'.length)}`,
      `GET ${core}/pods/${runPod}/exec [reader] /usr/local/bin/peers k8s pack --dir /state --as state --exclude run --exclude prompts --exclude logs --exclude sidecars --exclude run.lock --exclude .peers-delivery.json`,
      `GET ${core}/pods/${runPod}/exec [reader] ${git} rev-parse --verify --quiet refs/peers/head^{commit}`,
      `GET ${core}/pods/${runPod}/exec [reader] ${git} bundle create - refs/peers/head ^${userHead}`,
    ]);
    expect(gitIn(repo, ['log', '--format=%s', 'peers/app', '-1'])).toBe('work by alpha');
  });

  test('logs --peer shows a turn of the run on the cluster (its logs brought home by the reader); with -f it is refused, exit 2', async () => {
    const delivered = statePaths(api.claimDir(stateClaim));
    mkdirSync(delivered.logs, { recursive: true });
    writeFileSync(join(delivered.logs, 'tick-00001-alpha.stdout.log'), 'alpha: implemented step 1\n');
    const shown = await run(['logs', '--peer', 'alpha']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('alpha: implemented step 1');
    const followed = await run(['logs', '--peer', 'alpha', '-f']);
    expect(followed.code).toBe(2);
    expect(followed.stderr).toContain('peers logs --peer NAME -f cannot follow a turn of a run on Kubernetes');
  });

  // Each refused before anything reaches the cluster: no request at all.
  const refusals: [string, string[], string, string][] = [
    ['--fresh', ['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--fresh'], '--fresh is not available with --target k8s', 'peers down --purge deletes the run and its volumes on the cluster'],
    ['--max-runtime', ['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--max-runtime', '8h'], '--max-runtime is not available with --target k8s', 'set budget.max_runtime_s in .peers/config.yaml'],
    ['--clone-only', ['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--clone-only'], '--clone-only is not available with --target k8s', 'peers up --dry-run k8s shows what would be applied'],
    ['--dry-run podman', ['up', '--target', 'k8s', '--dry-run', 'podman'], '--dry-run podman prints a podman pod, but --target k8s', 'peers up --dry-run k8s prints what --target k8s applies'],
    ['--credentials oauth-file', ['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--credentials', 'oauth-file'], '--credentials oauth-file cannot run on Kubernetes', 'use API keys (ANTHROPIC_API_KEY, OPENAI_API_KEY) with --target k8s'],
    ['--accept-changes on a run that resumes', ['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--accept-changes'], '--accept-changes cannot reach a run that resumes on the cluster', 'peers down --purge, then peers up --target k8s --accept-changes'],
    ['another --max-usd on a run that resumes', ['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--max-usd', '9999'], '--max-usd 9999 cannot reach a run that resumes on the cluster: it keeps', 'peers down --purge, then peers up --target k8s --max-usd N'],
    ['pause', ['pause', 'alpha'], 'peers pause is not available for a run on Kubernetes', 'edit .peers/config.yaml and start a new run'],
    ['resume', ['resume', 'alpha'], 'peers resume is not available for a run on Kubernetes', 'edit .peers/config.yaml and start a new run'],
    ['reset', ['reset'], 'peers reset is not available for a run on Kubernetes', 'the next peers up --target k8s starts over from your HEAD'],
  ];
  for (const [what, args, message, hint] of refusals) {
    test(`${what} cannot be honoured on the cluster: refused by name, exit 2, nothing sent to the API`, async () => {
      const from = api.requests.length;
      const r = await run(args);
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(hint);
      expect(api.requests.slice(from)).toEqual([]);
    });
  }

  test('Ctrl-C ends logs -f, never the run: the loop keeps running and nothing but the log was asked for', async () => {
    const from = api.requests.length;
    // As a user does: Ctrl-C once the log is on the screen (the stand-in counts a follower as soon
    // as the request arrives, before the first line has reached the CLI's stdout).
    let shown = '';
    const logs = peers(['logs', '-f'], { stdout: (s) => { shown = s; } });
    await waitUntil('logs -f to follow the loop log', () => api.followers(runPod, 'loop') > 0);
    await waitUntil('the first log line on stdout', () => shown.includes('tick 1 alpha: handoff\n'));
    logs.kill('SIGINT');
    const l = await logs.done;
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toStartWith('peers loop: tick 1 alpha: handoff\n');
    await waitUntil('the log stream to be released', () => api.followers(runPod, 'loop') === 0);
    const core = `/api/v1/namespaces/${namespace}`;
    expect(since(from)).toEqual([
      `GET ${core}/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/project=${runPod.slice('peers-'.length)}`,
      `GET ${core}/pods/${runPod}/log?container=loop&follow=true`,
    ]);
    const s = await run(['status', '--json']);
    expect(JSON.parse(s.stdout).status).toBe('running');
  });

  test('logs -f follows the loop container\'s log (follow=true) until the container ends; down stops the loop, removes the run and publishes peers/app', async () => {
    const from = api.requests.length;
    const logs = peers(['logs', '-f']);
    const got = () => api.followers(runPod, 'loop') > 0;
    await waitUntil('logs -f to follow the loop log', got);
    api.appendLog(runPod, 'loop', 'peers loop: tick 2 beta: handoff\n');

    const down = await run(['down', '--json']);
    expect(down.code, down.stderr).toBe(0);
    const l = await logs.done;
    expect(l.code, l.stderr).toBe(0);
    // Everything the loop wrote, in order, and the stream ended with the container.
    expect(l.stdout).toBe('peers loop: tick 1 alpha: handoff\npeers loop: tick 2 beta: handoff\npeers loop: SIGTERM: state saved, stopping\n');

    const d = JSON.parse(down.stdout);
    expect(d).toMatchObject({ was_running: true, results: { branch: 'peers/app' } });
    expect(d.repo_check).toMatchObject({ checked: true, unchanged: true, changed: [] });
    const core = `/api/v1/namespaces/${namespace}`;
    const net = `/apis/networking.k8s.io/v1/namespaces/${namespace}`;
    const project = runPod.slice('peers-'.length);
    const reqs = since(from);
    const logRequests = reqs.filter((x) => x.includes('/log'));
    expect(logRequests).toEqual([`GET ${core}/pods/${runPod}/log?container=loop&follow=true`]);
    const rest = reqs.filter((x) => !x.includes('/log'));
    const podsSelector = `GET ${core}/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/project=${project}`;
    const mirror = '/state/run/mirror.git';
    const git = `env GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/tmp git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c safe.directory=* -C ${mirror}`;
    const podNames = api.requests.filter((q) => q.method === 'DELETE' && q.path.startsWith(`${core}/pods/`)).map((q) => q.path.slice(`${core}/pods/`.length));
    expect(rest).toEqual([
      // logs -f: the run Pod, then its log
      podsSelector,
      // down
      podsSelector,
      `GET ${core}/pods/${runPod}/exec [loop] /bin/sh -c kill -TERM 1`,
      `GET ${core}/pods/${runPod}`,
      `GET ${core}/pods/${runPod}/exec [reader] /usr/local/bin/peers k8s pack --dir /state --as state --exclude run --exclude run.lock --exclude .peers-delivery.json`,
      `GET ${core}/pods/${runPod}/exec [reader] ${git} rev-parse --verify --quiet refs/peers/head^{commit}`,
      ...podNames.map((p) => `DELETE ${core}/pods/${p}?gracePeriodSeconds=5`),
      `DELETE ${net}/networkpolicies/peers-${project}-isolate`,
      `DELETE ${net}/networkpolicies/peers-${project}-egress-out`,
      `DELETE ${core}/secrets/peers-${project}-credentials`,
      `DELETE ${core}/secrets/peers-${project}-runner-keys`,
      `DELETE ${core}/configmaps/peers-${project}-control`,
    ]);
    expect(podNames.toSorted()).toEqual(createdPods.toSorted());
    // Nothing of the run is left but its claims (the next up resumes from them) and the namespace.
    expect(api.stored('Pod')).toEqual([]);
    expect(api.stored('Secret')).toEqual([]);
    expect(api.stored('NetworkPolicy')).toEqual([]);
    expect(api.stored('PersistentVolumeClaim').length).toBeGreaterThan(0);
    // The run's commit is the results branch; the user's branch and HEAD are untouched.
    expect(gitIn(repo, ['log', '--format=%s', `${userHead}..peers/app`])).toBe('work by alpha');
    expect(gitIn(repo, ['rev-parse', 'HEAD'])).toBe(userHead);
    expect(gitIn(repo, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(existsSync(join(repo, 'work.txt'))).toBe(false);
  });
  test('up again resumes from the state claim: the claims are kept, the Pods made anew, nothing delivered twice', async () => {
    const from = api.requests.length;
    // The cap the run was delivered with, given again, is no change: accepted.
    const cap = readPolicyIfPresent(api.claimDir(stateClaim))?.max_usd;
    expect(cap).toBeGreaterThan(0);
    const r = await run(['up', '--target', 'k8s', '--registry', 'registry.example.com/team', '--max-usd', String(cap), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ already_running: false, resumed: true, namespace, pod: runPod });
    const core = `/api/v1/namespaces/${namespace}`;
    const project = runPod.slice('peers-'.length);
    expect(since(from)).toEqual([
      `GET ${core}/pods/${runPod}`,
      `GET ${core}/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/project=${project}`,
      `GET /api/v1/namespaces/${namespace}`,
      `POST ${core}/secrets`,
      `POST ${core}/secrets`,
      ...api.stored('ConfigMap').map(() => `POST ${core}/configmaps`),
      ...api.stored('PersistentVolumeClaim').map(() => `POST ${core}/persistentvolumeclaims`),
      `POST /apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
      `POST /apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
      ...createdPods.map(() => `POST ${core}/pods`),
      `GET ${core}/pods/${runPod}`,
      // The init container found the delivery and ended before it could be asked: the reader answers.
      `GET ${core}/pods/${runPod}/exec [reader] /usr/local/bin/peers k8s unpack --probe --marker /state/.peers-delivery.json`,
      `GET ${core}/pods/${runPod}`,
    ]);
    // Each claim was answered 409 AlreadyExists and kept: the run's state is the one it left.
    expect(api.stored('PersistentVolumeClaim').length).toBe(3);
    expect(gitIn(statePaths(api.claimDir(stateClaim)).mirror, ['log', '--format=%s', '-1', 'refs/peers/head'])).toBe('work by alpha');
  });

  test('report brings the whole state and the new commits home; ls --target k8s lists the run across the cluster', async () => {
    const prev = gitIn(repo, ['rev-parse', 'peers/app']);
    loopCommits('more.txt', 'done by beta\n', 'work by beta');
    const from = api.requests.length;
    const r = await run(['report', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results).toMatchObject({ branch: 'peers/app', ahead: 2 });
    const core = `/api/v1/namespaces/${namespace}`;
    const git = `env GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=/tmp git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c safe.directory=* -C /state/run/mirror.git`;
    expect(since(from)).toEqual([
      `GET ${core}/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/project=${runPod.slice('peers-'.length)}`,
      `GET ${core}/pods/${runPod}/exec [reader] /usr/local/bin/peers k8s pack --dir /state --as state --exclude run --exclude run.lock --exclude .peers-delivery.json`,
      `GET ${core}/pods/${runPod}/exec [reader] ${git} rev-parse --verify --quiet refs/peers/head^{commit}`,
      `GET ${core}/pods/${runPod}/exec [reader] ${git} bundle create - refs/peers/head ^${prev}`,
    ]);
    expect(gitIn(repo, ['log', '--format=%s', `${userHead}..peers/app`]).split('\n')).toEqual(['work by beta', 'work by alpha']);

    const from2 = api.requests.length;
    const ls = await run(['ls', '--target', 'k8s', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(since(from2)).toEqual(['GET /api/v1/pods?labelSelector=app.kubernetes.io/managed-by=peers,peers.dev/pod=run']);
    const listed = JSON.parse(ls.stdout);
    expect(listed.context).toBe('stand-in');
    expect(listed.runs).toHaveLength(1);
    expect(listed.runs[0]).toMatchObject({ namespace, status: 'running', repository: repo });
  });

  test('down --purge also deletes the claims and the namespace peers made, and the project is no longer on the cluster', async () => {
    const from = api.requests.length;
    const r = await run(['down', '--purge', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ was_running: true });
    const core = `/api/v1/namespaces/${namespace}`;
    const deletes = since(from).filter((l) => l.startsWith('DELETE '));
    expect(deletes.slice(-4)).toEqual([
      ...api.requests.filter((q) => q.method === 'POST' && q.path === `${core}/persistentvolumeclaims`).slice(0, 3).map((q) => `DELETE ${core}/persistentvolumeclaims/${(q.body as { metadata: { name: string } }).metadata.name}`),
      `DELETE /api/v1/namespaces/${namespace}`,
    ]);
    for (const kind of ['Pod', 'Secret', 'NetworkPolicy', 'PersistentVolumeClaim', 'Namespace']) expect(api.stored(kind)).toEqual([]);
    // The registry forgets the cluster: status reads this machine again, without a request to the API.
    const from2 = api.requests.length;
    const s = await run(['status', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(api.requests.length).toBe(from2);
  });
});
