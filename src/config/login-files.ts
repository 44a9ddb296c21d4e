/**
 * Where the CLIs keep their subscription logins, as the CLIs themselves decide it: Claude Code's
 * `.credentials.json` in its config dir (`CLAUDE_CONFIG_DIR`, else `~/.claude`), Codex's
 * `auth.json` in `CODEX_HOME` (else `~/.codex`). `peers up --credentials oauth-file` mounts these
 * dirs into the auth sidecar; `peers doctor` and the budget's billing guess look at the same files.
 */
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

export function claudeConfigDir(env: Env, home: string): string {
  return env.CLAUDE_CONFIG_DIR || join(home, '.claude');
}

export function claudeLoginFile(env: Env, home: string): string {
  return join(claudeConfigDir(env, home), '.credentials.json');
}

export function codexHomeDir(env: Env, home: string): string {
  return env.CODEX_HOME || join(home, '.codex');
}

export function codexLoginFile(env: Env, home: string): string {
  return join(codexHomeDir(env, home), 'auth.json');
}
