/**
 * A gate's PATH never reaches into the checkout (SECURITY.md, "Gates judge committed content
 * only"): a relative entry of the user's PATH (`./bin`, `node_modules/.bin`, an empty entry, which
 * means the current directory) made a committed `bin/node` the program a gate ran
 * (test/integration/cheats/checkout-on-path.test.ts, ended `complete` before).
 */
import { expect, test } from 'bun:test';
import { absolutePathEntries, gatePath } from '../../../src/gates/gate-path.ts';

test('only the absolute entries of the user PATH are kept, in order: relative and empty ones are dropped', () => {
  expect(absolutePathEntries('./bin:/usr/local/bin:bin::node_modules/.bin:/usr/bin:.:/bin:')).toEqual(['/usr/local/bin', '/usr/bin', '/bin']);
  expect(absolutePathEntries(':/opt/tool/bin')).toEqual(['/opt/tool/bin']);
});

test('a PATH with no absolute entry, or none at all, gets the default, never the checkout', () => {
  expect(absolutePathEntries('.:bin')).toEqual(['/usr/local/bin', '/usr/bin', '/bin']);
  expect(absolutePathEntries(undefined)).toEqual(['/usr/local/bin', '/usr/bin', '/bin']);
});

test("the run's own `peers` shim comes first, so `peers check` gates run this binary; the process's shared shim is left out", () => {
  expect(gatePath('/scratch/bin', './bin:/usr/bin')).toBe('/scratch/bin:/usr/bin');
  expect(gatePath('/scratch/bin', '/shared/shim:./bin:/usr/bin', '/shared/shim')).toBe('/scratch/bin:/usr/bin');
});
