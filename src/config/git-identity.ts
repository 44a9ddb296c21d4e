/**
 * Who the peers' commits are by. Every peer process gets GIT_AUTHOR_NAME/EMAIL and
 * GIT_COMMITTER_NAME/EMAIL in its environment, so a commit works without any git configuration
 * (the pod has no ~/.gitconfig, and a fresh machine may have none) and does not depend on a config
 * file a peer can edit. The identity is, per field, the first of:
 *   1. the peer's `git_author` in `.peers/config.yaml`;
 *   2. the user's own git identity, read once when the run starts (`peers up`, or `peers loop` on
 *      the host) and handed to the loop as PEERS_GIT_USER_NAME / PEERS_GIT_USER_EMAIL;
 *   3. the default: `<peer> (peers)` <`<peer>@peers.invalid`>.
 * Who made a commit for the protocol is attested by the loop (git notes), never the author field.
 */
import { spawnSync } from 'node:child_process';
import type { PeerSpec } from './config-schema.ts';

export type GitIdentity = { name: string; email: string };
export type UserIdentity = { name?: string; email?: string };
export type IdentitySource = 'config' | 'user' | 'default';

/** How `peers up` hands the user's identity to the loop (the loop's own environment, not the peers'). */
export const USER_IDENTITY_ENV = { name: 'PEERS_GIT_USER_NAME', email: 'PEERS_GIT_USER_EMAIL' } as const;

/** `.invalid` is reserved (RFC 2606): a default address can never reach anyone. */
export const DEFAULT_EMAIL_DOMAIN = 'peers.invalid';

export function defaultIdentity(peer: string): GitIdentity {
  return { name: `${peer} (peers)`, email: `${peer}@${DEFAULT_EMAIL_DOMAIN}` };
}

/** git refuses names and emails with angle brackets or line breaks; such a value is not an identity. */
export function usableIdentityPart(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v && !/[<>\n\r\0]/.test(v) ? v : undefined;
}

export function userIdentityFromEnv(env: Record<string, string | undefined>): UserIdentity {
  const name = usableIdentityPart(env[USER_IDENTITY_ENV.name]);
  const email = usableIdentityPart(env[USER_IDENTITY_ENV.email]);
  return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
}

export function userIdentityEnv(user: UserIdentity): Record<string, string> {
  return { ...(user.name ? { [USER_IDENTITY_ENV.name]: user.name } : {}), ...(user.email ? { [USER_IDENTITY_ENV.email]: user.email } : {}) };
}

export type ResolvedIdentity = GitIdentity & { source: { name: IdentitySource; email: IdentitySource } };

export function resolvePeerIdentity(peer: Pick<PeerSpec, 'name' | 'git_author'>, user: UserIdentity): ResolvedIdentity {
  const fallback = defaultIdentity(peer.name);
  const pick = (field: 'name' | 'email'): [string, IdentitySource] => {
    const configured = peer.git_author?.[field];
    if (configured) return [configured, 'config'];
    const own = user[field];
    if (own) return [own, 'user'];
    return [fallback[field], 'default'];
  };
  const [name, nameSource] = pick('name');
  const [email, emailSource] = pick('email');
  return { name, email, source: { name: nameSource, email: emailSource } };
}

/** Author and committer alike: git needs both for commit, merge, revert, rebase and notes. */
export function identityEnv(id: GitIdentity): Record<string, string> {
  return { GIT_AUTHOR_NAME: id.name, GIT_AUTHOR_EMAIL: id.email, GIT_COMMITTER_NAME: id.name, GIT_COMMITTER_EMAIL: id.email };
}

/**
 * The user's git identity as git itself would resolve it in `dir` (repository, global and system
 * config, includes and includeIf). Read once, before any peer runs; no hooks run for `git config`.
 * A missing git or a timeout means no identity, never an error: the default then applies. One `git`
 * for both keys (NUL-separated, so a value cannot pass for another key); the last value of a key is
 * the one that counts, as for `git config --get`.
 */
export function readUserGitIdentity(dir: string, env: Record<string, string | undefined> = process.env): UserIdentity {
  const res = spawnSync('git', ['config', '-z', '--get-regexp', '^user\\.(name|email)$'], {
    cwd: dir,
    env: { ...env, GIT_TERMINAL_PROMPT: '0' } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 10_000,
    maxBuffer: 64 * 1024,
  });
  const values: Record<string, string> = {};
  if (res.status === 0) {
    for (const entry of res.stdout.split('\0')) {
      const nl = entry.indexOf('\n');
      // A key without a value (`[user] name` alone) is git's "true": no identity, as `--get` gives.
      if (nl < 0) delete values[entry];
      else values[entry.slice(0, nl)] = entry.slice(nl + 1);
    }
  }
  const name = usableIdentityPart(values['user.name']);
  const email = usableIdentityPart(values['user.email']);
  return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
}
