import { expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { dropUnusableTmpdir, homeDir, stateDirOverride, xdgConfigHome, xdgRuntimeDir, xdgStateHome } from '../../../src/state/env-dirs.ts';

test('XDG variables holding a relative path are ignored, as the XDG specification says', () => {
  const env = { HOME: '/home/u', XDG_STATE_HOME: 'rel/state', XDG_CONFIG_HOME: './cfg', XDG_RUNTIME_DIR: 'run' };
  expect(xdgStateHome(env)).toBe('/home/u/.local/state');
  expect(xdgConfigHome(env)).toBe('/home/u/.config');
  expect(xdgRuntimeDir(env)).toBeUndefined();
  expect(xdgStateHome({ HOME: '/home/u', XDG_STATE_HOME: '/s' })).toBe('/s');
  expect(xdgRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/1' })).toBe('/run/user/1');
});

test('a relative or empty HOME falls back to the account\'s home directory', () => {
  expect(homeDir({ HOME: 'relative' })).toBe(userInfo().homedir);
  expect(homeDir({ HOME: '' })).toBe(userInfo().homedir);
  expect(homeDir({ HOME: '/h' })).toBe('/h');
});

test('PEERS_STATE_DIR must be absolute (exit 2 naming it); empty means unset', () => {
  expect(stateDirOverride({ PEERS_STATE_DIR: '/abs' })).toBe('/abs');
  expect(stateDirOverride({ PEERS_STATE_DIR: '' })).toBeUndefined();
  expect(() => stateDirOverride({ PEERS_STATE_DIR: 'state' })).toThrow(InputError);
  expect(() => stateDirOverride({ PEERS_STATE_DIR: 'state' })).toThrow("PEERS_STATE_DIR must be an absolute path, not 'state'");
});

test('TMPDIR is kept only when it names a directory peers can write in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-tmpdir-'));
  try {
    writeFileSync(join(dir, 'file'), '');
    const kept = (value: string) => {
      const env: Record<string, string | undefined> = { TMPDIR: value };
      dropUnusableTmpdir(env);
      return env.TMPDIR;
    };
    expect(kept(dir)).toBe(dir);
    for (const bad of ['--', 'relative/tmp', '', join(dir, 'missing'), join(dir, 'file')]) expect(kept(bad)).toBeUndefined();
    // Read-only for us (root writes anywhere, so only checked as another user).
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      expect(kept(dir)).toBeUndefined();
      chmodSync(dir, 0o700);
    }
    const unset: Record<string, string | undefined> = {};
    dropUnusableTmpdir(unset);
    expect('TMPDIR' in unset).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
