/**
 * The repository stands on its own: code, comments, templates and docs cite files in it
 * (docs/ARCHITECTURE.md, SECURITY.md, README.md), never section numbers of documents a reader does
 * not have, nor planning ids (milestones, issue numbers) that mean nothing outside the tracker.
 */
import { expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '../..');
const OUTSIDE_CITATION = [
  { what: 'a section number (§)', re: /§/ },
  { what: 'a document outside the repository', re: /original-(core|goals-modes|ctl-sandbox)|peers-original-README|\.\.\/shared\// },
  { what: 'a DESIGN section', re: /DESIGN §|DESIGN\.md §/ },
  { what: 'a milestone id', re: /\bH[0-9]{1,2}('s)?\b/ },
  { what: 'an issue number', re: /\bissue #?[0-9]+\b/i },
];

test('no file git tracks cites a document or a planning id from outside the repository', () => {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => /\.(ts|md|yaml|yml|sh|json)$/.test(f) && f !== 'package-lock.json' && f !== 'test/unit/self-contained-docs.test.ts');
  const found: string[] = [];
  for (const f of files) {
    const lines = readFileSync(join(ROOT, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const { what, re } of OUTSIDE_CITATION) if (re.test(line)) found.push(`${f}:${i + 1}: ${what}: ${line.trim().slice(0, 100)}`);
    });
  }
  expect(found).toEqual([]);
});
