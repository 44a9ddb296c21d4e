/**
 * Asks the workspace image which toolchain programs it has (src/gates/gate-toolchains.ts:
 * PROGRAMS_SCRIPT), for `peers up` to refuse a run whose gates could never pass there. One
 * short-lived container, no network, no pull: the same probe `peers doctor` makes.
 */
import { PeersError } from '../src/cli/errors.ts';
import { parseImagePrograms, PROGRAMS_SCRIPT, TOOLCHAIN_PROGRAMS } from '../src/gates/gate-toolchains.ts';
import { podman } from './podman.ts';

export async function imageToolchainPrograms(image: string, env: NodeJS.ProcessEnv): Promise<Set<string>> {
  const r = await podman(['run', '--rm', '--pull=never', '--network=none', '--entrypoint', '/bin/sh', image, '-c', PROGRAMS_SCRIPT], { env, timeoutMs: 120_000 });
  // Fail closed: an image that cannot be asked would not run the pod either.
  if (r.code !== 0) throw new PeersError(`cannot ask the workspace image ${image} which toolchains it has: ${(r.stderr || `podman run exited ${r.code}`).trim().split('\n').slice(-1)[0]}`, { hint: '`peers doctor` checks podman and the image' });
  // An answer without a line per program is no answer: "the image has no npm" would be a guess.
  const answered = new Set(r.stdout.split('\n').filter((l) => l.startsWith('program:')).map((l) => l.slice('program:'.length).split('\t')[0]));
  if (!TOOLCHAIN_PROGRAMS.every((p) => answered.has(p))) throw new PeersError(`cannot ask the workspace image ${image} which toolchains it has: its shell printed no answer`, { hint: '`peers doctor` checks podman and the image' });
  return parseImagePrograms(r.stdout);
}
