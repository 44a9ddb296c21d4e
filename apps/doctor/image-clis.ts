/**
 * Which peer CLIs the workspace image holds, and their versions: the peers run inside the image,
 * so the host's CLIs say nothing about what a run will use. One short-lived container, no network.
 */
import type { HostProbe } from './host-probe.ts';
import { parseImagePrograms, PROGRAMS_SCRIPT } from './gate-programs.ts';

export const IMAGE_CLIS = ['claude', 'codex', 'opencode'] as const;
export type ImageCli = (typeof IMAGE_CLIS)[number];

/** Prints `name<TAB>first line of --version` per CLI, an empty version when it is missing. */
const SCRIPT = [...IMAGE_CLIS.map((c) => `printf '%s\\t%s\\n' ${c} "$(${c} --version 2>/dev/null | head -n 1)"`), PROGRAMS_SCRIPT].join('; ');

export function parseImageCliVersions(stdout: string): Partial<Record<ImageCli, string>> {
  const out: Partial<Record<ImageCli, string>> = {};
  for (const line of stdout.split('\n')) {
    const [name, version] = line.split('\t');
    if ((IMAGE_CLIS as readonly string[]).includes(name ?? '') && version?.trim()) out[name as ImageCli] = version.trim();
  }
  return out;
}

/** The one podman command that reads every CLI's version inside the image (doctor prefetches it). */
export function imageCliCommand(image: string): { argv: string[]; timeoutMs: number } {
  return { argv: ['podman', 'run', '--rm', '--pull=never', '--network=none', '--entrypoint', '/bin/sh', image, '-c', SCRIPT], timeoutMs: 120_000 };
}

export function probeImageClis(probe: HostProbe, image: string): { versions: Partial<Record<ImageCli, string>>; programs: Set<string> } | { error: string } {
  const cmd = imageCliCommand(image);
  const res = probe.run(cmd.argv, cmd.timeoutMs);
  if (res.code !== 0) return { error: (res.stderr || res.error || `podman run exited ${res.code}`).trim().split('\n').slice(-1)[0] ?? 'podman run failed' };
  return { versions: parseImageCliVersions(res.stdout), programs: parseImagePrograms(res.stdout) };
}

/**
 * Whether the image can start `program` (on its PATH, or the path given): a custom peer's CLI, which
 * the fixed probe above does not ask about. The name goes in as an argument, never into the script.
 * Undefined when the image could not be run.
 */
export function imageHasProgram(probe: HostProbe, image: string, program: string): boolean | undefined {
  const res = probe.run(['podman', 'run', '--rm', '--pull=never', '--network=none', '--entrypoint', '/bin/sh', image, '-c', 'command -v -- "$1" >/dev/null && echo present || echo absent', 'sh', program], 120_000);
  const said = res.stdout.trim();
  return res.code === 0 && (said === 'present' || said === 'absent') ? said === 'present' : undefined;
}
