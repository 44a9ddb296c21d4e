/**
 * Decides what each request gets, deterministically: the peer comes from the URL prefix
 * (`/peer/<name>/…`, set by cli-wiring) or, failing that, from the API when only one peer uses it;
 * each new CLI session (Claude's `x-claude-code-session-id`, Codex's `session-id` header) starts
 * that peer's next tick; each main request of the session takes the tick's next reply. A fault
 * with `times: N` answers N consecutive requests (the CLI's own retries) before the step moves on.
 * Auxiliary requests (token counting, tool-less side calls) never consume a step.
 */
import { ZERO_USAGE, type Api, type Fault, type Reply, type Scenario, type ToolCall, type Usage } from './scenario-schema.ts';

export type RequestFacts = { api: Api; peerHint?: string; sessionId?: string; auxiliary: boolean };

type Position = { peer: string; tick: number; step: number; tickName?: string };

export type Plan =
  | (Position & { kind: 'reply'; text?: string; toolCalls: ToolCall[]; usage: Usage; costUsd?: number })
  | (Position & { kind: 'fault'; fault: Fault; attempt: number })
  | (Position & { kind: 'exhausted'; reason: string; usage: Usage })
  | { kind: 'auxiliary'; peer?: string; usage: Usage }
  | { kind: 'unknown-peer'; message: string };

type Conversation = { tick: number; step: number; faultAttempts: number };

export class ScenarioPlayer {
  private readonly conversations = new Map<string, Map<string, Conversation>>();
  private readonly ticksStarted = new Map<string, number>();

  /** `resumeAt`: each peer's scripted ticks already started by an earlier server (served-log.ts, ticksStartedIn). */
  constructor(
    private readonly scenario: Scenario,
    resumeAt: ReadonlyMap<string, number> = new Map(),
  ) {
    for (const [peer, n] of resumeAt) if (scenario.peers[peer]) this.ticksStarted.set(peer, n);
  }

  /** Which scenario peer a request belongs to, or why it cannot be told. */
  resolvePeer(facts: Pick<RequestFacts, 'api' | 'peerHint'>): { peer: string } | { error: string } {
    const peers = this.scenario.peers;
    if (facts.peerHint !== undefined) {
      const spec = peers[facts.peerHint];
      if (!spec) return { error: `no peer '${facts.peerHint}' in the scenario (peers: ${Object.keys(peers).join(', ')})` };
      if (spec.api !== facts.api) return { error: `peer '${facts.peerHint}' is scripted for the ${spec.api} API, but this request uses ${facts.api}` };
      return { peer: facts.peerHint };
    }
    const candidates = Object.entries(peers).filter(([, p]) => p.api === facts.api).map(([name]) => name);
    if (candidates.length === 1) return { peer: candidates[0]! };
    if (candidates.length === 0) return { error: `no peer in the scenario uses the ${facts.api} API` };
    return { error: `several peers use the ${facts.api} API (${candidates.join(', ')}); point each CLI at /peer/<name> (see cli-wiring)` };
  }

  plan(facts: RequestFacts): Plan {
    const resolved = this.resolvePeer(facts);
    // Side calls are answered even when the peer is unclear: they never touch the script.
    if (facts.auxiliary) return { kind: 'auxiliary', peer: 'peer' in resolved ? resolved.peer : undefined, usage: ZERO_USAGE };
    if ('error' in resolved) return { kind: 'unknown-peer', message: resolved.error };
    const { peer } = resolved;
    const conv = this.conversation(peer, facts.sessionId ?? '');
    const ticks = this.scenario.peers[peer]!.ticks;
    const tick = ticks[conv.tick];
    const pos: Position = { peer, tick: conv.tick, step: conv.step, tickName: tick?.name };
    if (!tick) return { ...pos, kind: 'exhausted', reason: `peer '${peer}' has only ${ticks.length} scripted tick(s)`, usage: ZERO_USAGE };
    const reply: Reply | undefined = tick.replies[conv.step];
    if (!reply) return { ...pos, kind: 'exhausted', reason: `tick ${conv.tick} of peer '${peer}' has only ${tick.replies.length} scripted replies`, usage: ZERO_USAGE };
    if ('fault' in reply) {
      conv.faultAttempts += 1;
      const attempt = conv.faultAttempts;
      if (attempt >= reply.fault.times) {
        conv.step += 1;
        conv.faultAttempts = 0;
      }
      return { ...pos, kind: 'fault', fault: reply.fault, attempt };
    }
    conv.step += 1;
    const usage = reply.usage ?? this.scenario.default_usage ?? ZERO_USAGE;
    const toolCalls = 'tool_calls' in reply ? reply.tool_calls : [];
    return { ...pos, kind: 'reply', text: reply.text, toolCalls, usage, costUsd: reply.cost_usd };
  }

  private conversation(peer: string, sessionId: string): Conversation {
    let byPeer = this.conversations.get(peer);
    if (!byPeer) this.conversations.set(peer, (byPeer = new Map()));
    let conv = byPeer.get(sessionId);
    if (!conv) {
      const tick = this.ticksStarted.get(peer) ?? 0;
      this.ticksStarted.set(peer, tick + 1);
      conv = { tick, step: 0, faultAttempts: 0 };
      byPeer.set(sessionId, conv);
    }
    return conv;
  }

  /** USD for a reply: the scenario's explicit figure, else its price table for the model, else undefined. */
  costOf(model: string | undefined, usage: Usage, explicit?: number): number | undefined {
    if (explicit !== undefined) return explicit;
    const price = model === undefined ? undefined : this.scenario.prices[model];
    if (!price) return undefined;
    const usd =
      (usage.input_tokens * price.input + usage.output_tokens * price.output + usage.cache_read_tokens * price.cache_read + usage.cache_write_tokens * price.cache_write) / 1e6;
    return Math.round(usd * 1e9) / 1e9;
  }

  get auxiliaryText(): string {
    return this.scenario.auxiliary_text;
  }
}
