/**
 * The scenario a scripted model server plays: for each peer, one entry per tick (one CLI
 * invocation = one conversation), each a list of replies served in order to that conversation's
 * requests. A reply is tool calls, a final text, or a fault. The vocabulary is API-neutral
 * (`shell`, `write`, `edit`, `read`) and is translated to the tools the calling CLI declared
 * (Claude Code: Bash/Write/Edit/Read; Codex: exec_command/apply_patch), so one scenario can drive
 * either CLI and survives tool renames between CLI versions.
 */
import { z } from 'zod';

export const SCENARIO_PEER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

const tokens = z.number().int().nonnegative();

/** Token figures of one reply, API-neutral: `input_tokens` excludes cache reads and writes. */
export const UsageSchema = z
  .strictObject({
    input_tokens: tokens.default(0).describe('Uncached input tokens.'),
    output_tokens: tokens.default(0).describe('Output tokens (reasoning tokens included).'),
    cache_read_tokens: tokens.default(0).describe('Input tokens read from the prompt cache.'),
    cache_write_tokens: tokens.default(0).describe('Input tokens written to the prompt cache (Anthropic only; Responses has no such figure).'),
    reasoning_tokens: tokens.default(0).describe('Part of output_tokens spent on reasoning (Responses output_tokens_details).'),
  })
  .describe('Token usage reported for this reply.');
export type Usage = z.output<typeof UsageSchema>;

const nonEmpty = z.string().min(1);

export const ToolCallSchema = z.union([
  z.strictObject({ shell: nonEmpty.describe('Shell command: Claude Bash {command}, Codex exec_command {cmd}.') }),
  z.strictObject({
    write: z.strictObject({ path: nonEmpty, content: z.string() }).describe('Create a file: Claude Write, Codex apply_patch "Add File". Relative paths resolve against the CLI\'s working directory.'),
  }),
  z.strictObject({
    edit: z
      .strictObject({ path: nonEmpty, old: nonEmpty, new: z.string() })
      .describe('Replace text: Claude Edit (needs a prior read), Codex apply_patch "Update File" (old/new must be whole lines).'),
  }),
  z.strictObject({ read: nonEmpty.describe('Read a file: Claude Read, Codex exec_command cat.') }),
  z.strictObject({ apply_patch: nonEmpty.describe('A raw apply_patch envelope (Codex only).') }),
  z.strictObject({
    tool: z
      .strictObject({ name: nonEmpty, input: z.union([z.record(z.string(), z.unknown()), z.string()]) })
      .describe('Call any declared tool by its exact name with raw input (object for JSON tools, string for freeform tools).'),
  }),
]);
export type ToolCall = z.output<typeof ToolCallSchema>;

export const FAULT_KINDS = ['rate_limit', 'usage_limit', 'unauthorized', 'overloaded', 'stall', 'malformed'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FaultSchema = z
  .strictObject({
    kind: z.enum(FAULT_KINDS).describe('rate_limit: HTTP 429; usage_limit: HTTP 429 as a subscription\'s usage limit says it (reset time in headers and body); unauthorized: 401; overloaded: 529 (Anthropic) / 503 (Responses); stall: first event then silence; malformed: an event that is not JSON, then close.'),
    retry_after_s: z.number().int().nonnegative().optional().describe('retry-after header for rate_limit, usage_limit and overloaded.'),
    resets_in_s: z.number().int().positive().optional().describe('usage_limit: seconds from the request until the limit resets (default 3600).'),
    times: z.number().int().positive().default(1).describe('How many consecutive requests of the conversation get this fault before the next reply is served.'),
    message: z.string().optional().describe('Error message in the body (a realistic default otherwise).'),
  })
  .describe('An API failure served instead of a reply.');
export type Fault = z.output<typeof FaultSchema>;

const costUsd = z.number().nonnegative().optional().describe('USD cost recorded in the log for this reply; computed from `prices` when absent.');

export const ReplySchema = z.union([
  z.strictObject({ tool_calls: z.array(ToolCallSchema).min(1), text: z.string().optional(), usage: UsageSchema.optional(), cost_usd: costUsd }),
  z.strictObject({ text: z.string(), usage: UsageSchema.optional(), cost_usd: costUsd }),
  z.strictObject({ fault: FaultSchema }),
]);
export type Reply = z.output<typeof ReplySchema>;

export const TickSchema = z.strictObject({
  name: z.string().optional().describe('A label shown in the log.'),
  replies: z.array(ReplySchema).min(1),
});
export type Tick = z.output<typeof TickSchema>;

export const APIS = ['anthropic', 'responses'] as const;
export type Api = (typeof APIS)[number];

export const ScenarioPeerSchema = z.strictObject({
  api: z.enum(APIS).describe('anthropic: Anthropic Messages API (claude); responses: OpenAI Responses API (codex).'),
  ticks: z.array(TickSchema).min(1).describe('One entry per CLI invocation of this peer, in order.'),
});

export const PriceSchema = z.strictObject({
  input: z.number().nonnegative().describe('USD per million uncached input tokens.'),
  output: z.number().nonnegative().describe('USD per million output tokens.'),
  cache_read: z.number().nonnegative().default(0),
  cache_write: z.number().nonnegative().default(0),
});
export type Price = z.output<typeof PriceSchema>;

export const ScenarioSchema = z
  .strictObject({
    version: z.literal(1),
    default_usage: UsageSchema.optional().describe('Usage of replies that give none.'),
    prices: z.record(z.string(), PriceSchema).default({}).describe('Per-model prices used to compute the logged cost_usd.'),
    auxiliary_text: z.string().default('OK').describe('Text answered to auxiliary requests (no tools, token counting); they never consume scenario steps.'),
    peers: z.record(z.string().regex(SCENARIO_PEER_NAME, 'peer name must match [A-Za-z0-9][A-Za-z0-9_-]{0,31}'), ScenarioPeerSchema),
  })
  .superRefine((scenario, ctx) => {
    if (Object.keys(scenario.peers).length === 0) ctx.addIssue({ code: 'custom', path: ['peers'], message: 'a scenario needs at least one peer' });
    for (const [name, peer] of Object.entries(scenario.peers)) {
      peer.ticks.forEach((tick, t) =>
        tick.replies.forEach((reply, r) => {
          if (!('tool_calls' in reply)) return;
          reply.tool_calls.forEach((call, c) => {
            if ('apply_patch' in call && peer.api !== 'responses') {
              ctx.addIssue({ code: 'custom', path: ['peers', name, 'ticks', t, 'replies', r, 'tool_calls', c], message: 'apply_patch exists only for api: responses (codex); use write or edit' });
            }
          });
        }),
      );
    }
  });
export type Scenario = z.output<typeof ScenarioSchema>;

export const ZERO_USAGE: Usage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 };
