/**
 * `peers ls` of a project whose directory is gone (marked missing, kept until `peers rm`),
 * `peers rm` (forget a project, never its repository; refused while it runs),
 * `peers prune` (archived runs older than a cut-off; --dry-run), `peers review` (the latest
 * handoff's self-review and the review commits, with the attested peer).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureRegistered, listProjects } from '../../../sandbox/registry.ts';
import { archiveRootFor } from '../../../src/state/paths.ts';
import { acquireRunLock } from '../../../src/state/run-lock.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { loop, makeProject, type Project } from '../loop/harness.ts';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
let p: Project;
let env: Record<string, string>;
beforeAll(async () => {
  p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
  await loop(p, { maxTicks: 2 });
  env = { ...sb.env, PEERS_STATE_DIR: p.stateDir };
  await ensureRegistered(p.repo, env);
}, 60_000);
afterAll(() => {
  sb.cleanup();
  p?.cleanup();
});
const peers = (args: string[]) => runPeers(args, { cwd: sb.root, env });

describe('peers review', () => {
  test('shows the latest self-reviewed handoff with its section, and the attested peer', () => {
    const r = runPeers(['review', '--json'], { cwd: p.repo, env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const head = gitIn(join(p.stateDir, 'run', 'mirror.git'), ['rev-parse', 'HEAD']);
    expect(doc.handoff.sha).toBe(head);
    expect(doc.handoff.peer).toBe('bob');
    expect(doc.handoff.self_review.length).toBeGreaterThan(0);
    expect(doc.reviews).toEqual([]);
    const text = runPeers(['review'], { cwd: p.repo, env }).stdout;
    expect(text).toStartWith(`Latest handoff ${head.slice(0, 8)} by bob:`);
  });
});

describe('peers prune', () => {
  test('--dry-run lists archived runs older than the cut-off and deletes nothing; then prune deletes them only', () => {
    const root = archiveRootFor(p.stateDir);
    const old = join(root, '2020-01-01T00-00-00Z-max_ticks');
    const recent = join(root, `${new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-complete`);
    for (const d of [old, recent]) {
      mkdirSync(join(d, 'logs'), { recursive: true });
      writeFileSync(join(d, 'logs', 'loop.log'), 'x'.repeat(1000));
    }
    // A symlink planted in the archive root is never followed or deleted.
    const outside = join(sb.root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'keep');
    symlinkSync(outside, join(root, '2019-01-01T00-00-00Z-link'));
    const dry = JSON.parse(peers(['prune', p.repo, '--older-than', '30d', '--dry-run', '--json']).stdout);
    expect(dry.pruned.map((c: { path: string }) => c.path)).toEqual([old]);
    expect(dry.bytes).toBe(1000);
    expect(existsSync(old)).toBe(true);
    const real = peers(['prune', '--older-than', '30d']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`deleted ${old}`);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(join(outside, 'keep.txt'))).toBe(true);
    expect(existsSync(statePaths(p.stateDir).state)).toBe(true);
    const bad = peers(['prune', '--older-than', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than soon: expected a number and a unit');
  });
});

describe('peers ls of a project whose directory is gone', () => {
  test('marked missing with the command that forgets it; the entry stays until peers rm, so a disk mounted again is listed as before', async () => {
    const demo = makeRepo(sb.root, 'gone-demo');
    await ensureRegistered(demo, env);
    const listed = () => JSON.parse(peers(['ls', '--json']).stdout).projects.find((r: { path: string }) => r.path === demo);
    expect(listed()).toMatchObject({ name: 'gone-demo', missing: false });
    // Unmounted (or moved away and back): missing while away, the same entry when it is back.
    renameSync(demo, `${demo}.away`);
    expect(listed()).toMatchObject({ name: 'gone-demo', missing: true });
    const text = peers(['ls']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^gone-demo +missing +- +- +- +- +missing: ${demo}$`, 'm'));
    expect(text.stdout).toContain(`gone-demo: ${demo} no longer exists (deleted, moved or not mounted); \`peers rm gone-demo\` forgets it (its run state is kept)`);
    // The other projects are listed as before.
    expect(text.stdout).toMatch(new RegExp(`^\\S+ +stopped .* ${p.repo}$`, 'm'));
    renameSync(`${demo}.away`, demo);
    expect(listed()).toMatchObject({ name: 'gone-demo', missing: false });
    expect(peers(['ls']).stdout).not.toContain('missing');
    // Deleted: the command ls names forgets it.
    rmSync(demo, { recursive: true, force: true });
    expect(listed()).toMatchObject({ missing: true });
    // A command that names it says the same.
    const status = peers(['status', 'gone-demo']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(`${demo} does not exist\n  hint: the registry entry 'gone-demo' points here (deleted, moved or not mounted?); \`peers rm gone-demo\` forgets it`);
    const rm = peers(['rm', 'gone-demo']);
    expect(rm.code).toBe(0);
    expect(listed()).toBeUndefined();
    expect(listProjects(env).some((e) => e.path === p.repo)).toBe(true);
  });
});

describe('peers rm', () => {
  test('refused while the run is running; then removes only the registry entry', () => {
    const name = listProjects(env).find((e) => e.path === p.repo)!.name!;
    const lock = acquireRunLock(statePaths(p.stateDir).lock);
    try {
      const refused = peers(['rm', name]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${name} is running`);
      expect(listProjects(env).some((e) => e.path === p.repo)).toBe(true);
    } finally {
      lock.release();
    }
    const r = JSON.parse(peers(['rm', name, '--json']).stdout);
    expect(r).toMatchObject({ name, path: p.repo, removed: true, state_dir: p.stateDir, state_dir_kept: true });
    expect(listProjects(env).some((e) => e.path === p.repo)).toBe(false);
    expect(existsSync(join(p.repo, '.git'))).toBe(true);
    expect(existsSync(statePaths(p.stateDir).state)).toBe(true);
    const again = peers(['rm', name]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`no registered project '${name}'`);
  });
});
