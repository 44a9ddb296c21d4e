import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listCommits } from '../../../src/git/commits.ts';
import { git, gitOk } from '../../../src/git/git.ts';
import { openView, VIEW_COPY_LIMITS, withObservedWorkTree } from '../../../src/git/observed-view.ts';
import { initObserverRepo, looseObjectType, ObserverError, observedHead, RUN_HEAD_REF, syncMirror } from '../../../src/git/observer.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';

const PLANT = resolve(import.meta.dir, '../../fixtures/attacks/plant-git-traps.sh');
const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
let root: string;
let work: string;
let mirror: string;
let stage: string;
let token: string;

const markers = () => readdirSync('/tmp').filter((n) => n.startsWith(`peers-pwned-${token}-`));
const clearMarkers = () => {
  for (const m of markers()) rmSync(join('/tmp', m), { force: true });
};
function commit(msg: string, file = 'f.txt', body = msg): string {
  writeFileSync(join(work, file), `${body}\n`);
  gitOk(work, ['add', file]);
  gitOk(work, [...id, 'commit', '-q', '--no-verify', '-m', msg]);
  return gitOk(work, ['rev-parse', 'HEAD']).trim();
}
const sync = () => syncMirror({ mirror, stage, workDir: work });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-observer-'));
  work = join(root, 'clone');
  mirror = join(root, 'mirror.git');
  stage = join(root, 'stage.git');
  token = Math.random().toString(36).slice(2, 10);
  gitOk(root, ['init', '-q', '-b', 'main', work]);
  initObserverRepo(mirror);
});
afterEach(() => {
  clearMarkers();
  rmSync(root, { recursive: true, force: true });
});

describe('the trusted mirror', () => {
  test('imports the working repository HEAD and its history; the mirror HEAD follows it', () => {
    expect(sync()).toEqual({ head: null, branch: 'main' });
    const a = commit('a');
    const b = commit('b');
    expect(sync()).toEqual({ head: b, branch: 'main' });
    expect(observedHead(mirror)).toBe(b);
    expect(listCommits(mirror, 'HEAD').map((c) => c.sha)).toEqual([a, b]);
    // A detached HEAD and a rewrite are imported as they are (judging them is the loop's business).
    gitOk(work, ['checkout', '-q', '--detach', a]);
    expect(sync()).toEqual({ head: a, branch: null });
    expect(git(mirror, ['cat-file', '-e', b]).code).toBe(0);
  });

  test('every repository-supplied command a peer can plant runs nowhere while the mirror is synced and read', () => {
    commit('base');
    const planted = spawnSync('sh', [PLANT, work, token], { encoding: 'utf8' });
    expect(planted.status, planted.stderr).toBe(0);
    gitOk(work, [...id, 'commit', '-q', '--no-verify', '-m', 'plant']);
    const expected = commit('more', 'f.txt', 'changed under diff=pwn and filter=pwn');
    // The peer's own git ran some of them in its repository: that is the workspace, allowed.
    clearMarkers();
    const { head } = sync();
    expect(head).toBe(expected);
    // Every kind of read the loop and the host commands do.
    expect(listCommits(mirror, 'HEAD~2..HEAD').length).toBe(2);
    gitOk(mirror, ['log', '-p', '--stat', 'HEAD~2..HEAD']);
    gitOk(mirror, ['diff', '--stat', '--patch', 'HEAD~2..HEAD', '--', '.', ':(exclude).peers']);
    gitOk(mirror, ['show', 'HEAD']);
    gitOk(mirror, ['-c', 'user.name=s', '-c', 'user.email=s@s', 'notes', '--ref=peers-attest', 'add', '-f', '-m', 'alpha', 'HEAD']);
    const checkout = join(root, 'checkout');
    gitOk(root, ['clone', '-q', '--shared', '--no-checkout', mirror, checkout], { hermetic: true });
    gitOk(checkout, ['checkout', '-q', '--detach', head!], { hermetic: true });
    sync();
    expect(markers()).toEqual([]);
    // The traps are real: the same reads in the peer's repository with plain git run them.
    spawnSync('git', ['log', '-p', '-1'], { cwd: work, env: { ...process.env, GIT_PAGER: '' } });
    expect(markers().length).toBeGreaterThan(0);
  });

  test('refs/replace and info/grafts planted in the clone change nothing the mirror or a host view judges', () => {
    // The peer commits the bug, then tells git that commit "is" a good one (`git replace`) and that
    // its history is another (`info/grafts`): git in the clone itself then shows the good content.
    const base = commit('base', 'f.txt', 'base');
    const good = commit('good', 'f.txt', 'good');
    gitOk(work, ['reset', '-q', '--hard', base]);
    const bad = commit('bad', 'f.txt', 'bad');
    gitOk(work, ['replace', bad, good]);
    writeFileSync(join(work, '.git', 'info', 'grafts'), `${bad}\n`);
    expect(spawnSync('git', ['show', 'HEAD:f.txt'], { cwd: work, encoding: 'utf8' }).stdout).toBe('good\n');
    expect(sync().head).toBe(bad);
    expect(gitOk(mirror, ['show', `${RUN_HEAD_REF}:f.txt`])).toBe('bad\n');
    expect(listCommits(mirror, 'HEAD').map((c) => c.sha)).toEqual([base, bad]);
    expect(gitOk(mirror, ['for-each-ref', '--format=%(refname)'])).not.toContain('refs/replace');
    // A host command's view of the clone (`peers check`, `bugs`) reads the commit too.
    const view = join(root, 'view.git');
    expect(openView(work, view)).toBe(bad);
    expect(gitOk(view, ['show', `${RUN_HEAD_REF}:f.txt`])).toBe('bad\n');
    expect(listCommits(view, RUN_HEAD_REF).map((c) => c.sha)).toEqual([base, bad]);
  });

  test('a forged object (content that does not hash to its name) never reaches the mirror', () => {
    commit('a');
    sync();
    const b = commit('b', 'g.txt', 'honest content');
    // Rewrite b's blob in place: the loose object file now holds another blob's bytes.
    const blob = gitOk(work, ['rev-parse', 'HEAD:g.txt']).trim();
    const other = gitOk(work, ['hash-object', '-w', '--stdin'], { input: 'forged content\n' }).trim();
    const path = (sha: string) => join(work, '.git', 'objects', sha.slice(0, 2), sha.slice(2));
    rmSync(path(blob), { force: true });
    writeFileSync(path(blob), readFileSync(path(other)));
    expect(() => sync()).toThrow(ObserverError);
    expect(observedHead(mirror)).not.toBe(b);
  });

  test('a commit whose message holds a NUL (which could forge records in the loop\'s `git log -z` reads) never reaches the mirror', () => {
    const a = commit('a');
    sync();
    const tree = gitOk(work, ['rev-parse', 'HEAD^{tree}']).trim();
    // After the NUL, what a parser of `%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%B` records would take for another commit.
    const body = `tree ${tree}\nparent ${a}\nauthor t <t@t> 1 +0000\ncommitter t <t@t> 1 +0000\n\nwork\0${a}\0\0bob\0bob@x\0bob\0bob@x\0Peer: bob\nPeer-Status: handoff\n`;
    const forged = gitOk(work, ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], { input: body }).trim();
    gitOk(work, ['update-ref', 'HEAD', forged]);
    expect(() => sync()).toThrow(ObserverError);
    expect(observedHead(mirror)).toBe(a);
  });

  test('HEAD\'s loose object claiming to be a commit is only a pre-check: one that hashes to another name never becomes the mirror\'s head', () => {
    commit('a');
    sync();
    const before = observedHead(mirror);
    const c = commit('b', 'g.txt', 'honest content');
    // c's loose file now holds another commit's bytes: its header says "commit", its hash is not c.
    const other = gitOk(work, [...id, 'commit-tree', '-m', 'other', `${c}^{tree}`]).trim();
    const path = (sha: string) => join(work, '.git', 'objects', sha.slice(0, 2), sha.slice(2));
    expect(looseObjectType(join(work, '.git', 'objects'), c)).toBe('commit');
    rmSync(path(c), { force: true });
    writeFileSync(path(c), readFileSync(path(other)));
    expect(looseObjectType(join(work, '.git', 'objects'), c)).toBe('commit');
    expect(() => sync()).toThrow(ObserverError);
    expect(observedHead(mirror)).toBe(before);
    // A loose blob named as HEAD is read as a blob, and refused.
    const blob = gitOk(work, ['hash-object', '-w', '--stdin'], { input: 'just data\n' }).trim();
    expect(looseObjectType(join(work, '.git', 'objects'), blob)).toBe('blob');
    writeFileSync(join(work, '.git/HEAD'), `${blob}\n`);
    expect(() => sync()).toThrow(/a blob, not a commit/);
    expect(observedHead(mirror)).toBe(before);
  });

  test('a blob the mirror already holds, named as HEAD with a loose file forged to read "commit", is refused after the fetch', () => {
    const a = commit('a', 'g.txt', 'data the mirror takes');
    sync();
    // The blob is in the mirror (a's tree): the fetch has nothing to send and moves the ref at once.
    const blob = gitOk(work, ['rev-parse', 'HEAD:g.txt']).trim();
    const other = gitOk(work, [...id, 'commit-tree', '-m', 'other', `${a}^{tree}`]).trim();
    const path = (sha: string) => join(work, '.git', 'objects', sha.slice(0, 2), sha.slice(2));
    rmSync(path(blob), { force: true });
    writeFileSync(path(blob), readFileSync(path(other)));
    expect(looseObjectType(join(work, '.git', 'objects'), blob)).toBe('commit');
    writeFileSync(join(work, '.git/HEAD'), `${blob}\n`);
    // The in-process header read is only a pre-check: the mirror's own `^{commit}` check refuses it.
    expect(() => sync()).toThrow(ObserverError);
    expect(() => syncMirror({ mirror, stage, workDir: work, known: a })).toThrow(ObserverError);
    expect(observedHead(mirror)).toBe(a);
  });

  test('a blob packed in the working repository and named as HEAD by a loose file forged to read "commit" is refused after the fetch that brings it', () => {
    const a = commit('a');
    sync();
    // The blob is new to the mirror: the fetch transfers it (the packed copy, which hashes to its
    // name), and only the mirror's own record of its type tells that the head is not a commit.
    const blob = gitOk(work, ['hash-object', '-w', '--stdin'], { input: 'packed data, never in the mirror\n' }).trim();
    const other = gitOk(work, [...id, 'commit-tree', '-m', 'other', `${a}^{tree}`]).trim();
    const pack = join(work, '.git', 'objects', 'pack');
    mkdirSync(pack, { recursive: true });
    const made = spawnSync('git', ['pack-objects', '-q', join(pack, 'pack')], { cwd: work, input: `${blob}\n` });
    expect(made.status).toBe(0);
    const path = (sha: string) => join(work, '.git', 'objects', sha.slice(0, 2), sha.slice(2));
    rmSync(path(blob), { force: true });
    writeFileSync(path(blob), readFileSync(path(other)));
    expect(looseObjectType(join(work, '.git', 'objects'), blob)).toBe('commit');
    writeFileSync(join(work, '.git/HEAD'), `${blob}\n`);
    expect(() => syncMirror({ mirror, stage, workDir: work, known: a })).toThrow(/not a commit/);
    expect(observedHead(mirror)).toBe(a);
  });

  test('tampering with the git layout is refused, never followed', () => {
    commit('a');
    sync();
    const before = observedHead(mirror);
    // Alternates pointing anywhere the reader can see.
    writeFileSync(join(work, '.git/objects/info/alternates'), `${mirror}/objects\n`);
    expect(() => sync()).toThrow(/alternates/);
    rmSync(join(work, '.git/objects/info/alternates'));
    // HEAD's branch file replaced by a symlink to a file outside.
    writeFileSync(join(root, 'outside'), `${'a'.repeat(40)}\n`);
    rmSync(join(work, '.git/refs/heads/main'));
    symlinkSync(join(root, 'outside'), join(work, '.git/refs/heads/main'));
    expect(() => sync()).toThrow(/symlink/);
    // A symlinked refs directory.
    rmSync(join(work, '.git/refs/heads'), { recursive: true });
    mkdirSync(join(root, 'heads'));
    writeFileSync(join(root, 'heads/main'), `${before}\n`);
    symlinkSync(join(root, 'heads'), join(work, '.git/refs/heads'));
    expect(() => sync()).toThrow(/not a directory/);
    // .git swapped for a gitdir link to somewhere else.
    rmSync(join(work, '.git'), { recursive: true });
    writeFileSync(join(work, '.git'), `gitdir: ${mirror}\n`);
    expect(() => sync()).toThrow(/not a git directory/);
    expect(observedHead(mirror)).toBe(before);
  });

  test('HEAD naming a tree, or an escaping ref name, is refused', () => {
    commit('a');
    const tree = gitOk(work, ['rev-parse', 'HEAD^{tree}']).trim();
    writeFileSync(join(work, '.git/HEAD'), `${tree}\n`);
    expect(() => sync()).toThrow(/a tree, not a commit/);
    writeFileSync(join(work, '.git/HEAD'), 'ref: refs/heads/../../../../etc/passwd\n');
    expect(() => sync()).toThrow(/refusing the ref name/);
    writeFileSync(join(work, '.git/HEAD'), 'ref: refs/heads/main\n');
    expect(sync().branch).toBe('main');
  });

  test('a FIFO planted as HEAD or packed-refs cannot hang the sync', () => {
    commit('a');
    rmSync(join(work, '.git/HEAD'));
    expect(spawnSync('mkfifo', [join(work, '.git/HEAD')]).status).toBe(0);
    expect(() => sync()).toThrow(/not a regular file/);
    rmSync(join(work, '.git/HEAD'));
    writeFileSync(join(work, '.git/HEAD'), 'ref: refs/heads/gone\n');
    expect(spawnSync('mkfifo', [join(work, '.git/packed-refs')]).status).toBe(0);
    expect(() => sync()).toThrow(/packed-refs/);
  });

  test('a FIFO (or a link) planted in the object store cannot hang the sync: git opens pack indexes and commit-graphs it finds there', () => {
    commit('a');
    const b = commit('b');
    const observer = resolve(import.meta.dir, '../../../src/git/observer.ts');
    // In a child with a deadline: on the loop's thread git's open() of a FIFO blocks the sync
    // (spawnSync) for its whole fetch timeout, 30 minutes per turn, signals unheard.
    const syncWithin = (ms: number) =>
      spawnSync(process.execPath, ['-e', `const { syncMirror } = await import(${JSON.stringify(observer)}); try { console.log(JSON.stringify(syncMirror(${JSON.stringify({ mirror, stage, workDir: work })}))); } catch (e) { console.log('refused: ' + e.message); }`], { encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL' });
    const plants: Array<[string, (p: string) => void]> = [
      ['objects/pack/pack-0123456789012345678901234567890123456789.idx', (p) => void spawnSync('mkfifo', [p])],
      ['objects/info/commit-graph', (p) => void spawnSync('mkfifo', [p])],
      ['objects/pack/pack-1123456789012345678901234567890123456789.idx', (p) => symlinkSync('/dev/stdin', p)],
    ];
    for (const [path, plant] of plants) {
      const at = join(work, '.git', path);
      if (at.endsWith('.idx')) writeFileSync(at.replace(/\.idx$/, '.pack'), 'x');
      plant(at);
      const r = syncWithin(20_000);
      expect(r.signal, `${path}: the sync hung`).toBeNull();
      expect(r.stdout, path).toContain('refused: ');
      expect(r.stdout, path).toContain('not a regular file');
      expect(observedHead(mirror)).not.toBe(b);
      rmSync(at);
      if (at.endsWith('.idx')) rmSync(at.replace(/\.idx$/, '.pack'), { force: true });
    }
    // Control: the store back as git made it, the same HEAD is imported.
    expect(sync().head).toBe(b);
  });

  test('a FIFO a leftover process swaps into the object store after the check cannot hang the sync: git reads the store the check saw', () => {
    commit('a');
    const b = commit('b');
    // The peers' process that outlived its turn, played deterministically: it plants the FIFO
    // the moment the loop's fetch starts, after the check has passed. A `git` first on PATH does
    // that, then runs the real git.
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    const idx = join(work, '.git/objects/pack/pack-0123456789012345678901234567890123456789.idx');
    const plant = `[ -e ${idx} ] || { echo x > ${idx.replace(/\.idx$/, '.pack')}; mkfifo ${idx}; }`;
    writeFileSync(join(bin, 'git'), `#!/bin/sh\ncase " $* " in *" fetch "*) ${plant};; esac\nexec ${realGit} "$@"\n`, { mode: 0o755 });
    const observer = resolve(import.meta.dir, '../../../src/git/observer.ts');
    const r = spawnSync(process.execPath, ['-e', `const { syncMirror } = await import(${JSON.stringify(observer)}); try { console.log(JSON.stringify(syncMirror(${JSON.stringify({ mirror, stage, workDir: work })}))); } catch (e) { console.log('refused: ' + e.message); }`], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(spawnSync('test', ['-p', idx]).status, 'the leftover planted its FIFO').toBe(0);
    expect(r.signal, 'the sync hung on the FIFO').toBeNull();
    expect(JSON.parse(r.stdout).head).toBe(b);
    expect(observedHead(mirror)).toBe(b);
  });

  test('the stage reads linked copies of the store: kept while unchanged, dropped when the store drops them; once linked, a store pointed at another filesystem is refused, never read in place', () => {
    commit('a');
    sync();
    const linked = join(stage, 'peer-objects');
    const loose = readdirSync(join(work, '.git/objects')).find((n) => /^[0-9a-f]{2}$/.test(n))!;
    const name = readdirSync(join(work, '.git/objects', loose))[0]!;
    const inode = (p: string) => lstatSync(p).ino;
    expect(inode(join(linked, loose, name))).toBe(inode(join(work, '.git/objects', loose, name)));
    gitOk(work, ['gc', '-q', '--prune=now']);
    const b = commit('b');
    expect(sync().head).toBe(b);
    // The loose objects gc packed are gone from the links too (no old inode kept alive here).
    expect(existsSync(join(linked, loose, name))).toBe(existsSync(join(work, '.git/objects', loose, name)));
    expect(readdirSync(join(linked, 'pack')).sort()).toEqual(readdirSync(join(work, '.git/objects/pack')).sort());
    // A store on another filesystem cannot be linked: a stage that never linked one reads it in
    // place (a host loop on a user's repository elsewhere keeps working); one that did refuses it,
    // so a peer cannot bring back the in-place check, and its race, by moving its store.
    const elsewhere = mkdtempSync('/dev/shm/peers-observer-');
    try {
      const moved = join(elsewhere, 'clone');
      spawnSync('cp', ['-a', work, moved]);
      const c = commit('c');
      gitOk(moved, ['fetch', '-q', work, 'main']);
      gitOk(moved, ['reset', '-q', '--hard', c]);
      expect(() => syncMirror({ mirror, stage, workDir: moved })).toThrow(/can no longer be linked/);
      expect(observedHead(mirror)).toBe(b);
      expect(syncMirror({ mirror, stage: join(root, 'other-stage.git'), workDir: moved }).head).toBe(c);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test("a host command's view refuses a sparse huge index a peer planted, never copying its zeros to the host's disk", async () => {
    commit('a');
    const at = join(work, '.git', 'index');
    rmSync(at);
    writeFileSync(at, '');
    truncateSync(at, VIEW_COPY_LIMITS.index + 1);
    // The run clone's index is never read at all (git works on a checkout of its HEAD): it opens.
    await expect(withObservedWorkTree(work, process.env, async () => 'read')).resolves.toBe('read');
    // A repository that is not a run clone (a host loop's, which peers write too) has its index copied: refused.
    const hostRepo = join(root, 'user', 'app');
    mkdirSync(join(root, 'user'));
    gitOk(root, ['init', '-q', '-b', 'main', hostRepo]);
    writeFileSync(join(hostRepo, 'f.txt'), 'x\n');
    gitOk(hostRepo, ['add', 'f.txt']);
    gitOk(hostRepo, [...id, 'commit', '-q', '--no-verify', '-m', 'a']);
    rmSync(join(hostRepo, '.git', 'index'));
    writeFileSync(join(hostRepo, '.git', 'index'), '');
    truncateSync(join(hostRepo, '.git', 'index'), VIEW_COPY_LIMITS.index + 1);
    await expect(withObservedWorkTree(hostRepo, process.env, async () => 'read')).rejects.toThrow(/larger than/);
  });

  test('a host command\'s view of the peers\' clone (`peers check`, `bugs` pointed at it) never opens a FIFO or follows a link a peer planted in its git dir', () => {
    commit('a');
    const observedView = resolve(import.meta.dir, '../../../src/git/observed-view.ts');
    // In a child with a deadline: the operator's command would wait forever on the FIFO.
    const viewWithin = (ms: number) =>
      spawnSync(process.execPath, ['-e', `const { withObservedWorkTree } = await import(${JSON.stringify(observedView)}); try { await withObservedWorkTree(${JSON.stringify(work)}, process.env, async () => {}); console.log('read'); } catch (e) { console.log('refused: ' + e.message); }`], { encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL' });
    const secret = join(root, 'operator-secret');
    writeFileSync(secret, 'the operator\'s file\n');
    for (const name of ['shallow', 'index', 'info/exclude']) {
      const at = join(work, '.git', name);
      const saved = existsSync(at) ? readFileSync(at) : undefined;
      rmSync(at, { force: true });
      expect(spawnSync('mkfifo', [at]).status).toBe(0);
      // The run clone's index and shallow are never opened (git works on a checkout of its HEAD, and
      // its history ends where the run's mirror says); info/exclude is refused.
      const expected = name === 'index' || name === 'shallow' ? 'read' : 'refused: ';
      const r = viewWithin(10_000);
      expect(r.signal, `${name}: the view hung on a FIFO`).toBeNull();
      expect(r.stdout, name).toContain(expected);
      rmSync(at);
      // A link is never followed out of the repository either.
      symlinkSync(secret, at);
      expect(viewWithin(10_000).stdout, `${name} as a link`).toContain(expected);
      rmSync(at);
      if (saved) writeFileSync(at, saved);
    }
    // Nor a FIFO in its object store (git opens pack indexes with a blocking open()).
    const idx = join(work, '.git/objects/pack/pack-0123456789012345678901234567890123456789.idx');
    writeFileSync(idx.replace(/\.idx$/, '.pack'), 'x');
    expect(spawnSync('mkfifo', [idx]).status).toBe(0);
    expect(viewWithin(10_000).stdout).toContain('not a regular file');
    rmSync(idx);
    rmSync(idx.replace(/\.idx$/, '.pack'));
    // Control: as git left it, the view opens.
    expect(viewWithin(10_000).stdout).toContain('read');
  });

  test('the mirror is read hermetically: the reader\'s global config is not honoured either', () => {
    commit('a');
    sync();
    const global = join(root, 'global.gitconfig');
    writeFileSync(global, `[core]\n\tpager = touch /tmp/peers-pwned-${token}-global-pager\n[log]\n\tshowSignature = true\n[gpg]\n\tprogram = touch /tmp/peers-pwned-${token}-global-gpg\n`);
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = global;
    try {
      gitOk(mirror, ['log', '-p', 'HEAD']);
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
    expect(markers()).toEqual([]);
  });
});

describe("a host loop's clone --shared (SECURITY.md, \"The user's repository, the run clone and the trusted observer\")", () => {
  /** The user's repository as a `clone --shared` of `origin`, and a RunObserver on it as the host loop makes one. */
  function sharedClone(): { user: string; observer: RunObserver } {
    const origin = join(root, 'origin');
    gitOk(root, ['init', '-q', '-b', 'main', origin]);
    writeFileSync(join(origin, 'f.txt'), 'origin\n');
    gitOk(origin, ['add', 'f.txt']);
    gitOk(origin, [...id, 'commit', '-q', '-m', 'origin']);
    const user = join(root, 'user');
    gitOk(root, ['clone', '-q', '--shared', origin, user], { hermetic: true });
    const observer = new RunObserver({ workDir: user, mirror: join(root, 'host-mirror.git'), stage: join(root, 'host-stage.git'), lenient: true });
    return { user, observer };
  }

  test("alternates rewritten by a peer to reach another repository's objects are refused; the pinned ones are followed", () => {
    const { user, observer } = sharedClone();
    expect(observer.sync().head).toBe(gitOk(user, ['rev-parse', 'HEAD']).trim());
    // Another repository of the user's, whose commit the peers' HEAD names: git would take it from there.
    const secret = join(root, 'secret');
    gitOk(root, ['init', '-q', '-b', 'main', secret]);
    writeFileSync(join(secret, 'key.txt'), 'secret\n');
    gitOk(secret, ['add', 'key.txt']);
    gitOk(secret, [...id, 'commit', '-q', '-m', 'secret']);
    const stolen = gitOk(secret, ['rev-parse', 'HEAD']).trim();
    const alternates = join(user, '.git/objects/info/alternates');
    writeFileSync(alternates, `${readFileSync(alternates, 'utf8')}../../../secret/.git/objects\n`);
    writeFileSync(join(user, '.git/refs/heads/main'), `${stolen}\n`);
    expect(() => observer.sync()).toThrow(/alternates is not the one it had when the run started/);
    expect(observedHead(join(root, 'host-mirror.git'))).not.toBe(stolen);
  });

  test('a FIFO planted in a store the pinned alternates reach is refused, not opened by git', () => {
    const { user, observer } = sharedClone();
    commitIn(user);
    spawnSync('mkfifo', [join(root, 'origin/.git/objects/pack/pack-0000000000000000000000000000000000000000.idx')]);
    expect(() => observer.sync()).toThrow(ObserverError);
  });

  function commitIn(dir: string): void {
    writeFileSync(join(dir, 'g.txt'), 'more\n');
    gitOk(dir, ['add', 'g.txt']);
    gitOk(dir, [...id, 'commit', '-q', '-m', 'more']);
  }
});
