/**
 * `peers ls`: its flags (plain data, src/cli/role-flags.ts) and what it does with them. ls.ts is its
 * oclif command (help, every error); src/main.ts runs a plain command line without loading oclif
 * (plain-commands.ts).
 */
import { existsSync } from 'node:fs';
import { paintFor } from '../src/cli/colour.ts';
import { InputError } from '../src/cli/errors.ts';
import { listProjects } from '../sandbox/registry.ts';
import { projectStatus } from '../apps/project-status.ts';
import { listedRow, missingProjectNotes, projectTable, type ListedProject } from '../sandbox/status-view.ts';
import type { CommandOutput } from '../src/cli/json-output/command-output.ts';
import type { FlagSpecs, FlagValues } from '../src/cli/role-flags.ts';

export const LS_FLAGS = {
  target: { kind: 'string', options: ['podman', 'k8s'], description: 'k8s: the runs on a cluster rather than this machine\'s registered projects.' },
  context: { kind: 'string', description: 'k8s: the kubeconfig context (default: the current one).' },
} as const satisfies FlagSpecs;

export async function runLs(flags: FlagValues<typeof LS_FLAGS>, out: CommandOutput): Promise<unknown> {
  if (flags.context && flags.target !== 'k8s') throw new InputError('--context is for --target k8s');
  if (flags.target === 'k8s') {
    const { clusterRunJson, clusterRunLine, listClusterRuns } = await import('../sandbox/k8s/k8s-ls.ts');
    const { context, runs } = await listClusterRuns(flags.context);
    if (!runs.length) out.log(`no peers runs on ${context}`);
    for (const r of runs) out.log(clusterRunLine(r));
    return { context, runs: runs.map(clusterRunJson) };
  }
  // A project whose directory is gone is listed as missing, not as a project with no run (status-view.ts).
  const rows: ListedProject[] = await Promise.all(listProjects(out.io.env).map(async (p) => ({ ...(await projectStatus(p, out.io.env)), missing: !existsSync(p.path) })));
  if (!rows.length) out.log('no projects yet: run `peers init` then `peers up` in a repository');
  else for (const line of [...projectTable(rows, paintFor(out.io.stdout, out.io.env)), ...missingProjectNotes(rows)]) out.log(line);
  return { projects: rows.map(listedRow) };
}
