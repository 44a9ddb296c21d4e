/**
 * The loop's log path as conmon takes it (sandbox/conmon-log-path.ts): podman runs with a UTF-8
 * LC_ALL (podman passes conmon its LC_* variables, never LANG), so a state dir under /home/josé is
 * taken; where conmon refuses it even so, `peers up` says so (exit 2) and `peers doctor` fails the
 * state directory check, naming the path and what to set. The pure parts, a podman script that
 * shows the environment podman gets, and the real conmon where it is installed (a home with "é"
 * failed every container start: "option parsing failed: Invalid byte sequence in conversion input").
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conmonProbeArgv, conmonRefusal, logPathProblem, pathNeedsLocale } from '../../../sandbox/conmon-log-path.ts';
import { podman, podmanEnv } from '../../../sandbox/podman.ts';
import { stateDirCheck } from '../../../apps/doctor/doctor-checks.ts';
import type { HostProbe, RunResult } from '../../../apps/doctor/host-probe.ts';

const dir = mkdtempSync(join(tmpdir(), 'peers-conmon-log-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** conmon says it on stdout. */
const REFUSED = { code: 1, stdout: 'conmon: option parsing failed: Invalid byte sequence in conversion input\n', stderr: '' };
const JOSE_LOG = '/home/josé/.local/state/peers/app-1234abcd/loop.log';

describe('the environment podman runs in', () => {
  test('LC_ALL=C.UTF-8 over whatever the shell had (LANG never reaches conmon; a C LC_ALL would win over it); the rest as given', () => {
    expect(podmanEnv({ PATH: '/bin', LANG: 'de_DE.UTF-8', LC_ALL: 'C', HOME: '/home/josé' })).toEqual({ PATH: '/bin', LANG: 'de_DE.UTF-8', LC_ALL: 'C.UTF-8', HOME: '/home/josé' });
  });

  test('podman itself is started in it', async () => {
    const fake = join(dir, 'podman-env');
    writeFileSync(fake, '#!/bin/sh\nenv\n');
    chmodSync(fake, 0o755);
    const r = await podman(['ps'], { env: { PEERS_PODMAN: fake, PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    expect(r.stdout.split('\n')).toContain('LC_ALL=C.UTF-8');
    expect(r.stdout.split('\n')).toContain('PATH=/usr/bin:/bin');
  });
});

describe('asking conmon about a log path', () => {
  test('only a path with a character outside ASCII needs the locale (a space does not)', () => {
    expect(pathNeedsLocale('/home/jose/my state/loop.log')).toBe(false);
    expect(pathNeedsLocale(JOSE_LOG)).toBe(true);
    expect(pathNeedsLocale('/home/李/loop.log')).toBe(true);
  });

  test('conmon --version with the option podman gives, in only the LC_* variables podman passes it', () => {
    expect(conmonProbeArgv('/usr/bin/conmon', JOSE_LOG, { LANG: 'fr_FR.UTF-8', LC_TIME: 'en_GB.UTF-8', HOME: '/home/josé' })).toEqual([
      'env', '-i', 'LC_TIME=en_GB.UTF-8', 'LC_ALL=C.UTF-8', '/usr/bin/conmon', '--version', '--log-path', `k8s-file:${JOSE_LOG}`,
    ]);
  });

  test('conmon refusing the option is told apart from conmon taking it or failing otherwise', () => {
    expect(conmonRefusal(REFUSED)).toBe('conmon: option parsing failed: Invalid byte sequence in conversion input');
    expect(conmonRefusal({ code: 0, stdout: 'conmon version 2.1.6\n', stderr: '' })).toBeUndefined();
    expect(conmonRefusal({ code: 127, stdout: '', stderr: 'env: conmon: No such file or directory' })).toBeUndefined();
  });

  const conmon = ['/usr/bin/conmon', '/usr/libexec/podman/conmon'].find((p) => existsSync(p));
  test.skipIf(!conmon)('the real conmon: refuses a path with "é" in the C locale, takes it as podman is now run', () => {
    const run = (argv: string[]) => {
      const r = Bun.spawnSync(argv);
      return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    };
    const before = run(['env', '-i', 'LC_ALL=C', conmon!, '--version', '--log-path', `k8s-file:${JOSE_LOG}`]);
    expect(conmonRefusal(before)).toContain('option parsing failed');
    const now = run(conmonProbeArgv(conmon!, JOSE_LOG, { LC_ALL: 'C', LANG: 'C' }));
    expect(conmonRefusal(now)).toBeUndefined();
    expect(now.stdout).toStartWith('conmon version');
    expect(now.code).toBe(0);
  });
});

describe('logPathProblem: what `peers up` refuses (exit 2) and doctor fails', () => {
  const never = () => {
    throw new Error('conmon asked about an ASCII path');
  };

  test('a ":" in the state dir, without asking conmon', () => {
    expect(logPathProblem('/home/u/my:state/peers/app', '/home/u/my:state/peers/app/loop.log', never)?.message).toContain("has a ':' in its path, which podman's log driver cannot take (it would write the loop's console to /home/u/my)");
  });

  test('an ASCII path (spaces too) is fine and conmon is not asked', () => {
    expect(logPathProblem('/home/u/my state/peers/app', '/home/u/my state/peers/app/loop.log', never)).toBeUndefined();
  });

  test('a path conmon refuses: the state dir, conmon\'s words and what to set', () => {
    const p = logPathProblem('/home/josé/.local/state/peers/app-1234abcd', JOSE_LOG, () => REFUSED)!;
    expect(p.message).toBe(
      "the state directory /home/josé/.local/state/peers/app-1234abcd has a character outside ASCII in its path, and podman's conmon cannot take it as the loop's log path even in the C.UTF-8 locale (conmon: option parsing failed: Invalid byte sequence in conversion input)",
    );
    expect(p.hint).toContain('XDG_STATE_HOME=/some/ascii/path peers up');
    expect(p.hint).toContain('PEERS_STATE_DIR');
  });

  test('a path conmon takes, or a conmon that cannot be asked: nothing refused', () => {
    expect(logPathProblem('/home/josé/s', JOSE_LOG, () => ({ code: 0, stdout: '', stderr: '' }))).toBeUndefined();
    expect(logPathProblem('/home/josé/s', JOSE_LOG, () => undefined)).toBeUndefined();
  });
});

describe('peers doctor: the state directory check', () => {
  function probe(env: Record<string, string>, conmonSays: RunResult | undefined): { probe: HostProbe; ran: string[][] } {
    const ran: string[][] = [];
    return {
      ran,
      probe: {
        env,
        uid: 1000,
        user: 'jose',
        which: () => undefined,
        run: (argv) => {
          ran.push(argv);
          return conmonSays ?? { code: null, stdout: '', stderr: '', error: 'spawn failed' };
        },
        readText: () => undefined,
        exists: () => false,
        isCharDevice: () => false,
        canReadWrite: () => false,
      },
    };
  }

  test('a home with "é" that conmon refuses fails the check, naming the directory and what to set', () => {
    const { probe: p, ran } = probe({ HOME: '/home/josé' }, { ...REFUSED });
    const c = stateDirCheck(p, '/usr/bin/conmon');
    expect(c).toMatchObject({ id: 'state-dir', status: 'fail', required: true });
    expect(c.detail).toStartWith('the state directory /home/josé/.local/state/peers has a character outside ASCII');
    expect(c.fix).toContain('XDG_STATE_HOME=/some/ascii/path');
    expect(ran).toEqual([conmonProbeArgv('/usr/bin/conmon', '/home/josé/.local/state/peers/loop.log', { HOME: '/home/josé' })]);
  });

  test('one conmon takes: ok, said to be checked', () => {
    const c = stateDirCheck(probe({ HOME: '/home/josé' }, { code: 0, stdout: 'conmon version 2.1.6\n', stderr: '' }).probe, '/usr/bin/conmon');
    expect(c).toMatchObject({ status: 'ok', detail: "/home/josé/.local/state/peers (not plain ASCII: conmon takes it as the loop's log path)" });
  });

  test('an ASCII state dir: ok, conmon not asked; PEERS_STATE_DIR is the one looked at when set', () => {
    const ascii = probe({ HOME: '/home/jose' }, undefined);
    expect(stateDirCheck(ascii.probe, '/usr/bin/conmon')).toMatchObject({ status: 'ok', detail: '/home/jose/.local/state/peers' });
    expect(ascii.ran).toEqual([]);
    expect(stateDirCheck(probe({ HOME: '/home/josé', PEERS_STATE_DIR: '/srv/state' }, undefined).probe, undefined)).toMatchObject({ status: 'ok', detail: '/srv/state' });
  });

  test('a ":" fails; no conmon to ask about a path outside ASCII is a skip, not a pass', () => {
    expect(stateDirCheck(probe({ HOME: '/home/u', XDG_STATE_HOME: '/home/u/my:state' }, undefined).probe, undefined)).toMatchObject({ status: 'fail', fix: 'point XDG_STATE_HOME (or PEERS_STATE_DIR) at a directory whose path has no ":"' });
    expect(stateDirCheck(probe({ HOME: '/home/josé' }, undefined).probe, undefined)).toMatchObject({ status: 'skip', required: false });
  });
});
