/**
 * `peers doctor` spends nearly all its time waiting on external commands (`podman info` alone takes
 * hundreds of milliseconds). The checks ask for them one after another; they do not depend on each
 * other, so the orchestration starts them all at once first and the checks read the results. A
 * command the checks ask for that was not started here still runs, the ordinary way.
 */
import { spawn } from 'node:child_process';
import { WORKSPACE_IMAGE } from './doctor-checks.ts';
import { probeEnv, type HostProbe, type RunResult } from './host-probe.ts';
import { imageCliCommand } from './image-clis.ts';

export type Prefetch = { argv: string[]; timeoutMs: number };
export type RunAsync = (argv: string[], timeoutMs: number) => Promise<RunResult>;

/** What doctor-checks.ts runs, with the timeouts it gives (15 s by default, 30 s for podman's own). */
export const DOCTOR_COMMANDS: readonly Prefetch[] = [
  { argv: ['git', '--version'], timeoutMs: 15_000 },
  { argv: ['podman', '--version'], timeoutMs: 15_000 },
  { argv: ['podman', 'info', '--format', 'json'], timeoutMs: 30_000 },
  { argv: ['podman', 'image', 'exists', WORKSPACE_IMAGE], timeoutMs: 30_000 },
  ...['claude', 'codex', 'opencode'].map((program) => ({ argv: [program, '--version'], timeoutMs: 15_000 })),
  // The CLIs' versions inside the workspace image (only asked for when the image exists).
  imageCliCommand(WORKSPACE_IMAGE),
];

const key = (argv: string[], timeoutMs: number) => `${timeoutMs}\0${argv.join('\0')}`;

/**
 * Runs every command of `prefetch` whose program is on PATH concurrently, then returns `probe` with
 * `run` answering those from the results (same argv and timeout) and everything else as before.
 */
export async function withPrefetchedRuns(probe: HostProbe, prefetch: readonly Prefetch[], runAsync: RunAsync): Promise<HostProbe> {
  const wanted = prefetch.filter((p) => probe.which(p.argv[0]!));
  const results = await Promise.all(wanted.map((p) => runAsync(p.argv, p.timeoutMs)));
  const done = new Map(wanted.map((p, i) => [key(p.argv, p.timeoutMs), results[i]!]));
  return {
    ...probe,
    run: (argv, timeoutMs = 15_000) => done.get(key(argv, timeoutMs)) ?? probe.run(argv, timeoutMs),
  };
}

/** The asynchronous twin of HostProbe.run (host-probe.ts): PATH lookup, no stdin, output as text. */
export function hostRunAsync(probe: HostProbe): RunAsync {
  return (argv, timeoutMs) =>
    new Promise((resolve) => {
      const child = spawn(probe.which(argv[0]!) ?? argv[0]!, argv.slice(1), { env: probeEnv(argv, probe.env), stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
      let stdout = '';
      let stderr = '';
      let failure: string | undefined;
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      // A failed spawn may report 'error' without a 'close'; the first answer wins.
      child.on('error', (error) => {
        failure = error.message;
        resolve({ code: null, stdout, stderr, error: failure });
      });
      child.on('close', (code, signal) => {
        if (signal && !failure) failure = `${argv[0]} ended by ${signal} (limit ${timeoutMs} ms)`;
        resolve({ code, stdout, stderr, ...(failure ? { error: failure } : {}) });
      });
    });
}
