/**
 * Runs the real CLI (`bun src/main.ts …`) as a user would, in a scratch environment: its own HOME
 * and XDG_CONFIG_HOME so nothing touches the developer's registry or credentials.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';

const REPO = join(import.meta.dir, '../../..');
const BUN = join(REPO, 'node_modules/.bin/bun');

export type CliResult = { code: number; stdout: string; stderr: string };

export function runPeers(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): CliResult {
  const res = spawnSync(BUN, [join(REPO, 'src/main.ts'), ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', PEERS_DEBUG: '', ...opts.env } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** runPeers without blocking the test's process, so independent invocations can overlap. */
export async function runPeersAsync(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const child = Bun.spawn([BUN, join(REPO, 'src/main.ts'), ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', PEERS_DEBUG: '', ...opts.env } as Record<string, string>,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code: child.signalCode ? -1 : code, stdout, stderr };
}

/** A stack trace line as JS runtimes print them. */
export const STACK_LINE = /^\s+at\s.+[(:]\d+/m;

export type Sandbox = { root: string; home: string; env: Record<string, string>; cleanup(): void };

export function makeSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'peers-cli-'));
  const home = join(root, 'home');
  mkdirSync(home);
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
    ANTHROPIC_API_KEY: '',
    OPENAI_API_KEY: '',
    OPENROUTER_API_KEY: '',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  return { root, home, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const IDENT = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_CONFIG_GLOBAL: '/dev/null' };

/** A git repository with one commit (unless `commits: 0`). */
export function makeRepo(parent: string, name: string, opts: { commits?: number } = {}): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  gitOk(dir, ['init', '-q', '-b', 'main'], { env: IDENT });
  for (let i = 0; i < (opts.commits ?? 1); i++) gitOk(dir, ['commit', '-q', '--allow-empty', '-m', `commit ${i}`], { env: IDENT });
  return dir;
}

export function gitIn(dir: string, args: string[]): string {
  return gitOk(dir, args, { env: IDENT }).trim();
}
