/**
 * The whole class of "git runs a program or reads a file because the repository says so", planted
 * by a peer in its repository, against every place peers runs git on what a peer wrote
 * (SECURITY.md, "The user's repository, the run clone and the trusted observer"): the loop's import
 * and its reads of the mirror, the gates' checkout, the host commands' read-only view (`verify`,
 * `bugs`, `report` without a run), `peers check` on the peers' tree, the codemap and recon the loop
 * writes, and publishing the run's branch into the user's repository with the user's own git
 * reading it afterwards.
 *
 * Each planted program leaves a marker file; each file outside the tree a trap names (a "secret"
 * and another repository's git dir) has its access time set before its modification time, so any
 * read of its content moves it (relatime). Per case and entry point: no marker appears and no
 * access time moves. An entry point may refuse a tampered repository (that is the neutralising);
 * it never follows it. The traps are shown live at the end: plain git in the peers' clone fires
 * them.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../../src/git/git.ts';
import { openView, withObservedWorkTree } from '../../../src/git/observed-view.ts';
import { observedHead } from '../../../src/git/observer.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { listProjectFiles } from '../../../src/git/repo-files.ts';
import { withCleanCheckout } from '../../../src/gates/clean-checkout.ts';
import { prepareRunContext } from '../../../src/recon/run-context.ts';
import { trackedFiles } from '../../../src/loop/shell/run-places.ts';
import { statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';

setDefaultTimeout(120_000);

let root: string;
let marks: string;
let secret: string;
let outside: string;
const ID_ENV = { GIT_AUTHOR_NAME: 'P', GIT_AUTHOR_EMAIL: 'p@p', GIT_COMMITTER_NAME: 'P', GIT_COMMITTER_EMAIL: 'p@p' };
/** The test's environment before any case changes it (the user's shell of the last case is not the user's git's). */
const BASE_ENV = { ...process.env };
/** The peer's own git (or the user's): plain, as a person types it, no peers flags. */
const plain = (cwd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync('git', args, { cwd, env: { ...BASE_ENV, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_PAGER: '', ...ID_ENV, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};
const plainOk = (cwd: string, args: string[]) => {
  const r = plain(cwd, ['-c', 'core.hooksPath=/dev/null', ...args]);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const pay = (name: string) => `touch ${marks}/${name}; `;
const markers = () => readdirSync(marks);

/** Files outside every tree a trap points at: their content must never be read. */
const watched = () => [secret, join(outside, '.git', 'HEAD'), join(outside, '.git', 'config'), join(outside, '.git', 'packed-refs'), join(outside, 'outside.txt')];
/** atime before mtime: under relatime the next read of the content moves atime. */
function arm(): void {
  for (const f of watched()) utimesSync(f, new Date(1_000_000_000), new Date(1_500_000_000_000));
}
const readOnes = () => watched().filter((f) => statSync(f).atimeMs !== 1_000_000_000);

type Ctx = { paths: StatePaths; clone: string; user: string };

/** Everything configuration can make git run or read, at once (none of it stops git from working). */
function plantConfig(c: Ctx): void {
  const d = c.clone;
  writeFileSync(join(d, '.gitattributes'), '* diff=pwn merge=pwn filter=pwn ident export-subst\n*.p filter=pwnp\n*.u16 working-tree-encoding=UTF-16LE\n');
  writeFileSync(join(d, 'data.p'), 'process-filtered\n');
  writeFileSync(join(d, 'keyword.txt'), '$Id$ $Format:%H$\n');
  mkdirSync(join(d, '.git', 'info'), { recursive: true });
  writeFileSync(join(d, '.git', 'info', 'attributes'), '* diff=pwn filter=pwn\n');
  writeFileSync(join(d, 'evil.gitconfig'), `[core]\n\tpager = "${pay('include-pager')}cat"\n\tfsmonitor = "${pay('include-fsmonitor')}true"\n[diff "pwn"]\n\ttextconv = "${pay('include-textconv')}cat"\n`);
  writeFileSync(join(d, '.gitmodules'), `[submodule "sub"]\n\tpath = sub\n\turl = ext::sh -c ${marks}/submodule-ext\n`);
  mkdirSync(join(d, 'tracked-hooks'), { recursive: true });
  mkdirSync(join(d, '.git', 'hooks'), { recursive: true });
  for (const h of ['pre-commit', 'post-commit', 'post-checkout', 'post-merge', 'reference-transaction', 'post-index-change', 'pre-auto-gc', 'fsmonitor-watchman', 'push-to-checkout', 'pre-push']) {
    for (const dir of ['tracked-hooks', '.git/hooks']) {
      writeFileSync(join(d, dir, h), `#!/bin/sh\n${pay(`hook-${h}`)}\nexit 0\n`);
      chmodSync(join(d, dir, h), 0o755);
    }
  }
  // A tracked file that is a link out (recon and codemap read the tree's files themselves).
  symlinkSync(join(outside, 'outside.txt'), join(d, 'linked.js'));
  plainOk(d, ['add', '-A']);
  plainOk(d, ['commit', '-q', '--no-verify', '-m', 'tools']);
  plainOk(d, ['notes', '--ref=peers-attest', 'add', '-f', '-m', 'forged', 'HEAD']);
  // (`update = !command` in .gitmodules never gets this far: the mirror's fsck refuses the commit.)
  const set: [string, string][] = [
    ['core.fsmonitor', `${pay('fsmonitor')}true`],
    ['core.hooksPath', 'tracked-hooks'],
    ['core.pager', `${pay('pager')}cat`],
    ['pager.log', `${pay('pager-log')}cat`],
    ['pager.diff', `${pay('pager-diff')}cat`],
    ['pager.blame', `${pay('pager-blame')}cat`],
    ['core.editor', `${pay('editor')}true`],
    ['sequence.editor', `${pay('sequence-editor')}true`],
    ['core.sshCommand', `${pay('ssh')}true`],
    ['core.askPass', `${pay('askpass')}true`],
    ['core.alternateRefsCommand', `${pay('alternate-refs')}true`],
    ['core.gitProxy', `${marks}/git-proxy-program`],
    ['core.excludesFile', secret],
    ['core.attributesFile', secret],
    ['diff.external', `${pay('diff-external')}true`],
    ['diff.pwn.textconv', `${pay('textconv')}cat`],
    ['diff.pwn.command', `${pay('diff-command')}true`],
    ['merge.pwn.driver', `${pay('merge-driver')}true`],
    ['filter.pwn.clean', `${pay('filter-clean')}cat`],
    ['filter.pwn.smudge', `${pay('filter-smudge')}cat`],
    ['filter.pwnp.process', `${pay('filter-process')}false`],
    ['credential.helper', `!${pay('credential')}true`],
    ['log.showSignature', 'true'],
    ['gpg.program', `${marks}/gpg-program`],
    ['gpg.ssh.program', `${marks}/gpg-ssh-program`],
    ['gpg.format', 'ssh'],
    ['alias.pwn', `!${pay('alias')}true`],
    ['include.path', '../evil.gitconfig'],
    ['includeIf.gitdir:/.path', '../evil.gitconfig'],
    ['uploadpack.packObjectsHook', `${pay('pack-objects-hook')}git`],
    ['remote.origin.url', `ext::sh -c ${marks}/remote-ext`],
    ['remote.origin.uploadpack', `${pay('uploadpack')}git-upload-pack`],
    ['remote.origin.receivepack', `${pay('receivepack')}git-receive-pack`],
    ['protocol.ext.allow', 'always'],
    ['protocol.allow', 'always'],
    [`url.ext::sh -c ${marks}/insteadof-ext #.insteadOf`, '/'],
    ['safe.directory', '*'],
    ['submodule.recurse', 'true'],
    ['fetch.recurseSubmodules', 'true'],
    ['submodule.sub.update', `!${pay('submodule-config-update')}true`],
    ['status.showUntrackedFiles', 'all'],
    ['notes.displayRef', 'refs/notes/*'],
    ['grep.patternType', 'perl'],
    ['blame.ignoreRevsFile', secret],
    ['mailmap.file', secret],
    ['commit.template', secret],
    ['interactive.diffFilter', `${pay('diff-filter')}cat`],
    ['core.untrackedCache', 'true'],
  ];
  for (const [k, v] of set) plainOk(d, ['config', '--add', k, v]);
  for (const p of ['git-proxy-program', 'gpg-program', 'gpg-ssh-program', 'remote-ext', 'insteadof-ext', 'submodule-ext']) {
    writeFileSync(join(marks, p), `#!/bin/sh\ntouch ${marks}/${p}-ran\nexit 1\n`);
    chmodSync(join(marks, p), 0o755);
  }
}

/** Writers held open on planted FIFOs (the test's own processes, killed by pid after each case). */
const watchers: number[] = [];
/**
 * A FIFO at `path` whose opening leaves the marker `name`: a writer waits on it, and a reader's
 * open (git's, which would block forever with no writer) lets it through, then reads end of file.
 */
function fifoTrap(path: string, name: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  spawnSync('mkfifo', [path]);
  const w = spawn('sh', ['-c', 'while :; do { touch "$2"; } 3>"$1"; done', 'fifo-watcher', path, join(marks, name)], { stdio: 'ignore' });
  watchers.push(w.pid!);
}
function stopWatchers(): void {
  for (const pid of watchers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/** One layout trap each: they stop git working, so they are planted one at a time. */
const layoutTraps: [string, (c: Ctx) => void][] = [
  ['.git as a file: gitdir: another repository', (c) => {
    rmSync(join(c.clone, '.git'), { recursive: true, force: true });
    writeFileSync(join(c.clone, '.git'), `gitdir: ${join(outside, '.git')}\n`);
  }],
  ['.git/commondir naming another repository', (c) => writeFileSync(join(c.clone, '.git', 'commondir'), `${join(outside, '.git')}\n`)],
  ['objects/info/alternates naming another store', (c) => {
    mkdirSync(join(c.clone, '.git', 'objects', 'info'), { recursive: true });
    writeFileSync(join(c.clone, '.git', 'objects', 'info', 'alternates'), `${join(outside, '.git', 'objects')}\n`);
  }],
  ['info/grafts and info/attributes as links out', (c) => {
    mkdirSync(join(c.clone, '.git', 'info'), { recursive: true });
    writeFileSync(join(c.clone, '.git', 'info', 'grafts'), `${plainOk(c.clone, ['rev-parse', 'HEAD']).trim()}\n`);
    symlinkSync(secret, join(c.clone, '.git', 'info', 'attributes'));
  }],
  ['shallow as a link out', (c) => symlinkSync(secret, join(c.clone, '.git', 'shallow'))],
  ['packed-refs as a link to another repository\'s', (c) => {
    rmSync(join(c.clone, '.git', 'packed-refs'), { force: true });
    symlinkSync(join(outside, '.git', 'packed-refs'), join(c.clone, '.git', 'packed-refs'));
  }],
  ['HEAD as a link to another repository\'s', (c) => {
    rmSync(join(c.clone, '.git', 'HEAD'));
    symlinkSync(join(outside, '.git', 'HEAD'), join(c.clone, '.git', 'HEAD'));
  }],
  ['HEAD naming a ref with .. out of the git dir', (c) => writeFileSync(join(c.clone, '.git', 'HEAD'), `ref: refs/heads/../../../../${outside.slice(1)}/.git/refs/heads/main\n`)],
  ['a refs directory linked to another repository\'s', (c) => {
    rmSync(join(c.clone, '.git', 'refs', 'heads'), { recursive: true, force: true });
    symlinkSync(join(outside, '.git', 'refs', 'heads'), join(c.clone, '.git', 'refs', 'heads'));
  }],
  ['FIFOs where git opens working-tree files: .gitattributes, .gitignore, .mailmap, a nested .git/HEAD', (c) => {
    fifoTrap(join(c.clone, '.gitattributes'), 'fifo-gitattributes');
    fifoTrap(join(c.clone, 'sub', '.gitignore'), 'fifo-gitignore');
    fifoTrap(join(c.clone, '.mailmap'), 'fifo-mailmap');
    mkdirSync(join(c.clone, 'nested', '.git', 'objects'), { recursive: true });
    mkdirSync(join(c.clone, 'nested', '.git', 'refs'), { recursive: true });
    fifoTrap(join(c.clone, 'nested', '.git', 'HEAD'), 'fifo-nested-head');
  }],
  ['an untracked nested repository whose .git names another', (c) => {
    mkdirSync(join(c.clone, 'nested'), { recursive: true });
    writeFileSync(join(c.clone, 'nested', '.git'), `gitdir: ${join(outside, '.git')}\n`);
  }],
  ['core.worktree naming a directory outside', (c) => plainOk(c.clone, ['config', 'core.worktree', outside])],
  ['core.bare = true', (c) => plainOk(c.clone, ['config', 'core.bare', 'true'])],
  ['extensions.worktreeConfig with a config.worktree of commands', (c) => {
    plainOk(c.clone, ['config', 'core.repositoryformatversion', '1']);
    plainOk(c.clone, ['config', 'extensions.worktreeConfig', 'true']);
    writeFileSync(join(c.clone, '.git', 'config.worktree'), `[core]\n\tfsmonitor = "${pay('worktree-fsmonitor')}true"\n\tpager = "${pay('worktree-pager')}cat"\n[diff]\n\texternal = "${pay('worktree-diff-external')}true"\n`);
  }],
  ['extensions.objectFormat = sha256 on a sha1 store', (c) => {
    plainOk(c.clone, ['config', 'core.repositoryformatversion', '1']);
    plainOk(c.clone, ['config', 'extensions.objectFormat', 'sha256']);
  }],
  ['tracked .mailmap, .gitignore and .gitattributes as links out', (c) => {
    for (const f of ['.mailmap', '.gitignore', '.gitattributes']) symlinkSync(secret, join(c.clone, f));
    plainOk(c.clone, ['add', '-A']);
    plainOk(c.clone, ['commit', '-q', '--no-verify', '-m', 'links']);
  }],
];

/** Traps committed into the history: every entry point reads them (through the mirror too). */
const contentTraps: [string, (c: Ctx) => void][] = [
  ['config keys, attributes, hooks and includes', plantConfig],
];

/**
 * Each place peers runs git on what the peers wrote; a refusal (throw) is allowed, following is not.
 * The flag: whether it opens the peers' clone itself (a layout trap reaches only those; the others
 * read the mirror, whose content only a committed trap changes).
 */
const entryPoints: [string, boolean, (c: Ctx) => Promise<unknown> | unknown][] = [
  ['the loop: importing the clone into the mirror', true, (c) => {
    new RunObserver({ workDir: c.clone, mirror: c.paths.mirror, stage: c.paths.stage, lenient: false }).sync();
  }],
  ['the loop\'s reads of the mirror', false, (c) => {
    const m = c.paths.mirror;
    for (const args of [['log', '-p', '--stat', '-3'], ['diff', 'refs/peers/base', 'HEAD'], ['show', 'HEAD'], ['log', '-z', '--name-status', 'refs/peers/base..HEAD'], ['grep', '-n', 'x', 'HEAD'], ['notes', '--ref=peers-attest', 'list'], ['archive', '--format=tar', 'HEAD']]) git(m, args);
    for (const f of git(m, ['ls-tree', '-r', '--name-only', 'HEAD']).stdout.split('\n').filter(Boolean).slice(0, 20)) git(m, ['blame', '--porcelain', 'HEAD', '--', f]);
  }],
  ['the gates: a clean checkout of the mirror', false, async (c) => {
    const head = observedHead(c.paths.mirror);
    if (head) await withCleanCheckout(c.paths.mirror, head, async (dir) => readdirSync(dir));
  }],
  ['the loop: recon and codemap of the peers\' tree', true, (c) => {
    const observer = new RunObserver({ workDir: c.clone, mirror: c.paths.mirror, stage: c.paths.stage, lenient: false });
    prepareRunContext(c.clone, join(root, 'context'), { files: trackedFiles(observer) });
  }],
  ['verify, bugs, report: a view of the peers\' clone', true, (c) => {
    const view = mkdtempSync(join(root, 'view-'));
    try {
      openView(c.clone, join(view, 'v.git'));
      for (const args of [['log', '-p', '-3'], ['show', 'HEAD'], ['notes', '--ref=peers-attest', 'list']]) git(join(view, 'v.git'), args);
    } finally {
      rmSync(view, { recursive: true, force: true });
    }
  }],
  ['peers check on the peers\' clone', true, async (c) => {
    await withObservedWorkTree(c.clone, process.env, async () => {
      for (const args of [['log', '-p', '-3'], ['diff', 'HEAD~1', 'HEAD'], ['show', 'HEAD'], ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ['blame', '--porcelain', 'HEAD', '--', 'README.md'], ['status', '--porcelain'], ['diff'], ['grep', '-n', 'x'], ['notes', '--ref=peers-attest', 'list']]) git(c.clone, args);
      listProjectFiles(c.clone);
    });
  }],
  ['publishing the branch, and the user\'s own git on it', false, (c) => {
    publishRunBranch(c.user, c.paths, 'peers/app');
    for (const args of [['log', '-p', 'peers/app'], ['diff', 'main', 'peers/app'], ['show', 'peers/app']]) plain(c.user, args);
  }],
];

async function setUp(name: string): Promise<Ctx> {
  const dir = join(root, name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40));
  const user = join(dir, 'app');
  plainOk(root, ['init', '-q', '-b', 'main', user]);
  writeFileSync(join(user, 'README.md'), '# app\nx\n');
  plainOk(user, ['add', '-A']);
  plainOk(user, ['commit', '-q', '-m', 'base']);
  const paths = statePaths(join(dir, 'state'));
  prepareRunClone(user, paths);
  const c = { paths, clone: paths.clone, user };
  // The peers' work, imported the honest way first (so the mirror has something to read).
  writeFileSync(join(c.clone, 'work.js'), 'export const x = 1;\n');
  plainOk(c.clone, ['add', '-A']);
  plainOk(c.clone, ['commit', '-q', '--no-verify', '-m', 'work']);
  new RunObserver({ workDir: c.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  return c;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-planted-git-'));
  marks = join(root, 'marks');
  mkdirSync(marks);
  secret = join(root, 'secret');
  writeFileSync(secret, '[core]\n\tpager = cat\n# the user\'s secret\n');
  outside = join(root, 'other-repo');
  plainOk(root, ['init', '-q', '-b', 'main', outside]);
  writeFileSync(join(outside, 'outside.txt'), 'another repository\n');
  plainOk(outside, ['add', '-A']);
  plainOk(outside, ['commit', '-q', '-m', 'other']);
  plainOk(outside, ['pack-refs', '--all']);
  plainOk(outside, ['update-ref', 'refs/heads/main', 'HEAD']);
  plainOk(outside, ['config', 'core.fsmonitor', `${pay('outside-fsmonitor')}true`]);
});
afterAll(() => {
  stopWatchers();
  rmSync(root, { recursive: true, force: true });
});

describe('a peer plants code or a file read in its repository: no entry point runs or reads it', () => {
  const cases = [...layoutTraps.map(([t, p]) => [t, p, false] as const), ...contentTraps.map(([t, p]) => [t, p, true] as const)];
  for (const [trap, plant, content] of cases) {
    test(trap, async () => {
      const c = await setUp(trap);
      plant(c);
      for (const m of markers()) if (!m.endsWith('-program') && !m.endsWith('-ext')) rmSync(join(marks, m));
      const seen: string[] = [];
      for (const [where, readsClone, run] of entryPoints) {
        if (!content && !readsClone) continue;
        arm();
        try {
          await run(c);
        } catch {
          // A refusal is the neutralising; following is what is checked below.
        }
        const ran = markers().filter((m) => !m.endsWith('-program') && !m.endsWith('-ext'));
        const read = readOnes();
        if (ran.length || read.length) seen.push(`${where}: ran ${ran.join(',') || 'nothing'}; read ${read.join(',') || 'nothing'}`);
        for (const m of ran) rmSync(join(marks, m));
      }
      stopWatchers();
      expect(seen).toEqual([]);
    });
  }

  test('GIT_* variables of the user\'s shell steer no entry point: not to another repository, not to a program', async () => {
    const c = await setUp('shell env');
    const shell: Record<string, string> = {
      GIT_DIR: join(outside, '.git'),
      GIT_WORK_TREE: outside,
      GIT_INDEX_FILE: join(outside, '.git', 'index'),
      GIT_OBJECT_DIRECTORY: join(outside, '.git', 'objects'),
      GIT_EXTERNAL_DIFF: `${marks}/gpg-program`,
      GIT_CONFIG_PARAMETERS: `'core.pager'='${pay('shell-pager')}cat' 'diff.pwn.textconv'='${pay('shell-textconv')}cat'`,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.fsmonitor',
      GIT_CONFIG_VALUE_0: `${pay('shell-fsmonitor')}true`,
    };
    const saved = { ...process.env };
    const seen: string[] = [];
    try {
      Object.assign(process.env, shell);
      // The honest work first (a run that changes .gitmodules is not published at all).
      expect(publishRunBranch(c.user, c.paths, 'peers/app').updated).toBe(true);
      plantConfig(c);
      for (const m of markers()) if (!m.endsWith('-program') && !m.endsWith('-ext')) rmSync(join(marks, m));
      for (const [where, , run] of entryPoints) {
        arm();
        try {
          await run(c);
        } catch (error) {
          seen.push(`${where}: ${(error as Error).message.split('\n')[0]}`);
        }
        const ran = markers().filter((m) => !m.endsWith('-program') && !m.endsWith('-ext'));
        if (ran.length || readOnes().length) seen.push(`${where}: ran ${ran.join(',') || 'nothing'}; read ${readOnes().join(',') || 'nothing'}`);
        for (const m of ran) rmSync(join(marks, m));
      }
    } finally {
      for (const k of Object.keys(shell)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(seen).toEqual([]);
    // Published into the user's repository, not the one GIT_DIR named.
    expect(plain(c.user, ['log', '--format=%s', '-1', 'refs/heads/peers/app']).stdout.trim()).toBe('work');
    expect(plain(outside, ['rev-parse', '--verify', '-q', 'refs/heads/peers/app']).code).not.toBe(0);
    expect(existsSync(join(marks, 'gpg-program-ran'))).toBe(false);
  });

  test('the traps are live: plain git in the peers\' clone runs them and reads the files', async () => {
    const c = await setUp('live');
    plantConfig(c);
    for (const m of markers()) if (!m.endsWith('-program') && !m.endsWith('-ext')) rmSync(join(marks, m));
    arm();
    writeFileSync(join(c.clone, 'README.md'), '# app\nchanged\n');
    plain(c.clone, ['log', '-p', '-2']);
    plain(c.clone, ['diff']);
    plain(c.clone, ['blame', 'README.md']);
    expect(markers().length).toBeGreaterThan(3);
    expect(readOnes()).toContain(secret);
    expect(existsSync(join(marks, 'fsmonitor')) || existsSync(join(marks, 'include-fsmonitor'))).toBe(true);
    expect(readFileSync(secret, 'utf8')).toContain('secret');
  });
});
