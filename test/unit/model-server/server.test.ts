/**
 * The model server over real HTTP (and a real Unix socket): wire formats event by event, how
 * conversations and ticks advance, faults, auxiliary requests, the log, and determinism.
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioSchema } from '../../../src/model-server/scenario-schema.ts';
import { startModelServer, type ModelServerHandle } from '../../../src/model-server/server.ts';

const handles: ModelServerHandle[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function serve(scenario: unknown, extra: { logFile?: string; socketPath?: string } = {}): ModelServerHandle {
  const h = startModelServer({ scenario: ScenarioSchema.parse(scenario), port: 0, ...extra });
  handles.push(h);
  return h;
}

const CLAUDE_TOOLS = [{ name: 'Bash' }, { name: 'Write' }, { name: 'Edit' }, { name: 'Read' }];
const CODEX_TOOLS = [{ type: 'function', name: 'exec_command' }, { type: 'custom', name: 'apply_patch' }];

function claudeBody(extra: Record<string, unknown> = {}) {
  return { model: 'claude-opus-5-5', stream: true, tools: CLAUDE_TOOLS, output_config: { effort: 'high' }, messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }, { role: 'system', content: [{ type: 'text', text: ' - Primary working directory: /work/repo\n - Is a git repository: true' }] }], ...extra };
}
function codexBody(extra: Record<string, unknown> = {}) {
  return { model: 'gpt-5.5', stream: true, tools: CODEX_TOOLS, reasoning: { effort: 'low' }, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/work/repo</cwd>\n</environment_context>' }] }], ...extra };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

type Sse = { event: string; data: Record<string, unknown> };
function parseSse(text: string): Sse[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)![1]!;
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>;
      expect(data.type).toBe(event); // every event names itself in both places
      return { event, data };
    });
}

const twoStepScenario = {
  version: 1,
  prices: { 'claude-opus-5-5': { input: 4, output: 20, cache_read: 0.2, cache_write: 5 } },
  peers: {
    claude: {
      api: 'anthropic',
      ticks: [
        { replies: [{ tool_calls: [{ shell: 'git status' }, { write: { path: 'a.txt', content: 'A\n' } }], usage: { input_tokens: 100, output_tokens: 20, cache_read_tokens: 50, cache_write_tokens: 10 } }, { text: 'done', usage: { input_tokens: 7, output_tokens: 3 } }] },
        { replies: [{ text: 'second tick' }] },
      ],
    },
    codex: {
      api: 'responses',
      ticks: [{ replies: [{ text: 'checking', tool_calls: [{ shell: 'ls' }, { write: { path: 'b.txt', content: 'B\n' } }], usage: { input_tokens: 40, output_tokens: 9, cache_read_tokens: 60, reasoning_tokens: 4 } }, { text: 'ok' }] }],
    },
  },
};

test('Anthropic stream: event order, tool inputs split over input_json_delta, usage in start and delta', async () => {
  const h = serve(twoStepScenario);
  const res = await post(`${h.url}/peer/claude/v1/messages?beta=true`, claudeBody(), { 'x-claude-code-session-id': 's1' });
  expect(res.headers.get('content-type')).toStartWith('text/event-stream');
  const events = parseSse(await res.text());
  expect(events.map((e) => e.event)).toEqual([
    'message_start', 'ping',
    'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
    'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
    'message_delta', 'message_stop',
  ]);
  const start = events[0]!.data.message as Record<string, unknown>;
  expect(start.usage).toEqual({ input_tokens: 100, cache_creation_input_tokens: 10, cache_read_input_tokens: 50, output_tokens: 1 });
  const inputs = [2, 6].map((i) => {
    const block = events[i]!.data.content_block as Record<string, unknown>;
    const json = events.filter((e) => e.event === 'content_block_delta' && e.data.index === events[i]!.data.index).map((e) => (e.data.delta as { partial_json: string }).partial_json).join('');
    return { name: block.name, input: JSON.parse(json) };
  });
  // Relative paths become absolute against the working directory Claude Code put in its prompt.
  expect(inputs).toEqual([
    { name: 'Bash', input: { command: 'git status', description: 'Scripted step' } },
    { name: 'Write', input: { file_path: '/work/repo/a.txt', content: 'A\n' } },
  ]);
  expect(events[10]!.data).toEqual({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 100, cache_creation_input_tokens: 10, cache_read_input_tokens: 50, output_tokens: 20 } });
  expect(h.log.records[0]).toMatchObject({ peer: 'claude', tick: 0, step: 0, kind: 'reply', model: 'claude-opus-5-5', effort: 'high', tool_calls: ['Bash', 'Write'], cost_usd: (100 * 4 + 20 * 20 + 50 * 0.2 + 10 * 5) / 1e6 });
});

test('Anthropic plain JSON: the same reply as one message object', async () => {
  const h = serve(twoStepScenario);
  const res = await post(`${h.url}/peer/claude/v1/messages`, claudeBody({ stream: false }), { 'x-claude-code-session-id': 's1' });
  const msg = (await res.json()) as Record<string, unknown>;
  expect(msg).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-opus-5-5', stop_reason: 'tool_use' });
  expect((msg.content as Array<{ type: string; name: string }>).map((b) => [b.type, b.name])).toEqual([
    ['tool_use', 'Bash'],
    ['tool_use', 'Write'],
  ]);
});

test('a session is a tick: steps advance per request, a new session starts the next tick, count_tokens and tool-less calls consume nothing', async () => {
  const h = serve(twoStepScenario);
  const url = `${h.url}/peer/claude/v1/messages`;
  const count = await post(`${url}/count_tokens`, { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(400) }] }, { 'x-claude-code-session-id': 's1' });
  expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(100);
  const aux = await post(url, { model: 'm', stream: false, messages: [] }, { 'x-claude-code-session-id': 's1' });
  expect(((await aux.json()) as { content: Array<{ text: string }> }).content[0]!.text).toBe('OK');
  await (await post(url, claudeBody(), { 'x-claude-code-session-id': 's1' })).text();
  const second = parseSse(await (await post(url, claudeBody(), { 'x-claude-code-session-id': 's1' })).text());
  expect(second.find((e) => e.event === 'content_block_delta')!.data.delta).toEqual({ type: 'text_delta', text: 'done' });
  const next = parseSse(await (await post(url, claudeBody(), { 'x-claude-code-session-id': 's2' })).text());
  expect(next.find((e) => e.event === 'content_block_delta')!.data.delta).toEqual({ type: 'text_delta', text: 'second tick' });
  // Past the script: a harmless final message with zero usage, marked in the log.
  const past = parseSse(await (await post(url, claudeBody(), { 'x-claude-code-session-id': 's3' })).text());
  expect(JSON.stringify(past)).toContain("peer 'claude' has only 2 scripted tick(s)");
  expect(h.log.records.map((r) => [r.kind, r.tick ?? null, r.step ?? null])).toEqual([
    ['auxiliary', null, null], ['auxiliary', null, null], ['reply', 0, 0], ['reply', 0, 1], ['reply', 1, 0], ['exhausted', 2, 0],
  ]);
  expect(h.log.totals('claude')).toMatchObject({ input_tokens: 107, output_tokens: 23, replies: 3 });
});

test("a tool-less Responses call (opencode's session title on an openai/ model) consumes no step: the turn's first step goes to the turn", async () => {
  const h = serve(twoStepScenario);
  const url = `${h.url}/peer/codex/v1/responses`;
  const title = await post(url, { model: 'gpt-5.4-nano', stream: true, input: [{ role: 'user', content: 'Generate a title' }] }, { 'session-id': 't' });
  expect(await title.text()).not.toContain('exec_command');
  const turn = await (await post(url, codexBody(), { 'session-id': 't' })).text();
  expect(turn).toContain('exec_command');
  expect(h.log.records.map((r) => [r.kind, r.tick ?? null, r.step ?? null])).toEqual([['auxiliary', null, null], ['reply', 0, 0]]);
});

test("Codex's own word decides: a request whose turn metadata says `turn` is the turn's step even when its body declares no tools it can read", async () => {
  const h = serve(twoStepScenario);
  const url = `${h.url}/peer/codex/v1/responses`;
  const meta = (kind: string) => ({ 'session-id': 'c', 'x-codex-turn-metadata': JSON.stringify({ request_kind: kind }) });
  expect(await (await post(url, { model: 'gpt-6.1-sol', stream: true, input: [] }, meta('compact'))).text()).not.toContain('exec_command');
  expect(await (await post(url, { model: 'gpt-6.1-sol', stream: true, input: [] }, meta('turn'))).text()).toContain('exec_command');
  expect(h.log.records.map((r) => [r.kind, r.tick ?? null, r.step ?? null])).toEqual([['auxiliary', null, null], ['reply', 0, 0]]);
});

test('Responses stream: sequence numbers, message, function call, custom apply_patch call, usage in response.completed', async () => {
  const h = serve(twoStepScenario);
  const res = await post(`${h.url}/peer/codex/v1/responses`, codexBody(), { 'session-id': 't1' });
  const events = parseSse(await res.text());
  expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
  expect(events.map((e) => e.event)).toEqual([
    'response.created', 'response.in_progress',
    'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
    'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
    'response.output_item.added', 'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done', 'response.output_item.done',
    'response.completed',
  ]);
  const done = events.filter((e) => e.event === 'response.output_item.done').map((e) => e.data.item as Record<string, unknown>);
  expect(done[1]).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: 'ls' }) });
  expect(done[2]).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: b.txt\n+B\n*** End Patch\n' });
  const completed = events.at(-1)!.data.response as Record<string, unknown>;
  expect(completed.status).toBe('completed');
  expect(completed.usage).toEqual({ input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 109 });
  expect(h.log.records[0]).toMatchObject({ peer: 'codex', effort: 'low', tool_calls: ['exec_command', 'apply_patch'] });
});

test('faults: 429 with retry-after for `times` requests, then the next reply; 401 and overload in each API', async () => {
  const h = serve({
    version: 1,
    peers: {
      a: { api: 'anthropic', ticks: [{ replies: [{ fault: { kind: 'rate_limit', retry_after_s: 7, times: 2 } }, { fault: { kind: 'overloaded' } }, { fault: { kind: 'unauthorized' } }, { text: 'ok' }] }] },
      r: { api: 'responses', ticks: [{ replies: [{ fault: { kind: 'rate_limit', retry_after_s: 3 } }, { fault: { kind: 'unauthorized' } }, { fault: { kind: 'overloaded' } }] }] },
    },
  });
  const a = async () => post(`${h.url}/peer/a/v1/messages`, claudeBody(), { 'x-claude-code-session-id': 's' });
  const r1 = await a();
  expect([r1.status, r1.headers.get('retry-after')]).toEqual([429, '7']);
  expect(await r1.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } });
  expect((await a()).status).toBe(429);
  const r3 = await a();
  expect([r3.status, ((await r3.json()) as { error: { type: string } }).error.type]).toEqual([529, 'overloaded_error']);
  expect(((await (await a()).json()) as { error: { type: string } }).error.type).toBe('authentication_error');
  expect((await a()).status).toBe(200);

  const r = async () => post(`${h.url}/peer/r/v1/responses`, codexBody(), { 'session-id': 't' });
  const o1 = await r();
  expect([o1.status, o1.headers.get('retry-after')]).toEqual([429, '3']);
  expect(await o1.json()).toEqual({ error: { message: 'Rate limit reached for requests. Please try again later.', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
  expect(((await (await r()).json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  expect((await r()).status).toBe(503);
});

test('a stalled stream sends its first event and then nothing until the client gives up', async () => {
  const h = serve({ version: 1, peers: { s: { api: 'responses', ticks: [{ replies: [{ fault: { kind: 'stall' } }] }] } } });
  const abort = new AbortController();
  const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', body: JSON.stringify(codexBody()), signal: abort.signal });
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toStartWith('event: response.created\n');
  // Silence is the behaviour under test: nothing to wait for, so watch the stream for a while.
  const nothing = await Promise.race([reader.read().then(() => 'data'), Bun.sleep(500).then(() => 'silence')]);
  expect(nothing).toBe('silence');
  abort.abort();
  expect(h.log.records[0]).toMatchObject({ peer: 's', kind: 'fault', fault: 'stall' });
});

test('a malformed event is not JSON and the stream ends without a completion event', async () => {
  const h = serve({ version: 1, peers: { m: { api: 'anthropic', ticks: [{ replies: [{ fault: { kind: 'malformed' } }] }] } } });
  const text = await (await post(`${h.url}/v1/messages`, claudeBody())).text();
  const blocks = text.split('\n\n').filter((b) => b.trim());
  expect(blocks[0]).toStartWith('event: message_start');
  expect(() => JSON.parse(/^data: (.*)$/m.exec(blocks[1]!)![1]!)).toThrow();
  expect(text).not.toContain('message_stop');
});

test('peers are told apart by URL prefix, or by API when unambiguous; otherwise a clear 400', async () => {
  const h = serve({ version: 1, peers: { c1: { api: 'anthropic', ticks: [{ replies: [{ text: 'one' }] }] }, c2: { api: 'anthropic', ticks: [{ replies: [{ text: 'two' }] }] } } });
  const ambiguous = await post(`${h.url}/v1/messages`, claudeBody());
  expect(ambiguous.status).toBe(400);
  expect(((await ambiguous.json()) as { error: { message: string } }).error.message).toContain('several peers use the anthropic API (c1, c2)');
  const unknown = await post(`${h.url}/peer/nobody/v1/messages`, claudeBody());
  expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("no peer 'nobody' in the scenario");
  const wrongApi = await post(`${h.url}/peer/c1/v1/responses`, codexBody());
  expect(wrongApi.status).toBe(400);
  expect(JSON.stringify(parseSse(await (await post(`${h.url}/peer/c2/v1/messages`, claudeBody())).text()))).toContain('"two"');
  expect((await fetch(`${h.url}/v2/other`)).status).toBe(404);
});

test('the same scenario and requests give the same log, written as JSONL; a Unix socket serves the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-ms-'));
  dirs.push(dir);
  const runOnce = async (logFile: string, socketPath?: string) => {
    const h = serve(twoStepScenario, { logFile, socketPath });
    const call = (path: string, body: unknown, headers: Record<string, string>) =>
      socketPath ? fetch(`http://localhost${path}`, { method: 'POST', body: JSON.stringify(body), headers, unix: socketPath } as RequestInit) : post(`${h.url}${path}`, body, headers);
    for (const sid of ['x', 'x', 'y']) await (await call('/peer/claude/v1/messages', claudeBody(), { 'x-claude-code-session-id': sid })).text();
    await (await call('/peer/codex/v1/responses', codexBody(), { 'session-id': 'z' })).text();
    return readFileSync(logFile, 'utf8');
  };
  const first = await runOnce(join(dir, 'a.jsonl'));
  const second = await runOnce(join(dir, 'b.jsonl'), join(dir, 'model.sock'));
  expect(second).toBe(first);
  const lines = first.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.map((l) => [l.peer, l.tick, l.step])).toEqual([
    ['claude', 0, 0], ['claude', 0, 1], ['claude', 1, 0], ['codex', 0, 0],
  ]);
});

test('a server started again on the same served log (a rehearsal resumed after peers down) goes on at each peer\'s next tick', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-ms-resume-'));
  dirs.push(dir);
  const logFile = join(dir, 'served.jsonl');
  const first = serve(twoStepScenario, { logFile });
  // claude's first tick (two requests of one session), then the server stops: `peers down`.
  for (let i = 0; i < 2; i++) await (await post(`${first.url}/peer/claude/v1/messages`, claudeBody(), { 'x-claude-code-session-id': 'a' })).text();
  await first.stop();
  handles.splice(handles.indexOf(first), 1);
  // The resumed run's next claude session gets tick 1 ("second tick"), not tick 0 again (whose
  // commit is made already: before, the peer repeated it, made no commit and failed the turn).
  const again = serve(twoStepScenario, { logFile });
  const reply = parseSse(await (await post(`${again.url}/peer/claude/v1/messages`, claudeBody(), { 'x-claude-code-session-id': 'b' })).text());
  expect(JSON.stringify(reply)).toContain('second tick');
  // codex had not started: its first tick.
  await (await post(`${again.url}/peer/codex/v1/responses`, codexBody(), { 'session-id': 'c' })).text();
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.map((l) => [l.peer, l.tick, l.kind])).toEqual([
    ['claude', 0, 'reply'], ['claude', 0, 'reply'], ['claude', 1, 'reply'], ['codex', 0, 'reply'],
  ]);
  // A third session of claude is past the script: exhausted, and a server started after that
  // still serves the script's next tick once the user adds one (an exhausted session started none).
  await (await post(`${again.url}/peer/claude/v1/messages`, claudeBody(), { 'x-claude-code-session-id': 'd' })).text();
  await again.stop();
  handles.splice(handles.indexOf(again), 1);
  const longer = { ...twoStepScenario, peers: { ...twoStepScenario.peers, claude: { ...twoStepScenario.peers.claude, ticks: [...twoStepScenario.peers.claude.ticks, { replies: [{ text: 'added tick' }] }] } } };
  const third = serve(longer, { logFile });
  expect(JSON.stringify(parseSse(await (await post(`${third.url}/peer/claude/v1/messages`, claudeBody(), { 'x-claude-code-session-id': 'e' })).text()))).toContain('added tick');
});

test('opencode requests (lower-case tools, x-session-id, "Working directory:") get its tool names and camelCase arguments', async () => {
  const h = serve({
    version: 1,
    peers: { opencode: { api: 'anthropic', ticks: [{ replies: [{ tool_calls: [{ write: { path: 'a.txt', content: 'A\n' } }, { edit: { path: '/abs/b.txt', old: 'x', new: 'y' } }, { read: 'c.txt' }, { shell: 'git status' }] }, { text: 'done' }] }, { replies: [{ text: 'tick 2' }] }] } },
  });
  const url = `${h.url}/peer/opencode/v1/messages`;
  const tools = ['bash', 'edit', 'glob', 'read', 'write'].map((name) => ({ name, input_schema: { type: 'object' } }));
  const body = { model: 'claude-opus-5-5', stream: false, tools, system: [{ type: 'text', text: '<env>\n  Working directory: /work/oc-repo\n  Is directory a git repo: yes\n</env>' }], messages: [{ role: 'user', content: 'go' }] };
  const first = (await (await post(url, body, { 'x-session-id': 'ses_a' })).json()) as { content: Array<{ name: string; input: unknown }> };
  expect(first.content.map((b) => [b.name, b.input])).toEqual([
    ['write', { filePath: '/work/oc-repo/a.txt', content: 'A\n' }],
    ['edit', { filePath: '/abs/b.txt', oldString: 'x', newString: 'y' }],
    ['read', { filePath: '/work/oc-repo/c.txt' }],
    ['bash', { command: 'git status' }],
  ]);
  // The same opencode session continues its tick; a new session id starts the next tick.
  const second = (await (await post(url, body, { 'x-session-id': 'ses_a' })).json()) as { content: Array<{ text: string }> };
  expect(second.content[0]!.text).toBe('done');
  const next = (await (await post(url, body, { 'x-session-id': 'ses_b' })).json()) as { content: Array<{ text: string }> };
  expect(next.content[0]!.text).toBe('tick 2');
});
