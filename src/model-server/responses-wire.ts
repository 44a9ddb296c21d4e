/**
 * The OpenAI Responses API as Codex consumes it (POST /v1/responses, always `stream: true`).
 * Streaming order: response.created, response.in_progress, then per output item
 * response.output_item.added → (message: content_part.added, output_text.delta, output_text.done,
 * content_part.done | function_call: function_call_arguments.delta/.done | custom tool call:
 * custom_tool_call_input.delta/.done) → response.output_item.done, then response.completed whose
 * `response.usage` (input_tokens incl. cached, input_tokens_details.cached_tokens, output_tokens,
 * output_tokens_details.reasoning_tokens, total_tokens) is what Codex reports in turn.completed.
 * Every event carries an increasing sequence_number. Errors: `{"error":{message,type,param,code}}`.
 */
import { sseEvent } from './anthropic-wire.ts';
import type { ConcreteCall } from './tool-mapping.ts';
import type { FaultKind, Usage } from './scenario-schema.ts';

export type ResponsesContent = { text?: string; calls: ConcreteCall[]; idPrefix: string };

export function responsesUsage(usage: Usage) {
  const input = usage.input_tokens + usage.cache_read_tokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cache_read_tokens },
    output_tokens: usage.output_tokens,
    output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    total_tokens: input + usage.output_tokens,
  };
}

type Item = Record<string, unknown> & { id: string; type: string };

function outputItems(content: ResponsesContent): Item[] {
  const items: Item[] = [];
  if (content.text !== undefined && content.text !== '') {
    items.push({ type: 'message', id: `msg_${content.idPrefix}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: content.text, annotations: [] }] });
  }
  content.calls.forEach((call, i) => {
    const callId = `call_${content.idPrefix}_${i}`;
    if (call.kind === 'json') items.push({ type: 'function_call', id: `fc_${content.idPrefix}_${i}`, call_id: callId, name: call.name, arguments: JSON.stringify(call.input), status: 'completed' });
    else items.push({ type: 'custom_tool_call', id: `ctc_${content.idPrefix}_${i}`, call_id: callId, name: call.name, input: call.input, status: 'completed' });
  });
  if (items.length === 0) items.push({ type: 'message', id: `msg_${content.idPrefix}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: '', annotations: [] }] });
  return items;
}

function responseObject(id: string, model: string, status: string, output: Item[], usage?: Usage) {
  // As the real API: the request's tier (`auto`, the project's) while it runs, the tier it was billed at once done;
  // the auth sidecar learns the project's tier from it (auth-proxy/usage/project-tier.ts).
  const serviceTier = status === 'in_progress' ? 'auto' : 'default';
  return { id, object: 'response', created_at: 0, status, model, service_tier: serviceTier, output, error: null, incomplete_details: null, usage: usage ? responsesUsage(usage) : null };
}

class Sequencer {
  private n = 0;
  event(type: string, body: Record<string, unknown>): string {
    return sseEvent(type, { type, sequence_number: this.n++, ...body });
  }
}

/** The opening events of a stream (used alone by a stall). */
export function responsesOpening(id: string, model: string): string[] {
  const seq = new Sequencer();
  return [seq.event('response.created', { response: responseObject(id, model, 'in_progress', []) })];
}

export function responsesStreamEvents(id: string, model: string, content: ResponsesContent, usage: Usage): string[] {
  const seq = new Sequencer();
  const events = [
    seq.event('response.created', { response: responseObject(id, model, 'in_progress', []) }),
    seq.event('response.in_progress', { response: responseObject(id, model, 'in_progress', []) }),
  ];
  const items = outputItems(content);
  items.forEach((item, output_index) => {
    if (item.type === 'message') {
      const text = ((item.content as Array<{ text: string }>)[0] ?? { text: '' }).text;
      events.push(seq.event('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } }));
      const part = { type: 'output_text', text: '', annotations: [] };
      events.push(seq.event('response.content_part.added', { item_id: item.id, output_index, content_index: 0, part }));
      events.push(seq.event('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta: text }));
      events.push(seq.event('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text }));
      events.push(seq.event('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part: { ...part, text } }));
    } else if (item.type === 'function_call') {
      const args = item.arguments as string;
      events.push(seq.event('response.output_item.added', { output_index, item: { ...item, arguments: '', status: 'in_progress' } }));
      const cut = Math.floor(args.length / 2);
      for (const delta of [args.slice(0, cut), args.slice(cut)]) events.push(seq.event('response.function_call_arguments.delta', { item_id: item.id, output_index, delta }));
      events.push(seq.event('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: args }));
    } else {
      const input = item.input as string;
      events.push(seq.event('response.output_item.added', { output_index, item: { ...item, input: '', status: 'in_progress' } }));
      events.push(seq.event('response.custom_tool_call_input.delta', { item_id: item.id, output_index, delta: input }));
      events.push(seq.event('response.custom_tool_call_input.done', { item_id: item.id, output_index, input }));
    }
    events.push(seq.event('response.output_item.done', { output_index, item }));
  });
  events.push(seq.event('response.completed', { response: responseObject(id, model, 'completed', items, usage) }));
  return events;
}

export function responsesJson(id: string, model: string, content: ResponsesContent, usage: Usage): Record<string, unknown> {
  return responseObject(id, model, 'completed', outputItems(content), usage);
}

export function responsesMalformedEvents(id: string, model: string): string[] {
  return [...responsesOpening(id, model), 'event: response.output_item.added\ndata: {"type":"response.output_item.added","item":{"ty\n\n'];
}

const ERRORS: Record<Exclude<FaultKind, 'stall' | 'malformed'>, { status: number; type: string; code: string; message: string }> = {
  rate_limit: { status: 429, type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again later.' },
  usage_limit: { status: 429, type: 'usage_limit_reached', code: 'usage_limit_reached', message: 'The usage limit has been reached' },
  unauthorized: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  overloaded: { status: 503, type: 'server_error', code: 'server_is_overloaded', message: 'The server is overloaded. Please try again later.' },
};

export function responsesError(kind: keyof typeof ERRORS, message?: string): { status: number; body: Record<string, unknown> } {
  const e = ERRORS[kind];
  return { status: e.status, body: { error: { message: message ?? e.message, type: e.type, param: null, code: e.code } } };
}

/**
 * Codex on a ChatGPT plan past its usage limit: 429 with `usage_limit_reached`, the reset in the
 * body (`resets_at` epoch seconds, `resets_in_seconds`) and in the `x-codex-primary-*` headers.
 */
export function responsesUsageLimit(resetEpochS: number, nowS: number): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  const e = ERRORS.usage_limit;
  const inS = Math.max(0, resetEpochS - nowS);
  return {
    status: e.status,
    body: { error: { type: e.type, message: e.message, plan_type: 'plus', resets_at: resetEpochS, resets_in_seconds: inS } },
    headers: { 'x-codex-primary-used-percent': '100', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-after-seconds': String(inS), 'x-codex-primary-reset-at': String(resetEpochS) },
  };
}

export function responsesPlainError(status: number, type: string, message: string): { status: number; body: Record<string, unknown> } {
  return { status, body: { error: { message, type, param: null, code: null } } };
}
