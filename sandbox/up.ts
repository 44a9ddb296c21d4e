/**
 * `peers up`: register the project; fingerprint the user's repository (down proves the run left it
 * alone); adopt the control-plane snapshot (a changed `.peers/` is refused with its diff unless
 * `--accept-changes`); make or reuse the run clone and the trusted mirror in the state dir
 * (run-clone.ts); publish the run's branch; then create and start the pod of pod-spec.ts (egress
 * first, the loop last). Idempotent: a running project is reported, a dead pod from an earlier run
 * is removed and recreated (the loop resumes from the saved tick, on the same clone).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { adoptControlPlane } from '../src/config/control-snapshot.ts';
import { loadConfigFile, loadProject } from '../src/config/load.ts';
import { readUserGitIdentity, userIdentityEnv } from '../src/config/git-identity.ts';
import { findWorkTreeRoot } from '../src/git/repo-layout.ts';
import { isCompiledBinary } from '../src/proc/self-exec.ts';
import { ensureStateDirs, projectKey, stateDirFor, statePaths, type StatePaths } from '../src/state/paths.ts';
import { assertApiKeys } from './credential-check.ts';
import { defaultRunBranch, describePublish, publishRunBranch, type PublishResult } from './publish-branch.ts';
import { fingerprintRepo, saveFingerprint } from './repo-fingerprint.ts';
import { prepareRunClone } from './run-clone.ts';
import { staleImageWarning, WORKSPACE_IMAGE } from './image.ts';
import { buildPodSpec, containerName, MODEL_SERVER_PORT, podName, type PodInputs, STATE_IN_CONTAINER } from './pod-spec.ts';
import { planRunBudget, writeRunBudget } from '../src/budget/run-budget.ts';
import { authSidecarDir } from '../src/budget/ledger-spend.ts';
import { cgroupLimitsAvailable, imageExists, podman, podmanOk, projectContainers } from './podman.ts';
import { renderPodman } from './podman-render.ts';
import { writePodSeccompProfile } from './pod-seccomp.ts';
import { ensureRegistered, findByName, updateRegistry } from './registry.ts';

export type UpOptions = {
  target?: string;
  maxTicks?: number;
  maxUsd?: number;
  maxRuntimeS?: number;
  allow: string[];
  image?: string;
  /** 'oauth-file': the CLIs' own login files instead of API keys (opt-in; see oauthMounts). */
  credentials?: 'api-key' | 'oauth-file';
  progress: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * 'model-server': the peers talk to a scripted model server inside the pod, not to the vendors,
   * so no API key is required (only `peers demo`'s pod launcher sets it; deliberately an option,
   * never an environment variable a user could leave set by accident).
   */
  upstream?: 'vendors' | 'model-server';
  /** Adopt a `.peers/` that changed since the last run's snapshot (refused with the diff otherwise). */
  acceptChanges?: boolean;
  /** Prepare the run (snapshot, fingerprint, clone, branch) and stop before podman (benchmarks, inspection). */
  cloneOnly?: boolean;
  /** Called with the run clone's path before any container starts (the demo puts the CLIs' homes there). */
  prepareClone?: (cloneDir: string) => void;
};
export type UpResult = { name: string; project: string; pod: string; alreadyRunning: boolean; stateDir: string; seconds: number; clone?: string; results?: PublishResult };

/** Where `up` records the user's repository as it was, for `down` to compare. */
export function fingerprintPath(paths: StatePaths): string {
  return join(paths.dir, 'user-repo-fingerprint.json');
}

/** The branch a run's results are published to: config's `results.branch` (from the run's snapshot). */
export function runBranch(paths: StatePaths, key: string): string {
  try {
    return loadConfigFile(join(paths.snapshotDir, 'config.yaml')).results?.branch ?? defaultRunBranch(key);
  } catch {
    return defaultRunBranch(key);
  }
}

/**
 * Publishes the run's head when there is a pod run (a host command's side step; never fails it).
 * A host-only `peers loop` has a mirror but no run clone: its commits are the repository's own.
 */
export function publishIfRun(repo: string, stateDir: string): PublishResult | undefined {
  const paths = statePaths(stateDir);
  if (!existsSync(join(paths.mirror, 'HEAD')) || !existsSync(join(paths.clone, '.git'))) return undefined;
  try {
    return publishRunBranch(repo, paths, runBranch(paths, projectKey(repo)));
  } catch (error) {
    return { branch: runBranch(paths, projectKey(repo)), sha: null, ahead: 0, updated: false, note: `could not publish the run's branch: ${(error as Error).message}` };
  }
}

/** API keys the auth sidecar may need; passed by name when set on the host, never elsewhere. */
const CREDENTIAL_ENV = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENROUTER_API_KEY'];

/**
 * Opt-in OAuth: the directories holding Claude Code's and Codex's login files are mounted into the
 * auth container only, read-write, because a refresh replaces the file atomically (a rename in its
 * directory) and refresh tokens are single-use: the user's login must stay current on the host.
 */
export function oauthMounts(env: NodeJS.ProcessEnv = process.env): { files: PodInputs['secretFiles']; args: string[] } {
  const home = env.HOME || homedir();
  const files: PodInputs['secretFiles'] = [];
  const args = ['--credentials', 'oauth-file', '--upstream', 'anthropic', '--upstream', 'openai'];
  if (existsSync(join(home, '.claude', '.credentials.json'))) {
    files.push({ source: join(home, '.claude'), target: '/auth/claude', readOnly: false });
    args.push('--claude-credentials', '/auth/claude/.credentials.json');
  }
  const codexHome = env.CODEX_HOME || join(home, '.codex');
  if (existsSync(join(codexHome, 'auth.json'))) {
    files.push({ source: codexHome, target: '/auth/codex', readOnly: false });
    args.push('--upstream', 'chatgpt', '--codex-auth', '/auth/codex/auth.json');
  }
  if (!files.length) throw new InputError('--credentials oauth-file: no login file found (~/.claude/.credentials.json or ~/.codex/auth.json)', { hint: 'log in with `claude` or `codex login` on this machine first, or use API keys (the default)' });
  return { files, args };
}

/** PATH, a name from the registry, or the current directory. */
export function resolveProjectDir(target: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (target && !target.includes('/') && !existsSync(target)) {
    const entry = findByName(target, env);
    if (!entry) throw new InputError(`no project named '${target}'`, { hint: 'run `peers ls` to see registered projects, or pass a path' });
    return entry.path;
  }
  const dir = resolve(target ?? '.');
  if (!existsSync(dir)) throw new InputError(`${target} does not exist`);
  const root = findWorkTreeRoot(dir);
  if (!root) throw new InputError(`${dir} is not a git repository`, { hint: 'peers runs on a git repository: git init, then peers init' });
  return root;
}

/** The compiled binary to mount in the containers (a dev checkout uses its dist/peers). */
export function hostBinary(): string {
  if (isCompiledBinary()) return process.execPath;
  const dist = resolve(import.meta.dir, '..', 'dist', 'peers');
  if (!existsSync(dist)) throw new PeersError('no compiled peers binary to mount into the pod', { hint: 'run `bun build.ts` (creates dist/peers)' });
  return dist;
}

export function sharedRoot(project: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR || join(tmpdir(), `peers-${process.getuid?.() ?? 'user'}`);
  return join(base, 'peers', project);
}

/** Where `up` writes the pod's seccomp profile (pod-seccomp.ts); removed with the pod. */
export function seccompProfilePath(project: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(sharedRoot(project, env), 'seccomp.json');
}

/** The pod for this project as data, plus its podman rendering: what `up` runs and `--dry-run` prints. */
export async function planPod(repo: string, o: Pick<UpOptions, 'maxTicks' | 'maxUsd' | 'maxRuntimeS' | 'allow' | 'image' | 'credentials' | 'upstream'>, env: NodeJS.ProcessEnv = process.env) {
  const project = loadProject(repo); // validates config + goals: bad input fails before any podman call
  // podman's --mount syntax is comma-separated key=value: a comma in a host path cannot be expressed.
  for (const p of [stateDirFor(repo, env), hostBinary()]) {
    if (p.includes(',')) throw new InputError(`podman cannot mount a path containing a comma: ${p}`, { hint: 'move or rename the directory (or set XDG_STATE_HOME) so the path has no comma' });
  }
  const key = projectKey(repo);
  const stateDir = stateDirFor(repo, env);
  const paths = statePaths(stateDir);
  const oauth = o.credentials === 'oauth-file' ? oauthMounts(env) : undefined;
  // One budget policy for the whole run, resolved here where the credentials and flags are
  // (src/budget/run-budget.ts): the loop and the auth sidecar both read it from the state dir.
  const budget = planRunBudget({ config: project.config, stateDir, credentials: o.upstream === 'model-server' ? 'model-server' : (o.credentials ?? 'api-key'), env, maxUsd: o.maxUsd });
  const modelServer = o.upstream === 'model-server' ? ['--model-server', `127.0.0.1:${MODEL_SERVER_PORT}`] : [];
  const authArgs = [...(oauth?.args ?? []), ...modelServer, ...budget.authArgs];
  const loopArgs: string[] = [...budget.loopArgs(STATE_IN_CONTAINER)];
  if (o.maxTicks) loopArgs.push('--max-ticks', String(o.maxTicks));
  if (o.maxRuntimeS) loopArgs.push('--max-runtime', String(o.maxRuntimeS));
  const spec = buildPodSpec({
    project: key,
    repoDir: repo,
    stateDir,
    cloneDir: paths.clone,
    mirrorDir: paths.mirror,
    snapshotDir: paths.snapshotDir,
    binaryPath: hostBinary(),
    image: o.image ?? WORKSPACE_IMAGE,
    allow: [...new Set([...(project.config.egress?.allow ?? []), ...o.allow])],
    secretEnv: CREDENTIAL_ENV.filter((k) => env[k]),
    secretFiles: oauth?.files ?? [],
    authArgs,
    oauth: oauth !== undefined,
    upstream: o.upstream,
    loopArgs,
    // The peers commit under the user's git identity (or the default): the pod has no ~/.gitconfig.
    loopEnv: userIdentityEnv(readUserGitIdentity(repo, env)),
    budgetPolicyFile: budget.hostPath,
  });
  const plan = renderPodman(spec, {
    sharedRoot: sharedRoot(key, env),
    cgroupLimits: await cgroupLimitsAvailable(),
    user: `${process.getuid!()}:${process.getgid!()}`,
    seccompProfile: seccompProfilePath(key, env),
    // The egress audit log and the auth usage ledger outlive the pod: they are run history.
    // Gate checkouts can be large (node_modules): on disk beside the run, not in the runtime tmpfs.
    sharedDirPaths: { 'egress-log': join(stateDir, 'sidecars', 'egress'), 'auth-usage': authSidecarDir(stateDir), checkouts: join(paths.run, 'checkouts') },
  });
  return { project, key, stateDir, spec, plan, budget };
}

export async function up(o: UpOptions): Promise<UpResult> {
  const env = o.env ?? process.env;
  const t0 = Date.now();
  const repo = resolveProjectDir(o.target, env);
  const loaded = loadProject(repo); // bad config or goals are reported before anything else
  if (o.cloneOnly) {
    const key = projectKey(repo);
    const stateDir = stateDirFor(repo, env);
    const entry = await ensureRegistered(repo, env);
    const { clone, results } = prepareRun(repo, statePaths(stateDir), key, o);
    return { name: entry.name ?? basename(repo), project: key, pod: podName(key), alreadyRunning: false, stateDir, seconds: (Date.now() - t0) / 1000, clone, results };
  }
  // A pod whose auth sidecar has no key fails every turn: refuse before creating anything.
  if (o.credentials !== 'oauth-file' && o.upstream !== 'model-server') assertApiKeys(loaded.config, loaded.configPath, env);
  // Rootful podman would run the whole pod with real root behind it; the design is rootless.
  if (process.getuid?.() === 0) throw new InputError('peers up runs a rootless podman pod and refuses to run as root', { hint: 'run it as your normal user (the one that owns the repository)' });
  const { key, stateDir, spec, plan, budget } = await planPod(repo, o, env);
  if (budget.warning) o.progress(`warning: ${budget.warning}`);
  const entry = await ensureRegistered(repo, env);
  const paths = statePaths(stateDir);

  const existing = await projectContainers(key);
  if (existing.find((c) => c.role === 'loop')?.running) {
    return { name: entry.name!, project: key, pod: podName(key), alreadyRunning: true, stateDir, seconds: 0 };
  }
  const image = spec.containers[0]!.image;
  if (!(await imageExists(image))) throw new PeersError(`the workspace image ${image} does not exist`, { hint: 'run `peers image build` first' });
  const stale = await staleImageWarning(image);
  if (stale) o.progress(`warning: ${stale}`);
  if (existing.length) {
    o.progress('removing the stopped pod of the previous run');
    await teardown(key, env);
  }

  const { results } = prepareRun(repo, paths, key, o);
  writeRunBudget(budget);
  for (const d of plan.sharedDirs) mkdirSync(d, { recursive: true, mode: 0o700 });
  await writePodSeccompProfile(seccompProfilePath(key, env));

  // Recorded before the loop can start: a stop reason older than this belongs to an earlier run.
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (p) p.last_up_at = new Date().toISOString();
  }, env);
  o.progress(`creating pod ${spec.podName} (network: none)`);
  try {
    await podmanOk(plan.createPod);
    for (const v of spec.volumes) if ((await podman(['volume', 'exists', v])).code !== 0) await podmanOk(['volume', 'create', v]);
    for (const c of plan.createContainers) await podmanOk(c.argv, { env });
    for (const c of plan.createContainers) {
      o.progress(`starting ${c.role}`);
      await podmanOk(['start', containerName(key, c.role as never)]);
    }
  } catch (e) {
    await teardown(key, env);
    throw e;
  }
  return { name: entry.name ?? basename(repo), project: key, pod: spec.podName, alreadyRunning: false, stateDir, seconds: (Date.now() - t0) / 1000, clone: paths.clone, results };
}

/**
 * Everything `up` does before podman: the control plane first (a refusal changes nothing), then
 * the fingerprint of the user's repository as it is now (`down` compares against it), the run
 * clone and mirror, and the results branch.
 */
function prepareRun(repo: string, paths: StatePaths, key: string, o: UpOptions): { clone: string; results: PublishResult } {
  ensureStateDirs(paths);
  const adopted = adoptControlPlane(repo, paths.snapshotDir, { accept: o.acceptChanges ?? false, command: 'peers up' });
  if (adopted.adopted.length) o.progress(`adopted the changed control plane: ${adopted.adopted.map((e) => `${e.path} ${e.change}`).join(', ')}`);
  saveFingerprint(fingerprintPath(paths), fingerprintRepo(repo));
  const clone = prepareRunClone(repo, paths);
  for (const n of clone.notes) o.progress(n);
  o.prepareClone?.(paths.clone);
  const results = publishRunBranch(repo, paths, runBranch(paths, key));
  o.progress(describePublish(results));
  return { clone: paths.clone, results };
}

/** Removes the pod and the containers beside it (loop, setup, gates, egress), in any state; the shared
 *  socket dirs go with them. The loop goes first so it never outlives its runners by long. */
export async function teardown(project: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // --ignore: podman 4.3's `rm -f A B` silently removes NOTHING (exit 0) when one of the names is
  // missing, e.g. after an `up` that failed before creating the gates container.
  await podman(['rm', '-f', '--ignore', '-t', '2', containerName(project, 'loop')]);
  await podman(['pod', 'rm', '-f', '--ignore', '-t', '2', podName(project)]);
  await podman(['rm', '-f', '--ignore', '-t', '2', containerName(project, 'setup'), containerName(project, 'gates'), containerName(project, 'egress')]);
  rmSync(sharedRoot(project, env), { recursive: true, force: true });
}
