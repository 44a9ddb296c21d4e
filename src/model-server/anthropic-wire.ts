/**
 * The Anthropic Messages API as Claude Code consumes it (POST /v1/messages?beta=true).
 * Streaming order: message_start (usage with input and cache figures), ping, then per content
 * block content_block_start / content_block_delta (text_delta, or input_json_delta carrying the
 * tool input as partial JSON) / content_block_stop, then message_delta (stop_reason and the final
 * usage; Claude Code takes output_tokens from here), then message_stop. Errors are
 * `{"type":"error","error":{"type","message"}}` with the documented status codes (401
 * authentication_error, 429 rate_limit_error, 529 overloaded_error).
 */
import type { ConcreteCall } from './tool-mapping.ts';
import type { FaultKind, Usage } from './scenario-schema.ts';

export type AnthropicContent = { text?: string; calls: ConcreteCall[]; idPrefix: string };

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function wireUsage(usage: Usage, outputTokens: number) {
  return {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_write_tokens,
    cache_read_input_tokens: usage.cache_read_tokens,
    output_tokens: outputTokens,
  };
}

function blocks(content: AnthropicContent): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (content.text !== undefined && content.text !== '') out.push({ type: 'text', text: content.text });
  content.calls.forEach((call, i) => {
    const input = call.kind === 'json' ? call.input : { input: call.input };
    out.push({ type: 'tool_use', id: `toolu_${content.idPrefix}_${i}`, name: call.name, input });
  });
  if (out.length === 0) out.push({ type: 'text', text: '' });
  return out;
}

function stopReason(content: AnthropicContent): 'tool_use' | 'end_turn' {
  return content.calls.length > 0 ? 'tool_use' : 'end_turn';
}

function messageShell(id: string, model: string) {
  return { id, type: 'message', role: 'assistant', model, content: [] as unknown[], stop_reason: null, stop_sequence: null };
}

export function anthropicMessageStart(id: string, model: string, usage: Usage): string {
  // The start event carries a provisional output count, as the real API does; message_delta has the final one.
  return sseEvent('message_start', { type: 'message_start', message: { ...messageShell(id, model), usage: wireUsage(usage, Math.min(1, usage.output_tokens)) } });
}

/** Every SSE event of one streamed reply, in order, as separate strings (so a stall can cut in). */
export function anthropicStreamEvents(id: string, model: string, content: AnthropicContent, usage: Usage): string[] {
  const events = [anthropicMessageStart(id, model, usage), sseEvent('ping', { type: 'ping' })];
  blocks(content).forEach((block, index) => {
    if (block.type === 'text') {
      events.push(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } }));
    } else {
      events.push(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: { ...block, input: {} } }));
      const json = JSON.stringify(block.input);
      // Split the JSON in two deltas: clients must concatenate partial_json, and we prove ours do.
      const cut = Math.floor(json.length / 2);
      for (const part of [json.slice(0, cut), json.slice(cut)]) {
        events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }));
      }
    }
    events.push(sseEvent('content_block_stop', { type: 'content_block_stop', index }));
  });
  events.push(sseEvent('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason(content), stop_sequence: null }, usage: wireUsage(usage, usage.output_tokens) }));
  events.push(sseEvent('message_stop', { type: 'message_stop' }));
  return events;
}

export function anthropicMessageJson(id: string, model: string, content: AnthropicContent, usage: Usage): Record<string, unknown> {
  return { ...messageShell(id, model), content: blocks(content), stop_reason: stopReason(content), usage: wireUsage(usage, usage.output_tokens) };
}

/** A first event followed by a truncated, non-JSON data line: what a broken proxy or cut stream looks like. */
export function anthropicMalformedEvents(id: string, model: string, usage: Usage): string[] {
  return [anthropicMessageStart(id, model, usage), 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"te\n\n'];
}

const ERROR_TYPES: Record<Exclude<FaultKind, 'stall' | 'malformed'>, { status: number; type: string; message: string }> = {
  rate_limit: { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' },
  usage_limit: { status: 429, type: 'rate_limit_error', message: "This request would exceed your account's rate limit. Please try again later." },
  unauthorized: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
};

export function anthropicError(kind: keyof typeof ERROR_TYPES, message?: string): { status: number; body: Record<string, unknown> } {
  const e = ERROR_TYPES[kind];
  return { status: e.status, body: { type: 'error', error: { type: e.type, message: message ?? e.message } } };
}

/**
 * The headers of a subscription (OAuth) request refused for its usage limit: the unified
 * rate-limit status `rejected`, with the window's reset as epoch seconds (what Claude Code reads).
 */
export function anthropicUsageLimitHeaders(resetEpochS: number): Record<string, string> {
  return {
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': String(resetEpochS),
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'anthropic-ratelimit-unified-5h-status': 'rejected',
    'anthropic-ratelimit-unified-5h-reset': String(resetEpochS),
    'anthropic-ratelimit-unified-5h-utilization': '1.0',
  };
}

export function anthropicPlainError(status: number, type: string, message: string): { status: number; body: Record<string, unknown> } {
  return { status, body: { type: 'error', error: { type, message } } };
}
