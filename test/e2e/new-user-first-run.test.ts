/**
 * A new user's first rehearsal, as it goes on a real project: the test suite has a test that
 * fetches a web page (green on their machine, which has a network), and their scenario is short
 * (one scripted tick per peer). Real pod, real CLIs, the scripted model server, the unprivileged
 * user, no git identity anywhere.
 *  - The gate is red in the run only for the network: the gate's line says so (the gates reach
 *    nothing but the egress proxy, which Node's own `fetch` does not use), where before it showed
 *    only `fetch failed` and the end of the TAP output.
 *  - The scenario runs out: the turns after it make no commit until `budget.max_consecutive_failures`
 *    stops the run. `up --attach`'s last words, `peers status` and the `peers up` that follows say
 *    the scenario ran out, where before only `peers report` did (the others said "no commit by
 *    claude this turn" and "fix the cause").
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { asUser, ensurePodmanReady, PEERS_BIN, removeRunLeftovers, uid, podKeyIn } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');
setDefaultTimeout(300_000);

let root = '';
let env: Record<string, string> = {};

const handoff = (peer: string) => ({
  replies: [
    {
      tool_calls: [
        {
          shell: `echo '// ${peer}' >> index.js && git add index.js && git commit -q -F - <<'MSG'\n${peer} note\n\n## Self-Review\n- a comment only\n\nPeer: ${peer}\nPeer-Status: handoff\nSelf-Review: pass\nMSG\n`,
        },
      ],
    },
    { text: 'done' },
  ],
});
const scenario = { version: 1, peers: { claude: { api: 'anthropic', ticks: [handoff('claude')] }, codex: { api: 'responses', ticks: [handoff('codex')] } } };

const NEEDS_NETWORK = "test('reads the title of a live page', async () => assert.ok(title(await (await fetch('https://example.com/')).text())));\n";

/** A library with green tests (and, with `network`, one that fetches a web page), `peers init` run in it. */
function project(name: string, network: boolean): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: name.replace(/ /g, '-'), version: '1.0.0', scripts: { test: 'node --test' } }, null, 2));
  writeFileSync(join(dir, 'index.js'), 'exports.title = (html) => /<title>(.*)<\\/title>/.exec(html)?.[1];\n');
  writeFileSync(
    join(dir, 'test', 'title.test.js'),
    "const test = require('node:test');\nconst assert = require('node:assert');\nconst { title } = require('../index.js');\n" +
      "test('reads a title', () => assert.equal(title('<title>x</title>'), 'x'));\n" +
      (network ? NEEDS_NETWORK : ''),
  );
  const r = Bun.spawnSync(['chown', '-R', `${uid()}:${uid()}`, root]);
  if (r.exitCode !== 0) throw new Error(`chown ${root} failed`);
  const made = asUser(['sh', '-ec', `git init -q -b main && git add -A && git -c user.name=Dev -c user.email=dev@example.com commit -qm lib && ${PEERS_BIN} init >/dev/null`], { cwd: dir, env });
  expect(made.code, made.stderr).toBe(0);
  return dir;
}

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-first-run-');
  writeFileSync(join(root, 'scenario.yaml'), stringify(scenario));
  env = {
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_STATE_HOME: join(root, 'state'),
    NO_COLOR: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'user.useConfigOnly',
    GIT_CONFIG_VALUE_0: 'true',
  };
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  for (const k of keys) removeRunLeftovers(k);
  if (root) rmSync(root, { recursive: true, force: true });
});

const keys: string[] = [];
const peersIn = (dir: string) => (args: string[]) => asUser([PEERS_BIN, ...args], { cwd: dir, env, timeoutMs: 280_000 });
const RAN_OUT = "the rehearsal's scenario ran out (peer 'claude' has only 1 scripted tick(s); peer 'codex' has only 1 scripted tick(s))";

test.skipIf(!need.ok)(`a test that needs the network: its gate's line in the run says the gates have no network but the allow-list${need.skipped}`, () => {
  const peers = peersIn(project('web lib', true));
  const up = peers(['up', '--rehearse', join(root, 'scenario.yaml'), '--attach']);
  keys.push(podKeyIn(up.stderr) ?? '');
  expect(up.stdout, up.stderr.slice(-3000)).toContain('the run stopped: stuck:tests-pass');
  const gateLine = up.stdout.split('\n').find((l) => l.includes('red: tests-pass'));
  expect(gateLine, up.stdout).toContain('no network (a host name not resolved, Node\'s "fetch failed"): a run\'s gates reach only egress.allow\'s hosts');
  const status = peers(['status']).stdout;
  expect(status).toContain('no network (a host name not resolved, Node\'s "fetch failed"): a run\'s gates reach only egress.allow\'s hosts');
  // Its scenario ran out too, but the red gate stopped it: status does not blame the scenario.
  expect(status).not.toContain('scenario ran out');
  // The failing test is named by its place in the repository, not in the pod's gate checkout.
  const diagnostic = JSON.parse(peers(['status', '--json']).stdout).gates.results['tests-pass'].diagnostic as string;
  expect(diagnostic).toContain("location: 'test/title.test.js:");
  expect(diagnostic).not.toContain('/checkouts/');
  expect(peers(['down']).code).toBe(0);
});

test.skipIf(!need.ok)(`a scenario that runs out: the attach, status and the next up say so${need.skipped}`, () => {
  const peers = peersIn(project('plain lib', false));
  const scenarioPath = join(root, 'scenario.yaml');
  const up = peers(['up', '--rehearse', scenarioPath, '--attach']);
  keys.push(podKeyIn(up.stderr) ?? '');
  expect(up.stdout, up.stderr.slice(-3000)).toContain('the run stopped: budget:max_consecutive_failures');
  expect(up.stdout).toContain(RAN_OUT);
  expect(peers(['status']).stdout).toContain(RAN_OUT);
  const json = peers(['status', '--json']);
  expect(json.code, json.stderr).toBe(0);
  expect(JSON.parse(json.stdout).script_ends).toEqual(["peer 'claude' has only 1 scripted tick(s)", "peer 'codex' has only 1 scripted tick(s)"]);
  const again = peers(['up', '--rehearse', scenarioPath]);
  expect(again.code).toBe(1);
  expect(again.stdout).toContain(`${RAN_OUT}: add ticks to it`);
  expect(again.stdout).not.toContain('fix the cause, then');
  expect(peers(['down']).code).toBe(0);
});
