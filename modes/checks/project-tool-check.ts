/**
 * `lint-clean` and `type-clean`: run the project's own linter / type checker (project-tools.ts)
 * in the checkout and pass when it exits 0. No tool configured fails closed: the gate exists
 * because the project had one when the run began.
 */
import { projectFilesAt } from '../../src/mode-registry/init-project.ts';
import { projectTool, toolAdvice, type ToolKind } from '../../src/mode-registry/project-tools.ts';
import { checkLang } from './check-lang.ts';
import { outputTail, runShell } from './run-command.ts';
import type { Check } from './types.ts';

function toolCheck(kind: ToolKind, id: string, what: string): Check {
  return {
    description: `The project's own ${what} (chosen from its configuration for --lang) exits 0.`,
    async run(repoDir, opts = {}) {
      const l = checkLang(repoDir, opts.lang);
      if ('error' in l) return { pass: false, report: `${id}: ${l.error}` };
      const tool = projectTool(kind, l.lang, projectFilesAt(repoDir));
      if (!tool) return { pass: false, report: `${id}: no ${what} configured for this ${l.lang} project; configure ${toolAdvice(kind, l.lang)}, or remove this goal` };
      const run = runShell(tool.cmd, repoDir);
      const head = `${id}: \`${tool.cmd}\` (from ${tool.why}) exited ${run.exitCode}`;
      if (run.exitCode === 0) return { pass: true, report: `${head}: clean` };
      return { pass: false, report: `${head}\n${outputTail(run)}` };
    },
  };
}

export const lintClean = toolCheck('lint', 'lint-clean', 'linter');
export const typeClean = toolCheck('type', 'type-clean', 'type checker');
