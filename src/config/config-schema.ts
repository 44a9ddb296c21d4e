/**
 * The shape of `.peers/config.yaml`. This zod schema is the single source of truth: the loader
 * validates against it, `peers info` prints what it resolves to, and the JSON Schema users' editors
 * read is generated from it (descriptions included), so the three can never drift apart.
 */
import { z } from 'zod';
import { timerSeconds } from './timer-seconds.ts';
import { KubernetesSchema } from './kubernetes-schema.ts';
import { providerProblem, providerSchema, runProviders } from './provider.ts';
import { NotifySchema } from './notify-schema.ts';
import { allowEntryProblem } from './egress-entry.ts';

export const PEER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Names that collide with trailers, directories or internal actors of peers itself. */
export const RESERVED_PEER_NAMES = ['peers-substrate', 'operator', 'peers-init', 'archive', 'comms', 'log', 'logs', 'checks', 'hooks', 'queue'] as const;

export const TOOLS = ['claude', 'codex', 'opencode', 'custom'] as const;
export type Tool = (typeof TOOLS)[number];

/** Reasoning levels each CLI really accepts (claude --effort, codex model_reasoning_effort, opencode --variant). */
export const REASONING_BY_TOOL: Record<Tool, readonly string[]> = {
  claude: ['low', 'medium', 'high', 'xhigh', 'max'],
  codex: ['minimal', 'low', 'medium', 'high', 'xhigh'],
  opencode: ['minimal', 'low', 'medium', 'high', 'xhigh', 'max'],
  custom: [],
};

const nonEmpty = z.string().trim().min(1);
const positiveInt = z.number().int().positive();

// git refuses angle brackets and line breaks in a name or an address.
const identityPart = (what: string) => nonEmpty.max(200).regex(/^[^<>\r\n\0]+$/, `${what} must not contain <, > or a line break`);

export const GitAuthorSchema = z
  .strictObject({
    name: identityPart('git_author.name').optional().describe('Author and committer name of this peer\'s commits, e.g. "claude (peers)".'),
    email: identityPart('git_author.email').optional().describe('Author and committer email of this peer\'s commits.'),
  })
  .describe(
    'Git identity of this peer\'s commits, set through GIT_AUTHOR_*/GIT_COMMITTER_* in its environment. Each field left out comes from your own git identity when the run starts, else the default "<peer> (peers)" <peer@peers.invalid>.',
  );

export const PeerSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(PEER_NAME_PATTERN, 'peer name must match [A-Za-z0-9][A-Za-z0-9_-]{0,31}')
      .describe('Unique peer name; appears in commit trailers (Peer: <name>).'),
    tool: z.enum(TOOLS).describe('Which CLI this is: claude, codex, opencode, or custom (any CLI that takes a prompt).'),
    argv: z
      .array(z.string())
      .min(1)
      .describe('Command line of the peer CLI, run non-interactively. "{PROMPT}" is replaced by the prompt when prompt_mode is argv-substitute.'),
    prompt_mode: z
      .enum(['stdin', 'argv-substitute'])
      .default('stdin')
      .describe('stdin: the prompt is written to standard input; argv-substitute: every "{PROMPT}" in argv is replaced by it.'),
    model: nonEmpty.optional().describe('Model to use; mapped to the CLI\'s own flag (claude --model, codex -c model=, opencode -m).'),
    reasoning: nonEmpty
      .toLowerCase()
      .optional()
      .describe('Reasoning effort; mapped to claude --effort, codex -c model_reasoning_effort=, opencode --variant.'),
    provider: z.optional(providerSchema()),
    env: z.record(z.string(), z.string()).optional().describe('Extra environment variables for this peer\'s process.'),
    git_author: GitAuthorSchema.optional(),
  })
  .superRefine((peer, ctx) => {
    if (RESERVED_PEER_NAMES.includes(peer.name as (typeof RESERVED_PEER_NAMES)[number])) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `peer name '${peer.name}' is reserved (${RESERVED_PEER_NAMES.join(', ')})` });
    }
    if (peer.reasoning !== undefined && !REASONING_BY_TOOL[peer.tool].includes(peer.reasoning)) {
      const allowed = REASONING_BY_TOOL[peer.tool];
      ctx.addIssue({
        code: 'custom',
        path: ['reasoning'],
        message: allowed.length
          ? `reasoning '${peer.reasoning}' is not accepted by ${peer.tool}; use one of ${allowed.join(', ')}`
          : `reasoning is not supported for tool ${peer.tool}; put the flag in argv instead`,
      });
    }
    const providerIssue = peer.provider !== undefined ? providerProblem(peer.tool, peer.provider) : null;
    if (providerIssue) ctx.addIssue({ code: 'custom', path: ['provider'], message: providerIssue });
    if (peer.model !== undefined && peer.tool === 'custom') {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'model is not supported for tool custom; put the flag in argv instead' });
    }
    if (peer.prompt_mode === 'argv-substitute' && !peer.argv.some((a) => a.includes('{PROMPT}'))) {
      ctx.addIssue({ code: 'custom', path: ['argv'], message: 'prompt_mode argv-substitute needs an argv element containing {PROMPT}' });
    }
    if (peer.prompt_mode === 'stdin' && peer.argv.some((a) => a.includes('{PROMPT}'))) {
      // Almost certainly a forgotten prompt_mode: the CLI would receive the literal text {PROMPT}.
      ctx.addIssue({ code: 'custom', path: ['argv'], message: 'argv contains {PROMPT} but prompt_mode is stdin; set prompt_mode: argv-substitute' });
    }
  });

/** Patterns compile with the `m` flag: `^` anchors each output line. */
const patternList = z
  .array(z.string().max(1024))
  .max(50)
  .superRefine((patterns, ctx) => {
    patterns.forEach((p, i) => {
      try {
        new RegExp(p, 'm');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: [i], message: `not a valid regular expression: ${(error as Error).message}` });
      }
    });
  });

// Quote-free, newline-free prefix up to the line's first ERROR/FATAL word: a JSON event that merely
// quotes an error is not a halt. The prefix cannot run past that first word, so the engine never
// retries from a later one: a line of a million "ERROR"s costs linear time, not quadratic
// (src/peer-output/halt-patterns.ts). Any match after a later ERROR is also a match after the first.
const ERR_HEAD = '^(?:(?!\\b(?:ERROR|FATAL)\\b)[^"\\n])*\\b(?:ERROR|FATAL)\\b';
const ERR_LINE = `${ERR_HEAD}[^"\\n]*?`;
export const DEFAULT_ERROR_PATTERNS = [
  `${ERR_LINE}\\brate.?limit`,
  // Same idea for the second word: only the first "API error" after ERROR is a starting point.
  `${ERR_HEAD}(?:(?!\\bAPI[ _-]?error\\b)[^"\\n])*\\bAPI[ _-]?error\\b[^"\\n]*?\\b5\\d\\d\\b`,
  '^Error:\\s*rate[_-]?limit',
];
export const DEFAULT_HALT_PATTERNS = [
  `${ERR_LINE}authentication[ _-]?(?:failed|error)`,
  '^Error:\\s*authentication[_-]?(?:error|failed)',
  `${ERR_LINE}(?:invalid|missing|expired)[ _-]?api[ _-]?key`,
  `${ERR_LINE}quota[ _-]?exhausted`,
  `${ERR_LINE}usage[ _-]?limit[ _-]?(?:reached|exceeded|exhausted)`,
  `${ERR_LINE}hit your usage limit`,
];

export const BudgetSchema = z
  .strictObject({
    max_ticks: positiveInt.default(200).describe('Stop after this many ticks (peer turns).'),
    max_runtime_s: positiveInt.default(21600).describe('Stop after this many seconds of run time: the time peer turns take, and any wait for a usage limit to lift (gates and the loop between turns are not counted).'),
    max_consecutive_failures: positiveInt.default(5).describe('Stop after this many failed ticks in a row.'),
    max_tokens: positiveInt.optional().describe('Stop once this many tokens were used in total.'),
    max_usd: z.number().positive().optional().describe('Spending cap in US dollars.'),
    max_usd_mode: z
      .enum(['auto', 'hard', 'warn', 'off'])
      .default('auto')
      .describe('hard: stop at max_usd; warn: only report; off: ignore; auto: hard when any peer bills through an API key.'),
    prices: z
      .record(
        z.string().trim().min(1),
        z
          .strictObject({
            input: z.number().nonnegative().describe('USD per million input tokens.'),
            output: z.number().nonnegative().describe('USD per million output tokens.'),
            cache_read: z.number().nonnegative().optional().describe('USD per million cached input tokens read (default: the input rate).'),
            cache_write: z.number().nonnegative().optional().describe('USD per million tokens written to the cache (default: 1.25 x input).'),
            cache_write_1h: z.number().nonnegative().optional().describe('USD per million tokens written to the 1-hour cache (default: 2 x input).'),
          })
          .describe('Rates of one model, USD per million tokens.'),
      )
      .optional()
      .describe('Prices of models peers\' own price table does not list, by model id. Under a USD cap a request for a model priced nowhere is refused.'),
  })
  .describe('Limits that end a run.');

export const HealthSchema = z
  .strictObject({
    idle_timeout_s: timerSeconds.default(1800).describe('Kill a peer that prints nothing for this long.'),
    absolute_max_runtime_s: timerSeconds.default(14400).describe('Kill a peer turn that runs longer than this.'),
    output_cap_bytes: positiveInt.default(2 * 1024 * 1024).describe('Per-stream output kept from each turn (head and tail).'),
    kill_grace_s: timerSeconds.default(5).describe('Seconds between SIGTERM and SIGKILL.'),
    max_retries: z.number().int().min(0).default(1).describe('Retries of a failed turn before the peer counts as degraded.'),
    recovery_interval: positiveInt.default(8).describe('Ticks between attempts to bring a degraded peer back.'),
    halt_patterns: patternList.default(DEFAULT_HALT_PATTERNS).describe('Output lines that stop the run (auth failures, exhausted quota).'),
    error_patterns: patternList.default(DEFAULT_ERROR_PATTERNS).describe('Output lines that mark a turn as failed-but-retryable (rate limits, 5xx).'),
  })
  .describe('Liveness and failure detection for peer processes.');

export const GoalsSettingsSchema = z
  .strictObject({
    timeout_s: timerSeconds.default(120).describe('Default timeout of a hard goal command.'),
    jobs: positiveInt.default(4).describe("How many of peers' own checks that run no project code are evaluated at once; every other hard goal runs alone, on its own copy of the checkout as setup left it."),
    convergence_n: positiveInt.default(2).describe('Consecutive clean ticks needed before the skeptic tick.'),
    stuck_halt_after: positiveInt.default(5).describe('Halt when the stuck gates stay red this many ticks.'),
    stuck_halt_gates: z.array(z.string()).default(['tests-pass', 'no-prior-regression']).describe('Gates watched for the stuck halt.'),
    require_healthy_peers: z.boolean().default(false).describe('Thorough convergence: every peer must be healthy (none degraded, cooling down or down) before the skeptic tick and completion.'),
    soft_consensus_required: z.boolean().default(true).describe('Whether soft goals must reach consensus before convergence.'),
  })
  .describe('How goals are evaluated and when a run has converged.');

/** `host`, `*.suffix`, optional `:port`: what an editor can check of an entry before peers does. */
const EGRESS_ENTRY_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$';

export const EgressSchema = z
  .strictObject({
    allow: z
      .array(
        z.string().superRefine((entry, ctx) => {
          const problem = allowEntryProblem(entry);
          if (problem) ctx.addIssue({ code: 'custom', message: `egress entry ${JSON.stringify(entry)} ${problem}` });
        })
        // For editors reading the JSON Schema: the shape of an entry (the check above is the full rule).
        .meta({ pattern: EGRESS_ENTRY_PATTERN }),
      )
      .default([])
      .describe('Hosts the sandbox may reach: "host" or "*.suffix", optional ":port" (443 by default).'),
  })
  .describe('The sandbox egress allow-list.');

export const VerifySchema = z
  .strictObject({
    timeout_s: timerSeconds.optional().describe('Timeout of each verify command.'),
    commands: z
      .array(
        z.strictObject({
          name: nonEmpty.optional().describe('Label shown in the verify table.'),
          cmd: nonEmpty.describe('Shell command run on the clean checkout.'),
          timeout_s: timerSeconds.optional().describe('Timeout of this command.'),
        }),
      )
      .optional()
      .describe('Extra commands `peers verify` runs besides the hard goals.'),
  })
  .describe('Settings of `peers verify`.');

export const ResultsSchema = z
  .strictObject({
    branch: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]{0,200}$/, 'a branch name: letters, digits, ".", "_", "-" and "/"')
      .refine((b) => !b.includes('..') && !b.includes('//') && !b.endsWith('/') && !b.endsWith('.lock') && !b.split('/').some((p) => p.startsWith('.')), 'not a valid git branch name')
      .optional()
      .describe('Branch of your repository the run\'s commits are fetched into (default: peers/<project name>).'),
  })
  .describe('Where a run\'s results go.');

export const ConfigSchema = z
  .strictObject({
    peers: z
      .array(PeerSpecSchema)
      .min(2, 'at least two peers are needed')
      .superRefine(
        (peers, ctx) => {
          if (!Array.isArray(peers)) return;
          const seen = new Set<string>();
          peers.forEach((p, i) => {
            const name: unknown = (p as { name?: unknown } | null)?.name;
            if (typeof name !== 'string') return;
            if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate peer name '${name}'` });
            seen.add(name);
          });
        },
        { when: () => true },
      )
      .describe('The peers, in turn order.'),
    budget: BudgetSchema.prefault({}),
    health: HealthSchema.prefault({}),
    goals: GoalsSettingsSchema.prefault({}),
    egress: EgressSchema.prefault({}),
    setup: nonEmpty.optional().describe('Command that installs gate dependencies on the clean checkout (e.g. "npm ci").'),
    modes: z.array(nonEmpty).optional().describe('Mode bundles this project was initialised with.'),
    verify: VerifySchema.optional(),
    results: ResultsSchema.optional(),
    notify: NotifySchema.optional(),
    kubernetes: KubernetesSchema.optional(),
  })
  .superRefine((config, ctx) => {
    // Providers become upstreams of the auth sidecar by name: two different ones need two names.
    try {
      // A peer whose provider does not fit its tool is reported on that peer already.
      runProviders(config.peers.filter((p) => p.provider === undefined || providerProblem(p.tool, p.provider) === null));
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: ['peers'], message: (e as Error).message });
    }
  })
  .describe('peers project configuration (.peers/config.yaml).');

export type PeersConfig = z.output<typeof ConfigSchema>;
export type PeersConfigInput = z.input<typeof ConfigSchema>;
export type PeerSpec = z.output<typeof PeerSpecSchema>;
