/**
 * The results branch of a project that is a linked `git worktree`. Every worktree of a repository
 * shares its branches, and the default results branch is `peers/<directory name>`: two worktrees
 * with the same directory name (`~/src/app` and `~/wt/fix/app`) would publish to one branch, and
 * the second run's results would be refused as "moved outside peers". `peers init` in a linked
 * worktree therefore names the branch after the worktree's own branch (git checks a branch out in
 * one worktree at a time), else git's id of the worktree, and writes it into config.yaml.
 */
import { basename } from 'node:path';
import { readHead, resolveRepoLayout } from '../git/repo-layout.ts';
import { ResultsSchema } from './config-schema.ts';

/** `peers/<branch>` for a linked worktree; undefined for a main worktree (or one git cannot describe). */
export function worktreeResultsBranch(repo: string): string | undefined {
  try {
    const layout = resolveRepoLayout(repo, { allowGitFile: true });
    // A main worktree (and a submodule checkout) has its own git dir; a linked one shares another's.
    if (layout.gitDir === layout.commonDir) return undefined;
    const ref = readHead(layout).ref;
    const name = (ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : basename(layout.gitDir)).replace(/^peers\//, '');
    // Accents dropped before the rest is replaced (`feature/ünï` → peers/feature/uni, not peers/feature/-n-).
    const plain = name.normalize('NFKD').replace(/\p{M}+/gu, '');
    const branch = `peers/${plain.replace(/[^A-Za-z0-9._/-]+/g, '-')}`;
    return ResultsSchema.shape.branch.safeParse(branch).success ? branch : undefined;
  } catch {
    return undefined;
  }
}
