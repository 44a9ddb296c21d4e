import { assertStateDirExists, stateDirOf } from './project-flags.ts';
import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { statusJson } from '../src/report/status-text.ts';
import { readReport } from '../src/report/read-report.ts';
import { renderHtml } from '../src/report/render-html.ts';
import { renderMarkdown } from '../src/report/render-markdown.ts';
import { projectOfStateDir, stateDirFor, statePaths } from '../src/state/paths.ts';
import { assertSetUp } from '../src/config/load.ts';
import { targetOfRepo } from '../sandbox/run-target.ts';
import { describePublish, type PublishResult } from '../sandbox/publish-branch.ts';
import { publishIfRun } from '../sandbox/publish-if-run.ts';
import { PROJECT_DESCRIPTION, projectDirFlag, projectFrom } from './project-target.ts';
import { stateDirFlag } from './run-flags.ts';
import { BaseCommand } from './base.ts';
import { repositoryOfRun } from './report-repository.ts';

export default class Report extends BaseCommand {
  static override summary = 'Summarise a run in Markdown (or one HTML file).';
  static override description = `Summarise a run: outcome and why, the commits and how to merge them, the bug ledger, each gate's timeline, spend per tick against the caps, peers, cheats caught and egress.
Printed and saved as REPORT.md in the state directory; with --html, one self-contained HTML file (charts, no network) saved as REPORT.html.`;
  static override enableJsonFlag = true;
  static override args = { path: Args.string({ description: PROJECT_DESCRIPTION }) };
  static override flags = {
    ...projectDirFlag(),
    ...stateDirFlag(),
    html: Flags.boolean({ description: 'Write the report as one self-contained HTML file (REPORT.html in the state directory) and print it.' }),
  };
  static override examples = ['<%= config.bin %> report', '<%= config.bin %> report --html > report.html', '<%= config.bin %> report ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Report);
    const given = stateDirOf(flags['state-dir'], this.io.cwd);
    assertStateDirExists(given);
    const { dir, repo, results } = given === undefined ? await this.projectRun(projectFrom(args.path, flags.dir, this.io)) : {
      dir: given,
      // A state directory given outright holds all the report reads; the repository, when not
      // named, is the one around the working directory only if it is the run's (report-repository.ts).
      repo: args.path !== undefined || flags.dir !== undefined ? projectFrom(args.path, flags.dir, this.io) : repositoryOfRun(given, this.io),
      results: undefined,
    };
    const { model, summary } = readReport(dir, { project: repo ? basename(repo) : projectOfStateDir(dir).name, repo });
    const markdown = `${renderMarkdown(model)}${results ? `\n${describePublish(results)}\n` : ''}`;
    const mdPath = join(dir, 'REPORT.md');
    writeFileAtomic(mdPath, markdown);
    let htmlPath: string | undefined;
    if (flags.html) {
      htmlPath = join(dir, 'REPORT.html');
      const html = renderHtml(model);
      writeFileAtomic(htmlPath, html);
      if (!this.jsonEnabled()) this.io.stdout.write(html);
    } else if (!this.jsonEnabled()) this.io.stdout.write(markdown);
    return { report_path: mdPath, ...(htmlPath ? { html_path: htmlPath } : {}), markdown, status: statusJson(summary), ticks: summary.ticks.length, stops: summary.exits, results: results ?? null };
  }

  /** The project's own run: brought home from its cluster and published first, so the report names the branch as it is now. */
  private async projectRun(repo: string): Promise<{ dir: string; repo: string; results: PublishResult | undefined }> {
    const dir = stateDirFor(repo, this.io.env);
    // No run and no .peers/: the project was never set up (a run's report outlives a deleted .peers/).
    if (!existsSync(statePaths(dir).state)) assertSetUp(repo);
    // A run on Kubernetes: its state and the run's commits (into the trusted mirror) come home from
    // the cluster first; what follows is the same as for a podman run.
    const fromCluster = targetOfRepo(repo, this.io.env) ? await (await import('../sandbox/k8s/k8s-report.ts')).refreshFromCluster(repo) : undefined;
    if (fromCluster) this.logToStderr(fromCluster);
    // The run's commits reach the user's repository here too (the pod cannot write it).
    return { dir, repo, results: publishIfRun(repo, dir) };
  }
}
