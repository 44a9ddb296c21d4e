/**
 * The parts of the request screen a socket test does not reach one by one: the duplicate-key
 * scanner on JSON that hides braces, quotes and escapes in strings, and the off-body judgement on
 * the shapes the real CLIs send (SECURITY.md, "A request goes out only if the budget left covers it").
 */
import { describe, expect, test } from 'bun:test';
import { duplicateJsonKey } from '../../../auth-proxy/usage/json-duplicate-key.ts';
import { offBodyInput } from '../../../auth-proxy/usage/off-body-input.ts';
import { parseBillableBody, unboundedUnderCap } from '../../../auth-proxy/usage/request-screen.ts';

describe('duplicateJsonKey', () => {
  test('finds a key given twice in one object, at any depth, escapes decoded', () => {
    expect(duplicateJsonKey('{"a":1,"a":2}')).toBe('a');
    expect(duplicateJsonKey('{"x":[{"b":1},{"c":{"d":1,"e":2,"d":3}}]}')).toBe('d');
    expect(duplicateJsonKey('{"type":"x","\\u0074ype":"y"}')).toBe('type');
    expect(duplicateJsonKey('{"a\\"b":1,"a\\"b":2}')).toBe('a"b');
  });
  test('the same key in different objects, and keys inside strings, are not duplicates', () => {
    expect(duplicateJsonKey('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toBeNull();
    expect(duplicateJsonKey('{"a":"{\\"a\\":1,\\"a\\":2}","b":"\\\\","c":"]}"}')).toBeNull();
    expect(duplicateJsonKey('{"a":["a","a"],"b":"a"}')).toBeNull();
    expect(duplicateJsonKey('[1,{"a":1},"a"]')).toBeNull();
  });
});

describe('parseBillableBody', () => {
  test('only one JSON object, each key once, is read', () => {
    expect(parseBillableBody('{"model":"m"}').ok).toBe(true);
    for (const text of ['', 'null', '"x"', '[]', '{"a":NaN}', '{"a":1,}', '\ufeff{}']) expect(parseBillableBody(text).ok, JSON.stringify(text)).toBe(false);
    const dup = parseBillableBody('{"model":"a","model":"b"}');
    expect(dup.ok ? '' : dup.code).toBe('peers_duplicate_json_key');
  });
});

describe('offBodyInput', () => {
  test('a reason names what the vendor bills beyond the body', () => {
    expect(offBodyInput({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'anthropic')).toContain('web_search_20250305');
    expect(offBodyInput({ previous_response_id: 'resp_1' }, 'openai')).toContain('previous_response_id');
    expect(offBodyInput({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: { url: 'https://x/a.png' } }] }] }, 'openai')).toContain('image_url');
    // A server tool whose type is not a string is not a client tool either.
    expect(offBodyInput({ tools: [{ type: null, name: 'x' }] }, 'anthropic')).not.toBeNull();
    expect(offBodyInput({ tools: [{ name: 'f' }] }, 'openai')).not.toBeNull();
  });
  test('schemas are data: a tool parameter named file_id or tools is not off-body input', () => {
    const schema = { type: 'object', properties: { file_id: { type: 'string' }, previous_response_id: { type: 'string' }, tools: { type: 'array', items: { type: 'object' } } } };
    expect(offBodyInput({ tools: [{ name: 'Read', input_schema: schema }] }, 'anthropic')).toBeNull();
    expect(offBodyInput({ tools: [{ type: 'function', name: 'read', parameters: schema }] }, 'openai')).toBeNull();
    // Off-body fields are read at the top level only where the API reads them.
    expect(offBodyInput({ metadata: { previous_response_id: 'x', conversation: 'y' } }, 'openai')).toBeNull();
  });
  test('the arguments of a tool call in the history are data: a URL or file_id the model wrote there is not fetched', () => {
    const history = { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'mcp__img__show', input: { image_url: 'https://x/a.png', file_id: 'f1', tools: [{ type: 'web_search' }] } }] }] };
    expect(offBodyInput(history, 'anthropic')).toBeNull();
    // …but a tool result that carries an image by URL is fetched by the vendor.
    const result = { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'url', url: 'https://x/a.png' } }] }] }] };
    expect(offBodyInput(result, 'anthropic')).toContain('"url" source');
    // A past web search replayed in a Responses history records its sources; nothing is fetched again.
    expect(offBodyInput({ input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'q', sources: [{ type: 'url', url: 'https://x' }] } }] }, 'openai')).toBeNull();
  });

  test('unset fields are not off-body input', () => {
    expect(offBodyInput({ previous_response_id: null, conversation: null, prompt: null, context_management: null, tools: [] }, 'openai')).toBeNull();
    expect(offBodyInput({ container: null, mcp_servers: [], context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } }, 'anthropic')).toBeNull();
  });
});

describe('unboundedUnderCap', () => {
  test('n and best_of above 1 are refused; 1 and unset pass', () => {
    for (const n of [2, '2', 0]) expect((unboundedUnderCap({ n }, 'openai') as { code: string } | null)?.code).toBe('peers_multiple_samples');
    expect(unboundedUnderCap({ n: 1, best_of: null }, 'openai')).toBeNull();
    expect((unboundedUnderCap({ best_of: 3 }, 'anthropic') as { code: string } | null)?.code).toBe('peers_multiple_samples');
  });
});
