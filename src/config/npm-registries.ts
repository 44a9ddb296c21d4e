/**
 * The npm registries a project installs from besides registry.npmjs.org: a committed `.npmrc`
 * (`registry=`, `@scope:registry=`) and the hosts of the lockfile's `resolved` tarball URLs (npm
 * fetches those as written, but for the public registry's). Setup reaches them through the egress
 * allow-list, so `peers init` proposes them; before, setup's `npm ci` got 403 for the project's own
 * registry. A registry the `.npmrc` gives a token gets none in the pod: said, since no allow-list
 * entry makes that install work.
 */
import type { ProjectFiles } from './detected-ecosystem.ts';
import { allowEntryProblem } from './egress-entry.ts';

const PUBLIC = 'registry.npmjs.org';
/** At most this many hosts from the lockfile: a lockfile naming more is not a registry list. */
const MAX_LOCK_HOSTS = 8;

/** The allow-list entry for a registry URL (`host`, or `host:port` off 443); undefined for one the allow-list cannot hold (an IP address). */
function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    const port = u.port || (u.protocol === 'http:' ? '80' : '443');
    const entry = port === '443' ? u.hostname.toLowerCase() : `${u.hostname.toLowerCase()}:${port}`;
    return allowEntryProblem(entry) === undefined ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The registries' hosts, in the order found, registry.npmjs.org left out. */
export function npmRegistryHosts(files: ProjectFiles): string[] {
  const hosts: string[] = [];
  const add = (h: string | undefined) => {
    if (h && h !== PUBLIC && !hosts.includes(h)) hosts.push(h);
  };
  for (const m of (files.read('.npmrc') ?? '').matchAll(/^\s*(?:@[\w.-]+:)?registry\s*=\s*(\S+)\s*$/gm)) add(hostOf(m[1]!));
  const lockHosts = new Set<string>();
  for (const m of (files.read('package-lock.json') ?? '').matchAll(/"resolved"\s*:\s*"(https?:\/\/[^"/]+)/g)) {
    const h = hostOf(m[1]!);
    if (h && lockHosts.size < MAX_LOCK_HOSTS) lockHosts.add(h);
  }
  for (const h of lockHosts) add(h);
  return hosts;
}

/** The note for registries the `.npmrc` authenticates to (`//host/:_authToken=`, `_auth`, `_password`); undefined when none. */
export function npmTokenNote(files: ProjectFiles): string | undefined {
  const npmrc = files.read('.npmrc') ?? '';
  // The public registry installs public packages without one (a token there is for publishing).
  const hosts = [...npmrc.matchAll(/^\s*\/\/([^/:\s]+)[^\s=]*:(?:_authToken|_auth|_password)\s*=/gm)].map((m) => m[1]!.toLowerCase()).filter((h) => h !== PUBLIC);
  const bare = /^\s*(?:_authToken|_auth|_password)\s*=/m.test(npmrc) && /^\s*registry\s*=/m.test(npmrc) && npmRegistryHosts({ ...files, read: (rel) => (rel === '.npmrc' ? npmrc : undefined) }).length > 0;
  if (!hosts.length && !bare) return undefined;
  const which = hosts.length ? ` for ${[...new Set(hosts)].join(', ')}` : '';
  return `.npmrc gives npm a token (_authToken)${which}: setup runs in the pod without your credentials, so installing from a registry that needs one fails there; vendor or commit those packages, or install them from a registry that needs no token`;
}
