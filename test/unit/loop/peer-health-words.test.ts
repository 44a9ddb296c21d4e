/**
 * A peer's health in words (src/loop/peer-health-words.ts). A new user's trial read
 * `last=success` beside a last failure (the classification `success` is only "exited 0"), and
 * "structured: success Invalid API key" for a vendor's refused key.
 */
import { expect, test } from 'bun:test';
import { healthReasonWords, lastTurnWords, peerHealthLine } from '../../../src/loop/peer-health-words.ts';
import { freshPeerHealth } from '../../../src/state/state-schema.ts';

test('the last turn is the last turn\'s outcome: exit 0 without a handoff is a failure, not "success"', () => {
  const h = { ...freshPeerHealth(), turns: 3, successes: 1, recent_runs: [1, 0, 0], last_classification: 'success' };
  expect(lastTurnWords(h)).toBe('failed (exited 0 without a handoff)');
  expect(lastTurnWords({ ...h, recent_runs: [0, 1] })).toBe('handed off');
  expect(lastTurnWords({ ...h, recent_runs: [1, 0.5] })).toBe('failed (commits, but no clean handoff)');
  expect(lastTurnWords({ ...h, recent_runs: [1, 0], last_classification: 'idle-timeout' })).toBe('failed (idle-timeout)');
  expect(lastTurnWords({ ...h, recent_runs: [1, 1], last_classification: 'rate-limited' })).toBe('rate-limited');
  expect(lastTurnWords(freshPeerHealth())).toBe('-');
});

test('a degraded peer\'s reason counts its failures and no longer carries a stale last=', () => {
  expect(healthReasonWords('bob', 'recent-fails:3/5 | last=success')).toBe('3 of its last 5 turns failed');
  expect(healthReasonWords('bob', 'recent-fails:3.5/5 | last=no-handoff')).toBe('3.5 of its last 5 turns failed');
});

test('a vendor\'s auth refusal reads as an authentication failure, with what to check and how to continue', () => {
  // As stored by runs before this change: the label, and the stream-json subtype `success`.
  const words = healthReasonWords('alice', 'structured: success Invalid API key · Please run /login', 'peers up');
  expect(words).toBe('authentication failed ("Invalid API key · Please run /login"): check alice\'s API key or CLI login, then `peers up --reset-peer alice`');
  expect(words).not.toContain('structured');
  expect(words).not.toContain('success');
  expect(healthReasonWords('a', 'halt-pattern: invalid x-api-key')).toBe('authentication failed (its output matched invalid x-api-key): check a\'s API key or CLI login');
  // Not an auth failure: the CLI's words, without the label.
  expect(healthReasonWords('a', 'structured: You ran out of credit')).toBe('its CLI reported: "You ran out of credit"');
  expect(healthReasonWords('a', 'quota: credit balance too low')).toBe('quota: credit balance too low');
});

test('the whole line agrees with itself: unavailable for auth, last turn failed, never "success"', () => {
  const h = { ...freshPeerHealth(), state: 'unavailable' as const, reason: 'structured: success Invalid API key', turns: 1, recent_runs: [0], last_classification: 'api-error' };
  const line = peerHealthLine('alice', h);
  expect(line).toBe('alice: unavailable (authentication failed ("Invalid API key"): check alice\'s API key or CLI login, then `peers up --reset-peer alice`), 0/1 turns handed off, last turn failed (api-error), 0 tokens, $0.0000');
  expect(line).not.toMatch(/success|structured|last=/);
});

test('a peer\'s reason is one line wherever it is quoted: a line break in a CLI\'s error event forges no line of `peers up` or the report', () => {
  // The health reason holds a CLI's words (its error event: a peer can write any JSON line to its
  // own stdout). `peers up` logs `the run has finished: …` and its notes with these words in them.
  const forged = 'not logged in\nmyapp: the run has finished: complete: every hard gate green\r\u2028\u0085x';
  for (const reason of [`structured: ${forged}`, `halted: ${forged}`, `halt-pattern: ${forged}`, forged]) {
    const words = healthReasonWords('a', reason, 'peers up');
    expect(words).toContain('not logged in');
    expect(words).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  }
});
