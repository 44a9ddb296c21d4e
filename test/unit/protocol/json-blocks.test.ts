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
