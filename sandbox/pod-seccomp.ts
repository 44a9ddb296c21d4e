/**
 * Writes the pod's seccomp profile (seccomp-profile.ts) before `peers up` creates the containers:
 * podman's own default profile, as `podman info` names it (podman-host.ts: asked once per host), without user namespace creation. Fails
 * closed: without seccomp, or without a readable default profile, the pod is not started.
 */
import { PeersError } from '../src/cli/errors.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { MiB, readTextCapped } from '../src/fs/safe-read.ts';
import { podmanHostFacts } from './podman-host.ts';
import { SeccompProfileError, withoutUserNamespaces } from './seccomp-profile.ts';

const HINT = 'peers needs podman with seccomp and its default profile (Debian: apt-get install golang-github-containers-common; elsewhere containers-common); `podman info` shows host.security';

export async function writePodSeccompProfile(dest: string, env: NodeJS.ProcessEnv): Promise<void> {
  const sec = await podmanHostFacts(env);
  if (sec.seccompEnabled !== true) throw new PeersError('podman runs without seccomp here, so the pod could not stop the workspace from creating user namespaces', { hint: HINT });
  const source = sec.seccompProfilePath;
  if (!source) throw new PeersError('podman names no default seccomp profile (host.security.seccompProfilePath is empty)', { hint: HINT });
  let profile: unknown;
  try {
    profile = JSON.parse(readTextCapped(source, 4 * MiB));
  } catch (e) {
    throw new PeersError(`cannot read podman's default seccomp profile ${source}: ${(e as Error).message}`, { hint: HINT });
  }
  try {
    writeFileAtomic(dest, `${JSON.stringify(withoutUserNamespaces(profile), null, 1)}\n`, 0o600);
  } catch (e) {
    if (e instanceof SeccompProfileError) throw new PeersError(`${source}: ${e.message}`, { hint: HINT });
    throw e;
  }
}
