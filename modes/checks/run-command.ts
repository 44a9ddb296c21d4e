/**
 * Runs a project command (its linter, type checker or test suite) for a check: `sh -c` in the
 * checkout, output captured. The gate that runs the check bounds its time and output and kills the
 * whole process group on timeout, so no limit is repeated here beyond a buffer cap.
 */
import { spawnSync } from 'node:child_process';

export type CommandRun = { exitCode: number; stdout: string; stderr: string };

export function runShell(cmd: string, cwd: string, env: Record<string, string | undefined> = {}): CommandRun {
  const res = spawnSync('/bin/sh', ['-c', cmd], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) return { exitCode: 127, stdout: '', stderr: `could not run ${cmd}: ${res.error.message}` };
  return { exitCode: res.status ?? 128, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** The last `n` non-empty lines of a command's output, indented for a report. */
export function outputTail(run: Pick<CommandRun, 'stdout' | 'stderr'>, n = 30): string {
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.slice(-n);
  return `${lines.length > n ? `  … (${lines.length - n} earlier lines)\n` : ''}${kept.map((l) => `  ${l.slice(0, 400)}`).join('\n')}`;
}
