/**
 * The peers' git identity (src/config/git-identity.ts): from git_author in config.yaml, else the
 * user's identity handed to the loop, else the documented default; always as GIT_AUTHOR_* and
 * GIT_COMMITTER_* in the peer's environment, so a commit works with no git config at all.
 */
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { readUserGitIdentity, resolvePeerIdentity, userIdentityFromEnv } from '../../../src/config/git-identity.ts';
import { jsonSchemaFor } from '../../../src/config/json-schema.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';

const peers = (extra: Record<string, unknown> = {}) => [
  { name: 'claude', tool: 'claude', argv: ['claude'], ...extra },
  { name: 'codex', tool: 'codex', argv: ['codex'] },
];

/** An environment with no git identity anywhere: no HOME config, no system config, no EMAIL. */
function bareEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' };
}

describe('resolvePeerIdentity', () => {
  test('the default when nothing is known: "<peer> (peers)" <peer@peers.invalid>', () => {
    expect(resolvePeerIdentity({ name: 'claude' }, {})).toEqual({ name: 'claude (peers)', email: 'claude@peers.invalid', source: { name: 'default', email: 'default' } });
  });

  test("the user's identity when there is one", () => {
    expect(resolvePeerIdentity({ name: 'codex' }, { name: 'Ada L', email: 'ada@example.com' })).toMatchObject({ name: 'Ada L', email: 'ada@example.com', source: { name: 'user', email: 'user' } });
  });

  test('git_author wins field by field', () => {
    const id = resolvePeerIdentity({ name: 'claude', git_author: { name: 'claude (peers)' } }, { name: 'Ada L', email: 'ada@example.com' });
    expect(id).toEqual({ name: 'claude (peers)', email: 'ada@example.com', source: { name: 'config', email: 'user' } });
  });

  test('the user identity handed over in the loop environment; unusable values are ignored', () => {
    expect(userIdentityFromEnv({ PEERS_GIT_USER_NAME: ' Ada ', PEERS_GIT_USER_EMAIL: 'ada@example.com' })).toEqual({ name: 'Ada', email: 'ada@example.com' });
    expect(userIdentityFromEnv({ PEERS_GIT_USER_NAME: '', PEERS_GIT_USER_EMAIL: 'a<b>@x' })).toEqual({});
  });
});

describe('git_author in config.yaml', () => {
  test('accepted, and in the JSON Schema editors read', () => {
    const cfg = ConfigSchema.parse({ peers: peers({ git_author: { name: 'claude (peers)', email: 'bot@example.com' } }) });
    expect(cfg.peers[0]!.git_author).toEqual({ name: 'claude (peers)', email: 'bot@example.com' });
    const text = JSON.stringify(jsonSchemaFor('config'));
    expect(text).toContain('"git_author"');
    expect(text).toContain('Git identity of this peer');
  });

  test('angle brackets, line breaks and unknown keys are refused', () => {
    for (const git_author of [{ name: 'a <b>' }, { email: 'x\ny@z' }, { name: '' }, { mail: 'x@y' }]) {
      expect(ConfigSchema.safeParse({ peers: peers({ git_author }) }).success).toBe(false);
    }
  });
});

describe('the identity reaches the peer process', () => {
  test('buildPeerArgv sets author and committer; a GIT_AUTHOR_NAME in the peer env still wins', () => {
    const cfg = ConfigSchema.parse({ peers: peers({ git_author: { email: 'bot@example.com' }, env: { GIT_AUTHOR_NAME: 'Mine' } }) });
    const env = buildPeerArgv(cfg.peers[0]!, 'P', { hostEnv: { PEERS_GIT_USER_NAME: 'Ada', PEERS_GIT_USER_EMAIL: 'ada@example.com' } }).env;
    expect(env).toMatchObject({ GIT_AUTHOR_NAME: 'Mine', GIT_AUTHOR_EMAIL: 'bot@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'bot@example.com' });
  });

  test('a commit made with that environment works where git knows no identity at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-ident-'));
    try {
      const env = bareEnv(dir);
      const git = (args: string[], extra: Record<string, string> = {}) => spawnSync('git', ['-C', dir, ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
      expect(git(['init', '-q']).status).toBe(0);
      // user.useConfigOnly: no guessing from the host name, so "no identity" holds on any machine.
      git(['config', 'user.useConfigOnly', 'true']);
      const bare = git(['commit', '--allow-empty', '-qm', 'x']);
      expect(bare.status).not.toBe(0);
      expect(bare.stderr).toMatch(/no email was given|unable to auto-detect|Please tell me who you are/);
      const cfg = ConfigSchema.parse({ peers: peers() });
      const peerEnv = buildPeerArgv(cfg.peers[1]!, 'P', { hostEnv: env }).env;
      expect(git(['commit', '--allow-empty', '-qm', 'x'], peerEnv).status).toBe(0);
      expect(git(['log', '-1', '--format=%an <%ae> / %cn <%ce>']).stdout.trim()).toBe('codex (peers) <codex@peers.invalid> / codex (peers) <codex@peers.invalid>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readUserGitIdentity', () => {
  test("reads the user's own identity as git resolves it, and nothing when there is none", () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-ident-'));
    try {
      const env = bareEnv(dir);
      spawnSync('git', ['init', '-q', dir], { env });
      expect(readUserGitIdentity(dir, env)).toEqual({});
      writeFileSync(join(dir, '.gitconfig'), '[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n');
      expect(readUserGitIdentity(dir, env)).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
      // A repository's own setting takes precedence, as for git itself.
      spawnSync('git', ['-C', dir, 'config', 'user.email', 'ada@work.example'], { env });
      expect(readUserGitIdentity(dir, env)).toEqual({ name: 'Ada Lovelace', email: 'ada@work.example' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
