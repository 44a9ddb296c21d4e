/**
 * More commands run in this process (see commands-in-process.test.ts for the first ones): each gets
 * its output streams, environment and working directory handed to it, so what it prints, the files
 * it writes and its exit code are checked without spawning the binary. Fixtures: the project
 * `peers init` writes in a scratch HOME with no git identity, and a finished host loop run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { archiveRootFor } from '../../../src/state/paths.ts';
import type { Project } from '../loop/harness.ts';
import { runInProcess } from './in-process.ts';
import { inProcessFixture, type InProcessFixture } from './in-process-fixture.ts';
import { gitIn, makeRepo } from './peers-cli.ts';
import { ACCEPTANCE, PLAN } from './greeter-plan.ts';

let fx: InProcessFixture;
let run: Project;
beforeAll(async () => {
  fx = await inProcessFixture();
  run = fx.run;
}, 60_000);
afterAll(() => fx?.cleanup());

const peers = (argv: string[], cwd?: string) => fx.peers(argv, cwd);
/** `peers <argv>` on the finished host run: its state dir is the one PEERS_STATE_DIR names. */
const onRun = (argv: string[]) => runInProcess(argv, { env: { ...fx.env, PEERS_STATE_DIR: run.stateDir }, cwd: run.repo });

describe('logs', () => {
  test("the loop's saved output from the state dir: all of it on stdout (pipeable), though the loop wrote its progress to stderr; partial lines joined", async () => {
    // loop.log as podman writes it (k8s-file): `<time> <stream> <F|P> <text>`, P a partial line.
    writeFileSync(
      join(run.stateDir, 'loop.log'),
      ['2026-12-05T11:00:00.000000000+00:00 stderr F peers: tick 1 peer=alice starting...', '2026-12-05T11:00:01.000000000+00:00 stdout P Stopped: ', '2026-12-05T11:00:01.000000001+00:00 stdout F max_ticks', ''].join('\n'),
    );
    const r = await onRun(['logs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('peers: tick 1 peer=alice starting...\nStopped: max_ticks\n');
    expect(r.stderr).toBe('');
  });

  test('without podman (uninstalled, or not on this PATH): the saved output is still shown; with none saved, "never started", not "podman not found"', async () => {
    writeFileSync(join(run.stateDir, 'loop.log'), '2026-12-05T11:00:01.000000000+00:00 stdout F Stopped: max_ticks\n');
    const noPodman = { ...fx.env, PEERS_STATE_DIR: run.stateDir, PEERS_PODMAN: join(fx.sb.root, 'no-such-podman') };
    const r = await runInProcess(['logs'], { env: noPodman, cwd: run.repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Stopped: max_ticks\n');
    const none = await runInProcess(['logs'], { env: { ...noPodman, PEERS_STATE_DIR: join(fx.sb.root, 'no-run-here') }, cwd: run.repo });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no loop output for this project yet (never started)');
    // No run saved a history either: `peers report` would fail the same way, so the hint is to start one.
    expect(none.stderr).toContain('hint: start a run with `peers up`');
  });

  test("--peer NAME: that peer's turn output, one header per tick; --since tick:N from that tick on", async () => {
    const r = await onRun(['logs', '--peer', 'alice']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toStartWith('==> tick 1 (alice) <==\nworking step 1\nworking step 2\n');
    expect(r.stdout).toContain('working step 8\n');
    // bob's turn printed nothing, and alice's output is not his.
    expect((await onRun(['logs', '--peer', 'bob'])).stdout).toBe('');
    expect((await onRun(['logs', '--peer', 'alice', '--since', 'tick:2'])).stdout).toBe('');
  });

  test("--peer shows a CLI's JSON events as what they say (tool calls, messages, the turn's end), its other lines as printed; --raw shows them as written", async () => {
    // claude -p --output-format stream-json, as a turn writes it to its tick log.
    const events = [
      { type: 'system', subtype: 'init', session_id: 's1', tools: ['Bash', 'Edit'] },
      { type: 'assistant', message: { content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'npm test' } }] } },
      { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: '1 failed' }] } },
      { type: 'assistant', message: { content: [{ type: 'text', text: 'add() subtracted.\nFixed it; all tests pass.' }] } },
      { type: 'result', subtype: 'success', is_error: false, total_cost_usd: 0.01 },
    ].map((e) => JSON.stringify(e));
    writeFileSync(join(run.stateDir, 'logs', 'tick-00009-alice.stdout.log'), `${events.slice(0, 2).join('\n')}\nplain text the CLI printed\n${events.slice(2).join('\n')}\n`);
    const r = await onRun(['logs', '--peer', 'alice', '--since', 'tick:9']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('==> tick 9 (alice) <==\n· Bash: npm test\nplain text the CLI printed\n· says: add() subtracted.\n  Fixed it; all tests pass.\n· finished its turn\n');
    const raw = await onRun(['logs', '--peer', 'alice', '--since', 'tick:9', '--raw']);
    expect(raw.stdout).toBe(`==> tick 9 (alice) <==\n${events.slice(0, 2).join('\n')}\nplain text the CLI printed\n${events.slice(2).join('\n')}\n`);
    rmSync(join(run.stateDir, 'logs', 'tick-00009-alice.stdout.log'));
  });

  test('--peer of a peer the run does not have, or a --since that is no time: exit 2, nothing on stdout', async () => {
    const ghost = await onRun(['logs', '--peer', 'carol']);
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toBe("peers: no peer named 'carol' in this run\n  hint: its peers: alice, bob\n");
    const since = await onRun(['logs', '--peer', 'alice', '--since', 'yesterdayish']);
    expect(since.code).toBe(2);
    expect(since.stdout).toBe('');
    expect(since.stderr).toStartWith('peers: --since "yesterdayish" is not a duration, a date or a tick\n');
  });
});

describe('replay', () => {
  test('a logged tick: its line and the prompt the peer was given; --json the same', async () => {
    const r = await peers(['replay', '1', run.repo, '--state-dir', 'state'], run.root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toStartWith('Tick 1 — peer alice (custom) at ');
    expect(r.stdout).toContain('result: handoff · success · exit 0');
    const prompt = join(run.stateDir, 'prompts/tick-00001-alice.txt');
    expect(r.stdout).toContain(`--- prompt (${prompt}) ---\n${readFileSync(prompt, 'utf8')}`);
    expect(r.stdout).toEndWith('--- end of prompt ---\n');
    const j = JSON.parse((await onRun(['replay', '2', '--json'])).stdout);
    expect(j.tick).toMatchObject({ tick: 2, peer: 'bob', success: true });
    expect(j.prompt).toStartWith("You are peer 'bob'.");
  });

  test('a tick that was never logged: exit 2 with how many were', async () => {
    const r = await onRun(['replay', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`peers: no tick 9 in ${join(run.stateDir, 'runs.jsonl')} (2 tick line(s) logged)\n  hint: peers status shows the current tick\n`);
  });
});


/**
 * Attack: what peers wrote (their CLI's output in the loop log, a failure's cause and stderr tail, the
 * prompt that quotes their commit subjects and diff) carries escape sequences (clear the screen,
 * OSC 52 write the clipboard, a C1 CSI) and bidi overrides. The property (SECURITY.md, "A peer's
 * words reach the operator's terminal as text"): every command's output to the operator has no
 * control character but line breaks and tabs; --json keeps the text exact.
 */
describe('peer text on the terminal', () => {
  const PLANTED = 'x \u001b[2J\u001b[H \u001b]52;c;cHduZWQ=\u0007 \u009b31m \u202eevil\u202c y';
  const controls = (text: string) => text.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g) ?? [];

  test('logs: the loop output a peer wrote is shown with its control characters as ?', async () => {
    writeFileSync(join(run.stateDir, 'loop.log'), [`2026-12-05T11:00:00.000000000+00:00 stderr F peers: cause ${PLANTED}`, `2026-12-05T11:00:01.000000000+00:00 stdout F said ${PLANTED}`, ''].join('\n'));
    const r = await onRun(['logs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('peers: cause x ?[2J?[H ?]52;c;cHduZWQ=? ?31m ?evil? y\nsaid x ?[2J?[H ?]52;c;cHduZWQ=? ?31m ?evil? y\n');
    expect(r.stderr).toBe('');
  });

  test("replay: a tick's cause, stderr tail and prompt are shown with their control characters as ?; --json keeps them exact", async () => {
    const dir = join(run.root, 'state-planted');
    cpSync(run.stateDir, dir, { recursive: true });
    const runs = join(dir, 'runs.jsonl');
    const lines = readFileSync(runs, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"tick":1,'));
    const line = JSON.parse(lines[i]!);
    lines[i] = JSON.stringify({ ...line, success: false, cause: `cause ${PLANTED}`, stderr_tail: `tail ${PLANTED}` });
    writeFileSync(runs, lines.join('\n'));
    const prompt = join(dir, line.prompt_file);
    writeFileSync(prompt, `${readFileSync(prompt, 'utf8')}INBOX: ${PLANTED}\n`);
    const r = await peers(['replay', '1', run.repo, '--state-dir', dir], run.root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('cause: cause x ?[2J?[H');
    expect(r.stdout).toContain('stderr tail:\ntail x ?[2J');
    expect(r.stdout).toContain('INBOX: x ?[2J');
    expect(controls(r.stdout)).toEqual([]);
    const json = await peers(['replay', '1', run.repo, '--state-dir', dir, '--json'], run.root);
    expect(controls(json.stdout)).toEqual([]);
    const j = JSON.parse(json.stdout);
    expect(j.tick).toMatchObject({ cause: `cause ${PLANTED}`, stderr_tail: `tail ${PLANTED}` });
    expect(j.prompt).toEndWith(`INBOX: ${PLANTED}\n`);
  });

  test("replay: a tick's soft-fail reason naming a file with line breaks (git allows them) stays on its `reason:` line", async () => {
    const dir = join(run.root, 'state-reason');
    cpSync(run.stateDir, dir, { recursive: true });
    const runs = join(dir, 'runs.jsonl');
    const lines = readFileSync(runs, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"tick":1,'));
    const line = JSON.parse(lines[i]!);
    const forged = 'uncommitted changes left after the handoff: a\nsuccess: true (handed off)\r\ncause: none';
    lines[i] = JSON.stringify({ ...line, success: false, cause: forged, soft_fail_reason: forged });
    writeFileSync(runs, lines.join('\n'));
    const r = await peers(['replay', '1', run.repo, '--state-dir', dir], run.root);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.split('\n');
    expect(out.filter((l) => /^(?:success: true|cause: none)/.test(l))).toEqual([]);
    expect(out.filter((l) => l.startsWith('reason: uncommitted changes left after the handoff: a success: true'))).toHaveLength(1);
  });
});

describe('check', () => {
  test('a known check on the freshly init\'d project passes; its report on stdout', async () => {
    const r = await peers(['check', 'no-secrets']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('no-secrets: clean\n');
    expect(JSON.parse((await peers(['check', 'no-secrets', '--json'])).stdout)).toEqual({ schema_version: 1, id: 'no-secrets', pass: true, report: 'no-secrets: clean' });
  });

  test('a secret in the working tree fails it: the report on stderr, exit 1', async () => {
    const leak = join(fx.repo, 'deploy.env');
    writeFileSync(leak, 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL3\n');
    try {
      const r = await peers(['check', 'no-secrets']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toStartWith('no-secrets: 1 finding(s)');
      expect(r.stderr).toContain('  deploy.env:1: AWS access key id\n');
    } finally {
      rmSync(leak);
    }
  });

  test('an unknown id: exit 2, with the ids there are', async () => {
    const r = await peers(['check', 'constructor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith('peers: unknown check "constructor"\n  hint: available checks: api-stable, ');
    expect(r.stderr).toContain('no-secrets');
  });
});

describe('pause and resume with no run running', () => {
  test('pause: saved in the operator control file of the injected state home, applied when the run resumes', async () => {
    const r = await peers(['pause', 'codex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('paused codex\n  the run is not running: it applies when the run resumes\n  paused now: codex; resume with: peers resume codex\n');
    const again = JSON.parse((await peers(['pause', 'codex', '--json'])).stdout);
    expect(again).toMatchObject({ changed: [], paused: ['codex'], running: false });
    expect(again.control).toStartWith(join(fx.sb.home, '.local/state/peers/proj-'));
    expect(Object.keys(JSON.parse(readFileSync(again.control, 'utf8')).paused)).toEqual(['codex']);
  });

  test('resume: the peer is taken off the list; resuming it twice says so', async () => {
    const r = await peers(['resume', 'codex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('resumed codex\n  paused now: none\n');
    expect((await peers(['resume', 'codex'])).stdout).toBe('codex was not paused\n  paused now: none\n');
  });

  test('a peer the project does not have: exit 2 with its peers', async () => {
    const r = await peers(['pause', 'zed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('peers: peers pause zed: no such peer (peers: claude, codex)\n  hint: pass a peer name from .peers/config.yaml, or all\n');
  });
});

describe('review and down of a project that is not running', () => {
  test('review: no handoff and no review yet; the state dir is the injected one', async () => {
    const r = await peers(['review']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('No self-reviewed handoff yet.\n\nNo review commits yet.\n');
    const j = JSON.parse((await peers(['review', '--json'])).stdout);
    expect(j).toMatchObject({ handoff: null, reviews: [] });
    expect(j.state_dir).toStartWith(join(fx.sb.home, '.local/state/peers/proj-'));
  });

  test("review of the finished run: bob's handoff is the latest, attested, with its self-review", async () => {
    const r = await onRun(['review']);
    expect(r.code, r.stderr).toBe(0);
    const head = gitIn(run.repo, ['rev-parse', 'HEAD']);
    expect(r.stdout).toStartWith(`Latest handoff ${head.slice(0, 8)} by bob: work by bob\n  Re-read the diff; nothing left out.\n`);
  });

  test('down: nothing was running, nothing left behind; exit 0; the injected registry records the down', async () => {
    const registry = () => JSON.parse(readFileSync(join(fx.sb.home, '.config/peers/projects.json'), 'utf8')).projects.find((p: { path: string }) => p.path === fx.repo);
    expect(registry().last_down_at).toBeUndefined();
    const r = await peers(['down']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${fx.repo} was not running; nothing left behind\n  your repository: no fingerprint from \`peers up\` to compare with\n`);
    const j = JSON.parse((await peers(['down', '--json'])).stdout);
    expect(j).toMatchObject({ was_running: false, leftovers: false, path: fx.repo });
    expect(Date.parse(registry().last_down_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  test('down without podman: nothing of the project can be running without it, so down says that, still checks the repository, exit 0', async () => {
    const r = await runInProcess(['down'], { env: { ...fx.env, PEERS_PODMAN: join(fx.sb.root, 'no-such-podman') }, cwd: fx.repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${fx.repo} was not running (podman not found: ${join(fx.sb.root, 'no-such-podman')}, so no pod of it can be); nothing left behind\n  your repository: no fingerprint from \`peers up\` to compare with\n`);
  });
});

const greeter = () => join(fx.sb.root, 'greeter');

describe('init and new', () => {
  test('init --json: a repository named relative to the injected working directory, set up and registered in the injected HOME', async () => {
    makeRepo(fx.sb.root, 'second');
    const r = await peers(['init', 'second', '--json'], fx.sb.root);
    expect(r.code, r.stderr).toBe(0);
    const second = join(fx.sb.root, 'second');
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schema_version: 1, repo: second, baselineTag: 'peers-baseline' });
    expect(doc.files).toEqual(['config.yaml', 'goals.yaml', 'schema/config.schema.json', 'schema/goals.schema.json'].map((f) => join(second, '.peers', f)));
    expect(gitIn(second, ['rev-parse', 'HEAD'])).toBe(doc.gitignoreCommit);
    expect(gitIn(second, ['log', '-1', '--format=%an|%s'])).toBe('peers-init|peers init: add .peers/ to .gitignore');
    const ls = JSON.parse((await peers(['ls', '--json'])).stdout);
    expect(ls.projects.map((p: { path: string }) => p.path)).toContain(second);
    const again = await peers(['init', '--json'], second);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error).toEqual({ message: `${second}/.peers already exists`, exit_code: 2, location: null, hint: 'run `peers init --force` to replace it (this deletes .peers/ and its contents)' });
  });

  test('new: created under the injected working directory, with the plan\'s acceptance files, registered in the injected HOME', async () => {
    const specs = join(fx.sb.root, 'specs');
    mkdirSync(join(specs, 'test'), { recursive: true });
    writeFileSync(join(specs, 'PLAN.md'), PLAN);
    writeFileSync(join(specs, 'test/acceptance.test.js'), ACCEPTANCE);
    const r = await peers(['new', 'greeter', '--lang', 'js', '--modes', 'implement', '--plan', join(specs, 'PLAN.md'), '--json'], fx.sb.root);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).repo).toBe(greeter());
    expect(readFileSync(join(greeter(), 'test/acceptance.test.js'), 'utf8')).toBe(ACCEPTANCE);
    expect(gitIn(greeter(), ['log', '--format=%an|%s'])).toStartWith('peers-init|peers init: modes implement\n');
    expect(JSON.parse((await peers(['ls', '--json'])).stdout).projects.map((p: { path: string }) => p.path)).toContain(greeter());
    const taken = await peers(['new', 'greeter'], fx.sb.root);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toStartWith(`peers: ${greeter()} exists and is not empty\n`);
  });
});

describe('amend and ack-block on the implement project new made', () => {
  const goals = () => parse(readFileSync(join(greeter(), '.peers/goals.yaml'), 'utf8')).goals as Array<{ id: string; cmd?: string }>;

  test('amend: a reason too short is exit 2 and changes nothing; with one, the new command is in goals.yaml and the log', async () => {
    const before = readFileSync(join(greeter(), '.peers/goals.yaml'), 'utf8');
    const short = await peers(['amend', '--acceptance', 'npm test', '--reason', 'short'], greeter());
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--reason must say why');
    expect(readFileSync(join(greeter(), '.peers/goals.yaml'), 'utf8')).toBe(before);
    const r = await peers(['amend', '--acceptance', 'node --test test/', '--reason', 'run every test file, the spec grew'], greeter());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toStartWith(`Amended the acceptance contract of ${greeter()}:\n  acceptance: node --test test/\n`);
    expect(goals().find((g) => g.id === 'acceptance-pass')?.cmd).toBe('node --test test/');
    expect(readFileSync(join(greeter(), '.peers/contracts.log'), 'utf8').trim().split('\n')[1]).toContain('amend acceptance: node --test test/ | reason: run every test file, the spec grew');
  });

  test('ack-block: a step that is not [BLOCKED] is exit 2; a blocked one is acknowledged in the plan-complete gate', async () => {
    const reason = ['--reason', 'needs a translator we do not have'];
    const refused = await peers(['ack-block', 'STEP-2', ...reason], greeter());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('STEP-2 is not [BLOCKED] in PLAN.md at HEAD');
    writeFileSync(join(greeter(), 'PLAN.md'), PLAN.replace('- [ ] [STEP-2]', '- [BLOCKED] [STEP-2]'));
    gitIn(greeter(), ['commit', '-qam', 'peer marks STEP-2 blocked']);
    const r = await peers(['ack-block', 'STEP-2', ...reason, '--json'], greeter());
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ repo: greeter(), step: 'STEP-2', acked: ['STEP-2'] });
    expect(goals().find((g) => g.id === 'plan-complete')?.cmd).toBe('peers check plan-complete --acked STEP-2');
  });
});

describe('rm and prune', () => {
  test('rm: a path relative to the injected working directory names the project; only its registry entry goes', async () => {
    const r = await peers(['rm', './greeter', '--json'], fx.sb.root);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'greeter', path: greeter(), removed: true });
    expect(JSON.parse((await peers(['ls', '--json'])).stdout).projects.map((p: { path: string }) => p.path)).not.toContain(greeter());
    expect(existsSync(join(greeter(), '.peers/config.yaml'))).toBe(true);
    const again = await peers(['rm', 'greeter']);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("peers: no registered project 'greeter'\n  hint: peers ls lists the registered projects\n");
  });

  test('prune: --dry-run lists the archived runs older than the cut-off and deletes nothing; prune deletes them; a bad age is exit 2', async () => {
    const root = archiveRootFor(run.stateDir);
    const old = join(root, '2020-01-01T00-00-00Z-max_ticks');
    mkdirSync(join(old, 'logs'), { recursive: true });
    writeFileSync(join(old, 'logs', 'loop.log'), 'x'.repeat(1000));
    const dry = await onRun(['prune', run.repo, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(`would delete ${old} (${run.repo}, archived 2020-01-01T00:00:00.000Z, 0.0 MB)\nwould delete 1 archived run(s), 0.0 MB\n`);
    expect(existsSync(old)).toBe(true);
    const real = JSON.parse((await onRun(['prune', run.repo, '--json'])).stdout);
    expect(real).toMatchObject({ dry_run: false, older_than_s: 30 * 86_400, bytes: 1000 });
    expect(real.pruned.map((c: { path: string }) => c.path)).toEqual([old]);
    expect(existsSync(old)).toBe(false);
    expect((await onRun(['prune', run.repo])).stdout).toBe('no archived run older than 30d\n');
    const bad = await peers(['prune', '--older-than', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than soon: expected a number and a unit');
  });
});

describe('completion and doctor', () => {
  test('completion bash: the script on stdout, as golden/completion.bash has it', async () => {
    const r = await peers(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(import.meta.dir, 'golden/completion.bash'), 'utf8'));
  });

  test('doctor --json: every check with its status, exit 1 exactly when a required check fails', async () => {
    const r = await peers(['doctor', '--json']);
    const doc = JSON.parse(r.stdout) as { schema_version: number; ok: boolean; checks: Array<{ id: string; title: string; status: string; detail: string; required: boolean }> };
    expect(doc.schema_version).toBe(1);
    for (const c of doc.checks) {
      expect(['ok', 'warn', 'fail', 'skip']).toContain(c.status);
      expect(typeof c.title).toBe('string');
      expect(typeof c.detail).toBe('string');
      expect(typeof c.required).toBe('boolean');
    }
    expect(doc.checks.map((c) => c.id)).toContain('git');
    // The projects are those of the injected HOME's registry; their credentials those of the
    // injected environment, where the API keys are empty and no login file exists: a required failure.
    expect(doc.checks.find((c) => c.id === `project:${fx.repo}`)?.status).toBe('ok');
    expect(doc.checks.find((c) => c.id === `credentials:${fx.repo}:claude`)).toMatchObject({ status: 'fail', required: true });
    expect(doc.ok).toBe(false);
    expect(r.code).toBe(1);
    const text = await peers(['doctor']);
    expect(text.code).toBe(1);
    expect(text.stdout).toEndWith('\nsome required checks failed (see FAIL above)\n');
  }, 60_000);
});

describe('a project the injected registry says runs on Kubernetes', () => {
  test('down, logs and report read where it runs from the injected registry: an entry that does not parse is exit 2, never "runs on podman"', async () => {
    const second = join(fx.sb.root, 'second');
    const file = join(fx.sb.home, '.config/peers/projects.json');
    const registry = JSON.parse(readFileSync(file, 'utf8'));
    registry.projects.find((p: { path: string }) => p.path === second).kubernetes = { namespace: 'peers-second' };
    writeFileSync(file, JSON.stringify(registry));
    for (const argv of [['down'], ['logs'], ['report']]) {
      const r = await peers(argv, second);
      expect(r.code, `${argv[0]}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toStartWith(`peers: ${file}: the registry entry of ${second} names a Kubernetes run that does not parse: base: `);
    }
  });
});
