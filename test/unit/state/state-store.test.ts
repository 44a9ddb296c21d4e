import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { UnsafePathError } from '../../../src/fs/atomic-write.ts';
import { freshState } from '../../../src/state/state-schema.ts';
import { loadState, saveState } from '../../../src/state/state-store.ts';
import { projectKey, stateDirFor } from '../../../src/state/paths.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peers-state-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('state.json store', () => {
  test('round-trips a state and writes it 0600', () => {
    const path = join(dir, 'state.json');
    const s = { ...freshState(['a', 'b']), tick: 7 };
    saveState(path, s);
    expect(loadState(path)).toEqual(s);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test('absent file → undefined (fresh run)', () => {
    expect(loadState(join(dir, 'state.json'))).toBeUndefined();
  });

  test.each([
    ['not json', '{"tick": 1', /not JSON/],
    ['wrong version', '{"schema_version": 99}', /schema_version 99/],
    ['bad field', JSON.stringify({ ...freshState(['a', 'b']), tick: -1 }), /tick/],
    ['turn_index out of range', JSON.stringify({ ...freshState(['a', 'b']), turn_index: 5 }), /turn_index 5/],
  ])('corrupt state (%s) → InputError (exit 2) naming the file', (_name, text, re) => {
    const path = join(dir, 'state.json');
    writeFileSync(path, text);
    let err: unknown;
    try {
      loadState(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).location?.file).toBe(path);
    expect((err as Error).message).toMatch(re);
  });

  test('refuses to read through a symlink and to write through a symlink or hard link', () => {
    const target = join(dir, 'elsewhere.json');
    saveState(target, freshState(['a', 'b']));
    const link = join(dir, 'state.json');
    symlinkSync(target, link);
    expect(() => loadState(link)).toThrow(/symlink/);
    expect(() => saveState(link, freshState(['a', 'b']))).toThrow(UnsafePathError);
    rmSync(link);
    linkSync(target, link);
    expect(() => saveState(link, freshState(['a', 'b']))).toThrow(/hard links/);
    expect(JSON.parse(readFileSync(target, 'utf8')).tick).toBe(0);
  });

  test('refuses to persist an invalid state', () => {
    expect(() => saveState(join(dir, 'state.json'), { ...freshState(['a', 'b']), tick: 1.5 })).toThrow();
  });

  test('an oversized state file is refused rather than read', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, ' '.repeat(6 * 1024 * 1024));
    expect(() => loadState(path)).toThrow(/larger than/);
  });
});

describe('state dir location', () => {
  test('PEERS_STATE_DIR wins; else XDG_STATE_HOME/peers/<name>-<hash8>', () => {
    expect(stateDirFor(dir, { PEERS_STATE_DIR: '/x/y' })).toBe('/x/y');
    const d = stateDirFor(dir, { XDG_STATE_HOME: '/xdg' });
    expect(d).toMatch(new RegExp(`^/xdg/peers/peers-state-[A-Za-z0-9]+-[0-9a-f]{8}$`));
    expect(d).toBe(join('/xdg/peers', projectKey(dir)));
  });

  test('two projects with the same basename get different state dirs', () => {
    const a = join(dir, 'one', 'app');
    const b = join(dir, 'two', 'app');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    expect(projectKey(a)).not.toBe(projectKey(b));
    expect(projectKey(a).startsWith('app-')).toBe(true);
  });
});
