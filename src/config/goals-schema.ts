/**
 * The shape of `.peers/goals.yaml`: the goal program. Hard goals are shell commands judged by a
 * `pass_when` expression on a clean checkout; soft goals are prompts judged by peer reviews.
 * A `pass_when` that does not compile is rejected here, when the file loads, never mid-run.
 */
import { z } from 'zod';
import { compilePassWhen, PassWhenError } from '../pass-when/index.ts';
import { timerSeconds } from './timer-seconds.ts';

export const GOAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const QUORUM_PATTERN = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

const goalId = z
  .string()
  .regex(GOAL_ID_PATTERN, 'goal id must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit')
  .describe('Unique goal id; used in reports, commit trailers and `peers verify`.');

/** Issue params the loader reads to point at the exact character of a pass_when error. */
export type PassWhenIssueParams = { passWhenOffset: number };

const passWhen = z
  .string()
  .trim()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      compilePassWhen(source);
    } catch (error) {
      if (!(error instanceof PassWhenError)) throw error;
      ctx.addIssue({
        code: 'custom',
        message: error.message.startsWith('pass_when ') ? error.message : `pass_when does not parse: ${error.message}`,
        params: { passWhenOffset: error.offset } satisfies PassWhenIssueParams,
      });
    }
  })
  .describe('Expression over exit_code, stdout, stderr (e.g. "exit_code == 0"); the goal passes when it is true.');

export const HardGoalSchema = z
  .strictObject({
    id: goalId,
    type: z.literal('hard'),
    cmd: z.string().trim().min(1).describe('Shell command (sh -c) run on a clean checkout of HEAD. goals.yaml is code: treat it as such.'),
    pass_when: passWhen,
    timeout_s: timerSeconds.optional().describe('Timeout of this command (default goals.timeout_s of config.yaml).'),
    cacheable: z.boolean().default(false).describe('Reuse the result for the same HEAD and goal definition.'),
    expensive: z.boolean().default(false).describe('Slow goal: run in the background on a clean checkout of the tick HEAD while a peer works; it must pass at exactly the converging HEAD before the run can complete.'),
    retry_on_fail: z.number().int().min(0).max(5).default(0).describe('Re-runs of a failing command before it counts as failed (0-5), for flaky suites.'),
    description: z.string().optional().describe('What the goal means, for humans and peers.'),
  })
  .describe('A hard goal: a measured gate.');

export const SoftGoalSchema = z
  .strictObject({
    id: goalId,
    type: z.literal('soft'),
    prompt: z.string().trim().min(1).describe('What the reviewing peer is asked to judge.'),
    reviewer: z
      .enum(['other', 'both', 'alternating', 'quorum'])
      .describe('Who reviews: the peer that did not author the work, both, alternating, or a quorum.'),
    consensus_needed: z.number().int().positive().default(2).describe('Passing reviews needed.'),
    quorum: z
      .string()
      .regex(QUORUM_PATTERN, 'quorum must look like "N/M"')
      .optional()
      .describe('"N/M": N of M reviews must pass (reviewer: quorum).'),
    description: z.string().optional().describe('What the goal means, for humans and peers.'),
  })
  .superRefine((goal, ctx) => {
    if (goal.quorum !== undefined) {
      const m = QUORUM_PATTERN.exec(goal.quorum);
      if (m) {
        const n = Number(m[1]);
        const total = Number(m[2]);
        if (!(n > 0 && n <= total)) ctx.addIssue({ code: 'custom', path: ['quorum'], message: `quorum "${goal.quorum}" needs 0 < N <= M` });
      }
    }
    if (goal.reviewer === 'quorum' && goal.quorum === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reviewer'], message: 'reviewer: quorum needs a quorum: "N/M" field' });
    }
  })
  .describe('A soft goal: judged by peer reviews.');

export const GoalSchema = z.discriminatedUnion('type', [HardGoalSchema, SoftGoalSchema]);

export const GoalsSchema = z
  .strictObject({
    goals: z
      .array(GoalSchema)
      .default([])
      // `when`: report duplicates even while other goals are still invalid (items may be raw here).
      .superRefine(
        (goals, ctx) => {
          if (!Array.isArray(goals)) return;
          const seen = new Set<string>();
          goals.forEach((g, i) => {
            const id: unknown = (g as { id?: unknown } | null)?.id;
            if (typeof id !== 'string') return;
            if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate goal id '${id}'; goal ids must be unique` });
            seen.add(id);
          });
        },
        { when: () => true },
      )
      .describe('The goal program: hard gates and soft reviews.'),
  })
  .describe('peers goals (.peers/goals.yaml).');

export type GoalsFile = z.output<typeof GoalsSchema>;
export type Goal = z.output<typeof GoalSchema>;
export type HardGoal = z.output<typeof HardGoalSchema>;
export type SoftGoal = z.output<typeof SoftGoalSchema>;

export function hardGoals(file: GoalsFile): HardGoal[] {
  return file.goals.filter((g): g is HardGoal => g.type === 'hard');
}

export function softGoals(file: GoalsFile): SoftGoal[] {
  return file.goals.filter((g): g is SoftGoal => g.type === 'soft');
}
