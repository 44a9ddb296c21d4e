import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CHECKS } from '../../../modes/checks/index.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const FILES = ['templates/goals.yaml', 'modes/audit/goals.yaml', 'modes/thorough/goals.yaml'];

describe('goal files that call built-in checks', () => {
  for (const file of FILES) {
    test(`${file} is a valid goals file and every "peers check <id>" names a registered check`, () => {
      const doc = GoalsSchema.parse(parse(readFileSync(join(ROOT, file), 'utf8')));
      const ids = doc.goals.flatMap((g) => (g.type === 'hard' ? [...g.cmd.matchAll(/\bpeers check ([\w-]+)/g)].map((m) => m[1]!) : []));
      for (const id of ids) expect(Object.keys(CHECKS)).toContain(id);
    });
  }
});
