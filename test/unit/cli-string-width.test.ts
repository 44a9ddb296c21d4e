/**
 * build.ts replaces the `string-width` package (v4, what oclif's help and wrap-ansi use) with Bun's
 * native Bun.stringWidth. Help is laid out from these widths, so they must agree on everything peers
 * prints: every text of the command manifest, plain and coloured the way oclif colours it.
 */
import { describe, expect, test } from 'bun:test';
import stringWidth from 'string-width';
import { STRING_WIDTH_NATIVE } from '../../build.ts';
import { TOPICS } from '../../src/cli/embedded-pjson.ts';
import { commandManifest } from '../../src/cli/command-manifest.ts';
import { COMMAND_LOADERS } from '../../commands/index.ts';

/** The module build.ts puts in string-width's place, evaluated as the bundle would (CommonJS). */
const nativeWidth = (() => {
  const module = { exports: {} as unknown };
  new Function('module', 'exports', STRING_WIDTH_NATIVE)(module, module.exports);
  return module.exports as (s: string) => number;
})();

/** Every string value anywhere in `value`, split into lines. */
function texts(value: unknown): string[] {
  if (typeof value === 'string') return value.split('\n');
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === 'object') return Object.values(value).flatMap(texts);
  return [];
}

describe("Bun's native string width in place of string-width 4", () => {
  test('gives the same width for every line of the command manifest, plain and in colour', async () => {
    const lines = [...new Set([...texts(await commandManifest(COMMAND_LOADERS)), ...texts(TOPICS)])];
    expect(lines.length).toBeGreaterThan(200);
    const mismatches = lines
      .flatMap((l) => [l, `\u001b[1m${l}\u001b[22m`, `\u001b[38;2;0;128;255m${l}\u001b[39m`])
      .filter((l) => nativeWidth(l) !== stringWidth(l));
    expect(mismatches).toEqual([]);
  });

  test('and for the non-ASCII text help can contain', () => {
    for (const s of ['—', '→ ≤ ≥ × …', 'naïve café', 'e\u0301', '漢字かな', '\t', '']) expect([s, nativeWidth(s)]).toEqual([s, stringWidth(s)]);
  });
});
