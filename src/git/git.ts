/**
 * The one way peers runs git. Every call disables repository hooks and fsmonitor, because a peer
 * may have planted them in `.git/` and the host must never execute them (baseline weakness §17.2).
 * Global/system config is left alone except where a caller passes `hermetic` (tests, sandbox).
 */
import { spawnSync } from 'node:child_process';

export const SAFE_GIT_FLAGS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'protocol.file.allow=always'];

export type GitResult = { code: number; stdout: string; stderr: string };

export class GitError extends Error {
  constructor(readonly args: string[], readonly result: GitResult) {
    super(`git ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'GitError';
  }
}

export type GitOptions = { env?: Record<string, string | undefined>; input?: string; maxBuffer?: number };

export function git(cwd: string, args: string[], opts: GitOptions = {}): GitResult {
  const res = spawnSync('git', [...SAFE_GIT_FLAGS, ...args], {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...opts.env },
    input: opts.input,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (res.error) throw res.error;
  return { code: res.status ?? 128, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** Runs git and returns stdout; throws GitError on a non-zero exit. */
export function gitOk(cwd: string, args: string[], opts: GitOptions = {}): string {
  const res = git(cwd, args, opts);
  if (res.code !== 0) throw new GitError(args, res);
  return res.stdout;
}

export function isGitRepo(dir: string): boolean {
  const res = git(dir, ['rev-parse', '--is-inside-work-tree']);
  return res.code === 0 && res.stdout.trim() === 'true';
}

export function headSha(cwd: string): string | undefined {
  const res = git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  return res.code === 0 ? res.stdout.trim() : undefined;
}

export function repoRoot(cwd: string): string {
  return gitOk(cwd, ['rev-parse', '--show-toplevel']).trim();
}
