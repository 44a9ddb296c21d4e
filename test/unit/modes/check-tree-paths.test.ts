/**
 * `peers check no-secrets` and `coverage-3-class` read the files of the working tree they are pointed at (the peers' clone,
 * when the operator runs it there): a directory swapped for a symlink must not make it scan, and
 * report on, files outside the tree. SECURITY.md, "Project text is data".
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { scanRepoForSecrets } from '../../../modes/checks/no-secrets.ts';
import { testCoverage3Class } from '../../../modes/checks/test-coverage-3-class.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test('a tracked directory swapped for a symlink is a finding, never a scan of what it points to', () => {
  const base = mkdtempSync(join(tmpdir(), 'peers-secrets-paths-'));
  dirs.push(base);
  const work = join(base, 'clone');
  const outside = join(base, 'operator-keys');
  mkdirSync(outside);
  writeFileSync(join(outside, 'id.txt'), 'nothing here\n\n-----BEGIN OPENSSH PRIVATE KEY-----\n');
  gitOk(base, ['init', '-q', '-b', 'main', work]);
  mkdirSync(join(work, 'keys'));
  writeFileSync(join(work, 'keys', 'id.txt'), 'a harmless file\n');
  gitOk(work, ['add', '.']);
  gitOk(work, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--no-verify', '-m', 'a']);
  rmSync(join(work, 'keys'), { recursive: true });
  symlinkSync(outside, join(work, 'keys'));
  const findings = scanRepoForSecrets(work);
  expect(findings.some((f) => f.label === 'private key')).toBe(false);
  expect(findings).toContainEqual({ path: 'keys/id.txt', line: 0, label: 'symlink (not scanned)' });
});

test('coverage-3-class does not count test files reached through a directory swapped for a symlink', async () => {
  const base = mkdtempSync(join(tmpdir(), 'peers-coverage-paths-'));
  dirs.push(base);
  const work = join(base, 'clone');
  const outside = join(base, 'elsewhere');
  mkdirSync(outside);
  writeFileSync(join(outside, 'test_calc.py'), 'def test_happy_add():\n    pass\ndef test_edge_zero():\n    pass\ndef test_sad_error():\n    pass\n');
  gitOk(base, ['init', '-q', '-b', 'main', work]);
  mkdirSync(join(work, 'tests'));
  writeFileSync(join(work, 'tests', 'test_calc.py'), 'def test_happy_add():\n    pass\n');
  gitOk(work, ['add', '.']);
  gitOk(work, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--no-verify', '-m', 'a']);
  expect((await testCoverage3Class.run(work, {} as never)).report).toContain('no edge, sad test found');
  rmSync(join(work, 'tests'), { recursive: true });
  symlinkSync(outside, join(work, 'tests'));
  expect((await testCoverage3Class.run(work, {} as never)).pass).toBe(false);
});
