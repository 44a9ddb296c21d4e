/**
 * Which resource limits a rootless podman can enforce on this host, decided from `podman info` in
 * one place for `peers up` (which flags to render) and `peers doctor` (what to tell the user).
 *
 * `--memory` and `--pids-limit` are cgroup limits: a rootless user gets them only on cgroup v2 with
 * the memory and pids controllers delegated to it. On cgroup v1 podman ignores them with a warning,
 * so the pod then has no memory cap, and an nproc ulimit (per container, see podman-render.ts) is
 * the only cap on processes.
 */
export const NEEDED_CONTROLLERS = ['memory', 'pids'] as const;

export type LimitsSupport =
  | { effective: true; detail: string }
  | { effective: false; detail: string; missing: readonly string[]; cgroupVersion: string };

/** `cgroupVersion` and `controllers` as `podman info` reports them (host.cgroupVersion, host.cgroupControllers). */
export function limitsSupport(cgroupVersion: string | undefined, controllers: readonly string[] | undefined): LimitsSupport {
  const version = cgroupVersion ?? 'unknown';
  if (version !== 'v2') return { effective: false, detail: `cgroup ${version}: rootless podman cannot apply --memory or --pids-limit`, missing: NEEDED_CONTROLLERS, cgroupVersion: version };
  const missing = NEEDED_CONTROLLERS.filter((c) => !(controllers ?? []).includes(c));
  if (missing.length) {
    return { effective: false, detail: `cgroup v2, but the ${missing.join(' and ')} controller${missing.length > 1 ? 's are' : ' is'} not delegated to this user`, missing, cgroupVersion: version };
  }
  return { effective: true, detail: 'cgroup v2 with the memory and pids controllers delegated: every container gets --memory and --pids-limit' };
}
