/**
 * `peers up --credentials oauth-file`: the login files' directories go to the auth sidecar only
 * (read-write, so a refresh can replace the file atomically), and a machine without any login
 * file gets a clear exit-2 error instead of a pod whose auth sidecar dies.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { allContainers, buildPodSpec } from '../../../sandbox/pod-spec.ts';
import { assertLoginsCover, oauthMounts } from '../../../sandbox/pod-plan.ts';
import { assertApiKeys, usableLoginFor } from '../../../sandbox/credential-check.ts';
import { ConfigSchema } from '../../../src/config/config-schema.ts';

/** What `claude` (/login) and `codex login` (ChatGPT) write; a logged-out Claude Code leaves `{}`. */
const CLAUDE_LOGIN = JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-a', refreshToken: 'sk-ant-ort01-r', expiresAt: 1765000000000, scopes: ['user:inference', 'user:profile'], subscriptionType: 'max' } });
const CODEX_LOGIN = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: 'eyJ.a.b', access_token: 'eyJ.c.d', refresh_token: 'rt_x', account_id: 'acct' }, last_refresh: '2026-12-01T00:00:00Z' });
const CODEX_API_KEY_LOGIN = JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-proj-x' });

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'peers-oauth-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('oauth credential mounts', () => {
  test('both login files: both dirs mounted rw into auth only, with the sidecar flags', () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude/.credentials.json'), CLAUDE_LOGIN);
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN);
    const m = oauthMounts({ HOME: home });
    expect(m.files).toEqual([
      { source: join(home, '.claude'), target: '/auth/claude', readOnly: false },
      { source: join(home, '.codex'), target: '/auth/codex', readOnly: false },
    ]);
    expect(m.args).toEqual(expect.arrayContaining(['--credentials', 'oauth-file', '--claude-credentials', '/auth/claude/.credentials.json', '--codex-auth', '/auth/codex/auth.json']));
    const spec = buildPodSpec({ project: 'p', repoDir: '/r', stateDir: '/s', cloneDir: '/s/run/clone', mirrorDir: '/s/run/mirror.git', snapshotDir: '/s/snapshot', binaryPath: '/b', image: 'i', allow: [], secretEnv: [], secretFiles: m.files, authArgs: m.args, loopArgs: [] });
    for (const c of allContainers(spec)) {
      const hasLogin = c.mounts.some((x) => x.kind === 'bind' && x.source.startsWith(join(home, '.c')));
      expect(hasLogin).toBe(c.role === 'auth');
    }
  });

  test('a login whose access token expired is said before the run (up prints it), a valid one is not', () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude/.credentials.json'), CLAUDE_LOGIN); // expiresAt 2025-12-06
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN); // its access token is no JWT: no expiry known
    const m = oauthMounts({ HOME: home }, 1765000000000 + 3 * 86_400_000);
    expect(m.expired).toEqual(['the claude login\'s access token expired 3 days ago: the auth sidecar renews it when the run starts, and a login the vendor no longer accepts stops that peer with "login refused"']);
    expect(oauthMounts({ HOME: home }, 1765000000000 - 60_000).expired).toEqual([]);
  });

  test('peers up without a key, on a machine logged in to both CLIs: the hint says so first, naming the files', () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude/.credentials.json'), CLAUDE_LOGIN);
    const config = ConfigSchema.parse({ peers: [{ name: 'claude', tool: 'claude', argv: ['claude', '-p'] }, { name: 'codex', tool: 'codex', argv: ['codex', 'exec', '-'] }] });
    const hint = (env: NodeJS.ProcessEnv) => {
      try {
        assertApiKeys(config, '/p/.peers/config.yaml', env, { loginFor: (v) => usableLoginFor(v, env) });
      } catch (e) {
        return (e as InputError).hint;
      }
      return 'no refusal';
    };
    // Claude by login only, codex with nothing: the generic hint.
    expect(hint({ HOME: home })).toBe('export ANTHROPIC_API_KEY=… OPENAI_API_KEY=… in this shell, then peers up again (the key goes to the auth sidecar only, never to the peers); or use your CLI logins with --credentials oauth-file');
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN);
    expect(hint({ HOME: home })).toBe(`you are logged in on this machine (${join(home, '.claude/.credentials.json')}, ${join(home, '.codex/auth.json')}): peers up --credentials oauth-file runs on those logins; or export ANTHROPIC_API_KEY=… OPENAI_API_KEY=… in this shell, then peers up again (the key goes to the auth sidecar only, never to the peers)`);
    // A mix: claude by login, codex by key.
    expect(hint({ HOME: home, OPENAI_API_KEY: 'sk-x' })).toContain(`you are logged in on this machine (${join(home, '.claude/.credentials.json')}): peers up --credentials oauth-file`);
    // A logged-out CLI's file is no login.
    writeFileSync(join(home, '.codex/auth.json'), CODEX_API_KEY_LOGIN);
    expect(hint({ HOME: home })).toStartWith('export ANTHROPIC_API_KEY');
  });

  test('CODEX_HOME is honoured; claude absent → only codex', () => {
    mkdirSync(join(home, 'cx'));
    writeFileSync(join(home, 'cx/auth.json'), CODEX_LOGIN);
    const m = oauthMounts({ HOME: home, CODEX_HOME: join(home, 'cx') });
    expect(m.files.map((f) => f.target)).toEqual(['/auth/codex']);
    expect(m.args).not.toContain('--claude-credentials');
  });

  test('CLAUDE_CONFIG_DIR is honoured as Claude Code honours it: that dir is mounted, not ~/.claude', () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude/.credentials.json'), CLAUDE_LOGIN);
    mkdirSync(join(home, 'claude-elsewhere'));
    writeFileSync(join(home, 'claude-elsewhere/.credentials.json'), CLAUDE_LOGIN);
    const m = oauthMounts({ HOME: home, CLAUDE_CONFIG_DIR: join(home, 'claude-elsewhere') });
    expect(m.files).toEqual([{ source: join(home, 'claude-elsewhere'), target: '/auth/claude', readOnly: false }]);
    rmSync(join(home, 'claude-elsewhere/.credentials.json'));
    // The login is where CLAUDE_CONFIG_DIR says or nowhere: ~/.claude is not a fallback.
    expect(() => oauthMounts({ HOME: home, CLAUDE_CONFIG_DIR: join(home, 'claude-elsewhere') })).toThrow(/no login file found/);
  });

  test('no login file at all is an input error pointing at `claude` / `codex login`', () => {
    let err: unknown;
    try {
      oauthMounts({ HOME: home });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).hint).toContain('codex login');
  });

  test('a Codex login alone: the sidecar serves its ChatGPT upstream, not the OpenAI one (no key), and the workspace\'s Codex is pointed there', () => {
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN);
    const m = oauthMounts({ HOME: home });
    expect(m.serves).toEqual(['chatgpt']);
    expect(m.codexUpstream).toBe('chatgpt');
    expect(m.args).toEqual(['--credentials', 'api-key', '--codex-auth', '/auth/codex/auth.json', '--upstream', 'chatgpt']);
    const spec = buildPodSpec({ project: 'p', repoDir: '/r', stateDir: '/s', cloneDir: '/s/run/clone', mirrorDir: '/s/run/mirror.git', snapshotDir: '/s/snapshot', binaryPath: '/b', image: 'i', allow: [], secretEnv: [], secretFiles: m.files, authArgs: m.args, loopArgs: [], oauth: true, codexUpstream: m.codexUpstream });
    const ws = allContainers(spec).find((c) => c.role === 'workspace')!;
    expect(ws.env.OPENAI_BASE_URL).toBe('http://127.0.0.1:8082');
    expect(ws.env.OPENAI_API_KEY).toBe('peers-auth-sidecar-placeholder');
    // With an OpenAI key as well, Codex bills through the key (as the budget policy decides).
    const both = oauthMounts({ HOME: home, OPENAI_API_KEY: 'sk-x' });
    expect([both.serves, both.codexUpstream]).toEqual([['openai', 'chatgpt'], 'openai']);
  });

  test('a login file that holds no login (Claude logged out, Codex signed in with an API key) is not mounted: up says which file and why', () => {
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude/.credentials.json'), '{}');
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_API_KEY_LOGIN);
    expect(() => oauthMounts({ HOME: home })).toThrow(`--credentials oauth-file: no usable login: ${join(home, '.claude/.credentials.json')}: no "claudeAiOauth" object`);
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN);
    const m = oauthMounts({ HOME: home });
    expect(m.files.map((f) => f.target)).toEqual(['/auth/codex']);
    const config = ConfigSchema.parse({ peers: [{ name: 'claude', tool: 'claude', argv: ['claude'] }, { name: 'codex', tool: 'codex', argv: ['codex'] }] });
    expect(() => assertLoginsCover(config, '/r/.peers/config.yaml', m.serves, m.unusable)).toThrow(`nothing to authenticate claude (no Claude login and no ANTHROPIC_API_KEY); not a usable login: ${join(home, '.claude/.credentials.json')}: no "claudeAiOauth" object`);
  });

  test('a peer whose vendor has neither a login nor a key is refused up front, naming it', () => {
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN);
    const config = ConfigSchema.parse({ peers: [{ name: 'claude', tool: 'claude', argv: ['claude'] }, { name: 'codex', tool: 'codex', argv: ['codex'] }] });
    expect(() => assertLoginsCover(config, '/r/.peers/config.yaml', oauthMounts({ HOME: home }).serves)).toThrow('--credentials oauth-file: nothing to authenticate claude (no Claude login and no ANTHROPIC_API_KEY)');
    expect(() => assertLoginsCover(config, '/r/.peers/config.yaml', oauthMounts({ HOME: home, ANTHROPIC_API_KEY: 'sk-ant' }).serves)).not.toThrow();
  });

  test('an opencode peer on an OpenAI model needs OPENAI_API_KEY: the Codex login serves codex only', () => {
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), CODEX_LOGIN);
    const config = ConfigSchema.parse({ peers: [{ name: 'oc', tool: 'opencode', argv: ['opencode', 'run'], model: 'openai/gpt-5.5' }, { name: 'codex', tool: 'codex', argv: ['codex'] }] });
    expect(() => assertLoginsCover(config, '/r/.peers/config.yaml', oauthMounts({ HOME: home }).serves)).toThrow('--credentials oauth-file: nothing to authenticate oc (opencode on openai/gpt-5.5: no OPENAI_API_KEY)');
    expect(() => assertLoginsCover(config, '/r/.peers/config.yaml', oauthMounts({ HOME: home, OPENAI_API_KEY: 'sk-x' }).serves)).not.toThrow();
  });
});

