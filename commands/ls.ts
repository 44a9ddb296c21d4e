import { listProjects } from '../sandbox/registry.ts';
import { projectStatus } from '../sandbox/reconcile.ts';
import { BaseCommand } from './base.ts';

export default class Ls extends BaseCommand {
  static override description = 'List registered projects and their run status (fresh, running, stopped, crashed), reconciled with podman.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --json'];

  async run(): Promise<unknown> {
    await this.parse(Ls);
    const rows = await Promise.all(listProjects().map((p) => projectStatus(p)));
    if (!this.jsonEnabled()) {
      if (!rows.length) this.log('no projects yet: run `peers init` then `peers up` in a repository');
      for (const r of rows) this.log(`${r.name.padEnd(20)} ${r.status.padEnd(8)} tick ${String(r.tick ?? '-').padEnd(5)} ${(r.stopReason ?? '').padEnd(22)} ${r.path}`);
    }
    return rows.map(({ containers, ...r }) => ({ ...r, containers: containers.map((c) => ({ role: c.role, status: c.status })) }));
  }
}
