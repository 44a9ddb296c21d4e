import { Flags } from '@oclif/core';
import { join } from 'node:path';
import { loadProject } from '../src/config/load.ts';
import { VERIFY_RECORD_FILE, verifyRecord, writeVerifyRecord } from '../src/gates/verify-record.ts';
import { formatVerifyTable, writeVerifyMarkdown } from '../src/gates/verify-report.ts';
import { runVerify } from '../src/gates/verify-run.ts';
import { uncommittedAdvice, uncommittedChanges } from '../sandbox/run-clone.ts';
import { withInterrupts } from '../src/proc/interrupt.ts';
import { snakeKeys } from '../src/cli/json-output/snake-case.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Verify extends BaseCommand {
  static override summary = 'Run every hard goal once against the committed HEAD.';
  static override description =
    'Run every hard goal once, plus verify.commands, against the committed HEAD in a temporary checkout (never your working tree). Prints a table (and the first and last lines of what each failure printed), writes .peers/VERIFY.md and .peers/verify.json (read by `peers doctor`), exits 0 only if everything passes.';
  static override args = { project: projectArg() };
  static override examples = ['<%= config.bin %> verify', '<%= config.bin %> verify --json'];
  static override flags = {
    ...projectDirFlag(),
    jobs: Flags.integer({ char: 'j', min: 1, description: 'Checks of peers run at the same time (default: goals.jobs); every other goal runs alone, on its own copy of the checkout.' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Verify);
    const repo = projectFrom(args.project, flags.dir, this.io, { startsProject: true });
    const project = loadProject(repo);
    // Progress goes to stderr, and only on a terminal: the table on stdout stays clean for pipes.
    const showProgress = !this.jsonEnabled() && this.io.stderr.isTTY === true;
    // Ctrl-C stops the gates and removes the checkout; a partial result is not written to VERIFY.md.
    const report = await withInterrupts(this.io.signals, (signal) => runVerify({
      repo,
      signal,
      config: project.config,
      goals: project.goals,
      jobs: flags.jobs,
      progress: showProgress
        ? (e) => this.io.stderr.write(e.phase === 'start' ? `running ${e.kind}: ${e.id}\n` : `  ${e.state === 'pass' ? 'pass' : 'FAIL'}  ${e.id} (${e.durationMs} ms)\n`)
        : undefined,
    }));
    // Verify judges HEAD only: a working tree with changes gets told which of them the result leaves out.
    const dirty = uncommittedChanges(repo);
    if (dirty.length) report.notes.push(`${dirty.length} uncommitted change(s) are not part of this result (verify judges commit ${report.head.slice(0, 12)}; ${uncommittedAdvice(dirty, 'to have them checked')}): ${dirty.slice(0, 10).join(', ')}${dirty.length > 10 ? `, … (${dirty.length - 10} more)` : ''}`);
    const mdPath = join(project.dir, 'VERIFY.md');
    writeVerifyMarkdown(mdPath, report);
    // What `peers doctor` reports before a run: pass or not, and what the gates cost per tick.
    writeVerifyRecord(join(project.dir, VERIFY_RECORD_FILE), verifyRecord(report, project.config.setup));
    if (!this.jsonEnabled()) {
      for (const line of formatVerifyTable(report, this.io.stdout.columns || 120)) this.log(line);
      this.log(`Wrote ${mdPath}`);
    }
    return this.exitWith(report.ok ? 0 : 1, { ...snakeKeys(report), ...(report.setup ? { setup: snakeKeys(report.setup) } : {}), hard: report.hard.map(snakeKeys), commands: report.commands.map(snakeKeys), verify_file: mdPath });
  }
}
