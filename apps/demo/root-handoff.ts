/**
 * `peers demo` run by root (the README's first line on a fresh machine: `bash test/setup.sh &&
 * dist/peers demo`). The sandbox pod is rootless and Claude Code refuses to run unattended as
 * root, so root hands the whole demo to the unprivileged user (`$PEERS_TEST_USER`, default
 * `peerstest`) when that user can run the pod: the same binary, `demo --pod --json`, under
 * `runuser … env -i` with only HOME, XDG_RUNTIME_DIR and PATH (root's environment, and whatever
 * secrets it holds, never reaches it). Its progress is relayed line by line as it comes, and its
 * JSON outcome becomes this run's outcome, so the command prints both exactly as for any demo.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PeersError } from '../../src/cli/errors.ts';
import { WORKSPACE_IMAGE } from '../../sandbox/image.ts';
import { hostBinary } from '../../sandbox/pod-plan.ts';
import type { DemoOutcome } from './demo-outcome.ts';
import { chownTree, unreachableFor, type RunAs } from './run-as-user.ts';

const USER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type Handoff = { who: RunAs; binary: string; env: Record<string, string> };

function passwdEntry(user: string): { uid: number; gid: number; home: string } | null {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) return null;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

function asUserArgv(h: Handoff, argv: string[]): string[] {
  return ['runuser', '-u', h.who.user, '--', 'env', '-i', ...Object.entries(h.env).map(([k, v]) => `${k}=${v}`), ...argv];
}

/**
 * The user root can hand the demo to, or why not (one line, with the fix). Creates the user's
 * XDG_RUNTIME_DIR when missing (no login session under runuser), as test/setup.d/podman.sh does.
 */
export function rootHandoff(env: NodeJS.ProcessEnv): { handoff: Handoff } | { why: string } {
  const user = env.PEERS_TEST_USER || 'peerstest';
  const pw = passwdEntry(user);
  if (!pw) return { why: `this is root and the unprivileged user '${user}' does not exist (bash test/setup.sh creates it, then peers image build as that user)` };
  if (!Bun.which('podman', { PATH: USER_PATH })) return { why: 'podman is not installed (install podman, then run `peers image build` as an unprivileged user)' };
  const who: RunAs = { user, uid: pw.uid, gid: pw.gid };
  let binary: string;
  try {
    binary = hostBinary();
  } catch (error) {
    return { why: (error as Error).message };
  }
  if (unreachableFor(who, [{ path: binary, need: 'exec' }]).length) {
    return { why: `the unprivileged user ${user} cannot run ${binary} (chmod o+x its parent directories, as test/setup.sh does for a checkout)` };
  }
  const runtimeDir = `/run/user/${pw.uid}`;
  if (!existsSync(runtimeDir)) {
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    chownSync(runtimeDir, pw.uid, pw.gid);
  }
  const userEnv: Record<string, string> = { HOME: pw.home, USER: user, LOGNAME: user, XDG_RUNTIME_DIR: runtimeDir, PATH: USER_PATH, LANG: 'C.UTF-8' };
  if (env.NO_COLOR) userEnv.NO_COLOR = env.NO_COLOR;
  if (env.TMPDIR && unreachableFor(who, [{ path: env.TMPDIR, need: 'write' }]).length === 0) userEnv.TMPDIR = env.TMPDIR;
  const handoff: Handoff = { who, binary, env: userEnv };
  try {
    const [cmd, ...rest] = asUserArgv(handoff, ['podman', 'image', 'exists', WORKSPACE_IMAGE]);
    execFileSync(cmd!, rest, { cwd: '/', stdio: 'ignore', timeout: 60_000 });
  } catch {
    return { why: `the workspace image ${WORKSPACE_IMAGE} is missing for ${user} (build it once as that user: runuser -u ${user} -- peers image build)` };
  }
  return { handoff };
}

/**
 * The child's stderr, line by line as it comes: its progress lines go where this run's own would
 * (print), anything else (warnings, its error message) to the command's stderr (warn).
 */
async function relayLines(stream: ReadableStream<Uint8Array>, print: (line: string) => void, warn: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let partial = '';
  const emit = (line: string) => (/^(peers demo: | {2}\S)/.test(line) ? print(line) : warn(line));
  for await (const chunk of stream) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) emit(line);
  }
  if (partial) emit(partial);
}

/**
 * Runs the demo as the handoff user in the pod; resolves with its outcome. A run that ended
 * without an outcome (bad input, a refused start) fails with the child's own exit code: its
 * message has already reached the caller's stderr.
 */
export async function runDemoAs(h: Handoff, o: { dir?: string; keep: boolean; signal?: AbortSignal; print: (line: string) => void; warn: (line: string) => void }): Promise<DemoOutcome> {
  const args = ['demo', '--pod', '--json'];
  if (o.keep) args.push('--keep');
  if (o.dir) {
    // run-demo.ts already refused a non-empty --dir; an empty or new one becomes the user's.
    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chownTree(dir, h.who);
    if (unreachableFor(h.who, [{ path: dir, need: 'write' }]).length) {
      throw new PeersError(`the unprivileged user ${h.who.user} cannot write to ${dir}: a parent directory shuts it out`, { hint: `pass a --dir ${h.who.user} can reach (e.g. under /tmp), or leave --dir out for a temporary one` });
    }
    args.push('--dir', dir);
  }
  o.print(`peers demo: running as root: the demo runs as the unprivileged user ${h.who.user}, in its rootless sandbox pod`);
  const child = Bun.spawn(asUserArgv(h, [h.binary, ...args]), { cwd: '/', stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { PATH: USER_PATH } });
  const stop = () => child.kill('SIGTERM');
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    const [stdout, , code] = await Promise.all([new Response(child.stdout).text(), relayLines(child.stderr, o.print, o.warn), child.exited]);
    return { ...childOutcome(stdout, code, h.who.user), run_as: h.who.user };
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
}

/**
 * The outcome the demo run as `user` printed (`peers demo --json`). Its error document (a pod
 * that did not start, a refused directory) is its failure, said with its exit code: taken for an
 * outcome, it crashed the demo with exit 70 on the missing report.
 */
export function childOutcome(stdout: string, code: number, user: string): DemoOutcome {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    doc = undefined;
  }
  const error = (doc as { error?: { message?: unknown; exit_code?: unknown; hint?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    const exitCode = typeof error.exit_code === 'number' && error.exit_code > 0 ? error.exit_code : code || 1;
    throw new PeersError(`the demo run as ${user} failed: ${error.message}`, { exitCode, ...(typeof error.hint === 'string' ? { hint: error.hint } : {}) });
  }
  if (typeof (doc as Partial<DemoOutcome> | undefined)?.report !== 'string') {
    throw new PeersError(`the demo run as ${user} ended without a result (exit ${code})`, { exitCode: code === 0 ? 1 : code, hint: 'its own message is just above' });
  }
  return doc as DemoOutcome;
}
