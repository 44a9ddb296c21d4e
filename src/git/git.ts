/**
 * The one way peers runs git. Every call disables repository hooks and fsmonitor, because a peer
 * may have planted them in `.git/` and the host must never execute them.
 *
 * Repositories peers owns (the run's trusted mirror and the read-only views of
 * src/git/observer.ts and src/git/observed-view.ts, marked by an `peers-observer` file in their git dir) are always read
 * HERMETICALLY: no system or global config, no attributes file, a scratch HOME, no pager, no
 * inherited `GIT_*` variable, transports limited to local files. Their own config is written by
 * peers, so no configuration a peer could have written is honoured (docs/ARCHITECTURE.md, "The
 * trusted observer").
 */
import { closeSync, existsSync, ftruncateSync, lstatSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { InputError, PeersError } from '../cli/errors.ts';
import { dirname, join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { scopedSpawnEnv } from '../proc/spawn-env.ts';
import { classifyGitRead, GitReadMemo, movesOnlyNotes } from './read-memo.ts';
import { withoutRedirectingGitVars } from './git-env.ts';
import { spawnGitSync } from './git-spawn-sync.ts';

export { REDIRECTING_GIT_VARS, withoutGitVars, withoutRedirectingGitVars } from './git-env.ts';

/**
 * The flags of every git process peers starts, wherever it runs: here, and in the workspace
 * (src/git/workspace-git.ts builds its `sh -c` scripts from them). Hooks and fsmonitor are the two
 * programs git runs on almost any command in a repository; they never run for peers. (The peers'
 * other configuration is theirs to run in their own sandbox, the workspace.)
 */
export const WORKSPACE_GIT_FLAGS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** WORKSPACE_GIT_FLAGS, and local-file transports (the mirror fetches from the stage) for calls made here. */
export const SAFE_GIT_FLAGS = [...WORKSPACE_GIT_FLAGS, '-c', 'protocol.file.allow=always'];

/**
 * Extra flags of a call on peer data (the mirror, the stage, a view, a check's tree read through a
 * view). Their config is ours and no system, global or `GIT_*` configuration is read (hermeticGitEnv,
 * withoutGitVars), so these hold only if that ever failed: every other configured program off.
 * Not `diff.external=` (git then runs the empty program and fails); our config never sets one.
 */
export const HERMETIC_GIT_FLAGS = [
  ...SAFE_GIT_FLAGS,
  '-c', 'core.attributesFile=/dev/null',
  '-c', 'core.pager=cat',
  '-c', 'core.editor=false',
  '-c', 'sequence.editor=false',
  '-c', 'credential.helper=',
  '-c', 'log.showSignature=false',
  '-c', 'protocol.allow=never',
  '-c', 'submodule.recurse=false',
  '-c', 'fetch.recurseSubmodules=false',
  '-c', 'gc.auto=0',
  '-c', 'maintenance.auto=false',
];

/** The file that marks a git dir as peers-owned (see observer.ts). */
export const OBSERVER_MARKER = 'peers-observer';

export type GitResult = { code: number; stdout: string; stderr: string };

export class GitError extends Error {
  constructor(readonly args: string[], readonly result: GitResult) {
    // git's own `fatal:` line says why; the lines after it are often generic advice.
    const lines = result.stderr.trim().split('\n');
    const why = lines.find((l) => /^(fatal|error):/.test(l));
    super(`git ${args.join(' ')} failed (exit ${result.code}): ${[...new Set([...(why ? [why] : []), ...lines.slice(-3)])].join(' | ')}`);
    this.name = 'GitError';
  }
}

export type GitOptions = {
  env?: Record<string, string | undefined>;
  input?: string | Uint8Array;
  maxBuffer?: number;
  /** Force (or, with false, refuse) the hermetic environment; by default hermetic for observer repos. */
  hermetic?: boolean;
  /** Kill git after this long (a FIFO planted where git reads a file must not hang the caller). */
  timeoutMs?: number;
};

let scratchHome: string | undefined;

/** An empty private directory used as HOME and XDG_CONFIG_HOME of hermetic git calls. */
function hermeticHome(): string {
  if (scratchHome && existsSync(scratchHome)) return scratchHome;
  scratchHome = makeScratchDir('peers-git-home-');
  const dir = scratchHome;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The environment of a hermetic git call: only PATH and TMPDIR are inherited; everything git
 * would read configuration or helpers from points at nothing.
 */
export function hermeticGitEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const home = hermeticHome();
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    TMPDIR: process.env.TMPDIR,
    HOME: home,
    XDG_CONFIG_HOME: home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_SSH_COMMAND: '/bin/false',
    GIT_ALLOW_PROTOCOL: 'file',
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

const observerCache = new Map<string, boolean>();

/** Files git opens on a bare repository; a FIFO or a device there would block or feed git forever. */
const GIT_DIR_FILES = ['HEAD', 'config', 'packed-refs', 'shallow', 'commondir', 'objects/info/alternates', 'info/grafts'];

/** A peers-owned git dir lives in the state dir, where a user can damage it: refuse what git would hang on. */
function assertPlainGitDir(dir: string): void {
  for (const f of GIT_DIR_FILES) {
    let st;
    try {
      st = lstatSync(join(dir, f));
    } catch {
      continue;
    }
    if (!st.isFile()) {
      throw new InputError(`the git dir ${dir} is damaged: ${f} is not a regular file`, {
        location: { file: join(dir, f) },
        hint: `put the file back as it was; or move ${dirname(dir)} away to start a new run from your HEAD`,
      });
    }
  }
}

/**
 * True when `dir` is a git dir peers created for reading (mirror or view), checked once per process.
 * Such a dir is bare: one with a `.git` beside the marker is a working tree, and the marker there is
 * the peers' file (committed, or written by `setup` in a gate's checkout) with a forged HEAD, refs
 * and objects beside it. Taken for ours, `peers check` in that tree read its history from them
 * (SECURITY.md, "The user's repository, the run clone and the trusted observer").
 */
export function isObserverRepo(dir: string): boolean {
  let known = observerCache.get(dir);
  if (known === undefined) {
    known = existsSync(join(dir, OBSERVER_MARKER)) && lstatSync(join(dir, '.git'), { throwIfNoEntry: false }) === undefined;
    if (known) {
      assertPlainGitDir(dir);
      observerCache.set(dir, known);
    }
  }
  return known;
}

function envFor(cwd: string, opts: GitOptions): { hermetic: boolean; env: Record<string, string | undefined> } {
  const observer = isObserverRepo(cwd);
  const hermetic = opts.hermetic ?? observer;
  if (!hermetic) {
    // A scope peers set up (a check's view, src/proc/spawn-env.ts) names its repository itself;
    // the process's own environment is the user's shell, whose redirections are dropped.
    const scoped = scopedSpawnEnv();
    const env: Record<string, string | undefined> = { ...(scoped ?? withoutRedirectingGitVars(process.env)), GIT_TERMINAL_PROMPT: '0', ...opts.env };
    // Through a view peers owns (a check of a tree a peer may have written): the flags of peer data.
    return { hermetic: typeof env.GIT_DIR === 'string' && isObserverRepo(env.GIT_DIR), env };
  }
  // An observer repo is a bare git dir: name it, never let git discover a repository from cwd.
  return { hermetic, env: hermeticGitEnv(observer ? { GIT_DIR: cwd, ...opts.env } : opts.env) };
}

const readMemo = new GitReadMemo();

/**
 * Repeated reads of `mirror` are answered from memory from now on (read-memo.ts says which reads
 * and why that is sound). Only for the run's mirror: its objects were all verified on import, and
 * only this process writes it.
 */
export function memoizeReadsOf(mirror: string): void {
  readMemo.register(mirror);
}

/** Whether reads of `dir` are kept (memoizeReadsOf): the run's mirror. */
export function isMemoized(dir: string): boolean {
  return readMemo.covers(dir);
}

/** A tick has ended: reads of refs are made afresh from now on. */
export function forgetRefReads(): void {
  readMemo.forgetAllRefs();
}

export function git(cwd: string, args: string[], opts: GitOptions = {}): GitResult {
  if (!readMemo.covers(cwd)) return runGit(cwd, args, opts);
  // A call with an environment of its own is never answered from memory, and may write.
  const kind = opts.env || opts.hermetic === false ? 'other' : classifyGitRead(args, opts.input);
  if (kind === 'other') {
    readMemo.forgetRefs(cwd, movesOnlyNotes(args));
    return runGit(cwd, args, opts);
  }
  const key = [...args, '', typeof opts.input === 'string' ? opts.input : '', String(opts.maxBuffer ?? '')].join('\0');
  const kept = readMemo.lookup(cwd, kind, key);
  if (kept) return { ...kept };
  const res = runGit(cwd, args, opts);
  readMemo.keep(cwd, kind, key, res, args[0] === 'merge-base');
  return res;
}

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** The argv and spawn options every git call here shares: peers' flags, the environment for `cwd`, the timeout. */
function gitSpawn(cwd: string, args: string[], opts: GitOptions) {
  const { hermetic, env } = envFor(cwd, opts);
  // Through a view with a work tree of its own (a check of the run clone, observed-view.ts): git reads
  // `.gitattributes` and `.mailmap` relative to its directory when that is outside the work tree,
  // so it runs in the work tree, never in the peers' tree the caller named.
  const inTree = hermetic && !isObserverRepo(cwd) && env.GIT_WORK_TREE ? env.GIT_WORK_TREE : cwd;
  return { argv: [...(hermetic ? HERMETIC_GIT_FLAGS : SAFE_GIT_FLAGS), ...args], options: { cwd: inTree, env, input: opts.input, timeout: opts.timeoutMs } };
}


/**
 * The directory git was to run in is gone (the repository removed while a command runs in it):
 * posix_spawn reports that as ENOENT of `git`, which would send the user looking for a missing git.
 */
export class GitDirectoryGone extends PeersError {}

/** The error a failed spawn of git stands for: its directory gone, git itself missing, or the spawn error as it came. */
function spawnFailure(cwd: string, error: Error): Error {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error;
  if (!existsSync(cwd)) {
    return new GitDirectoryGone(`${cwd} no longer exists: it was removed (or moved) while peers was working in it`, {
      exitCode: 2,
      hint: 'restore the repository (or clone it again) and run the command from it',
    });
  }
  return new PeersError('git is not installed (or not on PATH)', { exitCode: 2, hint: 'install git (apt-get install git) and run the command again' });
}

/** The spawn error's code (ENOBUFS, ETIMEDOUT…), if the spawn failed. */
function spawnErrorCode(res: { error?: Error }): string | undefined {
  return res.error ? ((res.error as NodeJS.ErrnoException).code ?? 'unknown') : undefined;
}

function runGit(cwd: string, args: string[], opts: GitOptions): GitResult {
  const g = gitSpawn(cwd, args, opts);
  const res = spawnGitSync(g, opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  const failed = spawnErrorCode(res);
  if (failed === 'ENOBUFS') throw outputTooLarge(args, opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  if (failed && failed !== 'ETIMEDOUT') throw spawnFailure(cwd, res.error!);
  const stdout = res.stdout.toString('utf8');
  const stderr = res.stderr.toString('utf8');
  if (res.error) return { code: 124, stdout, stderr: `${stderr}\ngit timed out after ${opts.timeoutMs} ms` };
  return { code: res.status ?? 128, stdout, stderr };
}

/**
 * A read whose output a peer sizes (a repository holding millions of files): past the buffer, the
 * caller stops with this message, never with an internal error. Reads that grow with committed
 * content (diffs) stream instead (gitLines).
 */
export class GitOutputTooLarge extends PeersError {}

function outputTooLarge(args: string[], limit: number): PeersError {
  return new GitOutputTooLarge(`git ${args.slice(0, 3).join(' ')}… printed more than ${limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MiB` : `${limit} bytes`}, more than peers reads at once`, {
    hint: 'the repository holds more files (or larger file names) than one read can list; keep generated trees out of it (.gitignore)',
  });
}

/** What a streamed git read ended with: its exit code and stderr (stdout went to the callback). */
export type GitStreamResult = { code: number; stderr: string };

/** An empty file with no name (nobody else can open it), opened for appending and reading. */
function unnamedFile(parent: string): number {
  const dir = mkdtempSync(join(parent, 'peers-git-out-'));
  const fd = openSync(join(dir, 'stdout'), 'a+', 0o600);
  unlinkSync(join(dir, 'stdout'));
  rmdirSync(dir);
  return fd;
}

/**
 * The output file of streamed reads of the run's mirror (memoizeReadsOf), kept for the life of the
 * process: a file and a directory made and removed per diff cost more CPU than the diff on a disk
 * filesystem (BENCHMARKS.md, "Loop processes per tick"). The mirror is peers-owned and read
 * hermetically: no program a peer chose runs there, so nothing but the git we wait for ever holds
 * the file. Emptied before and after each read; opened O_APPEND, so each git writes from the start.
 */
const outputFiles = new Map<string, number>();
const outputInUse = new Set<string>();

/**
 * Runs git with its stdout in an unlinked file (no name anyone can open), then hands it back in
 * chunks: output that grows with what a peer committed, e.g. the diff of a 70 MiB generated file,
 * is read in bounded memory instead of overflowing a buffer and stopping the loop.
 */
export function gitStream(cwd: string, args: string[], onChunk: (chunk: Buffer) => void, opts: Omit<GitOptions, 'maxBuffer'> = {}): GitStreamResult {
  const g = gitSpawn(cwd, args, opts);
  // Beside a mirror (disk, the loop's alone) rather than in /tmp: in the pod the loop's /tmp is a
  // small tmpfs, and a diff of hundreds of MiB must neither fill it nor sit in memory. A read
  // started from within another's callback gets a file of its own.
  const reuse = readMemo.covers(cwd) && !outputInUse.has(cwd);
  let fd: number;
  if (reuse) {
    fd = outputFiles.get(cwd) ?? unnamedFile(cwd);
    outputFiles.set(cwd, fd);
    ftruncateSync(fd, 0);
    outputInUse.add(cwd);
  } else fd = unnamedFile(isObserverRepo(cwd) ? cwd : tmpdir());
  try {
    const res = spawnGitSync(g, 4 * 1024 * 1024, fd);
    const stderr = res.stderr.toString('utf8');
    const code = spawnErrorCode(res);
    if (code) {
      if (code === 'ETIMEDOUT') return { code: 124, stderr: `${stderr}\ngit timed out after ${opts.timeoutMs} ms` };
      if (code === 'ENOBUFS') return { code: 125, stderr: `${stderr.slice(0, 2000)}\n(git's error output was cut at 4 MiB)` };
      throw spawnFailure(cwd, res.error!);
    }
    if (res.status !== 0) return { code: res.status ?? 128, stderr };
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let at = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n === 0) break;
      onChunk(buf.subarray(0, n));
      at += n;
    }
    return { code: 0, stderr };
  } finally {
    if (reuse) {
      // The output does not hold disk space until the next read.
      ftruncateSync(fd, 0);
      outputInUse.delete(cwd);
    } else closeSync(fd);
  }
}

/**
 * gitStream, line by line (split on \n, each line decoded whole, so a character is never cut). A
 * line is as long as git prints it: one line of a minified file is held once, not the whole diff.
 */
export function gitLines(cwd: string, args: string[], onLine: (line: string) => void, opts: Omit<GitOptions, 'maxBuffer'> = {}): GitStreamResult {
  let rest: Buffer[] = [];
  const res = gitStream(
    cwd,
    args,
    (chunk) => {
      let from = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
        const piece = chunk.subarray(from, nl);
        onLine((rest.length ? Buffer.concat([...rest, piece]) : piece).toString('utf8'));
        rest = [];
        from = nl + 1;
      }
      // The chunk's buffer is reused by the next read: keep a copy of the unfinished line.
      if (from < chunk.length) rest.push(Buffer.from(chunk.subarray(from)));
    },
    opts,
  );
  if (res.code === 0 && rest.length) onLine(Buffer.concat(rest).toString('utf8'));
  return res;
}

/** Runs git and returns stdout; throws GitError on a non-zero exit. */
export function gitOk(cwd: string, args: string[], opts: GitOptions = {}): string {
  const res = git(cwd, args, opts);
  if (res.code !== 0) throw new GitError(args, res);
  return res.stdout;
}

/** Raw bytes of a git call's stdout (packs, objects); throws GitError on a non-zero exit. */
export function gitBytes(cwd: string, args: string[], opts: GitOptions = {}): Buffer {
  readMemo.forgetRefs(cwd);
  const g = gitSpawn(cwd, args, opts);
  const res = spawnGitSync(g, opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  if (spawnErrorCode(res) === 'ENOBUFS') throw outputTooLarge(args, opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  if (res.error) throw spawnFailure(cwd, res.error);
  if (res.status !== 0) throw new GitError(args, { code: res.status ?? 128, stdout: '', stderr: res.stderr.toString('utf8') });
  return res.stdout;
}

export function isGitRepo(dir: string): boolean {
  const res = git(dir, ['rev-parse', '--is-inside-work-tree']);
  return res.code === 0 && res.stdout.trim() === 'true';
}

export function headSha(cwd: string): string | undefined {
  const res = git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  return res.code === 0 ? res.stdout.trim() : undefined;
}

export function repoRoot(cwd: string): string {
  return gitOk(cwd, ['rev-parse', '--show-toplevel']).trim();
}
