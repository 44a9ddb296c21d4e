/**
 * Reads what the server needs from a CLI's request, using only what the real CLIs were seen to
 * send: Claude Code 2.1.330 posts to `/v1/messages?beta=true` with headers
 * `x-claude-code-session-id` (also in `metadata.user_id` JSON as session_id), `x-api-key`,
 * `anthropic-version`, `anthropic-beta`, and the working directory in the environment section of
 * the prompt ("Primary working directory: …"). Codex 0.169.0 posts to `<base_url>/responses`
 * with headers `session-id`, `thread-id`, `authorization: Bearer <env_key value>`,
 * `x-codex-turn-metadata` (JSON, `request_kind: "turn"` for agent turns) and `<cwd>…</cwd>` in
 * its environment_context message. opencode 1.18.33 (Anthropic provider) posts to
 * `<baseURL>/messages` with `x-session-id` (its session id, `ses_…`), `x-api-key`, and
 * "Working directory: …" in the `<env>` block of its system prompt; its title request has no tools.
 */
import type { Api } from './scenario-schema.ts';
import type { ToolContext } from './tool-mapping.ts';

export type Endpoint = 'messages' | 'count_tokens' | 'responses' | 'models';

export type Route = { endpoint: Endpoint; api: Api; peerHint?: string };

const PEER_PREFIX = /^\/peer\/([A-Za-z0-9][A-Za-z0-9_-]{0,31})(\/.*)$/;

/** Maps a request path to an endpoint; `/peer/<name>` in front names the scenario peer. */
export function routeOf(pathname: string): Route | undefined {
  let path = pathname;
  let peerHint: string | undefined;
  const m = PEER_PREFIX.exec(pathname);
  if (m) {
    peerHint = m[1];
    path = m[2]!;
  }
  path = path.replace(/\/+$/, '');
  if (path === '/v1/messages') return { endpoint: 'messages', api: 'anthropic', peerHint };
  if (path === '/v1/messages/count_tokens') return { endpoint: 'count_tokens', api: 'anthropic', peerHint };
  if (path === '/v1/responses' || path === '/responses') return { endpoint: 'responses', api: 'responses', peerHint };
  if (path === '/v1/models' || path === '/models') return { endpoint: 'models', api: 'responses', peerHint };
  return undefined;
}

type Json = Record<string, unknown>;

export function sessionIdOf(api: Api, headers: Headers, body: Json): string | undefined {
  if (api === 'anthropic') {
    const header = headers.get('x-claude-code-session-id') ?? headers.get('x-session-id');
    if (header) return header;
    const userId = (body.metadata as Json | undefined)?.user_id;
    if (typeof userId === 'string') {
      try {
        const sid = (JSON.parse(userId) as Json).session_id;
        if (typeof sid === 'string') return sid;
      } catch {
        // Older CLIs put a plain string here; it carries no session.
      }
    }
    return undefined;
  }
  return headers.get('session-id') ?? headers.get('thread-id') ?? headers.get('conversation_id') ?? undefined;
}

/**
 * Requests that are not an agent turn: side calls with no tools declared (Claude Code's title or
 * topic generation, opencode's session title on either API) and Codex requests whose turn metadata
 * names another kind (compaction).
 * A non-streamed Claude request with tools IS a turn: Claude Code retries a broken stream that way.
 */
export function isAuxiliary(route: Route, headers: Headers, body: Json): boolean {
  if (route.endpoint === 'count_tokens' || route.endpoint === 'models') return true;
  if (route.api === 'anthropic') {
    const tools = body.tools;
    return !Array.isArray(tools) || tools.length === 0;
  }
  // Codex says what each request is; its word decides (its body may not be readable here).
  const meta = headers.get('x-codex-turn-metadata');
  if (meta) {
    try {
      const kind = (JSON.parse(meta) as Json).request_kind;
      return typeof kind === 'string' && kind !== 'turn';
    } catch {
      return false;
    }
  }
  // opencode on an OpenAI model asks its small model for a session title with no tools declared;
  // served a turn's scripted step, that step's tool calls were lost (no agent turn declares no tools).
  return !Array.isArray(body.tools) || body.tools.length === 0;
}

export function modelOf(body: Json): string | undefined {
  return typeof body.model === 'string' ? body.model : undefined;
}

/** Reasoning effort as sent: Claude `output_config.effort`, Codex `reasoning.effort`. */
export function effortOf(api: Api, body: Json): string | undefined {
  const effort = api === 'anthropic' ? (body.output_config as Json | undefined)?.effort : (body.reasoning as Json | undefined)?.effort;
  return typeof effort === 'string' ? effort : undefined;
}

// Claude Code, Codex, opencode (case matters: Claude's line says "Primary working directory").
const CWD_PATTERNS = [/Primary working directory: ([^\n]+)/, /<cwd>([^<]+)<\/cwd>/, /\n\s*Working directory: ([^\n]+)/];

export function cwdOf(body: Json): string | undefined {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (found.length > 0) return;
    if (typeof v === 'string') {
      for (const pattern of CWD_PATTERNS) {
        const m = pattern.exec(v);
        if (m) return void found.push(m[1]!.trim());
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk([body.system, body.messages, body.input]);
  return found[0];
}

export function toolContextOf(body: Json, cwd: string | undefined): ToolContext {
  const declared = new Map<string, 'function' | 'custom'>();
  const visit = (tools: unknown) => {
    if (!Array.isArray(tools)) return;
    for (const t of tools as Json[]) {
      if (typeof t.name === 'string') declared.set(t.name, t.type === 'custom' ? 'custom' : 'function');
      if (t.type === 'namespace') visit(t.tools);
    }
  };
  visit(body.tools);
  return { declared, cwd };
}

/** A deterministic stand-in for Anthropic's token counter: about four characters per token. */
export function estimateTokens(body: Json): number {
  return Math.max(1, Math.ceil(JSON.stringify([body.system ?? '', body.messages ?? [], body.tools ?? []]).length / 4));
}
