/**
 * The trusted observer (docs/ARCHITECTURE.md, "The trusted observer"). Everything outside the
 * workspace reads commits through a git dir whose configuration peers wrote:
 *
 *   - the MIRROR (`<state>/run/mirror.git`): a bare repository holding the run's history. Its HEAD
 *     is `refs/peers/head`; the loop's attestation notes live here, where no peer can write.
 *   - a STAGE (`<state>/run/stage.git`): a bare git dir whose only ref we write ourselves from a
 *     no-follow, size-capped parse of the working repository's HEAD (repo-layout.ts), and whose
 *     objects are that repository's object store, as a read-only alternate.
 *
 * `syncMirror` fetches the stage's ref into the mirror: git's upload-pack runs in the stage (our
 * config), reads the peers' objects as plain data, and the mirror's index-pack recomputes every
 * object's hash and fscks it. No git process ever opens the peers' repository as a repository, so
 * nothing in its config, hooks or attributes runs. After a sync, every reader uses the mirror.
 *
 * A host command's read-only VIEW of a repository (`openView`, `withObservedWorkTree`) is a third
 * such git dir, made with this file's `initObserverRepo` and `ensureStage`: observed-view.ts.
 */
import { userSafeDirectoryEnv } from './safe-directory.ts';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { constants as zlib, inflateSync } from 'node:zlib';
import { readRange } from '../fs/safe-read.ts';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { InPlaceRecord } from '../fs/in-place-record.ts';
import { git, gitOk, hermeticGitEnv, isObserverRepo, OBSERVER_MARKER } from './git.ts';
import { packedObjectType } from './pack-object-type.ts';
import { objectStoreProblem } from './object-store-check.ts';
import { linkObjectStore } from './object-store-links.ts';
import { unpinnedAlternates } from './pinned-alternates.ts';
import { borrowViewStores } from './view-objects.ts';
import { alternatesLine } from './alternates-line.ts';
import { declaredAlternates, isObjectId, readHead, resolveRef, resolveRepoLayout, RepoLayoutError } from './repo-layout.ts';

/** The run's current commit in the mirror (the mirror's HEAD points here). */
export const RUN_HEAD_REF = 'refs/peers/head';
/** The user's HEAD the run started from. */
export const RUN_BASE_REF = 'refs/peers/base';
/** `peers init`'s tag: where "new" test markers are counted from. Taken from the user's repository
 *  when the run starts, never from the peers'. */
export const BASELINE_TAG = 'refs/tags/peers-baseline';
/** The loop's attestation notes (src/protocol/attestation.ts): written in the mirror only. */
export const ATTEST_NOTES_REF = 'refs/notes/peers-attest';

/** Long enough for a first import of a large repository, short enough that a hang ends. */
export const FETCH_TIMEOUT_MS = 30 * 60_000;
export const QUICK_TIMEOUT_MS = 60_000;

/** Appended to what `git init` writes: the whole configuration of an observer repo. */
const OBSERVER_CONFIG = `[core]
	hooksPath = /dev/null
	fsmonitor = false
	logAllRefUpdates = always
	# The stage must not trust auxiliary files a peer could forge in the object store it borrows.
	commitGraph = false
	multiPackIndex = false
[gc]
	auto = 0
[maintenance]
	auto = false
[transfer]
	# Objects coming from the peers' store are checked for structure, not just hashed.
	fsckObjects = true
[pack]
	useBitmaps = false
`;

/** Creates (or completes) a peers-owned bare git dir: our config, the marker, HEAD → RUN_HEAD_REF. */
export function initObserverRepo(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dir, OBSERVER_MARKER))) {
    const template = makeScratchDir('peers-template-');
    try {
      gitOk(dir, ['init', '--quiet', '--bare', `--template=${template}`, dir], { hermetic: true });
    } finally {
      rmSync(template, { recursive: true, force: true });
    }
    const base = readFileSync(join(dir, 'config'), 'utf8').replace(/\n*$/, '\n');
    writeFileAtomic(join(dir, 'config'), `${base}${OBSERVER_CONFIG}`);
  }
  writeFileAtomic(join(dir, 'HEAD'), `ref: ${RUN_HEAD_REF}\n`, 0o644);
  writeFileAtomic(join(dir, OBSERVER_MARKER), 'This git dir is written by peers only; peers reads it hermetically.\n');
}

/**
 * The object `ref` names in an observer repo, read as a file (loose ref or packed-refs), without
 * running git: these git dirs are written only by peers (and their refs only through git or
 * this file's functions). Undefined when the ref does not exist.
 */
export function observerRef(dir: string, ref: string): string | undefined {
  if (!isObserverRepo(dir)) throw new ObserverError(`${dir} is not a peers-owned git dir`);
  return resolveRef({ workDir: dir, gitDir: dir, commonDir: dir, objectsDir: join(dir, 'objects') }, ref);
}

/** The commit RUN_HEAD_REF holds in an observer repo, or null when it has none yet. */
export function observedHead(dir: string, ref = RUN_HEAD_REF): string | null {
  const r = git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { timeoutMs: QUICK_TIMEOUT_MS });
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Imports `ref` of a repository peers trusts (the user's own, at `peers up`) into `mirror` as
 * `dest`. git runs upload-pack in that repository with its config: acceptable for the user's
 * repository, which no peer can write, and never used for the run clone.
 */
export function importTrusted(mirror: string, source: string, ref: string, dest: string, kind: 'commit' | 'any' = 'commit', o: { depth?: number } = {}): string {
  // Keep the pack as it comes (a few large objects would otherwise be unpacked loose, and every
  // later clone from the mirror would have to compress and delta-search them again). A shallow
  // source's history ends where its `shallow` list says, and the mirror's then does too.
  // The user's safe.directory entries: their repository may be another user's that they trust (safe-directory.ts).
  gitOk(mirror, ['-c', 'transfer.fsckObjects=false', '-c', 'fetch.unpackLimit=1', 'fetch', '--quiet', '--update-shallow', ...(o.depth ? [`--depth=${o.depth}`] : []), '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', source, `+${ref}:${dest}`], { timeoutMs: FETCH_TIMEOUT_MS, env: userSafeDirectoryEnv() });
  const sha = kind === 'commit' ? observedHead(mirror, dest) : gitOk(mirror, ['rev-parse', '--verify', dest]).trim();
  if (!sha) throw new RepoLayoutError(`${ref} of ${source} is not a commit`);
  return sha;
}

export type SyncResult = {
  /** The working repository's HEAD, now in the mirror (null when HEAD is unborn). */
  head: string | null;
  /** The branch HEAD is on (null when detached). */
  branch: string | null;
};

export class ObserverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObserverError';
  }
}

/** Makes `stage` an observer repo (if it is not one yet) borrowing `objectsDir` (one store or several) as its alternates. */
export function ensureStage(stage: string, objectsDir: string | string[]): void {
  if (!existsSync(join(stage, OBSERVER_MARKER))) initObserverRepo(stage);
  const alternates = join(stage, 'objects', 'info', 'alternates');
  const want = `${[objectsDir].flat().map(alternatesLine).join('\n')}\n`;
  let have = '';
  try {
    have = readFileSync(alternates, 'utf8');
  } catch {}
  if (have !== want) {
    mkdirSync(join(stage, 'objects', 'info'), { recursive: true });
    writeFileAtomic(alternates, want);
  }
}

/**
 * The type a loose object's header claims (`commit`, `blob`…), read from at most 1 KiB of the file
 * without running git: what `git cat-file -t` reads too (the header, no hash check). Undefined
 * when there is no such regular file or it does not inflate to a header; the caller then asks git.
 * Only a pre-check: the mirror's index-pack hashes every object it takes, and syncMirror checks
 * afterwards that the mirror's head is a commit.
 */
export function looseObjectType(objectsDir: string, sha: string): string | undefined {
  if (!isObjectId(sha)) return undefined;
  const file = readRange(join(objectsDir, sha.slice(0, 2), sha.slice(2)), { from: 0 }, 1024);
  if (!file || file.bytes.length === 0) return undefined;
  try {
    const head = inflateSync(file.bytes, { finishFlush: zlib.Z_SYNC_FLUSH }).subarray(0, 64).toString('latin1');
    return /^(commit|tree|blob|tag) [0-9]+\0/.exec(head)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Whether the mirror's RUN_HEAD_REF is `sha` and names a commit, as the mirror's own store says:
 * the ref file, then the object's type from the mirror's loose file or pack entry (written and
 * hashed by our own git, so the type is the one `sha` commits to; pack-object-type.ts), without a
 * git process. Where that store cannot say (a delta entry, an older pack), git answers.
 */
function mirrorHeadIsCommit(mirror: string, sha: string): boolean {
  let ref: string | undefined;
  try {
    ref = observerRef(mirror, RUN_HEAD_REF);
  } catch {
    ref = undefined;
  }
  if (ref === sha) {
    const type = looseObjectType(join(mirror, 'objects'), sha) ?? packedObjectType(mirror, sha);
    if (type !== undefined) return type === 'commit';
  }
  return observedHead(mirror) === sha;
}

/** In the stage: the working repository's object store as hard links (object-store-links.ts). */
const LINKED_OBJECTS = 'peer-objects';
/** Written once the store could be linked: from then on a store that cannot be is refused. */
const LINKED_MARKER = 'peer-objects.linked';

/**
 * The objects dir the stage borrows for a sync: the working repository's store as hard links the
 * loop checked, so nothing a peer's leftover process swaps in afterwards reaches git. Where the
 * store cannot be linked at all (another filesystem, another user's files: a host loop on a user's
 * repository), the
 * store itself, checked in place (object-store-check.ts); once linked, never again in place, so
 * a peer cannot force the weaker way by pointing a directory of its store elsewhere.
 */
function borrowObjects(stage: string, objectsDir: string, workDir: string, hasAlternates: boolean): string {
  const refuse = (why: string) => new ObserverError(`cannot read the repository at ${workDir}: ${why}`);
  if (!existsSync(join(stage, OBSERVER_MARKER))) initObserverRepo(stage);
  const linked = join(stage, LINKED_OBJECTS);
  // A user's repository that borrows objects itself (`clone --shared`, allowed for it only) is read in place.
  const r = hasAlternates ? ({ ok: false, unlinkable: true } as const) : linkObjectStore(objectsDir, linked);
  if (r.ok) {
    // Our links, fixed: an alternates file among them (planted after the check above) is refused here.
    for (const f of ['alternates', 'http-alternates']) if (existsSync(join(linked, 'info', f))) throw refuse(`the object store declares info/${f}, which peers never creates`);
    if (!existsSync(join(stage, LINKED_MARKER))) writeFileAtomic(join(stage, LINKED_MARKER), '', 0o600, { durable: false });
    return linked;
  }
  if ('problem' in r) throw refuse(r.problem);
  if (!hasAlternates && existsSync(join(stage, LINKED_MARKER))) throw refuse('its object store can no longer be linked into the stage');
  rmSync(linked, { recursive: true, force: true });
  if (hasAlternates) {
    // Every store the (pinned) alternates lead to, checked in place as git would reach it.
    try {
      borrowViewStores(objectsDir, undefined);
    } catch (error) {
      throw refuse((error as Error).message);
    }
    return objectsDir;
  }
  const planted = objectStoreProblem(objectsDir);
  if (planted) throw refuse(planted);
  return objectsDir;
}

/** The last stage's ref file, kept open from one sync to the next (one stage per loop). */
let staged: { path: string; record: InPlaceRecord } | undefined;
function stagedHeadRef(path: string): InPlaceRecord {
  if (staged?.path !== path) {
    staged?.record.close();
    staged = { path, record: new InPlaceRecord(path) };
  }
  return staged.record;
}

/**
 * Brings the working repository's HEAD into the mirror (see the file comment). `allowGitFile` and
 * `allowAlternates` are for a user's repository (a `git worktree`, a `clone --shared`); the run
 * clone has neither, so either there means a peer tampered with it, and the sync is refused.
 * Throws ObserverError when the HEAD cannot be imported; the mirror then keeps what it had.
 */
export function syncMirror(o: { mirror: string; stage: string; workDir: string; allowGitFile?: boolean; allowAlternates?: boolean; known?: string | null }): SyncResult {
  let layout;
  let head;
  let alts: string[];
  try {
    layout = resolveRepoLayout(o.workDir, { allowGitFile: o.allowGitFile ?? false });
    alts = declaredAlternates(layout);
    if (alts.length && !o.allowAlternates) throw new RepoLayoutError(`the object store declares ${alts.join(' and ')}, which peers never creates`);
    const unpinned = alts.length ? unpinnedAlternates(o.stage, layout.objectsDir, alts) : undefined;
    if (unpinned) throw new RepoLayoutError(unpinned);
    head = readHead(layout);
  } catch (error) {
    throw new ObserverError(`cannot read the repository at ${o.workDir}: ${(error as Error).message}`);
  }
  const branch = head.ref?.startsWith('refs/heads/') ? head.ref.slice('refs/heads/'.length) : null;
  if (!head.sha) return { head: null, branch };
  if (!isObjectId(head.sha)) throw new ObserverError(`HEAD of ${o.workDir} is not an object id`);
  // Unchanged since the caller's last sync (the mirror's only writer knows its head): nothing to do.
  if (o.known && head.sha === o.known) return { head: head.sha, branch };
  const objectsDir = borrowObjects(o.stage, layout.objectsDir, o.workDir, alts.length > 0);
  ensureStage(o.stage, objectsDir);
  const type = looseObjectType(objectsDir, head.sha) === 'commit' ? { code: 0, stdout: 'commit\n' } : git(o.stage, ['cat-file', '-t', head.sha], { timeoutMs: QUICK_TIMEOUT_MS });
  if (type.code !== 0 || type.stdout.trim() !== 'commit') throw new ObserverError(`HEAD of ${o.workDir} (${head.sha.slice(0, 12)}) is ${type.code === 0 ? `a ${type.stdout.trim()}` : 'missing from its object store'}, not a commit`);
  // The stage is ours and only this function writes its ref: a loose ref file, written without a
  // git process (it names an object `cat-file` just found to be a commit). Atomic but not durable
  // (no fsync): it only carries HEAD to the fetch below, and every sync writes it again just before
  // the fetch that reads it, so what a power cut leaves of it is never read (docs/ARCHITECTURE.md,
  // "Crash consistency of a tick"). Rewritten in place (in-place-record.ts): no file made per sync.
  try {
    mkdirSync(join(o.stage, 'refs', 'peers'), { recursive: true, mode: 0o700 });
    stagedHeadRef(join(o.stage, RUN_HEAD_REF)).write(`${head.sha}\n`);
  } catch (error) {
    throw new ObserverError(`cannot stage HEAD ${head.sha.slice(0, 12)}: ${(error as Error).message}`);
  }
  // The caller that knows the mirror's head (its only writer) skips asking for it.
  const before = o.known !== undefined ? o.known : observedHead(o.mirror);
  if (before !== head.sha) {
    const f = git(o.mirror, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', o.stage, `+${RUN_HEAD_REF}:${RUN_HEAD_REF}`], { timeoutMs: FETCH_TIMEOUT_MS });
    if (f.code !== 0) throw new ObserverError(`importing ${head.sha.slice(0, 12)} into the trusted mirror failed: ${f.stderr.trim().slice(-400)}`);
  }
  // The authority on HEAD's type (the header read above is only a pre-check): a blob or tree the
  // mirror already holds, named by a loose file forged to read "commit", is taken by the fetch
  // without a transfer. The mirror then gets its last good head back.
  if (!mirrorHeadIsCommit(o.mirror, head.sha)) {
    git(o.mirror, before ? ['update-ref', RUN_HEAD_REF, before] : ['update-ref', '-d', RUN_HEAD_REF], { timeoutMs: QUICK_TIMEOUT_MS });
    throw new ObserverError(`the trusted mirror did not take ${head.sha.slice(0, 12)}: it is not a commit`);
  }
  return { head: head.sha, branch };
}

/**
 * Copies one ref of a working repository into the mirror through the stage (same guarantees as
 * syncMirror). The host loop uses it once, when its mirror is new, for BASELINE_TAG.
 */
export function importRefViaStage(o: { mirror: string; stage: string; workDir: string }, ref: string): boolean {
  const layout = resolveRepoLayout(o.workDir, { allowGitFile: true });
  const sha = resolveRef(layout, ref);
  if (!sha) return false;
  ensureStage(o.stage, layout.objectsDir);
  if (git(o.stage, ['update-ref', ref, sha], { timeoutMs: QUICK_TIMEOUT_MS }).code !== 0) return false;
  return git(o.mirror, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', o.stage, `+${ref}:${ref}`], { timeoutMs: FETCH_TIMEOUT_MS }).code === 0;
}

/** The environment hermetic git runs with, for callers that spawn git themselves (the gates' clone). */
export function observerEnv(): Record<string, string> {
  return hermeticGitEnv();
}
