/**
 * The run's state coming home from a cluster: the reader container packs the state volume
 * (`peers k8s pack`), the host unpacks it into the project's state directory, where `status`,
 * `report` and `ls` read it exactly as they read a podman run's. The archive is unpacked as
 * hostile (tar-tree.ts): regular files and directories only, each written beside its target and
 * renamed over it, capped in size.
 */
import { mkdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { PeersError } from '../../src/cli/errors.ts';
import { MiB } from '../../src/fs/safe-read.ts';
import type { PodExec } from './pod-exec.ts';
import { unpackTrees } from './tar-tree.ts';
import { packStateCommand, READER_CONTAINER } from './transport.ts';

/** More than this is not a run's state. */
const MAX_STATE_BYTES = 2048 * MiB;

export async function pullState(exec: PodExec, stateDir: string, excludes: string[]): Promise<number> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const out = new PassThrough();
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (b: Buffer) => {
    if (stderr.length < 16384) stderr += b.toString('utf8');
  });
  const unpacking = unpackTrees(out, { roots: { state: stateDir }, mode: 'replace', symlinks: false, maxBytes: MAX_STATE_BYTES, maxEntries: 1_000_000 });
  // A refused archive must not leave the exec writing into a pipe nobody reads.
  unpacking.catch(() => out.resume());
  const r = await exec(READER_CONTAINER, packStateCommand(excludes), { stdout: out, stderr: err });
  if (!out.writableEnded) out.end();
  if (r.code !== 0) {
    await unpacking.catch(() => undefined);
    throw new PeersError(`could not read the run's state from the cluster (exit ${r.code}): ${(stderr.trim() || r.message || '').split('\n').slice(-3).join(' | ')}`);
  }
  return unpacking;
}
