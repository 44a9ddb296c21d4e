/**
 * Token usage from the replies of both vendor APIs, streamed or not.
 *
 * - Anthropic Messages: JSON `usage`; streamed, `message_start.message.usage` carries the input
 *   side and each `message_delta.usage` the cumulative output (the last one wins).
 * - OpenAI Responses: JSON `usage`; streamed, `response.completed` (or `.incomplete`/`.failed`)
 *   carries `response.usage`. `input_tokens` includes cached tokens, which are split out here.
 * - OpenAI Chat Completions: `usage.prompt_tokens`/`completion_tokens` (last stream chunk).
 * All figures are normalised to disjoint buckets so they can be summed and priced.
 */
export type Usage = { model: string; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number };

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

export class UsageAccumulator {
  usage: Usage = { model: '', input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };
  seen = false;

  /** One parsed JSON value: a whole non-streamed reply, or one SSE event's data. */
  observe(value: unknown, event?: string): void {
    const v = obj(value);
    if (!v) return;
    const type = typeof v.type === 'string' ? v.type : event;
    if (type === 'message_start') {
      const m = obj(v.message);
      if (m) this.anthropic(m.model, obj(m.usage));
      return;
    }
    if (type === 'message_delta') {
      const u = obj(v.usage);
      if (!u) return;
      this.seen = true;
      // message_delta figures are cumulative: take them as the new totals, never add them.
      if (u.output_tokens !== undefined) this.usage.output_tokens = num(u.output_tokens);
      if (num(u.input_tokens) > 0) this.usage.input_tokens = num(u.input_tokens);
      if (num(u.cache_read_input_tokens) > 0) this.usage.cache_read_tokens = num(u.cache_read_input_tokens);
      if (num(u.cache_creation_input_tokens) > 0) this.usage.cache_write_tokens = num(u.cache_creation_input_tokens);
      return;
    }
    if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      const r = obj(v.response);
      if (r) this.openai(r.model, obj(r.usage));
      return;
    }
    if (type === 'message' && obj(v.usage)) return this.anthropic(v.model, obj(v.usage));
    const u = obj(v.usage);
    if (!u) return;
    if ('prompt_tokens' in u) {
      const cached = num(obj(u.prompt_tokens_details)?.cached_tokens);
      this.set(v.model, { input_tokens: num(u.prompt_tokens) - cached, output_tokens: num(u.completion_tokens), cache_read_tokens: cached, cache_write_tokens: 0 });
    } else if (v.object === 'response' || 'input_tokens_details' in u) this.openai(v.model, u);
    else this.anthropic(v.model, u);
  }

  private anthropic(model: unknown, u: Obj | undefined): void {
    if (!u) return;
    this.set(model, { input_tokens: num(u.input_tokens), output_tokens: num(u.output_tokens), cache_read_tokens: num(u.cache_read_input_tokens), cache_write_tokens: num(u.cache_creation_input_tokens) });
  }

  private openai(model: unknown, u: Obj | undefined): void {
    if (!u) return;
    const cached = num(obj(u.input_tokens_details)?.cached_tokens);
    this.set(model, { input_tokens: num(u.input_tokens) - cached, output_tokens: num(u.output_tokens), cache_read_tokens: cached, cache_write_tokens: 0 });
  }

  private set(model: unknown, u: Omit<Usage, 'model'>): void {
    this.seen = true;
    this.usage = { model: typeof model === 'string' ? model : this.usage.model, ...u };
  }
}
