/**
 * `peers up --attach`, Ctrl-C at the terminal: the signal reaches the whole foreground group, so
 * `podman logs -f` may end before peers has taken its own SIGINT. peers then said "the loop stopped
 * without a stop reason (crashed?)" and exited 1 while the run went on (seen once in eleven tries
 * as the unprivileged user). The loop container decides: still running means the run goes on.
 */
import { afterAll, expect, test } from 'bun:test';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachToRun } from '../../../sandbox/logs.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

/** A podman whose `logs -f` prints one line and ends as a SIGINT ends it; `inspect` answers `running`. */
function fakePodman(running: boolean): string {
  const dir = tempDir('attach-interrupted-');
  const bin = join(dir, 'podman');
  writeFileSync(bin, `#!/bin/sh\ncase "$1" in\n  logs) echo 'peers: tick 1 peer=claude starting...'; exit 130 ;;\n  inspect) echo '${running}'; exit 0 ;;\nesac\nexit 125\n`);
  chmodSync(bin, 0o755);
  mkdirSync(join(dir, 'state'));
  return dir;
}

async function attach(running: boolean): Promise<{ code: number; said: string[]; out: string }> {
  const dir = fakePodman(running);
  const said: string[] = [];
  let out = '';
  const io = { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: () => true }, env: { ...process.env, PEERS_PODMAN: join(dir, 'podman') }, signals: new EventEmitter() } as never;
  const code = await attachToRun({ project: 'app-1a2b3c4d', stateDir: join(dir, 'state'), upStartedAt: new Date(), log: (l) => said.push(l), io });
  return { code, said, out };
}

test('the log stream ended first but the loop still runs: the run goes on, exit 0, never "crashed?"', async () => {
  const r = await attach(true);
  expect(r.out).toBe('peers: tick 1 peer=claude starting...\n');
  expect(r.said).toEqual(['stopped following (podman logs ended); the run goes on (peers status, peers logs -f)']);
  expect(r.code).toBe(0);
});

test('the loop gone without a stop reason is still said as a crash', async () => {
  const r = await attach(false);
  expect(r.said).toEqual(['the loop stopped without a stop reason (crashed?): peers status, peers logs']);
  expect(r.code).toBe(1);
});
