/**
 * The throttle on requests that bill nothing (auth-proxy/unbilled-throttle.ts), on a clock the
 * test moves: a burst, then the steady rate, and the retry-after a throttled request is told.
 * The same through the real sidecar: unbilled-flood-ledger.test.ts.
 */
import { expect, test } from 'bun:test';
import { UnbilledThrottle } from '../../../auth-proxy/unbilled-throttle.ts';

test('a burst of unbilled requests, then one per refill; never more than the burst saved up', () => {
  let now = 0;
  const t = new UnbilledThrottle(3, 0.5, () => now);
  for (let i = 0; i < 3; i++) {
    expect(t.open).toBe(true);
    t.take();
  }
  expect(t.open).toBe(false);
  expect(t.retryAfterSeconds()).toBe(2);
  now += 1999;
  expect(t.open).toBe(false);
  now += 1;
  expect(t.open).toBe(true);
  t.take();
  // Taken past empty (requests already in flight when it emptied) does not go below zero.
  t.take();
  now += 2000;
  expect(t.open).toBe(true);
  // A long quiet spell refills only up to the burst.
  now += 3_600_000;
  for (let i = 0; i < 3; i++) t.take();
  expect(t.open).toBe(false);
});
