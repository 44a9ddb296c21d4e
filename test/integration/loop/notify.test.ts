/**
 * Notifications as the operator gets them: a real loop on a real repository, the host's watcher
 * (`peers notify-watch`, what `peers up` starts) or `peers status` sending, a local webhook
 * receiver and a command that records what it was given.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../../../src/config/load.ts';
import { notifyDue } from '../../../src/notify/notify-due.ts';
import { buildPayload, type NotifyPayload } from '../../../src/notify/notify-events.ts';
import { sendNotification } from '../../../src/notify/notify-send.ts';
import { armNotifications, notifyDir } from '../../../src/notify/notify-store.ts';
import { NotifySchema } from '../../../src/config/notify-schema.ts';
import { probeRunLock } from '../../../src/state/run-lock.ts';
import { configYaml, loop, makeProject, REPO_ROOT, spawnLoopCli, ticks, type Project, type ProjectSpec } from './harness.ts';

let p: Project | undefined;
const servers: Array<{ stop(force?: boolean): unknown }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
  p?.cleanup();
  p = undefined;
});

/** A webhook receiver on 127.0.0.1 answering `status` to every POST. */
function receiver(status = 200) {
  const posts: Array<{ body: NotifyPayload; headers: Headers }> = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      posts.push({ body: (await req.json()) as NotifyPayload, headers: req.headers });
      return new Response('ok', { status });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/hook`, origin: `http://127.0.0.1:${server.port}`, posts };
}

/** A command that appends its environment's PEERS_NOTIFY_* and the JSON it read on stdin to `log`. */
function recorder(dir: string, name: string): { argv: string[]; log: string } {
  const script = join(dir, `${name}.sh`);
  const log = join(dir, `${name}.log`);
  writeFileSync(script, `#!/bin/sh\n{ echo "env $PEERS_NOTIFY_EVENT $PEERS_NOTIFY_OUTCOME $PEERS_NOTIFY_PROJECT"; cat; } >> '${log}'\n`);
  chmodSync(script, 0o755);
  return { argv: [script], log };
}

function payloadsIn(log: string): NotifyPayload[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as NotifyPayload);
}

/** The project with a `notify:` section in its config, armed as `peers up` arms it. */
function armedProject(spec: ProjectSpec, notify: Record<string, unknown>): Project {
  const project = makeProject(spec);
  writeFileSync(join(project.repo, '.peers', 'config.yaml'), `${configYaml(spec)}notify: ${JSON.stringify(notify)}\n`);
  armNotifications(project.stateDir, { name: 'app', path: project.repo }, loadProject(project.repo).config.notify);
  return project;
}

const cliEnv = (root: string) => ({ ...process.env, HOME: root, XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'xdg-state'), NO_COLOR: '1' });

function peers(args: string[], root: string) {
  return Bun.spawn([process.execPath, join(REPO_ROOT, 'src/main.ts'), ...args], { stdout: 'pipe', stderr: 'pipe', env: cliEnv(root) });
}

async function finished(child: ReturnType<typeof peers>) {
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { out, err, code };
}

const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };

describe('notifications when a run stops', () => {
  test('the host watcher sends one payload to the webhook and one to the command when the run stops at its limit, then exits', async () => {
    const hook = receiver();
    const spec: ProjectSpec = { peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN] };
    const root = makeProject(spec).root; // scratch dir for the recorder, removed below
    const cmd = recorder(root, 'notify');
    p = armedProject(spec, { command: cmd.argv, webhook: hook.url });
    const watcher = peers(['notify-watch', '--state-dir', p.stateDir, '--poll-ms', '100'], p.root);
    const deadline = Date.now() + 30_000;
    while (!probeRunLock(join(notifyDir(p.stateDir), 'watch.lock')).held) {
      if (Date.now() > deadline) throw new Error('the watcher never started');
      await Bun.sleep(50);
    }
    // One watcher per run: a second one (a repeated `peers up`) leaves at once.
    const second = await finished(peers(['notify-watch', '--state-dir', p.stateDir, '--poll-ms', '100'], p.root));
    expect(second.err).toContain('done (already-watched)');

    await loop(p, { maxTicks: 2 });
    const w = await finished(watcher);
    expect(w.err).toContain('done (stopped)');
    expect(w.code).toBe(0);

    expect(hook.posts).toHaveLength(1);
    const sent = hook.posts[0]!.body;
    expect(hook.posts[0]!.headers.get('content-type')).toBe('application/json');
    expect(sent).toMatchObject({ schema_version: 1, event: 'limit', project: { name: 'app', path: p.repo, state_dir: p.stateDir }, outcome: { reason: 'max_ticks', tick: 2 }, next: 'peers report app' });
    expect(sent.run.open_gates).toEqual(['never-green']);
    expect(sent.text).toContain('peers: app stopped: max_ticks after tick 2');
    expect(payloadsIn(cmd.log)).toEqual([sent]);
    expect(readFileSync(cmd.log, 'utf8')).toStartWith('env limit max_ticks app\n');

    // `peers status` afterwards sends nothing again, and says what was sent.
    const status = await finished(peers(['status', p.repo, '--state-dir', p.stateDir], p.root));
    expect(status.code).toBe(0);
    expect(status.out).toContain(`Notifications: to command ${cmd.argv[0]} and webhook ${hook.origin} on complete, limit, halted, needs-operator, rate-limited; 1 sent, 0 failed`);
    expect(hook.posts).toHaveLength(1);
  }, 120_000);

  test('a loop killed mid-run: peers status (no watcher alive) notifies needs-operator once, even run twice at once; a failing webhook is recorded and shown', async () => {
    const hook = receiver(500);
    p = armedProject({ peers: { alice: 'slow-steps', bob: 'slow-steps' }, peerExtra: { alice: { env: { STEPS: '1', STEP_DELAY: '0.1' } }, bob: { env: { STEPS: '40', STEP_DELAY: '0.5' } } } }, { webhook: hook.url });
    const child = spawnLoopCli(p, ['--max-ticks', '5']);
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(p.stateDir, 'runs.jsonl')) && ticks(p).length >= 1)) {
      if (Date.now() > deadline) throw new Error('the loop logged no tick');
      await Bun.sleep(50);
    }
    // While it runs, nothing is owed.
    expect((await notifyDue(p.stateDir)).sent).toEqual([]);
    child.kill('SIGKILL');
    await child.exited;

    const [a, b] = await Promise.all([finished(peers(['status', p.repo, '--state-dir', p.stateDir], p.root)), finished(peers(['status', p.repo, '--state-dir', p.stateDir], p.root))]);
    expect(hook.posts).toHaveLength(1);
    expect(hook.posts[0]!.body).toMatchObject({ event: 'needs-operator', outcome: { reason: 'killed', tick: 1 } });
    expect(hook.posts[0]!.body.text).toContain('was killed after tick 1');
    const shown = [a.out, b.out].find((o) => o.includes('1 failed'));
    expect(shown).toContain(`0 sent, 1 failed (last: ${hook.origin} answered 500)`);
  }, 120_000);

  test('the command the host runs is the one armed at `peers up`: a later config.yaml or an armed.json planted in the state dir changes nothing', async () => {
    const spec: ProjectSpec = { peers: { alice: 'always-handoff', bob: 'always-handoff' } };
    p = makeProject(spec);
    const good = recorder(p.root, 'good');
    const evil = recorder(p.root, 'evil');
    writeFileSync(join(p.repo, '.peers', 'config.yaml'), `${configYaml(spec)}notify: ${JSON.stringify({ command: good.argv })}\n`);
    armNotifications(p.stateDir, { name: 'app', path: p.repo }, loadProject(p.repo).config.notify);
    // The settings are kept beside the state dir, which the loop container mounts read-write.
    expect(notifyDir(p.stateDir).startsWith(`${p.stateDir}/`)).toBe(false);
    writeFileSync(join(p.repo, '.peers', 'config.yaml'), `${configYaml(spec)}notify: ${JSON.stringify({ command: evil.argv })}\n`);
    const planted = { schema_version: 1, armed_at: new Date(0).toISOString(), project: { name: 'app', path: p.repo }, settings: { command: evil.argv, on: ['complete', 'limit'], timeout_s: 15 } };
    for (const dir of [join(p.stateDir, 'notify'), join(p.stateDir, '.notify')]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'armed.json'), JSON.stringify(planted));
    }
    await loop(p, { maxTicks: 1 });
    const pass = await notifyDue(p.stateDir);
    expect(pass.sent.map((s) => s.event)).toEqual(['limit']);
    expect(payloadsIn(good.log).map((x) => x.outcome.reason)).toEqual(['max_ticks']);
    expect(existsSync(evil.log)).toBe(false);
  }, 120_000);
});

describe('sending', () => {
  const payload = buildPayload(
    { id: 'exit:1:t', event: 'complete', reason: 'complete', at: new Date().toISOString(), tick: 1 },
    { project: { name: 'app', path: '/src/app', state_dir: '/state/app' }, run: { tick: 1, usd: 0, tokens: 0, open_gates: [] }, why: [] },
    new Date(),
  );

  test('a webhook that redirects is a failure reported, never a hop to an address nobody configured', async () => {
    const elsewhere = receiver();
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.redirect(elsewhere.url, 307) });
    servers.push(server);
    const out = await sendNotification(NotifySchema.parse({ webhook: `http://127.0.0.1:${server.port}/` }), payload);
    expect(out).toEqual([{ channel: 'webhook', ok: false, detail: `http://127.0.0.1:${server.port} answered 307` }]);
    expect(elsewhere.posts).toHaveLength(0);
  });

  test('a command that hangs is stopped at timeout_s; one that fails says why; neither stops the webhook', async () => {
    const hook = receiver();
    const hang = await sendNotification(NotifySchema.parse({ command: ['sleep', '30'], webhook: hook.url, timeout_s: 1 }), payload);
    expect(hang[0]).toEqual({ channel: 'command', ok: false, detail: 'sleep took longer than 1s and was stopped' });
    expect(hang[1]!.ok).toBe(true);
    const fail = await sendNotification(NotifySchema.parse({ command: ['sh', '-c', 'echo no display >&2; exit 3'] }), payload);
    expect(fail).toEqual([{ channel: 'command', ok: false, detail: 'sh exited 3: no display' }]);
    const missing = await sendNotification(NotifySchema.parse({ command: ['/nonexistent/notify'] }), payload);
    expect(missing[0]!.ok).toBe(false);
    expect(missing[0]!.detail).toContain('could not start /nonexistent/notify');
    expect(hook.posts).toHaveLength(1);
  }, 30_000);
});
