/**
 * The scripted model server: an HTTP server (TCP on loopback, or a Unix socket) that answers the
 * Anthropic Messages API and the OpenAI Responses API from a scenario. Decisions come from
 * ScenarioPlayer, bytes from the two wire modules; this file only connects them to sockets.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'bun';
import { anthropicError, anthropicMalformedEvents, anthropicUsageLimitHeaders, anthropicMessageJson, anthropicMessageStart, anthropicPlainError, anthropicStreamEvents } from './anthropic-wire.ts';
import { cwdOf, effortOf, estimateTokens, isAuxiliary, modelOf, routeOf, sessionIdOf, toolContextOf, type Route } from './request-facts.ts';
import { responsesError, responsesJson, responsesUsageLimit, responsesMalformedEvents, responsesOpening, responsesPlainError, responsesStreamEvents } from './responses-wire.ts';
import { ScenarioPlayer, type Plan } from './scenario-player.ts';
import { ZERO_USAGE, type Api, type Scenario, type Usage } from './scenario-schema.ts';
import { ServedLog, type ServedRecord, ticksStartedIn } from './served-log.ts';
import { toAnthropicCalls, toResponsesCalls, type ConcreteCall } from './tool-mapping.ts';

export type ModelServerOptions = {
  scenario: Scenario;
  /** TCP listen address; port 0 picks a free port. Ignored when socketPath is set. */
  host?: string;
  port?: number;
  socketPath?: string;
  logFile?: string;
};

export type ModelServerHandle = {
  /** `http://127.0.0.1:PORT` for TCP; undefined for a Unix socket. */
  url?: string;
  socketPath?: string;
  log: ServedLog;
  stop(): Promise<void>;
};

type Json = Record<string, unknown>;

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** Streams events as separate chunks; `hang` keeps the stream open (silent) until the client leaves. */
function sseResponse(events: string[], opts: { hang?: boolean } = {}): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(encoder.encode(e));
      if (!opts.hang) controller.close();
    },
  });
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
}

function errorFor(api: Api, status: number, type: string, message: string) {
  return api === 'anthropic' ? anthropicPlainError(status, type, message) : responsesPlainError(status, type, message);
}

export function startModelServer(opts: ModelServerOptions): ModelServerHandle {
  // A served log that exists already is an earlier server's on this rehearsal: go on where it was.
  const player = new ScenarioPlayer(opts.scenario, opts.logFile ? ticksStartedIn(opts.logFile) : undefined);
  const log = new ServedLog(opts.logFile);
  let requestSeq = 0;

  const respond = async (req: Request, server: Server<undefined>): Promise<Response> => {
    const url = new URL(req.url);
    if (req.method === 'GET' && url.pathname === '/healthz') return jsonResponse(200, { ok: true });
    const route = routeOf(url.pathname);
    if (!route) return jsonResponse(404, anthropicPlainError(404, 'not_found_error', `no such endpoint: ${req.method} ${url.pathname}`).body);
    if (route.endpoint === 'models') return jsonResponse(200, { object: 'list', data: [] });
    if (req.method !== 'POST') return jsonResponse(405, errorFor(route.api, 405, 'invalid_request_error', `use POST for ${url.pathname}`).body);
    let body: Json;
    try {
      const parsed: unknown = JSON.parse(await req.text());
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Json;
    } catch {
      const e = errorFor(route.api, 400, 'invalid_request_error', 'request body is not a JSON object');
      return jsonResponse(e.status, e.body);
    }
    const seq = requestSeq++;
    const stream = body.stream === true;
    const model = modelOf(body) ?? 'scripted-model';
    const base = { api: route.api, endpoint: route.endpoint, stream, model, effort: effortOf(route.api, body) };
    const sessionId = sessionIdOf(route.api, req.headers, body);
    const plan = player.plan({ api: route.api, peerHint: route.peerHint, sessionId, auxiliary: isAuxiliary(route, req.headers, body) });
    const record = (r: Partial<ServedRecord> & Pick<ServedRecord, 'kind' | 'status'>) =>
      log.add({ ...base, session: sessionId, usage: ZERO_USAGE, cost_usd: null, ...r });

    if (plan.kind === 'unknown-peer') {
      record({ kind: 'error', status: 400, message: plan.message });
      const e = errorFor(route.api, 400, 'invalid_request_error', `peers model-server: ${plan.message}`);
      return jsonResponse(e.status, e.body);
    }
    if (plan.kind === 'auxiliary') {
      record({ kind: 'auxiliary', status: 200, peer: plan.peer });
      if (route.endpoint === 'count_tokens') return jsonResponse(200, { input_tokens: estimateTokens(body) });
      return replyResponse(route, body, `aux_${seq}`, model, { text: player.auxiliaryText, calls: [] }, ZERO_USAGE, stream);
    }
    const where = { peer: plan.peer, tick: plan.tick, tick_name: plan.tickName, step: plan.step };
    const id = `${plan.peer}_${plan.tick}_${plan.step}_${seq}`;
    if (plan.kind === 'fault') return faultResponse(route, plan, id, model, server, req, (status) => record({ ...where, kind: 'fault', status, fault: plan.fault.kind }));
    if (plan.kind === 'exhausted') {
      record({ ...where, kind: 'exhausted', status: 200, message: plan.reason });
      return replyResponse(route, body, id, model, { text: `(peers model-server: ${plan.reason})`, calls: [] }, plan.usage, stream);
    }
    const ctx = toolContextOf(body, cwdOf(body));
    const calls = route.api === 'anthropic' ? toAnthropicCalls(plan.toolCalls, ctx) : toResponsesCalls(plan.toolCalls, ctx);
    record({ ...where, kind: 'reply', status: 200, usage: plan.usage, cost_usd: player.costOf(model, plan.usage, plan.costUsd) ?? null, tool_calls: calls.map((c) => c.name) });
    return replyResponse(route, body, id, model, { text: plan.text, calls }, plan.usage, stream);
  };

  const fetch = (req: Request, server: Server<undefined>) => respond(req, server);
  const server = opts.socketPath
    ? Bun.serve({ unix: prepareSocket(opts.socketPath), fetch })
    : Bun.serve({ hostname: opts.host ?? '127.0.0.1', port: opts.port ?? 0, fetch });
  return {
    url: opts.socketPath ? undefined : `http://${hostForUrl(opts.host ?? '127.0.0.1')}:${server.port}`,
    socketPath: opts.socketPath,
    log,
    async stop() {
      await server.stop(true);
    },
  };
}

function replyResponse(route: Route, body: Json, id: string, model: string, content: { text?: string; calls: ConcreteCall[] }, usage: Usage, stream: boolean): Response {
  const full = { ...content, idPrefix: id };
  if (route.api === 'anthropic') {
    const msgId = `msg_${id}`;
    return stream ? sseResponse(anthropicStreamEvents(msgId, model, full, usage)) : jsonResponse(200, anthropicMessageJson(msgId, model, full, usage));
  }
  const respId = `resp_${id}`;
  // Codex always streams; a client that asks for a plain response gets the completed object.
  return body.stream === false ? jsonResponse(200, responsesJson(respId, model, full, usage)) : sseResponse(responsesStreamEvents(respId, model, full, usage));
}

function faultResponse(
  route: Route,
  plan: Extract<Plan, { kind: 'fault' }>,
  id: string,
  model: string,
  server: Server<undefined>,
  req: Request,
  record: (status: number) => void,
): Response {
  const { fault } = plan;
  if (fault.kind === 'stall') {
    record(200);
    server.timeout(req, 0); // no server-side idle cut: the point is that only the client can end it
    const first = route.api === 'anthropic' ? [anthropicMessageStart(`msg_${id}`, model, ZERO_USAGE)] : responsesOpening(`resp_${id}`, model);
    return sseResponse(first, { hang: true });
  }
  if (fault.kind === 'malformed') {
    record(200);
    return sseResponse(route.api === 'anthropic' ? anthropicMalformedEvents(`msg_${id}`, model, ZERO_USAGE) : responsesMalformedEvents(`resp_${id}`, model));
  }
  const retryAfter: Record<string, string> = fault.retry_after_s !== undefined ? { 'retry-after': String(fault.retry_after_s) } : {};
  if (fault.kind === 'usage_limit') {
    const nowS = Math.floor(Date.now() / 1000);
    const reset = nowS + (fault.resets_in_s ?? 3600);
    const e = route.api === 'anthropic' ? { ...anthropicError('usage_limit', fault.message), headers: anthropicUsageLimitHeaders(reset) } : responsesUsageLimit(reset, nowS);
    record(e.status);
    return jsonResponse(e.status, e.body, { ...e.headers, ...retryAfter });
  }
  const e = route.api === 'anthropic' ? anthropicError(fault.kind, fault.message) : responsesError(fault.kind, fault.message);
  record(e.status);
  return jsonResponse(e.status, e.body, retryAfter);
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** A leftover socket from a previous run is replaced; any other file at that path is refused. */
function prepareSocket(path: string): string {
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket`);
    unlinkSync(path);
  }
  return path;
}
