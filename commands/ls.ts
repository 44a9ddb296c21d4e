import { listProjects } from '../sandbox/registry.ts';
import { projectStatus } from '../sandbox/reconcile.ts';
import { projectTable, statusRow } from '../sandbox/status-view.ts';
import { BaseCommand } from './base.ts';

export default class Ls extends BaseCommand {
  static override summary = 'List registered projects with their run status, tick, spend and open gates.';
  static override description = 'List registered projects: run status (fresh, running, stopped, crashed, reconciled with podman), tick, spend (USD and tokens) and open gates.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --json'];

  async run(): Promise<unknown> {
    await this.parse(Ls);
    const rows = await Promise.all(listProjects().map((p) => projectStatus(p)));
    if (!this.jsonEnabled()) {
      if (!rows.length) this.log('no projects yet: run `peers init` then `peers up` in a repository');
      else for (const line of projectTable(rows)) this.log(line);
    }
    return { projects: rows.map(statusRow) };
  }
}
