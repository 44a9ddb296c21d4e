/**
 * The repositories a Kubernetes run starts from, and how they are named in its delivery
 * (delivery.ts). `prepareRunRepo` makes, on the host, a clone of the user's HEAD (committed work
 * only, objects copied, no hooks from any template, no remote) with the live `.peers/` control
 * files the loop reads at start. The sandbox run clone and trusted mirror of `peers up`
 * (docs/ARCHITECTURE.md, "The run clone") are the same kind of input: `deliverySources` takes
 * directories, not the user's repository, so the podman and Kubernetes targets deliver what `up`
 * prepared.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../../src/cli/errors.ts';
import { git, gitOk } from '../../src/git/git.ts';
import type { PackSource } from './tar-tree.ts';

/** Where the run's repository sits on the state claim (the loop's /state/run/clone). */
export const CLONE_ON_STATE = 'run/clone';

export type RunRepo = { clone: string; base: string; branch: string; notes: string[] };

/** Regular files under `.peers/` (no symlinks followed), relative to the repository. */
function controlFiles(repo: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir) || !lstatSync(dir).isDirectory()) return;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(relative(repo, p));
    }
  };
  walk(join(repo, '.peers'));
  return out;
}

export function prepareRunRepo(repo: string, into: string): RunRepo {
  const base = git(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).stdout.trim();
  if (!base) throw new InputError(`${repo} has no commit yet: the run starts from your HEAD`, { hint: 'commit your work, then run `peers up` again' });
  const ref = git(repo, ['symbolic-ref', '--quiet', 'HEAD']).stdout.trim();
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : 'peers-run';
  rmSync(into, { recursive: true, force: true });
  const template = `${into}.template`;
  mkdirSync(template, { recursive: true });
  try {
    gitOk(repo, ['clone', '--quiet', '--no-hardlinks', '--no-checkout', `--template=${template}`, repo, into]);
  } finally {
    rmSync(template, { recursive: true, force: true });
  }
  gitOk(into, ['checkout', '--quiet', '-B', branch, base]);
  gitOk(into, ['remote', 'remove', 'origin']);
  // The loop reads the live control files at start, as it does on the podman target.
  for (const rel of controlFiles(repo)) {
    mkdirSync(join(into, rel, '..'), { recursive: true });
    copyFileSync(join(repo, rel), join(into, rel));
  }
  const notes = [`the run starts from your HEAD ${base.slice(0, 10)} (${branch})`];
  const dirty = git(repo, ['status', '--porcelain', '--untracked-files=normal']).stdout.split('\n').filter((l) => l && !l.slice(3).startsWith('.peers/'));
  if (dirty.length) notes.push(`${dirty.length} uncommitted change(s) are NOT in the run (commit them first to include them)`);
  return { clone: into, base, branch, notes };
}

/** The trees a run is delivered as: the run clone at run/clone of the state claim. */
export function deliverySources(paths: { clone: string }): PackSource[] {
  return [{ dir: paths.clone, as: `state/${CLONE_ON_STATE}` }];
}
