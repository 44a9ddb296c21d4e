/**
 * `.peers/config.yaml` and `.peers/goals.yaml` of the demo project: two peers, the real `claude`
 * and `codex` CLIs pointed at the scripted model server (settings from src/model-server/cli-wiring.ts, the one
 * place that knows them), real gates (the test suite and the self-review check), and caps low
 * enough that a demo can never run away. Written as YAML with comments, because users open it.
 */
import { stringify } from 'yaml';
import { CLAUDE_PRINT_ARGV, CODEX_EXEC_ARGV, claudeEnv, codexEnv, codexProviderArgs } from '../../src/model-server/cli-wiring.ts';
import { SAMPLE_TEST_COMMAND } from './sample-project.ts';

/** Models the scenario prices; claude's own cost report uses its price table for this model. */
export const DEMO_MODELS = { claude: 'claude-opus-5-5', codex: 'gpt-5.5' } as const;
export const DEMO_PEERS = ['claude', 'codex'] as const;
export type DemoPeer = (typeof DEMO_PEERS)[number];

/** Gate ids, in goals.yaml order. */
export const DEMO_GATES = ['tests-pass', 'self-review-on-handoff'] as const;

export type DemoConfigInput = {
  /**
   * Where the model server answers, as the peers see it (`http://127.0.0.1:PORT`): one URL, or
   * one per peer (in the pod, each CLI talks to its vendor's auth sidecar port, which meters the
   * reply and forwards it to the model server).
   */
  serverUrl: string | Record<DemoPeer, string>;
  /** Executables (absolute paths on the host, plain names inside the pod's image). */
  bins: Record<DemoPeer, string>;
  /** A writable HOME per peer, outside the repository (the CLIs keep session files there). */
  homes: Record<DemoPeer, string>;
  /** CODEX_HOME (must exist); default `<homes.codex>/.codex`. */
  codexHome?: string;
};


export function demoConfig(i: DemoConfigInput) {
  const url = (peer: DemoPeer) => (typeof i.serverUrl === 'string' ? i.serverUrl : i.serverUrl[peer]);
  return {
    peers: [
      {
        name: 'claude',
        tool: 'claude',
        argv: [i.bins.claude, ...CLAUDE_PRINT_ARGV],
        model: DEMO_MODELS.claude,
        env: claudeEnv({ serverUrl: url('claude'), peer: 'claude', home: i.homes.claude }),
        // Each peer commits under its own name, so `git log` shows who did what; the email is the
        // user's when git knows it, else the default (nothing in the sample repository sets one).
        git_author: { name: 'claude (peers demo)' },
      },
      {
        name: 'codex',
        tool: 'codex',
        argv: [i.bins.codex, ...CODEX_EXEC_ARGV, ...codexProviderArgs({ serverUrl: url('codex'), peer: 'codex' })],
        model: DEMO_MODELS.codex,
        env: { HOME: i.homes.codex, ...codexEnv(i.codexHome ?? `${i.homes.codex}/.codex`) },
        git_author: { name: 'codex (peers demo)' },
      },
    ],
    // In the pod the auth sidecar admits a request only if the budget left covers the most it could
    // cost (every prompt byte as a token, plus its max_tokens: about 180k tokens and $2 for one
    // Claude Code request), so the caps leave room for a few such reservations.
    budget: { max_ticks: 8, max_runtime_s: 600, max_consecutive_failures: 3, max_tokens: 2_000_000, max_usd: 10, max_usd_mode: 'hard' },
    health: { idle_timeout_s: 60, absolute_max_runtime_s: 180, kill_grace_s: 2, max_retries: 1 },
    goals: { timeout_s: 60, jobs: 2, convergence_n: 2 },
  };
}

const CONFIG_HEADER = `# peers demo: two real CLIs (claude, codex) talking to the scripted model server instead of
# the vendors, so nothing leaves this machine and nothing is billed. The USD figures are what
# the same tokens would cost. Caps are deliberately low.
`;

export function demoConfigYaml(i: DemoConfigInput): string {
  return `${CONFIG_HEADER}${stringify(demoConfig(i), { lineWidth: 0 })}`;
}

export const DEMO_GOALS_YAML = `# peers demo: the run converges when both hard gates pass at HEAD, two ticks in a row were
# clean handoffs, and a skeptic re-audit stays clean.
goals:
  - id: ${DEMO_GATES[0]}
    type: hard
    description: The library's tests pass (Node's built-in test runner).
    cmd: ${SAMPLE_TEST_COMMAND}
    pass_when: exit_code == 0
    timeout_s: 60

  - id: ${DEMO_GATES[1]}
    type: hard
    description: The latest handoff commit carries Self-Review pass and a "## Self-Review" section.
    cmd: peers check self-review-on-handoff
    pass_when: exit_code == 0
`;
