/**
 * `peers init --force` under a live run: it deleted and rewrote .peers/ (the config a host loop
 * reads every tick, the files `peers up` snapshots), committed to the repository and moved
 * peers-baseline while the run went on. It now refuses (exit 2) and says how to stop the run first,
 * by the signs `peers up` and `peers status` read: a host loop's repository lock, an `up` or `down`
 * holding the pod lock, the state directory's run lock (the pod's loop holds it). A run that has
 * stopped is no reason to refuse. SECURITY.md, "The control plane is read-only to the loop".
 */
import { afterEach, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { projectKey, stateDirFor, statePaths } from '../../../src/state/paths.ts';
import { projectLockPath } from '../../../src/state/project-locks.ts';
import { makeProject, spawnLoopCli, type Project } from '../loop/harness.ts';
import { waitFor } from '../../wait-for.ts';
import { makeSandbox, runPeersAsync, type Sandbox } from './peers-cli.ts';

setDefaultTimeout(120_000);

let p: Project | undefined;
let box: Sandbox | undefined;
const children: { kill(): void; exited: Promise<number> }[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill();
    await c.exited;
  }
  p?.cleanup();
  box?.cleanup();
});

/** A project whose first turn (alice, silent) sits until its idle timeout: the loop lives meanwhile. */
function project(): { p: Project; env: Record<string, string> } {
  p = makeProject({ peers: { alice: 'silent', bob: 'always-handoff' }, health: { idle_timeout_s: 60, absolute_max_runtime_s: 120 } });
  box = makeSandbox();
  const run = join(box.root, 'run');
  mkdirSync(run, { mode: 0o700 });
  return { p, env: { ...box.env, XDG_RUNTIME_DIR: run } };
}

/** A separate process holding the real lock at `path` (run-lock.ts) until it is killed. */
async function holdLock(path: string, root: string): Promise<number> {
  writeFileSync(join(root, 'hold.ts'), `import { tryLock } from '${join(import.meta.dir, '../../../src/state/run-lock.ts')}';\nconst got = tryLock(process.argv[2]!);\nconsole.log('lock' in got ? 'locked' : 'busy');\nawait new Promise(() => {});\n`);
  const child = Bun.spawn([process.execPath, join(root, 'hold.ts'), path], { stdout: 'pipe' });
  children.push(child);
  const first = await child.stdout.getReader().read();
  expect(new TextDecoder().decode(first.value)).toBe('locked\n');
  return child.pid;
}

const config = (pr: Project) => readFileSync(join(pr.repo, '.peers', 'config.yaml'), 'utf8');
const commits = (pr: Project) => gitOk(pr.repo, ['rev-list', '--count', '--all']).trim();

test('a host loop running: init --force is refused (exit 2) and .peers/, the history and the loop are left alone; once it stopped, init --force works', async () => {
  const { p: pr, env } = project();
  const before = { config: config(pr), commits: commits(pr) };
  const loop = spawnLoopCli(pr, ['--max-ticks', '1'], env);
  children.push(loop);
  let err = '';
  void (async () => {
    for await (const chunk of loop.stderr) err += new TextDecoder().decode(chunk);
  })();
  await waitFor('the loop to start its first turn', () => err.includes('tick 1 peer=alice starting'), 60_000);

  const refused = await runPeersAsync(['init', '--force', pr.repo], { cwd: pr.repo, env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`a peers loop (pid ${loop.pid}) is running on ${pr.repo} on the host: peers init would rewrite .peers/ under it`);
  expect(refused.stderr).toContain(`kill ${loop.pid}`);
  expect(config(pr)).toBe(before.config);
  expect(commits(pr)).toBe(before.commits);
  expect(loop.exitCode).toBeNull();

  loop.kill('SIGTERM');
  await loop.exited;
  const replaced = await runPeersAsync(['init', '--force', pr.repo], { cwd: pr.repo, env });
  expect(replaced.stderr).toBe('');
  expect(replaced.code).toBe(0);
  expect(config(pr)).not.toBe(before.config);
});

test("the pod's loop (the state directory's run lock) or a `peers up` making the pod (the pod lock): init --force is refused, and says `peers down` first", async () => {
  const { p: pr, env } = project();
  const before = config(pr);
  // The lock the pod's loop holds: in the state directory `peers up` made (the default one).
  const paths = statePaths(stateDirFor(pr.repo, env));
  mkdirSync(paths.dir, { recursive: true });
  await holdLock(paths.lock, box!.root);
  const refused = await runPeersAsync(['init', '--force', pr.repo], { cwd: pr.repo, env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`a run of this project is going (with the state directory ${paths.dir})`);
  expect(refused.stderr).toContain('`peers down` first');
  expect(config(pr)).toBe(before);
  for (const c of children.splice(0)) {
    c.kill();
    await c.exited;
  }

  const upPid = await holdLock(projectLockPath(projectKey(pr.repo), 'pod', env), box!.root);
  const during = await runPeersAsync(['init', '--force', pr.repo], { cwd: pr.repo, env });
  expect(during.code).toBe(2);
  expect(during.stderr).toContain(`a peers up or down of this project (pid ${upPid}) is making or removing its pod`);
  expect(config(pr)).toBe(before);
});
