/**
 * "doing:" in `peers status` (src/report/turn-activity.ts): what the peer's CLI is doing now, from the
 * end of its live output. The events are the CLIs' own (Claude Code 2.1.330 stream-json).
 */
import { expect, test } from 'bun:test';
import { describeActivity } from '../../../src/report/turn-activity.ts';

test("a claude turn that is retrying the API says so, with the status: a turn of minutes of 502s read only as 'working for 89s'", () => {
  // What the real claude printed in the pod while the vendor's host did not resolve (the auth sidecar's 502).
  const tail = [
    JSON.stringify({ type: 'system', subtype: 'init', cwd: '/work', session_id: 's' }),
    JSON.stringify({ type: 'system', subtype: 'api_retry', attempt: 6, max_retries: 10, retry_delay_ms: 17800, error_status: 502, error: 'server_error', session_id: 's' }),
    JSON.stringify({ type: 'system', subtype: 'api_retry', attempt: 7, max_retries: 10, retry_delay_ms: 34979, error_status: 502, error: 'server_error', session_id: 's' }),
  ].join('\n');
  expect(describeActivity(tail)).toBe('retrying the API after 502 server_error (attempt 7 of 10, next in 35s)');
  // A tool call after the retries is the activity again.
  const after = `${tail}\n${JSON.stringify({ type: 'assistant', message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'npm test' } }] } })}`;
  expect(describeActivity(after)).toBe('Bash: npm test');
});
