/**
 * The pod a project's `peers up` would start, as data (pod-spec.ts) and podman argv
 * (podman-render.ts), with the budget policy it would write: what `up` runs and `--dry-run`
 * prints. Pure apart from reading the project's files and asking podman whether cgroup limits apply.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { loadProject } from '../src/config/load.ts';
import { readUserGitIdentity, userIdentityEnv } from '../src/config/git-identity.ts';
import { claudeConfigDir, claudeLoginFile, codexHomeDir, codexLoginFile, EXPIRED_LOGIN_NOTE, expiredAgo, loginAt } from '../src/config/login-files.ts';
import { resolveProvider, runProviders } from '../src/config/provider.ts';
import { opencodeProvider } from '../src/config/opencode-vendor.ts';
import type { PeersConfig } from '../src/config/config-schema.ts';
import { peersRuntimeDir, xdgCacheHome } from '../src/state/env-dirs.ts';
import { isCompiledBinary } from '../src/proc/self-exec.ts';
import { projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { planRunBudget } from '../src/budget/run-budget.ts';
import { authSidecarDir } from '../src/budget/ledger-path.ts';
import { WORKSPACE_IMAGE } from './image.ts';
import { MODEL_SERVER_PORT, RUNNER_ROLES, runnerKeyDirName, STATE_IN_CONTAINER } from './pod-layout.ts';
import { buildPodSpec, type PodInputs } from './pod-spec.ts';
import { cgroupLimitsAvailable } from './podman-host.ts';
import { LOOP_PID_FILE } from './loop-pid.ts';
import { renderPodman } from './podman-render.ts';
import { checkTestUpstream, type TestUpstream } from './test-upstream.ts';
import { UPSTREAMS } from '../auth-proxy/upstreams.ts';

export type PodPlanOptions = {
  /**
   * Runner keys (sandbox/runner-key.ts; default on): `peers up` issues them on the host; on a
   * cluster they travel in a Secret each Pod's init container hands on (sandbox/k8s/k8s-render.ts).
   */
  runnerKeys?: boolean;
  maxTicks?: number;
  maxUsd?: number;
  allow: string[];
  image?: string;
  /** 'oauth-file': the CLIs' own login files instead of API keys (opt-in; see oauthMounts). */
  credentials?: 'api-key' | 'oauth-file';
  /**
   * 'model-server': the peers talk to the scripted model server inside the pod, not to the
   * vendors: no credential enters the pod at all (`peers up --rehearse`, `peers demo`).
   */
  upstream?: 'vendors' | 'model-server';
  /** With upstream 'model-server': the host dir holding scenario.yaml (served.jsonl is written there). */
  modelServerDir?: string;
  /** Start-only loop flags (`peers up --reset-peer`, `--no-skeptic`, `--no-recon`, `--no-codemap`). */
  resetPeers?: string[];
  noSkeptic?: boolean;
  noRecon?: boolean;
  noCodemap?: boolean;
  /** TEST ONLY (sandbox/test-upstream.ts): refused unless PEERS_EGRESS_TEST_MODE=1 in `env`. */
  testUpstream?: TestUpstream;
};

/** API keys the auth sidecar may need; passed by name when set on the host, never elsewhere. */
const CREDENTIAL_ENV = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENROUTER_API_KEY'];

/**
 * Opt-in OAuth: the directories holding Claude Code's and Codex's login files are mounted into the
 * auth container only, read-write, because a refresh replaces the file atomically (a rename in its
 * directory) and refresh tokens are single-use: the user's login must stay current on the host.
 * An API key set beside a login still serves its vendor (and wins for Codex, as podBilling says);
 * `codexUpstream` is where the workspace's Codex is pointed: the OpenAI API or its ChatGPT login.
 */
export function oauthMounts(env: NodeJS.ProcessEnv = process.env, nowMs = Date.now()): { files: PodInputs['secretFiles']; args: string[]; codexUpstream?: 'openai' | 'chatgpt'; serves: string[]; unusable: string[]; expired: string[] } {
  const home = env.HOME || homedir();
  const files: PodInputs['secretFiles'] = [];
  const claudeDir = claudeConfigDir(env, home);
  const codexHome = codexHomeDir(env, home);
  const claude = loginAt(claudeLoginFile(env, home), 'claude');
  const codex = loginAt(codexLoginFile(env, home), 'codex');
  const unusable = [claude, codex].flatMap((l) => (l.state === 'unusable' ? [l.why] : []));
  const claudeLogin = claude.state === 'usable';
  const codexLogin = codex.state === 'usable';
  if (!claudeLogin && !codexLogin) {
    if (unusable.length) throw new InputError(`--credentials oauth-file: no usable login: ${unusable.join('; ')}`, { hint: 'log in again on this machine (`claude`, then /login; `codex login`, "Sign in with ChatGPT"), or use API keys (the default)' });
    throw new InputError(`--credentials oauth-file: no login file found (${claudeLoginFile(env, home)} or ${codexLoginFile(env, home)})`, { hint: 'log in with `claude` or `codex login` on this machine first, or use API keys (the default)' });
  }
  // --credentials is how the sidecar serves Anthropic: the login file, else ANTHROPIC_API_KEY.
  const args = ['--credentials', claudeLogin ? 'oauth-file' : 'api-key'];
  const serves: string[] = [];
  if (claudeLogin) {
    files.push({ source: claudeDir, target: '/auth/claude', readOnly: false });
    args.push('--claude-credentials', '/auth/claude/.credentials.json');
  }
  if (claudeLogin || env.ANTHROPIC_API_KEY) serves.push('anthropic');
  if (env.OPENAI_API_KEY) serves.push('openai');
  if (codexLogin) {
    files.push({ source: codexHome, target: '/auth/codex', readOnly: false });
    args.push('--codex-auth', '/auth/codex/auth.json');
    serves.push('chatgpt');
  }
  for (const u of serves) args.push('--upstream', u);
  const codexUpstream = env.OPENAI_API_KEY ? 'openai' : codexLogin ? 'chatgpt' : undefined;
  // Said before the run starts, not found out from a failed turn at night.
  const expired: string[] = [];
  for (const [name, login, used] of [['claude', claude, claudeLogin], ['codex', codex, codexLogin && codexUpstream === 'chatgpt']] as const) {
    const ago = used && login.state === 'usable' ? expiredAgo(login.expiresAtMs, nowMs) : null;
    if (ago) expired.push(`the ${name} login's access token expired ${ago}: ${EXPIRED_LOGIN_NOTE}`);
  }
  return { files, args, codexUpstream, serves, unusable, expired };
}


/**
 * With logins, each peer's vendor must still be served: a claude (or opencode) peer needs the
 * Claude login or ANTHROPIC_API_KEY, a codex peer the Codex login or OPENAI_API_KEY.
 */
export function assertLoginsCover(config: PeersConfig, configPath: string, serves: string[], unusable: string[] = []): void {
  const missing: string[] = [];
  for (const p of config.peers) {
    if (resolveProvider(p.tool, p.provider)) continue; // a provider peer has its own key (checked before)
    // opencode on an OpenAI model posts to the sidecar's OpenAI route, which only OPENAI_API_KEY serves
    // (the Codex login serves codex's ChatGPT backend: src/config/opencode-vendor.ts).
    if (p.tool === 'opencode' && opencodeProvider(p) === 'openai') {
      if (!serves.includes('openai')) missing.push(`${p.name} (opencode on ${p.model}: no OPENAI_API_KEY)`);
    } else if ((p.tool === 'claude' || p.tool === 'opencode') && !serves.includes('anthropic')) missing.push(`${p.name} (no Claude login and no ANTHROPIC_API_KEY)`);
    if (p.tool === 'codex' && !serves.includes('openai') && !serves.includes('chatgpt')) missing.push(`${p.name} (no Codex login and no OPENAI_API_KEY)`);
  }
  if (missing.length) throw new InputError(`--credentials oauth-file: nothing to authenticate ${missing.join(', ')}${unusable.length ? `; not a usable login: ${unusable.join('; ')}` : ''}`, { location: { file: configPath }, hint: 'log in on this machine with `claude` (then /login) or `codex login`, or export the API key, then peers up again' });
}

/**
 * With API keys (the default), the vendors the auth sidecar serves: those whose key this shell
 * holds, and no other. The sidecar refuses to start an upstream without its key, and a sidecar that
 * never starts holds the run for ever (`auth down`); a peer whose vendor has no key is refused
 * before the pod is made (credential-check.ts), and `custom` peers need none (`--upstream none`).
 */
export function apiKeyUpstreamArgs(env: NodeJS.ProcessEnv): string[] {
  const ids = (['anthropic', 'openai'] as const).filter((id) => env[UPSTREAMS[id].apiKeyEnv]);
  return ids.length ? ids.flatMap((id) => ['--upstream', id]) : ['--upstream', 'none'];
}

/** The compiled binary to mount in the containers (a dev checkout uses its dist/peers). */
export function hostBinary(): string {
  if (isCompiledBinary()) return process.execPath;
  const dist = resolve(import.meta.dir, '..', 'dist', 'peers');
  if (!existsSync(dist)) throw new PeersError('no compiled peers binary to mount into the pod', { hint: 'run `bun build.ts` (creates dist/peers)' });
  return dist;
}

export function sharedRoot(project: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(peersRuntimeDir(env), project);
}

/**
 * Where the shared dirs a runner's own code can write (its socket dir and key dir, read-write in
 * its container for the whole run) are on the host: on disk beside the user's cache, never in
 * $XDG_RUNTIME_DIR, often a small tmpfs that also holds podman's runtime state, which a peer
 * filling them made podman (and `peers down`) fail (SECURITY.md, "The sandbox pod"). Removed with
 * the pod (pod-teardown.ts).
 */
export function runnerDirsRoot(project: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(xdgCacheHome(env), 'peers', 'pods', project);
}

/** Each runner's socket dir and key dir, by shared-dir name, under runnerDirsRoot. */
export function runnerDirPaths(project: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const root = runnerDirsRoot(project, env);
  return Object.fromEntries(RUNNER_ROLES.flatMap((r) => [r, runnerKeyDirName(r)]).map((name) => [name, join(root, name)]));
}

/** Where `up` writes the pod's seccomp profile (pod-seccomp.ts); removed with the pod. */
export function seccompProfilePath(project: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(sharedRoot(project, env), 'seccomp.json');
}

/** Where podman writes the loop's init PID at each start (loop-pid.ts); removed with the pod. */
export function loopPidFilePath(project: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(sharedRoot(project, env), LOOP_PID_FILE);
}

/** The loop's command-line flags for this start (its budget files first). */
function loopArgsFor(o: PodPlanOptions, budgetArgs: string[]): string[] {
  const args = [...budgetArgs];
  if (o.maxTicks) args.push('--max-ticks', String(o.maxTicks));
  for (const p of o.resetPeers ?? []) args.push('--reset-peer', p);
  if (o.noSkeptic) args.push('--no-skeptic');
  if (o.noRecon) args.push('--no-recon');
  if (o.noCodemap) args.push('--no-codemap');
  return args;
}

/** The pod for this project as data, plus its podman rendering: what `up` runs and `--dry-run` prints. */
export async function planPod(repo: string, o: PodPlanOptions, env: NodeJS.ProcessEnv = process.env) {
  const project = loadProject(repo); // validates config + goals: bad input fails before any podman call
  // podman's --mount syntax is comma-separated key=value: a comma in a host path cannot be expressed.
  for (const p of [stateDirFor(repo, env), hostBinary(), runnerDirsRoot(projectKey(repo), env)]) {
    if (p.includes(',')) throw new InputError(`podman cannot mount a path containing a comma: ${p}`, { hint: 'move or rename the directory (or set XDG_STATE_HOME and XDG_CACHE_HOME) so the path has no comma' });
  }
  const testUpstream = o.testUpstream ? checkTestUpstream(o.testUpstream, env) : undefined;
  const key = projectKey(repo);
  const stateDir = stateDirFor(repo, env);
  const paths = statePaths(stateDir);
  const modelInPod = o.upstream === 'model-server';
  const oauth = !modelInPod && o.credentials === 'oauth-file' ? oauthMounts(env) : undefined;
  if (oauth) assertLoginsCover(project.config, project.configPath, oauth.serves, oauth.unusable);
  // Each provider of the config is one more auth sidecar upstream (its key passed to auth only).
  const providers = runProviders(project.config.peers);
  // One budget policy for the whole run, resolved here where the credentials and flags are
  // (src/budget/run-budget.ts): the loop and the auth sidecar both read it from the state dir.
  const budget = planRunBudget({ config: project.config, stateDir, credentials: modelInPod ? 'model-server' : (o.credentials ?? 'api-key'), env, maxUsd: o.maxUsd });
  const modelServer = modelInPod ? ['--model-server', `127.0.0.1:${MODEL_SERVER_PORT}`] : [];
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
    // With the model in the pod no credential of the user's enters it, not even unused.
    secretEnv: modelInPod ? [] : [...new Set([...CREDENTIAL_ENV, ...providers.map((p) => p.key_env)])].filter((k) => env[k]),
    secretFiles: oauth?.files ?? [],
    authArgs: [...(oauth?.args ?? (modelInPod ? [] : apiKeyUpstreamArgs(env))), ...modelServer, ...budget.authArgs],
    oauth: oauth !== undefined,
    codexUpstream: oauth?.codexUpstream,
    providers,
    upstream: o.upstream,
    modelServerDir: modelInPod ? o.modelServerDir : undefined,
    loopArgs: loopArgsFor(o, budget.loopArgs(STATE_IN_CONTAINER)),
    // The peers commit under the user's git identity (or the default): the pod has no ~/.gitconfig.
    loopEnv: userIdentityEnv(readUserGitIdentity(repo, env)),
    budgetPolicyFile: budget.hostPath,
    testUpstream,
    runnerKeys: o.runnerKeys ?? true,
  });
  const plan = renderPodman(spec, {
    sharedRoot: sharedRoot(key, env),
    cgroupLimits: await cgroupLimitsAvailable(env),
    user: `${process.getuid!()}:${process.getgid!()}`,
    seccompProfile: seccompProfilePath(key, env),
    loopPidFile: loopPidFilePath(key, env),
    // The egress audit log and the auth usage ledger outlive the pod: they are run history.
    // Gate checkouts can be large (node_modules): on disk beside the run, not in the runtime tmpfs.
    sharedDirPaths: { ...runnerDirPaths(key, env), 'egress-log': join(stateDir, 'sidecars', 'egress'), 'auth-usage': authSidecarDir(stateDir), checkouts: join(paths.run, 'checkouts') },
  });
  return { project, key, stateDir, spec, plan, budget, loginNotes: oauth?.expired ?? [] };
}
