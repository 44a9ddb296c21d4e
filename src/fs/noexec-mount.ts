/**
 * Whether a directory is on a file system mounted `noexec` (a hardened /tmp, a TMPDIR on such a
 * mount): nothing there can be executed, so a gate that runs a file of a checkout made there
 * (`./run-tests.sh`, `node_modules/.bin/jest`, the binaries `go test` builds) fails with
 * "Permission denied" although it runs in the user's working tree. Read from the kernel's
 * /proc/self/mountinfo (per-mount options, field 6; the mount point, field 5, octal-escaped).
 */
import { readFileSync, realpathSync } from 'node:fs';

export type Mount = { point: string; options: string[] };

const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** The mount `path` is on, from a mountinfo text: the longest mount point at or above it (the last one mounted wins a tie). */
export function mountOf(path: string, mountinfo: string): Mount | undefined {
  let best: Mount | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    const point = unescape(f[4]!);
    const under = point === '/' || path === point || path.startsWith(`${point}/`);
    if (under && (!best || point.length >= best.point.length)) best = { point, options: f[5]!.split(',') };
  }
  return best;
}

/** This process's /proc/self/mountinfo ('' where there is none). */
export function currentMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return ''; // not Linux, or no /proc: nothing known, nothing said
  }
}

/**
 * The note for a verify whose checkout `dir` is on a noexec mount; undefined when it is not (or
 * that cannot be told).
 */
export function noexecCheckoutNote(dir: string, mountinfo = currentMountinfo()): string | undefined {
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // gone already: judged by the name it had
  }
  const mount = mountOf(real, mountinfo);
  if (!mount?.options.includes('noexec')) return undefined;
  return `the checkout verify ran the gates in is under ${mount.point}, which is mounted noexec: a gate or setup that runs a file of the checkout (./run-tests.sh, node_modules/.bin/…, the binaries go test builds) fails there with "Permission denied" (exit 126) although it runs in your working tree (a run's gates, in the pod, are not affected). Point TMPDIR at a directory where programs may run: \`mkdir -p ~/.cache/peers-tmp && TMPDIR=~/.cache/peers-tmp peers verify\``;
}
