import { describeReset, resetProject } from '../sandbox/reset.ts';
import { archivedRunJson } from '../src/cli/json-output/snake-case.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';
import { shellCommand } from '../src/cli/shell-word.ts';

export default class Reset extends BaseCommand {
  static override summary = 'Start a project over: archive its stopped run.';
  static override description = `Start a project over: archive its stopped run and leave an empty state dir, so the next
\`peers up\` starts from your current HEAD.

Nothing is deleted: the whole state dir (state, run clone and mirror, logs, prompts, usage ledger,
reports) moves in one atomic rename to <state dir>.archive/<when>-<stop reason>/, where
\`peers report --state-dir DIR\` still reads it; \`peers status\` lists the archived runs. A running
run is refused (stop it with \`peers down\` first). \`peers up --fresh\` does the same, then starts.`;
  static override enableJsonFlag = true;
  static override args = { project: projectArg() };
  static override flags = projectDirFlag();
  static override examples = ['<%= config.bin %> reset', '<%= config.bin %> reset app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Reset);
    const repo = projectFrom(args.project, flags.dir, this.io);
    const quiet = this.jsonEnabled();
    const r = await resetProject({ repo, progress: (l) => quiet || this.io.stderr.write(`peers reset: ${l}\n`), upCommand: shellCommand('peers', 'reset', ...(args.project ? [args.project] : [])) });
    if (!quiet) {
      for (const l of describeReset(r)) this.log(l);
      if (r.archived) this.log(`next: ${shellCommand('peers', 'up', ...(args.project ? [args.project] : []))} starts a new run from your HEAD`);
    }
    return { state_dir: r.stateDir, archived: r.archived && archivedRunJson(r.archived), previous_results: r.previousResults, ...(r.kept ? { kept_results: r.kept } : {}) };
  }
}
