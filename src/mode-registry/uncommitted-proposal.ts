/**
 * What `peers init` proposed from files the commit does not hold yet. init reads the working tree
 * (what the user sees), but `peers verify` and the run judge the committed HEAD: a project made
 * with `git init` and never committed gets `npm test` as its gate while the commit the gate runs on
 * has no package.json (init's own `.gitignore` commit is then the first). Said once, at init, with
 * the commands that commit the files and put the baseline on them.
 */
import { MiB } from '../fs/safe-read.ts';
import { git } from '../git/git.ts';
import { parseStatusZ } from '../git/workspace-git.ts';
import { shellCommand } from '../cli/shell-word.ts';
import { BASELINE_TAG } from '../protocol/run-baseline.ts';
import type { ProjectFiles, ProjectProposal } from '../config/detect-project.ts';

/** The project's files as HEAD holds them (nothing when HEAD is unborn): blobs of at most 1 MiB. */
export function projectFilesAtHead(repo: string): ProjectFiles {
  const spec = (rel: string) => `HEAD:${rel}`;
  return {
    read(rel) {
      const size = git(repo, ['cat-file', '-s', spec(rel)]);
      if (size.code !== 0 || Number(size.stdout.trim()) > MiB || git(repo, ['cat-file', '-t', spec(rel)]).stdout.trim() !== 'blob') return undefined;
      const blob = git(repo, ['cat-file', 'blob', spec(rel)], { maxBuffer: 2 * MiB });
      return blob.code === 0 ? blob.stdout : undefined;
    },
    exists: (rel) => git(repo, ['cat-file', '-e', spec(rel)]).code === 0,
    list(rel) {
      const r = git(repo, ['ls-tree', '--name-only', '-z', spec(rel)]);
      return r.code === 0 ? r.stdout.split('\0').filter(Boolean) : [];
    },
  };
}

/** Paths git ignores, as `git ls-files --others --ignored --directory` names them (a directory ends in `/`). */
export type IgnoredPaths = { has(rel: string): boolean };

/** What git ignores in the working tree (untracked files only: a tracked file is never ignored). */
export function ignoredPaths(repo: string): IgnoredPaths {
  const r = git(repo, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory', '--no-empty-directory']);
  const listed = new Set(r.code === 0 ? r.stdout.split('\0').filter(Boolean) : []);
  return {
    has(rel) {
      if (listed.has(rel)) return true;
      // Inside an ignored directory: listed once, as `dir/`.
      const parts = rel.split('/');
      return parts.some((_, i) => listed.has(`${parts.slice(0, i + 1).join('/')}/`));
    },
  };
}

/** The paths `git status` shows as changed or untracked (untracked directories as one entry), .peers/ left out. */
function uncommittedPaths(repo: string): string[] {
  const r = git(repo, ['status', '--porcelain', '-z', '--untracked-files=normal']);
  if (r.code !== 0) return [];
  return parseStatusZ(r.stdout);
}

/**
 * The note for gates (and a setup) the working tree's files propose but HEAD's do not; undefined
 * when HEAD proposes the same.
 */
export function uncommittedProposalNote(repo: string, proposal: ProjectProposal, atHead: ProjectProposal): string | undefined {
  const headCmds = new Set(atHead.gates.map((g) => g.cmd));
  const gates = proposal.gates.filter((g) => !headCmds.has(g.cmd)).map((g) => `${g.id} (\`${g.cmd}\`)`);
  const setup = proposal.setup !== undefined && proposal.setup !== atHead.setup;
  if (!gates.length && !setup) return undefined;
  const what = [...gates, ...(setup ? [`setup (\`${proposal.setup}\`)`] : [])].join(', ');
  const paths = uncommittedPaths(repo);
  const shown = paths.length ? ` (${paths.slice(0, 8).join(', ')}${paths.length > 8 ? `, … ${paths.length - 8} more` : ''})` : '';
  const add = paths.length && paths.length <= 8 ? shellCommand('git', 'add', '--', ...paths) : 'git add -A';
  // init commits as peers-init; the user's own commit needs their name and email, which a new
  // machine's git does not have ("unable to auto-detect email address").
  const identity = git(repo, ['var', 'GIT_COMMITTER_IDENT']).code === 0 ? '' : ` (git has no name and email for you yet: set yours first, \`git config --global user.name "Your Name"\` and \`git config --global user.email you@example.com\`)`;
  return `${what} ${gates.length + (setup ? 1 : 0) > 1 ? 'were' : 'was'} proposed from files that are not committed${shown}: \`peers verify\` and the run judge the committed HEAD, which does not have them. Commit them${identity}: \`${add} && git commit -m 'Initial commit'\`, then \`git tag -f ${BASELINE_TAG}\` (the run's changes count from it) and \`peers verify\``;
}
