/**
 * Where a project's run state lives: outside the repository, so peers cannot reach it (docs/ARCHITECTURE.md, Processes and trust boundaries).
 * `$PEERS_STATE_DIR` if set, else `$XDG_STATE_HOME/peers/<project>/` (default
 * `~/.local/state/peers/<project>/`), `<project>` = sanitized basename of the repo root + '-' +
 * the first 8 hex of sha256(realpath): two clones named alike never share state.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { accessingFile } from '../fs/file-errors.ts';
import { basename, dirname, join } from 'node:path';
import { assertSafeDir } from '../fs/atomic-write.ts';
import { stateDirOverride, xdgStateHome } from './env-dirs.ts';
import { refuseForeignStateDir } from './foreign-state-dir.ts';

export function projectKey(repoDir: string): string {
  const real = realpathSync(repoDir);
  const name = basename(real).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64) || 'project';
  // Bun's hasher: node:crypto costs every start that reads a project (`status`, `ls`) more than the hash.
  return `${name}-${new Bun.CryptoHasher('sha256').update(real).digest('hex').slice(0, 8)}`;
}

/** A project key's shape (projectKey): the name, a dash, 8 hex digits. */
const PROJECT_KEY = /^(.{1,64})-[0-9a-f]{8}$/;
const ARCHIVE_SUFFIX = '.archive';

/**
 * Which project a state directory is of, read from its path alone (for a run read without its
 * repository: `peers report --state-dir`): `key`, the project key of a default state directory
 * (`…/peers/<key>`) or of an archive of one (`<key>.archive/<id>`, archiveRootFor), else null (a
 * `$PEERS_STATE_DIR` or `--state-dir` named otherwise); `name`, the key's name part, else the
 * directory's own name (an archive's: the archived directory's).
 */
export function projectOfStateDir(dir: string): { key: string | null; name: string } {
  const parent = basename(dirname(dir));
  const own = parent.endsWith(ARCHIVE_SUFFIX) && parent.length > ARCHIVE_SUFFIX.length ? parent.slice(0, -ARCHIVE_SUFFIX.length) : basename(dir);
  const key = PROJECT_KEY.exec(own);
  return key ? { key: own, name: key[1]! } : { key: null, name: own };
}

export function stateDirFor(repoDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return stateDirOverride(env) ?? join(xdgStateHome(env), 'peers', projectKey(repoDir));
}

/** Where a state dir's archives live (src/state/run-archive.ts): beside it, so a rename never crosses a file system. */
export function archiveRootFor(stateDir: string): string {
  return join(dirname(stateDir), `${basename(stateDir)}${ARCHIVE_SUFFIX}`);
}

export type StatePaths = {
  dir: string;
  state: string;
  runs: string;
  lock: string;
  stopReason: string;
  halted: string;
  report: string;
  snapshotDir: string;
  prompts: string;
  logs: string;
  /** Full review diffs too large for a prompt (the prompt lists the files and points here). */
  diffs: string;
  /** What a turn left uncommitted, saved as a patch before the loop discards it (leftover-work.ts). */
  leftovers: string;
  gateCache: string;
  /** The loop's key for gate cache entries (pod only; gate-cache.ts). */
  gateCacheKey: string;
  recon: string;
  /** Everything of the run's repositories (docs/ARCHITECTURE.md, "The run clone"). */
  run: string;
  /** The run clone: the only repository the peers work in (`peers up`). */
  clone: string;
  /** The trusted mirror every git read outside the workspace goes through. */
  mirror: string;
  /** The stage the mirror is synced through (observer.ts). */
  stage: string;
  /** The host loop's dependency cache for `setup`. */
  depCache: string;
  codemap: string;
  /** The operator's live controls (operator-control.ts): written by the host, read-only to the loop in the pod. */
  controlDir: string;
  control: string;
  /** The loop container's console output (podman writes it here, so it outlives the container). */
  loopLog: string;
  /** The processes the loop supervises right now, so the next loop can stop what a dead one left (loop-children.ts). */
  children: string;
  /** Space the loop frees to record its stop when the disk fills (disk-reserve.ts). */
  diskReserve: string;
};

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    state: join(dir, 'state.json'),
    runs: join(dir, 'runs.jsonl'),
    lock: join(dir, 'run.lock'),
    stopReason: join(dir, 'last-stop-reason.txt'),
    halted: join(dir, 'HALTED.md'),
    report: join(dir, 'REPORT.md'),
    snapshotDir: join(dir, 'snapshot'),
    prompts: join(dir, 'prompts'),
    logs: join(dir, 'logs'),
    diffs: join(dir, 'diffs'),
    leftovers: join(dir, 'leftovers'),
    gateCache: join(dir, 'gate-cache.json'),
    gateCacheKey: join(dir, 'gate-cache.key'),
    run: join(dir, 'run'),
    clone: join(dir, 'run', 'clone'),
    mirror: join(dir, 'run', 'mirror.git'),
    stage: join(dir, 'run', 'stage.git'),
    depCache: join(dir, 'dep-cache'),
    recon: join(dir, 'recon.md'),
    codemap: join(dir, 'codemap.md'),
    controlDir: join(dir, 'control'),
    control: join(dir, 'control', 'operator.json'),
    loopLog: join(dir, 'loop.log'),
    children: join(dir, 'children.json'),
    diskReserve: join(dir, 'disk-reserve'),
  };
}

/** What others than statePaths keep at the top of a state directory: the budget policy, the live turn, the sidecars' files, a rehearsal's and a cluster run's, what `peers up` and `reset` record. */
const OTHER_STATE_ENTRIES = ['budget.json', 'turn.json', 'usage.jsonl', 'sidecars', 'rehearsal', 'k8s', 'published-before-reset.json', 'user-repo-fingerprint.json', 'up-flags.json'];

/** Every name peers keeps at the top of a state directory (foreign-state-dir.ts tells a state directory by them). */
export function stateDirEntries(): ReadonlySet<string> {
  const top = Object.values(statePaths('/state')).filter((path) => dirname(path) === '/state').map((path) => basename(path));
  return new Set([...top, ...OTHER_STATE_ENTRIES]);
}

export function leftoverPatchFile(p: StatePaths, tick: number, peer: string): string {
  return join(p.leftovers, `tick-${String(tick).padStart(5, '0')}-${peer}.patch`);
}

export function promptFile(p: StatePaths, tick: number, peer: string): string {
  return join(p.prompts, `tick-${String(tick).padStart(5, '0')}-${peer}.txt`);
}

/**
 * Creates the state directory tree (0700) and refuses symlinked directories. `userChosen`: the
 * directory comes from the user (`$PEERS_STATE_DIR`, `--state-dir`) for a command that starts a run
 * there (`up`, `pause`): a directory of other files is refused (foreign-state-dir.ts). The loop
 * itself is given its directory by `up` (or by a test), where what is there is peers' or planted.
 */
export function ensureStateDirs(p: StatePaths, userChosen = true): void {
  if (userChosen) refuseForeignStateDir(p.dir, stateDirEntries());
  for (const d of [p.dir, p.snapshotDir, p.prompts, p.logs, p.diffs, p.controlDir]) {
    accessingFile(d, STATE_DIR, () => {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      assertSafeDir(d);
    });
  }
}

// Also said by `peers up`, which has no --state-dir: the variables are what every command honours.
const STATE_DIR_HINT = 'make it writable, or point $XDG_STATE_HOME (where every project\'s state goes, default ~/.local/state) or $PEERS_STATE_DIR (this project\'s) at a directory peers can create and own (not a symlink)';
/** Denied too, the hint names the variables that move it: a read-only home is fixed by them, not by chmod. */
const STATE_DIR = { what: 'state directory', hint: STATE_DIR_HINT, deniedHint: STATE_DIR_HINT };

/**
 * A pod run's clone with the host's mirror beside it: a run whose commits `peers status`, `report`,
 * `up` and `down` publish to the user's repository. A host-only `peers loop` has a mirror but no
 * run clone: its commits are the repository's own.
 */
export function hasRunClone(paths: StatePaths): boolean {
  // The clone's directory, not its `.git`: the peers can remove that, and the run's commits would
  // then never be published (SECURITY.md, "The peers cannot make `up` throw the run away").
  return existsSync(join(paths.mirror, 'HEAD')) && existsSync(paths.clone);
}
