/**
 * `peers logs`: the loop container's output (or, with --egress, the egress proxy's audit log,
 * which lives in the state dir and so survives `peers down`). The audit log is size-capped: its
 * older half (`egress.jsonl.1`) is shown first, then the current file, whose first line says how
 * many records rotation dropped, if any.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { isRegularFile } from '../src/cli/input-file.ts';
import { ROTATED_SUFFIX } from '../src/fs/size-capped-log.ts';
import { containerName } from './pod-spec.ts';
import { podman, podmanBin } from './podman.ts';

export async function followLogs(o: { project: string; follow: boolean; egress: boolean; stateDir?: string }): Promise<number> {
  if (o.egress && o.stateDir) {
    const log = join(o.stateDir, 'sidecars', 'egress', 'egress.jsonl');
    if (!existsSync(log)) throw new PeersError(`no egress audit log yet (${log})`, { hint: 'it appears once the run made its first outbound request' });
    const older = log + ROTATED_SUFFIX;
    for (const f of existsSync(older) ? [older, log] : [log]) refuseIfNotRegular(f);
    if (existsSync(older)) {
      const code = await run(['cat', older]);
      if (code !== 0) return code;
    }
    // -F follows the name, so a rotation while following moves on to the new file.
    return run(o.follow ? ['tail', '-n', '+1', '-F', log] : ['cat', log]);
  }
  const name = containerName(o.project, o.egress ? 'egress' : 'loop');
  if ((await podman(['container', 'exists', name])).code !== 0) {
    throw new PeersError(`no ${o.egress ? 'egress' : 'loop'} container for this project (not started, or removed by peers down)`, { hint: 'the run history stays in `peers report`' });
  }
  return run([podmanBin(), 'logs', ...(o.follow ? ['-f'] : []), name]);
}

/** `cat` of a FIFO or a device planted in the state dir would wait or read forever. */
function refuseIfNotRegular(log: string): void {
  if (!isRegularFile(log) || lstatSync(log).isSymbolicLink()) throw new InputError(`${log}: the egress audit log is not a regular file`, { location: { file: log }, hint: 'move it aside; the egress proxy writes a new one' });
}

function run(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    const stop = () => c.kill('SIGTERM');
    process.once('SIGINT', stop);
    c.on('close', (code) => {
      process.off('SIGINT', stop);
      resolve(code ?? 0);
    });
  });
}
