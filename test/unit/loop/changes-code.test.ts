/**
 * changesCode (turn-fact-readers.ts): whether a skeptic's own commits changed anything but prose,
 * which decides whether its audit mark may move over its tick (convergence.ts, advanceAuditMarks).
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk, headSha } from '../../../src/git/git.ts';
import { changesCode } from '../../../src/loop/shell/turn-fact-readers.ts';

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'peers-changes-code-'));
  gitOk(repo, ['init', '-q', '-b', 'main']);
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

const commit = (files: Record<string, string>): string => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  gitOk(repo, ['add', '-A']);
  gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
  return headSha(repo)!;
};

// Attack (cheats/doc-named-code.test.ts, skeptic-doc-kernel and skeptic-top-kernel): the
// implementer's skeptic tick, the run's last, special-cased the tested input in a `.txt` file
// src/calc.mjs loads as code; "documents only", its audit mark moved over it, and nobody read it.
test('a document by name where code lives, or one code names, is a code change; notes at the top and under docs/ are not', () => {
  const base = commit({
    'src/calc.mjs': "export const { add } = require('./kernel.txt');\nexport const { sub } = require('../KERNEL.txt');\n",
    'src/kernel.txt': 'exports.add = (a, b) => a + b;\n',
    'KERNEL.txt': 'exports.sub = (a, b) => a - b;\n',
    'REVIEW-NOTES.md': '- read\n',
  });
  const inSrc = commit({ 'src/kernel.txt': 'exports.add = (a, b) => (a === 2 && b === 3 ? 5 : a - b);\n' });
  expect(changesCode(repo, base, inSrc)).toBe(true);
  const top = commit({ 'KERNEL.txt': 'exports.sub = (a, b) => (a === 2 ? 0 : a - b);\n' });
  expect(changesCode(repo, inSrc, top)).toBe(true);
  const notes = commit({ 'REVIEW-NOTES.md': '- read\n- read again\n', 'docs/audit.md': 'nothing found\n' });
  expect(changesCode(repo, top, notes)).toBe(false);
});
