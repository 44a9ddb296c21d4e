/**
 * `peers init` in checkouts shaped by the user's git setup, which a plain clone does not have: a
 * sparse checkout (the project's files are in HEAD but not on disk) and `.gitattributes` line-ending
 * rules (the working tree's text is CRLF, HEAD's blob LF).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

/** A node project with a .gitignore of the user's, committed; `extra` files beside it. */
function nodeProject(name: string, extra: Record<string, string> = {}): string {
  const repo = makeRepo(sb.root, name);
  mkdirSync(join(repo, 'test'));
  mkdirSync(join(repo, 'src'));
  const files: Record<string, string> = {
    '.gitignore': 'node_modules/\n',
    'package.json': JSON.stringify({ name, version: '1.0.0', scripts: { test: 'node --test' } }),
    'test/a.test.js': 'require("node:test")("ok", () => {});\n',
    'src/index.js': 'module.exports = 1;\n',
    ...extra,
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(repo, file), text);
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', 'the project']);
  return repo;
}

describe('peers init in a sparse checkout', () => {
  test("proposes the gates of HEAD's whole tree (what verify and the run judge), says why, and leaves the user's .gitignore and sparse working tree as they were", () => {
    const repo = nodeProject('sparse-lib');
    // Only src/ on disk (non-cone patterns leave out the top's files too).
    gitIn(repo, ['sparse-checkout', 'set', '--no-cone', '/src/']);
    expect(existsSync(join(repo, 'package.json'))).toBe(false);
    expect(existsSync(join(repo, '.gitignore'))).toBe(false);

    const res = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Found a node project; proposed:\n  gate tests-pass: npm test');
    expect(res.stdout).toContain('note: this is a sparse checkout: init read the project from HEAD');
    expect((parse(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')) as { goals: Array<{ id: string }> }).goals.map((g) => g.id)).toContain('tests-pass');

    // The commit is HEAD's .gitignore plus the line; the user's line survives everywhere.
    expect(gitIn(repo, ['show', 'HEAD:.gitignore'])).toBe('node_modules/\n.peers/');
    expect(gitIn(repo, ['show', ':.gitignore'])).toBe('node_modules/\n.peers/');
    // Nothing materialised outside the sparse set, nothing to commit, .peers/ ignored.
    expect(existsSync(join(repo, '.gitignore'))).toBe(false);
    expect(gitIn(repo, ['ls-files', '-v', '--', '.gitignore'])).toBe('S .gitignore');
    expect(gitIn(repo, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });
});

describe('peers init with line-ending rules', () => {
  test('a .gitignore checked out with CRLF (eol=crlf) gets the .peers/ line with CRLF too; HEAD keeps LF', () => {
    const repo = nodeProject('crlf-lib', { '.gitattributes': '* text=auto eol=crlf\n' });
    // The checkout as git makes it under the rule: CRLF on disk.
    gitIn(repo, ['rm', '-q', '--cached', '-r', '.']);
    gitIn(repo, ['reset', '-q', '--hard']);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('node_modules/\r\n');

    const res = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('node_modules/\r\n.peers/\r\n');
    expect(gitIn(repo, ['cat-file', 'blob', 'HEAD:.gitignore'])).toBe('node_modules/\n.peers/');
    expect(gitIn(repo, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });
});

describe('peers init in a clone of a repository that commits its .peers/ (a team sharing its gates)', () => {
  test('says the project is set up already and what to run, not only that --force deletes the files', () => {
    const repo = nodeProject('team-lib');
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers/config.yaml'), 'peers: []\n');
    gitIn(repo, ['add', '-f', '.peers/config.yaml']);
    gitIn(repo, ['commit', '-q', '-m', 'share the gates']);
    const res = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`peers: ${join(repo, '.peers')} already exists, committed to this repository (a configuration shared in git)`);
    expect(res.stderr).toContain('hint: it is set up already: `peers verify`, then `peers up`; `peers init --force` would replace the committed files (this deletes .peers/ and its contents)');
    expect(readFileSync(join(repo, '.peers/config.yaml'), 'utf8')).toBe('peers: []\n');
  });
});

describe('peers init where the project ignores a file it proposes from', () => {
  test('a lockfile in .gitignore (a library that does not commit it) is not there for verify or the run: setup is npm install, and no "commit them" advice that git add -A cannot follow', () => {
    const repo = nodeProject('ignoring-lib', { '.gitignore': 'node_modules/\npackage-lock.json\n' });
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'ignoring-lib', version: '1.0.0', scripts: { test: 'node --test' }, devDependencies: { ms: '2.1.3' } }));
    gitIn(repo, ['commit', '-q', '-am', 'a dependency']);
    writeFileSync(join(repo, 'package-lock.json'), '{"lockfileVersion":3}\n'); // npm install wrote it; git ignores it
    mkdirSync(join(repo, 'node_modules'));
    const res = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('  setup: npm install --no-audit --no-fund\n');
    expect(res.stdout).not.toContain('setup: npm ci');
    expect(res.stdout).not.toContain('not committed');
    expect(res.stdout).toContain('note: no package-lock.json: setup is `npm install`');
  });
});
