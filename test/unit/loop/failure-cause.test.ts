/**
 * The one-line cause of a failed tick (src/loop/failure-cause.ts), from what the turn produced.
 * Each case is the output a real failure leaves (texts copied from git, Claude Code and codex).
 */
import { describe, expect, test } from 'bun:test';
import { classifyTurn } from '../../../src/loop/classify.ts';
import { explainFailure, firstMeaningfulLine, MAX_CAUSE_CHARS, oneLine, type TurnFacts } from '../../../src/loop/failure-cause.ts';
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

  test("a CLI that exits on an API error it reported in its JSON events says it: the budget's 402, not only the exit", () => {
    // Claude Code 2.1's stream-json when the auth sidecar refuses a request under the USD cap: nothing on stderr.
    const refusal = "API Error: 402 peers: the run's USD budget left cannot cover this request ($0.0000 of $2 spent, $0.0000 held by requests in flight, this one could use up to $3.3319); the request was not sent. Raise budget.max_usd in .peers/config.yaml to continue.";
    const claudeOut = [
      JSON.stringify({ type: 'system', subtype: 'init', cwd: '/work' }),
      JSON.stringify({ type: 'assistant', message: { model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text: refusal }] } }),
      JSON.stringify({ type: 'result', subtype: 'success', is_error: true, terminal_reason: 'api_error', api_error_status: 402, result: refusal }),
    ].join('\n');
    const c = classified('claude', { exitCode: 1, endedBy: 'exit' }, claudeOut);
    expect(explainFailure(facts({ ...c }))).toStartWith("claude exited 1: API Error: 402 peers: the run's USD budget left cannot cover this request");
    // codex reports an error its turn ended on as a turn.failed event.
    const codexOut = JSON.stringify({ type: 'turn.failed', error: { message: 'unexpected status 402 Payment Required: peers: the run\'s USD budget left cannot cover this request' } });
    expect(explainFailure(facts({ tool: 'codex', program: 'codex', ...classified('codex', { exitCode: 1, endedBy: 'exit' }, codexOut) }))).toBe("codex exited 1: unexpected status 402 Payment Required: peers: the run's USD budget left cannot cover this request");
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

describe('explainFailure: every branch of the one line users read', () => {
  const halt = (snippet: string, reason = 'halt-pattern: x', pattern = 'x') => ({ reason, pattern, snippet, source: 'in-loop' as const });

  test('a cause is one printable line of at most 200 characters; a line of exactly the limit is not cut', () => {
    expect(MAX_CAUSE_CHARS).toBe(200);
    expect(oneLine(`a\u0007b\tc\n\u001b[31mred\u001b[0m`)).toBe('a b c red');
    expect(oneLine('x'.repeat(200))).toBe('x'.repeat(200));
    expect(oneLine('x'.repeat(201))).toBe(`${'x'.repeat(199)}…`);
    expect(oneLine('abcdef', 5)).toBe('abcd…');
  });

  test('git failures that stop a commit, by what git says', () => {
    const cf = (stderr: string) => explainFailure(facts({ classification: 'process-fail', exitCode: 1, stderr }));
    expect(cf('fatal: not a git repository (or any of the parent directories): .git')).toBe('git: not a git repository (the peer ran outside the project)');
    expect(cf("fatal: Unable to create '/w/.git/index.lock': File exists.")).toBe('git: index.lock exists (another git process, or a crashed one)');
    expect(cf('error: gpg failed to sign the data')).toBe('git: commit signing failed (commit.gpgsign is set but no key is usable)');
  });

  test('a missing environment variable is named as the halt says', () => {
    expect(explainFailure(facts({ classification: 'api-error', halt: halt('', 'ANTHROPIC_API_KEY is not set', 'missing-env') }))).toBe('ANTHROPIC_API_KEY is not set');
  });

  test('a process that could not start: permission, not found, or the spawn error itself', () => {
    const spawn = (spawnError: string | undefined, exitCode: number | null = null) => explainFailure(facts({ classification: 'process-fail', endedBy: 'spawn-error', exitCode, spawnError }));
    expect(spawn('spawn claude EACCES')).toBe('claude: permission denied (exit 126)');
    expect(spawn('spawn claude ENOENT')).toBe('claude: command not found (exit 127)');
    expect(spawn('spawn E2BIG')).toBe('claude: could not start: spawn E2BIG');
    expect(spawn(undefined)).toBe('claude: could not start: unknown error');
    // Exit 127 from a program that did start (no spawn error): still not found.
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: 127 }))).toBe('claude: command not found (exit 127)');
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: 126 }))).toBe('claude: permission denied (exit 126)');
  });

  test("claude's root refusal is read from its stdout too; another tool's stdout saying so is not claude's refusal", () => {
    const said = '--dangerously-skip-permissions cannot be used with root/sudo privileges';
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: 1, stdout: said }))).toBe('claude refused to run as root (run peers as an unprivileged user)');
    expect(explainFailure(facts({ tool: 'codex', program: 'codex', classification: 'process-fail', exitCode: 1, stdout: said }))).toBe('codex exited 1');
  });

  test('a halted peer: credential refusals by kind, a quota, a 403, else what it said with the status', () => {
    const h = (snippet: string) => explainFailure(facts({ classification: 'api-error', exitCode: 1, halt: halt(snippet) }));
    expect(h('API Error: 403 unauthorized for this org')).toBe('403 forbidden: the credential is not allowed to do this');
    expect(h('Not logged in · Please run /login')).toBe('not logged in (log in with the CLI on the host, or use an API key)');
    expect(h('401 Unauthorized')).toBe('401 invalid API key');
    expect(h('Invalid API key')).toBe('invalid API key (authentication failed)');
    expect(h(`You exceeded your current quota ${'z'.repeat(200)}`)).toBe(`usage limit reached: ${oneLine(`You exceeded your current quota ${'z'.repeat(200)}`, 150)}`);
    expect(h('403 Forbidden: region not supported')).toBe('403 forbidden: 403 Forbidden: region not supported');
    expect(h('the model is overloaded')).toBe('halted: the model is overloaded');
    expect(h('server exploded 503')).toBe('halted (503): server exploded 503');
    const long = `Forbidden: ${'f'.repeat(200)}`;
    expect(h(long)).toBe(`403 forbidden: ${oneLine(long, 150)}`);
    const other = `model overloaded ${'o'.repeat(200)}`;
    expect(h(other)).toBe(`halted: ${oneLine(other, 150)}`);
    expect(h(other)!.length).toBe('halted: '.length + 150);
    expect(explainFailure(facts({ classification: 'api-error', exitCode: 1, halt: halt('', 'structured: model gone') }))).toBe('halted: structured: model gone');
  });

  test('a usage limit: the reset time without milliseconds, and the vendor words when given', () => {
    const u = (usageLimit: TurnFacts['usageLimit']) => explainFailure(facts({ classification: 'usage-limited', exitCode: 1, usageLimit }));
    expect(u({ reset_at: '2026-01-01T05:00:00.000Z', message: 'limit hit' })).toBe('usage limit reached (resets 2026-01-01T05:00:00Z): limit hit');
    expect(u({ reset_at: null, message: '' })).toBe('usage limit reached (no reset time given)');
    expect(u(null)).toBe('usage limit reached (no reset time given)');
  });

  test('rate limits and API errors quote the whole output line of the match, unless it is JSON or huge', () => {
    const m = (stderr: string, snippet: string, classification: 'rate-limited' | 'api-error') =>
      explainFailure(facts({ classification, exitCode: 1, stderr, matched: { pattern: 'p', snippet, source: 'in-loop' } }));
    expect(m('progress\nERROR: rate limit exceeded, retry later\n', 'rate limit', 'rate-limited')).toBe('rate limited: ERROR: rate limit exceeded, retry later');
    expect(m('{"error":"rate limit"}\n', 'rate limit', 'rate-limited')).toBe('rate limited: rate limit');
    expect(m(`${'x'.repeat(1001)} rate limit\n`, 'rate limit', 'rate-limited')).toBe('rate limited: rate limit');
    expect(m(`${'x'.repeat(989)} rate limit\n`, 'rate limit', 'rate-limited')).toBe(`rate limited: ${oneLine(`${'x'.repeat(989)} rate limit`, 150)}`);
    expect(m(`${'x'.repeat(990)} rate limit\n`, 'rate limit', 'rate-limited')).toBe('rate limited: rate limit');
    expect(explainFailure(facts({ classification: 'rate-limited', exitCode: 1 }))).toBe('rate limited');
    expect(m('boom: upstream 502 bad gateway\n', 'upstream 502', 'api-error')).toBe('API error (502): boom: upstream 502 bad gateway');
    expect(m('boom\n', '', 'api-error')).toBe('API error');
    expect(explainFailure(facts({ classification: 'api-error', exitCode: 1 }))).toBe('API error');
  });

  test('a custom command that prints its error on stdout is quoted; an agent CLI chattering on stdout is not', () => {
    expect(explainFailure(facts({ tool: 'custom', program: './peer.sh', classification: 'process-fail', exitCode: 3, stdout: 'fatal: cannot reach the build server\n' }))).toBe('peer.sh exited 3: fatal: cannot reach the build server');
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: 3, stdout: 'fatal: something\n' }))).toBe('claude exited 3');
    expect(explainFailure(facts({ classification: 'process-fail', exitCode: null }))).toBe('claude was killed');
  });

  test('without anything better: the handoff reason, else the tool and the classification', () => {
    expect(explainFailure(facts({ classification: 'success', softFailReason: 'no commit by claude this turn' }))).toBe('no commit by claude this turn');
    expect(explainFailure(facts({ classification: 'idle-timeout', endedBy: 'idle-timeout', committed: true, softFailReason: null }))).toBe('claude: idle-timeout');
    expect(explainFailure(facts({ program: '', classification: 'success', softFailReason: null }))).toBe(': success');
  });
});
