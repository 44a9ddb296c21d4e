/**
 * Whether a scenario can stand in for the vendors of a project's own peers (`peers up --rehearse`).
 * In the pod every peer reaches the model through the auth sidecar without a `/peer/<name>` prefix,
 * so the scripted server tells peers apart by the API they speak (scenario-player.ts): each peer
 * that talks to a model needs exactly one scenario peer on its API, and no two of them may share one.
 */
import type { PeersConfig } from '../config/config-schema.ts';
import type { Api, Scenario } from './scenario-schema.ts';
import { opencodeProvider } from '../config/opencode-vendor.ts';

/** The API each CLI speaks through the auth sidecar; custom peers talk to no model. */
const API_OF_TOOL: Record<string, Api | undefined> = { claude: 'anthropic', codex: 'responses' };

/**
 * opencode speaks the API of the provider its model names (src/config/opencode-vendor.ts): an
 * `openai/…` model posts to the sidecar's OpenAI Responses route, where it took the scripted codex
 * peer's replies (every turn of both failed). A provider the scripted server does not speak: null.
 */
const API_OF_OPENCODE_PROVIDER: Record<string, Api> = { anthropic: 'anthropic', 'own-config': 'anthropic', openai: 'responses' };

function apiOf(peer: PeersConfig['peers'][number]): Api | null | undefined {
  if (peer.tool !== 'opencode') return API_OF_TOOL[peer.tool];
  return API_OF_OPENCODE_PROVIDER[opencodeProvider(peer)] ?? null;
}

/** Problems, one line each (empty when the scenario fits). */
export function rehearsalMisfits(config: PeersConfig, scenario: Scenario): string[] {
  const problems: string[] = [];
  const byApi = new Map<Api, string[]>();
  for (const p of config.peers) {
    const api = apiOf(p);
    if (api === null) problems.push(`${p.name} (opencode) uses model ${p.model}, whose provider the scripted model server does not speak (it speaks the Anthropic and OpenAI Responses APIs): rehearse it with \`model: anthropic/…\` or \`model: openai/…\` in .peers/config.yaml`);
    else if (api) byApi.set(api, [...(byApi.get(api) ?? []), p.name]);
  }
  for (const [api, names] of byApi) {
    const scripted = Object.entries(scenario.peers).filter(([, s]) => s.api === api).map(([n]) => n);
    if (names.length > 1) problems.push(`${names.join(' and ')} both use the ${api} API: a rehearsal in the pod tells peers apart by API, so rehearse with one of them: comment out ${names.slice(1).join(' and ')} in .peers/config.yaml while you rehearse (the real run, \`peers up --fresh\`, takes the file as it is then)`);
    else if (scripted.length === 0) problems.push(`${names[0]} uses the ${api} API, but no scenario peer does: add one with \`api: ${api}\``);
    else if (scripted.length > 1) problems.push(`the scenario has ${scripted.length} peers on the ${api} API (${scripted.join(', ')}); ${names[0]} would not know which is its: keep one`);
    else {
      // The scripted commits carry the handoff trailer verbatim: one naming another peer fails
      // every turn of this one ("… carry Peer: <other>", src/loop/handoff-check.ts), and the
      // failed turn is retried before the others get theirs (src/loop/turn-order.ts).
      const others = [...new Set(peerTrailers(scenario.peers[scripted[0]!]!.ticks))].filter((n) => n !== names[0]);
      if (others.length) problems.push(`${names[0]} plays the scenario's '${scripted[0]}' (the ${api} API), whose scripted commits say \`Peer: ${others.join('`, `Peer: ')}\`: every ${names[0]} turn would fail the handoff check; write \`Peer: ${names[0]}\` in them`);
    }
  }
  return problems;
}

/** Every `Peer: <name>` line in a scenario peer's scripted text (commit messages in shell calls, written files). */
function peerTrailers(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(/^[ \t]*Peer:[ \t]*(\S+)[ \t]*$/gm)].map((m) => m[1]!);
  if (Array.isArray(value)) return value.flatMap(peerTrailers);
  if (value && typeof value === 'object') return Object.values(value).flatMap(peerTrailers);
  return [];
}
