import { Flags } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { listProjects } from '../sandbox/registry.ts';
import { projectStatus } from '../sandbox/reconcile.ts';
import { statusLine, statusRow } from '../sandbox/status-view.ts';
import { BaseCommand } from './base.ts';

export default class Ls extends BaseCommand {
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
      const { clusterRunLine, listClusterRuns } = await import('../sandbox/k8s/k8s-ls.ts');
      const { context, runs } = await listClusterRuns(flags.context);
      if (!this.jsonEnabled()) {
        if (!runs.length) this.log(`no peers runs on ${context}`);
        for (const r of runs) this.log(clusterRunLine(r));
      }
      return runs;
    }
    // One unreachable cluster does not hide the other projects: its row says why.
    const rows = await Promise.all(listProjects().map((p) => projectStatus(p).then((s) => ({ s }), (e: Error) => ({ p, error: e.message }))));
    if (!this.jsonEnabled()) {
      if (!rows.length) this.log('no projects yet: run `peers init` then `peers up` in a repository');
      for (const r of rows) this.log('s' in r ? statusLine(r.s) : `${(r.p.name ?? r.p.path).padEnd(20)} unknown  ${r.error}`);
    }
    return rows.map((r) => ('s' in r ? statusRow(r.s) : { name: r.p.name, path: r.p.path, status: 'unknown', error: r.error }));
  }
}
