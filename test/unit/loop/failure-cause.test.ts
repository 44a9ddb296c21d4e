/**
 * The one-line cause of a failed tick (src/loop/failure-cause.ts), from what the turn produced.
 * Each case is the output a real failure leaves (texts copied from git, Claude Code and codex).
 */
import { describe, expect, test } from 'bun:test';
import { classifyTurn } from '../../../src/loop/classify.ts';
import { explainFailure, firstMeaningfulLine, MAX_CAUSE_CHARS, type TurnFacts } from '../../../src/loop/failure-cause.ts';
import { structuredStatus } from '../../../src/peer-output/structured-events.ts';

const GIT_NO_IDENTITY = `Author identity unknown

*** Please tell me who you are.

Run

  git config --global user.email "you@example.com"
  git config --global user.name "Your Name"

to set your account's default identity.
Omit --global to set the identity only in this repository.

fatal: unable to auto-detect email address (got 'peer@vm.(none)')`;

function facts(over: Partial<TurnFacts>): TurnFacts {
  return {
    tool: 'claude', program: '/usr/local/bin/claude', success: false, classification: 'success', endedBy: 'exit', exitCode: 0,
    halt: null, matched: null, stdout: '', stderr: '', committed: false, softFailReason: 'no commit by claude this turn', idleTimeoutS: 1800, absoluteTimeoutS: 14400,
    ...over,
  };
}

/** Classification as the loop computes it, from the exit and the CLI's structured events. */
function classified(tool: string, r: { exitCode: number | null; endedBy: 'exit' | 'idle-timeout' }, stdout: string) {
  const v = classifyTurn(r, { live: null, post: null }, structuredStatus(tool, stdout));
  return { classification: v.classification, halt: v.halt, matched: v.matched, exitCode: r.exitCode, endedBy: r.endedBy, stdout };
}

describe('explainFailure', () => {
  test('a successful tick has no cause', () => {
    expect(explainFailure(facts({ success: true, softFailReason: null }))).toBeNull();
  });

  test('git: no identity, from the tool output claude streams back (JSON-escaped), when nothing was committed', () => {
    const event = JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', content: GIT_NO_IDENTITY, is_error: true }] } });
    expect(explainFailure(facts({ stdout: `${event}\n` }))).toStartWith('git: no identity');
    // The same text in a turn that did commit is something the peer printed, not why it failed.
    expect(explainFailure(facts({ stdout: event, committed: true, softFailReason: 'productive commit(s) this turn but no Peer-Status: handoff + Self-Review: pass trailers' }))).toStartWith('productive commit(s)');
  });

  test('command not found (exit 127), from a spawn error or a shell', () => {
    expect(explainFailure(facts({ classification: 'process-fail', endedBy: 'spawn-error', exitCode: 127, spawnError: 'spawn claude ENOENT' }))).toBe('claude: command not found (exit 127)');
    expect(explainFailure(facts({ tool: 'custom', program: 'sh', classification: 'process-fail', exitCode: 127, stderr: 'sh: 1: claude: not found\n' }))).toBe('claude: command not found (exit 127)');
    expect(explainFailure(facts({ tool: 'custom', program: 'bash', classification: 'process-fail', exitCode: 127, stderr: 'bash: line 1: codex: command not found\n' }))).toBe('codex: command not found (exit 127)');
    expect(explainFailure(facts({ classification: 'process-fail', endedBy: 'spawn-error', exitCode: 126, spawnError: 'EACCES' }))).toBe('claude: permission denied (exit 126)');
  });

  test('claude refused to run as root', () => {
    const stderr = '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n';
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: 1, stderr }))).toStartWith('claude refused to run as root');
  });

  test('401 invalid API key, from claude\'s result event and from codex\'s error event', () => {
    const claude = JSON.stringify({ type: 'result', subtype: 'success', is_error: true, api_error_status: 401, result: 'Failed to authenticate. API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}' });
    expect(explainFailure(facts(classified('claude', { exitCode: 1, endedBy: 'exit' }, claude)))).toBe('401 invalid API key');
    // Claude Code 2.x: the status only in api_error_status, the words in result.
    const claude2 = JSON.stringify({ type: 'result', subtype: 'success', is_error: true, api_error_status: 401, api_error_type: 'authentication_error', result: 'Invalid API key · Fix external API key' });
    expect(explainFailure(facts(classified('claude', { exitCode: 1, endedBy: 'exit' }, claude2)))).toBe('401 invalid API key');
    const codex = JSON.stringify({ type: 'error', message: 'unexpected status 401 Unauthorized: Incorrect API key provided' });
    expect(explainFailure(facts({ tool: 'codex', program: 'codex', ...classified('codex', { exitCode: 1, endedBy: 'exit' }, codex) }))).toBe('401 invalid API key');
    const halt = { reason: 'halt-pattern: auth', pattern: 'auth', snippet: 'ERROR: authentication failed: invalid x-api-key', source: 'post-join' as const };
    expect(explainFailure(facts({ classification: 'api-error', halt, exitCode: 1 }))).toBe('invalid API key (authentication failed)');
  });

  test('usage limits, rate limits and other API errors keep the vendor\'s words', () => {
    const limit = JSON.stringify({ type: 'error', message: "You've hit your usage limit. Try again at 3:05 PM." });
    expect(explainFailure(facts({ tool: 'codex', ...classified('codex', { exitCode: 1, endedBy: 'exit' }, limit) }))).toBe("usage limit reached: You've hit your usage limit. Try again at 3:05 PM.");
    expect(explainFailure(facts({ classification: 'rate-limited', matched: { pattern: 'x', snippet: 'Error: rate_limit_error (429)', source: 'in-loop' } }))).toBe('rate limited: Error: rate_limit_error (429)');
    expect(explainFailure(facts({ classification: 'api-error', matched: { pattern: 'x', snippet: 'ERROR API error 503 Service Unavailable', source: 'in-loop' } }))).toBe('API error (503): ERROR API error 503 Service Unavailable');
  });

  test('timeouts name the setting that stopped the turn', () => {
    expect(explainFailure(facts({ classification: 'idle-timeout', endedBy: 'idle-timeout', exitCode: null, idleTimeoutS: 60 }))).toBe('no output for 60s: stopped (health.idle_timeout_s)');
    expect(explainFailure(facts({ classification: 'absolute-timeout', endedBy: 'absolute-timeout', exitCode: null, absoluteTimeoutS: 90 }))).toBe('turn ran longer than 90s: stopped (health.absolute_max_runtime_s)');
  });

  test('a crash gives the exit status and the first meaningful stderr line', () => {
    const stderr = '(node:12) DeprecationWarning: punycode is deprecated\nReading prompt from stdin...\nconnecting\nError: ECONNREFUSED 127.0.0.1:8080\n    at stack\n';
    expect(explainFailure(facts({ tool: 'codex', program: '/usr/bin/codex', classification: 'process-fail', exitCode: 3, stderr }))).toBe('codex exited 3: Error: ECONNREFUSED 127.0.0.1:8080');
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: null, stderr: '' }))).toBe('claude was killed');
  });

  test('other git failures that stop a commit', () => {
    expect(explainFailure(facts({ stdout: 'error: gpg failed to sign the data\nfatal: failed to write commit object' }))).toStartWith('git: commit signing failed');
    expect(explainFailure(facts({ stderr: "fatal: Unable to create '/work/.git/index.lock': File exists." }))).toStartWith('git: index.lock exists');
  });

  test('otherwise the handoff verdict, e.g. no commit', () => {
    expect(explainFailure(facts({}))).toBe('no commit by claude this turn');
  });

  test('always one printable line of bounded length', () => {
    const cause = explainFailure(facts({ classification: 'process-fail', exitCode: 1, stderr: `\u001b[31mError:\u001b[0m ${'x'.repeat(5000)}\r\nmore` }))!;
    expect(cause).not.toMatch(/[\u0000-\u001f]/);
    expect(cause.length).toBeLessThanOrEqual(MAX_CAUSE_CHARS);
    expect(cause).toStartWith('claude exited 1: Error: xxx');
  });
});

describe('firstMeaningfulLine', () => {
  test('an error line wins over chatter; with none, the first line that is not noise', () => {
    expect(firstMeaningfulLine('npm WARN old lockfile\nstarting\nfatal: bad object HEAD\n')).toBe('fatal: bad object HEAD');
    expect(firstMeaningfulLine('\n-----\nstarting up\nbye\n')).toBe('starting up');
    expect(firstMeaningfulLine('\n  \n')).toBeUndefined();
  });
});
