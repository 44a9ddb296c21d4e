/**
 * Every git read the loop makes about a turn — judging it (judgeTurn: the turn's diff, test
 * markers, bug owners, justifications), the reviewer's window in the next prompt, the gate
 * surface, attestation, the anti-cheat revert and the history restore — goes to the trusted
 * mirror, never to the repository the peers write (docs/ARCHITECTURE.md, "The trusted observer").
 *
 * A `git` on PATH records every call, then runs the real git. The loop's own calls are the ones
 * src/git/git.ts makes (they carry `-c protocol.file.allow=always`); the peers' and the
 * workspace's calls (`WorkspaceGit`: status, moving HEAD) do not. None of the loop's may name the
 * peers' repository, by its working directory or by GIT_DIR.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from '../../../src/state/paths.ts';
import { HARD_GOAL_WORK, loop, makeProject, ticks, writeConfig, type Project } from './harness.ts';

let p: Project | undefined;
let savedPath: string | undefined;
const SEP = '\x1f';

beforeEach(() => {
  savedPath = process.env.PATH;
});
afterEach(() => {
  process.env.PATH = savedPath;
  p?.cleanup();
});

type GitCall = { cwd: string; gitDir: string; args: string[] };

function recordGitCalls(root: string): () => GitCall[] {
  const bin = join(root, 'bin');
  const log = join(root, 'git-calls.log');
  mkdirSync(bin, { recursive: true });
  const real = Bun.which('git', { PATH: savedPath })!;
  // One record per call: cwd, GIT_DIR, the arguments (unit-separated), then a record separator.
  writeFileSync(join(bin, 'git'), `#!/bin/sh\n{ printf '%s\\037%s' "$PWD" "$GIT_DIR"; for a; do printf '\\037%s' "$a"; done; printf '\\036'; } >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  process.env.PATH = `${bin}:${savedPath}`;
  return () =>
    (existsSync(log) ? readFileSync(log, 'utf8') : '')
      .split('\x1e')
      .filter(Boolean)
      .map((r) => {
        const [cwd = '', gitDir = '', ...args] = r.split(SEP);
        return { cwd, gitDir, args };
      });
}

/** alice: work, then a rewrite of her own commit, then work; bob: two test-only turns (warned, then reverted). */
const PEER = (root: string) => `#!/bin/sh
. '${join(import.meta.dir, '../../fixtures/peers/lib.sh')}'
cat >/dev/null
count='${root}/turns-'"$PEERS_PEER_NAME"
n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$count"
case "$PEERS_PEER_NAME-$n" in
  alice-2) git -c user.name=a -c user.email=a@peers.test commit -q --amend -m "rewritten" -m "## Self-Review
ok" -m "Self-Review: pass
Peer-Status: handoff
Peer: alice" ;;
  bob-*) mkdir -p test; echo "expect(true).toBe(true) // $n" >> test/gamed.test.js; handoff_commit "tests $n" ;;
  *) work; handoff_commit "work $n" ;;
esac
`;

describe("the loop's git reads about a turn", () => {
  test('judging, review windows, gate surface, attestation, revert and restore never run git in the peers\' repository', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [HARD_GOAL_WORK] });
    const script = join(p.root, 'peer.sh');
    writeFileSync(script, PEER(p.root));
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [HARD_GOAL_WORK], peerExtra: { alice: { argv: ['sh', script] }, bob: { argv: ['sh', script] } } });
    const calls = recordGitCalls(p.root);
    await loop(p, { maxTicks: 6 });

    // The run went through every path this test is about.
    const t = ticks(p);
    const actions = t.map((x) => `${x.peer}:${(x.anti_cheat as { action: string } | null)?.action ?? 'none'}`);
    expect(actions.slice(0, 2)).toEqual(['alice:none', 'bob:warn']);
    expect(actions).toContain('bob:revert');
    const rewrite = t.find((x) => typeof x.soft_fail_reason === 'string' && x.soft_fail_reason.includes('history was rewritten'))!;
    expect(rewrite.peer).toBe('alice');
    expect(rewrite.rewritten_ref).toBe(`refs/peers/rewritten/tick-${String(rewrite.tick).padStart(5, '0')}`);
    expect(rewrite.head_after).toBe(rewrite.head_before);
    expect((t[1]!.findings as { kind: string }[]).map((f) => f.kind)).toContain('gate-surface-change');
    // bob's second test-only turn was reverted by a commit built in the mirror and applied in the workspace.
    expect(readFileSync(join(p.repo, 'test/gamed.test.js'), 'utf8').trim().split('\n')).toHaveLength(1);
    const mirror = statePaths(p.stateDir).mirror;
    const all = calls();
    // The loop did read git (through the mirror), and the peers did run git in their repository.
    const ours = all.filter((c) => c.args.includes('protocol.file.allow=always'));
    expect(ours.some((c) => c.gitDir === mirror)).toBe(true);
    expect(all.some((c) => !ours.includes(c) && c.cwd === p!.repo)).toBe(true);
    const inPeersRepo = (c: GitCall) => {
      const at = c.gitDir || c.cwd;
      const dashC = c.args.indexOf('-C');
      const target = dashC >= 0 ? c.args[dashC + 1]! : at;
      return target === p!.repo || target.startsWith(`${p!.repo}/`);
    };
    expect(ours.filter(inPeersRepo).map((c) => c.args.filter((a) => !a.startsWith('core.') && a !== '-c' && a !== 'protocol.file.allow=always').join(' '))).toEqual([]);
  }, 120_000);
});
