/**
 * Runs rootless podman (and peers) as the unprivileged test user, the way a real user would: the
 * tests run as root in CI, so every command goes through `runuser` with a clean, complete
 * environment (HOME, XDG_RUNTIME_DIR, PATH). Also makes sure the one-time setup (podman config,
 * offline base image, workspace image) is done, under a lock, so parallel test files share it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const TEST_USER = process.env.PEERS_TEST_USER || 'peerstest';
const REPO = resolve(import.meta.dir, '..', '..');
/**
 * A copy of the compiled binary the test user can read (the checkout may live under /root). One
 * per checkout, so two checkouts testing at once on one machine never run each other's binary.
 */
const CHECKOUT_ID = createHash('sha256').update(REPO).digest('hex').slice(0, 8);
export const PEERS_BIN_DIR = `/var/lib/peers-test/bin-${CHECKOUT_ID}`;
export const PEERS_BIN = `${PEERS_BIN_DIR}/peers`;

export type Run = { code: number; stdout: string; stderr: string };

function userInfo(): { uid: number; gid: number; home: string } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${TEST_USER}:`));
  if (!line) throw new Error(`test user ${TEST_USER} does not exist (test/setup.sh creates it)`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const u = userInfo();
  const env: Record<string, string> = { HOME: u.home, USER: TEST_USER, LOGNAME: TEST_USER, XDG_RUNTIME_DIR: `/run/user/${u.uid}`, PATH: '/usr/local/bin:/usr/bin:/bin' };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE']) if (process.env[k]) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

/** `argv` run as the test user with exactly `env` (userEnv's, plus the caller's). */
function runuserArgv(argv: string[], extraEnv: Record<string, string> | undefined): string[] {
  return ['runuser', '-u', TEST_USER, '--', 'env', '-i', ...Object.entries(userEnv(extraEnv)).map(([k, v]) => `${k}=${v}`), ...argv];
}

/** stderr without rootless podman's warnings about this machine, which every podman call prints. */
function withoutHostWarnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/is not a shared mount|Resource limits are not supported/.test(l))
    .join('\n');
}

export function asUser(argv: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Run {
  const [bin, ...args] = runuserArgv(argv, opts.env);
  const r = spawnSync(bin!, args, {
    cwd: opts.cwd ?? '/',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    input: opts.input,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: withoutHostWarnings(r.stderr ?? '') };
}

/** A command started as the test user and left running: its output so far, a wait for a line of it, its end. */
export type Started = { output: () => string; waitForOutput: (text: string, timeoutMs: number) => Promise<void>; done: (timeoutMs: number) => Promise<Run> };

export function startAsUser(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Started {
  const child = Bun.spawn(runuserArgv(argv, opts.env), { cwd: opts.cwd ?? '/', stdout: 'pipe', stderr: 'pipe' });
  let stdout = '';
  let stderr = '';
  // Woken at every chunk of output and at the end: a wait for a line is a wait on the output itself.
  let wake = () => {};
  const pump = async (stream: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      add(decoder.decode(chunk, { stream: true }));
      wake();
    }
  };
  let ended = false;
  const read = Promise.all([pump(child.stdout, (t) => (stdout += t)), pump(child.stderr, (t) => (stderr += t))]).finally(() => {
    ended = true;
    wake();
  });
  const within = async <T>(what: string, p: Promise<T>, timeoutMs: number): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`)), timeoutMs)));
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    output: () => stdout,
    waitForOutput: (text, timeoutMs) =>
      within(`"${text}" in the output`, (async () => {
        while (!stdout.includes(text)) {
          if (ended) throw new Error(`the command ended before printing "${text}"; stdout:\n${stdout}\nstderr:\n${stderr}`);
          await new Promise<void>((resolve) => (wake = resolve));
        }
      })(), timeoutMs),
    done: (timeoutMs) => within('the command to end', child.exited.then(async (code) => (await read, { code, stdout, stderr: withoutHostWarnings(stderr) })), timeoutMs),
  };
}

export function podmanAsUser(args: string[], timeoutMs = 60_000): Run {
  return asUser(['podman', ...args], { timeoutMs });
}

export function uid(): number {
  return userInfo().uid;
}

/**
 * One-time machine setup shared by every e2e file: user, podman config and both images.
 * test/setup.sh normally did it already; this repeats the idempotent step under a lock.
 */
export function ensurePodmanReady(): void {
  if (process.getuid?.() !== 0) throw new Error('the e2e tests run as root (they drive podman as the test user via runuser)');
  const dist = join(REPO, 'dist', 'peers');
  if (!existsSync(dist)) throw new Error('dist/peers is missing: run `bun build.ts` (test/setup.sh does)');
  const ready =
    existsSync(join(userInfo().home, '.config/containers/containers.conf')) &&
    existsSync(`/run/user/${userInfo().uid}`) && podmanAsUser(['image', 'exists', 'localhost/peers-workspace:latest']).code === 0;
  if (!ready) {
    const r = spawnSync('flock', ['/var/lock/peers-e2e-setup.lock', 'bash', '-c', 'set -euo pipefail; source test/setup.d/podman.sh'], { cwd: REPO, encoding: 'utf8', timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`podman setup failed: ${r.stdout}\n${r.stderr}`);
  }
  mkdirSync(PEERS_BIN_DIR, { recursive: true, mode: 0o755 });
  if (!existsSync(PEERS_BIN) || statSync(PEERS_BIN).mtimeMs < statSync(dist).mtimeMs) {
    // Copy then rename: a running container may be executing the old binary (ETXTBSY otherwise).
    const tmp = `${PEERS_BIN}.${process.pid}.tmp`;
    copyFileSync(dist, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, PEERS_BIN);
  }
}

/**
 * Whatever a run of project `key` left, failed or not: its pod, the containers beside it (loop,
 * setup, gates, egress), the dependency cache volume, its run directory and its runners' dirs (in the
 * test user's default cache: sandbox/pod-plan.ts runnerDirsRoot).
 */
export function removeRunLeftovers(key: string): void {
  // --ignore: without it podman 4.3 removes none of the names if one is already gone.
  podmanAsUser(['pod', 'rm', '-f', '--ignore', `peers-${key}`]);
  podmanAsUser(['rm', '-f', '--ignore', ...['loop', 'setup', 'gates', 'egress'].map((role) => `peers-${key}-${role}`)]);
  podmanAsUser(['volume', 'rm', '-f', `peers-${key}-gates-cache`]);
  rmSync(`/run/user/${uid()}/peers/${key}`, { recursive: true, force: true });
  rmSync(join(userInfo().home, '.cache', 'peers', 'pods', key), { recursive: true, force: true });
}

/** The project key of the pod `peers up` said it created (`creating pod peers-<key>`), or undefined when it made none. */
export function podKeyIn(upStderr: string): string | undefined {
  return /creating pod peers-(\S+)/.exec(upStderr)?.[1];
}

/** podKeyIn, for an up that must have made its pod: fails with what up said instead. */
export function podKeyOf(upStderr: string): string {
  const key = podKeyIn(upStderr);
  if (key === undefined) throw new Error(`peers up created no pod; it said: ${upStderr.slice(-1500)}`);
  return key;
}

export type UserProject = { root: string; repo: string; env: Record<string, string> };

/**
 * A project as a user makes it, owned by the test user: a temp root (`prefix` names it) holding
 * the user's XDG config and state and `app/`, a git repository with an identity, `peers init` run
 * in it, its own config and goals written over what init wrote, `ignored` paths in
 * .git/info/exclude, and one empty commit. Both keys are set (claude and codex peers need theirs);
 * no vendor is called by these tests' script peers.
 */
export function makeUserProject(o: { prefix: string; config: string; goals: string; ignored?: string[] }): UserProject {
  const root = mkdtempSync(`/var/tmp/peers-e2e-${o.prefix}-`);
  chownSync(root, uid(), uid());
  const env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: 'sk-ant-unused', OPENAI_API_KEY: 'sk-unused' };
  const exclude = o.ignored?.length ? ` && printf '%s\\n' ${o.ignored.map((p) => `'${p}'`).join(' ')} >> .git/info/exclude` : '';
  const setup = asUser(['sh', '-ec', `cd ${root} && git init -q app && cd app && git config user.email t@e && git config user.name t && ${PEERS_BIN} init >/dev/null${exclude} && git commit -q --allow-empty -m start`], { env });
  if (setup.code !== 0 || setup.stderr !== '') throw new Error(`making the test project failed (exit ${setup.code}): ${setup.stderr}`);
  const repo = join(root, 'app');
  for (const [file, text] of [['config.yaml', o.config], ['goals.yaml', o.goals]] as const) {
    writeFileSync(join(repo, '.peers', file), text);
    chownSync(join(repo, '.peers', file), uid(), uid());
  }
  return { root, repo, env };
}
