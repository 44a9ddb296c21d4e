/**
 * The only vendor API paths the credential sidecar forwards, per upstream, each with the reason a
 * peer CLI needs it. Everything else (batches, files, fine-tuning, uploads, admin, unknown paths,
 * other methods) is refused with 403 and an audit line: with the real key attached, such calls
 * would spend money the usage meter never sees, or reach data that is not the run's.
 *
 * What the real CLIs were seen to call (real-cli-through-sidecar.test.ts runs them through the
 * sidecar and requires an empty audit log): Claude Code 2.1.330 `POST /v1/messages?beta=true`; Codex 0.169.0
 * `POST <base_url>/responses`; opencode 1.18.33 `POST <baseURL>/messages`. The other entries
 * are calls these CLIs make in situations a short test does not reach, named below.
 *
 * A leading `/peer/<name>` is accepted and removed before matching: it is how a peer is pointed
 * at the scripted model server (src/model-server/cli-wiring.ts); the vendors never see it.
 */

/** billable: the reply carries usage and costs money (reserved, metered); free: no tokens billed. */
export type RouteKind = 'billable' | 'free';
/**
 * `uncappedOutput`: the API takes no output cap on this path (OpenAI's compaction writes a summary
 * as long as the model makes it), so an output cap its body names bounds nothing: the request is
 * reserved at the default allowance (usage/request-cost.ts, DEFAULT_MAX_OUTPUT_TOKENS).
 */
export type ApiRoute = { method: 'GET' | 'POST'; path: string; kind: RouteKind; why: string; uncappedOutput?: true };

const MESSAGES: ApiRoute = { method: 'POST', path: '/v1/messages', kind: 'billable', why: 'every Claude Code and opencode turn (Anthropic Messages API)' };
const COUNT_TOKENS: ApiRoute = { method: 'POST', path: '/v1/messages/count_tokens', kind: 'free', why: 'Claude Code measures its context before compacting it (free endpoint)' };
const ANTHROPIC_MODELS: ApiRoute = { method: 'GET', path: '/v1/models', kind: 'free', why: 'Claude Code and opencode list the models a key may use' };
const responses = (prefix: string): ApiRoute[] => [
  { method: 'POST', path: `${prefix}/responses`, kind: 'billable', why: 'every Codex turn (wire_api = "responses"), and opencode\'s OpenAI provider' },
  { method: 'POST', path: `${prefix}/responses/compact`, kind: 'billable', why: 'Codex compacts a long conversation on the server', uncappedOutput: true },
  { method: 'GET', path: `${prefix}/models`, kind: 'free', why: 'Codex refreshes its model catalogue' },
];

/**
 * The route sets: the Anthropic API (also every anthropic-compatible provider: Claude Code keeps
 * its paths under the provider's base URL), the OpenAI API under /v1, and the Responses API at the
 * root of a base URL that already ends in its version (Codex with a ChatGPT login: base_url
 * https://chatgpt.com/backend-api/codex; an openai-compatible provider: e.g. .../api/v1).
 */
export type RouteSet = 'anthropic' | 'openai' | 'responses';

export const API_ROUTES: Readonly<Record<RouteSet, readonly ApiRoute[]>> = {
  anthropic: [MESSAGES, COUNT_TOKENS, ANTHROPIC_MODELS],
  openai: responses('/v1'),
  responses: responses(''),
};

const PEER_PREFIX = /^\/peer\/[A-Za-z0-9][A-Za-z0-9_-]{0,31}(?=\/)/;

export type RouteMatch = { route: ApiRoute; pathname: string; peerPrefix: string };

/**
 * The route a request may take, or null. Matching is exact on the path (query string aside, one
 * trailing slash tolerated): no prefixes, no percent-encoding tricks, no `..`.
 */
export function matchRoute(routes: RouteSet, method: string, url: string): RouteMatch | null {
  const q = url.indexOf('?');
  let pathname = q < 0 ? url : url.slice(0, q);
  const peer = PEER_PREFIX.exec(pathname);
  const peerPrefix = peer ? peer[0] : '';
  pathname = pathname.slice(peerPrefix.length);
  if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
  const route = API_ROUTES[routes].find((r) => r.method === method && r.path === pathname);
  return route ? { route, pathname, peerPrefix } : null;
}
