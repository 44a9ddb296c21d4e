/**
 * Every mode check reads a repository a peer can write: its config, attributes and hooks are the
 * peer's. Each check runs here as a gate runs it, `peers check <id>` (the compiled binary), on a
 * repository carrying every repository-supplied way git can run a command
 * (test/fixtures/attacks/plant-git-traps.sh: textconv, external diff, clean/smudge/process filters,
 * includes, pager, fsmonitor, hooks, ssh, credential helpers, signatures). The history exercises
 * the checks' reads: logs, diffs of added lines, numstat, blame, trees, notes. Not one trap fires.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkIds } from '../../../modes/checks/index.ts';
import { git, TestRepo } from './repo-fixture.ts';

const PEERS_BIN = resolve(import.meta.dir, '../../../dist/peers');
const PLANT = resolve(import.meta.dir, '../../fixtures/attacks/plant-git-traps.sh');
const token = `modes${Math.random().toString(36).slice(2, 10)}`;
const markers = () => readdirSync('/tmp').filter((n) => n.startsWith(`peers-pwned-${token}-`));
const clearMarkers = () => {
  for (const m of markers()) rmSync(join('/tmp', m), { force: true });
};

const plan = (mark: string, sha = '') => `# Shapes

## Meta
surfaces: [lib]
acceptance: node --test test/shapes.test.js

## Steps
- [${mark}] [STEP-1] Add a perimeter${sha ? ` (${sha.slice(0, 10)})` : ''}
  - touches: src/shapes.js
`;

let repo: TestRepo;

beforeAll(() => {
  repo = new TestRepo('peers-modes-traps-');
  repo.commit('the project', {
    'package.json': '{"name":"shapes","version":"1.0.0","scripts":{"test":"node --test"},"dependencies":{}}\n',
    'src/shapes.js': 'export const area = (w, h) => w * h;\nexport const square = (s) => area(s, s);\n',
    'test/shapes.test.js': "import test from 'node:test';\ntest('area ok', () => {});\ntest('area empty edge', () => {});\ntest('area invalid error', () => {});\n",
    'PLAN.md': plan(' '),
    'SPEC.md': '# Spec\n\n## API\nThe shapes module computes areas of rectangles and squares for its callers.\n',
  });
  repo.baseline();
  // A peer's work: a fix over 200 lines, an undisclosed dependency, a removed export, a TODO.
  const fix = repo.commitAs('alice', 'Resolve BUG-001\n\n## Bug-Resolution\n{"resolves": "BUG-001", "status": "fixed"}\n\nBug-Resolves: BUG-001', {
    'package.json': '{"name":"shapes","version":"1.0.0","scripts":{"test":"node --test"},"dependencies":{"left-pad":"1.3.0"}}\n',
    'src/shapes.js': `export const area = (w, h) => w * h; // TODO: check the inputs\n${Array.from({ length: 220 }, (_, i) => `export const k${i} = ${i};`).join('\n')}\n`,
  });
  repo.commitAs('bob', 'Check off STEP-1', { 'PLAN.md': plan('x', fix), 'HONESTY_AUDIT.md': '# Honesty audit\n\n## bob\n### Weakest part\nThe inputs are not checked.\n' });
  // The traps, committed the way a peer would (its own git runs them in its workspace: allowed).
  const planted = spawnSync('sh', [PLANT, repo.dir, token], { encoding: 'utf8' });
  if (planted.status !== 0) throw new Error(`planting the traps failed: ${planted.stderr}`);
  git(repo.dir, ['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '--no-verify', '-m', 'tidy']);
  git(repo.dir, ['notes', '--ref=peers-attest', 'add', '-f', '-m', 'alice', 'HEAD']);
  repo.commitAs('bob', 'More under diff=pwn and filter=pwn', { 'src/shapes.js': 'export const area = (w, h) => w * h;\n', 'DELIVERY.md': '# Delivery\n' });
  clearMarkers();
});

afterAll(() => {
  clearMarkers();
  repo?.cleanup();
});

test('no mode check runs a command the repository supplies, whatever it reads', () => {
  if (!existsSync(PEERS_BIN)) throw new Error(`${PEERS_BIN} is missing: run \`bun build.ts\` (test/setup.sh does)`);
  const ran: string[] = [];
  for (const id of checkIds()) {
    const res = spawnSync(PEERS_BIN, ['check', id, repo.dir, '--lang', 'js', '--peers', 'alice,bob'], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }, timeout: 120_000 });
    // A check passes or fails on its own terms; a crash would hide which reads it skipped.
    expect([id, res.status]).toEqual([id, res.status === 0 ? 0 : 1]);
    ran.push(id);
    expect([id, markers()]).toEqual([id, []]);
  }
  expect(ran).toContain('honesty-audit');
  // The traps are live: the same kind of read with plain git in the repository fires them.
  spawnSync('git', ['log', '-p', '-2'], { cwd: repo.dir, env: { ...process.env, GIT_PAGER: '' } });
  expect(markers().length).toBeGreaterThan(0);
}, 300_000);
