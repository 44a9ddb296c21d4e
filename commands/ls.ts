import { Flags } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { listProjects } from '../sandbox/registry.ts';
import { projectStatus } from '../apps/project-status.ts';
import { projectTable, statusRow } from '../sandbox/status-view.ts';
import { BaseCommand } from './base.ts';

export default class Ls extends BaseCommand {
  static override summary = 'List registered projects with their run status, tick, spend and open gates.';
  static override description = `List registered projects: run status (fresh, running, stopped, crashed, reconciled with podman or their cluster), tick, spend (USD and tokens) and open gates.

With --target k8s, list every peers run on a Kubernetes cluster instead (all namespaces, whoever started it): project, status, namespace, who started it and from which repository.`;
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --json', '<%= config.bin %> ls --target k8s --context prod'];
  static override flags = {
    target: Flags.string({ options: ['podman', 'k8s'], description: 'k8s: the runs on a cluster rather than this machine\'s registered projects.' }),
    context: Flags.string({ description: 'k8s: the kubeconfig context (default: the current one).' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Ls);
    if (flags.context && flags.target !== 'k8s') throw new InputError('--context is for --target k8s');
    if (flags.target === 'k8s') {
      const { clusterRunJson, clusterRunLine, listClusterRuns } = await import('../sandbox/k8s/k8s-ls.ts');
      const { context, runs } = await listClusterRuns(flags.context);
      if (!this.jsonEnabled()) {
        if (!runs.length) this.log(`no peers runs on ${context}`);
        for (const r of runs) this.log(clusterRunLine(r));
      }
      return { context, runs: runs.map(clusterRunJson) };
    }
    const rows = await Promise.all(listProjects(this.io.env).map((p) => projectStatus(p, this.io.env)));
    if (!this.jsonEnabled()) {
      if (!rows.length) this.log('no projects yet: run `peers init` then `peers up` in a repository');
      else for (const line of projectTable(rows)) this.log(line);
    }
    return { projects: rows.map(statusRow) };
  }
}
