/**
 * `peers status [NAME|PATH]` and `peers ls`: the run status (fresh, stopped, crashed), tick, spend
 * and open gates of each project, from the real CLI, with state written by a real `peers loop`
 * run (metered fake peers that report claude-style usage) in the project's default state
 * directory. Every path (registry, state) is under a scratch XDG_CONFIG_HOME/XDG_STATE_HOME.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerProject } from '../../../src/config/project-registry.ts';
import { stateDirFor, statePaths } from '../../../src/state/paths.ts';
import { ensureRegistered } from '../../../sandbox/registry.ts';
import { makeProject, REPO_ROOT, type Project } from '../../integration/loop/harness.ts';

const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };
const ALWAYS_GREEN = { id: 'always-green', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' };
const metered = { alice: { tool: 'claude' }, bob: { tool: 'claude' } };

let scratch: string;
let env: Record<string, string>;
let fresh: Project;
let stopped: Project;
let stoppedName: string;

async function peers(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = Bun.spawn([process.execPath, join(REPO_ROOT, 'src/main.ts'), ...args], { env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, out, err };
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'peers-status-ls-'));
  env = { HOME: join(scratch, 'home'), XDG_CONFIG_HOME: join(scratch, 'config'), XDG_STATE_HOME: join(scratch, 'state'), NO_COLOR: '1' };
  fresh = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN, ALWAYS_GREEN] });
  stopped = makeProject({ peers: { alice: 'usage-claude', bob: 'usage-claude' }, peerExtra: metered, goals: [NEVER_GREEN, ALWAYS_GREEN] });
  registerProject(fresh.repo, env); // as `peers init` does
  stoppedName = (await ensureRegistered(stopped.repo, env)).name!; // as `peers up` does: a unique name
  // A real run of the loop into the project's default state directory, stopped by --max-ticks.
  const run = await peers(['loop', stopped.repo, '--max-ticks', '2', '--backoff-base-ms', '10']);
  if (run.code !== 0) console.error(run.err.slice(-2000));
}, 60_000);

afterAll(() => {
  fresh?.cleanup();
  stopped?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('peers status', () => {
  test('a project that never ran is fresh: no tick, nothing spent, every hard gate open (exit 0)', async () => {
    const json = await peers(['status', fresh.repo, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ path: fresh.repo, status: 'fresh', tick: null, spend: { usd: 0, tokens: 0 }, open_gates: ['never-green', 'always-green'], unmeasured_gates: ['never-green', 'always-green'], last_stop: null });
    const text = await peers(['status', fresh.repo]);
    expect(text.out).toContain('Status: fresh');
    // Open, and said to be unmeasured, not red: nothing has measured them yet.
    expect(text.out).toContain(`Open gates: not measured yet: never-green, always-green (\`peers verify ${fresh.repo}\` measures them now)`);
    expect(text.out).toContain(`No run yet: start one with \`peers up ${fresh.repo}\``);
  });

  test('by registered name: a run stopped by max ticks shows its tick, spend and the gate still red', async () => {
    const registered = stoppedName;
    expect(registered).toBe('repo-2'); // both repositories are called "repo"
    const r = await peers(['status', registered, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ path: stopped.repo, status: 'stopped', stop_reason: 'max_ticks', tick: 2, open_gates: ['never-green'], unmeasured_gates: [], state_dir: stateDirFor(stopped.repo, env) });
    // usage-claude reports 600 + 500 tokens and $0.75 per turn.
    expect(s.spend.tokens).toBe(2200);
    expect(s.spend.usd).toBeCloseTo(1.5, 6);
    expect(s.last_stop.reason).toBe('max_ticks');
    const text = await peers(['status', registered]);
    expect(text.out).toContain('Status: stopped (max_ticks)');
    expect(text.out).toContain('Spend: $1.5000, 2200 tokens');
    expect(text.out).toContain('Open gates: never-green');
    expect(text.out).toContain('Tick: 2');
  });

  test('a goals file that does not validate is never "all green": status says where it fails, open gates unknown, exit 2', async () => {
    const p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    const goals = join(p.repo, '.peers', 'goals.yaml');
    try {
      // Both ways a new user breaks it: a misspelt key, and an unquoted ': ' inside a cmd.
      for (const [text, line] of [
        ['goals:\n  - id: t\n    type: hard\n    cmd: "true"\n    passwhen: exit_code == 0\n', 5],
        ['goals:\n  - id: t\n    type: hard\n    cmd: echo a: b\n    pass_when: exit_code == 0\n', 4],
      ] as const) {
        writeFileSync(goals, text);
        const t = await peers(['status', p.repo]);
        expect(t.code).toBe(2);
        expect(t.out).not.toContain('all green');
        expect(t.out).toContain('Open gates: UNKNOWN: the goals file does not validate');
        expect(t.out).toMatch(new RegExp(`${goals.replaceAll('.', '\\.')}:${line}:\\d+: `));
        const j = await peers(['status', p.repo, '--json']);
        expect(j.code).toBe(2);
        const s = JSON.parse(j.out);
        expect(s.open_gates).toBeNull();
        expect(s.goals_error).toContain(`${goals}:${line}:`);
      }
    } finally {
      p.cleanup();
    }
  });

  test('a goals file deleted from .peers/ is not "all green" either: status and ls say it is missing, exit 2', async () => {
    const p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    try {
      const goals = join(p.repo, '.peers', 'goals.yaml');
      rmSync(goals);
      const t = await peers(['status', p.repo]);
      expect(t.out).not.toContain('all green');
      expect(t.out).toContain(`Open gates: UNKNOWN: the goals file does not validate (nothing here is green until it does):\n  ${goals}: goals file not found`);
      expect(t.code).toBe(2);
      const j = await peers(['status', p.repo, '--json']);
      expect(JSON.parse(j.out)).toMatchObject({ open_gates: null, goals_error: expect.stringContaining(`${goals}: goals file not found`) });
      registerProject(p.repo, env);
      const ls = JSON.parse((await peers(['ls', '--json'])).out).projects.find((x: { path: string }) => x.path === p.repo);
      expect(ls.open_gates).toBeNull();
      expect((await peers(['rm', p.repo])).code).toBe(0);
    } finally {
      p.cleanup();
    }
  });

  test('a run whose loop died without a stop reason is crashed', async () => {
    const p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    try {
      const run = await peers(['loop', p.repo, '--max-ticks', '1', '--backoff-base-ms', '10']);
      expect(run.code).toBe(0);
      rmSync(statePaths(stateDirFor(p.repo, env)).stopReason); // as if the loop had been killed
      const s = JSON.parse((await peers(['status', p.repo, '--json'])).out);
      expect(s).toMatchObject({ status: 'crashed', tick: 1, open_gates: [] });
    } finally {
      rmSync(stateDirFor(p.repo, env), { recursive: true, force: true });
      p.cleanup();
    }
  });

  test('an unknown name is exit 2 pointing at peers ls; a name two `peers init` entries share asks for the path', async () => {
    const r = await peers(['status', 'no-such-project']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("no project named 'no-such-project'");
    expect(r.err).toContain('peers ls');
    const twin = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    try {
      registerProject(twin.repo, env); // another "repo", registered the way `peers init` does (no name)
      const both = await peers(['status', 'repo']);
      expect(both.code).toBe(2);
      expect(both.err).toContain(`2 projects are named 'repo': ${fresh.repo}, ${twin.repo}`);
      expect(both.err).toContain('pass the path instead');
    } finally {
      twin.cleanup();
    }
  });
});

describe('peers ls', () => {
  test('lists each project with status, tick, spend (USD and tokens) and open gates', async () => {
    const r = await peers(['ls', '--json']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as { projects: Record<string, unknown>[] }).projects;
    expect(rows.find((x) => x.path === fresh.repo)).toMatchObject({ status: 'fresh', tick: null, spend: { usd: 0, tokens: 0 }, open_gates: ['never-green', 'always-green'] });
    expect(rows.find((x) => x.path === stopped.repo)).toMatchObject({ status: 'stopped', tick: 2, spend: { tokens: 2200 }, open_gates: ['never-green'], stop_reason: 'max_ticks' });
    const text = (await peers(['ls'])).out.split('\n');
    const line = text.find((l) => l.endsWith(stopped.repo))!;
    expect(text[0]).toMatch(/^NAME +STATUS +TICK +SPEND +STOPPED BY +OPEN GATES +PATH$/);
    expect(line).toMatch(/ stopped +2 +\$1\.50 2200 tok +max_ticks +never-green /);
    expect(text.find((l) => l.endsWith(fresh.repo))).toMatch(/ fresh +- +\$0\.00 0 tok +- +never-green,always-green /);
  });
});

describe('a rehearsal', () => {
  test('status and ls say its USD figure was never billed (the scripted model server answered)', async () => {
    // What `peers up --rehearse` writes (src/budget/budget-policy-file.ts): the model server as the upstream.
    const policy = join(stateDirFor(stopped.repo, env), 'budget.json');
    expect(existsSync(policy)).toBe(false);
    writeFileSync(policy, `${JSON.stringify({ version: 1, resolved_at: '2026-12-08T01:21:09.887Z', max_tokens: null, max_usd: 50, max_usd_mode: 'hard', reason: 'auto: the scripted model server stands in for API-key billing', credentials: 'model-server', price_table: '2026-12-04' })}\n`);
    try {
      const text = (await peers(['status', stoppedName])).out;
      expect(text).toContain('Spend: $1.5000 (rehearsal, not billed), 2200 tokens');
      expect(text).toContain('  a rehearsal: the scripted model server answered, nothing was billed; the USD figure is what the same tokens would cost on the API');
      expect(JSON.parse((await peers(['status', stoppedName, '--json'])).out).spend).toEqual({ usd: 1.5, tokens: 2200, rehearsal: true });
      const line = (await peers(['ls'])).out.split('\n').find((l) => l.endsWith(stopped.repo))!;
      expect(line).toMatch(/ stopped +2 +\$1\.50 \(rehearsal, not billed\) 2200 tok +max_ticks /);
    } finally {
      rmSync(policy, { force: true });
    }
  });
});
