/**
 * `peers status` and `ls` show a goals file's hard goals from a memory keyed by the file's bytes
 * (src/config/hard-goal-ids.ts): what they show must always be what validating that file gives.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executableIdentity, hardGoalIdsOf } from '../../../src/config/hard-goal-ids.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'peers-hard-goals-'));
  dirs.push(root);
  const env = { HOME: join(root, 'home'), XDG_CACHE_HOME: join(root, 'cache') };
  const file = join(root, 'goals.yaml');
  const cacheDir = join(root, 'cache', 'peers', 'hard-goals');
  return { env, file, cacheDir };
}

const goals = (...ids: [string, 'hard' | 'soft'][]) =>
  `goals:\n${ids.map(([id, type]) => (type === 'hard' ? `  - id: ${id}\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n` : `  - id: ${id}\n    type: soft\n    prompt: "good?"\n    reviewer: other\n`)).join('')}`;

describe('the hard goals status shows', () => {
  test('a file seen again gives the same ids, from memory', async () => {
    const { env, file, cacheDir } = setup();
    writeFileSync(file, goals(['a', 'hard'], ['b', 'hard']));
    expect(await hardGoalIdsOf(file, env)).toEqual(['a', 'b']);
    expect(readdirSync(cacheDir)).toHaveLength(1);
    // The memory is what answers now: an entry for these bytes is taken as it is.
    const entry = join(cacheDir, readdirSync(cacheDir)[0]!);
    const remembered = JSON.parse(readFileSync(entry, 'utf8'));
    writeFileSync(entry, JSON.stringify({ ...remembered, hard: ['from-memory'] }));
    expect(await hardGoalIdsOf(file, env)).toEqual(['from-memory']);
  });

  test('an edited file is validated again', async () => {
    const { env, file } = setup();
    writeFileSync(file, goals(['a', 'hard']));
    expect(await hardGoalIdsOf(file, env)).toEqual(['a']);
    writeFileSync(file, goals(['a', 'hard'], ['c', 'hard']));
    expect(await hardGoalIdsOf(file, env)).toEqual(['a', 'c']);
    writeFileSync(file, 'goals:\n  - id: broken\n    type: hard\n    cmd: "true"\n    pass_when: exit_code =\n');
    expect(await hardGoalIdsOf(file, env)).toEqual({ error: expect.stringContaining(file) });
    expect(await hardGoalIdsOf(file, env)).toEqual({ error: expect.stringContaining(file) });
  });

  test('another peers executable (a rebuild, an upgrade) validates again instead of reading what the other remembered', async () => {
    const { env, file, cacheDir } = setup();
    writeFileSync(file, goals(['a', 'hard']));
    expect(await hardGoalIdsOf(file, env, 'peers 1.0 built at noon')).toEqual(['a']);
    const entry = join(cacheDir, readdirSync(cacheDir)[0]!);
    writeFileSync(entry, JSON.stringify({ ...JSON.parse(readFileSync(entry, 'utf8')), hard: ['stale'] }));
    expect(await hardGoalIdsOf(file, env, 'peers 1.0 built at noon')).toEqual(['stale']);
    expect(await hardGoalIdsOf(file, env, 'peers 1.0 built at one')).toEqual(['a']);
  });

  test('the executable is known by its version, path, size and modification time', () => {
    const root = mkdtempSync(join(tmpdir(), 'peers-exe-'));
    dirs.push(root);
    const exe = join(root, 'peers');
    writeFileSync(exe, 'one');
    const before = executableIdentity(exe);
    expect(executableIdentity(exe)).toBe(before);
    writeFileSync(exe, 'three');
    expect(executableIdentity(exe)).not.toBe(before);
  });

  test('a file that does not validate gives its refusal with file:line:col, never "no ids", seen once or twice', async () => {
    const { env, file } = setup();
    writeFileSync(file, 'goals:\n  - id: x\n    type: hard\n    cmd: true\n    passwhen: exit_code == 0\n'); // a misspelt key
    for (let i = 0; i < 2; i++) {
      const r = await hardGoalIdsOf(file, env);
      expect(Array.isArray(r)).toBe(false);
      expect((r as { error: string }).error).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    }
  });

  test('a damaged memory is made again, and soft goals are never shown', async () => {
    const { env, file, cacheDir } = setup();
    writeFileSync(file, goals(['h', 'hard'], ['s', 'soft']));
    expect(await hardGoalIdsOf(file, env)).toEqual(['h']);
    const entry = join(cacheDir, readdirSync(cacheDir)[0]!);
    writeFileSync(entry, '{"content": 1');
    expect(await hardGoalIdsOf(file, env)).toEqual(['h']);
    expect(JSON.parse(readFileSync(entry, 'utf8')).hard).toEqual(['h']);
  });

  test('a cache that cannot be written costs nothing but the memory', async () => {
    const { env, file } = setup();
    writeFileSync(env.XDG_CACHE_HOME, 'not a directory');
    writeFileSync(file, goals(['a', 'hard']));
    expect(await hardGoalIdsOf(file, env)).toEqual(['a']);
  });
});
