/**
 * What the bill counts from each vendor's reply: every token bucket (input, output, cache reads,
 * cache writes, one-hour writes), the model, the speed and tier that change the price, and the
 * moment a reply counts as finished. A figure dropped here is spend the cap never sees.
 */
import { describe, expect, test } from 'bun:test';
import { SseParser } from '../../../auth-proxy/usage/sse-parser.ts';
import { EMPTY_USAGE, UsageAccumulator } from '../../../auth-proxy/usage/usage-extract.ts';

function observeAll(values: [unknown, string?][]): UsageAccumulator {
  const acc = new UsageAccumulator();
  for (const [v, event] of values) acc.observe(v, event);
  return acc;
}

describe('Anthropic Messages replies', () => {
  test('a whole JSON reply bills input, output, cache reads and cache writes, and is final', () => {
    const acc = observeAll([[{ type: 'message', model: 'claude-opus-4-5', usage: { input_tokens: 12, output_tokens: 34, cache_read_input_tokens: 560, cache_creation_input_tokens: 78 } }]]);
    expect(acc.usage).toEqual({ model: 'claude-opus-4-5', input_tokens: 12, output_tokens: 34, cache_read_tokens: 560, cache_write_tokens: 78 });
    expect(acc.seen).toBe(true);
    expect(acc.final).toBe(true);
  });

  test('a reply without a type field is still read as Anthropic usage', () => {
    const acc = observeAll([[{ model: 'claude-sonnet-4-5', usage: { input_tokens: 5, output_tokens: 6, cache_read_input_tokens: 7, cache_creation_input_tokens: 8 } }]]);
    expect(acc.usage).toEqual({ model: 'claude-sonnet-4-5', input_tokens: 5, output_tokens: 6, cache_read_tokens: 7, cache_write_tokens: 8 });
    expect(acc.final).toBe(true);
  });

  test('a stream bills its input (with cache tokens) at message_start, before it is final', () => {
    const acc = observeAll([[{ type: 'message_start', message: { model: 'claude-opus-4-5', usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300 } } }]]);
    expect(acc.usage).toEqual({ model: 'claude-opus-4-5', input_tokens: 10, output_tokens: 1, cache_read_tokens: 2000, cache_write_tokens: 300 });
    expect(acc.seen).toBe(true);
    expect(acc.final).toBe(false);
  });

  test('the event name stands in for a missing type (message_start named by the SSE event line)', () => {
    const acc = observeAll([[{ message: { model: 'claude-opus-4-5', usage: { input_tokens: 3, output_tokens: 0 } } }, 'message_start']]);
    expect(acc.usage.input_tokens).toBe(3);
    expect(acc.final).toBe(false);
  });

  test('message_delta figures are cumulative totals: the last one wins, none is added twice', () => {
    const acc = observeAll([
      [{ type: 'message_start', message: { model: 'claude-opus-4-5', usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 } } }],
      [{ type: 'message_delta', usage: { output_tokens: 50 } }],
      [{ type: 'message_delta', usage: { output_tokens: 80 } }],
    ]);
    expect(acc.usage).toEqual({ model: 'claude-opus-4-5', input_tokens: 10, output_tokens: 80, cache_read_tokens: 100, cache_write_tokens: 20 });
    expect(acc.final).toBe(true);
  });

  test('a message_delta that restates input and cache figures replaces them; zero or absent figures keep the earlier ones', () => {
    const acc = observeAll([
      [{ type: 'message_start', message: { model: 'm', usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 } } }],
      [{ type: 'message_delta', usage: { output_tokens: 5, input_tokens: 11, cache_read_input_tokens: 101, cache_creation_input_tokens: 21 } }],
    ]);
    expect(acc.usage).toEqual({ model: 'm', input_tokens: 11, output_tokens: 5, cache_read_tokens: 101, cache_write_tokens: 21 });
    acc.observe({ type: 'message_delta', usage: { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
    expect(acc.usage).toEqual({ model: 'm', input_tokens: 11, output_tokens: 5, cache_read_tokens: 101, cache_write_tokens: 21 });
  });

  test('a message_delta without usage changes nothing and is not the end of the reply', () => {
    const acc = observeAll([[{ type: 'message_delta', delta: { stop_reason: null } }]]);
    expect(acc.seen).toBe(false);
    expect(acc.final).toBe(false);
    expect(acc.usage).toEqual(EMPTY_USAGE);
  });

  test('one-hour cache writes, web searches, speed, region and tier are kept for pricing', () => {
    const acc = observeAll([
      [{ type: 'message', model: 'claude-opus-4-5', usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 900, cache_creation: { ephemeral_1h_input_tokens: 600 }, server_tool_use: { web_search_requests: 3 }, speed: 'fast', inference_geo: 'us', service_tier: 'priority' } }],
    ]);
    expect(acc.usage).toMatchObject({ cache_write_tokens: 900, cache_write_1h_tokens: 600, web_search_requests: 3, speed: 'fast', inference_geo: 'us', service_tier: 'priority' });
  });

  test('the extras also arrive on a message_delta', () => {
    const acc = observeAll([[{ type: 'message_delta', usage: { output_tokens: 4, cache_creation: { ephemeral_1h_input_tokens: 7 }, server_tool_use: { web_search_requests: 2 }, speed: 'fast' } }]]);
    expect(acc.usage).toMatchObject({ output_tokens: 4, cache_write_1h_tokens: 7, web_search_requests: 2, speed: 'fast' });
    expect(acc.seen).toBe(true);
  });

  test('a single one-hour cache token or web search is still billed', () => {
    const acc = observeAll([[{ type: 'message', model: 'm', usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 1, cache_creation: { ephemeral_1h_input_tokens: 1 }, server_tool_use: { web_search_requests: 1 } } }]]);
    expect(acc.usage).toMatchObject({ cache_write_1h_tokens: 1, web_search_requests: 1 });
  });

  test('a delta restating a single input or cache token still replaces the earlier figure', () => {
    const acc = observeAll([
      [{ type: 'message_start', message: { model: 'm', usage: { input_tokens: 10, output_tokens: 0, cache_read_input_tokens: 10, cache_creation_input_tokens: 10 } } }],
      [{ type: 'message_delta', usage: { output_tokens: 2, input_tokens: 1, cache_read_input_tokens: 1, cache_creation_input_tokens: 1 } }],
    ]);
    expect(acc.usage).toEqual({ model: 'm', input_tokens: 1, output_tokens: 2, cache_read_tokens: 1, cache_write_tokens: 1 });
  });

  test('the speed named at message_start is kept when a delta does not repeat it (a fast reply stays priced as fast)', () => {
    const acc = observeAll([
      [{ type: 'message_start', message: { model: 'm', usage: { input_tokens: 1, output_tokens: 0, speed: 'fast', service_tier: 'priority' } } }],
      [{ type: 'message_delta', usage: { output_tokens: 9 } }],
    ]);
    expect(acc.usage).toMatchObject({ speed: 'fast', service_tier: 'priority', output_tokens: 9 });
  });

  test('a message_start without a message, or a message without usage, bills nothing and does not throw', () => {
    const acc = observeAll([[{ type: 'message_start' }], [{ type: 'message_start', message: { model: 'm' } }]]);
    expect(acc.seen).toBe(false);
    expect(acc.usage).toEqual({ model: '', input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 });
  });

  test('a usage that is not an object is not metered', () => {
    for (const usage of [[1, 2], null]) {
      const acc = observeAll([[{ type: 'message', model: 'm', usage }], [{ model: 'm', usage }]]);
      expect(acc.seen).toBe(false);
    }
  });

  test('zero extras and over-long labels are not recorded', () => {
    const acc = observeAll([[{ type: 'message', model: 'm', usage: { input_tokens: 1, output_tokens: 1, cache_creation: { ephemeral_1h_input_tokens: 0 }, server_tool_use: { web_search_requests: 0 }, speed: 'x'.repeat(65), inference_geo: 'y'.repeat(64) } }]]);
    expect(acc.usage.cache_write_1h_tokens).toBeUndefined();
    expect(acc.usage.web_search_requests).toBeUndefined();
    expect(acc.usage.speed).toBeUndefined();
    expect(acc.usage.inference_geo).toBe('y'.repeat(64));
  });

  test('negative, fractional, non-numeric and infinite token counts cannot lower or corrupt the bill', () => {
    const acc = observeAll([[{ type: 'message', model: 'm', usage: { input_tokens: -5, output_tokens: 7.9, cache_read_input_tokens: '100', cache_creation_input_tokens: Number.POSITIVE_INFINITY } }]]);
    expect(acc.usage).toEqual({ model: 'm', input_tokens: 0, output_tokens: 7, cache_read_tokens: 0, cache_write_tokens: 0 });
    // Counted as 0 they would lower the bill: the reply is metered as one whose usage never came (reply-meter.ts).
    expect(acc.unreadable).toBe(true);
  });

  test('figures past 10^10 tokens and more cached tokens than input are unreadable; absent or null figures are not', () => {
    expect(observeAll([[{ type: 'message', model: 'm', usage: { input_tokens: 1, output_tokens: 1e300 } }]]).unreadable).toBe(true);
    expect(observeAll([[{ object: 'response', model: 'm', usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 5000 }, output_tokens: 1 } }]]).unreadable).toBe(true);
    expect(observeAll([[{ type: 'message', model: 'm', usage: { input_tokens: 3, output_tokens: 4, cache_creation_input_tokens: null } }]]).unreadable).toBe(false);
  });

  test('a later event without a model keeps the model already seen', () => {
    const acc = observeAll([
      [{ type: 'message_start', message: { model: 'claude-opus-4-5', usage: { input_tokens: 1, output_tokens: 0 } } }],
      [{ type: 'message', usage: { input_tokens: 1, output_tokens: 2 } }],
    ]);
    expect(acc.usage.model).toBe('claude-opus-4-5');
  });
});

describe('OpenAI Responses replies', () => {
  test('a whole JSON reply splits cached input out of input_tokens and keeps the tier', () => {
    const acc = observeAll([[{ object: 'response', model: 'gpt-5', service_tier: 'priority', usage: { input_tokens: 1000, output_tokens: 50, input_tokens_details: { cached_tokens: 800 } } }]]);
    expect(acc.usage).toEqual({ model: 'gpt-5', input_tokens: 200, output_tokens: 50, cache_read_tokens: 800, cache_write_tokens: 0, service_tier: 'priority' });
    expect(acc.final).toBe(true);
  });

  test('a Responses reply without cached-token details still keeps its tier', () => {
    const acc = observeAll([[{ object: 'response', model: 'gpt-5', service_tier: 'priority', usage: { input_tokens: 5, output_tokens: 1 } }]]);
    expect(acc.usage).toMatchObject({ input_tokens: 5, output_tokens: 1, service_tier: 'priority' });
  });

  test('the model may first be named at response.in_progress', () => {
    const acc = observeAll([[{ type: 'response.created', response: {} }], [{ type: 'response.in_progress', response: { model: 'gpt-5-mini' } }]]);
    expect(acc.usage.model).toBe('gpt-5-mini');
  });

  test('stream events without a response object, or a final response without usage, bill nothing and do not throw', () => {
    const acc = observeAll([[{ type: 'response.created' }], [{ type: 'response.in_progress' }], [{ type: 'response.completed', response: { model: 'gpt-5' } }]]);
    expect(acc.seen).toBe(false);
    expect(acc.final).toBe(false);
  });

  test('a reply recognised by input_tokens_details alone is read the same way', () => {
    const acc = observeAll([[{ model: 'gpt-5', usage: { input_tokens: 100, output_tokens: 5, input_tokens_details: { cached_tokens: 30 } } }]]);
    expect(acc.usage).toMatchObject({ input_tokens: 70, cache_read_tokens: 30 });
  });

  test('more cached tokens than input never bills negative input', () => {
    const acc = observeAll([[{ object: 'response', model: 'gpt-5', usage: { input_tokens: 10, output_tokens: 1, input_tokens_details: { cached_tokens: 25 } } }]]);
    expect(acc.usage).toMatchObject({ input_tokens: 0, cache_read_tokens: 25 });
  });

  for (const end of ['response.completed', 'response.incomplete', 'response.failed']) {
    test(`a stream is billed at ${end}, with the model and tier named at response.created`, () => {
      const acc = observeAll([
        [{ type: 'response.created', response: { model: 'gpt-5-codex', service_tier: 'flex' } }],
        [{ type: 'response.in_progress', response: { model: 'gpt-5-codex' } }],
      ]);
      expect(acc.usage.model).toBe('gpt-5-codex');
      expect(acc.usage.service_tier).toBe('flex');
      expect(acc.seen).toBe(false);
      acc.observe({ type: end, response: { usage: { input_tokens: 40, output_tokens: 4, input_tokens_details: { cached_tokens: 10 } } } });
      expect(acc.usage).toEqual({ model: 'gpt-5-codex', input_tokens: 30, output_tokens: 4, cache_read_tokens: 10, cache_write_tokens: 0, service_tier: 'flex' });
      expect(acc.final).toBe(true);
    });
  }

  test('response.created without a tier keeps the one already known; an over-long tier is ignored', () => {
    const acc = observeAll([
      [{ type: 'response.created', response: { model: 'gpt-5', service_tier: 'priority' } }],
      [{ type: 'response.in_progress', response: { model: 7 } }],
    ]);
    expect(acc.usage).toMatchObject({ model: 'gpt-5', service_tier: 'priority' });
    acc.observe({ type: 'response.completed', response: { model: 'gpt-5', service_tier: 'z'.repeat(65), usage: { input_tokens: 1, output_tokens: 1 } } });
    expect(acc.usage.service_tier).toBe('priority');
  });

  test('a terminal event without a response object bills nothing', () => {
    const acc = observeAll([[{ type: 'response.completed' }]]);
    expect(acc.seen).toBe(false);
    expect(acc.final).toBe(false);
  });
});

describe('OpenAI Chat Completions replies', () => {
  test('the tier of the last chunk is kept with the usage', () => {
    const acc = observeAll([[{ object: 'chat.completion', model: 'gpt-4.1', service_tier: 'default', usage: { prompt_tokens: 10, completion_tokens: 2 } }]]);
    expect(acc.usage).toEqual({ model: 'gpt-4.1', input_tokens: 10, output_tokens: 2, cache_read_tokens: 0, cache_write_tokens: 0, service_tier: 'default' });
    expect(acc.final).toBe(true);
  });
});

test('Chat Completions: more cached tokens than prompt tokens never bills negative input', () => {
  const acc = observeAll([[{ model: 'gpt-4.1', usage: { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 10 } } }]]);
  expect(acc.usage).toMatchObject({ input_tokens: 0, cache_read_tokens: 10 });
  const over = observeAll([[{ model: 'gpt-4.1', usage: { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 11 } } }]]);
  expect(over.usage.input_tokens).toBe(0);
});

test('a new accumulator starts from an empty bill', () => {
  expect(new UsageAccumulator().usage).toEqual({ model: '', input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 });
  expect(EMPTY_USAGE).toEqual({ model: '', input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 });
});

describe('values that are not replies', () => {
  for (const value of [null, 42, 'text', [{ usage: { input_tokens: 1 } }], {}]) {
    test(`${JSON.stringify(value)} is not metered`, () => {
      const acc = observeAll([[value]]);
      expect(acc.seen).toBe(false);
      expect(acc.usage).toEqual(EMPTY_USAGE);
    });
  }
});

describe('SSE parser limits', () => {
  const parse = (text: string, max?: number) => {
    const events: { event: string; data: string }[] = [];
    const p = new SseParser((e) => events.push(e), max);
    p.feed(Buffer.from(text));
    p.end();
    return events;
  };

  test('an event larger than the limit is dropped, the next one still arrives', () => {
    expect(parse(`data: ${'x'.repeat(20)}\n\ndata: ok\n\n`, 10)).toEqual([{ event: 'message', data: 'ok' }]);
    expect(parse('data: 0123456789\n\n', 10)).toEqual([{ event: 'message', data: '0123456789' }]);
  });

  test('a field without a colon, a field with no space, and a last event without a blank line', () => {
    expect(parse('data\nevent:x\ndata:y\nid: 3\n\ndata: tail')).toEqual([
      { event: 'x', data: '\ny' },
      { event: 'message', data: 'tail' },
    ]);
  });

  test('the byte count starts over with each event', () => {
    expect(parse('data: a\n\ndata: 0123456789\n\n', 10)).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: '0123456789' },
    ]);
  });

  test('a line cut off for being too long leaves nothing of itself behind (not even its event name)', () => {
    const events: { event: string; data: string }[] = [];
    const p = new SseParser((e) => events.push(e), 8);
    p.feed(Buffer.from('event: x'));
    p.feed(Buffer.from('\ndata: ok\n\n'));
    p.feed(Buffer.from('event: verylongname'));
    p.feed(Buffer.from('\ndata: ok\n\n'));
    expect(events).toEqual([
      { event: 'x', data: 'ok' },
      { event: 'message', data: 'ok' },
    ]);
  });

  test('a data value that ends in a colon is data, not a comment', () => {
    expect(parse('data: ratio 1:\n\n')).toEqual([{ event: 'message', data: 'ratio 1:' }]);
  });

  test('only one leading space of a value is dropped', () => {
    expect(parse('data:  two\n\n')).toEqual([{ event: 'message', data: ' two' }]);
  });

  test('a lone CR ends a line; a CR at the end of a chunk waits for a possible LF', () => {
    const events: { event: string; data: string }[] = [];
    const p = new SseParser((e) => events.push(e));
    p.feed(Buffer.from('data: a\r'));
    expect(events).toEqual([]);
    p.feed(Buffer.from('\n\r'));
    expect(events).toEqual([]);
    p.feed(Buffer.from('data: b\r\r'));
    expect(events).toEqual([{ event: 'message', data: 'a' }]);
    p.end();
    expect(events).toEqual([{ event: 'message', data: 'a' }, { event: 'message', data: 'b' }]);
  });

  test('a line longer than the limit without a newline is dropped instead of growing memory', () => {
    const events: { event: string; data: string }[] = [];
    const p = new SseParser((e) => events.push(e), 8);
    p.feed(Buffer.from('data: 0123456789'));
    p.feed(Buffer.from('\n\ndata: ok\n\n'));
    expect(events).toEqual([{ event: 'message', data: 'ok' }]);
  });
});
