/**
 * The projects registry shared by init/doctor and up/down/ls (one owner: src/config/project-registry.ts):
 * concurrent writers never lose an entry, names are unique and stable, and a corrupt file is a clear exit-2 error.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PeersError } from '../../../src/cli/errors.ts';
import { registerProject } from '../../../src/config/project-registry.ts';
import { withRegistryLock } from '../../../src/config/registry-lock.ts';
import { ensureRegistered, findByName, listProjects } from '../../../sandbox/registry.ts';
import { readableName } from '../../../src/state/readable-name.ts';

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

  test('a directory name with spaces and accents gets a name one can type: accents dropped, one dash per gap, none at the ends', async () => {
    expect((await ensureRegistered('/home/dev/My Prôjects ü/clamp lib é', env)).name).toBe('clamp-lib-e');
    expect((await ensureRegistered('/home/dev/ (draft) app! ', env)).name).toBe('draft-app');
    expect((await ensureRegistered('/home/dev/日本', env)).name).toBe('project');
    expect(readableName('app.v2')).toBe('app.v2');
  });

  test('entries written by `peers init` (no name) are read and kept', async () => {
    registerProject('/src/from-init', env as Record<string, string>);
    await ensureRegistered('/src/other', env);
    expect(listProjects(env).map((p) => p.name)).toEqual(['from-init', 'other']);
    const file = JSON.parse(readFileSync(join(dir, 'config/peers/projects.json'), 'utf8'));
    expect(file.version).toBe(1);
    expect(file.projects[0].registered_at).toMatch(/^\d{4}-/);
  });

  /** Runs `n` bun processes at once, each evaluating `script(i)`; resolves to their exit codes + stderr. */
  const concurrently = (n: number, script: (i: number) => string) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        new Promise<string>((res) => {
          const c = spawn(process.execPath, ['-e', script(i)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          c.stderr.on('data', (d) => (err += d));
          c.on('close', (code) => res(`${code}${err ? ` ${err.slice(0, 300)}` : ''}`));
        }),
      ),
    );

  test('eight processes registering at once lose no entry (the lock serialises them)', async () => {
    const mod = resolve(import.meta.dir, '../../../sandbox/registry.ts');
    const codes = await concurrently(8, (i) => `await (await import('${mod}')).ensureRegistered('/src/p${i}')`);
    expect(codes).toEqual(Array(8).fill('0'));
    expect(listProjects(env).map((p) => p.path).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `/src/p${i}`).sort());
  });

  test('`peers init` and `peers up` writers interleaved, many times each, over a stale lock: every entry survives', async () => {
    // The old flake: a writer that saw a lock whose owner had just released it and exited took it
    // for stale and deleted the NEXT holder's live lock (two writers in; one crashed on unlink).
    // Processes that exit right after writing make exactly that window common; 64 writes hit it.
    mkdirSync(join(dir, 'config/peers'), { recursive: true });
    writeFileSync(join(dir, 'config/peers/projects.json.lock'), '999999 dead-owner');
    const up = resolve(import.meta.dir, '../../../sandbox/registry.ts');
    const init = resolve(import.meta.dir, '../../../src/config/project-registry.ts');
    const codes = await concurrently(8, (i) =>
      i % 2
        ? `const m = await import('${up}'); for (let k = 0; k < 8; k++) await m.ensureRegistered('/src/up${i}-' + k)`
        : `const m = await import('${init}'); for (let k = 0; k < 8; k++) m.registerProject('/src/init${i}-' + k)`,
    );
    expect(codes).toEqual(Array(8).fill('0'));
    const paths = listProjects(env).map((p) => p.path);
    expect(paths).toHaveLength(64);
    expect(new Set(paths).size).toBe(64);
    expect(existsSync(join(dir, 'config/peers/projects.json.lock'))).toBe(false);
    expect(readdirSync(join(dir, 'config/peers'))).toEqual(['projects.json']); // no temp or stale files left
  }, 60_000);

  test('a lock held by a live process is waited for, then reported with its pid (never stolen)', () => {
    mkdirSync(join(dir, 'config/peers'), { recursive: true });
    const lock = join(dir, 'config/peers/projects.json.lock');
    writeFileSync(lock, `${process.pid} live-owner`);
    const t0 = Date.now();
    expect(() => withRegistryLock(lock, () => 'entered', 300)).toThrow(`projects registry is locked by pid ${process.pid}`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} live-owner`);
  });

  test('`peers init` on a corrupt registry leaves the file alone and says so', () => {
    mkdirSync(join(dir, 'config/peers'), { recursive: true });
    writeFileSync(join(dir, 'config/peers/projects.json'), 'not json');
    expect(() => registerProject('/src/x', env)).toThrow('projects.json: projects registry is not valid JSON');
    expect(readFileSync(join(dir, 'config/peers/projects.json'), 'utf8')).toBe('not json');
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
