import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { BaseCommand } from './base.ts';
import { LS_FLAGS, runLs } from './ls-plain.ts';

export default class Ls extends BaseCommand {
  static override summary = 'List registered projects with their run status, tick, spend and open gates.';
  static override description = `List registered projects: run status (fresh, running, stopped, crashed, reconciled with podman or their cluster), tick, spend (USD and tokens) and open gates. A project whose directory is gone (deleted, moved or not mounted) is listed as missing, with the \`peers rm\` that forgets it; ls itself never drops an entry.

With --target k8s, list every peers run on a Kubernetes cluster instead (all namespaces, whoever started it): project, status, namespace, who started it and from which repository.`;
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --json', '<%= config.bin %> ls --target k8s --context prod'];
  static override flags = oclifFlags(LS_FLAGS);

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Ls);
    return runLs(flags, this.output());
  }
}
