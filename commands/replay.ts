import { stateDirOf } from './project-flags.ts';
import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { accessingFile } from '../src/fs/file-errors.ts';
import { MiB, readTextIfExists } from '../src/fs/safe-read.ts';
import { readRunSummary } from '../src/report/run-summary.ts';
import { stateDirFor, statePaths } from '../src/state/paths.ts';
import { assertSetUp } from '../src/config/load.ts';
import { terminalLine, terminalText } from '../src/cli/terminal-text.ts';
import { PROJECT_DESCRIPTION, projectDirFlag, projectFrom } from './project-target.ts';
import { stateDirFlag } from './run-flags.ts';
import { BaseCommand } from './base.ts';

export default class Replay extends BaseCommand {
  static override summary = 'Show one tick exactly as it happened, prompt included.';
  static override description = 'Show one tick exactly as it happened: the prompt the peer received (byte for byte), the peer and argv, the gates it started from, and the result.';
  static override enableJsonFlag = true;
  static override args = {
    tick: Args.custom<number>({
      required: true,
      description: 'Tick number (as in peers status and runs.jsonl).',
      // oclif's own integer argument said "expected an integer but received: x", naming no argument.
      parse: async (input) => {
        if (!/^[1-9]\d{0,8}$/.test(input)) throw new Error(`TICK must be a tick number (1, 2, …), got '${input.slice(0, 40)}'`);
        return Number(input);
      },
    })(),
    path: Args.string({ description: PROJECT_DESCRIPTION }),
  };
  static override flags = { ...projectDirFlag(), ...stateDirFlag() };
  static override examples = ['<%= config.bin %> replay 12', '<%= config.bin %> replay 12 ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Replay);
    const repo = projectFrom(args.path, flags.dir, this.io);
    const given = stateDirOf(flags['state-dir'], this.io.cwd);
    const dir = given ?? stateDirFor(repo, this.io.env);
    // No run and no .peers/: the project was never set up.
    if (given === undefined && !existsSync(statePaths(dir).state)) assertSetUp(repo);
    const summary = readRunSummary(dir);
    const line = summary.ticks.find((t) => t.tick === args.tick);
    if (!line) {
      const skipped = summary.log.skipped ? `; ${summary.log.skipped} unreadable line(s) skipped, first ${summary.log.firstSkipped}` : '';
      throw new InputError(`no tick ${args.tick} in ${summary.paths.runs} (${summary.ticks.length} tick line(s) logged${skipped})`, { hint: 'peers status shows the current tick' });
    }
    // Only a prompt under the state dir's prompts/ is read: a hand-edited line cannot make replay print /etc/shadow.
    const promptPath = line.prompt_file ? resolve(summary.paths.dir, line.prompt_file) : '';
    const inPrompts = promptPath.startsWith(`${summary.paths.prompts}${sep}`);
    const prompt = inPrompts
      ? accessingFile(promptPath, { what: `prompt of tick ${args.tick}`, hint: 'the prompt file was replaced; the tick line above is all there is' }, () => readTextIfExists(promptPath, 4 * MiB))
      : undefined;
    if (!this.jsonEnabled()) {
      const gates = (line.gates as { head?: string; hard?: Record<string, string> } | undefined) ?? {};
      this.log(`Tick ${line.tick} — peer ${line.peer} (${line.tool})${line.skeptic ? ', skeptic tick' : ''} at ${line.ts}`);
      this.log(`argv: ${JSON.stringify(line.argv)}`);
      this.log(`gates at ${gates.head?.slice(0, 8) ?? '?'}: ${Object.entries(gates.hard ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)'}`);
      this.log(`result: ${line.success ? 'handoff' : 'failed'} · ${line.classification} · exit ${line.exit_code} · ${line.duration_ms} ms · ${line.tokens_this_tick} tokens · $${line.usd_this_tick}`);
      // The cause, the stderr tail and the prompt quote what peers wrote: shown as text, their colours
      // too; the cause and the reason on their one line (a reason names files, and a file name can
      // hold a line break).
      if (typeof line.cause === 'string') this.log(`cause: ${terminalLine(line.cause)}`);
      if (line.soft_fail_reason) this.log(`reason: ${terminalLine(String(line.soft_fail_reason))}`);
      this.log(`head: ${line.head_before ?? '-'} → ${line.head_after ?? '-'}${line.truncated ? ' · output truncated' : ''}`);
      if (!line.success && line.stderr_tail) this.log(`stderr tail:\n${terminalText(String(line.stderr_tail))}`);
      this.log(`--- prompt (${promptPath}) ---`);
      this.io.stdout.write(prompt === undefined ? '(prompt file missing)\n' : terminalText(prompt));
      this.log('--- end of prompt ---');
    }
    return { tick: line, prompt: prompt ?? null };
  }
}
