/**
 * What `peers up` needs from `podman info` (cgroup version and delegated controllers for the
 * limits, seccomp and its default profile for the pod's profile), asked once and remembered.
 * `podman info` costs 0.4–1.5 s (it inspects storage, runtimes, the network stack); its answers here
 * change only with the podman install, its configuration, or a reboot. So they are cached in the
 * user's runtime dir (a tmpfs: gone at reboot) under a key made of the boot id, the podman
 * executable's identity (path, size, mtime) and the containers.conf files' (any edit, new or
 * removed file changes the key): a changed host asks podman again. The cache only saves time:
 * the seccomp profile is still read from the path podman named, and fails closed if it is gone.
 * It keeps the answers of the last few keys, not only the last: the users of one runtime dir may
 * run podman under several configurations (another XDG_CONFIG_HOME, a wrapper as PEERS_PODMAN),
 * and with one entry each `up` of one would ask podman again after an `up` of another.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { peersRuntimeDir } from '../src/state/env-dirs.ts';
import { limitsSupport } from './host-limits.ts';
import { podmanBin, podmanOk } from './podman.ts';
import { PeersError } from '../src/cli/errors.ts';

export const PodmanHostFacts = z.object({
  cgroupVersion: z.string().optional(),
  cgroupControllers: z.array(z.string()).optional(),
  seccompEnabled: z.boolean().optional(),
  seccompProfilePath: z.string().optional(),
  /** The conmon podman runs (conmon-log-path.ts asks it about a log path). */
  conmonPath: z.string().optional(),
});
export type PodmanHostFacts = z.infer<typeof PodmanHostFacts>;

const CacheEntry = z.object({ key: z.string(), facts: PodmanHostFacts });
/** The newest answer at the top (the one format of earlier builds, which read only that), older ones in `others`. */
const CacheFile = CacheEntry.extend({ others: z.array(CacheEntry).optional() });
/** Answers kept besides the newest one. */
const OTHER_KEYS_KEPT = 7;

type InfoJson = { host?: { cgroupVersion?: string; cgroupControllers?: string[]; conmon?: { path?: string }; security?: { seccompEnabled?: boolean; seccompProfilePath?: string } } };

/** The facts from `podman info --format json` output. */
export function factsFromInfo(stdout: string): PodmanHostFacts {
  const host = (JSON.parse(stdout) as InfoJson).host;
  return { cgroupVersion: host?.cgroupVersion, cgroupControllers: host?.cgroupControllers, seccompEnabled: host?.security?.seccompEnabled, seccompProfilePath: host?.security?.seccompProfilePath, conmonPath: host?.conmon?.path };
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${path}:${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return `${path}:-`;
  }
}

function dirStamps(dir: string): string[] {
  try {
    return readdirSync(dir).sort().map((n) => stamp(join(dir, n)));
  } catch {
    return [`${dir}:-`];
  }
}

/** The cache key: null when podman's executable cannot be found (nothing to remember then). */
export function hostKey(env: NodeJS.ProcessEnv): string | null {
  const bin = podmanBin(env);
  const path = bin.includes('/') ? bin : Bun.which(bin, { PATH: env.PATH ?? '' });
  if (!path) return null;
  const exe = stamp(path);
  if (exe.endsWith(':-')) return null;
  let boot = '';
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null; // no boot id: a cache could outlive a reboot into another cgroup setup
  }
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const files = [
    ...['/usr/share/containers/containers.conf', '/etc/containers/containers.conf', join(config, 'containers/containers.conf')].map(stamp),
    ...['/usr/share/containers/containers.conf.d', '/etc/containers/containers.conf.d', join(config, 'containers/containers.conf.d')].flatMap(dirStamps),
    `CONTAINERS_CONF=${env.CONTAINERS_CONF ?? ''}`,
  ];
  return [boot, `uid=${process.getuid?.() ?? ''}`, exe, ...files].join('\n');
}

export function hostFactsCachePath(env: NodeJS.ProcessEnv): string {
  return join(peersRuntimeDir(env), 'podman-host.json');
}

let pending: { key: string | null; facts: Promise<PodmanHostFacts> } | undefined;

/**
 * podman's host facts: from this process (the same answer, or the same question still running),
 * from the cache when its key still holds, else one `podman info`. `peers up` calls it early
 * without waiting, so a first `podman info` runs beside its other work.
 */
export function podmanHostFacts(env: NodeJS.ProcessEnv): Promise<PodmanHostFacts> {
  const key = hostKey(env);
  if (pending && pending.key === key) return pending.facts;
  const facts = readOrAsk(key, env);
  pending = { key, facts };
  facts.catch(() => {
    if (pending?.facts === facts) pending = undefined; // a failure is not remembered
  });
  return facts;
}

function readCache(file: string): z.infer<typeof CacheEntry>[] {
  try {
    const cached = CacheFile.parse(JSON.parse(readFileSync(file, 'utf8')));
    return [{ key: cached.key, facts: cached.facts }, ...(cached.others ?? [])];
  } catch {
    return []; // no cache, or an unreadable one: ask podman
  }
}

async function readOrAsk(key: string | null, env: NodeJS.ProcessEnv): Promise<PodmanHostFacts> {
  const file = hostFactsCachePath(env);
  if (key !== null) {
    const hit = readCache(file).find((e) => e.key === key);
    if (hit) return hit.facts;
  }
  const facts = factsFromInfo(await podmanOk(['info', '--format', 'json'], { env }));
  if (key !== null) {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Read again: another `up` may have added its answer while podman ran.
      const others = readCache(file).filter((e) => e.key !== key).slice(0, OTHER_KEYS_KEPT);
      writeFileAtomic(file, `${JSON.stringify({ key, facts, others })}\n`, 0o600);
    } catch {
      // a runtime dir we cannot write: the next `up` asks podman again
    }
  }
  return facts;
}

/** True when cgroup-based limits (--memory, --pids-limit) take effect for this rootless user. */
export async function cgroupLimitsAvailable(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const host = await podmanHostFacts(env);
    return limitsSupport(host.cgroupVersion, host.cgroupControllers).effective;
  } catch (e) {
    // No podman here (a dry run rendering for another host): render the full limits.
    if (e instanceof PeersError && /podman not found/.test(e.message)) return true;
    return false;
  }
}
