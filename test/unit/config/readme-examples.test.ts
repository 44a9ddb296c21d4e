import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, loadGoalsFile } from '../../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'peers-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README configuration examples', () => {
  test('the config.yaml and goals.yaml examples users copy are valid', () => {
    const readme = readFileSync(join(import.meta.dir, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    writeFileSync(join(dir, 'config.yaml'), blocks[0]!);
    writeFileSync(join(dir, 'goals.yaml'), blocks[1]!);
    expect(loadConfigFile(join(dir, 'config.yaml')).peers.map((p) => p.name)).toEqual(['claude', 'codex']);
    expect(loadGoalsFile(join(dir, 'goals.yaml')).goals.map((g) => g.id)).toEqual(['tests-pass', 'tests-review']);
  });
});
