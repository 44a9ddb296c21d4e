/**
 * Which changed files are prose (prose-paths.ts): a document by name and place that no other file
 * names. The rule is pure given who names what; `proseNamedByCode` is its git adapter, tested on a
 * small repository.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk, headSha } from '../../../src/git/git.ts';
import { isProseByPlace, linksAfterChange, namedByCodeOfChange, namingGrepReader, notProse, proseNamedByCode, proseNamedByCodeAt, reachedThroughLinks } from '../../../src/protocol/prose-paths.ts';
import { changesWhatVotesRead } from '../../../src/protocol/soft-reviews.ts';

describe('prose by name and place', () => {
  test('a document at the top or under a documentation directory; not gate surface, not where code lives', () => {
    for (const p of ['README.md', 'KERNEL.txt', 'LICENSE', 'docs/guide.rst', 'website/docs/intro.md', 'logo.png']) expect(isProseByPlace(p)).toBe(true);
    for (const p of ['src/kernel.txt', 'src/calc.mjs', 'requirements.txt', 'packages/parser/README.md', 'assets/logo.png']) expect(isProseByPlace(p)).toBe(false);
  });

  // Attack (cheats/doc-named-code.test.ts, skeptic-top-kernel): src/calc.mjs loads add() from
  // ../KERNEL.txt; a name and a place made it prose, and a special case written there voided no vote.
  test('prose by place that another file names is not prose: a vote read it, a skeptic must not audit it alone', () => {
    const named = (c: string[]) => new Set(c.filter((p) => p === 'KERNEL.txt'));
    expect(notProse(['KERNEL.txt', 'README.md', '.peers/goals.yaml'], named)).toEqual(['KERNEL.txt']);
    expect(changesWhatVotesRead(['KERNEL.txt'], named)).toBe(true);
    expect(changesWhatVotesRead(['README.md'], named)).toBe(false);
    // Asked only about prose by place: a change to code already answers.
    let asked: string[] = [];
    notProse(['src/calc.mjs', 'docs/a.md'], (c) => ((asked = c), new Set()));
    expect(asked).toEqual(['docs/a.md']);
  });

  test("git grep's output is read per match; a path with a newline is one path; a document naming another names nothing", () => {
    const r = namingGrepReader('abc');
    for (const line of ['abc:src/calc.mjs\0KERNEL.txt', 'abc:docs/index.md\0CHANGES.md', 'abc:odd', 'name.js\0Notes.md']) r.line(line);
    expect([...r.named()].sort()).toEqual(['kernel.txt', 'notes.md']);
  });
});

describe('proseNamedByCode (git)', () => {
  let repo: string;
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'peers-prose-'));
    gitOk(repo, ['init', '-q', '-b', 'main']);
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  test('names in any case, in code files of the given tree only; a tree that cannot be read names every candidate', () => {
    mkdirSync(join(repo, 'src'));
    mkdirSync(join(repo, 'docs'));
    writeFileSync(join(repo, 'src', 'calc.mjs'), "export const { add } = require('../kernel.TXT');\n");
    writeFileSync(join(repo, 'docs', 'index.md'), 'See CHANGELOG.md and README.md.\n');
    writeFileSync(join(repo, 'KERNEL.txt'), 'exports.add = (a, b) => a + b;\n');
    writeFileSync(join(repo, 'CHANGELOG.md'), '- first\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
    const head = headSha(repo)!;
    expect([...proseNamedByCode(repo, head, ['KERNEL.txt', 'CHANGELOG.md', 'README.md'])]).toEqual(['KERNEL.txt']);
    expect([...proseNamedByCode(repo, head, ['NOTES.md'])]).toEqual([]);
    expect([...proseNamedByCode(repo, '0'.repeat(40), ['NOTES.md'])]).toEqual(['NOTES.md']);
  });

  // The review's attacks: git's -i folds ASCII alone, and a file git takes for binary matched as "Binary file … matches".
  test('a name with a letter outside ASCII, and a code file with a NUL byte, still name what they name', () => {
    writeFileSync(join(repo, 'calc.js'), 'module.exports = require("./KÉRNEL.md");\n');
    writeFileSync(join(repo, 'KÉRNEL.md'), 'module.exports = (a, b) => a - b;\n');
    writeFileSync(join(repo, 'load.js'), Buffer.concat([Buffer.from('// \0\nrequire("./NOTES.md");\n')]));
    writeFileSync(join(repo, 'NOTES.md'), 'x\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
    const head = headSha(repo)!;
    expect([...proseNamedByCode(repo, head, ['KÉRNEL.md', 'NOTES.md'])].sort()).toEqual(['KÉRNEL.md', 'NOTES.md']);
  });

  // A turn that edits only NOTES.md grepped the whole tree every tick (BENCHMARKS.md, "Loop processes per tick").
  test('a tree whose change from one already read touched prose alone is answered from that one; any other tree is read', () => {
    const commit = (files: Record<string, string>) => {
      for (const [f, text] of Object.entries(files)) writeFileSync(join(repo, f), text);
      gitOk(repo, ['add', '-A']);
      gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
      return headSha(repo)!;
    };
    const first = commit({ 'calc.mjs': 'export const add = (a, b) => a - b;\n', 'NOTES.md': 'one\n' });
    expect([...proseNamedByCodeAt(repo, first, ['NOTES.md'])]).toEqual([]);
    // The next commit's code names NOTES.md; said to be the same code as `first`, it is not read
    // (that is the caller's promise, kept by namedByCodeOfChange), and answers as `first` did.
    const second = commit({ 'calc.mjs': "export const add = require('./NOTES.md');\n", 'NOTES.md': 'two\n' });
    expect([...proseNamedByCodeAt(repo, second, ['NOTES.md'], first)]).toEqual([]);
    // Read for itself (no promise, or a tree never read), the grep finds it.
    const third = commit({ 'NOTES.md': 'three\n' });
    expect([...proseNamedByCodeAt(repo, third, ['NOTES.md'])]).toEqual(['NOTES.md']);
    expect([...proseNamedByCodeAt(repo, '1'.repeat(40), ['NOTES.md'], '2'.repeat(40))]).toEqual(['NOTES.md']);
    // The promise is made for a change of prose by place alone, never for one that changed code.
    const fourth = commit({ 'NOTES.md': 'four\n' });
    expect([...namedByCodeOfChange(repo, fourth, ['NOTES.md', 'docs/a.md', ''], first)(['NOTES.md'])]).toEqual([]);
    const fifth = commit({ 'NOTES.md': 'five\n' });
    expect([...namedByCodeOfChange(repo, fifth, ['NOTES.md', 'calc.mjs'], first)(['NOTES.md'])]).toEqual(['NOTES.md']);
  });

  // Attack (cheats/doc-named-code.test.ts, skeptic-link-kernel): src/kernel.cjs, a code file by
  // name, was a symlink to KERNEL.txt, which src/calc.mjs loaded through it; git grep reads no
  // link's target, so no file named KERNEL.txt and the skeptic's mark moved over its rewrite.
  test('a document a symlink leads to, or that is a symlink itself, is not prose, also for a change of prose alone', () => {
    const commit = () => {
      gitOk(repo, ['add', '-A']);
      gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
      return headSha(repo)!;
    };
    mkdirSync(join(repo, 'src'));
    mkdirSync(join(repo, 'docs'));
    writeFileSync(join(repo, 'src', 'calc.mjs'), "export const { add } = require('./kernel.cjs');\n");
    writeFileSync(join(repo, 'KERNEL.txt'), 'exports.add = (a, b) => a + b;\n');
    writeFileSync(join(repo, 'README.md'), 'calc\n');
    writeFileSync(join(repo, 'docs', 'guide.md'), 'guide\n');
    writeFileSync(join(repo, 'docs', 'other.md'), 'other\n');
    symlinkSync('../KERNEL.txt', join(repo, 'src', 'kernel.cjs'));
    symlinkSync('../docs', join(repo, 'src', 'manual'));
    const first = commit();
    expect([...proseNamedByCodeAt(repo, first, ['KERNEL.txt', 'README.md', 'docs/guide.md'])].sort()).toEqual(['KERNEL.txt', 'docs/guide.md']);
    // README.md made a link to code in a change of prose alone: not answered from `first`.
    writeFileSync(join(repo, 'src', 'fast.cjs'), 'exports.add = (a, b) => a - b;\n');
    const second = commit();
    unlinkSync(join(repo, 'README.md'));
    symlinkSync('src/fast.cjs', join(repo, 'README.md'));
    const third = commit();
    expect([...namedByCodeOfChange(repo, third, ['README.md'], second)(['README.md'])]).toEqual(['README.md']);
  });

  // Review: CLAUDE.md -> AGENTS.md, common where agents work, made every edit of AGENTS.md void the votes.
  test('a document linked from a document is prose until code names the link; a tree changed by edits alone keeps its parent\'s links', () => {
    const commit = () => {
      gitOk(repo, ['add', '-A']);
      gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
      return headSha(repo)!;
    };
    writeFileSync(join(repo, 'calc.mjs'), 'export const add = (a, b) => a + b;\n');
    writeFileSync(join(repo, 'AGENTS.md'), 'be careful\n');
    symlinkSync('AGENTS.md', join(repo, 'CLAUDE.md'));
    const first = commit();
    expect([...proseNamedByCodeAt(repo, first, ['AGENTS.md', 'CLAUDE.md'])]).toEqual([]);
    writeFileSync(join(repo, 'AGENTS.md'), 'be more careful\n');
    const second = commit();
    expect(changesWhatVotesRead(['AGENTS.md'], namedByCodeOfChange(repo, second, ['AGENTS.md'], first, [{ status: 'M', paths: ['AGENTS.md'] }]))).toBe(false);
    // Code that loads the link makes what it leads to code.
    writeFileSync(join(repo, 'calc.mjs'), "export const add = require('./CLAUDE.md');\n");
    const third = commit();
    expect([...proseNamedByCodeAt(repo, third, ['AGENTS.md'])]).toEqual(['AGENTS.md']);
    // A change that adds a file may add a link: its tree's links are read, not taken from the parent's.
    unlinkSync(join(repo, 'CLAUDE.md'));
    writeFileSync(join(repo, 'calc.mjs'), 'export const add = (a, b) => a + b;\n');
    const fourth = commit();
    symlinkSync('AGENTS.md', join(repo, 'src.cjs'));
    const fifth = commit();
    expect([...namedByCodeOfChange(repo, fifth, ['src.cjs'], fourth, [{ status: 'A', paths: ['src.cjs'] }])(['AGENTS.md'])]).toEqual(['AGENTS.md']);
  });

  // Attack (cheats/doc-named-code.test.ts, skeptic-chain-kernel): src/calc.mjs loads
  // docs/loader.txt, which loads ../KERNEL.txt; the only file naming KERNEL.txt was a document,
  // whose matches counted for nothing, and the skeptic's mark moved over its rewrite.
  test('a document named by a document that code names is code, however long the chain; one no code reaches is prose', () => {
    mkdirSync(join(repo, 'src'));
    mkdirSync(join(repo, 'docs'));
    writeFileSync(join(repo, 'src', 'calc.mjs'), "export const { add } = require('../docs/loader.txt');\n");
    writeFileSync(join(repo, 'docs', 'loader.txt'), "module.exports = require('./step.txt');\n");
    writeFileSync(join(repo, 'docs', 'step.txt'), "module.exports = require('../KERNEL.txt');\n");
    writeFileSync(join(repo, 'KERNEL.txt'), 'exports.add = (a, b) => a + b; // KERNEL.txt\n');
    writeFileSync(join(repo, 'README.md'), 'See CHANGELOG.md and NOTES.md.\n');
    writeFileSync(join(repo, 'NOTES.md'), 'See README.md.\n');
    writeFileSync(join(repo, 'CHANGELOG.md'), '- first\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x']);
    const head = headSha(repo)!;
    expect([...proseNamedByCode(repo, head, ['KERNEL.txt', 'CHANGELOG.md', 'README.md', 'NOTES.md'])]).toEqual(['KERNEL.txt']);
    // The same once code names the README: what it names is code too.
    writeFileSync(join(repo, 'src', 'about.mjs'), "export const about = readFileSync('../README.md', 'utf8');\n");
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'y']);
    expect([...proseNamedByCode(repo, headSha(repo)!, ['CHANGELOG.md', 'NOTES.md'])].sort()).toEqual(['CHANGELOG.md', 'NOTES.md']);
    // A change of documents alone is answered from the tree before it only when no code reached
    // them there: docs/step.txt repointed at a new ../FAST.txt makes FAST.txt code.
    const before = headSha(repo)!;
    expect([...proseNamedByCodeAt(repo, before, ['FAST.txt'])]).toEqual([]);
    writeFileSync(join(repo, 'docs', 'step.txt'), "module.exports = require('../FAST.txt');\n");
    writeFileSync(join(repo, 'FAST.txt'), 'exports.add = (a, b) => a - b;\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'z']);
    expect([...namedByCodeOfChange(repo, headSha(repo)!, ['docs/step.txt', 'FAST.txt'], before)(['FAST.txt'])]).toEqual(['FAST.txt']);
  });
});

describe('what code reaches through links, and a tree\'s links from its parent\'s', () => {
  const links = (pairs: Record<string, string | undefined>) => new Map(Object.entries(pairs));
  const never = () => false;

  test('a document linked to a document is prose (CLAUDE.md -> AGENTS.md); a code link makes its target code, and a document link it reaches leads on', () => {
    expect([...reachedThroughLinks(['AGENTS.md', 'CLAUDE.md'], links({ 'CLAUDE.md': 'AGENTS.md' }), never)]).toEqual([]);
    // Named by code, the document link leads on to its target.
    expect([...reachedThroughLinks(['AGENTS.md'], links({ 'CLAUDE.md': 'AGENTS.md' }), (l) => l === 'CLAUDE.md')]).toEqual(['AGENTS.md']);
    // src/kernel.cjs is not prose: it leads to KERNEL.txt, and through the document link docs/a.md to NOTES.md.
    const chain = links({ 'src/kernel.cjs': 'docs/a.md', 'docs/a.md': 'NOTES.md', 'README.md': 'docs/guide.md' });
    const leadsOn = (l: string) => !isProseByPlace(l);
    expect([...reachedThroughLinks(['docs/a.md', 'NOTES.md', 'docs/guide.md', 'README.md'], chain, leadsOn)].sort()).toEqual(['NOTES.md', 'docs/a.md']);
    // A document that is itself a link to code, or to outside the tree, is code; a link to the top from code reaches every document.
    expect([...reachedThroughLinks(['README.md', 'GUIDE.md'], links({ 'README.md': 'src/fast.cjs', 'GUIDE.md': undefined }), never)].sort()).toEqual(['GUIDE.md', 'README.md']);
    expect([...reachedThroughLinks(['NOTES.md', 'docs/x.md'], links({ 'src/root': '' }), leadsOn)].sort()).toEqual(['NOTES.md', 'docs/x.md']);
  });

  test('a change of modified and deleted files keeps the parent\'s links (less the deleted); one that may add or retarget a link does not say', () => {
    const parent = links({ 'src/kernel.cjs': 'KERNEL.txt', 'CLAUDE.md': 'AGENTS.md' });
    expect(linksAfterChange(parent, [{ status: 'M', paths: ['work.txt'] }, { status: 'D', paths: ['CLAUDE.md'] }])).toEqual(links({ 'src/kernel.cjs': 'KERNEL.txt' }));
    for (const e of [{ status: 'A', paths: ['README.md'] }, { status: 'T', paths: ['README.md'] }, { status: 'M', paths: ['src/kernel.cjs'] }, { status: 'R100', paths: ['a.md', 'b.md'] }, { status: 'C90', paths: ['a.md', 'b.md'] }]) {
      expect(linksAfterChange(parent, [e])).toBeUndefined();
    }
  });
});
