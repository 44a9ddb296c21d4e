/**
 * Who runs the demo's loop and peers on the host. Claude Code refuses
 * `--dangerously-skip-permissions` as root, so a root invocation hands the whole run (loop, peers,
 * gates) to an unprivileged user: `$PEERS_TEST_USER`, default `peerstest`, the same user CI's
 * test/setup.sh creates and the real-CLI tests run the CLIs as. Running the loop itself as that
 * user (not only the CLIs) keeps every file of the run owned by one user, so git never sees a
 * repository owned by someone else.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PeersError } from '../../src/cli/errors.ts';

export type RunAs = { user: string; uid: number; gid: number };

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function idOf(user: string, flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, user], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
}

/** null = run as the invoking user; otherwise the unprivileged user root hands the run to. */
export function demoRunAs(env: NodeJS.ProcessEnv = process.env): RunAs | null {
  if (!isRoot()) return null;
  const user = env.PEERS_TEST_USER || 'peerstest';
  try {
    return { user, uid: idOf(user, '-u'), gid: idOf(user, '-g') };
  } catch {
    throw new PeersError(`peers demo runs as root, and Claude Code refuses to run unattended as root; the unprivileged user '${user}' does not exist`, {
      hint: `create it (useradd -m ${user}) or name another with PEERS_TEST_USER=<user>, or run peers demo as a normal user`,
    });
  }
}

/** Gives a whole tree to the run's user (symlinks are re-owned themselves, never followed). */
export function chownTree(path: string, who: RunAs): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  chownSync(path, who.uid, who.gid);
  if (st.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), who);
}

/**
 * The argv that runs `argv` with exactly `env`, as `who` when given. `env -i` after runuser, so
 * root's environment (and whatever secrets it holds) never reaches the unprivileged run.
 */
export function argvAs(who: RunAs | null, argv: string[], env: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  if (!who) return { argv, env };
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return { argv: ['runuser', '-u', who.user, '--', 'env', '-i', ...assignments, ...argv], env: { PATH: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } };
}

/** The paths among `paths` that `who` cannot read (files) or execute (executables). */
export function unreachableFor(who: RunAs, paths: { path: string; need: 'read' | 'exec' | 'write' }[]): string[] {
  return paths
    .filter(({ path, need }) => {
      const flag = need === 'read' ? '-r' : need === 'exec' ? '-x' : '-w';
      try {
        execFileSync('runuser', ['-u', who.user, '--', 'test', flag, path], { stdio: 'ignore' });
        return false;
      } catch {
        return true;
      }
    })
    .map(({ path }) => path);
}
