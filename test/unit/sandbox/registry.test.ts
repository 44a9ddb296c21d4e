/**
 * The projects registry shared by init/doctor (H1's format) and up/down/ls: concurrent writers
 * never lose an entry, names are unique and stable, and a corrupt file is a clear exit-2 error.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PeersError } from '../../../src/cli/errors.ts';
import { registerProject } from '../../../src/config/project-registry.ts';
import { ensureRegistered, findByName, listProjects } from '../../../sandbox/registry.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-registry-'));
  env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('projects registry', () => {
  test('registering is idempotent and names are the basename, made unique', async () => {
    const a = await ensureRegistered('/src/one/app', env);
    const again = await ensureRegistered('/src/one/app', env);
    const b = await ensureRegistered('/src/two/app', env);
    expect(a.name).toBe('app');
    expect(again.name).toBe('app');
    expect(b.name).toBe('app-2');
    expect(listProjects(env).map((p) => p.path)).toEqual(['/src/one/app', '/src/two/app']);
    expect(findByName('app-2', env)?.path).toBe('/src/two/app');
  });

  test('entries written by `peers init` (no name) are read and kept', async () => {
    registerProject('/src/from-init', env as Record<string, string>);
    await ensureRegistered('/src/other', env);
    expect(listProjects(env).map((p) => p.name)).toEqual(['from-init', 'other']);
    const file = JSON.parse(readFileSync(join(dir, 'config/peers/projects.json'), 'utf8'));
    expect(file.version).toBe(1);
    expect(file.projects[0].registered_at).toMatch(/^\d{4}-/);
  });

  test('eight processes registering at once lose no entry (the lock serialises them)', async () => {
    const mod = resolve(import.meta.dir, '../../../sandbox/registry.ts');
    const runs = Array.from({ length: 8 }, (_, i) =>
      new Promise<number>((res) => {
        const c = spawn(process.execPath, ['-e', `import('${mod}').then(m => m.ensureRegistered('/src/p${i}'))`], { env, stdio: 'ignore' });
        c.on('close', (code) => res(code ?? 1));
      }),
    );
    expect(await Promise.all(runs)).toEqual(Array(8).fill(0));
    expect(listProjects(env).map((p) => p.path).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `/src/p${i}`).sort());
  });

  test('a lock left by a dead process is taken over', async () => {
    mkdirSync(join(dir, 'config/peers'), { recursive: true });
    writeFileSync(join(dir, 'config/peers/projects.json.lock'), '999999');
    await ensureRegistered('/src/x', env);
    expect(listProjects(env)).toHaveLength(1);
  });

  test('a corrupt registry is an exit-2 error naming the file', async () => {
    mkdirSync(join(dir, 'config/peers'), { recursive: true });
    writeFileSync(join(dir, 'config/peers/projects.json'), '{"projects": [');
    let err: unknown;
    try {
      await ensureRegistered('/src/x', env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeersError);
    expect((err as PeersError).exitCode).toBe(2);
    expect((err as PeersError).message).toContain('projects.json');
    // Nothing was written over the user's (broken) file.
    expect(readFileSync(join(dir, 'config/peers/projects.json'), 'utf8')).toBe('{"projects": [');
  });
});
