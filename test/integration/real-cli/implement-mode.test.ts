/**
 * implement mode driven by the real claude and codex CLIs against the scripted model server
 *: `peers init --modes implement --plan PLAN.md` (two steps, a failing acceptance test)
 * writes the goal program; claude builds STEP-1, codex reviews it blind, checks it off and builds
 * STEP-2, claude checks that off and writes DELIVERY.md and its honesty audit, codex writes its
 * own. Every implement gate goes green on the real checkouts and the run completes.
 */
import { expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { modelServerPeerSpecs } from '../../../src/model-server/cli-wiring.ts';
import { IMPLEMENT } from '../modes/mode-projects.ts';
import { CLAUDE_BIN, CODEX_BIN, ensureTestUser, giveToTestUser, gitAsUser, handoffCommitCommand, IS_ROOT, makeRepo, removeDir, runLoopAsUser, startServer, TEST_USER, userDir } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
const p = IMPLEMENT.js;

const sh = (cmd: string) => ({ shell: cmd });
const commit = (peer: string, subject: string, body: string, trailers = '') => sh(`git add -A && git commit -q -F - <<'MSG'\n${subject}\n\n${body}\n\n${trailers}${trailers ? '\n' : ''}Peer: ${peer}\nMSG`);
const review = (peer: string) => sh(`git commit -q --allow-empty -F - <<'MSG'\nReview blind-review\n\n## Review\n{"pass": true, "notes": "read the step's diff alone first; it does what the step says and its tests cover it"}\n\nPeer-Review-Of: blind-review\nPeer: ${peer}\nMSG`);
const checkOff = (step: string) => sh(`s=$(git log --format=%H --grep='^${step}:' -n 1) && sed -i "s/^- \\[ \\] \\[${step}\\] \\(.*\\)$/- [x] [${step}] \\1 ($s)/" PLAN.md`);
const honesty = (peer: string, weakest: string) => `\n## ${peer}\n### Weakest part\n${weakest}\n### Likely uncaught bug\nNames with surrounding whitespace are greeted with the whitespace kept.\n### Skipped or shortcut\nThere is no test for a language code in upper case such as FR.\n`;
// The hand-off of a turn whose work is already committed: an empty commit carrying the trailers.
const handoff = (peer: string, subject: string) => sh(handoffCommitCommand(peer, subject).replace('git commit -q', 'git commit -q --allow-empty'));
const tick = (...calls: unknown[]) => ({ replies: [...calls.map((c) => ({ tool_calls: [c] })), { text: 'Handed off.' }] });

const SCENARIO = {
  version: 1,
  peers: {
    claude: {
      api: 'anthropic',
      ticks: [
        tick({ write: { path: 'src/greet.js', content: p.step1['src/greet.js'] } }, commit('claude', 'STEP-1: greet by name', 'English greeting with a stranger fallback.'), handoff('claude', 'Hand off STEP-1 for review')),
        tick(
          review('claude'),
          checkOff('STEP-2'),
          sh(`s1=$(git log --format=%H --grep='^STEP-1:' -n 1); s2=$(git log --format=%H --grep='^STEP-2:' -n 1); printf '# Delivery\\n\\n## [STEP-1] Greet a person by name\\n- **Commit:** %s\\n- **Tests:** test/acceptance.test.js\\n- **Justification:** implemented by claude, reviewed by codex\\n\\n## [STEP-2] Greet in French\\n- **Commit:** %s\\n- **Tests:** test/acceptance.test.js\\n- **Justification:** implemented by codex, reviewed by claude\\n' "$s1" "$s2" > DELIVERY.md`),
          { write: { path: 'HONESTY_AUDIT.md', content: `# Honesty audit\n${honesty('claude', 'The French form was checked against one example only, not a style guide.')}` } },
          commit('claude', 'Check off STEP-2; delivery report; honesty audit of claude', 'Reviewed STEP-2 blind.'),
          handoff('claude', 'Hand off the delivery'),
        ),
        tick(handoff('claude', 'Skeptic re-audit: nothing new found')),
      ],
    },
    codex: {
      api: 'responses',
      ticks: [
        tick(review('codex'), checkOff('STEP-1'), commit('codex', 'Check off STEP-1', 'Reviewed blind: the diff does what the step says.'), { write: { path: 'src/greet.js', content: p.step2['src/greet.js'] } }, commit('codex', 'STEP-2: greet in French', 'A table of forms; unknown languages are refused.'), handoff('codex', 'Hand off STEP-2 for review')),
        // STEP-2's code voided codex's first vote (a vote counts only for the code it read): codex votes again, after claude's.
        tick(review('codex'), sh(`printf '%s' '${honesty('codex', 'The forms table has no way to say which languages need a space before punctuation.').replace(/'/g, "'\\''")}' >> HONESTY_AUDIT.md`), commit('codex', 'Honesty audit of codex', 'Written after the last code change.'), handoff('codex', 'Hand off')),
        tick(handoff('codex', 'Nothing left')),
      ],
    },
  },
};

function peersAsUser(cwd: string, args: string[], home: string): string {
  const env = ['env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', `HOME=${home}`, `XDG_CONFIG_HOME=${home}/.config`, 'LANG=C.UTF-8'];
  const argv = [...(IS_ROOT ? ['runuser', '-u', TEST_USER, '--'] : []), ...env, process.execPath, MAIN, ...args];
  return execFileSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' });
}

test.skipIf(!need.ok)('implement mode with claude and codex on a two-step PLAN.md: every gate green, the run completes', async () => {
  ensureTestUser();
  const server = startServer(SCENARIO);
  const repo = makeRepo({ gitIdentity: false });
  const root = userDir('implement');
  try {
    for (const d of ['claude-home', 'codex-home', 'state', 'home']) mkdirSync(join(root, d));
    for (const [rel, text] of Object.entries(p.start)) {
      mkdirSync(join(repo, rel, '..'), { recursive: true });
      writeFileSync(join(repo, rel), text!);
    }
    writeFileSync(join(root, 'PLAN.md'), p.plan);
    giveToTestUser(repo);
    giveToTestUser(root);
    gitAsUser(repo, ['add', '-A']);
    gitAsUser(repo, ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'greeter: acceptance test first']);
    const out = peersAsUser(repo, ['init', '--modes', 'implement', '--plan', join(root, 'PLAN.md')], join(root, 'home'));
    expect(out).toContain('frozen acceptance contract: `node --test test/acceptance.test.js` and test/acceptance.test.js');

    // init wrote the goal program; only the peers are pointed at the model server.
    const configPath = join(repo, '.peers/config.yaml');
    const config = parse(readFileSync(configPath, 'utf8'));
    const specs = modelServerPeerSpecs({ serverUrl: server.url!, claudeBin: CLAUDE_BIN, codexBin: CODEX_BIN, claudeHome: join(root, 'claude-home'), codexHome: join(root, 'codex-home') });
    config.peers = [specs.claude, specs.codex];
    config.health = { idle_timeout_s: 60, absolute_max_runtime_s: 120, kill_grace_s: 2 };
    config.goals = { ...config.goals, timeout_s: 300 };
    writeFileSync(configPath, stringify(config));
    giveToTestUser(repo);

    const run = await runLoopAsUser({ repo, root, stateDir: join(root, 'state'), cleanup: () => {} }, ['--max-ticks', '8'], { timeoutMs: 600_000, compiled: true });
    const ticks = run.runs.filter((r) => r.event === 'tick');
    const state = JSON.parse(readFileSync(join(root, 'state/state.json'), 'utf8'));
    const failing = Object.entries(state.gates.results as Record<string, { state: string; diagnostic: string }>).filter(([, r]) => r.state === 'fail');
    expect([run.stopReason, failing]).toEqual(['complete', []]);
    expect(ticks.map((t) => [t.peer, t.success])).toEqual([
      ['claude', true],
      ['codex', true],
      ['claude', true],
      ['codex', true],
      // Both wrote changes: each is re-audited by the other's skeptic tick.
      ['claude', true],
      ['codex', true],
    ]);
    expect(Object.keys(state.gates.results)).toEqual(expect.arrayContaining(['acceptance-pass', 'checkoff-by-other-peer', 'honesty-audit', 'delivery-report-complete', 'contracts-unchanged']));
    expect(readFileSync(join(repo, 'PLAN.md'), 'utf8')).toMatch(/^- \[x\] \[STEP-1\] Greet a person by name \([0-9a-f]{40}\)$/m);
  } finally {
    await server.stop();
    removeDir(repo);
    removeDir(root);
  }
}, 900_000);
