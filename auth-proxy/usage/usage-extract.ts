/**
 * Token usage from the replies of both vendor APIs, streamed or not.
 *
 * - Anthropic Messages: JSON `usage`; streamed, `message_start.message.usage` carries the input
 *   side (recorded at once, so a reply cut short later is still billed its input) and each
 *   `message_delta.usage` the cumulative output (the last one wins).
 * - OpenAI Responses: JSON `usage`; streamed, `response.completed` (or `.incomplete`/`.failed`)
 *   carries `response.usage`. `input_tokens` includes cached tokens, which are split out here.
 * - OpenAI Chat Completions: `usage.prompt_tokens`/`completion_tokens` (last stream chunk).
 * All figures are normalised to disjoint buckets so they can be summed and priced.
 */
import type { UsageFacts } from './price-table.ts';

export type Usage = UsageFacts;

/**
 * The most tokens one usage figure may say: far past any context window or output limit, and small
 * enough that every sum of figures stays a whole number the ledger can hold (below 2^53).
 */
export const MAX_USAGE_FIGURE = 1e10;
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 64 ? v : undefined);

export const EMPTY_USAGE: Usage = { model: '', input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };

export class UsageAccumulator {
  usage: Usage = { ...EMPTY_USAGE };
  /**
   * A usage figure was there but could not be true (negative, not a number, Infinity from `1e400`,
   * past MAX_USAGE_FIGURE): counted as 0 it let a reply's output cost nothing, so the reply is
   * metered as one whose usage never came (reply-meter.ts; SECURITY.md, "Nothing unmetered").
   */
  unreadable = false;
  /** Some usage figure was read (input or output side). */
  seen = false;
  /** The reply's final usage arrived (message_delta, response.completed, or a whole JSON body). */
  final = false;
  /** The reply split its cache writes by lifetime (Anthropic's `cache_creation`): without it, how many were one-hour writes is unknown. */
  cacheSplit = false;

  /** A token figure: absent (undefined or null) is 0; anything but a whole number in range is 0 and marks the usage unreadable. */
  private readonly num = (v: unknown): number => {
    if (v === undefined || v === null) return 0;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_USAGE_FIGURE) return Math.floor(v);
    this.unreadable = true;
    return 0;
  };

  /** One parsed JSON value: a whole non-streamed reply, or one SSE event's data. */
  observe(value: unknown, event?: string): void {
    const v = obj(value);
    if (!v) return;
    const type = typeof v.type === 'string' ? v.type : event;
    if (type === 'message_start') {
      const m = obj(v.message);
      if (m) this.anthropic(m.model, obj(m.usage), false);
      return;
    }
    if (type === 'message_delta') {
      const u = obj(v.usage);
      if (!u) return;
      this.seen = true;
      this.final = true;
      // message_delta figures are cumulative: take them as the new totals, never add them.
      if (u.output_tokens !== undefined) this.usage.output_tokens = this.num(u.output_tokens);
      if (this.num(u.input_tokens) > 0) this.usage.input_tokens = this.num(u.input_tokens);
      if (this.num(u.cache_read_input_tokens) > 0) this.usage.cache_read_tokens = this.num(u.cache_read_input_tokens);
      if (this.num(u.cache_creation_input_tokens) > 0) this.usage.cache_write_tokens = this.num(u.cache_creation_input_tokens);
      this.anthropicExtras(u);
      return;
    }
    if (type === 'response.created' || type === 'response.in_progress') {
      const r = obj(v.response);
      if (r && typeof r.model === 'string') this.usage.model = r.model;
      if (r) this.usage.service_tier = str(r.service_tier) ?? this.usage.service_tier;
      return;
    }
    if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      const r = obj(v.response);
      if (r) this.openai(r.model, obj(r.usage), r.service_tier);
      return;
    }
    if (type === 'message' && obj(v.usage)) return this.anthropic(v.model, obj(v.usage), true);
    const u = obj(v.usage);
    if (!u) return;
    if ('prompt_tokens' in u) {
      const { input, cached, written } = this.splitInput(u.prompt_tokens, obj(u.prompt_tokens_details));
      this.set(v.model, { input_tokens: input, output_tokens: this.num(u.completion_tokens), cache_read_tokens: cached, cache_write_tokens: written }, true);
      this.usage.service_tier = str(v.service_tier);
      this.vendorCost(u);
    } else if (v.object === 'response' || 'input_tokens_details' in u) this.openai(v.model, u, v.service_tier);
    else this.anthropic(v.model, u, true);
  }

  private anthropic(model: unknown, u: Obj | undefined, final: boolean): void {
    if (!u) return;
    this.set(model, { input_tokens: this.num(u.input_tokens), output_tokens: this.num(u.output_tokens), cache_read_tokens: this.num(u.cache_read_input_tokens), cache_write_tokens: this.num(u.cache_creation_input_tokens) }, final);
    this.anthropicExtras(u);
  }

  private anthropicExtras(u: Obj): void {
    this.vendorCost(u);
    if (obj(u.cache_creation)) this.cacheSplit = true;
    const oneHour = this.num(obj(u.cache_creation)?.ephemeral_1h_input_tokens);
    if (oneHour > 0) this.usage.cache_write_1h_tokens = oneHour;
    const searches = this.num(obj(u.server_tool_use)?.web_search_requests);
    if (searches > 0) this.usage.web_search_requests = searches;
    for (const k of ['speed', 'inference_geo', 'service_tier'] as const) {
      const s = str(u[k]);
      if (s) this.usage[k] = s;
    }
  }

  private openai(model: unknown, u: Obj | undefined, tier: unknown): void {
    if (!u) return;
    const { input, cached, written } = this.splitInput(u.input_tokens, obj(u.input_tokens_details));
    this.set(model, { input_tokens: input, output_tokens: this.num(u.output_tokens), cache_read_tokens: cached, cache_write_tokens: written }, true);
    this.vendorCost(u);
    const s = str(tier);
    if (s) this.usage.service_tier = s;
  }

  /**
   * OpenAI's input figure with the tokens read from and written to the prompt cache split out
   * (`cached_tokens`, `cache_write_tokens`: both part of the input, and writes billed at the
   * model's cache-write rate, 1.25x input for the GPT-6 family). More of them than the input is no
   * true figure (it would price input as cache reads).
   */
  private splitInput(total: unknown, details: Obj | undefined): { input: number; cached: number; written: number } {
    const cached = this.num(details?.cached_tokens);
    const written = this.num(details?.cache_write_tokens);
    if (cached + written > this.num(total)) this.unreadable = true;
    return { input: Math.max(0, this.num(total) - cached - written), cached, written };
  }

  /** A router's own statement of what it charged (`usage.cost`, USD), kept when it is a sound figure. */
  private vendorCost(u: Obj): void {
    const c = u.cost;
    if (typeof c === 'number' && Number.isFinite(c) && c >= 0) this.usage.vendor_usd = c;
  }

  private set(model: unknown, u: Omit<Usage, 'model'>, final: boolean): void {
    this.seen = true;
    this.final ||= final;
    this.usage = { ...this.usage, ...u, model: typeof model === 'string' ? model : this.usage.model };
  }
}
