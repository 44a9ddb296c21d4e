import { describe, expect, test } from 'bun:test';
import { firstJsonBlock, jsonBlocks } from '../../../src/protocol/json-blocks.ts';

describe('jsonBlocks', () => {
  test('finds every top-level object in prose, nested objects included', () => {
    const blocks = jsonBlocks('a {"x": 1, "y": {"z": 2}} b {"w": [1, {"q": 3}]} c');
    expect(blocks.map((b) => b.value)).toEqual([{ x: 1, y: { z: 2 } }, { w: [1, { q: 3 }] }]);
  });

  test('braces and escaped quotes inside strings do not end a block', () => {
    const blocks = jsonBlocks('{"description": "a } brace and \\" quote {", "id": "B-1"}');
    expect(blocks[0]?.value).toEqual({ description: 'a } brace and " quote {', id: 'B-1' });
  });

  test('a stray opening brace in prose does not swallow the real block after it', () => {
    expect(firstJsonBlock('if (x) { return\n\n{"pass": true}')).toEqual({ pass: true });
  });

  test('rejects arrays, invalid JSON and unterminated blocks', () => {
    expect(jsonBlocks('[{"a":1}]').map((b) => b.value)).toEqual([{ a: 1 }]);
    expect(jsonBlocks("{pass: true} {'a': 1} {\"open\": ")).toEqual([]);
  });

  test('scans from an offset', () => {
    const text = '{"a": 1}\n## Review\n{"pass": false}';
    expect(firstJsonBlock(text, text.indexOf('## Review'))).toEqual({ pass: false });
  });
});

describe('jsonBlocks positions and neighbours', () => {
  test('each block reports where it starts and just past where it ends', () => {
    const text = 'ab {"x":1} c {"y":2}';
    expect(jsonBlocks(text).map((b) => [b.start, b.end, text.slice(b.start, b.end)])).toEqual([
      [3, 10, '{"x":1}'],
      [13, 20, '{"y":2}'],
    ]);
  });

  test('two blocks with nothing between them are both found', () => {
    expect(jsonBlocks('{"a":1}{"b":2}').map((b) => b.value)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  test('a stray brace right before a block does not hide it', () => {
    expect(jsonBlocks('{{"a":1}').map((b) => b.value)).toEqual([{ a: 1 }]);
  });

  test('the first block can start at the very beginning', () => {
    expect(firstJsonBlock('{"a":1} and {"b":2}')).toEqual({ a: 1 });
    expect(firstJsonBlock('no block here')).toBeUndefined();
  });
});

describe('jsonBlocks on what a peer can write', () => {
  test('an empty object does not stall the scan: the block after it is still read', () => {
    // A peer-written `{}` before the real block must neither hang the loop nor hide the block.
    expect(jsonBlocks('{} then {"bug_id": "B-1"}').map((b) => b.value)).toEqual([{}, { bug_id: 'B-1' }]);
  });

  test('a block after whitespace starts at its brace, not at the whitespace', () => {
    const text = ' {"a":1} {"b":2}';
    expect(jsonBlocks(text).map((b) => text.slice(b.start, b.end))).toEqual(['{"a":1}', '{"b":2}']);
  });
});
