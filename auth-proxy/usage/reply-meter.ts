/**
 * Meters one forwarded reply, whatever way it ends. The relay feeds it a copy of every chunk; at
 * the end it says what the reply cost in tokens:
 *
 * - the vendor's own figures when the reply carried them to the end (`message_delta`,
 *   `response.completed`, a whole JSON body);
 * - a reply cut short (client abort, upstream error, stall, a stream that ended without its final
 *   usage) keeps what the vendor already said (Anthropic's `message_start` gives the input side at
 *   once) and bounds the rest: input at the most the request's input can be billed (its
 *   reservation's prompt bound: a prompt a peer chooses can be a token per byte, so bytes / 4
 *   undercounted it), output at the request's whole output allowance (hidden reasoning is billed
 *   but never streamed, so the text streamed is no bound), a whole reply without readable usage
 *   too (its size is no bound either). Estimates are flagged in the ledger line.
 */
import { SseParser } from './sse-parser.ts';
import type { CutShort } from './usage-ledger.ts';
import { type Usage, UsageAccumulator } from './usage-extract.ts';

export const BYTES_PER_TOKEN = 4;
export const estimateTokens = (bytes: number): number => Math.ceil(bytes / BYTES_PER_TOKEN);

export type MeterOutcome = 'complete' | Exclude<CutShort, 'no-final-usage'>;
/** `cacheSplit`: the reply said how many of its cache writes were one-hour ones (usage-extract.ts). */
export type Metered = { usage: Usage; cutShort?: CutShort; estimated?: ('input' | 'output')[]; cacheSplit?: boolean };

type Obj = Record<string, unknown>;

/** Bytes of generated text an SSE event carries (Anthropic deltas, Responses `*.delta`, Chat chunks). */
export function streamedTextBytes(value: unknown): { bytes: number; delta: boolean } {
  if (!value || typeof value !== 'object') return { bytes: 0, delta: false };
  const v = value as Obj;
  const len = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);
  if (v.type === 'content_block_delta' && v.delta && typeof v.delta === 'object') {
    const d = v.delta as Obj;
    return { bytes: len(d.text) + len(d.partial_json) + len(d.thinking), delta: true };
  }
  if (typeof v.type === 'string' && v.type.endsWith('.delta') && typeof v.delta === 'string') return { bytes: len(v.delta), delta: true };
  if (Array.isArray(v.choices)) {
    let bytes = 0;
    for (const c of v.choices as Obj[]) {
      const d = c?.delta as Obj | undefined;
      if (!d) continue;
      bytes += len(d.content) + len(d.reasoning_content);
      if (Array.isArray(d.tool_calls)) for (const t of d.tool_calls as Obj[]) bytes += len((t?.function as Obj | undefined)?.arguments);
    }
    return { bytes, delta: bytes > 0 };
  }
  return { bytes: 0, delta: false };
}

export type MeterInput = {
  stream: boolean;
  /** The reply is JSON (only then is a non-streamed body read). */
  json: boolean;
  requestBytes: number;
  /**
   * The most the request's input can be billed: its reservation's prompt bound (every body byte as
   * a token, the vendor's overhead, inline images by their size: request-cost.ts). What a reply cut
   * short before the vendor stated its input is charged; without it, the request's bytes / 4.
   */
  inputTokensBound?: number;
  /** The request's output allowance (max_tokens / max_output_tokens, or the default cap). */
  maxOutputTokens: number;
  /** Model named in the request, used when the reply never named one. */
  requestModel: string;
  maxJsonBytes: number;
};

export class ReplyMeter {
  private readonly acc = new UsageAccumulator();
  private readonly sse: SseParser | null;
  private readonly json: Buffer[] = [];
  private jsonBytes = 0;
  private jsonOverflow = false;
  private streamedBytes = 0;
  private deltas = 0;
  private ended = false;

  constructor(private readonly input: MeterInput) {
    this.sse = input.stream
      ? new SseParser((e) => {
          let v: unknown;
          try {
            v = JSON.parse(e.data);
          } catch {
            return;
          }
          this.acc.observe(v, e.event);
          const t = streamedTextBytes(v);
          this.streamedBytes += t.bytes;
          if (t.delta) this.deltas++;
        })
      : null;
  }

  feed(chunk: Buffer): void {
    if (this.sse) return this.sse.feed(chunk);
    if (!this.input.json) return;
    if (this.jsonBytes + chunk.length > this.input.maxJsonBytes) {
      this.jsonOverflow = true;
      return;
    }
    this.json.push(chunk);
    this.jsonBytes += chunk.length;
  }

  /** What the reply cost; called once, when it ended (or was cut short) in any way. */
  finish(outcome: MeterOutcome): Metered {
    if (this.ended) throw new Error('ReplyMeter.finish called twice');
    this.ended = true;
    if (outcome === 'complete') {
      if (this.sse) this.sse.end();
      else if (this.input.json && !this.jsonOverflow) {
        try {
          this.acc.observe(JSON.parse(Buffer.concat(this.json).toString('utf8')));
        } catch {}
      }
    }
    const usage: Usage = { ...this.acc.usage, model: this.acc.usage.model || this.input.requestModel };
    const unreadable = this.acc.unreadable;
    const split = this.acc.cacheSplit ? { cacheSplit: true } : {};
    if (this.acc.final && !unreadable) return { usage, ...split };
    // Figures that cannot be true are no figures: metered like a reply whose usage never came.
    const cutShort: CutShort = unreadable ? 'usage-unreadable' : outcome === 'complete' ? 'no-final-usage' : outcome;
    const estimated: ('input' | 'output')[] = [];
    const inputBound = this.input.inputTokensBound ?? estimateTokens(this.input.requestBytes);
    if (!this.acc.seen || (unreadable && usage.input_tokens < inputBound)) {
      usage.input_tokens = inputBound;
      estimated.push('input');
    }
    let output: number;
    // A stream that ended without its final usage, however it ended: what streamed is no bound on
    // what was billed (OpenAI's reasoning is never streamed, Claude's thinking only as a summary),
    // so it is charged its whole allowance, the most the vendor can bill (SECURITY.md, "Nothing unmetered").
    if (this.sse) output = Math.max(this.input.maxOutputTokens, this.deltas, estimateTokens(this.streamedBytes));
    // A whole reply whose usage could not be read (none given, compressed, not JSON, too large) is
    // no bound either: a reasoning model's hidden output is billed and never in the body, so its
    // size was (a provider's reply without usage cost a few tokens); and a JSON reply that never
    // arrived may well have been generated whole. Both cost the whole allowance.
    else output = Math.max(this.input.maxOutputTokens, estimateTokens(this.jsonBytes));
    if (output > usage.output_tokens) {
      usage.output_tokens = output;
      estimated.push('output');
    }
    return { usage, cutShort, ...(estimated.length ? { estimated } : {}), ...split };
  }
}
