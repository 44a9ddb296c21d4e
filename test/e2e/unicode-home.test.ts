/**
 * A user whose home directory has a non-ASCII character (/home/josé: non-English names are common),
 * the state dir at its default place under it (~/.local/state/peers), the repository there too
 * (~/src/café). podman hands conmon the loop's log path (the state dir's loop.log) as an option,
 * and conmon parses its options in the C locale, as podman gives it no LANG: every `peers up`
 * failed with `podman start … failed (exit 125): … exit status 1` (conmon: "Invalid byte sequence
 * in conversion input"), and `peers doctor` said all was well. Now the run starts and its first
 * tick hands off; `peers logs`, `status` and `down` find the loop's console; doctor checks the
 * path with conmon and says it is fine. Where conmon refuses the path even so (a libc without the
 * C.UTF-8 locale, stood in for by a conmon that says so), `peers up` refuses with exit 2 before it
 * makes anything, naming the state dir and what to set, and doctor fails its check. Real podman,
 * the compiled binary, as the unprivileged test user; the peers are scripts that commit a
 * handoff, so no vendor is called.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectKey } from '../../src/state/paths.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, removeRunLeftovers, startAsUser, uid, userEnv } from './podman-user.ts';
import { requires } from '../requirements.ts';

const need = requires('root', 'podman');

const TURN = `cat >/dev/null; echo "$PEERS_PEER_NAME" >> work.log; git add -A; printf 'w\\n\\n## Self-Review\\nok\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$PEERS_PEER_NAME" | git commit -q -F -`;
const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', TURN])}
  - name: beta
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', TURN])}
`;
const GOALS = `goals:
  - id: trivial
    type: hard
    cmd: 'true'
    pass_when: exit_code == 0
`;

let root = '';
let home = '';
let repo = '';
let key = '';
const env = () => ({ HOME: home, NO_COLOR: '1' });
const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env: env(), timeoutMs });

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-unicode-home-');
  home = join(root, 'josé');
  repo = join(home, 'src', 'café');
  // The user's podman: the test user's storage and configuration (its images), under the new HOME.
  const realHome = userEnv().HOME!;
  mkdirSync(join(home, '.local', 'share'), { recursive: true });
  mkdirSync(join(home, '.config'), { recursive: true });
  symlinkSync(join(realHome, '.local', 'share', 'containers'), join(home, '.local', 'share', 'containers'));
  symlinkSync(join(realHome, '.config', 'containers'), join(home, '.config', 'containers'));
  mkdirSync(repo, { recursive: true });
  const r = Bun.spawnSync(['chown', '-R', '--no-dereference', `${uid()}:${uid()}`, root]);
  if (r.exitCode !== 0) throw new Error(`chown ${root} failed`);
  const made = asUser(['sh', '-ec', `git init -q && git config user.email j@e && git config user.name J && ${PEERS_BIN} init >/dev/null && git commit -q --allow-empty -m start`], { cwd: repo, env: env() });
  if (made.code !== 0) throw new Error(`making the project failed (exit ${made.code}): ${made.stderr}`);
  for (const [file, text] of [['config.yaml', CONFIG], ['goals.yaml', GOALS]] as const) {
    writeFileSync(join(repo, '.peers', file), text);
    chownSync(join(repo, '.peers', file), uid(), uid());
  }
  key = projectKey(repo);
}, 20 * 60_000);

afterAll(() => {
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)(`a home directory with a non-ASCII character${need.skipped}`, () => {
  test('peers up starts the pod and the first tick hands off; logs, status and down find the loop\'s console', async () => {
    const stateDir = join(home, '.local', 'state', 'peers', key);
    const up = startAsUser([PEERS_BIN, 'up', '--attach', '--max-ticks', '1', '--no-skeptic'], { cwd: repo, env: env() });
    const r = await up.done(200_000);
    const out = r.stdout + r.stderr;
    expect(out).not.toContain('exit status 1');
    expect(out).toContain('tick 1 handoff');
    expect(out).toContain('stopped: max_ticks');
    expect(r.code, out).toBe(0);
    // The loop's console went to the state dir under the user's home, where the commands read it.
    expect(readFileSync(join(stateDir, 'loop.log'), 'utf8')).toContain('tick 1 handoff');
    const logs = peers(['logs']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('tick 1 handoff');
    const status = peers(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('max_ticks');
    const down = peers(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(existsSync(join(stateDir, 'loop.log'))).toBe(true);
    const after = peers(['logs']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('tick 1 handoff');
  }, 300_000);

  test('peers doctor checks the state directory with conmon and finds it usable', () => {
    const doctor = peers(['doctor', '--json'], 180_000);
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks;
    const state = checks.find((c) => c.id === 'state-dir');
    expect(state, doctor.stdout).toBeDefined();
    expect(state!.status).toBe('ok');
    expect(state!.detail).toContain(join(home, '.local', 'state', 'peers'));
  }, 200_000);

  test('where conmon refuses the path even so, up exits 2 before making anything and doctor fails the check, both naming what to set', () => {
    // A podman that names a conmon refusing every log path outside ASCII, as conmon does in a locale
    // it has no UTF-8 for; its own runtime dir, so the real podman's cached host facts stay as they are.
    const bin = join(root, 'fake-bin');
    const runtime = join(root, 'runtime');
    mkdirSync(bin);
    mkdirSync(runtime, { mode: 0o700 });
    writeFileSync(join(bin, 'conmon'), "#!/bin/sh\necho 'conmon: option parsing failed: Invalid byte sequence in conversion input'\nexit 1\n", { mode: 0o755 });
    writeFileSync(join(bin, 'podman'), `#!/bin/sh\ncase "$1" in\n  --version) echo 'podman version 4.3.1' ;;\n  info) echo '{"host":{"cgroupVersion":"v2","conmon":{"path":"${join(bin, 'conmon')}"}}}' ;;\n  *) echo "Error: not this podman: $*" >&2; exit 125 ;;\nesac\n`, { mode: 0o755 });
    for (const d of [bin, runtime, join(bin, 'conmon'), join(bin, 'podman')]) chownSync(d, uid(), uid());
    const state = join(home, 'état');
    const fake = { ...env(), XDG_STATE_HOME: state, XDG_RUNTIME_DIR: runtime, PATH: `${bin}:/usr/local/bin:/usr/bin:/bin` };
    const up = asUser([PEERS_BIN, 'up'], { cwd: repo, env: fake });
    expect(up.stderr).toContain(`peers: the state directory ${join(state, 'peers', key)} has a character outside ASCII in its path, and podman's conmon cannot take it as the loop's log path even in the C.UTF-8 locale (conmon: option parsing failed: Invalid byte sequence in conversion input)`);
    expect(up.stderr).toContain('hint: point XDG_STATE_HOME (or PEERS_STATE_DIR) at a directory of yours whose path is plain ASCII (XDG_STATE_HOME=/some/ascii/path peers up)');
    expect(up.stderr).not.toContain('not this podman');
    expect(up.code).toBe(2);
    expect(existsSync(state)).toBe(false);

    const doctor = asUser([PEERS_BIN, 'doctor'], { cwd: repo, env: fake, timeoutMs: 120_000 });
    const line = doctor.stdout.split('\n').find((l) => l.includes('state directory'));
    expect(line, doctor.stdout).toStartWith('FAIL  state directory');
    expect(line).toContain(join(state, 'peers'));
    expect(doctor.stdout).toContain('fix: point XDG_STATE_HOME (or PEERS_STATE_DIR) at a directory of yours whose path is plain ASCII');
    expect(doctor.code).toBe(1);
  }, 200_000);
});
