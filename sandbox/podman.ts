/**
 * The one place peers starts podman. Everything else builds argv (podman-render.ts) and calls
 * `podman(args, { env })`. `PEERS_PODMAN` in the environment the command was given overrides the
 * executable (a wrapper script in tests); podman itself runs in that environment.
 */
import { PeersError } from '../src/cli/errors.ts';

export type PodmanResult = { code: number; stdout: string; stderr: string };

export function podmanBin(env: NodeJS.ProcessEnv): string {
  return env.PEERS_PODMAN || 'podman';
}

/** The UTF-8 locale podman runs in (glibc has it built in since 2.35; Debian and Fedora ship it before). */
export const PODMAN_LOCALE = 'C.UTF-8';

/**
 * The environment podman runs in: the command's, with LC_ALL=C.UTF-8. podman passes conmon only
 * its LC_* variables (never LANG), and conmon reads the loop's log path through that locale's
 * charset: in the C locale a state dir like /home/josé/.local/state failed every container start
 * (conmon-log-path.ts). Nothing podman or its helpers print is translated, and no LC_* variable
 * reaches a container (podman sets their environment from the image and --env alone).
 */
export function podmanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, LC_ALL: PODMAN_LOCALE };
}

/** Runs podman; resolves with its exit code and output (never throws on a non-zero exit). */
export function podman(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; stdin?: string | NodeJS.ReadableStream; timeoutMs?: number; onLine?: (line: string) => void },
): Promise<PodmanResult> {
  return new Promise((resolve, reject) => {
    // Loaded on first use: `peers status` as root, or without podman, asks podman nothing.
    const child = process.getBuiltinModule('node:child_process').spawn(podmanBin(opts.env), args, { stdio: ['pipe', 'pipe', 'pipe'], env: podmanEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.on('data', (b: Buffer) => {
      const s = b.toString('utf8');
      stdout += s;
      if (opts.onLine) {
        const lines = (partial + s).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new PodmanMissing(podmanBin(opts.env)));
      else reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (opts.onLine && partial) opts.onLine(partial);
      resolve({ code: code ?? 1, stdout, stderr: stripNoise(stderr) });
    });
    if (typeof opts.stdin === 'string') child.stdin.end(opts.stdin);
    else if (opts.stdin) opts.stdin.pipe(child.stdin);
    else child.stdin.end();
  });
}

/**
 * No podman to run (not installed, not on this PATH, PEERS_PODMAN naming nothing). Commands that
 * only look for a pod (down, logs) take it as "no pod": none of this podman's containers can run.
 */
export class PodmanMissing extends PeersError {
  constructor(readonly bin: string) {
    super(`podman not found (${bin})`, { hint: 'install podman (Debian: apt-get install podman uidmap slirp4netns catatonit runc)' });
  }
}

/** Like `podman` but a non-zero exit is a PeersError naming the command, with what to do about it. */
export async function podmanOk(args: string[], opts: Parameters<typeof podman>[1]): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new PeersError(`podman ${args.slice(0, 2).join(' ')} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 600)}`, { hint: podmanFailureHint(r.stderr) });
  return r.stdout;
}

/**
 * What to do when podman itself fails. Rootless podman keeps its storage under $XDG_DATA_HOME (else
 * ~/.local/share) and its runtime files under $XDG_RUNTIME_DIR (else a directory of its own): a HOME
 * or runtime directory this user cannot write fails every podman command before it looks at anything.
 */
export function podmanFailureHint(stderr: string): string {
  if (/permission denied/i.test(stderr)) {
    const where = /(?:mkdir|open|stat) (\/\S+?):/.exec(stderr)?.[1];
    return `podman cannot write ${where ?? 'its storage or runtime directory'}: rootless podman keeps its files under $HOME/.local/share/containers (or $XDG_DATA_HOME) and $XDG_RUNTIME_DIR; give this user a writable HOME, or point XDG_DATA_HOME and XDG_RUNTIME_DIR at writable directories; \`peers doctor\` checks podman`;
  }
  return '`peers doctor` checks podman and says what is wrong with it';
}

/** Podman prints warnings that are facts of the host, not of the command (e.g. "/" not shared). */
function stripNoise(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/is not a shared mount|Resource limits are not supported and ignored on cgroups V1 rootless/.test(l))
    .join('\n');
}

export async function imageExists(ref: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await podman(['image', 'exists', ref], { env })).code === 0;
}

export type ContainerState = { name: string; role: string; status: string; running: boolean; exitCode: number };

/** The state of every container labelled with this project (in the pod or not). */
export async function projectContainers(project: string, env: NodeJS.ProcessEnv): Promise<ContainerState[]> {
  const out = await podmanOk(['ps', '-a', '--filter', `label=peers.project=${project}`, '--format', 'json'], { env });
  return (JSON.parse(out || '[]') as PodmanPsRow[]).map(containerStateOf);
}

export type PodmanPsRow = { Names: string[]; Labels?: Record<string, string>; State: string; ExitCode: number; IsInfra?: boolean };

/**
 * One `podman ps` row as `status` shows it. The pod's infra container carries the pod's labels
 * (the project's) but no `peers.role` of its own (podman-render.ts labels the members): it is the
 * `infra` container, never a role of "" (a new user read that as a broken member).
 */
export function containerStateOf(r: PodmanPsRow): ContainerState {
  return {
    name: r.Names[0] ?? '',
    role: r.Labels?.['peers.role'] ?? (r.IsInfra ? 'infra' : 'unlabelled'),
    status: r.State,
    running: r.State === 'running',
    exitCode: r.ExitCode,
  };
}

/** When a container last started (ISO), from podman; null when podman cannot say. */
/** Whether the container runs now (false when it is stopped, gone, or podman cannot say). */
export async function containerRunning(name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await podman(['inspect', '--type', 'container', '--format', '{{.State.Running}}', name], { env }).catch(() => undefined);
  return r?.code === 0 && r.stdout.trim() === 'true';
}

export async function containerStartedAt(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const r = await podman(['inspect', '--type', 'container', '--format', '{{.State.StartedAt}}', name], { env });
  if (r.code !== 0) return null;
  // Go's time format: "2026-11-22 02:41:07.123456789 +0000 UTC"
  const m = r.stdout.trim().match(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{4})/);
  return m ? new Date(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}${m[4]!.slice(0, 3)}:${m[4]!.slice(3)}`).toISOString() : null;
}
