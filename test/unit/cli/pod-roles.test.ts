/**
 * The pod's long-running roles start without oclif (commands/pod-roles.ts, src/cli/role-flags.ts). What the
 * fast path accepts it must read exactly as oclif's parser reads it from the same command's flags;
 * everything else (help, mistakes, anything doubtful) must go to oclif, so a user sees oclif's
 * message and exit code either way; and the command lines the pod really runs must take the fast
 * path, or the memory it saves is never saved.
 */
import { describe, expect, test } from 'bun:test';
import { Parser } from '@oclif/core';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SidecarAuth from '../../../commands/sidecar/auth.ts';
import SidecarBridge from '../../../commands/sidecar/bridge.ts';
import SidecarEgress from '../../../commands/sidecar/egress.ts';
import Runner from '../../../commands/runner.ts';
import { podInputs } from '../sandbox/pod-inputs-fixture.ts';
import { AUTH_FLAGS } from '../../../commands/sidecar/auth-role.ts';
import { BRIDGE_FLAGS } from '../../../commands/sidecar/bridge-role.ts';
import { EGRESS_FLAGS } from '../../../commands/sidecar/egress-role.ts';
import { RUNNER_FLAGS } from '../../../commands/runner-role.ts';
import { LIFELINE_ENV } from '../../../sandbox/lifeline.ts';
import { allContainers, buildPodSpec } from '../../../sandbox/pod-spec.ts';
import { podRole } from '../../../commands/pod-roles.ts';
import { type FlagSpecs, parseRoleArgv } from '../../../src/cli/role-flags.ts';
import { MIN_CAP_BYTES } from '../../../src/fs/size-capped-log.ts';

type Case = { argv: string[]; fast: boolean; env?: Record<string, string> };
type Role = { name: string; spec: FlagSpecs; command: { flags: Parameters<typeof Parser.parse>[1]['flags'] }; cases: Case[] };

const fast = (...argv: string[]): Case => ({ argv, fast: true });
const oclif = (...argv: string[]): Case => ({ argv, fast: false });

const ROLES: Role[] = [
  {
    name: 'sidecar egress',
    spec: EGRESS_FLAGS,
    command: SidecarEgress,
    cases: [
      fast(),
      fast('--listen', 'unix:/run/peers/egress/egress.sock', '--vendor-listen', 'unix:/run/peers/egress-auth/egress.sock', '--audit-log', '/run/peers/egress-log/egress.jsonl', '--allow', 'registry.npmjs.org', '--allow', '*.pypi.org:8443'),
      fast('--no-vendor-hosts'),
      fast('--vendor-hosts', '--oauth-hosts', '--max-tunnels=3', '--idle-timeout-s', '1', '--header-timeout-s=10'),
      fast('--audit-log-max-bytes', String(MIN_CAP_BYTES), '--config', '/snap/config.yaml', '--allow-file=/snap/allow.txt'),
      fast('--test-resolve', 'up.test=127.0.0.1', '--test-resolve', 'other.test=::1'),
      fast('--vendor-listen', 'unix:/run/peers/egress-auth/egress.sock', '--vendor-allow', 'openrouter.ai', '--vendor-allow', 'api.example.com:8443'),
      oclif('--help'),
      oclif('-h'),
      oclif('--listen', '127.0.0.1:0', '--help'),
      oclif('--max-tunnels', '0'),
      oclif('--max-tunnels', 'many'),
      oclif('--max-tunnels', '-1'),
      oclif('--audit-log-max-bytes', '1'),
      oclif('--listen'),
      oclif('--listen', ''),
      oclif('--listen', 'a:1', '--listen', 'b:2'),
      oclif('--listen', '--allow'),
      oclif('--allow', 'a.example', 'b.example'),
      oclif('--nope'),
      oclif('extra'),
      oclif('--oauth-hosts=true'),
      oclif('--no-oauth-hosts'),
      oclif('--vendor-hosts', '--no-vendor-hosts'),
      oclif('--', '--listen', '127.0.0.1:1'),
      oclif('--listen', '127.0.0.1:1', '--'),
      oclif('--constructor', 'x'),
    ],
  },
  {
    name: 'sidecar bridge',
    spec: BRIDGE_FLAGS,
    command: SidecarBridge,
    cases: [fast('--to', 'unix:/run/peers/egress/egress.sock'), fast('--listen', '127.0.0.1:3128', '--to=127.0.0.1:9'), oclif(), oclif('--listen', '127.0.0.1:3128'), oclif('--to')],
  },
  {
    name: 'sidecar auth',
    spec: AUTH_FLAGS,
    command: SidecarAuth,
    cases: [
      fast('--egress', 'unix:/run/peers/egress-auth/egress.sock', '--usage-ledger', '/run/peers/auth-usage/usage.jsonl', '--log-file', '/run/peers/auth-usage/auth.log'),
      fast('--credentials', 'oauth-file', '--upstream', 'anthropic', '--upstream', 'openai', '--claude-credentials', '/auth/claude/.credentials.json', '--upstream', 'chatgpt', '--codex-auth', '/auth/codex/auth.json', '--max-usd', '12.5'),
      fast('--port', 'anthropic=0', '--port', 'openai=0', '--max-tokens', '1', '--oauth-refresh', 'never', '--origin', 'anthropic=https://staging.example'),
      fast('--budget-policy', '/run/peers/auth-usage/budget.json', '--audit-log', '/run/peers/auth-usage/audit.jsonl', '--provider', '{"name":"openrouter","kind":"openai-compatible","base_url":"https://openrouter.ai/api/v1","key_env":"OPENROUTER_API_KEY","port":8100}'),
      fast('--model-server', '18080', '--upstream', 'anthropic'),
      oclif('--upstream', 'bogus'),
      oclif('--credentials', 'password'),
      oclif('--max-tokens', '-5'),
      oclif('--max-tokens', '0'),
      oclif('--max-usd', '-1'),
      oclif('--log-max-bytes', '10'),
    ],
  },
  {
    name: 'runner',
    spec: RUNNER_FLAGS,
    command: Runner,
    cases: [
      fast('--socket', '/run/peers/workspace/runner.sock'),
      fast('--socket', '/run/peers/gates/runner.sock', '--bridge', '127.0.0.1:3128=unix:/run/peers/egress/egress.sock'),
      fast('--probe-gates'),
      fast('--probe-gates', '--checkouts', '/checkouts'),
      fast('--prepare-checkout', '--mirror', '/mirror.git', '--checkouts=/checkouts', '--dep-cache', '/cache/deps'),
      oclif(),
      oclif('--socket', '/a.sock', '--probe-gates'),
      oclif('--prepare-checkout', '--probe-gates'),
      oclif('--probe-gates=yes'),
      oclif('--probe-gates', '--repo', '/work'),
    ],
  },
];

/** oclif's parser on the command's own flags, with `env` as the process environment; the flags, or the error. */
async function oclifParse(role: Role, c: Case): Promise<Record<string, unknown> | Error> {
  const saved = { ...process.env };
  Object.assign(process.env, c.env ?? {});
  try {
    return (await Parser.parse(c.argv, { flags: role.command.flags, args: {}, strict: true })).flags;
  } catch (e) {
    return e as Error;
  } finally {
    for (const k of Object.keys(c.env ?? {})) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('the pod roles\' flags without oclif', () => {
  for (const role of ROLES) {
    test(`peers ${role.name}: what the fast path accepts, oclif's parser reads the same; the rest is left to oclif`, async () => {
      for (const c of role.cases) {
        const light = parseRoleArgv(c.argv, role.spec, { ...c.env });
        expect({ argv: c.argv, fast: light !== null }).toEqual({ argv: c.argv, fast: c.fast });
        if (light === null) continue;
        const parsed = await oclifParse(role, c);
        expect(parsed instanceof Error ? `oclif refused ${c.argv.join(' ')}: ${parsed.message}` : parsed).toEqual(light);
      }
    });
  }
});

describe('dispatch', () => {
  const inputs = podInputs();
  const pods = {
    'API keys': buildPodSpec(inputs),
    'OAuth files and a USD cap': buildPodSpec({
      ...inputs,
      oauth: true,
      authArgs: ['--credentials', 'oauth-file', '--upstream', 'anthropic', '--upstream', 'openai', '--claude-credentials', '/auth/claude/.credentials.json', '--upstream', 'chatgpt', '--codex-auth', '/auth/codex/auth.json', '--max-usd', '20'],
    }),
    'the model server in the pod': buildPodSpec({ ...inputs, upstream: 'model-server' }),
  };

  for (const [name, spec] of Object.entries(pods)) {
    test(`every sidecar and runner of a pod (${name}) starts without oclif; the loop through it`, async () => {
      const taken = await Promise.all(allContainers(spec).map(async (c) => [c.role, (await podRole(c.command.slice(1), {})) !== null] as const));
      expect(Object.fromEntries(taken)).toEqual({ loop: false, setup: true, workspace: true, gates: true, auth: true, bridge: true, egress: true });
    });
  }

  test('help, other commands and other spellings of a role go to oclif', async () => {
    for (const argv of [['sidecar', 'egress', '--help'], ['runner', '-h'], ['sidecar'], ['sidecar', 'nope'], ['sidecar:egress'], ['status'], [], ['sidecar', 'bridge']]) {
      expect({ argv, fast: (await podRole(argv, {})) !== null }).toEqual({ argv, fast: false });
    }
  });

  /** `peers ARGV` from the sources, with a few seconds to fail (a role that starts is killed). */
  const peers = (...argv: string[]) => spawnSync(process.execPath, [join(import.meta.dir, '../../../src/main.ts'), ...argv], { encoding: 'utf8', timeout: 15_000 });

  test('a bad command line gets the message and exit code it got through oclif, on either path', () => {
    const sock = `unix:${join(tmpdir(), 'peers-no-such-egress.sock')}`;
    // Each stderr is what the same command line prints through oclif (commands/base.ts words its parse errors).
    const cases: [string[], number, string][] = [
      // Declined by the fast path: oclif's parse errors, in peers' words (parse-error-message.ts), exit 2.
      [['sidecar', 'egress', '--max-tunnels', '0'], 2, "peers: --max-tunnels for 'sidecar egress': expected an integer greater than or equal to 1 but received: 0 (see `peers sidecar egress --help`)\n"],
      [['sidecar', 'bridge', '--listen', '127.0.0.1:0'], 2, "peers: missing required flag --to for 'sidecar bridge' (see `peers sidecar bridge --help`)\n"],
      [['sidecar', 'auth', '--upstream', 'bogus'], 2, "peers: --upstream for 'sidecar auth' does not take 'bogus'; it takes one of: anthropic, openai, chatgpt, none (see `peers sidecar auth --help`)\n"],
      [['runner', '--nope'], 2, "peers: unknown flag '--nope' for 'runner' (peers runner --help lists its flags)\n"],
      // Taken by the fast path, refused by the role itself: the same PeersError report, exit 2.
      [['sidecar', 'bridge', '--listen', 'unix:/tmp/x.sock', '--to', sock], 2, 'peers: --listen unix:/tmp/x.sock: the bridge listens on TCP (HOST:PORT)\n'],
      [['sidecar', 'egress', '--listen', 'nowhere'], 2, 'peers: --listen nowhere: expected HOST:PORT or unix:PATH\n  hint: e.g. --listen 127.0.0.1:3128 or --listen unix:/run/peers/egress.sock\n'],
      [['runner', '--socket', '/s.sock', '--bridge', 'nonsense'], 2, 'peers: --bridge must be HOST:PORT=unix:PATH (or =HOST:PORT), got nonsense\n'],
    ];
    for (const [argv, code, stderr] of cases) {
      const r = peers(...argv);
      expect({ argv, code: r.status, stderr: r.stderr }).toEqual({ argv, code, stderr });
    }
  }, 120_000);

  test('a role started without oclif still stops when the loop\'s lifeline drops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-role-lifeline-'));
    // The loop's end of the lifeline (sandbox/lifeline.ts): a listener that learns when the role has connected.
    const holders: Socket[] = [];
    const connected = Promise.withResolvers<void>();
    const loop = createServer((s) => {
      s.on('data', () => {});
      s.on('error', () => {});
      holders.push(s);
      connected.resolve();
    });
    try {
      await new Promise<void>((ready) => loop.listen(join(dir, 'loop.sock'), ready));
      const argv = ['sidecar', 'bridge', '--listen', '127.0.0.1:0', '--to', `unix:${join(dir, 'egress.sock')}`];
      expect(await podRole(argv, {})).not.toBeNull();
      const child = spawn(process.execPath, [join(import.meta.dir, '../../../src/main.ts'), ...argv], { env: { ...process.env, [LIFELINE_ENV]: join(dir, 'loop.sock') }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const serving = Promise.withResolvers<void>();
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('peers bridge ')) serving.resolve();
      });
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      // Connected, and serving: the role watched its lifeline before it started (it connects first).
      await Promise.all([connected.promise, serving.promise]);
      // One round trip through the bridge (it closes the connection: no egress proxy behind it), so
      // the role's event loop has run since the line connected and has taken it as connected.
      const port = Number(/peers bridge 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
      await new Promise<void>((done) => connect(port, '127.0.0.1').on('close', () => done()).on('error', () => {}));
      // The loop is gone: the bridge must stop with it.
      for (const s of holders) s.destroy();
      loop.close();
      expect(await exited).toBe(0);
      expect(stderr).toContain('stopping');
    } finally {
      loop.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('--help still shows the role\'s help, from oclif', () => {
    const r = peers('sidecar', 'egress', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--vendor-listen');
    expect(r.stdout).toContain('USAGE');
  }, 30_000);
});
