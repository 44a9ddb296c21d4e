/**
 * What `peers info` shows: the configuration as peers will actually use it, defaults filled in,
 * each peer's exact command line, and the USD-cap decision with its reason. Pure: the caller
 * supplies the environment and home directory, so the view is testable and never reads secrets
 * beyond what it needs to name.
 */
import { shellWord } from '../cli/shell-word.ts';
import type { PeersConfig } from './config-schema.ts';
import { hardGoals, softGoals, type GoalsFile } from './goals-schema.ts';
import { resolvePeerIdentity, userIdentityFromEnv, type ResolvedIdentity } from './git-identity.ts';
import { buildPeerArgv, PROMPT_PLACEHOLDER } from './peer-argv.ts';
import { describeProvider } from './provider.ts';
import { resolveUsdCapMode, type ResolvedUsdCapMode } from './usd-cap-mode.ts';

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

export type PeerView = {
  name: string;
  tool: string;
  prompt_mode: string;
  model?: string;
  reasoning?: string;
  provider?: string;
  /** The argv the peer runs; "{PROMPT}" marks where the prompt goes in argv-substitute mode. */
  argv: string[];
  prompt_on_stdin: boolean;
  /** Environment added for the peer; values of secret-looking names are redacted. */
  env: Record<string, string>;
  missing_env: string[];
  /** Author and committer of this peer's commits, and where each part comes from. */
  git_author: ResolvedIdentity;
};

export type ProjectView = {
  repo: string;
  config_path: string;
  goals_path: string;
  peers: PeerView[];
  budget: PeersConfig['budget'];
  /** Whether max_usd is a hard stop and why; `source` says who decided it (`peers up`, or a prediction of it). */
  usd_cap: ResolvedUsdCapMode & { max_usd?: number; max_tokens?: number; source?: string };
  health: PeersConfig['health'];
  goal_settings: PeersConfig['goals'];
  goals: {
    hard: { id: string; cmd: string; pass_when: string; timeout_s: number; cacheable: boolean; expensive: boolean; retry_on_fail: number }[];
    soft: { id: string; reviewer: string; consensus_needed: number; quorum?: string }[];
  };
  egress: PeersConfig['egress'];
  setup?: string;
  modes?: string[];
};

export function describeProject(input: {
  repo: string;
  configPath: string;
  goalsPath: string;
  config: PeersConfig;
  goals: GoalsFile;
  env: Record<string, string | undefined>;
  homeDir: string;
  /** The run's budget policy (written by `peers up`, or what it would write): it decides max_usd_mode. */
  budget?: { mode: ResolvedUsdCapMode['mode']; reason: string; max_usd: number | null; max_tokens: number | null; source: string };
}): ProjectView {
  const { config, goals } = input;
  const peers = config.peers.map((peer): PeerView => {
    const built = buildPeerArgv(peer, PROMPT_PLACEHOLDER, { hostEnv: input.env });
    const env = Object.fromEntries(Object.entries(built.env).map(([k, v]) => [k, SECRET_NAME.test(k) && v ? '<redacted>' : v]));
    return {
      name: peer.name,
      tool: peer.tool,
      prompt_mode: peer.prompt_mode,
      ...(peer.model ? { model: peer.model } : {}),
      ...(peer.reasoning ? { reasoning: peer.reasoning } : {}),
      ...(peer.provider ? { provider: describeProvider(peer.tool, peer.provider) } : {}),
      argv: built.argv,
      prompt_on_stdin: built.stdin !== undefined,
      env,
      missing_env: built.missingEnv,
      git_author: resolvePeerIdentity(peer, userIdentityFromEnv(input.env)),
    };
  });
  const b = input.budget;
  const usd = b
    ? { mode: b.mode, reason: b.reason, ...(b.max_usd !== null ? { max_usd: b.max_usd } : {}), ...(b.max_tokens !== null ? { max_tokens: b.max_tokens } : {}), source: b.source }
    : { ...resolveUsdCapMode(config, input.env, input.homeDir), ...(config.budget.max_usd !== undefined ? { max_usd: config.budget.max_usd } : {}) };
  return {
    repo: input.repo,
    config_path: input.configPath,
    goals_path: input.goalsPath,
    peers,
    budget: config.budget,
    usd_cap: usd,
    health: config.health,
    goal_settings: config.goals,
    goals: {
      hard: hardGoals(goals).map((g) => ({
        id: g.id,
        cmd: g.cmd,
        pass_when: g.pass_when,
        timeout_s: g.timeout_s ?? config.goals.timeout_s,
        cacheable: g.cacheable,
        expensive: g.expensive,
        retry_on_fail: g.retry_on_fail,
      })),
      soft: softGoals(goals).map((g) => ({ id: g.id, reviewer: g.reviewer, consensus_needed: g.consensus_needed, ...(g.quorum ? { quorum: g.quorum } : {}) })),
    },
    egress: config.egress,
    ...(config.setup ? { setup: config.setup } : {}),
    ...(config.modes ? { modes: config.modes } : {}),
  };
}

const IDENTITY_SOURCE_SHORT: Record<string, string> = { config: 'git_author', user: 'your git identity', default: 'the default' };
const IDENTITY_SOURCE_LABEL: Record<string, string> = {
  config: 'git_author in config.yaml',
  user: 'your git identity',
  default: 'default: no git identity found; set git_author or git config user.name/user.email',
};


export function formatProjectView(view: ProjectView): string[] {
  const b = view.budget;
  const lines = [`repo:    ${view.repo}`, `config:  ${view.config_path}`, `goals:   ${view.goals_path}`, `peers:   ${view.peers.length} (turn order)`];
  for (const p of view.peers) {
    const extras = [p.model && `model=${p.model}`, p.reasoning && `reasoning=${p.reasoning}`, p.provider && `provider=${p.provider}`].filter(Boolean).join(', ');
    lines.push(`  - ${p.name} (tool=${p.tool}, prompt_mode=${p.prompt_mode}${extras ? `, ${extras}` : ''})`);
    lines.push(`      ${p.argv.map(shellWord).join(' ')}${p.prompt_on_stdin ? ' < prompt' : ''}`);
    const { source } = p.git_author;
    const from = source.name === source.email ? IDENTITY_SOURCE_LABEL[source.name] : `name from ${IDENTITY_SOURCE_SHORT[source.name]}, email from ${IDENTITY_SOURCE_SHORT[source.email]}`;
    lines.push(`      commits as: ${p.git_author.name} <${p.git_author.email}> (${from})`);
    if (p.missing_env.length) lines.push(`      missing environment: ${p.missing_env.join(', ')} (export it before \`peers up\`)`);
  }
  const budgetParts = [`ticks≤${b.max_ticks}`, `runtime≤${b.max_runtime_s}s`, `consecutive failures≤${b.max_consecutive_failures}`];
  if (b.max_tokens !== undefined) budgetParts.push(`tokens≤${b.max_tokens}`);
  if (b.max_usd !== undefined) budgetParts.push(`USD≤$${b.max_usd}`);
  lines.push(`budget:  ${budgetParts.join(', ')}`);
  const cap = view.usd_cap;
  lines.push(`  max_usd_mode=${cap.mode} (${cap.reason})${cap.max_usd === undefined ? ' — no max_usd set' : ''}${cap.source ? ` — ${cap.source}` : ''}`);
  const h = view.health;
  lines.push(`health:  idle≤${h.idle_timeout_s}s, turn≤${h.absolute_max_runtime_s}s, output cap ${h.output_cap_bytes} bytes, kill grace ${h.kill_grace_s}s`);
  lines.push(`goals:   ${view.goals.hard.length + view.goals.soft.length} (${view.goals.hard.length} hard, ${view.goals.soft.length} soft)`);
  for (const g of view.goals.hard) lines.push(`  - hard: ${g.id}  $ ${g.cmd}  [pass_when ${g.pass_when}; timeout ${g.timeout_s}s]`);
  for (const g of view.goals.soft) lines.push(`  - soft: ${g.id} (reviewer=${g.reviewer}, consensus_needed=${g.consensus_needed}${g.quorum ? `, quorum=${g.quorum}` : ''})`);
  lines.push(`egress:  ${view.egress.allow.length ? view.egress.allow.join(', ') : '(model APIs only)'}`);
  if (view.setup) lines.push(`setup:   ${view.setup}`);
  return lines;
}
