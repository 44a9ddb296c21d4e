/**
 * A test suite of minutes (a new user's shape: `npm test` takes 130 s) measured before a turn:
 * `peers logs -f` and `up --attach` showed nothing between the last line and the result, for the
 * whole suite, as if the run hung. The loop's gates (HeadGates, real probe on a real git repository)
 * now say, while such a measurement lasts, that it is still going and which gates it runs; a quick
 * measurement says nothing more than before.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { gitOk } from '../../../src/git/git.ts';
import { probeGates } from '../../../src/loop/shell/gate-probe.ts';
import { HeadGates } from '../../../src/loop/shell/head-gates.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { freshState } from '../../../src/state/state-schema.ts';

setDefaultTimeout(60_000);

let dir = '';
let repo = '';
let head = '';
let release = '';
const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'claude', argv: ['claude', '-p'] }, { name: 'b', tool: 'codex', argv: ['codex', 'exec'] }] });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-gate-notice-'));
  repo = join(dir, 'repo');
  release = join(dir, 'release');
  gitOk(dir, ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'a.txt'), 'a\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'a']);
  head = gitOk(repo, ['rev-parse', 'HEAD']).trim();
});
afterAll(() => {
  removeSelfBinDir();
  rmSync(dir, { recursive: true, force: true });
});

function gatesWith(cmd: string, lines: string[], slowNoticeMs: number): HeadGates {
  const goals = GoalsSchema.parse({ goals: [{ id: 'suite', type: 'hard', cmd, pass_when: 'exit_code == 0' }] });
  const signal = new AbortController().signal;
  return new HeadGates({ probe: probeGates, mirror: repo, config, goals, paths: statePaths(join(dir, 'state')), env: {}, baseline: () => undefined, signal, log: (l) => lines.push(l), slowNoticeMs });
}

describe('gates the next turn waits for', () => {
  test('a long measurement is said while it lasts, with its gates; the result is the same', async () => {
    const lines: string[] = [];
    // The suite runs until the test has seen the notice: no fixed sleep decides the outcome.
    const gates = gatesWith(`while [ ! -f ${release} ]; do sleep 0.05; done`, lines, 50);
    const measured = gates.refresh(freshState(['a', 'b']), head);
    const end = Date.now() + 30_000;
    while (!lines.length && Date.now() < end) await Bun.sleep(20);
    const seen = [...lines];
    writeFileSync(release, '');
    const state = await measured;
    expect(seen[0]).toMatch(new RegExp(`^peers: gates at ${head.slice(0, 8)}: still measuring \\(\\d+ s so far: suite\\); the next turn starts when they finish$`));
    expect(state.gates.head).toBe(head);
    expect(state.gates.results.suite?.state).toBe('pass');
    const said = lines.length;
    await Bun.sleep(120); // an absence cannot be waited on: the notice's timer went with the measurement
    expect(lines.length).toBe(said);
  });

  test('a quick measurement adds no line', async () => {
    const lines: string[] = [];
    const state = await gatesWith('true', lines, 10_000).refresh(freshState(['a', 'b']), head);
    expect(state.gates.results.suite?.state).toBe('pass');
    expect(lines).toEqual([]);
  });
});
