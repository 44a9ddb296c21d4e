/**
 * What `peers doctor` says per project (pure parts): each peer's credentials, found by name or
 * login file and never by value; the last verify's verdict and cost; the CLIs in the image.
 */
import { loginAt } from '../../../src/config/login-files.ts';
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerProject } from '../../../src/config/project-registry.ts';
import { runDoctor } from '../../../apps/doctor/doctor-checks.ts';
import { ConfigSchema, type PeerSpec } from '../../../src/config/config-schema.ts';
import { missingApiKeys } from '../../../sandbox/credential-check.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { peerCredentials } from '../../../apps/doctor/credentials.ts';
import { parseImageCliVersions } from '../../../apps/doctor/image-clis.ts';
import { verifyFinding } from '../../../apps/doctor/verify-cost.ts';
import type { VerifyRecord } from '../../../src/gates/verify-record.ts';

const SECRET = 'sk-ant-do-not-print-me';
const config = ConfigSchema.parse({
  peers: [
    { name: 'claude', tool: 'claude', argv: ['claude'] },
    { name: 'codex', tool: 'codex', argv: ['codex'] },
    { name: 'router', tool: 'codex', argv: ['codex'], provider: 'openrouter' },
    { name: 'rehearsal', tool: 'claude', argv: ['claude'], env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8089/peer/claude', ANTHROPIC_API_KEY: 'placeholder' } },
    { name: 'mine', tool: 'custom', argv: ['aider'] },
  ],
});
const [claude, codex, router, rehearsal, custom] = config.peers;
const none = () => false;

describe('peerCredentials', () => {
  test('an API key counts by its name; its value is never shown', () => {
    const f = peerCredentials(claude!, { ANTHROPIC_API_KEY: SECRET }, '/home/u', none);
    expect(f).toEqual({ status: 'ok', detail: 'ANTHROPIC_API_KEY is set (an API key: only the auth sidecar will hold it)' });
    expect(JSON.stringify(f)).not.toContain(SECRET);
  });

  test('a key that cannot be one fails, said without its value: a pasted line break, quotes, set but empty', () => {
    const bad = (env: Record<string, string>, peer = claude!) => peerCredentials(peer, env, '/home/u', none);
    expect(bad({ ANTHROPIC_API_KEY: `${SECRET}\n` })).toMatchObject({ status: 'fail', detail: 'ANTHROPIC_API_KEY ends with a line break or spaces (copied with the key?)' });
    expect(bad({ OPENAI_API_KEY: `'${SECRET}'` }, codex!)).toMatchObject({ status: 'fail', detail: 'OPENAI_API_KEY is wrapped in quotes (a key has none: the vendor would refuse it)' });
    expect(bad({ OPENROUTER_API_KEY: ` ${SECRET}` }, router!)).toMatchObject({ status: 'fail', detail: 'provider openrouter, but OPENROUTER_API_KEY starts with a line break or spaces (copied with the key?)' });
    expect(bad({ ANTHROPIC_API_KEY: '' })).toMatchObject({ status: 'fail' });
    expect(bad({ ANTHROPIC_API_KEY: '' }).detail).toContain('ANTHROPIC_API_KEY is set but empty');
    for (const env of [{ ANTHROPIC_API_KEY: `${SECRET}\n` }, { ANTHROPIC_API_KEY: `"${SECRET}"` }]) expect(JSON.stringify(bad(env))).not.toContain(SECRET);
  });

  test('a login file that holds no login (a logged-out Claude leaves {}) fails, read as the auth sidecar reads it', () => {
    const home = mkdtempSync(join(tmpdir(), 'peers-doctor-login-'));
    try {
      mkdirSync(join(home, '.claude'));
      writeFileSync(join(home, '.claude/.credentials.json'), '{}');
      const problem = (file: string) => {
        const l = loginAt(file, 'claude');
        return l.state === 'unusable' ? l.why : undefined;
      };
      const f = peerCredentials(claude!, {}, home, existsSync, problem);
      expect(f.status).toBe('fail');
      expect(f.detail).toBe(`ANTHROPIC_API_KEY is not set and the login file holds no usable login: ${join(home, '.claude/.credentials.json')}: no "claudeAiOauth" object (log in with the CLI on the host first)`);
      writeFileSync(join(home, '.claude/.credentials.json'), JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-a', refreshToken: 'sk-ant-ort01-r', expiresAt: 1765000000000 } }));
      expect(peerCredentials(claude!, {}, home, existsSync, problem).status).toBe('ok');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('a login file counts, with the flag the run then needs', () => {
    expect(peerCredentials(claude!, {}, '/home/u', (p) => p === '/home/u/.claude/.credentials.json')).toEqual({
      status: 'ok',
      detail: 'logged in (~/.claude/.credentials.json), no ANTHROPIC_API_KEY: start the run with `peers up --credentials oauth-file`',
    });
    expect(peerCredentials(codex!, { CODEX_HOME: '/srv/codex' }, '/home/u', (p) => p === '/srv/codex/auth.json').status).toBe('ok');
  });

  test('a login whose access token has expired is told before the run, with what happens at the first request', () => {
    const file = (p: string) => p === '/home/u/.claude/.credentials.json';
    const NOW = Date.UTC(2026, 11, 6, 15, 0, 0);
    const at = (expiresAtMs: number | null) => peerCredentials(claude!, {}, '/home/u', file, undefined, { expiresAtMs: () => expiresAtMs, nowMs: NOW }).detail;
    expect(at(NOW - 3 * 86_400_000)).toBe(
      'logged in (~/.claude/.credentials.json; its access token expired 3 days ago: the auth sidecar renews it when the run starts, and a login the vendor no longer accepts stops that peer with "login refused"), no ANTHROPIC_API_KEY: start the run with `peers up --credentials oauth-file`',
    );
    expect(at(NOW - 5 * 3_600_000)).toContain('expired 5 h ago');
    // A token still valid, or a file that does not say: nothing to tell.
    expect(at(NOW + 3_600_000)).toBe('logged in (~/.claude/.credentials.json), no ANTHROPIC_API_KEY: start the run with `peers up --credentials oauth-file`');
    expect(at(null)).toBe(at(NOW + 1));
  });

  test('neither: fail, naming the variable and the login file, with the fix', () => {
    expect(peerCredentials(codex!, {}, '/home/u', none)).toEqual({
      status: 'fail',
      detail: 'no credentials: OPENAI_API_KEY is not set and there is no login file (~/.codex/auth.json)',
      fix: 'export OPENAI_API_KEY=… in the shell that runs `peers up`, or log in with `codex login` and use `peers up --credentials oauth-file`',
    });
  });

  test('openrouter needs its own key; a peer whose config sets its endpoint is not second-guessed; custom CLIs are skipped', () => {
    expect(peerCredentials(router!, { OPENAI_API_KEY: 'x' }, '/h', none)).toMatchObject({ status: 'fail', detail: 'provider openrouter, but OPENROUTER_API_KEY is not set' });
    expect(peerCredentials(router!, { OPENROUTER_API_KEY: 'x' }, '/h', none).status).toBe('ok');
    expect(peerCredentials(rehearsal!, {}, '/h', none)).toMatchObject({ status: 'ok', detail: expect.stringContaining('config.yaml sets ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL') });
    expect(peerCredentials(custom!, {}, '/h', none).status).toBe('skip');
  });

  test("opencode needs what claude needs (the pod serves it through the sidecar's Anthropic upstream); its own login file is named as unused", () => {
    const opencode = { name: 'opencode', tool: 'opencode', argv: ['opencode', 'run', '--format', 'json', '--auto'], prompt_mode: 'stdin', model: 'anthropic/claude-sonnet-4-6' } as PeerSpec;
    const ownLogin = '/home/u/.local/share/opencode/auth.json';
    // Only opencode's own login: it said "skip, peers cannot tell"; the run's every turn then failed.
    expect(peerCredentials(opencode, {}, '/home/u', (p) => p === ownLogin)).toEqual({
      status: 'fail',
      detail: "no credentials: ANTHROPIC_API_KEY is not set and there is no login file (~/.claude/.credentials.json); opencode's own login (~/.local/share/opencode/auth.json) is not used: in the pod only the auth sidecar holds credentials",
      fix: 'export ANTHROPIC_API_KEY=… in the shell that runs `peers up`, or log in with `claude` and use `peers up --credentials oauth-file`',
    });
    expect(peerCredentials(opencode, { ANTHROPIC_API_KEY: SECRET }, '/home/u', none)).toEqual({ status: 'ok', detail: 'ANTHROPIC_API_KEY is set (an API key: only the auth sidecar will hold it)' });
    expect(peerCredentials(opencode, {}, '/home/u', (p) => p === '/home/u/.claude/.credentials.json').detail).toContain('start the run with `peers up --credentials oauth-file`');
    expect(peerCredentials({ ...opencode, model: 'ollama/qwen2.5' }, {}, '/h', none)).toMatchObject({ status: 'skip', detail: expect.stringContaining('names provider ollama') });
    // An OpenAI model posts to the sidecar's OpenAI route (seen in a rehearsal in the pod): it needs OPENAI_API_KEY, which doctor and up say.
    expect(peerCredentials({ ...opencode, model: 'openai/gpt-5.5' }, { ANTHROPIC_API_KEY: SECRET }, '/h', none)).toMatchObject({ status: 'fail', fix: expect.stringContaining('export OPENAI_API_KEY=') });
    expect(peerCredentials({ ...opencode, model: 'openai/gpt-5.5' }, { OPENAI_API_KEY: SECRET }, '/h', none).status).toBe('ok');
    const openaiCfg = ConfigSchema.parse({ peers: [{ ...opencode, model: 'openai/gpt-5.5' }, { name: 'claude', tool: 'claude', argv: ['claude', '-p'] }] });
    expect(missingApiKeys(openaiCfg, { ANTHROPIC_API_KEY: 'x' })).toEqual([{ variable: 'OPENAI_API_KEY', peers: ['opencode'] }]);
    expect(peerCredentials({ ...opencode, env: { OPENCODE_CONFIG_CONTENT: '{}' } }, {}, '/h', none)).toMatchObject({ status: 'ok', detail: expect.stringContaining('config.yaml sets OPENCODE_CONFIG_CONTENT') });
    // `peers up` with API keys refuses an opencode peer without ANTHROPIC_API_KEY before any podman call.
    const cfg = ConfigSchema.parse({ peers: [opencode, { name: 'codex', tool: 'codex', argv: ['codex', 'exec', '-'] }] });
    expect(missingApiKeys(cfg, { OPENAI_API_KEY: 'x' })).toEqual([{ variable: 'ANTHROPIC_API_KEY', peers: ['opencode'] }]);
  });
});

describe('verifyFinding', () => {
  const goals = GoalsSchema.parse({ goals: [{ id: 'tests-pass', type: 'hard', cmd: 'npm test', pass_when: 'exit_code == 0', timeout_s: 100 }] });
  const head = 'a'.repeat(40);
  const record = (over: Partial<VerifyRecord>): VerifyRecord => ({
    version: 1, head, ok: true, finished_at: '2026-01-02T03:04:05Z', duration_ms: 12_300, setup: { cmd: 'npm ci', state: 'pass', duration_ms: 9_000 },
    gates: [{ id: 'tests-pass', kind: 'hard', state: 'pass', duration_ms: 3_100 }], ...over,
  });

  test('never verified, or unreadable: warn with the command', () => {
    expect(verifyFinding('/p', undefined, head, config, goals)).toMatchObject({ status: 'warn', fix: 'peers verify -C /p' });
    expect(verifyFinding('/p', 'unreadable', head, config, goals).status).toBe('warn');
  });

  test('passed: what the gates cost per tick', () => {
    expect(verifyFinding('/p', record({}), head, config, goals)).toEqual({
      status: 'ok',
      detail: 'last verify of aaaaaaaa (2026-01-02T03:04:05Z) passed: the gates took 12.3 s (setup 9.0 s), slowest tests-pass 3.1 s; each tick with a new commit pays this again',
    });
    expect(verifyFinding('/p', record({}), 'b'.repeat(40), config, goals).detail).toContain('HEAD has moved since');
  });

  test('a broken setup fails; red gates warn; a gate near its timeout warns with the setting to raise', () => {
    expect(verifyFinding('/p', record({ ok: false, setup: { cmd: 'npm ci', state: 'fail', duration_ms: 800 } }), head, config, goals)).toMatchObject({ status: 'fail', detail: expect.stringContaining('setup `npm ci` failed') });
    expect(verifyFinding('/p', record({ ok: false, gates: [{ id: 'tests-pass', kind: 'hard', state: 'fail', duration_ms: 10 }] }), head, config, goals)).toMatchObject({ status: 'warn', detail: expect.stringContaining('1 of 1 gate(s) red (tests-pass)') });
    expect(verifyFinding('/p', record({ gates: [{ id: 'tests-pass', kind: 'hard', state: 'pass', duration_ms: 95_000 }] }), head, config, goals)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('tests-pass 95.0 s of 100 s'),
      fix: 'raise timeout_s of tests-pass in .peers/goals.yaml',
    });
  });
});

test('parseImageCliVersions: one line per CLI, an empty version means missing', () => {
  expect(parseImageCliVersions('claude\t2.1.330 (Claude Code)\ncodex\tcodex-cli 0.169.0\nopencode\t\n')).toEqual({ claude: '2.1.330 (Claude Code)', codex: 'codex-cli 0.169.0' });
});

describe('runDoctor with the image inspected (a scripted HostProbe)', () => {
  test('a CLI missing from the image fails, and so does each configured peer that runs it', () => {
    const root = mkdtempSync(join(tmpdir(), 'peers-doctor-'));
    try {
      const repo = join(root, 'proj');
      mkdirSync(join(repo, '.peers'), { recursive: true });
      writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - { name: claude, tool: claude, argv: [claude] }\n  - { name: codex, tool: codex, argv: [/usr/local/bin/codex] }\n');
      writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals: []\n');
      const env = { HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'cfg'), PATH: '/nonexistent', ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' };
      registerProject(repo, env);
      const ran: string[][] = [];
      const probe = {
        env,
        uid: 1000,
        user: 'u',
        which: (p: string) => (['git', 'podman', 'newuidmap', 'newgidmap', 'runc', 'slirp4netns'].includes(p) ? `/usr/bin/${p}` : undefined),
        run(argv: string[]) {
          ran.push(argv);
          if (argv[1] === 'run') return { code: 0, stdout: 'claude\t2.1.330 (Claude Code)\ncodex\t\nopencode\t1.18.33\n', stderr: '' };
          if (argv[1] === 'info') return { code: 0, stdout: '{"host":{"cgroupVersion":"v2","ociRuntime":{"name":"runc"}}}', stderr: '' };
          return { code: argv[0] === 'git' ? 1 : 0, stdout: argv.includes('--version') ? `${argv[0]} 1.0` : '', stderr: '' };
        },
        readText: () => 'u:100000:65536\n',
        exists: () => true,
        isCharDevice: () => true,
        canReadWrite: () => true,
      };
      const report = runDoctor(probe);
      const byId = (id: string) => report.checks.find((c) => c.id === id);
      expect(byId('image-clis')).toMatchObject({ status: 'fail', detail: 'claude 2.1.330 (Claude Code); opencode 1.18.33; codex missing', fix: 'peers image build --force', required: true });
      expect(byId(`cli:${repo}:codex`)).toMatchObject({ status: 'fail', detail: 'codex is not in the workspace image, so every turn of codex would fail' });
      expect(byId(`cli:${repo}:claude`)).toBeUndefined();
      // One container, no network, the image's CLIs asked for their versions.
      expect(ran.find((a) => a[1] === 'run')).toEqual(expect.arrayContaining(['podman', 'run', '--rm', '--network=none', 'localhost/peers-workspace:latest']));
      expect(report.ok).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a registered project deleted since is a warning whose fix forgets it (doctor stays green); one without .peers/ fails, its fix init or forget it', () => {
    const root = mkdtempSync(join(tmpdir(), 'peers-doctor-gone-'));
    try {
      const env = { HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'cfg'), PATH: '/nonexistent' };
      const gone = join(root, 'gone');
      const bare = join(root, 'no peers');
      for (const dir of [gone, bare]) {
        mkdirSync(dir);
        registerProject(dir, env);
      }
      rmSync(gone, { recursive: true });
      const probe = {
        env,
        uid: 1000,
        user: 'u',
        which: (p: string) => (['git', 'podman', 'newuidmap', 'newgidmap', 'runc', 'slirp4netns'].includes(p) ? `/usr/bin/${p}` : undefined),
        run: (argv: string[]) => (argv[1] === 'info' ? { code: 0, stdout: '{"host":{"cgroupVersion":"v2","ociRuntime":{"name":"runc"}}}', stderr: '' } : { code: 0, stdout: argv.includes('--version') ? `${argv[0]} 1.0` : '', stderr: '' }),
        readText: () => 'u:100000:65536\n',
        exists: existsSync,
        isCharDevice: () => true,
        canReadWrite: () => true,
      };
      const checks = runDoctor(probe).checks;
      expect(checks.find((c) => c.id === `project:${gone}`)).toEqual({ id: `project:${gone}`, title: `project ${gone}`, status: 'warn', detail: `${gone} no longer exists (deleted or moved since peers registered it)`, fix: `peers rm ${gone}  # forgets it (its run state is kept); moved? peers init in its new place`, required: false });
      expect(checks.find((c) => c.id === `project:${bare}`)).toMatchObject({ status: 'fail', fix: `peers init '${bare}'  # or, done with peers there: peers rm '${bare}'`, required: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
