/**
 * Running a command in one container of a run's Pod: what delivery, state sync and the results
 * branch need from a cluster. The Kubernetes API's exec implements it (kube-client.ts); so does
 * `podman exec` into the Pods `podman kube play` made of the same YAML (the e2e test), so the
 * same code runs against both.
 */
import { spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { PeersError } from '../../src/cli/errors.ts';
import type { ExecResult } from './kube-client.ts';

export type PodExec = (container: string, argv: string[], io?: { stdin?: Readable; stdout?: Writable; stderr?: Writable }) => Promise<ExecResult>;

/** Runs argv and collects its stdout (capped), failing on a non-zero exit with its stderr. */
export async function execText(exec: PodExec, container: string, argv: string[], what: string, o: { stdin?: Readable; cap?: number } = {}): Promise<string> {
  const cap = o.cap ?? 16 * 1024 * 1024;
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => {
    if (stdout.length < cap) stdout += b.toString('utf8');
  });
  err.on('data', (b: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += b.toString('utf8');
  });
  const r = await exec(container, argv, { stdin: o.stdin, stdout: out, stderr: err });
  if (r.code !== 0) throw new PeersError(`${what} failed in the ${container} container (exit ${r.code}): ${(stderr.trim() || r.message || '').split('\n').slice(-4).join(' | ')}`);
  return stdout;
}

/** `podman exec -i POD-CONTAINER argv` (podman kube play names a Pod's containers so). */
export function podmanPodExec(podman: string[], pod: string, env: NodeJS.ProcessEnv): PodExec {
  return (container, argv, io = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(podman[0]!, [...podman.slice(1), 'exec', ...(io.stdin ? ['-i'] : []), `${pod}-${container}`, ...argv], { stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env });
      child.on('error', reject);
      if (io.stdin) io.stdin.pipe(child.stdin!);
      if (io.stdout) child.stdout!.pipe(io.stdout);
      else child.stdout!.resume();
      if (io.stderr) child.stderr!.pipe(io.stderr);
      else child.stderr!.resume();
      child.on('close', (code) => resolve({ code: code ?? 1 }));
    });
}
