/**
 * Metering one reply however it ends, without the sidecar: the vendor's own figures when they
 * arrive, and for a reply cut short (client abort, upstream error, stall, no final usage) what the
 * vendor already said plus an estimate of the rest, flagged. A cut-short reply is never free.
 * Pure; mutation testing runs it against auth-proxy/usage/reply-meter.ts. The same cases through
 * the real sidecar are in cut-short-metering.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { BYTES_PER_TOKEN, estimateTokens, ReplyMeter, streamedTextBytes, type MeterInput } from '../../../auth-proxy/usage/reply-meter.ts';

const input = (over: Partial<MeterInput> = {}): MeterInput => ({ stream: true, json: false, requestBytes: 4000, maxOutputTokens: 8000, requestModel: 'claude-sonnet-4-5', maxJsonBytes: 1024, ...over });
const sse = (data: unknown, event?: string) => Buffer.from(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
const start = sse({ type: 'message_start', message: { model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1200, output_tokens: 1 } } });
const delta = (text: string) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
const finalUsage = sse({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } });

describe('a reply that ends with its usage', () => {
  test('a streamed Anthropic reply is billed the vendor figures, nothing estimated', () => {
    const m = new ReplyMeter(input());
    for (const c of [start, delta('hello'), finalUsage]) m.feed(c);
    expect(m.finish('complete')).toEqual({ usage: { model: 'claude-sonnet-4-5-20250929', input_tokens: 1200, output_tokens: 42, cache_read_tokens: 0, cache_write_tokens: 0 } });
  });

  test('a whole JSON reply is read at the end', () => {
    const m = new ReplyMeter(input({ stream: false, json: true }));
    const doc = Buffer.from(JSON.stringify({ type: 'message', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 20 } }));
    m.feed(doc.subarray(0, 7));
    m.feed(doc.subarray(7));
    expect(m.finish('complete')).toEqual({ usage: { model: 'claude-haiku-4-5', input_tokens: 10, output_tokens: 20, cache_read_tokens: 0, cache_write_tokens: 0 } });
  });

  test('a JSON reply that names no model is billed under the model the request named', () => {
    const m = new ReplyMeter(input({ stream: false, json: true, requestModel: 'gpt-5' }));
    m.feed(Buffer.from(JSON.stringify({ usage: { prompt_tokens: 5, completion_tokens: 6 } })));
    expect(m.finish('complete').usage).toMatchObject({ model: 'gpt-5', input_tokens: 5, output_tokens: 6 });
  });

  test('a whole JSON reply whose usage cannot be true is metered like one without usage: input from the request, output at its allowance', () => {
    const m = new ReplyMeter(input({ stream: false, json: true }));
    m.feed(Buffer.from(JSON.stringify({ type: 'message', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: -20 } })));
    expect(m.finish('complete')).toEqual({ usage: { model: 'claude-haiku-4-5', input_tokens: estimateTokens(4000), output_tokens: 8000, cache_read_tokens: 0, cache_write_tokens: 0 }, cutShort: 'usage-unreadable', estimated: ['input', 'output'] });
  });

  test('finishing twice is a bug, not a second bill', () => {
    const m = new ReplyMeter(input());
    m.finish('complete');
    expect(() => m.finish('complete')).toThrow('ReplyMeter.finish called twice');
  });
});

describe('a reply cut short is still metered', () => {
  test('a client abort after message_start: the input the vendor stated, the output at its whole allowance (hidden reasoning is billed, not streamed)', () => {
    const m = new ReplyMeter(input());
    for (const c of [start, delta('x'.repeat(400))]) m.feed(c);
    expect(m.finish('client-abort')).toEqual({ usage: { model: 'claude-sonnet-4-5-20250929', input_tokens: 1200, output_tokens: 8000, cache_read_tokens: 0, cache_write_tokens: 0 }, cutShort: 'client-abort', estimated: ['output'] });
    // More text streamed than the allowance (a vendor over its cap): the text counts.
    const long = new ReplyMeter(input({ maxOutputTokens: 10 }));
    for (const c of [start, delta('x'.repeat(400))]) long.feed(c);
    expect(long.finish('client-abort').usage.output_tokens).toBe(100);
  });

  test('a stream that ended without its final usage is "no-final-usage", not complete', () => {
    const m = new ReplyMeter(input());
    for (const c of [start, delta('abcd'), delta('efgh')]) m.feed(c);
    expect(m.finish('complete')).toMatchObject({ cutShort: 'no-final-usage', estimated: ['output'], usage: { input_tokens: 1200, output_tokens: 8000 } });
  });

  test('a stall before any usage: input estimated from the request size, output at its allowance, and at least one token per delta', () => {
    const m = new ReplyMeter(input({ requestBytes: 4001 }));
    for (const c of [delta(''), delta(''), delta('a')]) m.feed(c);
    expect(m.finish('stall')).toEqual({ usage: { model: 'claude-sonnet-4-5', input_tokens: 1001, output_tokens: 8000, cache_read_tokens: 0, cache_write_tokens: 0 }, cutShort: 'stall', estimated: ['input', 'output'] });
    const tiny = new ReplyMeter(input({ maxOutputTokens: 1 }));
    for (const c of [delta(''), delta(''), delta('a')]) tiny.feed(c);
    expect(tiny.finish('stall').usage.output_tokens).toBe(3);
  });

  test('an upstream error with nothing streamed: input estimated, output at its allowance (the model may have been reasoning)', () => {
    const m = new ReplyMeter(input());
    expect(m.finish('upstream-error')).toEqual({ usage: { model: 'claude-sonnet-4-5', input_tokens: 1000, output_tokens: 8000, cache_read_tokens: 0, cache_write_tokens: 0 }, cutShort: 'upstream-error', estimated: ['input', 'output'] });
  });

  test('the vendor output figure is kept when it is above the estimate', () => {
    const m = new ReplyMeter(input());
    m.feed(sse({ type: 'message_start', message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 50, output_tokens: 9000 } } }));
    m.feed(delta('ab'));
    expect(m.finish('client-abort')).toEqual({ usage: { model: 'claude-sonnet-4-5', input_tokens: 50, output_tokens: 9000, cache_read_tokens: 0, cache_write_tokens: 0 }, cutShort: 'client-abort' });
  });

  test('an estimate equal to the vendor figure is not flagged as estimated', () => {
    const m = new ReplyMeter(input());
    m.feed(sse({ type: 'message_start', message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 50, output_tokens: 8000 } } }));
    m.feed(delta('12345678'));
    expect(m.finish('stall').estimated).toBeUndefined();
  });

  test('a JSON reply cut short: the whole output allowance, since the vendor may have generated all of it', () => {
    const m = new ReplyMeter(input({ stream: false, json: true, requestBytes: 40 }));
    m.feed(Buffer.from('{"usage":{"input_tokens":10,'));
    expect(m.finish('client-abort')).toEqual({ usage: { model: 'claude-sonnet-4-5', input_tokens: 10, output_tokens: 8000, cache_read_tokens: 0, cache_write_tokens: 0 }, cutShort: 'client-abort', estimated: ['input', 'output'] });
  });

  test('a JSON reply that arrived whole but without usage: output at its whole allowance (hidden reasoning is not in the body), or its size if larger', () => {
    const m = new ReplyMeter(input({ stream: false, json: true, requestBytes: 8 }));
    m.feed(Buffer.from(JSON.stringify({ content: 'x'.repeat(90) })));
    expect(m.finish('complete')).toMatchObject({ cutShort: 'no-final-usage', estimated: ['input', 'output'], usage: { input_tokens: 2, output_tokens: 8000 } });
    const big = new ReplyMeter(input({ stream: false, json: true, requestBytes: 8, maxOutputTokens: 10 }));
    big.feed(Buffer.from(JSON.stringify({ content: 'x'.repeat(90) })));
    expect(big.finish('complete').usage.output_tokens).toBe(26);
  });

  test('a JSON reply over the size limit is not parsed: estimated from the bytes kept, never free', () => {
    const doc = Buffer.from(JSON.stringify({ usage: { input_tokens: 1, output_tokens: 1 }, pad: 'x'.repeat(100) }));
    const m = new ReplyMeter(input({ stream: false, json: true, maxJsonBytes: doc.length - 1 }));
    m.feed(doc);
    expect(m.finish('complete')).toMatchObject({ cutShort: 'no-final-usage', usage: { input_tokens: 1000, output_tokens: 8000 } });
    const exact = new ReplyMeter(input({ stream: false, json: true, maxJsonBytes: doc.length }));
    exact.feed(doc);
    expect(exact.finish('complete')).toEqual({ usage: { model: 'claude-sonnet-4-5', input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 } });
  });

  test('a JSON reply split over chunks counts every chunk towards the limit', () => {
    const doc = Buffer.from(JSON.stringify({ usage: { input_tokens: 1, output_tokens: 1 }, pad: 'x'.repeat(100) }));
    const m = new ReplyMeter(input({ stream: false, json: true, maxJsonBytes: doc.length - 1 }));
    m.feed(doc.subarray(0, 50));
    m.feed(doc.subarray(50));
    expect(m.finish('complete').cutShort).toBe('no-final-usage');
  });

  test('a JSON reply whose middle chunk overflowed is never parsed from the pieces kept around it', () => {
    const head = Buffer.from('{"usage":{"input_tokens":1,"output_tokens":1}');
    const middle = Buffer.from(`,"pad":"${'x'.repeat(200)}"`);
    const tail = Buffer.from('}');
    const m = new ReplyMeter(input({ stream: false, json: true, maxJsonBytes: head.length + 10 }));
    for (const c of [head, middle, tail]) m.feed(c);
    // head + tail alone would parse as a reply with usage: the meter must not bill that.
    expect(JSON.parse(Buffer.concat([head, tail]).toString())).toMatchObject({ usage: { output_tokens: 1 } });
    expect(m.finish('complete')).toMatchObject({ cutShort: 'no-final-usage', usage: { input_tokens: 1000 } });
  });

  test('a JSON reply the client aborted is billed its whole allowance, even if its bytes look whole', () => {
    const m = new ReplyMeter(input({ stream: false, json: true }));
    m.feed(Buffer.from(JSON.stringify({ usage: { input_tokens: 3, output_tokens: 4 } })));
    expect(m.finish('client-abort')).toMatchObject({ cutShort: 'client-abort', usage: { input_tokens: 1000, output_tokens: 8000 } });
  });

  test('a stream whose last event lacks its closing blank line: read at a complete end, not after an abort', () => {
    const lastOpen = Buffer.from(`data: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 42 } })}\n`);
    const done = new ReplyMeter(input());
    for (const c of [start, lastOpen]) done.feed(c);
    expect(done.finish('complete')).toEqual({ usage: { model: 'claude-sonnet-4-5-20250929', input_tokens: 1200, output_tokens: 42, cache_read_tokens: 0, cache_write_tokens: 0 } });
    const aborted = new ReplyMeter(input());
    for (const c of [start, lastOpen]) aborted.feed(c);
    expect(aborted.finish('client-abort')).toMatchObject({ cutShort: 'client-abort', usage: { output_tokens: 8000 } });
  });

  test('a reply that is neither streamed nor JSON is not read: whole or cut short, it costs its allowance', () => {
    const m = new ReplyMeter(input({ stream: false, json: false }));
    m.feed(Buffer.from(JSON.stringify({ usage: { input_tokens: 1, output_tokens: 1 } })));
    expect(m.finish('complete')).toMatchObject({ cutShort: 'no-final-usage', usage: { input_tokens: 1000, output_tokens: 8000 } });
    const cut = new ReplyMeter(input({ stream: false, json: false }));
    expect(cut.finish('stall').usage.output_tokens).toBe(8000);
  });

  test('a stream event that is not JSON is skipped, the rest still counted', () => {
    const m = new ReplyMeter(input({ maxOutputTokens: 0 }));
    m.feed(Buffer.from('data: {not json\n\n'));
    m.feed(delta('abcd'));
    expect(m.finish('client-abort').usage.output_tokens).toBe(1);
  });

  test('the SSE event name is passed on (an event whose data has no type)', () => {
    const m = new ReplyMeter(input());
    m.feed(sse({ message: { model: 'claude-opus-4-5', usage: { input_tokens: 77, output_tokens: 1 } } }, 'message_start'));
    expect(m.finish('client-abort').usage).toMatchObject({ model: 'claude-opus-4-5', input_tokens: 77 });
  });
});

describe('how streamed text is counted', () => {
  test('about four bytes a token, rounded up', () => {
    expect(BYTES_PER_TOKEN).toBe(4);
    expect([0, 1, 4, 5, 8].map(estimateTokens)).toEqual([0, 1, 1, 2, 2]);
  });

  test('Anthropic deltas: text, tool-call JSON and thinking, in UTF-8 bytes', () => {
    expect(streamedTextBytes({ type: 'content_block_delta', delta: { text: 'héllo' } })).toEqual({ bytes: 6, delta: true });
    expect(streamedTextBytes({ type: 'content_block_delta', delta: { partial_json: '{"a":1}', thinking: 'hm' } })).toEqual({ bytes: 9, delta: true });
    expect(streamedTextBytes({ type: 'content_block_delta', delta: 'text' })).toEqual({ bytes: 0, delta: false });
    expect(streamedTextBytes({ type: 'content_block_delta' })).toEqual({ bytes: 0, delta: false });
  });

  test('Responses *.delta events', () => {
    expect(streamedTextBytes({ type: 'response.output_text.delta', delta: 'abc' })).toEqual({ bytes: 3, delta: true });
    expect(streamedTextBytes({ type: 'response.function_call_arguments.delta', delta: '' })).toEqual({ bytes: 0, delta: true });
    expect(streamedTextBytes({ type: 'response.output_text.delta', delta: 5 })).toEqual({ bytes: 0, delta: false });
    expect(streamedTextBytes({ type: 'response.delta.done', delta: 'abc' })).toEqual({ bytes: 0, delta: false });
  });

  test('Chat Completions chunks: content, reasoning and tool-call arguments of every choice', () => {
    const chunk = { choices: [{ delta: { content: 'ab', reasoning_content: 'c', tool_calls: [{ function: { arguments: 'de' } }, {}, null] } }, { delta: { content: 'f' } }, {}, null] };
    expect(streamedTextBytes(chunk)).toEqual({ bytes: 6, delta: true });
    expect(streamedTextBytes({ choices: [{ delta: { content: 'f' } }] })).toEqual({ bytes: 1, delta: true });
    expect(streamedTextBytes({ choices: [{ delta: {} }] })).toEqual({ bytes: 0, delta: false });
    expect(streamedTextBytes({ choices: [{ delta: { tool_calls: 'x' } }] })).toEqual({ bytes: 0, delta: false });
  });

  test('anything else carries no text', () => {
    for (const v of [null, undefined, 'text', 42, { type: 'message_stop' }, { type: 7, delta: 'abc' }]) expect(streamedTextBytes(v)).toEqual({ bytes: 0, delta: false });
  });
});
