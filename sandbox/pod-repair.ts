/**
 * `peers up` on a running run whose pod lost a container (the egress proxy, the auth sidecar, a
 * runner): start it again. The container keeps its configuration (podman start of the stopped
 * container), reconnects to the loop's lifeline, and the loop, which has held the run meanwhile,
 * goes on (src/loop/pod-health.ts; docs/ARCHITECTURE.md, "A dead sidecar"). Each restart first
 * says why the container stopped (its exit code and last line), which is otherwise only in
 * `podman logs`: a sidecar that exits on its own (a bad argument, a missing credential) stops again,
 * and the user learns why here.
 */
import { terminalLine } from '../src/cli/terminal-text.ts';
import { containerName, type Role } from './pod-layout.ts';
import { podman, podmanOk, type ContainerState } from './podman.ts';

/** Sidecars first, as `up` starts them (podman-render.ts): what the others connect to. */
const START_ORDER: readonly string[] = ['egress', 'bridge', 'auth', 'model-server', 'setup', 'gates', 'workspace'];
/** What of a container's last line is shown. */
const LAST_LINE_CHARS = 300;

/** podman's own messages on its stderr (`time="…" level=warning msg="…"`), not the container's. */
const PODMAN_OWN = /^time="[^"]*" level=/;

/**
 * Why a stopped container stopped, in words: `exit 2; its last line: …`, from `podman inspect`'s
 * exit code and the last line it wrote (stderr first: where a program says why it exits).
 */
export function stoppedBecause(exitCode: string | undefined, stdout: string, stderr: string): string {
  const lastOf = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !PODMAN_OWN.test(l)).at(-1);
  const last = lastOf(stderr) ?? lastOf(stdout);
  const code = exitCode && /^\d+$/.test(exitCode) ? `exit ${exitCode}${exitCode === '137' ? ' (killed)' : ''}` : 'exit code unknown';
  const line = last === undefined ? '' : terminalLine(last.length > LAST_LINE_CHARS ? `${last.slice(0, LAST_LINE_CHARS - 1)}…` : last);
  return line ? `${code}; its last line: ${line}` : code;
}

/** Why container `name` stopped, from its last lines; its exit code as given (podman ps's), else asked of `podman inspect`. */
async function whyStopped(name: string, env: NodeJS.ProcessEnv, exitCode?: number): Promise<string> {
  const inspect = exitCode === undefined ? podman(['inspect', '--format', '{{.State.ExitCode}}', name], { env }) : undefined;
  const logs = await podman(['logs', '--tail', '5', name], { env });
  const code = exitCode !== undefined ? String(exitCode) : await inspect!.then((r) => (r.code === 0 ? r.stdout.trim() : undefined));
  return stoppedBecause(code, logs.code === 0 ? logs.stdout : '', logs.code === 0 ? logs.stderr : '');
}

/**
 * Why each of a running run's stopped containers stopped, for `peers status` and `ls --json`
 * (sandbox/reconcile.ts): a sidecar that exits at start (a bad argument, a missing credential)
 * holds the run, and `status` is where the user looks first. The exit code is podman ps's own.
 */
export async function stoppedContainersBecause(stopped: readonly ContainerState[], env: NodeJS.ProcessEnv): Promise<{ role: string; why: string }[]> {
  return Promise.all(stopped.map(async (c) => ({ role: c.role, why: await whyStopped(c.name, env, c.exitCode) })));
}

export async function restartContainers(project: string, roles: readonly string[], progress: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const ordered = [...roles].sort((a, b) => START_ORDER.indexOf(a) - START_ORDER.indexOf(b));
  for (const role of ordered) {
    const name = containerName(project, role as Role);
    progress(`restarting ${role} (it had stopped while the run was running: ${await whyStopped(name, env)})`);
    await podmanOk(['start', name], { env });
  }
}
