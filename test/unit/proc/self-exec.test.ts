import { afterAll, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_SELF_BINARY_ENV, isCompiledBinary, removeSelfBinDir, selfBinDir, selfCommand } from '../../../src/proc/self-exec.ts';

afterAll(removeSelfBinDir);
import { supervise } from '../../../src/proc/supervise.ts';

/** Runs `fn` with the dev-only override set to `value` (undefined: unset), restoring it after. */
function withOverride<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env[DEV_SELF_BINARY_ENV];
  if (value === undefined) delete process.env[DEV_SELF_BINARY_ENV];
  else process.env[DEV_SELF_BINARY_ENV] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[DEV_SELF_BINARY_ENV];
    else process.env[DEV_SELF_BINARY_ENV] = saved;
  }
}

test('in a dev checkout selfCommand runs bun on src/main.ts', () => {
  expect(isCompiledBinary()).toBe(false);
  const argv = withOverride(undefined, selfCommand);
  expect(argv[0]).toBe(process.execPath);
  expect(argv[1]).toMatch(/\/src\/main\.ts$/);
});

test('in a dev checkout with a compiled peers of the same sources named, selfCommand runs that', () => {
  expect(withOverride('/opt/peers-of-these-sources', selfCommand)).toEqual(['/opt/peers-of-these-sources']);
  expect(withOverride('', selfCommand)[1]).toMatch(/\/src\/main\.ts$/);
});

test('selfBinDir holds a private executable peers shim that a gate can call through PATH', async () => {
  const dir = selfBinDir();
  expect(selfBinDir()).toBe(dir);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  expect(statSync(join(dir, 'peers')).mode & 0o111).not.toBe(0);
  const r = await supervise({
    argv: ['/bin/sh', '-c', 'peers --version'],
    cwd: '/',
    env: { ...(process.env as Record<string, string>), PATH: `${dir}:/usr/bin:/bin` },
    absoluteTimeoutMs: 30_000,
  });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/\d+\.\d+\.\d+/);
});
