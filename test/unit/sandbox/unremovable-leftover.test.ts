/**
 * Attack: gate or setup code (the peers' code, running as the run's user in the setup and gates
 * containers, with no capability to override file modes) leaves a directory in its checkout that
 * its owner cannot list (`chmod 000`). The runners removed checkouts with a plain recursive
 * removal, which a directory it cannot list stops: the probe's cleanup threw, the checkout stayed
 * under /checkouts, and every later `--prepare-checkout` failed sweeping it, so no later commit's
 * gates could run for the rest of the run (and the next `up` of the same run).
 *
 * The property (SECURITY.md, "The sandbox pod"): whatever modes the peers' code left on the
 * directories it wrote, peers removes them (src/fs/remove-tree.ts) and the next commit's gates run.
 *
 * The real `peers runner` processes run as the unprivileged test user (as root, modes stop nothing).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { HardGoal } from '../../../src/config/goals-schema.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { remoteGateProbe } from '../../../sandbox/gates-remote.ts';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';
import { TEST_USER, uid } from '../../e2e/podman-user.ts';
import { requires } from '../../requirements.ts';
import { waitFor } from '../../wait-for.ts';

const need = requires('root');
const ROOT = resolve(import.meta.dir, '../../..');
const goal = (id: string, cmd: string): HardGoal => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 });
/** A directory its owner can neither list nor write, with something in it. */
const UNREMOVABLE = 'mkdir -p trap/inner && echo x > trap/inner/f && chmod 000 trap/inner trap';

let runners: ChildProcess[] = [];
let dir = '';
afterEach(() => {
  for (const r of runners) r.kill('SIGKILL');
  runners = [];
  if (dir) {
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function startRunner(socket: string): Promise<void> {
  const r = spawn('runuser', ['-u', TEST_USER, '--', process.execPath, join(ROOT, 'src/main.ts'), 'runner', '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir } });
  let err = '';
  r.stderr!.on('data', (d) => (err += d));
  runners.push(r);
  const accepts = () => new Promise<boolean>((ok) => connect(socket).once('connect', function (this: Socket) { this.destroy(); ok(true); }).once('error', () => ok(false)));
  await waitFor(`the runner to listen (${err})`, accepts, 20_000);
}

describe.skipIf(!need.ok)('a directory the peers\' code made unremovable', () => {
  test('a gate, or setup, leaves an unlistable directory in its checkout: the checkout is still removed and the next commit\'s gates run', async () => {
    dir = mkdtempSync('/var/tmp/peers-unremovable-');
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: repo, encoding: 'utf8' });
    sh('git init -q && git config user.email t@e && git config user.name t && echo ok > committed.txt && git add . && git commit -qm c');
    const head = sh('git rev-parse HEAD').stdout.trim();
    const places = { mirror: join(dir, 'mirror.git'), checkouts: join(dir, 'checkouts'), depCache: join(dir, 'cache') };
    new RunObserver({ workDir: repo, mirror: places.mirror, stage: join(dir, 'stage.git'), lenient: true }).sync();
    spawnSync('chown', ['-R', `${uid()}:${uid()}`, dir]);
    chownSync(dir, uid(), uid());
    await startRunner(join(dir, 'setup.sock'));
    await startRunner(join(dir, 'gates.sock'));
    const probe = remoteGateProbe({ setup: new SocketRunner(join(dir, 'setup.sock')), gates: new SocketRunner(join(dir, 'gates.sock')), peersCommand: [process.execPath, join(ROOT, 'src/main.ts')], places });
    const base = { repo: places.mirror, head, timeoutS: 30, jobs: 1 };
    const states = async (o: Partial<Parameters<typeof probe>[0]> & { goals: HardGoal[] }) => (await probe({ ...base, ...o }).then((r) => r.map((g) => `${g.id}:${g.state}`), (e: Error) => [`error: ${e.message.slice(0, 300)}`]));

    // A gate leaves it (the last gate runs on the kept checkout itself), then setup does.
    await states({ goals: [goal('plants', UNREMOVABLE)] });
    expect(await states({ goals: [goal('committed', 'grep -qx ok committed.txt')] })).toEqual(['committed:pass']);
    await states({ setup: UNREMOVABLE, goals: [goal('after-setup', 'true')] });
    expect(await states({ goals: [goal('committed', 'grep -qx ok committed.txt')] })).toEqual(['committed:pass']);
    expect(readdirSync(places.checkouts)).toEqual([]);
  }, 120_000);

  test('the host side too (`peers down`, a new run clone): the tree goes, and a link in it is never followed', () => {
    dir = mkdtempSync('/var/tmp/peers-unremovable-');
    const outside = join(dir, 'outside');
    spawnSync('sh', ['-c', `mkdir -p tree/a/b outside/keep && echo x > tree/a/b/f && echo kept > outside/keep/f && ln -s ../outside tree/a/link && chmod 000 tree/a/b tree/a outside/keep`], { cwd: dir });
    spawnSync('chown', ['-R', `${uid()}:${uid()}`, dir]);
    const script = `import { removeTree } from ${JSON.stringify(join(ROOT, 'src/fs/remove-tree.ts'))}; removeTree(${JSON.stringify(join(dir, 'tree'))});`;
    const r = spawnSync('runuser', ['-u', TEST_USER, '--', process.execPath, '-e', script], { encoding: 'utf8', cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['outside']);
    // The directory behind the link keeps its mode.
    expect(spawnSync('stat', ['-c', '%a', join(outside, 'keep')], { encoding: 'utf8' }).stdout.trim()).toBe('0');
  });
});
