/**
 * A user rehearsing their own project (`peers up --rehearse`) follows what peers tells them, word
 * for word. The rehearsal stops (a gate stuck red: the scripted peers never fix the bug); `peers up
 * --rehearse` says why and what would continue it; the user does what the advice says and pastes
 * its command: the rehearsal goes on, with the `--max-usd` cap its first `up` set. Stopped with
 * `peers down`, the report says how to resume it.
 * Before, both named plain `peers up …`, which does not continue a rehearsal (it asks for API keys,
 * and with keys refuses: a real run never continues a rehearsal). Real pod, real CLIs, the scripted
 * model server; the unprivileged user.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { asUser, ensurePodmanReady, PEERS_BIN, removeRunLeftovers, uid, podKeyIn } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');
setDefaultTimeout(300_000);

let root = '';
let repo = '';
let key = '';
let env: Record<string, string> = {};

/** A comment-only handoff: the scripted peer works, and never touches the bug. */
const handoff = (peer: string, n: number) => ({
  replies: [
    {
      tool_calls: [
        {
          shell: `echo '// ${peer} ${n}' >> ring.js && git add ring.js && git commit -q -F - <<'MSG'\n${peer} note ${n}\n\n## Self-Review\n- a comment only\n\nPeer: ${peer}\nPeer-Status: handoff\nSelf-Review: pass\nMSG\n`,
        },
      ],
    },
    { text: 'done' },
  ],
});
const scenario = {
  version: 1,
  peers: {
    claude: { api: 'anthropic', ticks: [1, 2, 3].map((n) => handoff('claude', n)) },
    codex: { api: 'responses', ticks: [1, 2, 3].map((n) => handoff('codex', n)) },
  },
};

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-rehearsal-next-');
  repo = join(root, 'ring');
  mkdirSync(join(repo, 'test'), { recursive: true });
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'ring', version: '1.0.0', scripts: { test: 'node --test' } }, null, 2));
  writeFileSync(join(repo, 'ring.js'), 'exports.size = (items) => items.length - 1;\n');
  writeFileSync(join(repo, 'test', 'ring.test.js'), "const test = require('node:test');\nconst assert = require('node:assert');\nconst { size } = require('../ring.js');\ntest('an empty ring has size 0', () => assert.equal(size([]), 0));\n");
  writeFileSync(join(root, 'scenario.yaml'), stringify(scenario));
  const r = Bun.spawnSync(['chown', '-R', `${uid()}:${uid()}`, root]);
  if (r.exitCode !== 0) throw new Error(`chown ${root} failed`);
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), NO_COLOR: '1' };
  const made = asUser(['sh', '-ec', `git init -q -b main && git add -A && git -c user.name=Dev -c user.email=dev@example.com commit -qm ring && ${PEERS_BIN} init >/dev/null`], { cwd: repo, env });
  expect(made.code, made.stderr).toBe(0);
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

const peers = (args: string[]) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs: 280_000 });
const configPath = () => join(repo, '.peers', 'config.yaml');
function setStuckHaltAfter(n: number): void {
  const config = parse(readFileSync(configPath(), 'utf8')) as { goals?: Record<string, unknown> };
  config.goals = { ...config.goals, stuck_halt_after: n };
  writeFileSync(configPath(), stringify(config));
  chownSync(configPath(), uid(), uid());
}

test.skipIf(!need.ok)(`a stopped rehearsal: the advice up and report give, followed as printed, continues the rehearsal${need.skipped}`, () => {
  setStuckHaltAfter(2);
  const scenarioPath = join(root, 'scenario.yaml');
  // A cap given once, on the first up: every up that continues this run keeps it.
  const first = peers(['up', '--rehearse', scenarioPath, '--max-usd', '7', '--attach']);
  key = podKeyIn(first.stderr) ?? '';
  expect(first.stdout, first.stderr.slice(-3000)).toContain('the run stopped: stuck:tests-pass');

  const again = peers(['up', '--rehearse', scenarioPath]);
  expect(again.code).toBe(1);
  const advice = again.stdout.split('\n').find((l) => l.includes('--accept-changes'));
  expect(advice, again.stdout).toBeDefined();
  const command = /, then (peers up .*) \(the run continues where it stopped\)$/.exec(advice!)?.[1];
  expect(command, advice).toBeDefined();
  expect(command).toContain(`--rehearse ${scenarioPath}`);

  // What the advice says to do (raise goals.stuck_halt_after), then its command as printed.
  setStuckHaltAfter(10);
  // Before that, what a user may try first. Plain `peers up` (a real run) does not continue a
  // rehearsal: refused with both ways on, and the edited .peers/ is not adopted by the refused up.
  const real = peers(['up']);
  expect(real.code, real.stderr).toBe(2);
  expect(real.stderr).toMatch(/continue the rehearsal: peers up (\S+ )?--rehearse SCENARIO\.yaml; or start a real run over it: peers up (\S+ )?--fresh/);
  expect(real.stderr).not.toContain('adopted the changed control plane');
  // The rehearsal without --accept-changes: the diff, and a hint that keeps the scenario.
  const unaccepted = peers(['up', '--rehearse', scenarioPath]);
  expect(unaccepted.code, unaccepted.stderr).toBe(2);
  expect(unaccepted.stderr).toContain('stuck_halt_after');
  expect(unaccepted.stderr).toContain(`--rehearse ${scenarioPath} --accept-changes`);
  const pasted = asUser(['sh', '-c', command!.replace(/^peers /, `${PEERS_BIN} `)], { cwd: repo, env, timeoutMs: 280_000 });
  expect(pasted.code, pasted.stderr).toBe(0);
  expect(pasted.stdout).toContain('is resumed, rehearsing (scripted model server, nothing billed)');
  // The resumed run still has the $7 of --max-usd, not the config's budget.max_usd (before: $50).
  expect(pasted.stdout + pasted.stderr).toContain("kept this run's cap of $7, set by --max-usd");
  const status = JSON.parse(peers(['status', '--json']).stdout) as { budget: { usd: { cap: number | null } } };
  expect(status.budget.usd.cap).toBe(7);

  expect(peers(['down']).code).toBe(0);
  const report = peers(['report']);
  expect(report.stdout).toContain('Stopped on request');
  expect(report.stdout).toContain('`peers up --rehearse SCENARIO.yaml` resumes it');
});
