import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { formatStatus } from '../../../src/report/status-text.ts';
import { FIXTURES, HARD_GOAL_WORK, exits, loop, makeProject, state, stopReason, ticks, writeConfig, promptOf, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('handoff rules with fake peers', () => {
  test('always-handoff peers alternate, every tick succeeds, and the run completes after each author is audited by the other', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [HARD_GOAL_WORK], goalsSettings: { convergence_n: 2 } });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('complete');
    expect(out.exitCode).toBe(0);
    const t = ticks(p);
    // 2 clean ticks reach convergence; both peers wrote changes, so each is re-audited by the
    // other in a skeptic tick (never by itself), then complete.
    expect(t.map((x) => x.peer)).toEqual(['alice', 'bob', 'alice', 'bob']);
    expect(t.every((x) => x.success && x.classification === 'success')).toBe(true);
    expect(t.map((x) => x.skeptic)).toEqual([false, false, true, true]);
    expect(t.map((x) => x.skeptic_audits ?? null)).toEqual([null, null, ['bob'], ['alice']]);
    expect(t.map((x) => x.tick)).toEqual([1, 2, 3, 4]);
    expect(promptOf(p!, t[2]!)).toContain('POST-CONVERGENCE SKEPTIC RE-AUDIT');
    // recon is generated into the state dir before tick 1 and inlined into every prompt
    expect(existsSync(join(p.stateDir, 'recon.md'))).toBe(true);
    expect(promptOf(p!, t[0]!)).toContain('--- recon ---');
    expect(exits(p).map((e) => e.reason)).toEqual(['complete']);
    expect(stopReason(p)).toBe('complete');
    const s = state(p);
    expect(s.tick).toBe(4);
    expect(s.gates.results['has-work']?.state).toBe('pass');
    // every commit of a tick is attested to its peer in git notes, in the loop's mirror (never
    // in the peers' repository, where a peer could forge one)
    const note = gitOk(statePaths(p.stateDir).mirror, ['notes', '--ref=peers-attest', 'show', t[0]!.head_after as string]).trim();
    expect(note).toBe('alice');
    expect(gitOk(p.repo, ['notes', '--ref=peers-attest', 'list'])).toBe('');
  });

  test('--no-skeptic completes right at convergence', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [HARD_GOAL_WORK], goalsSettings: { convergence_n: 1 } });
    const out = await loop(p, { maxTicks: 10, noSkeptic: true });
    expect(out.reason).toBe('complete');
    expect(ticks(p).length).toBe(1);
  });

  test('a wrong Peer-Status trailer is a soft failure: retried once, then the turn rotates', async () => {
    p = makeProject({ peers: { alice: 'wrong-trailer', bob: 'always-handoff' } });
    const said: string[] = [];
    await loop(p, { maxTicks: 1, log: (line: string) => void said.push(line) });
    // `peers status` between the two: alice is next again, and why.
    expect(formatStatus(readRunSummary(p.stateDir))).toContain('next: alice (goes again after its failed turn: retry 1 of 1, health.max_retries)');
    const out = await loop(p, { maxTicks: 2, log: (line: string) => void said.push(line) });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.success])).toEqual([['alice', false], ['alice', false], ['bob', true]]);
    // The log says why alice goes twice (bob is not being skipped), once: the second failure passes the turn on.
    expect(said.filter((l) => l.includes('goes again'))).toEqual(['peers: alice failed its turn and goes again next tick (retry 1 of 1, health.max_retries), then the turn passes to bob']);
    expect(t[0]!.soft_fail_reason).toContain('no Peer-Status: handoff');
    expect(t[0]!.credit).toBe(0.5);
  });

  test('commits after the handoff fail the turn and are named', async () => {
    p = makeProject({ peers: { alice: 'junk-after-handoff', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.success).toBe(false);
    expect(t!.soft_fail_reason).toMatch(/after the handoff were not self-reviewed: [0-9a-f]{8}/);
  });

  test('uncommitted leftovers are a soft failure that lists the dirty paths, and are discarded before anyone else works', async () => {
    p = makeProject({ peers: { alice: 'uncommitted-work', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.success).toBe(false);
    expect(t!.dirty_paths).toEqual(expect.arrayContaining(['stray.txt', 'work-alice.txt']));
    expect(t!.soft_fail_reason).toContain('stray.txt');
    expect(t!.credit).toBe(0.5);
    expect(JSON.stringify(t!.findings)).toContain('"kind":"uncommitted-left"');
    // The committed work stays; what was left uncommitted is gone (the leftover-work cheat).
    expect(existsSync(join(p.repo, 'stray.txt'))).toBe(false);
    expect(readFileSync(join(p.repo, 'work-alice.txt'), 'utf8')).not.toContain('more');
  });

  test('a history rewrite fails the turn, HEAD is restored and the rewritten commit kept under a ref', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    // A peer that amends the previous commit instead of extending history.
    const script = join(p.root, 'amend.sh');
    writeFileSync(script, `#!/bin/sh\ncat >/dev/null\ngit -c user.name=x -c user.email=x@y commit -q --amend -m "rewritten" -m "## Self-Review\nok" -m "Self-Review: pass\nPeer-Status: handoff\nPeer: $PEERS_PEER_NAME"\n`);
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'always-handoff' }, peerExtra: { alice: { argv: ['sh', script] } } });
    const before = gitOk(p.repo, ['rev-parse', 'HEAD']).trim();
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.success).toBe(false);
    expect(t!.soft_fail_reason).toContain('history was rewritten');
    expect(state(p).warnings.join('\n')).toContain('history rewritten (amend / rebase / reset)');
    expect(gitOk(p.repo, ['rev-parse', 'HEAD']).trim()).toBe(before);
    expect(t!.head_after).toBe(before);
    // Kept in the loop's mirror, where no peer can delete it; the peers' repository has no such ref.
    expect(t!.rewritten_ref).toBe('refs/peers/rewritten/tick-00001');
    expect(gitOk(statePaths(p.stateDir).mirror, ['log', '--format=%s', '-n', '1', 'refs/peers/rewritten/tick-00001']).trim()).toBe('rewritten');
    expect(gitOk(p.repo, ['for-each-ref', 'refs/peers/'])).toBe('');
    expect(existsSync(join(p.stateDir, t!.prompt_file as string))).toBe(true);
  });

  test('argv-substitute delivers the prompt in argv (stdin empty) with PEERS_PEER_NAME and the peer env', async () => {
    p = makeProject({
      peers: { alice: 'argv-prompt', bob: 'always-handoff' },
      peerExtra: { alice: { prompt_mode: 'argv-substitute', argv: ['sh', join(FIXTURES, 'argv-prompt.sh'), '{PROMPT}'], env: { FAKE_PEER_SETTING: 'on' } } },
    });
    await loop(p, { maxTicks: 1 });
    expect(ticks(p)[0]!.success).toBe(true);
    expect(readFileSync(join(p.repo, 'received-alice.txt'), 'utf8')).toBe("first-line: You are peer 'alice'. Your counterpart is 'bob'.\nstdin-bytes: 0\npeer-name: alice\ncustom-env: on\n");
  });
});
