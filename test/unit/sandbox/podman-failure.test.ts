/**
 * podman failing for a reason of the user's machine (here: a HOME it cannot write, as a service
 * account or a locked-down home has) used to surface as podman's raw error and nothing else. The
 * error now says what podman needs and what to set. The podman here is the real one, run as the
 * unprivileged test user with a HOME it cannot write (what `peers status` ran into in a new
 * user's trial), then a script standing for any other podman failure.
 */
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { podmanFailureHint } from '../../../sandbox/podman.ts';
import { requires } from '../../requirements.ts';

const dir = mkdtempSync(join(tmpdir(), 'peers-podman-failure-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODULE = resolve(import.meta.dir, '../../../sandbox/podman.ts');

/** projectContainers run in a new process with `podman` as its podman, as `peers status` runs it: its error's message and hint. */
function projectContainersError(podman: string): { message: string; hint: string } {
  const script = `const m = await import(${JSON.stringify(MODULE)}); try { await m.projectContainers('x', process.env); console.log('{}'); } catch (e) { console.log(JSON.stringify({ message: e.message, hint: e.hint })); }`;
  const r = Bun.spawnSync([process.execPath, '-e', script], { env: { PEERS_PODMAN: podman, PATH: '/usr/bin:/bin', HOME: dir }, cwd: dir });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

/** A podman standing in for one that failed with `stderr` and `code`. */
function failingPodman(name: string, stderr: string, code: number): string {
  const path = join(dir, name);
  writeFileSync(join(dir, `${name}.stderr`), stderr);
  writeFileSync(path, `#!/bin/sh\ncat '${join(dir, `${name}.stderr`)}' >&2\nexit ${code}\n`);
  chmodSync(path, 0o755);
  return path;
}

const need = requires('root', 'podman');
test.skipIf(!need.ok)(`a HOME podman cannot write: the error names the directory and what to set${need.skipped}`, () => {
  // What the real rootless podman says, run as the test user with a HOME it cannot write.
  const home = join(dir, 'locked-home');
  mkdirSync(home, { mode: 0o555 });
  const real = Bun.spawnSync(['runuser', '-u', process.env.PEERS_TEST_USER || 'peerstest', '--', 'env', '-i', `HOME=${home}`, 'PATH=/usr/local/bin:/usr/bin:/bin', 'podman', 'ps', '-a'], { cwd: dir });
  const said = real.stderr.toString();
  expect(real.exitCode).not.toBe(0);
  expect(said).toContain(`${home}/.local: permission denied`);
  const e = projectContainersError(failingPodman('locked', said, real.exitCode ?? 125));
  expect(e.message).toContain(`mkdir ${home}/.local: permission denied`);
  expect(e.hint).toContain(`podman cannot write ${home}/.local`);
  expect(e.hint).toContain('XDG_DATA_HOME and XDG_RUNTIME_DIR');
});

test('any other podman failure points at peers doctor', () => {
  const e = projectContainersError(failingPodman('other', 'Error: something podman says\n', 125));
  expect(e.message).toBe('podman ps -a failed (exit 125): Error: something podman says');
  expect(e.hint).toContain('`peers doctor` checks podman');
  expect(podmanFailureHint('Error: open /run/user/5/libpod/tmp/alive.lck: permission denied')).toContain('podman cannot write /run/user/5/libpod/tmp/alive.lck');
});
