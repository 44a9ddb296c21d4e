import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'src/main.ts'), ...args], { encoding: 'utf8', cwd: '/' });

describe('the peers entry point', () => {
  test('--version prints "peers <semver>" and exits 0', () => {
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^peers \d+\.\d+\.\d+$/);
  });

  test('an unknown command is bad input: exit 2, one line, no stack trace', () => {
    const r = run('no-such-command');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no-such-command');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('commands --json lists the command tree from any working directory', () => {
    const r = run('commands', '--json');
    expect(r.status).toBe(0);
    const ids = (JSON.parse(r.stdout) as { id: string }[]).map((c) => c.id);
    expect(ids).toContain('help');
  });
});
