/**
 * Why a billable request may be billed for more input than its body carries, or for more than one
 * sampling pass, so that no reservation read from the body bounds it (SECURITY.md, "A request goes
 * out only if the budget left covers it"). The reservation counts every byte of the body as a
 * prompt token once; the vendors also bill, as input of the same request:
 *
 * - stored state named by id: a Responses request's `previous_response_id`, `conversation`,
 *   stored `prompt` template, `item_reference` input items, reasoning and compaction items sent
 *   by id without their `encrypted_content`; files by id or URL (`file_id`,
 *   `file_url`, an `input_image` / `image_url` / `video_url` / `audio_url` that is not a `data:` URL, Anthropic
 *   `source.type: "url" | "file"`, `container_upload`); an Anthropic `container` (its files and
 *   skills) and remote MCP servers (`mcp_servers`, OpenAI `mcp` tools);
 * - server-side tools (Anthropic `web_search_*`, `web_fetch_*`, `code_execution_*`, tool search;
 *   OpenAI `web_search`, `file_search`, `code_interpreter`, `image_generation`, hosted `shell`,
 *   `tool_search` not run by the client, …):
 *   their results are new input, and the vendor samples again after each call, billing the whole
 *   context every pass, for as many passes as its own loop allows (documented by neither vendor
 *   as a bound);
 * - server-side compaction (OpenAI `context_management`, Anthropic `compact_*` context edits): a
 *   second pass over the input;
 * - a router's own additions (OpenRouter `plugins`, `web_search_options`, `:online` models,
 *   presets: `preset`, `@preset/…`);
 * - any setting read at the top of the body (its model, tier, stored input, …) named below it,
 *   where a gateway merging `extra_body` reads it, and a gateway's fallback models (`fallbacks`).
 *
 * Tools are judged by an allow-list of the types the client executes itself (its own tool calls
 * come back as a new request, reserved on its own body), so a server tool added tomorrow is on the
 * refused side. Every `tools` list in the body counts, wherever it sits (Codex sends its tools in
 * an `additional_tools` input item, grouped in namespaces); JSON Schemas (`input_schema`,
 * `parameters`, `schema`) and the arguments of a tool call in the history (`tool_use.input`) are
 * data, not read.
 */
import { foldKey } from './json-duplicate-key.ts';
import type { Vendor } from './price-table.ts';

/** Tools the client runs itself: the vendor only samples the call, once. */
const CLIENT_TOOLS: Record<Vendor, (type: string, tool: Record<string, unknown>) => boolean> = {
  // Anthropic: custom tools (no type or "custom") and the Anthropic-defined client tools.
  anthropic: (t) => t === 'custom' || /^(?:bash|text_editor|computer|memory)_\d{8}$/.test(t),
  // OpenAI: function and custom tools, namespaces of them, the client-run local shell and patch
  // tools, and tool search run by the client (Codex sends `{"type": "tool_search", "execution": "client"}`).
  openai: (t, tool) => t === 'function' || t === 'custom' || t === 'namespace' || t === 'local_shell' || t === 'apply_patch' || (t === 'tool_search' && tool.execution === 'client'),
};

/** Anthropic context edits that only remove input; any other (compaction) samples again. */
const INPUT_REMOVING_EDIT = /^clear_(?:thinking|tool_uses)_\d{8}$/;

/** Content parts naming media by URL or data URL (Chat's and routers' shapes; Responses' `input_image` too). */
const MEDIA_URL_KEYS = ['image_url', 'video_url', 'audio_url'] as const;

/** JSON Schemas in a body: data, never read by the vendor as content. */
export const SCHEMA_KEYS = new Set(['input_schema', 'parameters', 'schema']);
/** Blocks whose `input` is what the model wrote for a tool call: data, never read by the vendor as content. */
export const TOOL_CALL_BLOCKS = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use']);

const present = (v: unknown) => v !== undefined && v !== null && v !== false && v !== '' && !(Array.isArray(v) && v.length === 0);
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const notDataUrl = (v: unknown) => typeof v === 'string' ? !v.trimStart().toLowerCase().startsWith('data:') : isObject(v) ? typeof v.url === 'string' && !v.url.trimStart().toLowerCase().startsWith('data:') : false;

/**
 * A reason, and whether it makes the vendor reach the web or a remote server (a URL or host the
 * request or the model names: fetch and search tools, remote MCP servers, files and images by URL,
 * a router's web plugins). Those leave the run's egress allow-list behind, cap or no cap
 * (SECURITY.md, "The vendor reaches nothing for a peer"); the others are only unbounded input.
 */
type Reason = { why: string; reach: boolean };
const unbounded = (why: string): Reason => ({ why, reach: false });
const reaches = (why: string): Reason => ({ why, reach: true });

/** A router's model variant that searches the web first (OpenRouter's `:online`). */
const ONLINE_VARIANT = /:online\s*$/i;
/** A router preset named as or after a model (OpenRouter's `@preset/slug`, `model@preset/slug`). */
const PRESET_MODEL = /@preset\//i;

function topLevel(doc: Record<string, unknown>, vendor: Vendor): Reason | null {
  // No API has a body-level `type`; a block's type at the root made the walks below take the whole
  // body for a tool call's arguments or a replayed search (its input, its tools left unread).
  if (doc.type !== undefined) return reaches('a "type" at the top of the body is no field of the API; peers cannot tell what the vendor reads of the body then');
  // Routers behind either API shape (OpenRouter) add input of their own: web results, parsed files.
  if (present(doc.plugins)) return reaches('"plugins" asks the router to add input of its own (web results, parsed files)');
  if (present(doc.web_search_options)) return reaches('"web_search_options" asks for a web search on the provider\'s side');
  const models = [doc.model, ...(Array.isArray(doc.models) ? doc.models : [])];
  if (models.some((m) => typeof m === 'string' && ONLINE_VARIANT.test(m))) return reaches('an ":online" model searches the web on the provider\'s side');
  // A preset is configuration kept on the router's account: system prompts, a model, routing and
  // tools (its web search among them), none of it in the body (router-preset-budget.test.ts).
  if (doc.preset !== undefined || models.some((m) => typeof m === 'string' && PRESET_MODEL.test(m))) return reaches('a router preset ("preset", "@preset/…") brings configuration kept on the router\'s account: system prompts, tools that reach the web, routing, none of it in the request body');
  if (vendor === 'openai') {
    for (const key of ['previous_response_id', 'conversation', 'prompt'] as const) {
      if (present(doc[key])) return unbounded(`"${key}" names stored input the request body does not carry`);
    }
    if (present(doc.context_management)) return unbounded('"context_management" asks for server-side compaction, a second pass over the input');
    return null;
  }
  if (present(doc.container)) return unbounded('"container" brings the container\'s files and skills in as input');
  if (present(doc.mcp_servers)) return reaches('"mcp_servers" lets the vendor call remote MCP servers, whose results are billed as input');
  const cm = doc.context_management;
  if (isObject(cm) && Array.isArray(cm.edits)) {
    for (const e of cm.edits) {
      const type = isObject(e) && typeof e.type === 'string' ? e.type : '';
      if (!INPUT_REMOVING_EDIT.test(type)) return unbounded(`the context edit ${JSON.stringify(type.slice(0, 64))} may sample again on the server`);
    }
  } else if (present(cm)) return unbounded('"context_management" is not a list of edits peers can judge');
  return null;
}

/**
 * Server-side tools reach outside the run: a vendor's own tool (search, fetch, MCP, a hosted shell
 * with network, code run in a container) does what the allow-list was for, on the vendor's side,
 * and every one is new input sampled again. A type peers does not know is on that side too.
 */
function toolReason(tool: unknown, vendor: Vendor): Reason | null {
  if (!isObject(tool)) return null;
  const type = tool.type;
  if (type === undefined && vendor === 'anthropic') return null;
  if (typeof type === 'string' && CLIENT_TOOLS[vendor](type, tool)) return null;
  return reaches(`the server-side tool ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : String(type))} runs on the vendor's side: it can reach the web or a remote server, its results are billed as input and the vendor samples again after each call`);
}

function objectReason(o: Record<string, unknown>): Reason | null {
  if (present(o.file_id)) return unbounded('a file named by "file_id" is read on the vendor\'s side');
  if (present(o.file_url)) return reaches('a file named by "file_url" is fetched on the vendor\'s side');
  // A router takes video and audio beside images (OpenRouter's `video_url`), fetched the same way.
  for (const key of MEDIA_URL_KEYS) if (notDataUrl(o[key])) return reaches(`${key === 'image_url' ? 'an image' : key === 'video_url' ? 'a video' : 'audio'} named by URL ("${key}") is fetched on the vendor's side`);
  const type = typeof o.type === 'string' ? o.type : '';
  if (type === 'item_reference') return unbounded('an "item_reference" input item names stored input');
  // With `store: true` the vendor completes a reasoning or compaction item sent by id alone from its
  // store, and bills what it restores as input (stored-reasoning-budget.test.ts).
  if ((type === 'reasoning' || (type === 'compaction' && !present(o.content))) && present(o.id) && !present(o.encrypted_content)) return unbounded(`a "${type}" item named by its "id" without its "encrypted_content" is restored from the vendor's store`);
  if (type === 'container_upload') return unbounded('a "container_upload" block brings a stored file in');
  if (type === 'url' && typeof o.url === 'string') return reaches('a "url" source is fetched on the vendor\'s side');
  if ((type === 'url' || type === 'file') && (typeof o.url === 'string' || present(o.file_id))) return unbounded(`a "${type}" source is read on the vendor's side`);
  return null;
}

/**
 * Settings the budget reads at the top of the body only (topLevel above; which model, tier, speed,
 * geography, routing and background mode in request-cost.ts, requestFactsOf), by key as
 * multipleSamples compares them (case-folded, `_` and `-` removed). A gateway merges a nested
 * settings object (`extra_body`, the OpenAI SDKs' and LiteLLM's convention) into the request it
 * sends on, so one named below the top is read there and not by the budget: `{"model":
 * "gpt-5-nano", "extra_body": {"model": "gpt-5.4-pro"}}` was reserved at nano's price and billed at
 * pro's (nested-settings-budget.test.ts). Those that make the vendor reach the web or a remote
 * server are refused cap or not, like their top-level forms.
 */
const TOP_LEVEL_SETTINGS: ReadonlyMap<string, 'reach' | 'unbounded'> = new Map([
  ...(['plugins', 'websearchoptions', 'preset', 'mcpservers'] as const).map((k) => [k, 'reach'] as const),
  ...(['model', 'models', 'servicetier', 'speed', 'inferencegeo', 'provider', 'background', 'previousresponseid', 'conversation', 'prompt', 'contextmanagement', 'container'] as const).map((k) => [k, 'unbounded'] as const),
]);
/**
 * A router's fallback models under other spellings than OpenRouter's `models` (which the budget
 * prices): LiteLLM serves `fallbacks` when the model fails, which `mock_testing_fallbacks` forces.
 */
const FALLBACK_LISTS = new Set(['fallbacks', 'fallbackmodels', 'contextwindowfallbacks', 'contextwindowfallbackdict']);
const settingKey = (key: string) => foldKey(key).replace(/[_-]/g, '');

/** A top-level setting named below the top of the body, or a fallback list anywhere (`root`: the body itself). */
function settingReason(o: Record<string, unknown>, root: boolean): Reason | null {
  for (const [key, value] of Object.entries(o)) {
    if (!present(value)) continue;
    const n = settingKey(key);
    if (FALLBACK_LISTS.has(n)) return unbounded(`"${key.slice(0, 64)}" names fallback models a gateway may serve instead of the one priced`);
    const kind = root ? undefined : TOP_LEVEL_SETTINGS.get(n);
    if (kind === undefined) continue;
    const why = `"${key.slice(0, 64)}" is named below the top of the request body, where a gateway merging nested settings (extra_body) reads it and the budget does not`;
    return kind === 'reach' ? reaches(`${why}; it makes the provider reach the web or a remote server`) : unbounded(why);
  }
  return null;
}

/** Keys whose object value is the client's own map (labels), whatever its keys' case. */
const FREE_MAPS = ['metadata', 'client_metadata'] as const;

/**
 * An API object's fields are lower-case in both APIs: a key in another case (`"TYPE":
 * "web_search_…"` in a tool, `"Image_Url": "https://…"` in a content part) is nothing to this
 * judge and the field to a provider that reads keys without regard to case (Go's encoding/json),
 * which may reach out for it (SECURITY.md, "The budget reads the body the vendor reads").
 */
function casedKeyReason(o: Record<string, unknown>): Reason | null {
  const cased = Object.keys(o).find((k) => k !== foldKey(k));
  if (cased === undefined) return null;
  return reaches(`the key ${JSON.stringify(cased.slice(0, 64))} is not lower-case like every API field: a provider that reads keys without regard to case would read it as ${JSON.stringify(foldKey(cased).slice(0, 64))} (a server-side tool or a URL to fetch, perhaps), which this check did not`);
}

/** What the body leaves unbounded (first reason of each kind found), in one walk of it. */
export type OffBody = { reach: string | null; unbounded: string | null };

/**
 * One walk of the body: the first reason that makes the vendor reach the web or a remote server
 * (the walk stops there: such a request is refused whatever else it holds), and the first that
 * only leaves its input unbounded. Both null: the body carries everything the vendor will bill.
 */
export function offBodyReasons(doc: Record<string, unknown>, vendor: Vendor): OffBody {
  const out: OffBody = { reach: null, unbounded: null };
  // True when the walk can stop.
  const note = (r: Reason | null): boolean => {
    if (r === null) return false;
    if (r.reach) {
      out.reach = r.why;
      return true;
    }
    out.unbounded ??= r.why;
    return false;
  };
  if (note(topLevel(doc, vendor))) return out;
  // Maps whose keys the client chooses (`metadata`): not API fields, never judged by their case.
  const freeMaps = new WeakSet<object>();
  walkRequestObjects(doc, (v) => {
    if (freeMaps.has(v)) return 'skip';
    if (note(casedKeyReason(v))) return 'stop';
    for (const key of FREE_MAPS) if (isObject(v[key])) freeMaps.add(v[key]);
    if (note(settingReason(v, v === doc))) return 'stop';
    if (note(objectReason(v))) return 'stop';
    // A past web search replayed in a Responses history records its sources; nothing is fetched again.
    if (v.type === 'web_search_call' && v !== doc) return 'skip';
    const tools = requestEntries(v).find(([key]) => key === 'tools')?.[1];
    if (Array.isArray(tools)) for (const tool of tools) if (note(toolReason(tool, vendor))) return 'stop';
    return undefined;
  });
  return out;
}

/**
 * An object's entries as the vendor reads them: its JSON Schemas and a tool call's arguments are
 * data, left out. `root`: the body itself, which is never a tool call whatever its `type` says.
 */
export function requestEntries(v: Record<string, unknown>, root = false): [string, unknown][] {
  const toolCall = !root && typeof v.type === 'string' && TOOL_CALL_BLOCKS.has(v.type);
  return Object.entries(v).filter(([key]) => !(SCHEMA_KEYS.has(key) || (toolCall && key === 'input')));
}

/**
 * Every object of a request body, depth first, through arrays and requestEntries: the one walk
 * offBodyReasons, vendorDefinedTools and image-input.ts share. `visit` returns 'stop' to end the
 * walk, 'skip' to leave that object's children out.
 */
export function walkRequestObjects(doc: unknown, visit: (v: Record<string, unknown>) => 'stop' | 'skip' | undefined): void {
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    if (!isObject(v)) continue;
    const said = visit(v);
    if (said === 'stop') return;
    if (said === 'skip') continue;
    for (const [, x] of requestEntries(v, v === doc)) if (typeof x === 'object' && x !== null) stack.push(x);
  }
}

/** A reason the body does not bound what the vendor bills (either kind), or null. */
export function offBodyInput(doc: Record<string, unknown>, vendor: Vendor): string | null {
  const off = offBodyReasons(doc, vendor);
  return off.reach ?? off.unbounded;
}

/**
 * How many tools of a vendor-defined type the body names, in every `tools` list (a namespace's own
 * list included, JSON Schemas and tool-call arguments skipped, as offBodyReasons does): tools the client runs but whose instructions the vendor
 * writes into the prompt (Anthropic's computer, text editor, bash and memory tools; OpenAI's
 * local shell, apply_patch, client tool search), billed as input far beyond their bytes in the body
 * (request-cost.ts, VENDOR_TOOL_OVERHEAD_TOKENS). A custom or function tool is all in the body;
 * a namespace only groups tools.
 */
export function vendorDefinedTools(doc: Record<string, unknown>): number {
  let count = 0;
  walkRequestObjects(doc, (v) => {
    const tools = requestEntries(v).find(([key]) => key === 'tools')?.[1];
    if (Array.isArray(tools)) for (const tool of tools) if (isObject(tool) && typeof tool.type === 'string' && !BODY_TOOL_TYPES.has(tool.type)) count++;
    return undefined;
  });
  return count;
}

/** Tool types whose whole definition is in the body. */
const BODY_TOOL_TYPES = new Set(['custom', 'function', 'namespace']);
