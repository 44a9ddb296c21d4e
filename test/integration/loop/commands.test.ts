import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireRunLock } from '../../../src/state/run-lock.ts';
import { REPO_ROOT, loop, makeProject, ticks, promptOf, writeConfig, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = Bun.spawn([process.execPath, join(REPO_ROOT, 'src/main.ts'), ...args], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, out, err };
}

describe('status, replay and report read the state directory', () => {
  test('status shows tick, next peer, health, budget against caps, gates, lock holder and stop reason', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'crash' }, goals: [NEVER_GREEN], budget: { max_ticks: 50 } });
    await loop(p, { maxTicks: 3 });
    const text = await cli(['status', p.repo, '--state-dir', p.stateDir]);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Tick: 3    next: alice'); // bob failed twice (max_retries 1), then rotated
    expect(text.out).toContain('Last stop: max_ticks');
    expect(text.out).toContain('ticks 3/50 (6%)');
    expect(text.out).toContain('never-green: fail');
    expect(text.out).toContain('Loop: not running');
    const lock = acquireRunLock(join(p.stateDir, 'run.lock'));
    try {
      const json = JSON.parse((await cli(['status', p.repo, '--state-dir', p.stateDir, '--json'])).out);
      expect(json.running).toBe(true);
      expect(json.lock_pid).toBe(process.pid);
      expect(json.peers.bob.last_classification).toBe('process-fail');
      expect(json.budget.ticks).toEqual({ spent: 3, cap: 50 });
      expect(json.last_stop.reason).toBe('max_ticks');
    } finally {
      lock.release();
    }
  });

  test('status without any run explains what to do (exit 1); a --state-dir that is not there is a mistyped path (exit 2)', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    mkdirSync(p.stateDir, { recursive: true });
    const r = await cli(['status', p.repo, '--state-dir', p.stateDir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no run state yet');
    for (const command of ['status', 'report']) {
      const typo = await cli([command, p.repo, '--state-dir', join(p.root, 'no-such-dir')]);
      expect(typo.code).toBe(2);
      expect(typo.err).toContain(`--state-dir ${join(p.root, 'no-such-dir')} does not exist`);
      expect(typo.err).not.toContain('start a run first');
    }
  });

  test('replay prints the exact prompt of a tick and its result; unknown tick → exit 2', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'wrong-trailer' }, goals: [NEVER_GREEN] });
    await loop(p, { maxTicks: 2 });
    const t2 = ticks(p)[1]!;
    const r = await cli(['replay', '2', p.repo, '--state-dir', p.stateDir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Tick 2 — peer bob');
    expect(r.out).toContain('result: failed · success');
    expect(r.out).toContain('never-green=fail');
    const prompt = promptOf(p!, t2);
    expect(r.out).toContain(`--- prompt (${join(p.stateDir, t2.prompt_file as string)}) ---\n${prompt}--- end of prompt ---`);
    const json = JSON.parse((await cli(['replay', '2', p.repo, '--state-dir', p.stateDir, '--json'])).out);
    expect(json.prompt).toBe(prompt);
    expect(json.tick.peer).toBe('bob');
    const missing = await cli(['replay', '9', p.repo, '--state-dir', p.stateDir]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no tick 9');
  });

  test('replay shows byte for byte the prompt the peer read on stdin', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'records-prompt' }, goals: [NEVER_GREEN] });
    const received = join(p.root, 'bob-received-prompt.txt');
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'records-prompt' }, peerExtra: { bob: { env: { RECORD_PROMPT_TO: received } } } });
    await loop(p, { maxTicks: 4 }); // the file keeps bob's last prompt: tick 4, his second turn
    const json = JSON.parse((await cli(['replay', '4', p.repo, '--state-dir', p.stateDir, '--json'])).out);
    expect(json.tick.peer).toBe('bob');
    const sent = readFileSync(received, 'utf8');
    expect(sent).toContain("You are peer 'bob'.");
    expect(sent).toContain('+alice '); // alice's work since his last turn, as a diff
    expect(json.prompt).toBe(sent);
  });

  test('report writes REPORT.md with outcome, peers, gates, ticks and stops', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'uncommitted-work' }, goals: [NEVER_GREEN] });
    await loop(p, { maxTicks: 2 });
    const r = await cli(['report', p.repo, '--state-dir', p.stateDir]);
    expect(r.code).toBe(0);
    const md = readFileSync(join(p.stateDir, 'REPORT.md'), 'utf8');
    expect(r.out).toBe(md);
    expect(md).toContain('**Outcome:** max_ticks');
    expect(md).toContain('| never-green | fail |');
    expect(md).toMatch(/\| 2 \| bob \| failed \| success \| .*uncommitted changes left after the handoff: /);
    expect(md).toContain('**max_ticks** after 2 tick(s)');
    expect(existsSync(join(p.stateDir, 'REPORT.md'))).toBe(true);
  });
});
