/**
 * The base directories peers derives from the environment ($PEERS_STATE_DIR, $XDG_STATE_HOME,
 * $XDG_CONFIG_HOME, $XDG_CACHE_HOME, $XDG_RUNTIME_DIR, $HOME, $TMPDIR), read in one place. Following the XDG Base
 * Directory specification, an XDG variable holding a relative path is ignored (its default
 * applies); a relative $HOME is ignored for the account's home from the password database.
 * $PEERS_STATE_DIR is peers' own: a relative value would put the run state wherever the command
 * happens to run, so it is refused.
 */
import { homedir, tmpdir, userInfo } from 'node:os';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../cli/errors.ts';

export function homeDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HOME && isAbsolute(env.HOME)) return env.HOME;
  try {
    return userInfo().homedir;
  } catch {
    return homedir();
  }
}

function xdgDir(env: Record<string, string | undefined>, name: 'XDG_STATE_HOME' | 'XDG_CONFIG_HOME' | 'XDG_CACHE_HOME', fallback: string[]): string {
  const value = env[name];
  return value && isAbsolute(value) ? value : join(homeDir(env), ...fallback);
}

export function xdgStateHome(env: Record<string, string | undefined> = process.env): string {
  return xdgDir(env, 'XDG_STATE_HOME', ['.local', 'state']);
}

export function xdgConfigHome(env: Record<string, string | undefined> = process.env): string {
  return xdgDir(env, 'XDG_CONFIG_HOME', ['.config']);
}

/** What peers may forget at any time and work out again (src/config/hard-goal-ids.ts). */
export function xdgCacheHome(env: Record<string, string | undefined> = process.env): string {
  return xdgDir(env, 'XDG_CACHE_HOME', ['.cache']);
}

/** $XDG_RUNTIME_DIR when it holds an absolute path (it has no default: the caller picks one). */
export function xdgRuntimeDir(env: Record<string, string | undefined> = process.env): string | undefined {
  const value = env.XDG_RUNTIME_DIR;
  return value && isAbsolute(value) ? value : undefined;
}

/**
 * peers' directory for what lives only while processes run (sockets shared with a pod, locks):
 * under $XDG_RUNTIME_DIR, else a per-user directory in the temp dir.
 */
export function peersRuntimeDir(env: Record<string, string | undefined> = process.env): string {
  const temp = env.TMPDIR && isAbsolute(env.TMPDIR) ? env.TMPDIR : tmpdir();
  return join(xdgRuntimeDir(env) ?? join(temp, `peers-${process.getuid?.() ?? 'user'}`), 'peers');
}

/** Whether `dir` is a directory this process can create files in. */
function writableDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * $TMPDIR only when it names a directory peers can write in, else the system's (the way Python's
 * tempfile skips an unusable candidate): a relative, missing or read-only $TMPDIR would otherwise
 * fail every temp checkout deep inside a command. Called once at startup, so `os.tmpdir()`, git
 * and every child process agree.
 */
export function dropUnusableTmpdir(env: Record<string, string | undefined> = process.env): void {
  const value = env.TMPDIR;
  if (value !== undefined && !(isAbsolute(value) && writableDir(value))) delete env.TMPDIR;
}

/** $PEERS_STATE_DIR when set (absolute, else exit 2), or undefined. */
export function stateDirOverride(env: Record<string, string | undefined> = process.env): string | undefined {
  const value = env.PEERS_STATE_DIR;
  if (!value) return undefined;
  if (!isAbsolute(value)) {
    throw new InputError(`PEERS_STATE_DIR must be an absolute path, not '${value}'`, { hint: 'set it to an absolute directory, or unset it for the default under $XDG_STATE_HOME/peers' });
  }
  return value;
}
