/**
 * `peers report --state-dir <archived run>` run outside any repository (from $HOME, as `peers
 * status` and `up --fresh` print an archive's path): it failed ("… is not a git repository",
 * exit 2), though everything the report reads is in the state directory (docs: README.md,
 * "peers report"). The project's name comes from the state directory's own name (the project key),
 * and what only the repository can say (a host run's branch) is said to be unnamed, with the way
 * to name it. From inside another project's repository, that repository is not taken for the run's.
 */
import { afterEach, expect, setDefaultTimeout, test } from 'bun:test';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { archiveRun } from '../../../src/state/run-archive.ts';
import { projectKey } from '../../../src/state/paths.ts';
import { loop, makeProject, type Project } from '../loop/harness.ts';
import { makeRepo, makeSandbox, runPeersAsync, type Sandbox } from './peers-cli.ts';

setDefaultTimeout(120_000);

let p: Project | undefined;
let box: Sandbox | undefined;
afterEach(() => {
  p?.cleanup();
  box?.cleanup();
});

/** A finished host run of two ticks, its state directory where `peers loop` keeps it (named by the project key), archived as `peers reset` archives it. */
async function archivedRun(): Promise<{ archive: string; head: string }> {
  p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
  box = makeSandbox();
  const stateDir = join(box.root, 'state', 'peers', projectKey(p.repo));
  await loop(p, { stateDir, maxTicks: 2 });
  const archived = archiveRun(stateDir);
  if (!archived) throw new Error('nothing archived');
  return { archive: archived.path, head: gitOk(p.repo, ['rev-parse', 'HEAD']).trim() };
}

test('from $HOME, outside any git repository: the report of an archived run is printed and saved, named after its project', async () => {
  const { archive, head } = await archivedRun();
  const home = box!.home;
  expect((await runPeersAsync(['status'], { cwd: home, env: box!.env })).code).toBe(2); // not in a repository: the premise
  const md = await runPeersAsync(['report', '--state-dir', archive], { cwd: home, env: box!.env });
  expect(md.stderr).toBe('');
  expect(md.code).toBe(0);
  expect(md.stdout).toContain('# peers report — repo');
  expect(md.stdout).toContain('2 commit(s)');
  expect(md.stdout).toContain(`to ${head.slice(0, 8)}`);
  expect(md.stdout).toContain(`..${head.slice(0, 10)}\``);
  // What the repository alone could say is said to be unknown, with how to name it: not "detached".
  expect(md.stdout).toContain('the repository it ran in (not named: `peers report PATH --state-dir DIR` names it)');
  expect(md.stdout).not.toContain('HEAD (detached)');
  expect(md.stdout).not.toContain('mirror.git');
  const html = await runPeersAsync(['report', '--state-dir', archive, '--html'], { cwd: home, env: box!.env });
  expect(html.code).toBe(0);
  expect(html.stdout).toContain('<title>peers report — repo</title>');
  const json = await runPeersAsync(['report', '--state-dir', archive, '--json'], { cwd: home, env: box!.env });
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout).report_path).toBe(join(archive, 'REPORT.md'));
});

test("from inside another project's repository, that repository is not taken for the run's; named, the run's own is", async () => {
  const { archive } = await archivedRun();
  const other = makeRepo(box!.root, 'other');
  const md = await runPeersAsync(['report', '--state-dir', archive], { cwd: other, env: box!.env });
  expect(md.code).toBe(0);
  expect(md.stdout).toContain('# peers report — repo');
  expect(md.stdout).not.toContain('other');
  const named = await runPeersAsync(['report', p!.repo, '--state-dir', archive], { cwd: box!.home, env: box!.env });
  expect(named.code).toBe(0);
  expect(named.stdout).toContain('Committed on: main');
});
