/**
 * `peers up`: register the project; decide what to do with its run (src/loop/up-decision.ts:
 * start, resume, already running, or say why a finished run stopped and what would continue it;
 * the situation it decides from is read by up-situation.ts); `--fresh` archives the old run first
 * (reset.ts); adopt the control-plane snapshot (a changed `.peers/` is refused with its diff unless
 * `--accept-changes`); fingerprint the user's repository (down proves the run left it alone); make
 * or reuse the run clone and the trusted mirror in the state dir (run-clone.ts); publish the run's
 * branch (those three: prepare-run.ts); then create and start the pod of
 * pod-spec.ts (every container at once: pod-create.ts). A running run takes live controls only
 * (`--max-runtime +6h`, written to the operator's control file the loop reads every tick).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { loadConfigFile, loadProject, type LoadedProject } from '../src/config/load.ts';
import { placeholderWarning } from '../src/config/render-init.ts';
import { noHardGoalWarning } from '../src/config/unmeasured-goals.ts';
import { ensureStateDirs, projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { podLockWaitLine, probeRepositoryLoopLock, withPodLock } from '../src/state/project-locks.ts';
import { writeControl } from '../src/state/operator-control.ts';
import { formatStopReason, readStopReason } from '../src/state/stop-reason.ts';
import type { ArchivedRun } from '../src/state/run-archive.ts';
import { decideUp, decideWhileRunning, refuseOtherMode } from '../src/loop/up-decision.ts';
import { readPolicyIfPresent } from '../src/budget/budget-policy-file.ts';
import { usdCapForUp } from '../src/budget/usd-cap-across-ups.ts';
import { writeRunBudget } from '../src/budget/run-budget.ts';
import { assertApiKeys, usableLoginFor } from './credential-check.ts';
import { runBranch } from './publish-if-run.ts';
import type { PublishResult } from './publish-branch.ts';
import { WORKSPACE_IMAGE, workspaceImageState } from './image.ts';
import { imageToolchainPrograms } from './image-toolchains.ts';
import { startsKnownToolchain, toolchainRefusal } from '../src/gates/gate-toolchains.ts';
import { projectFilesAt } from '../src/mode-registry/init-project.ts';
import { podName, RUNNER_ROLES, type RunnerRole, runnerKeyDirName } from './pod-layout.ts';
import { issueRunnerKeys } from './runner-key.ts';
import { planPod, runnerDirPaths, seccompProfilePath } from './pod-plan.ts';
import { loopLifeline, teardown } from './pod-teardown.ts';
import { podman } from './podman.ts';
import { podmanHostFacts } from './podman-host.ts';
import { CONMON_PLACES, conmonProbeArgv, pathNeedsLocale, refuseLogPath } from './conmon-log-path.ts';
import { createAndStartPod, prepareGround, settleGround } from './pod-create.ts';
import { writePodSeccompProfile } from './pod-seccomp.ts';
import { deadContainers, localProjectStatus } from './reconcile.ts';
import { restartContainers } from './pod-repair.ts';
import { ensureRegistered, resolveProjectTarget, updateRegistry } from './registry.ts';
import { checkRehearsal, rehearsalDir, writeRehearsal } from './rehearsal.ts';
import { describeReset, resetProject } from './reset.ts';
import type { KeepPlan } from './keep-previous-results.ts';
import { EGRESS_TEST_NETWORK } from './test-upstream.ts';
import { armNotifications } from '../src/notify/notify-store.ts';
import { startNotifyWatcher } from '../src/notify/notify-watch.ts';
import { shellCommand, shellWord } from '../src/cli/shell-word.ts';
import { resolveProjectDir, startOnlyFlags, type UpOptions, type UpResult } from './up-options.ts';
import { flagsNotInEffect, recordedStartFlags, recordStartFlags } from './start-flags-record.ts';
import { adoptRunControlPlane, prepareRun } from './prepare-run.ts';
import { refusedAllowAddresses } from './egress-allow-addresses.ts';
import { unresolvedVendorHosts, unresolvedVendorWarning, vendorHostsOf } from './vendor-hosts.ts';
import { SystemResolver } from '../proxy/resolver.ts';
import { controlWithRuntime, modeOfCredentials, situationOf } from './up-situation.ts';

export async function up(o: UpOptions): Promise<UpResult> {
  const env = o.env ?? process.env;
  const t0 = Date.now();
  const repo = resolveProjectDir(o.target, env);
  const loaded = loadProject(repo); // bad config or goals are reported before anything else
  // One `up` or `down` of a project at a time (project-locks.ts): two `up`s at once would each
  // remove the pod the other is creating. The later one waits, then finds the pod running.
  return withPodLock(projectKey(repo), env, (pid) => o.progress(podLockWaitLine(pid)), () => upLocked(repo, loaded, o, env, t0));
}

async function upLocked(repo: string, loaded: LoadedProject, o: UpOptions, env: NodeJS.ProcessEnv, t0: number): Promise<UpResult> {
  const seconds = () => (Date.now() - t0) / 1000;
  await refuseUnloggableStateDir(stateDirFor(repo, env), env);
  const placeholder = placeholderWarning(loaded.goals, loaded.goalsPath) ?? noHardGoalWarning(loaded.goals, loaded.goalsPath);
  if (placeholder) o.progress(`warning: ${placeholder}`);
  // Looked up while the run is prepared, said before the pod starts (egress-allow-addresses.ts).
  const allowAddresses = refusedAllowAddresses([...(loaded.config.egress?.allow ?? []), ...o.allow], new SystemResolver());
  // One run per repository: a `peers loop` on the host works in it directly.
  const hostLoop = probeRepositoryLoopLock(repo, env);
  if (hostLoop.held) throw new PeersError(`a peers loop${hostLoop.pid ? ` (pid ${hostLoop.pid})` : ''} is running on ${repo} on the host`, { hint: 'let it finish or stop it, then run peers up' });
  if (o.cloneOnly) {
    const key = projectKey(repo);
    const stateDir = stateDirFor(repo, env);
    const entry = await ensureRegistered(repo, env);
    const paths = statePaths(stateDir);
    ensureStateDirs(paths);
    adoptRunControlPlane(repo, paths, o);
    const { clone, results } = prepareRun(repo, paths, key, o);
    return { name: entry.name ?? basename(repo), project: key, pod: podName(key), alreadyRunning: false, stateDir, seconds: seconds(), clone, results, notes: [] };
  }
  const rehearsal = o.rehearse ? checkRehearsal(o.rehearse, loaded.config) : undefined;
  const upstream = rehearsal !== undefined ? 'model-server' : (o.upstream ?? 'vendors');
  // The vendor hosts the peers will reach, looked up with this machine's resolver (the egress
  // proxy's) while the run is prepared, said before the pod starts (vendor-hosts.ts).
  const vendorLookups = upstream === 'vendors' && !o.testUpstream
    ? unresolvedVendorHosts(vendorHostsOf(loaded.config.peers, { codexLogin: o.credentials === 'oauth-file' && !env.OPENAI_API_KEY }), new SystemResolver())
    : Promise.resolve([]);
  // A pod whose auth sidecar has no key fails every turn: refuse before creating anything. A loop
  // that answers its lifeline runs with its keys already: a shell without them (the morning
  // after) is told below that it runs. A saved run may have finished: that needs no key to be
  // said, so the refusal waits for the decision (missingKeys) instead of hiding why it stopped.
  let missingKeys: InputError | undefined;
  if (upstream !== 'model-server') {
    try {
      assertApiKeys(loaded.config, loaded.configPath, env, { providersOnly: o.credentials === 'oauth-file', loginFor: (variable) => usableLoginFor(variable, env) });
    } catch (error) {
      const running = error instanceof InputError ? await loopLifeline(projectKey(repo), env) : null;
      if (running) running.close();
      else if (error instanceof InputError && !o.fresh && existsSync(statePaths(stateDirFor(repo, env)).state)) missingKeys = error;
      else throw error;
    }
  }
  // Rootful podman would run the whole pod with real root behind it; the design is rootless.
  if (process.getuid?.() === 0) throw new InputError('peers up runs a rootless podman pod and refuses to run as root', { hint: 'run it as your normal user (the one that owns the repository)' });
  // Asked now, answered while the run is prepared (podman-host.ts: cached per host, often free).
  podmanHostFacts(env).catch(() => undefined);
  const peerNames = loaded.config.peers.map((p) => p.name);
  for (const p of o.resetPeers ?? []) {
    if (p !== 'all' && !peerNames.includes(p)) throw new InputError(`--reset-peer ${p}: no such peer (peers: ${peerNames.join(', ')})`, { hint: 'pass a peer name from .peers/config.yaml, or all' });
  }
  const key = projectKey(repo);
  const stateDir = stateDirFor(repo, env);
  const paths = statePaths(stateDir);
  const upCommand = shellCommand('peers', 'up', ...(o.target ? [o.target] : []));
  // What the saved run was: a rehearsal (the scripted model server) or a real run.
  const savedPolicy = readPolicyIfPresent(paths.dir);
  const previousMode = modeOfCredentials(savedPolicy?.credentials);
  // A cap set with --max-usd stays the run's cap when it resumes (src/budget/usd-cap-across-ups.ts).
  const usdCap = usdCapForUp({ flag: o.maxUsd, fresh: o.fresh ?? false, saved: savedPolicy, configMaxUsd: loaded.config.budget.max_usd });
  // What continues this run: a rehearsal only with its scenario (plain `up` would be a real run),
  // a run on CLI logins only with them (plain `up` asks for API keys).
  const rehearsing = o.rehearse ? [`--rehearse ${shellWord(o.rehearse)}`] : previousMode === 'rehearsal' ? ['--rehearse SCENARIO.yaml'] : [];
  const continueCommand = [upCommand, ...rehearsing, ...(o.credentials === 'oauth-file' ? ['--credentials oauth-file'] : [])].join(' ');
  const entry = await ensureRegistered(repo, env);
  const name = entry.name ?? basename(repo);
  const base = { name, project: key, pod: podName(key), stateDir };
  // Asked beside the pod's status (one podman call each, answered together); awaited once planned.
  const imageStateAsked = workspaceImageState(o.image ?? WORKSPACE_IMAGE, env);
  imageStateAsked.catch(() => undefined);
  // Which toolchains the image has (for the refusal below), asked at the same time when a gate needs one.
  const needsToolchain = startsKnownToolchain(loaded.goals.goals, loaded.config.setup);
  const programsAsked = needsToolchain ? imageToolchainPrograms(o.image ?? WORKSPACE_IMAGE, env) : undefined;
  programsAsked?.catch(() => undefined);
  // A project whose run is on a cluster never gets here: `peers up` refuses it first.
  const reconciled = await localProjectStatus(entry, env);
  const status = reconciled.status;

  if (status === 'running') {
    // Containers podman shows stopped beside the running loop: a dead sidecar or runner.
    const down = deadContainers(reconciled.containers, []);
    // Flags the loop already runs with change nothing: only the others need a new start.
    const asked = startOnlyFlags(o);
    const toChange = flagsNotInEffect(asked, recordedStartFlags(stateDir));
    const d = decideWhileRunning({ fresh: o.fresh ?? false, startOnlyFlags: toChange, upCommand, continueCommand, down, previousMode, mode: upstream === 'model-server' ? 'rehearsal' : 'real' });
    if (d.kind === 'refuse') throw new PeersError(d.message, { hint: d.hint, exitCode: d.exitCode });
    const notes: string[] = [];
    if (asked.length > toChange.length && !o.fresh) notes.push(`${asked.join(', ')}: already in effect (the running loop was started with ${asked.length > 1 ? 'them' : 'it'})`);
    if (d.kind === 'repair') {
      // A restarted runner takes a new key (its container, and everything that ran in it, is gone).
      issueRunnerKeys(stateDir, runnerKeyDirs(key, RUNNER_ROLES.filter((r) => d.restart.includes(r)), env));
      await restartContainers(key, d.restart, o.progress, env);
      notes.push(`restarted ${d.restart.join(', ')}: the loop held the run while ${d.restart.length > 1 ? 'they were' : 'it was'} down and goes on now`);
    }
    if (o.maxRuntime) {
      const config = loadConfigFile(join(paths.snapshotDir, 'config.yaml'));
      const c = controlWithRuntime(paths, config.budget.max_runtime_s, o.maxRuntime);
      writeControl(paths.control, c.control!);
      notes.push(c.note!);
    }
    return { ...base, alreadyRunning: true, seconds: 0, decision: d.kind, repaired: d.kind === 'repair' ? d.restart : undefined, notes };
  }

  const modelServerDir = rehearsal !== undefined ? rehearsalDir(stateDir) : o.modelServerDir;
  const { spec, plan, budget, loginNotes } = await planPod(repo, { ...o, maxUsd: usdCap.maxUsd, upstream, modelServerDir }, env);
  if (budget.warning) o.progress(`warning: ${budget.warning}`);
  for (const w of await allowAddresses) o.progress(`warning: ${w}`);
  for (const u of await vendorLookups) o.progress(`warning: ${unresolvedVendorWarning(u)}`);
  for (const n of loginNotes) o.progress(n);
  const image = spec.containers[0]!.image;
  const imageState = image === (o.image ?? WORKSPACE_IMAGE) ? await imageStateAsked : await workspaceImageState(image, env);
  const imageMissing = () => new PeersError(`the workspace image ${image} does not exist`, { hint: 'run `peers image build` first' });
  // A finished run is said without the image (or keys); a run that will start needs both.
  if (!imageState.exists && !missingKeys) throw imageMissing();
  // A hard gate (or setup) that starts a toolchain the image lacks fails on every tick, each one
  // paid for: refused before anything is made, by doctor's rule (src/gates/gate-toolchains.ts).
  // A saved run may have finished: that is said first, as for missing keys.
  let lackingToolchain: InputError | undefined;
  if (imageState.exists && needsToolchain) {
    const programs = image === (o.image ?? WORKSPACE_IMAGE) && programsAsked ? await programsAsked : await imageToolchainPrograms(image, env);
    const refusal = toolchainRefusal(image, loaded.goals.goals, loaded.config.setup, programs, projectFilesAt(repo));
    if (refusal) {
      const error = new InputError(refusal.message, { location: { file: loaded.goalsPath }, hint: refusal.hint });
      if (!o.fresh && existsSync(paths.state)) lackingToolchain = error;
      else throw error;
    }
  }

  let archived: ArchivedRun | null = null;
  let previousResults: UpResult['previousResults'] = null;
  let keptResults: KeepPlan | undefined;
  if (o.fresh) {
    const r = await resetProject({ repo, env, progress: o.progress, upCommand });
    archived = r.archived;
    previousResults = r.previousResults;
    keptResults = r.kept;
  }
  ensureStateDirs(paths);
  const mode = upstream === 'model-server' ? 'rehearsal' : 'real';
  // Refused before the control plane is adopted: a refused `up` changes nothing.
  const otherMode = o.fresh || !existsSync(paths.state) ? null : refuseOtherMode({ previousMode, mode, upCommand });
  if (otherMode) throw new PeersError(otherMode.message, { hint: otherMode.hint, exitCode: otherMode.exitCode });
  const adopted = adoptRunControlPlane(repo, paths, { ...o, command: continueCommand });
  const decision = decideUp({
    ...situationOf(paths, status, adopted.digestBefore, o, budget.policy, upCommand, key, repo),
    mode,
    // Read once, before --fresh archives the old run's policy with it.
    previousMode: o.fresh ? undefined : previousMode,
    continueCommand,
  });
  if (decision.kind === 'refuse') throw new PeersError(decision.message, { hint: decision.hint, exitCode: decision.exitCode });
  if (decision.kind === 'finished') {
    return { ...base, alreadyRunning: false, seconds: seconds(), decision: 'finished', finished: { stop: formatStopReason(decision.stop), why: decision.why, next: decision.next, exitCode: decision.exitCode }, notes: [] };
  }
  if (missingKeys) throw missingKeys;
  if (!imageState.exists) throw imageMissing();
  if (lackingToolchain) throw lackingToolchain;
  const notes = decision.kind === 'resume' ? [...decision.notes, ...(usdCap.note ? [usdCap.note] : [])] : [];
  if (o.maxRuntime) {
    const c = controlWithRuntime(paths, loadConfigFile(join(paths.snapshotDir, 'config.yaml')).budget.max_runtime_s, o.maxRuntime);
    writeControl(paths.control, c.control!);
    notes.push(c.note!);
  }
  if (imageState.stale) o.progress(`warning: ${imageState.stale}`);
  // The containers seen above, unless --fresh has just removed them (reset.ts).
  if ((o.fresh ? (await localProjectStatus(entry, env)).containers : reconciled.containers).length) {
    o.progress('removing the stopped pod of the previous run');
    await teardown(key, env);
  }

  if (spec.containers.some((c) => c.network === EGRESS_TEST_NETWORK)) o.progress('TEST MODE: the vendors are a local stand-in (sandbox/test-upstream.ts; never in a real run)');
  o.progress(`creating pod ${spec.podName} (network: none)`);
  // The pod, and the egress proxy (it needs no run clone: BEFORE_CLONE), are made while the run
  // clone is; from here on a failure removes whatever was made.
  for (const d of plan.sharedDirs) mkdirSync(d, { recursive: true, mode: 0o700 });
  await writePodSeccompProfile(seccompProfilePath(key, env), env);
  const ground = prepareGround(plan, env);
  let results: PublishResult;
  // Ctrl-C while the pod is made: podman's children get it too and fail; what they leave is
  // removed below and the user is told so, not shown a podman error (exit 130, as for SIGINT).
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  process.on('SIGINT', onInterrupt);
  // This up's start, and the one before it: restored when no loop of this up got to run.
  let upAt: string | undefined;
  let previousUpAt: string | undefined;
  try {
    results = prepareRun(repo, paths, key, o).results;
    // A new clone replaced the run dir, and with it the gates' checkouts dir.
    for (const d of plan.sharedDirs) mkdirSync(d, { recursive: true, mode: 0o700 });
    // Each runner's per-run key, before any runner starts (sandbox/runner-key.ts).
    issueRunnerKeys(stateDir, runnerKeyDirs(key, RUNNER_ROLES, env));
    if (rehearsal !== undefined) writeRehearsal(stateDir, rehearsal);
    writeRunBudget(budget);
    // What the loop about to start runs with, for a second `up` while it runs (start-flags-record.ts).
    recordStartFlags(stateDir, startOnlyFlags(o));
    // Notifications come from the host, with the settings of the operator's config as read now.
    armNotifications(stateDir, { name: entry.name ?? basename(repo), path: repo }, loaded.config.notify);
    // Recorded before the loop can start: a stop reason older than this belongs to an earlier run.
    upAt = new Date().toISOString();
    previousUpAt = await updateRegistry((ps) => {
      const p = ps.find((x) => x.path === repo);
      const before = p?.last_up_at;
      if (p) p.last_up_at = upAt;
      return before;
    }, env);
    if (interrupted) throw new UpInterrupted();
    await createAndStartPod(plan, ground, key, env, o.progress);
    if (interrupted) throw new UpInterrupted();
  } catch (e) {
    await settleGround(ground).catch(() => undefined);
    await teardown(key, env);
    // The run is as this up found it: its last stop is still its stop (not 'crashed', which a stop
    // reason older than the recorded start would read as; sandbox/reconcile.ts classify).
    if (upAt) await forgetUpWithoutLoop(repo, paths.stopReason, upAt, previousUpAt, env).catch(() => undefined);
    // --fresh archived the old run (and its results branch is about to move) before this failed:
    // said now, or the user never learns where it went (the command prints it only on success).
    if (archived) for (const l of describeReset({ stateDir, archived, previousResults, ...(keptResults ? { kept: keptResults } : {}) }, runBranch(paths, key, repo))) o.progress(l);
    if (interrupted) throw new PeersError(`interrupted (Ctrl-C) while the pod of ${key} was being made: it was removed, nothing is running`, { exitCode: 130, hint: `${continueCommand} starts it again (the run clone and state are kept)` });
    throw e;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  if (loaded.config.notify) startNotifyWatcher(stateDir, env);
  return { ...base, pod: spec.podName, alreadyRunning: false, seconds: seconds(), clone: paths.clone, results, decision: decision.kind, ...(o.fresh ? { archived, previousResults, ...(keptResults ? { keptResults } : {}) } : {}), notes };
}

/**
 * The loop's console goes to the state dir's loop.log, a path conmon must take (conmon-log-path.ts):
 * one with a ':' is refused before anything is made, and one that is not ASCII is put to conmon
 * first (`conmon --version` with the option podman would give it), so a conmon that refuses it is
 * said with where to put the state instead, not as podman's "exit status 1" at the first start.
 * As root nothing asks podman: `up` refuses root a moment later.
 */
async function refuseUnloggableStateDir(stateDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const logPath = statePaths(stateDir).loopLog;
  let conmon: string | undefined;
  if (!stateDir.includes(':') && pathNeedsLocale(logPath) && process.getuid?.() !== 0) {
    conmon = (await podmanHostFacts(env).catch(() => undefined))?.conmonPath ?? CONMON_PLACES.find((p) => existsSync(p));
  }
  refuseLogPath(stateDir, logPath, () => {
    if (!conmon) return undefined;
    const [bin, ...args] = conmonProbeArgv(conmon, logPath, env);
    const r = spawnSync(bin!, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return r.error ? undefined : { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  });
}

/**
 * An up that failed or was interrupted before its loop wrote a stop reason: the registry's start
 * goes back to the one before, so `peers status` shows the run's last stop as it was.
 */
async function forgetUpWithoutLoop(repo: string, stopReasonFile: string, upAt: string, previousUpAt: string | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  let stop: { at: string } | undefined;
  try {
    stop = readStopReason(stopReasonFile);
  } catch {
    stop = undefined;
  }
  if (stop?.at && Date.parse(stop.at) >= Date.parse(upAt)) return; // this up's loop ran and stopped
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (p && p.last_up_at === upAt) {
      if (previousUpAt) p.last_up_at = previousUpAt;
      else delete p.last_up_at;
    }
  }, env);
}

/** Thrown where `up` notices a Ctrl-C it caught (the podman calls may all have succeeded). */
class UpInterrupted extends Error {}

/** Where each runner of `roles` takes its key, on the host (a shared dir of the pod, pod-spec.ts). */
function runnerKeyDirs(project: string, roles: readonly RunnerRole[], env: NodeJS.ProcessEnv): Record<string, string> {
  const dirs = runnerDirPaths(project, env);
  return Object.fromEntries(roles.map((r) => [r, dirs[runnerKeyDirName(r)]!]));
}
