/** The reply scrubber (auth-proxy/secret-scrubber.ts) as a pure stream transform: every split, every tail. */
import { describe, expect, test } from 'bun:test';
import { SecretScrubber, scrubHeaders } from '../../../auth-proxy/secret-scrubber.ts';

const KEY = 'sk-ant-api03-abcdefghijklmnop';
const run = (chunks: string[], secrets = [KEY]) => {
  const s = new SecretScrubber(secrets);
  const out = chunks.map((c) => s.push(Buffer.from(c)).toString());
  return { out, all: out.join('') + s.end().toString() };
};

describe('SecretScrubber', () => {
  test('a secret split at any point between two chunks is redacted; the rest is kept byte for byte', () => {
    const text = `before ${KEY} middle ${KEY}after`;
    for (let cut = 0; cut <= text.length; cut++) {
      expect(run([text.slice(0, cut), text.slice(cut)]).all).toBe('before [redacted] middle [redacted]after');
    }
    expect(run(text.split('')).all).toBe('before [redacted] middle [redacted]after');
  });

  test('an honest chunk is written on at once; only a tail that could start a secret waits', () => {
    expect(run(['data: {"a":1}\n\n']).out).toEqual(['data: {"a":1}\n\n']);
    expect(run(['x sk-ant']).out).toEqual(['x ']);
    expect(run(['x sk-ant', '-other']).all).toBe('x sk-ant-other');
  });

  test('a body that ends in the start of a secret: a long start is redacted, a short one kept', () => {
    expect(run([`cut ${KEY.slice(0, 20)}`]).all).toBe('cut [redacted]');
    expect(run(['cut sk-']).all).toBe('cut sk-');
  });

  test('secrets under 8 characters are not scrubbed; headers are scrubbed value by value', () => {
    expect(run(['abc short abc'], ['abc']).all).toBe('abc short abc');
    expect(scrubHeaders({ location: `https://x/?k=${KEY}`, 'set-cookie': ['a=1', `b=${KEY}`], [`x-${KEY}`]: '1' }, [KEY])).toEqual({ location: 'https://x/?k=[redacted]', 'set-cookie': ['a=1', 'b=[redacted]'] });
  });
});
