/**
 * Attack on the user's repository through files of their tree that their own git runs or reads as
 * configuration: a hook installed as a link into the tree (`ln -s ../../scripts/post-checkout
 * .git/hooks/`), a hook that runs a script of the tree, `include.path = ../.gitconfig` (a tracked
 * config file), a filter or diff driver whose program is a script of the tree. Publishing looked at
 * neither: a run that rewrote such a file was published as peers/app, and the user's `git checkout
 * peers/app` (or the `git status` after it) ran the peers' code on the host. SECURITY.md, "Results
 * come back as a branch".
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathWords } from '../../../src/git/user-tree-references.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';

setDefaultTimeout(60_000);

let root: string;
let repo: string;
let paths: StatePaths;
let marker: string;
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, args: string[]) => {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const write = (dir: string, file: string, text: string, mode = 0o755) => {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
  chmodSync(join(dir, file), mode);
};
/** The user's project with `files` committed, then their own setup (`setup`), then the run clone. */
function userRepo(files: Record<string, string>, setup: () => void): void {
  for (const [f, text] of Object.entries({ 'README.md': '# app\n', ...files })) write(repo, f, text);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'start']);
  setup();
  prepareRunClone(repo, paths);
}
/** The peers commit `files` in the run clone; the trusted mirror takes it. */
function peersCommit(files: Record<string, string>): void {
  for (const [f, text] of Object.entries(files)) write(paths.clone, f, text);
  git(paths.clone, ['add', '-A']);
  git(paths.clone, ['commit', '-qm', 'work']);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
}
const payload = () => `#!/bin/sh\necho pwned > '${marker}'\n`;

/**
 * What the user sees: the branch is not published, with the reason naming `file`; and had it been,
 * their checkout of it (and a `git status`) would have run the payload.
 */
function expectRefused(file: string): void {
  const pub = publishRunBranch(repo, paths, 'peers/app');
  if (pub.updated) {
    git(repo, ['checkout', '-q', 'peers/app']);
    git(repo, ['status', '--short']);
    git(repo, ['checkout', '-q', 'main']);
  }
  expect({ ran: existsSync(marker), updated: pub.updated }).toEqual({ ran: false, updated: false });
  expect(pub.note).toContain(JSON.stringify(file));
  expect(pub.note).toContain('git log -p FETCH_HEAD');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-publish-tree-programs-'));
  repo = join(root, 'app');
  marker = join(root, 'PWNED');
  git(root, ['init', '-q', '-b', 'main', repo]);
  paths = statePaths(join(root, 'state'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('a hook of the user that runs a file of the tree', () => {
  test('a hook installed as a link into the tree: a run that rewrites the script it links to is not published', () => {
    userRepo({ 'scripts/post-checkout': '#!/bin/sh\nexit 0\n' }, () => symlinkSync('../../scripts/post-checkout', join(repo, '.git/hooks/post-checkout')));
    peersCommit({ 'scripts/post-checkout': payload() });
    expectRefused('scripts/post-checkout');
  });

  // Git runs the link's target once it is there and executable, both of which the run decides.
  test('a hook linked to a file of the tree that is not there yet, or not executable: a run that makes it is not published', () => {
    userRepo({ 'scripts/pre-push': 'echo not yet a hook\n' }, () => {
      symlinkSync('../../scripts/post-checkout', join(repo, '.git/hooks/post-checkout'));
      symlinkSync('../../scripts/pre-push', join(repo, '.git/hooks/pre-push'));
      chmodSync(join(repo, 'scripts/pre-push'), 0o644);
    });
    peersCommit({ 'scripts/post-checkout': payload() });
    expectRefused('scripts/post-checkout');
    rmSync(join(repo, '.git/hooks/post-checkout'));
    peersCommit({ 'scripts/pre-push': '#!/bin/sh\necho pushed\n' });
    expect(publishRunBranch(repo, paths, 'peers/app').note).toContain('"scripts/pre-push", which your pre-push hook names');
  });

  test('a hook that runs a script of the tree: a run that rewrites the script is not published', () => {
    userRepo({ 'tools/hooks/on-checkout.sh': '#!/bin/sh\nexit 0\n' }, () => write(repo, '.git/hooks/post-checkout', '#!/bin/sh\nexec sh "$(dirname "$0")/../../tools/hooks/on-checkout.sh" "$@"\n'));
    peersCommit({ 'tools/hooks/on-checkout.sh': payload() });
    expectRefused('tools/hooks/on-checkout.sh');
  });

  test('a hook that puts a folder of the tree on PATH: a run that adds a program there is not published', () => {
    userRepo({ 'tools/bin/.keep': '' }, () => write(repo, '.git/hooks/post-checkout', '#!/bin/sh\nPATH="$PWD/tools/bin:$PATH" git-lfs-check "$@" || true\n'));
    peersCommit({ 'tools/bin/git-lfs-check': payload() });
    expectRefused('tools/bin/git-lfs-check');
  });
});

describe('what the user\'s hooks name, however the tree reaches it', () => {
  // `scripts` is a link to `tools` in the user's tree: the hook's `scripts/check.sh` is `tools/check.sh`.
  test('a hook that runs a script through a linked folder: a run that rewrites the script where the link leads is not published', () => {
    symlinkSync('tools', join(repo, 'scripts'));
    userRepo({ 'tools/check.sh': '#!/bin/sh\nexit 0\n' }, () => write(repo, '.git/hooks/post-checkout', '#!/bin/sh\nsh scripts/check.sh\n'));
    peersCommit({ 'tools/check.sh': payload() });
    expectRefused('tools/check.sh');
  });

  // The link leads nowhere yet in the user's tree: the run decides what is there.
  test('a hook that runs a script through a link to a folder not there yet: a run that adds the folder is not published', () => {
    symlinkSync('tools', join(repo, 'scripts'));
    userRepo({}, () => write(repo, '.git/hooks/post-checkout', '#!/bin/sh\n[ -f scripts/check.sh ] && sh scripts/check.sh\nexit 0\n'));
    peersCommit({ 'tools/check.sh': payload() });
    expectRefused('tools/check.sh');
  });

  /** The run held back with a note saying why peers cannot tell, and how to look at the run anyway. */
  function expectHeld(why: string): void {
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain(why);
    expect(pub.note).toContain('git log -p FETCH_HEAD');
  }

  test('scripts naming scripts deeper than peers follows: the run is held back, not published unread', () => {
    const chain = ['a', 'b', 'c', 'd', 'e'];
    const files = Object.fromEntries(chain.map((n, i) => [`tools/${n}.sh`, `#!/bin/sh\n${chain[i + 1] ? `sh tools/${chain[i + 1]}.sh\n` : 'exit 0\n'}`]));
    userRepo(files, () => write(repo, '.git/hooks/pre-commit', '#!/bin/sh\nsh tools/a.sh\n'));
    peersCommit({ 'tools/e.sh': payload() });
    expectHeld('more than 3 deep');
  });

  test('a hook naming more files than peers reads: the run is held back, not published unread', () => {
    const decoys = Array.from({ length: 260 }, (_, i) => `lib/d${i}.sh`);
    userRepo({ ...Object.fromEntries(decoys.map((f) => [f, '#!/bin/sh\n'])), 'tools/real.sh': '#!/bin/sh\nsh tools/payload.sh\n', 'tools/payload.sh': '#!/bin/sh\n' }, () =>
      write(repo, '.git/hooks/pre-commit', `#!/bin/sh\n${decoys.map((f) => `sh ${f}`).join('\n')}\nsh tools/real.sh\n`));
    peersCommit({ 'tools/payload.sh': payload() });
    expectHeld('more than 256 files');
  });

  // Run as root, a mode cannot make a directory unreadable: a link loop stands for any listing that fails.
  test('a hooks directory peers cannot list: the run is held back, not published as if there were no hooks', () => {
    userRepo({}, () => {
      symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
      symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
      git(repo, ['config', 'core.hooksPath', join(root, 'loop-a')]);
    });
    peersCommit({ 'src/app.js': 'export const x = 1;\n' });
    expectHeld('could not list your hooks directory');
  });
});

describe("the user's configuration that names a file of the tree", () => {
  test('include.path = ../.gitconfig (a tracked config file): a run that changes it is not published', () => {
    userRepo({ '.gitconfig': '[alias]\n\tst = status\n' }, () => git(repo, ['config', 'include.path', '../.gitconfig']));
    peersCommit({ '.gitconfig': `[alias]\n\tst = status\n[core]\n\tfsmonitor = "echo pwned > '${marker}'; false"\n` });
    expectRefused('.gitconfig');
  });

  // A dotfiles repository: the user's global config file is a file of the tree.
  test('a config file of the user\'s that is itself a file of the tree: a run that changes it is not published', () => {
    const global = join(repo, '.gitconfig');
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = global;
    ENV.GIT_CONFIG_GLOBAL = global;
    try {
      userRepo({ '.gitconfig': '[alias]\n\tst = status\n' }, () => {});
      peersCommit({ '.gitconfig': `[alias]\n\tst = status\n[core]\n\tfsmonitor = "echo pwned > '${marker}'; false"\n` });
      expectRefused('.gitconfig');
    } finally {
      process.env.GIT_CONFIG_GLOBAL = saved;
      ENV.GIT_CONFIG_GLOBAL = '/dev/null';
    }
  });

  test('a dotfiles repository without a global config yet: a run that adds .config/git/config is not published', () => {
    const saved = { HOME: process.env.HOME, GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    const user: NodeJS.ProcessEnv = { ...ENV, HOME: repo, GIT_CONFIG_GLOBAL: undefined, XDG_CONFIG_HOME: undefined };
    Object.assign(process.env, { HOME: repo });
    delete process.env.GIT_CONFIG_GLOBAL;
    delete process.env.XDG_CONFIG_HOME;
    try {
      userRepo({ '.bashrc': 'PS1=$\n' }, () => {});
      peersCommit({ '.config/git/config': `[core]\n\tfsmonitor = "echo pwned > '${marker}'; false"\n` });
      const pub = publishRunBranch(repo, paths, 'peers/app');
      if (pub.updated) {
        spawnSync('git', ['checkout', '-q', 'peers/app'], { cwd: repo, env: user });
        spawnSync('git', ['status', '--short'], { cwd: repo, env: user });
      }
      expect({ ran: existsSync(marker), updated: pub.updated }).toEqual({ ran: false, updated: false });
      expect(pub.note).toContain('".config/git/config", which your global git config');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('a filter whose program is a script of the tree: a run that rewrites the script is not published', () => {
    userRepo({ '.gitattributes': '*.dat filter=gen\n', 'tools/smudge.sh': '#!/bin/sh\ncat\n', 'a.dat': 'a\n' }, () => {
      git(repo, ['config', 'filter.gen.smudge', 'sh tools/smudge.sh']);
      git(repo, ['config', 'filter.gen.clean', 'cat']);
    });
    peersCommit({ 'tools/smudge.sh': `#!/bin/sh\necho pwned > '${marker}'\ncat\n`, 'z.dat': 'z\n' });
    expectRefused('tools/smudge.sh');
  });

  test('a textconv driver run as `python3 textconv.py`: a run that rewrites textconv.py is not published', () => {
    userRepo({ '.gitattributes': '*.bin diff=hex\n', 'textconv.py': 'print(1)\n' }, () => git(repo, ['config', 'diff.hex.textconv', 'python3 textconv.py']));
    peersCommit({ 'textconv.py': 'import os; os.system("touch /tmp/x")\n' });
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain('"textconv.py"');
    expect(pub.note).toContain('diff.hex.textconv');
  });
});

describe('what publishes as before', () => {
  test('a run that changes code no hook or configuration of the user names is published, a linked hook and an include beside it', () => {
    userRepo({ 'scripts/post-checkout': '#!/bin/sh\nexit 0\n', '.gitconfig': '[alias]\n\tst = status\n', '.git-blame-ignore-revs': '' }, () => {
      symlinkSync('../../scripts/post-checkout', join(repo, '.git/hooks/post-checkout'));
      git(repo, ['config', 'include.path', '../.gitconfig']);
      git(repo, ['config', 'blame.ignoreRevsFile', '.git-blame-ignore-revs']);
      git(repo, ['config', 'alias.top', '!cd . && git log -1']);
      git(repo, ['config', 'core.autocrlf', 'input']);
      write(repo, '.git/hooks/pre-commit', '#!/bin/sh\n# conventions: see CONTRIBUTING.md\nnpm test && eslint src\n');
    });
    // A data file the user's git reads (blame's list of revisions to skip) runs nothing; a setting
    // (`input`) and a bare word of a hook (`npm test`, `eslint src`) name no folder of programs; a
    // hook's comment names nothing it runs.
    peersCommit({ 'src/app.js': 'export const x = 1;\n', 'scripts/lint.sh': '#!/bin/sh\n', '.git-blame-ignore-revs': `${'a'.repeat(40)}\n`, 'test/run.sh': '#!/bin/sh\n', input: 'data\n', 'CONTRIBUTING.md': '# how\n' });
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.note).toBeUndefined();
    expect(pub.updated).toBe(true);
  });
});

test('the words of a command that may name a file: a shell alias, a variable before a path, an option with a value', () => {
  expect(pathWords('!tools/fmt.sh --fix')).toEqual(['tools/fmt.sh']);
  expect(pathWords('PATH="$PWD/tools/bin:$PATH" run')).toEqual(['PATH', '/tools/bin', 'run']);
  expect(pathWords('exec pre-commit hook-impl --config=.pre-commit-config.yaml')).toContain('.pre-commit-config.yaml');
});
