import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';
import { gitIn, makeRepo, makeSandbox, runPeers, STACK_LINE } from './peers-cli.ts';
import { requires } from '../../requirements.ts';

/** git's ownership check needs a repository of another uid: root can make one. */
const asRoot = requires('root');

const sb = makeSandbox();
afterAll(() => sb.cleanup());

function expectRefused(res: { code: number; stderr: string }, message: string, hint: string): void {
  expect(res.code).toBe(2);
  expect(res.stderr).toContain(message);
  expect(res.stderr).toContain(`hint: ${hint}`);
  expect(res.stderr).not.toMatch(STACK_LINE);
}

describe('peers init', () => {
  test('writes the control files, commits .gitignore as peers-init, tags the baseline, registers the project', () => {
    const repo = makeRepo(sb.root, 'fresh');
    const before = gitIn(repo, ['rev-parse', 'HEAD']);
    const res = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Initialized peers in ${join(repo, '.peers')}`);
    expect(res.stdout).toContain('peers verify');
    for (const f of ['config.yaml', 'goals.yaml', 'schema/config.schema.json', 'schema/goals.schema.json']) expect(existsSync(join(repo, '.peers', f))).toBe(true);
    expect(readFileSync(join(repo, '.peers/config.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/config.schema.json');
    expect(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/goals.schema.json');
    expect(JSON.parse(readFileSync(join(repo, '.peers/schema/config.schema.json'), 'utf8')).additionalProperties).toBe(false);

    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('.peers/\n');
    expect(gitIn(repo, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%s'])).toBe('peers-init <peers-init@local>|peers-init <peers-init@local>|peers init: add .peers/ to .gitignore');
    expect(gitIn(repo, ['log', '-1', '--format=%(trailers:key=Peer,valueonly)'])).toBe('peers-init');
    expect(gitIn(repo, ['rev-parse', 'HEAD~1'])).toBe(before);
    expect(gitIn(repo, ['show', '--name-only', '--format=', 'HEAD'])).toBe('.gitignore');
    expect(gitIn(repo, ['rev-parse', 'peers-baseline^{commit}'])).toBe(gitIn(repo, ['rev-parse', 'HEAD']));
    expect(gitIn(repo, ['status', '--porcelain'])).toBe(''); // .peers/ is ignored

    const registry = JSON.parse(readFileSync(join(sb.home, '.config/peers/projects.json'), 'utf8'));
    expect(registry.projects.map((p: { path: string }) => p.path)).toContain(repo);
  });

  test('the user\'s staged work stays staged and out of the init commit; .gitignore is appended to', () => {
    const repo = makeRepo(sb.root, 'busy');
    writeFileSync(join(repo, '.gitignore'), 'node_modules'); // no trailing newline
    writeFileSync(join(repo, 'wip.txt'), 'work in progress\n');
    gitIn(repo, ['add', '.gitignore', 'wip.txt']);
    expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
    // The commit has HEAD's .gitignore (none) plus .peers/; the user's staged line stays staged.
    expect(gitIn(repo, ['show', 'HEAD:.gitignore'])).toBe('.peers/');
    expect(gitIn(repo, ['show', '--name-only', '--format=', 'HEAD'])).toBe('.gitignore');
    expect(gitIn(repo, ['diff', '--cached', '--name-only'])).toBe('.gitignore\nwip.txt');
    expect(gitIn(repo, ['show', ':.gitignore'])).toBe('node_modules\n.peers/');
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('node_modules\n.peers/\n');
    expect(gitIn(repo, ['status', '--porcelain'])).toBe('M  .gitignore\nA  wip.txt');
  });

  test('an uncommitted edit of .gitignore (and of any other file) is not committed under peers-init\'s name, and stays in the working tree', () => {
    const repo = makeRepo(sb.root, 'dirty');
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
    gitIn(repo, ['add', '.gitignore']);
    gitIn(repo, ['commit', '-q', '-m', 'ignore node_modules']);
    writeFileSync(join(repo, '.gitignore'), 'node_modules\ncoverage/\n'); // the user's edit in progress
    writeFileSync(join(repo, 'README.md'), 'half-written\n');
    const before = gitIn(repo, ['rev-parse', 'HEAD']);
    expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
    expect(gitIn(repo, ['rev-parse', 'HEAD~1'])).toBe(before);
    expect(gitIn(repo, ['show', 'HEAD:.gitignore'])).toBe('node_modules\n.peers/');
    expect(gitIn(repo, ['show', '--name-only', '--format=', 'HEAD'])).toBe('.gitignore');
    // The user's line is still theirs: in the working tree, unstaged, next to ours.
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('node_modules\ncoverage/\n.peers/\n');
    expect(gitIn(repo, ['diff', '--cached', '--name-only'])).toBe('');
    expect(gitIn(repo, ['diff', '-U0', '--no-color', '.gitignore']).split('\n').filter((l) => /^[+-][^+-]/.test(l))).toEqual(['+coverage/']);
    expect(gitIn(repo, ['status', '--porcelain', '--untracked-files=all'])).toBe('M .gitignore\n?? README.md'); // ' M' (unstaged), trimmed
  });

  test('a .gitignore that already lists .peers means no commit, but the baseline is still tagged', () => {
    const repo = makeRepo(sb.root, 'ignored');
    writeFileSync(join(repo, '.gitignore'), '/.peers\n');
    gitIn(repo, ['add', '.gitignore']);
    gitIn(repo, ['commit', '-q', '-m', 'ignore']);
    const head = gitIn(repo, ['rev-parse', 'HEAD']);
    expect(runPeers(['init', repo, '--json'], { cwd: sb.root, env: sb.env }).code).toBe(0);
    expect(gitIn(repo, ['rev-parse', 'HEAD'])).toBe(head);
    expect(gitIn(repo, ['rev-parse', 'peers-baseline^{commit}'])).toBe(head);
  });

  test("a user's global config that signs every commit and tag: init neither prompts nor commits unsigned; .gitignore is staged for them to commit, signed; the baseline is a plain tag", () => {
    // A real ~/.gitconfig: commit.gpgsign and tag.gpgsign on, a signing key gpg cannot use here.
    // `git tag NAME` then wants an annotated, signed tag, asks for a message and fails; init used
    // to die there (exit 70) after writing .peers/ and committing .gitignore. An unsigned commit
    // of init's would break the user's rule that every commit on their branch is signed.
    const repo = makeRepo(sb.root, 'signs-everything');
    const global = join(sb.root, 'signing.gitconfig');
    writeFileSync(global, '[user]\n\tsigningkey = ABCDEF0123456789\n[commit]\n\tgpgsign = true\n[tag]\n\tgpgsign = true\n\tforceSignAnnotated = true\n[gpg]\n\tprogram = false\n');
    const head = gitIn(repo, ['rev-parse', 'HEAD']);
    const res = runPeers(['init'], { cwd: repo, env: { ...sb.env, GIT_CONFIG_GLOBAL: global } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(gitIn(repo, ['rev-parse', 'HEAD'])).toBe(head); // no commit of init's
    expect(res.stdout).toContain('staged .gitignore for you to commit (signed), tagged peers-baseline');
    expect(res.stdout).toContain("your git config signs every commit (commit.gpgSign), so peers init made no commit of its own: .gitignore is staged; commit it with your signature: `git commit -m 'peers init: add .peers/ to .gitignore' -- .gitignore`");
    expect(gitIn(repo, ['diff', '--cached', '--name-only'])).toBe('.gitignore');
    expect(gitIn(repo, ['show', ':.gitignore'])).toContain('.peers/');
    expect(gitIn(repo, ['cat-file', '-t', 'peers-baseline'])).toBe('commit'); // lightweight: nothing to sign
    expect(gitIn(repo, ['rev-parse', 'peers-baseline'])).toBe(head);
  });

  test('on a detached HEAD the init commit is on no branch: init says so and how to keep it', () => {
    const repo = makeRepo(sb.root, 'detached');
    gitIn(repo, ['checkout', '-q', '--detach']);
    const res = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    const head = gitIn(repo, ['rev-parse', '--short=12', 'HEAD']);
    expect(res.stdout).toContain(`note: HEAD is detached, so init's commit (${head}) is on no branch and a checkout leaves it behind: keep it with \`git switch -c NAME\``);
    expect(runPeers(['init', '--force'], { cwd: makeRepo(sb.root, 'on-a-branch'), env: sb.env }).stdout).not.toContain('detached');
  });

  test('a repository without commits gets the .gitignore commit as its first, then the tag', () => {
    const repo = makeRepo(sb.root, 'empty', { commits: 0 });
    const res = runPeers(['init', '--json'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.baselineTag).toBe('peers-baseline');
    expect(gitIn(repo, ['rev-list', '--count', 'HEAD'])).toBe('1');
  });

  test('-C DIR names the repository as it does for every other command (it was "unknown flag -C"); with a PATH too it is named twice', () => {
    const repo = makeRepo(sb.root, 'by-dash-c');
    const res = runPeers(['init', '-C', repo, '--json'], { cwd: sb.root, env: sb.env });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).repo).toBe(repo);
    const twice = runPeers(['init', 'elsewhere', '-C', repo], { cwd: sb.root, env: sb.env });
    expect(twice.stderr).toContain(`the project is named twice: 'elsewhere' and -C ${repo}`);
    expect(twice.code).toBe(2);
  });

  test('refuses a directory that is not a git repository, and one that does not exist', () => {
    const plain = join(sb.root, 'plain');
    mkdirSync(plain);
    expectRefused(runPeers(['init', plain], { cwd: sb.root, env: sb.env }), 'is not a git repository', `create one first: \`git -C ${plain} init\``);
    expect(existsSync(join(plain, '.peers'))).toBe(false);
    // A bare clone is a repository without a working tree: not "git init" (that would make a second one inside it).
    const bare = join(sb.root, 'lib.git');
    expect(spawnSync('git', ['init', '-q', '--bare', bare]).status).toBe(0);
    expectRefused(runPeers(['init'], { cwd: bare, env: sb.env }), `${bare} is a bare repository (no working tree): peers works on a checkout`, `make one and run peers there: \`git clone ${bare} lib && cd lib && peers init\``);
    expectRefused(runPeers(['status'], { cwd: join(bare, 'refs'), env: sb.env }), `${bare} is a bare repository (no working tree)`, `make one and run peers there: \`git clone ${bare} lib`);
    expect(existsSync(join(bare, '.peers'))).toBe(false);
    const gone = runPeers(['init', join(sb.root, 'nope')], { cwd: sb.root, env: sb.env });
    expect(gone.code).toBe(2);
    expect(gone.stderr).not.toMatch(STACK_LINE);
  });

  test('a SHA-256 repository is refused by init, verify and up before anything is written (up failed with exit 70, git: "mismatched algorithms")', () => {
    const repo = join(sb.root, 'sha256');
    expect(spawnSync('git', ['init', '-q', '--object-format=sha256', repo]).status).toBe(0);
    expect(spawnSync('git', ['-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-q', '--allow-empty', '-m', 'one'], { cwd: repo }).status).toBe(0);
    for (const args of [['init'], ['verify'], ['up', '--clone-only']]) {
      expectRefused(runPeers(args, { cwd: repo, env: sb.env }), `${repo} is a SHA-256 repository (extensions.objectFormat = sha256), which peers does not support yet`, 'run peers on a SHA-1 repository of the project');
    }
    expect(existsSync(join(repo, '.peers'))).toBe(false);
  });

  test('refuses /, the home directory, and a subdirectory of a repository', () => {
    expectRefused(runPeers(['init', '/'], { cwd: sb.root, env: sb.env }), 'refusing to initialise the filesystem root', 'run `peers init` inside a git repository');
    const homeRepo = makeRepo(sb.root, 'homerepo');
    expectRefused(runPeers(['init'], { cwd: homeRepo, env: { ...sb.env, HOME: homeRepo } }), 'refusing to initialise your home directory', 'run `peers init` inside a project repository');
    const repo = makeRepo(sb.root, 'nested');
    mkdirSync(join(repo, 'sub'));
    expectRefused(runPeers(['init'], { cwd: join(repo, 'sub'), env: sb.env }), 'not at its top', `run \`peers init ${repo}\``);
  });

  test.skipIf(!asRoot.ok)(`a repository of another user: git's refusal and what to do, not "git init" (that would nest a new repository), in any language git speaks${asRoot.skipped}`, () => {
    const theirs = makeRepo(sb.root, 'theirs');
    mkdirSync(join(theirs, 'src'));
    spawnSync('chown', ['-R', '65534:65534', theirs]);
    // A user whose git speaks German (LANGUAGE=de) gets the same diagnosis: it matched git's English.
    for (const [cwd, lang] of [[theirs, {}], [join(theirs, 'src'), {}], [theirs, { LC_ALL: 'C.UTF-8', LANGUAGE: 'de' }]] as const) {
      const res = runPeers(['init'], { cwd, env: { ...sb.env, ...lang } });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`peers: git refuses the repository at ${theirs}: detected dubious ownership in repository`);
      expect(res.stderr).toContain(`hint: the repository belongs to another user: run peers as that user (or, if you trust the repository and its hooks, \`git config --global --add safe.directory ${theirs}\`)`);
      expect(res.stderr).not.toContain('git init');
    }
    expect(existsSync(join(theirs, '.peers'))).toBe(false);
  });

  test("a package of a monorepo: the refusal names the top, quoted, and the gate that runs this directory's suite from there", () => {
    const mono = makeRepo(sb.root, 'my mono');
    const lib = join(mono, 'packages', 'lib');
    mkdirSync(join(lib, 'test'), { recursive: true });
    writeFileSync(join(lib, 'package.json'), JSON.stringify({ name: 'lib', version: '1.0.0', scripts: { test: 'node --test' } }));
    const res = runPeers(['init'], { cwd: lib, env: sb.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`is inside a git repository but not at its top\n  hint: run \`peers init '${mono}'\` (gates run at the top: for this directory's tests, a hard gate with cmd: "cd packages/lib && npm test" and pass_when: exit_code == 0 and regex(`);
    expect(existsSync(join(lib, '.peers'))).toBe(false);
  });

  test('refuses an existing .peers/ without --force and leaves it untouched; --force replaces it', () => {
    const repo = makeRepo(sb.root, 'again');
    expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
    writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: []\n');
    writeFileSync(join(repo, '.peers/notes.txt'), 'mine\n');
    expectRefused(runPeers(['init'], { cwd: repo, env: sb.env }), 'already exists', 'run `peers init --force`');
    expect(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')).toBe('goals: []\n');
    const forced = runPeers(['init', '--force'], { cwd: repo, env: sb.env });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')).toContain('placeholder-replace-me');
    expect(existsSync(join(repo, '.peers/notes.txt'))).toBe(false);
    expect(gitIn(repo, ['log', '--format=%s', '--author=peers-init'])).toBe('peers init: add .peers/ to .gitignore'); // not committed twice
  });

  test('refuses a symlinked .peers even with --force, and writes nothing through it', () => {
    const repo = makeRepo(sb.root, 'linked');
    const elsewhere = join(sb.root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(repo, '.peers'));
    expectRefused(runPeers(['init', '--force'], { cwd: repo, env: sb.env }), 'is a symlink', `remove it: \`rm ${join(repo, '.peers')}\``);
    expect(existsSync(join(elsewhere, 'config.yaml'))).toBe(false);
  });

  test('refuses a symlinked .gitignore that does not list .peers', () => {
    const repo = makeRepo(sb.root, 'gi-link');
    writeFileSync(join(sb.root, 'shared-ignore'), 'dist\n');
    symlinkSync(join(sb.root, 'shared-ignore'), join(repo, '.gitignore'));
    expectRefused(runPeers(['init'], { cwd: repo, env: sb.env }), '.gitignore is a symlink', 'add the line `.peers/`');
    expect(readFileSync(join(sb.root, 'shared-ignore'), 'utf8')).toBe('dist\n');
    expect(existsSync(join(repo, '.peers'))).toBe(false);
  });

  test('a .gitignore that is a directory, a FIFO (or a symlink to one) or a hard link is refused before any write, without hanging', () => {
    const cases: [string, (path: string) => void, string, string][] = [
      ['gi-dir', (p) => mkdirSync(p), 'is not a regular file', 'remove it or replace it'],
      ['gi-fifo', (p) => Bun.spawnSync(['mkfifo', p]), 'is not a regular file', 'remove it or replace it'],
      ['gi-fifo-link', (p) => { Bun.spawnSync(['mkfifo', `${p}.target`]); symlinkSync(`${p}.target`, p); }, 'is a symlink', 'add the line `.peers/`'],
      ['gi-hardlink', (p) => { writeFileSync(join(sb.root, 'other-name'), 'dist\n'); linkSync(join(sb.root, 'other-name'), p); }, 'has 2 hard links', 'add the line `.peers/` to it yourself'],
    ];
    for (const [name, plant, message, hint] of cases) {
      const repo = makeRepo(sb.root, name);
      plant(join(repo, '.gitignore'));
      expectRefused(runPeers(['init'], { cwd: repo, env: sb.env }), message, hint);
      expect(`${name}: ${existsSync(join(repo, '.peers'))}`).toBe(`${name}: false`);
    }
    expect(readFileSync(join(sb.root, 'other-name'), 'utf8')).toBe('dist\n');
  });
});

describe('peers init in a git worktree', () => {
  test('a linked worktree gets a results branch of its own, named after its branch; the main worktree keeps the default', () => {
    // Two checkouts of one repository with the same directory name: by default both would publish
    // to peers/app, and the second run's results would be refused as "moved outside peers".
    const main = makeRepo(join(sb.root, 'src'), 'app');
    gitIn(main, ['worktree', 'add', '-q', '-b', 'fix/login', join(sb.root, 'wt', 'app')]);
    const linked = join(sb.root, 'wt', 'app');
    const res = runPeers(['init'], { cwd: linked, env: sb.env });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('this is a git worktree: the run\'s results go to the branch peers/fix/login');
    const config = parse(readFileSync(join(linked, '.peers/config.yaml'), 'utf8')) as { results?: { branch?: string } };
    expect(config.results).toEqual({ branch: 'peers/fix/login' });
    expect(runPeers(['info'], { cwd: linked, env: sb.env }).code).toBe(0); // a config the schema accepts

    expect(res.stdout).not.toContain('peers-baseline moved');
    const linkedBaseline = gitIn(main, ['rev-parse', 'peers-baseline']);
    // Tags are shared by the worktrees: init in the main one moves the linked one's baseline, and says so.
    // The main worktree is a commit ahead: the two init commits (same parent, content, author) made
    // within one second were one and the same commit, and the baseline did not move (a flake).
    gitIn(main, ['commit', '-q', '--allow-empty', '-m', 'main moves on']);
    const second = runPeers(['init'], { cwd: main, env: sb.env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`peers-baseline moved from ${linkedBaseline.slice(0, 12)} to ${gitIn(main, ['rev-parse', 'HEAD']).slice(0, 12)}, and tags are shared by every worktree of this repository`);
    expect(second.stdout).toContain(`git tag -f peers-baseline ${linkedBaseline.slice(0, 12)}`);
    expect((parse(readFileSync(join(main, '.peers/config.yaml'), 'utf8')) as { results?: unknown }).results).toBeUndefined();

    // A branch name with accents and a '#': the accents are dropped, not each letter replaced (peers/feature/-n-).
    gitIn(main, ['worktree', 'add', '-q', '-b', 'feature/ünï#42', join(sb.root, 'wt2', 'app')]);
    expect(runPeers(['init'], { cwd: join(sb.root, 'wt2', 'app'), env: sb.env }).stdout).toContain("the run's results go to the branch peers/feature/uni-42 ");
  });
});

