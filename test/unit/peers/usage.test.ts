import { describe, expect, test } from 'bun:test';
import { parseUsage } from '../../../src/peer-output/usage.ts';

describe('token and USD parsing', () => {
  test('claude stream-json: the terminal result envelope counts, nested assistant usage does not', () => {
    const out = [
      '{"type":"assistant","message":{"usage":{"input_tokens":5000,"output_tokens":5000}}}',
      '{"type":"result","usage":{"input_tokens":10,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":40},"total_cost_usd":0.0123}',
    ].join('\n');
    expect(parseUsage('claude', out, '')).toEqual({ tokens: 100, usd: 0.0123 });
  });

  test('claude json: a zero-valued early envelope does not hide the real one', () => {
    const out = ['{"usage":{"input_tokens":0}}', '{"type":"result","usage":{"input_tokens":7,"output_tokens":3},"total_cost_usd":0.5}'].join('\n');
    expect(parseUsage('claude', out, '')).toEqual({ tokens: 10, usd: 0.5 });
  });

  test('claude text banners as a fallback', () => {
    expect(parseUsage('claude', 'Total tokens used: 1,234\nTotal cost: $0.42', '')).toEqual({ tokens: 1234, usd: 0.42 });
  });

  test('codex: turn.completed usage summed over turns; legacy "tokens used" banner', () => {
    const out = ['{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":50,"output_tokens":20}}', '{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":2}}'].join('\n');
    expect(parseUsage('codex', out, '')).toEqual({ tokens: 123, usd: 0 });
    expect(parseUsage('codex', '', 'tokens used\n12,345\n')).toEqual({ tokens: 12345, usd: 0 });
  });

  test('opencode: step-finish parts (total, or input+output) and cost', () => {
    const out = [
      '{"type":"step_finish","part":{"type":"step-finish","tokens":{"total":50},"cost":0.01}}',
      '{"type":"step_finish","part":{"type":"step-finish","tokens":{"input":10,"output":5},"cost":0.02}}',
    ].join('\n');
    const u = parseUsage('opencode', out, '');
    expect(u.tokens).toBe(65);
    expect(u.usd).toBeCloseTo(0.03);
  });

  test('garbage, negative and non-finite values count as zero; unknown tools are zero', () => {
    expect(parseUsage('claude', '{"type":"result","usage":{"input_tokens":-5,"output_tokens":"9"},"total_cost_usd":-1}', '')).toEqual({ tokens: 0, usd: 0 });
    expect(parseUsage('custom', '{"usage":{"input_tokens":5}}', '')).toEqual({ tokens: 0, usd: 0 });
  });
});
