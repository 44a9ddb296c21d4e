/**
 * A local stand-in for the vendor APIs, speaking their real wire formats: Anthropic Messages and
 * OpenAI Responses (JSON and SSE, with the usage fields where the real APIs put them), plus an
 * OAuth token endpoint that, like the real ones, accepts each refresh token only once.
 */
import http from 'node:http';
import type net from 'node:net';

export type SeenRequest = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

export type FakeVendor = {
  port: number;
  requests: SeenRequest[];
  /** When set, requests must carry this bearer token or get 401. */
  requireBearer: string | null;
  /** Streams pause after their first event until this is called. */
  holdStreams: boolean;
  releaseStream(): void;
  tokenCalls: { refresh_token: string }[];
  /** Valid refresh token → [new access, new refresh]; used tokens are refused (single use). */
  refreshTable: Map<string, [string, string]>;
  refreshDelayMs: number;
  close(): Promise<void>;
};

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export const ANTHROPIC_USAGE = { input: 25, output: 42, cacheRead: 100, cacheWrite: 10 };
export const OPENAI_USAGE = { input: 200, cached: 50, output: 30 };

export async function startFakeVendor(): Promise<FakeVendor> {
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const v: FakeVendor = {
    port: 0, requests: [], requireBearer: null, holdStreams: false, tokenCalls: [], refreshTable: new Map(), refreshDelayMs: 0,
    releaseStream: () => release(),
    close: async () => {},
  };
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    v.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (req.url === '/v1/oauth/token' || req.url === '/oauth/token') {
      const { refresh_token } = JSON.parse(body) as { refresh_token: string };
      v.tokenCalls.push({ refresh_token });
      await new Promise((r) => setTimeout(r, v.refreshDelayMs));
      const next = v.refreshTable.get(refresh_token);
      if (!next) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'invalid_grant', error_description: `refresh token ${refresh_token} already used` }));
      }
      v.refreshTable.delete(refresh_token);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ access_token: next[0], refresh_token: next[1], expires_in: 3600, token_type: 'Bearer' }));
    }
    if (v.requireBearer && req.headers.authorization !== `Bearer ${v.requireBearer}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid bearer token' } }));
    }
    const parsed = body ? (JSON.parse(body) as { stream?: boolean; model?: string }) : {};
    const model = parsed.model ?? 'claude-sonnet-4-5';
    if (req.url?.endsWith('/v1/messages')) {
      const usage = { input_tokens: ANTHROPIC_USAGE.input, cache_read_input_tokens: ANTHROPIC_USAGE.cacheRead, cache_creation_input_tokens: ANTHROPIC_USAGE.cacheWrite };
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_1' });
        return res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { ...usage, output_tokens: ANTHROPIC_USAGE.output } }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(sse('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model, content: [], usage: { ...usage, output_tokens: 1 } } }));
      if (v.holdStreams) {
        gate = new Promise<void>((r) => (release = r));
        await gate;
      }
      res.write(sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
      res.write(sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }));
      res.write(sse('content_block_stop', { type: 'content_block_stop', index: 0 }));
      res.write(sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 17 } }));
      res.write(sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: ANTHROPIC_USAGE.output } }));
      return res.end(sse('message_stop', { type: 'message_stop' }));
    }
    if (req.url?.endsWith('/responses')) {
      const m = parsed.model ?? 'gpt-5-codex';
      const usage = { input_tokens: OPENAI_USAGE.input, input_tokens_details: { cached_tokens: OPENAI_USAGE.cached }, output_tokens: OPENAI_USAGE.output, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: OPENAI_USAGE.input + OPENAI_USAGE.output };
      const response = { id: 'resp_1', object: 'response', model: m, status: 'completed', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] }], usage };
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(response));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse('response.created', { type: 'response.created', response: { ...response, status: 'in_progress', usage: null } }));
      res.write(sse('response.output_text.delta', { type: 'response.output_text.delta', delta: 'ok' }));
      return res.end(sse('response.completed', { type: 'response.completed', response }));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  v.port = (server.address() as net.AddressInfo).port;
  v.close = () => new Promise<void>((r) => {
    release();
    server.closeAllConnections?.();
    server.close(() => r());
  });
  return v;
}
