/**
 * `down` (and `up`, `status`, `report`) publish the run's commits into the user's repository as
 * peers/<project>, and tell the user to `git log -p` it. git prints a commit's message and its
 * author and committer names as they are: a peer that put terminal escape sequences there (clear
 * the screen, retitle the window, OSC 52 to the clipboard) reached the user's terminal through
 * their own git. SECURITY.md, "Results come back as a branch".
 */
import { afterEach, beforeEach, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observedHead } from '../../../src/git/observer.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { describePublish, publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';

setDefaultTimeout(60_000);

let root: string;
let repo: string;
let paths: StatePaths;
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, args: string[], env: NodeJS.ProcessEnv = ENV) => {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const peerCommit = (file: string, msg: string, env: NodeJS.ProcessEnv = ENV) => {
  if (!existsSync(join(paths.clone, file))) writeFileSync(join(paths.clone, file), `${file}\n`);
  git(paths.clone, ['add', file]);
  git(paths.clone, ['commit', '-q', '--cleanup=verbatim', '-m', msg], env);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  return git(paths.clone, ['rev-parse', 'HEAD']).trim();
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-publish-terminal-'));
  repo = join(root, 'app');
  git(root, ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), '# app\n');
  git(repo, ['add', 'README.md']);
  git(repo, ['commit', '-qm', 'readme']);
  paths = statePaths(join(root, 'state'));
  prepareRunClone(repo, paths);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('a commit whose message or author name holds terminal escape sequences is not published into the user\'s repository', () => {
  peerCommit('a.txt', 'honest work');
  const bad = peerCommit('b.txt', 'fix parser\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J\x1b[Hall tests pass');
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain(bad.slice(0, 10));
  expect(pub.note).toContain('control character');
  expect(describePublish(pub)).not.toContain('\x1b');
  expect(spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/peers/app'], { cwd: repo }).status).not.toBe(0);
  // The run keeps it: the mirror still has it, for the operator to look at knowingly.
  expect(observedHead(paths.mirror)).toBe(bad);
});

test('an author name with an escape sequence is refused the same way; a clean history is published', () => {
  const clean = peerCommit('a.txt', 'honest work\n\nwith a body\tand a tab');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: clean });
  peerCommit('b.txt', 'more', { ...ENV, GIT_AUTHOR_NAME: 'bob\x1b]0;owned\x07' });
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('control character');
  expect(git(repo, ['rev-parse', 'peers/app']).trim()).toBe(clean);
});

test('a .mailmap that maps an author to a name with an escape sequence is not published', () => {
  // git log shows mapped names (log.mailmap): the commit's own fields are clean.
  writeFileSync(join(paths.clone, '.mailmap'), 'T\x1b]52;c;cm0gLXJmIH4K\x07 <t@t>\n');
  peerCommit('.mailmap', 'names');
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('.mailmap');
});

/**
 * What the user's own git does with the run's tree at checkout or merge: a `.gitattributes` that
 * routes files through a filter the user has configured (git-lfs installs `filter.lfs.*` globally),
 * with a `.lfsconfig` naming the peers' own server, makes the user's git-lfs fetch content at
 * checkout that was never in the reviewed history (`git log -p` shows a pointer); a changed
 * `.gitmodules` or submodule commit makes `git submodule update` fetch another. Played here with
 * a stand-in for git-lfs's smudge filter that records what it was asked to fetch.
 */
test('a run that adds a filter the user has a driver for to .gitattributes, with a .lfsconfig of its own, is not published; attributes that set no such filter are', () => {
  // The user has git-lfs (its install writes these into the global config).
  git(repo, ['config', 'filter.lfs.smudge', 'git-lfs smudge -- %f']);
  // Control: attributes that set no filter, or one no driver of the user's runs, are published.
  writeFileSync(join(paths.clone, '.gitattributes'), '*.sh text eol=lf\n*.p filter=nobody-has-this\n');
  peerCommit('.gitattributes', 'line endings');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true });
  writeFileSync(join(paths.clone, '.lfsconfig'), '[lfs]\n\turl = https://peers-own.example/lfs\n');
  writeFileSync(join(paths.clone, '.gitattributes'), '*.sh text eol=lf\n*.p filter=nobody-has-this\n*.sh filter=lfs diff=lfs merge=lfs -text\n');
  writeFileSync(join(paths.clone, 'setup.sh'), 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12\n');
  git(paths.clone, ['add', '.lfsconfig', '.gitattributes']);
  const head = peerCommit('setup.sh', 'add setup script');
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('.gitattributes');
  expect(pub.note).toContain('.lfsconfig');
  // Before, the branch moved and the user's own filter ran on the peers' files at checkout.
  const marker = join(root, 'smudged');
  spawnSync('git', ['-c', `filter.lfs.smudge=cat >/dev/null; git config -f .lfsconfig lfs.url >> ${marker}; echo`, '-c', 'filter.lfs.required=true', 'checkout', '-q', 'peers/app'], { cwd: repo, env: ENV });
  expect(spawnSync('test', ['-e', marker]).status, 'the user\'s filter ran on the run\'s files').not.toBe(0);
  expect(observedHead(paths.mirror)).toBe(head);
});

test('a run that changes .gitmodules is not published', () => {
  writeFileSync(join(paths.clone, '.gitmodules'), '[submodule "lib"]\n\tpath = lib\n\turl = https://peers-own.example/lib.git\n');
  peerCommit('.gitmodules', 'vendor lib');
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('.gitmodules');
});

/**
 * The same class through the user's other drivers: a `diff.<d>.textconv` (`exiftool` for images is a
 * common one) or `diff.<d>.command` runs at `git log -p peers/app`, the very command peers tells the
 * user to run, and a `merge.<d>.driver` at `git merge peers/app`. A run that adds `diff=<d>` or
 * `merge=<d>` for a driver the user has a program for chooses which of the user's programs reads
 * the peers' bytes (an exiftool had a code-execution bug on crafted images).
 */
test('a run that adds to .gitattributes a diff or merge driver the user has a program for is not published; a built-in diff= is', () => {
  const marker = join(root, 'textconv-ran');
  git(repo, ['config', 'diff.exif.textconv', `sh -c 'echo ran >> ${marker}; cat "$1"' -`]);
  git(repo, ['config', 'merge.keepmine.driver', `sh -c 'echo ran >> ${marker}; true'`]);
  // Control: a built-in funcname driver, and a driver nobody configured, publish as before.
  writeFileSync(join(paths.clone, '.gitattributes'), '*.py diff=python\n*.x diff=nobody-has-this merge=nor-this\n');
  peerCommit('.gitattributes', 'python hunks');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true });
  for (const [line, driver] of [['*.txt diff=exif', 'diff=exif'], ['*.txt merge=keepmine', 'merge=keepmine']] as const) {
    writeFileSync(join(paths.clone, '.gitattributes'), `*.py diff=python\n*.x diff=nobody-has-this merge=nor-this\n${line}\n`);
    git(paths.clone, ['add', '.gitattributes']);
    peerCommit(`crafted-${driver.replace('=', '-')}.txt`, 'add a file');
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain(driver);
    // Before, the branch moved and `git log -p peers/app` ran the user's textconv on the run's file.
    spawnSync('git', ['log', '-p', '-1', 'peers/app'], { cwd: repo, env: ENV });
    expect(existsSync(marker), "the user's textconv ran on the run's file").toBe(false);
    git(paths.clone, ['reset', '-q', '--hard', 'HEAD~1']);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  }
});

/**
 * On a case-insensitive filesystem (macOS's default), git opening `.gitattributes`, `.lfsconfig` or
 * `.gitmodules` in the user's working tree opens a `.GitAttributes` the run committed: once the
 * branch is merged, the user's `git log -p` and `git diff` route files through what it says. The
 * names are compared as such a filesystem compares them.
 */
test('a run that adds the filter or driver in a .GitAttributes (another case) is not published either', () => {
  git(repo, ['config', 'filter.lfs.smudge', 'git-lfs smudge -- %f']);
  git(repo, ['config', 'diff.exif.textconv', 'exiftool']);
  for (const [file, text, named] of [['.GitAttributes', '*.txt diff=exif\n', 'diff=exif'], ['docs/.GITATTRIBUTES', '*.sh filter=lfs\n', 'filter=lfs'], ['.LfsConfig', '[lfs]\n\turl = https://peers-own.example/lfs\n', '.lfsconfig'], ['.GitModules', '[submodule "x"]\n\tpath = x\n\turl = https://peers-own.example/x.git\n', '.gitmodules']] as const) {
    if (file.includes('/')) spawnSync('mkdir', ['-p', join(paths.clone, 'docs')]);
    writeFileSync(join(paths.clone, file), text);
    peerCommit(file, `add ${file}`);
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated, file).toBe(false);
    expect(pub.note).toContain(named);
    git(paths.clone, ['reset', '-q', '--hard', 'HEAD~1']);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  }
});

/**
 * git before 2.32 follows a `.gitattributes` (or `.mailmap`) that is a symbolic link, and the
 * mirror's fsck only warns of one: a run that committed `.gitattributes -> docs/attrs.txt`, the
 * filter in `docs/attrs.txt`, was published, its check having read the link's target name.
 */
test('a run that makes .gitattributes or .mailmap a symbolic link is not published', () => {
  git(repo, ['config', 'filter.lfs.smudge', 'git-lfs smudge -- %f']);
  for (const [link, target, text] of [['.gitattributes', 'docs/attrs.txt', '*.sh filter=lfs\n'], ['sub/.gitattributes', '../docs/attrs.txt', '*.sh filter=lfs\n'], ['.mailmap', 'docs/people.txt', 'Evil <e@e> <t@t>\n']] as const) {
    spawnSync('mkdir', ['-p', join(paths.clone, 'docs'), join(paths.clone, 'sub')]);
    writeFileSync(join(paths.clone, link.startsWith('sub/') ? 'docs/attrs.txt' : target), text);
    symlinkSync(target, join(paths.clone, link));
    git(paths.clone, ['add', '-A']);
    peerCommit(link, `add ${link}`);
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated, link).toBe(false);
    expect(pub.note).toContain('symbolic link');
    git(paths.clone, ['reset', '-q', '--hard', 'HEAD~1']);
    git(paths.clone, ['clean', '-qfdx']);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  }
});

/**
 * A macro names a driver without `filter=` on the line: with `[attr]lfsfile filter=lfs diff=lfs
 * merge=lfs -text` in the user's .gitattributes, a run that adds `*.sh lfsfile` routes its scripts
 * through the user's git-lfs as surely as `*.sh filter=lfs` (the check looked for `filter=` only).
 */
test('a run that routes files through the user\'s filter by a macro of the user\'s .gitattributes is not published; its unchanged lines publish', () => {
  writeFileSync(join(repo, '.gitattributes'), '[attr]lfsfile filter=lfs diff=lfs merge=lfs -text\n*.psd lfsfile\n');
  git(repo, ['add', '.gitattributes']);
  git(repo, ['commit', '-qm', 'lfs macro']);
  git(repo, ['config', 'filter.lfs.smudge', 'git-lfs smudge -- %f']);
  paths = statePaths(join(root, 'state-macro'));
  prepareRunClone(repo, paths);
  peerCommit('a.txt', 'honest work');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true });
  writeFileSync(join(paths.clone, '.gitattributes'), '[attr]lfsfile filter=lfs diff=lfs merge=lfs -text\n*.psd lfsfile\n*.sh lfsfile\n');
  peerCommit('.gitattributes', 'scripts too');
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('filter=lfs');
  expect(pub.note).toContain('*.sh lfsfile');
});

test("a macro of the user's own attributes files (core.attributesFile, info/attributes) counts too", () => {
  git(repo, ['config', 'filter.lfs.smudge', 'git-lfs smudge -- %f']);
  const globalAttributes = join(root, 'global-attributes');
  writeFileSync(globalAttributes, '[attr]lfsfile filter=lfs -text\n');
  git(repo, ['config', 'core.attributesFile', globalAttributes]);
  writeFileSync(join(repo, '.git', 'info', 'attributes'), '[attr]textconvd diff=exif\n');
  git(repo, ['config', 'diff.exif.textconv', 'exiftool']);
  for (const line of ['*.sh lfsfile', '*.txt textconvd']) {
    writeFileSync(join(paths.clone, '.gitattributes'), `${line}\n`);
    peerCommit('.gitattributes', 'attributes');
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated, line).toBe(false);
    expect(pub.note).toContain(line);
    git(paths.clone, ['reset', '-q', '--hard', 'HEAD~1']);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  }
});

// With `core.quotePath=false` (common where file names are not ASCII) git prints every byte of a
// path past ASCII as it is: `git log --stat peers/app` wrote a C1 CSI (U+009B) to the terminal, and
// a right-to-left override showed `src/a<U+202E>sj.tset` as another name. C0 controls are quoted
// by git whatever the setting, and names in other scripts are text.
test('a file name holding a C1 control or a bidi override is not published; an accented or CJK name is', () => {
  const clean = peerCommit('café-文档.txt', 'honest work');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: clean });
  for (const name of ['a\u009b2Jb.txt', 'src-a\u202esj.tset']) {
    const bad = peerCommit(name, 'more work');
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain(bad.slice(0, 10));
    expect(pub.note).toContain(`file name holds a control character U+${name.codePointAt(name.search(/[\u009b\u202e]/))!.toString(16).toUpperCase().padStart(4, '0')},`);
    expect(describePublish(pub)).not.toMatch(/[\u009b\u202e]/);
    expect(git(repo, ['rev-parse', 'peers/app']).trim()).toBe(clean);
    git(paths.clone, ['reset', '-q', '--hard', clean]);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  }
});

// Bytes that are not UTF-8 reach the terminal as they are too: git prints a message's bytes, and a
// name's past ASCII where core.quotePath is off, and a terminal not in UTF-8 (Latin-1, or 8-bit
// controls on) reads a raw 0x9B as CSI. Decoded as UTF-8 they read as U+FFFD, which no check of
// control characters saw.
test('a raw 0x9B byte (not UTF-8) in a commit message or a file name is not published', () => {
  const clean = peerCommit('a.txt', 'honest work');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: clean });
  // `git commit` and `commit-tree` take bytes that are not UTF-8 as Latin-1 and store U+009B;
  // a commit object written as bytes keeps the raw byte.
  const tree = git(paths.clone, ['rev-parse', 'HEAD^{tree}']).trim();
  const object = join(root, 'commit-object');
  writeFileSync(object, Buffer.concat([Buffer.from(`tree ${tree}\nparent ${clean}\nauthor T <t@t> 1700000000 +0000\ncommitter T <t@t> 1700000000 +0000\n\nfix parser`), Buffer.from([0x9b]), Buffer.from('2J all tests pass\n')]));
  const raw = git(paths.clone, ['hash-object', '-t', 'commit', '-w', object]).trim();
  git(paths.clone, ['reset', '-q', '--hard', raw]);
  expect(spawnSync('git', ['cat-file', 'commit', raw], { cwd: paths.clone }).stdout.includes(Buffer.from([0x9b]))).toBe(true);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  let pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('holds bytes that are not UTF-8 (a terminal not in UTF-8 reads some as control characters) in its message');
  git(paths.clone, ['reset', '-q', '--hard', clean]);
  writeFileSync(Buffer.concat([Buffer.from(`${paths.clone}/a`), Buffer.from([0x9b]), Buffer.from('2Jb.txt')]), 'x\n');
  git(paths.clone, ['add', '-A']);
  git(paths.clone, ['commit', '-q', '-m', 'more work']);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('adds a file whose file name holds bytes that are not UTF-8');
  expect(git(repo, ['rev-parse', 'peers/app']).trim()).toBe(clean);
});
