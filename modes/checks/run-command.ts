/**
 * Runs a project command (its linter, type checker or test suite) for a check: `sh -c` in the
 * checkout, output captured. The gate that runs the check bounds its time and output and kills the
 * whole process group on timeout, so no limit is repeated here beyond a buffer cap.
 */
import { spawnSync } from 'node:child_process';
import { spawnEnv } from '../../src/proc/spawn-env.ts';

export type CommandRun = { exitCode: number; stdout: string; stderr: string };

/**
 * What tells git which repository to use. `peers check` points them at its read-only view of the
 * repository (src/git/observed-view.ts) for the check's own reads; the project's commands must find
 * their own repositories (a test suite that makes one in a temporary directory), never that view.
 */
const REPOSITORY_SELECTORS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES'];

function projectEnv(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base, ...extra };
  for (const k of REPOSITORY_SELECTORS) delete env[k];
  return env;
}

export function runShell(cmd: string, cwd: string, env: Record<string, string | undefined> = {}): CommandRun {
  const res = spawnSync('/bin/sh', ['-c', cmd], { cwd, env: projectEnv(spawnEnv(), env), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) return { exitCode: 127, stdout: '', stderr: `could not run ${cmd}: ${res.error.message}` };
  return { exitCode: res.status ?? 128, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** The last `n` non-empty lines of a command's output, indented for a report. */
export function outputTail(run: Pick<CommandRun, 'stdout' | 'stderr'>, n = 30): string {
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.slice(-n);
  return `${lines.length > n ? `  … (${lines.length - n} earlier lines)\n` : ''}${kept.map((l) => `  ${l.slice(0, 400)}`).join('\n')}`;
}
