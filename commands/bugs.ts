import { Args } from '@oclif/core';
import { readObserved } from '../src/git/observed-repo.ts';
import { formatBugLine, formatLedgerHeader, openBlockingBugs, readLedger, summarizeLedger } from '../src/protocol/bug-ledger.ts';
import { snakeKeys } from '../src/cli/json-output/snake-case.ts';
import { terminalLines } from '../src/cli/terminal-text.ts';
import { PROJECT_DESCRIPTION, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Bugs extends BaseCommand {
  static override summary = 'Show the bug ledger rebuilt from git history.';
  static override description = "Show the bug ledger rebuilt from git history: open blocking bugs first, then the rest, with counts by severity. With a run, the run's history (its trusted mirror); else the repository's HEAD. No configuration of the repository is honoured.";
  static override enableJsonFlag = true;
  static override args = { path: Args.string({ description: PROJECT_DESCRIPTION }) };
  static override flags = projectDirFlag();
  static override examples = ['<%= config.bin %> bugs', '<%= config.bin %> bugs ../myrepo --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Bugs);
    const dir = projectFrom(args.path, flags.dir, this.io);
    const ledger = readObserved(dir, readLedger, this.io.env);
    const summary = summarizeLedger(ledger);
    const blocking = openBlockingBugs(ledger);
    const rest = ledger.reports.filter((r) => !blocking.includes(r));
    if (!this.jsonEnabled()) {
      // Titles and notes are the peers' words: no escape sequence of theirs reaches the terminal, and
      // no line break adds a line (a `closed:` section, another bug) of their making.
      const say = (lines: string[]) => this.log(terminalLines(lines));
      say([formatLedgerHeader(summary)]);
      if (blocking.length) say(['open blocking:', ...blocking.map(formatBugLine)]);
      const advisory = rest.filter((r) => r.open);
      const closed = rest.filter((r) => !r.open);
      if (advisory.length) say(['open advisory (low/info, or re-triage needed):', ...advisory.map(formatBugLine)]);
      if (closed.length) say(['closed:', ...closed.map(formatBugLine)]);
      if (ledger.warnings.length) say(ledger.warnings.map((w) => `warning: ${w}`));
    }
    return {
      summary: { ...snakeKeys(summary), open_by_severity: summary.openBySeverity, by_severity: summary.bySeverity },
      reports: [...blocking, ...rest].map((r) => ({
        id: r.id, severity: r.severity, status: r.status, open: r.open, title: r.title, description: r.description,
        fix_by: r.fixBy ?? null, location: r.location ?? null, file: r.file ?? null, found_by: r.foundBy ?? null, sha: r.sha,
        resolution_sha: r.resolution?.sha ?? null, resolved_by: r.resolution?.resolvedBy ?? null, note: r.resolution?.note ?? null, reproduced: r.reproduceShas,
      })),
      warnings: ledger.warnings,
    };
  }
}
