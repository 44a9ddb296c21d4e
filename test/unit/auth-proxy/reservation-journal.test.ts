/**
 * The pure decisions behind the reservation journal and the router's reservations: which
 * reservations a restarted sidecar must count as spent, what a router's requests are reserved at,
 * and the one-at-a-time first request (sidecar-crash-reservation.test.ts and
 * router-cost-reservation.test.ts attack them through the real sidecar).
 */
import { expect, test } from 'bun:test';
import { FirstRequestGate } from '../../../auth-proxy/usage/first-request-gate.ts';
import { costFactor, ROUTED_COST_MARGIN, ROUTED_FIRST_MARGIN } from '../../../auth-proxy/usage/budget.ts';
import { orphanReply, unsettledReservations } from '../../../auth-proxy/usage/reservation-journal.ts';
import type { LedgerLine, ReservedLine } from '../../../auth-proxy/usage/usage-ledger.ts';

const reserved = (id: string): ReservedLine => ({ kind: 'reserved', ts: 't0', id, upstream: 'anthropic', path: '/v1/messages', model: 'claude-sonnet-4-5', input_tokens: 2000, output_tokens: 1000, usd: 0.021 });
const reply = (reservation?: string): LedgerLine => ({ kind: 'reply', ts: 't1', upstream: 'anthropic', status: 200, stream: false, model: 'claude-sonnet-4-5', input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 2, usd: 0.00002, priced: 'table', ...(reservation ? { reservation } : {}) });

test('a reservation is settled by the reply that names it or by its release; the rest are spent at their whole reservation', () => {
  const lines: LedgerLine[] = [reserved('a'), reserved('b'), reserved('c'), reply('a'), { kind: 'released', ts: 't2', id: 'b' }, reply()];
  expect(unsettledReservations(lines).map((r) => r.id)).toEqual(['c']);
  const line = orphanReply(reserved('c'), 't3');
  expect(line).toMatchObject({ usd: 0.021, input_tokens: 2000, output_tokens: 1000, total_tokens: 3000, cut_short: 'sidecar-stopped', reservation: 'c' });
  expect(unsettledReservations([...lines, line])).toEqual([]);
});

test('a router is reserved at its margin, and any upstream at the dearest ratio its replies showed', () => {
  expect(costFactor(false, undefined)).toBe(1);
  expect(costFactor(true, undefined)).toBe(ROUTED_COST_MARGIN);
  expect(costFactor(true, 1.5)).toBe(ROUTED_COST_MARGIN);
  expect(costFactor(true, 12.5)).toBe(12.5);
  expect(costFactor(false, 3)).toBe(3);
  // A router's first request for a model: nothing has shown its price there yet.
  expect(costFactor(true, undefined, true)).toBe(ROUTED_FIRST_MARGIN);
  expect(costFactor(true, 12.5, true)).toBe(12.5);
  expect(costFactor(false, undefined, true)).toBe(1);
});

test('a first request waits for the one out before it; ending a turn twice does not end the next one\'s', async () => {
  const gate = new FirstRequestGate();
  let first = true;
  const one = (await gate.enter(() => first))!;
  let secondIn = false;
  const second = gate.enter(() => first).then((end) => ((secondIn = true), end));
  await Bun.sleep(0);
  expect(secondIn).toBe(false);
  one();
  const two = (await second)!;
  expect(typeof two).toBe('function');
  one(); // ending the first again leaves the second's turn in place
  let thirdIn = false;
  const third = gate.enter(() => first).then((end) => ((thirdIn = true), end));
  await Bun.sleep(0);
  expect(thirdIn).toBe(false);
  // Once the model has been served, nobody waits.
  first = false;
  two();
  expect(await third).toBeNull();
  expect(await gate.enter(() => first)).toBeNull();
});
