/**
 * `peers doctor`: can this machine run peers? Each check says what it found, and every problem
 * carries the exact command that fixes it. Required checks (git, rootless podman and its helpers,
 * the workspace image and the peer CLIs in it, every registered project's config and each of its
 * peers' credentials) make doctor exit 1; peer CLIs on the host are advisory, because peers run
 * inside the image. Per project it also reports the last `peers verify`: do the gates pass, and
 * what do they cost per tick.
 */
import { loginAt } from '../../src/config/login-files.ts';
import { basename, join } from 'node:path';
import { loadProject } from '../../src/config/load.ts';
import { readVerifyRecord, VERIFY_RECORD_FILE } from '../../src/gates/verify-record.ts';
import { peerCredentials } from './credentials.ts';
import { IMAGE_CLIS, imageHasProgram, probeImageClis, type ImageCli } from './image-clis.ts';
import { verifyFinding } from './verify-cost.ts';
import { gateProgramsCheck } from './gate-programs.ts';
import { projectFilesAt } from '../../src/mode-registry/init-project.ts';
import { listRegisteredProjects, projectRegistryPath } from '../../src/config/project-registry.ts';
import { InputErrors, PeersError } from '../../src/cli/errors.ts';
import type { HostProbe } from './host-probe.ts';
import { limitsCheck } from './limits-check.ts';
import { vendorHostsCheck } from './vendor-hosts-check.ts';
import type { DoctorCheck } from './doctor-check.ts';
import { shellCommand, shellWord } from '../../src/cli/shell-word.ts';
import { stateDirOverride, xdgStateHome } from '../../src/state/env-dirs.ts';
import { CONMON_PLACES, conmonProbeArgv, logPathProblem, pathNeedsLocale } from '../../sandbox/conmon-log-path.ts';

export const WORKSPACE_IMAGE = 'localhost/peers-workspace:latest';
const APT = 'sudo apt-get install -y';

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

function versionOf(probe: HostProbe, program: string, args = ['--version']): string | undefined {
  if (!probe.which(program)) return undefined;
  const res = probe.run([program, ...args]);
  return res.code === 0 ? firstLine(res.stdout || res.stderr) : undefined;
}

/** `name:start:count` lines of /etc/subuid; matches the user by name or numeric uid. */
export function subordinateRange(fileText: string | undefined, user: string, uid: number): number {
  let total = 0;
  for (const line of (fileText ?? '').split('\n')) {
    const [name, , count] = line.trim().split(':');
    if (name && (name === user || name === String(uid))) total += Number(count) || 0;
  }
  return total;
}

function gitCheck(probe: HostProbe): DoctorCheck {
  const v = versionOf(probe, 'git');
  return v
    ? { id: 'git', title: 'git', status: 'ok', detail: v, required: true }
    : { id: 'git', title: 'git', status: 'fail', detail: 'git is not on PATH', fix: `${APT} git`, required: true };
}

type PodmanInfo = { host?: { ociRuntime?: { name?: string }; conmon?: { path?: string }; cgroupVersion?: string; cgroupControllers?: string[]; networkBackend?: string; security?: { rootless?: boolean } } };

function podmanChecks(probe: HostProbe): { checks: DoctorCheck[]; imageClis: ImageCliVersions; imagePrograms?: Set<string> } {
  const checks: DoctorCheck[] = [];
  const version = versionOf(probe, 'podman');
  if (!version) {
    checks.push({ id: 'podman', title: 'podman', status: 'fail', detail: 'podman is not on PATH', fix: `${APT} podman uidmap slirp4netns fuse-overlayfs runc`, required: true });
  } else {
    checks.push({ id: 'podman', title: 'podman', status: 'ok', detail: version, required: true });
  }

  if (probe.uid === 0) {
    checks.push({ id: 'rootless', title: 'rootless user', status: 'warn', detail: 'running as root: podman runs rootful here; peers is meant to run as an unprivileged user', fix: 'run peers as your normal user, not root', required: false });
  } else {
    for (const kind of ['subuid', 'subgid'] as const) {
      const count = subordinateRange(probe.readText(`/etc/${kind}`), probe.user, probe.uid);
      checks.push(
        count >= 65536
          ? { id: kind, title: `/etc/${kind}`, status: 'ok', detail: `${probe.user} has ${count} subordinate ids`, required: true }
          : {
              id: kind,
              title: `/etc/${kind}`,
              status: 'fail',
              detail: `${probe.user} has ${count} subordinate ${kind === 'subuid' ? 'uids' : 'gids'} (rootless podman needs 65536)`,
              fix: `sudo usermod --add-${kind}s 100000-165535 ${probe.user} && podman system migrate`,
              required: true,
            },
      );
    }
  }
  const mappers = ['newuidmap', 'newgidmap'].filter((p) => !probe.which(p));
  checks.push(
    mappers.length === 0
      ? { id: 'uidmap', title: 'newuidmap/newgidmap', status: 'ok', detail: 'present', required: true }
      : { id: 'uidmap', title: 'newuidmap/newgidmap', status: 'fail', detail: `${mappers.join(', ')} not on PATH`, fix: `${APT} uidmap`, required: true },
  );

  let info: PodmanInfo | undefined;
  if (version) {
    const res = probe.run(['podman', 'info', '--format', 'json'], 30_000);
    if (res.code === 0) {
      try {
        info = JSON.parse(res.stdout) as PodmanInfo;
      } catch {}
    }
    if (!info) {
      checks.push({ id: 'podman-info', title: 'podman info', status: 'fail', detail: firstLine(res.stderr || res.error || 'podman info failed'), fix: 'podman system migrate && podman info', required: true });
    }
  }

  const cgroupV2 = info?.host?.cgroupVersion ? info.host.cgroupVersion === 'v2' : probe.exists('/sys/fs/cgroup/cgroup.controllers');
  checks.push({ id: 'cgroups', title: 'cgroups', status: 'ok', detail: cgroupV2 ? 'v2 (unified)' : 'v1 (legacy or hybrid): use the runc runtime', required: true });
  checks.push(limitsCheck(info?.host));

  const runtime = info?.host?.ociRuntime?.name;
  const runtimes = ['runc', 'crun'].filter((r) => probe.which(r));
  const useRunc = `mkdir -p ~/.config/containers && printf '[engine]\\nruntime = "runc"\\n' >> ~/.config/containers/containers.conf`;
  if (runtimes.length === 0 && !runtime) {
    checks.push({ id: 'oci-runtime', title: 'OCI runtime', status: 'fail', detail: 'neither runc nor crun is installed', fix: `${APT} runc`, required: true });
  } else if (!cgroupV2 && runtime === 'crun') {
    checks.push({
      id: 'oci-runtime',
      title: 'OCI runtime',
      status: 'fail',
      detail: 'podman uses crun, which refuses cgroup v1/hybrid hosts',
      fix: runtimes.includes('runc') ? useRunc : `${APT} runc && ${useRunc}`,
      required: true,
    });
  } else {
    checks.push({ id: 'oci-runtime', title: 'OCI runtime', status: 'ok', detail: runtime ? `${runtime} (podman's choice)` : runtimes.join(', '), required: true });
  }

  const helpers = ['pasta', 'slirp4netns'].filter((p) => probe.which(p));
  checks.push(
    helpers.length
      ? { id: 'network-helper', title: 'rootless network helper', status: 'ok', detail: helpers.join(', '), required: true }
      : { id: 'network-helper', title: 'rootless network helper', status: 'fail', detail: 'neither pasta nor slirp4netns is installed', fix: `${APT} slirp4netns`, required: true },
  );

  checks.push(stateDirCheck(probe, info?.host?.conmon?.path));

  const tun = '/dev/net/tun';
  const tunOk = probe.isCharDevice(tun) && probe.canReadWrite(tun);
  checks.push(
    tunOk
      ? { id: 'tun', title: tun, status: 'ok', detail: 'usable', required: true }
      : {
          id: 'tun',
          title: tun,
          status: 'fail',
          detail: probe.exists(tun) ? `${tun} is not readable and writable by you` : `${tun} does not exist`,
          fix: probe.exists(tun) ? `sudo chmod 0666 ${tun}` : `sudo mkdir -p /dev/net && sudo mknod ${tun} c 10 200 && sudo chmod 0666 ${tun}`,
          required: true,
        },
  );

  let imageClis: ImageCliVersions;
  let imagePrograms: Set<string> | undefined;
  if (version) {
    const res = probe.run(['podman', 'image', 'exists', WORKSPACE_IMAGE], 30_000);
    // `image exists` says 1 for a missing image; anything else is podman failing (then `peers image
    // build` would fail the same way, and the image is not known to be missing).
    checks.push(
      res.code === 0
        ? { id: 'image', title: 'workspace image', status: 'ok', detail: WORKSPACE_IMAGE, required: true }
        : res.code === 1
          ? { id: 'image', title: 'workspace image', status: 'fail', detail: `${WORKSPACE_IMAGE} is not built`, fix: 'peers image build', required: true }
          : { id: 'image', title: 'workspace image', status: 'skip', detail: `podman does not answer (podman image exists: ${res.code === null ? 'no exit status' : `exit ${res.code}`}): fix podman first (podman info above)`, required: true },
    );
    if (res.code === 0) {
      const found = probeImageClis(probe, WORKSPACE_IMAGE);
      imageClis = 'versions' in found ? found.versions : undefined;
      imagePrograms = 'programs' in found ? found.programs : undefined;
      checks.push(imageCliCheck(found));
    }
  } else {
    checks.push({ id: 'image', title: 'workspace image', status: 'skip', detail: 'needs podman', required: true });
  }
  return { checks, imageClis, ...(imagePrograms ? { imagePrograms } : {}) };
}

/**
 * Can podman write the loop's console into the state dirs (conmon-log-path.ts)? A ':' in the path
 * cannot be; a path that is not ASCII is put to conmon as podman will give it. Every run's state
 * dir is a directory of this one with an ASCII name (or PEERS_STATE_DIR itself), so one look answers
 * for all of them.
 */
export function stateDirCheck(probe: HostProbe, conmonPath: string | undefined): DoctorCheck {
  const title = 'state directory';
  let dir: string;
  try {
    dir = stateDirOverride(probe.env) ?? join(xdgStateHome(probe.env), 'peers');
  } catch (error) {
    if (!(error instanceof PeersError)) throw error;
    return { id: 'state-dir', title, status: 'fail', detail: error.message, ...(error.hint ? { fix: error.hint } : {}), required: true };
  }
  const logPath = join(dir, 'loop.log');
  const conmon = pathNeedsLocale(logPath) ? (conmonPath ?? CONMON_PLACES.find((p) => probe.exists(p))) : undefined;
  let asked = false;
  const problem = logPathProblem(dir, logPath, () => {
    if (!conmon) return undefined;
    asked = true;
    const r = probe.run(conmonProbeArgv(conmon, logPath, probe.env as NodeJS.ProcessEnv));
    return r.error ? undefined : r;
  });
  if (problem) return { id: 'state-dir', title, status: 'fail', detail: problem.message, fix: problem.hint, required: true };
  if (!pathNeedsLocale(logPath)) return { id: 'state-dir', title, status: 'ok', detail: dir, required: true };
  return asked
    ? { id: 'state-dir', title, status: 'ok', detail: `${dir} (not plain ASCII: conmon takes it as the loop's log path)`, required: true }
    : { id: 'state-dir', title, status: 'skip', detail: `${dir} is not plain ASCII and conmon could not be asked whether it takes it as the loop's log path (podman info names no conmon)`, required: false };
}

/** Versions of the CLIs in the image; undefined when the image could not be inspected. */
type ImageCliVersions = Partial<Record<ImageCli, string>> | undefined;

function imageCliCheck(found: ReturnType<typeof probeImageClis>): DoctorCheck {
  const title = 'peer CLIs in the image';
  if ('error' in found) return { id: 'image-clis', title, status: 'warn', detail: `could not run the image: ${found.error}`, fix: 'podman run --rm localhost/peers-workspace:latest --version', required: false };
  const have = IMAGE_CLIS.filter((c) => found.versions[c]);
  const missing = (['claude', 'codex'] as const).filter((c) => !found.versions[c]);
  const detail = [...have.map((c) => `${c} ${found.versions[c]}`), ...IMAGE_CLIS.filter((c) => !found.versions[c]).map((c) => `${c} missing`)].join('; ');
  return missing.length
    ? { id: 'image-clis', title, status: 'fail', detail, fix: 'peers image build --force', required: true }
    : { id: 'image-clis', title, status: 'ok', detail, required: true };
}

const PEER_CLIS: { program: string; pkg: string }[] = [
  { program: 'claude', pkg: '@anthropic-ai/claude-code' },
  { program: 'codex', pkg: '@openai/codex' },
  { program: 'opencode', pkg: 'opencode-ai' },
];

function peerCliChecks(probe: HostProbe): DoctorCheck[] {
  return PEER_CLIS.map(({ program, pkg }) => {
    const v = versionOf(probe, program);
    if (v) return { id: `cli-${program}`, title: `${program} CLI`, status: 'ok', detail: v, required: false };
    // `peers up` runs the image's copy (the image check above): one missing here is nothing to warn
    // about for a user on API keys or rehearsing, and a new user read three warnings as three problems.
    const installed = probe.which(program) !== undefined;
    return {
      id: `cli-${program}`,
      title: `${program} CLI`,
      status: installed ? 'warn' : 'skip',
      detail: installed ? `${program} --version failed` : `${program} is not on PATH: \`peers up\` runs the workspace image's; install it here only to log in with it`,
      fix: `npm install -g ${pkg}`,
      required: false,
    } satisfies DoctorCheck;
  });
}

function projectChecks(probe: HostProbe, imageClis: ImageCliVersions, imagePrograms: Set<string> | undefined): DoctorCheck[] {
  let projects;
  try {
    projects = listRegisteredProjects(probe.env);
  } catch (error) {
    const path = projectRegistryPath(probe.env);
    return [{ id: 'projects', title: 'registered projects', status: 'fail', detail: `${path}: ${(error as Error).message}`, fix: `${shellCommand('rm', path)}  # then run \`peers init --force\` in each project`, required: true }];
  }
  if (projects.length === 0) {
    return [{ id: 'projects', title: 'registered projects', status: 'ok', detail: 'none registered yet (`peers init` registers a project)', required: false }];
  }
  return projects.flatMap(({ path }): DoctorCheck[] => {
    // A project deleted (or moved) since it was registered is not this machine's problem: no
    // `peers init` could help there, and it must not fail every doctor from now on.
    if (!probe.exists(path)) {
      return [{ id: `project:${path}`, title: `project ${path}`, status: 'warn', detail: `${path} no longer exists (deleted or moved since peers registered it)`, fix: `${shellCommand('peers', 'rm', path)}  # forgets it (its run state is kept); moved? peers init in its new place`, required: false }];
    }
    try {
      const { config, goals, dir } = loadProject(path);
      return [
        { id: `project:${path}`, title: `project ${path}`, status: 'ok', detail: `${config.peers.length} peers, ${goals.goals.length} goals`, required: true },
        ...peerChecks(probe, path, config, imageClis),
        ...[vendorHostsCheck(path, config, probe)].filter((c): c is DoctorCheck => c !== null),
        ...(imagePrograms ? [gateProgramsCheck(path, goals.goals, config.setup, imagePrograms, projectFilesAt(path))] : []),
        verifyCheck(probe, path, dir, config, goals),
      ];
    } catch (error) {
      if (!(error instanceof PeersError)) throw error;
      const first = error instanceof InputErrors ? error.problems[0] : error;
      const file = first?.location?.file;
      const missing = !probe.exists(`${path}/.peers`);
      return [
        {
          id: `project:${path}`,
          title: `project ${path}`,
          status: 'fail',
          detail: error.format(),
          fix: missing ? `${shellCommand('peers', 'init', path)}  # or, done with peers there: ${shellCommand('peers', 'rm', path)}` : `\${EDITOR:-vi} ${shellWord(file ?? `${path}/.peers/config.yaml`)}  # then: ${shellCommand('peers', 'info', '-C', path)}`,
          required: true,
        },
      ];
    }
  });
}

/** Each peer: its credentials (by name, never by value), and its CLI in the image when peers knows it. */
function peerChecks(probe: HostProbe, path: string, config: ReturnType<typeof loadProject>['config'], imageClis: ImageCliVersions): DoctorCheck[] {
  const home = probe.env.HOME ?? '';
  const checks: DoctorCheck[] = [];
  for (const peer of config.peers) {
    // opencode is served with Claude's login (apps/doctor/credentials.ts), so its file reads as Claude's.
    const loginOf = (file: string) => (peer.tool === 'codex' ? loginAt(file, 'codex') : peer.tool === 'claude' || peer.tool === 'opencode' ? loginAt(file, 'claude') : undefined);
    const found = peerCredentials(
      peer,
      probe.env,
      home,
      (file) => probe.exists(file),
      (file) => {
        const login = loginOf(file);
        return login?.state === 'unusable' ? login.why : undefined;
      },
      {
        expiresAtMs: (file) => {
          const login = loginOf(file);
          return login?.state === 'usable' ? login.expiresAtMs : null;
        },
        nowMs: Date.now(),
      },
    );
    checks.push({ id: `credentials:${path}:${peer.name}`, title: `  ${peer.name} credentials`, status: found.status, detail: found.detail, ...(found.fix ? { fix: found.fix } : {}), required: found.status === 'fail' });
    const program = basename(peer.argv[0] ?? '');
    if (imageClis && (IMAGE_CLIS as readonly string[]).includes(program) && !imageClis[program as ImageCli]) {
      checks.push({ id: `cli:${path}:${peer.name}`, title: `  ${peer.name} CLI`, status: 'fail', detail: `${program} is not in the workspace image, so every turn of ${peer.name} would fail`, fix: 'peers image build --force', required: true });
    } else if (imageClis && !(IMAGE_CLIS as readonly string[]).includes(program) && peer.argv[0] && imageHasProgram(probe, WORKSPACE_IMAGE, peer.argv[0]) === false) {
      // A custom CLI (aider, …) on the user's machine says nothing about the image the turns run in.
      checks.push({
        id: `cli:${path}:${peer.name}`,
        title: `  ${peer.name} CLI`,
        status: 'fail',
        detail: `${program} is not in the workspace image, so every turn of ${peer.name} would fail with "${program}: not found"`,
        fix: `build the image on a Debian bookworm base that has ${program} on its PATH: peers image build --force --base IMAGE; or remove the peer from .peers/config.yaml`,
        required: true,
      });
    }
  }
  return checks;
}

function verifyCheck(probe: HostProbe, path: string, dir: string, config: ReturnType<typeof loadProject>['config'], goals: ReturnType<typeof loadProject>['goals']): DoctorCheck {
  const head = probe.run(['git', '-C', path, 'rev-parse', '--verify', '--quiet', 'HEAD']);
  const found = verifyFinding(path, readVerifyRecord(join(dir, VERIFY_RECORD_FILE)), head.code === 0 ? head.stdout.trim() : undefined, config, goals);
  return { id: `verify:${path}`, title: '  gates (last verify)', status: found.status, detail: found.detail, ...(found.fix ? { fix: found.fix } : {}), required: found.status === 'fail' };
}

export function runDoctor(probe: HostProbe): { checks: DoctorCheck[]; ok: boolean } {
  const podman = podmanChecks(probe);
  const checks = [gitCheck(probe), ...podman.checks, ...peerCliChecks(probe), ...projectChecks(probe, podman.imageClis, podman.imagePrograms)];
  return { checks, ok: !checks.some((c) => c.required && c.status === 'fail') };
}
