import { describe, expect, test } from 'bun:test';
import { ConfigSchema, DEFAULT_ERROR_PATTERNS, DEFAULT_HALT_PATTERNS } from '../../../src/config/config-schema.ts';

const claude = { name: 'claude', tool: 'claude', argv: ['claude', '-p'] };
const codex = { name: 'codex', tool: 'codex', argv: ['codex', 'exec', '-'] };

function issues(input: unknown): { path: string; message: string }[] {
  const r = ConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('config schema', () => {
  test('minimal config gets every documented default', () => {
    const c = ConfigSchema.parse({ peers: [claude, codex] });
    expect(c.peers[0]!.prompt_mode).toBe('stdin');
    expect(c.budget).toEqual({ max_ticks: 200, max_runtime_s: 21600, max_consecutive_failures: 5, max_usd_mode: 'auto' });
    expect(c.health.idle_timeout_s).toBe(1800);
    expect(c.health.absolute_max_runtime_s).toBe(14400);
    expect(c.health.output_cap_bytes).toBe(2097152);
    expect(c.health.kill_grace_s).toBe(5);
    expect(c.health.max_retries).toBe(1);
    expect(c.health.recovery_interval).toBe(8);
    expect(c.goals).toEqual({ timeout_s: 120, jobs: 4, convergence_n: 2, stuck_halt_after: 5, stuck_halt_gates: ['tests-pass', 'no-prior-regression'], require_healthy_peers: false, soft_consensus_required: true });
    expect(c.egress.allow).toEqual([]);
  });

  test('default halt patterns catch auth/quota errors but not the same words quoted inside JSON', () => {
    const halt = DEFAULT_HALT_PATTERNS.map((p) => new RegExp(p, 'm'));
    const hits = (s: string) => halt.some((r) => r.test(s));
    expect(hits('ERROR: authentication failed for key')).toBe(true);
    expect(hits('Error: authentication_error')).toBe(true);
    expect(hits('FATAL you hit your usage limit')).toBe(true);
    expect(hits('{"type":"text","text":"ERROR: authentication failed"}')).toBe(false);
    const err = DEFAULT_ERROR_PATTERNS.map((p) => new RegExp(p, 'm'));
    expect(err.some((r) => r.test('ERROR upstream API error 503'))).toBe(true);
    expect(err.some((r) => r.test('Error: rate_limit'))).toBe(true);
  });

  test('fewer than two peers is rejected', () => {
    expect(issues({ peers: [claude] })).toContainEqual({ path: 'peers', message: 'at least two peers are needed' });
  });

  test('peer names: pattern boundaries, reserved names, duplicates', () => {
    const name32 = `a${'b'.repeat(31)}`;
    expect(issues({ peers: [{ ...claude, name: name32 }, codex] })).toEqual([]);
    expect(issues({ peers: [{ ...claude, name: `${name32}c` }, codex] })[0]!.path).toBe('peers.0.name');
    expect(issues({ peers: [{ ...claude, name: '-lead' }, codex] })[0]!.path).toBe('peers.0.name');
    expect(issues({ peers: [{ ...claude, name: 'peers-init' }, codex] })[0]!.message).toContain('reserved');
    expect(issues({ peers: [claude, { ...codex, name: 'claude' }] })).toContainEqual({ path: 'peers.1.name', message: "duplicate peer name 'claude'" });
  });

  test('duplicate names are reported even while another peer is invalid', () => {
    const found = issues({ peers: [claude, { ...claude, tool: 'gemini' }] });
    expect(found.map((i) => i.path)).toEqual(expect.arrayContaining(['peers.1.tool', 'peers.1.name']));
  });

  test('reasoning and provider are checked per tool, case-insensitively', () => {
    expect(ConfigSchema.parse({ peers: [{ ...claude, reasoning: 'MAX' }, codex] }).peers[0]!.reasoning).toBe('max');
    expect(issues({ peers: [claude, { ...codex, reasoning: 'max' }] })[0]!.message).toContain('minimal, low, medium, high, xhigh');
    expect(issues({ peers: [{ ...claude, provider: 'openai' }, codex] })[0]!.message).toContain('anthropic, openrouter');
    expect(issues({ peers: [claude, { ...codex, provider: 'OpenRouter' }] })).toEqual([]);
    expect(issues({ peers: [claude, { name: 'oc', tool: 'opencode', argv: ['opencode', 'run'], provider: 'openai' }] })[0]!.message).toContain('model: provider/model');
    const custom = { name: 'x', tool: 'custom', argv: ['my-agent'] };
    expect(issues({ peers: [claude, { ...custom, model: 'm' }] })[0]!.path).toBe('peers.1.model');
    expect(issues({ peers: [claude, { ...custom, reasoning: 'high' }] })[0]!.path).toBe('peers.1.reasoning');
    expect(issues({ peers: [claude, { ...custom, provider: 'openai' }] })[0]!.path).toBe('peers.1.provider');
  });

  test('prompt_mode and {PROMPT} must agree', () => {
    expect(issues({ peers: [{ ...claude, prompt_mode: 'argv-substitute' }, codex] })[0]!.message).toContain('needs an argv element containing {PROMPT}');
    expect(issues({ peers: [{ ...claude, argv: ['claude', '-p', '{PROMPT}'] }, codex] })[0]!.message).toContain('set prompt_mode: argv-substitute');
    expect(issues({ peers: [{ ...claude, argv: ['claude', '-p', '{PROMPT}'], prompt_mode: 'argv-substitute' }, codex] })).toEqual([]);
  });

  test('unknown keys are rejected at every level', () => {
    expect(issues({ peers: [{ ...claude, modle: 'x' }, codex] })[0]!.path).toBe('peers.0');
    expect(issues({ peers: [claude, codex], budget: { max_iterations: 3 } })[0]!.path).toBe('budget');
    expect(issues({ peers: [claude, codex], driver: 'orchestrator' })[0]!.path).toBe('');
  });

  test('wrong types and out-of-range numbers', () => {
    expect(issues({ peers: [claude, codex], budget: { max_ticks: 0 } })[0]!.path).toBe('budget.max_ticks');
    expect(issues({ peers: [claude, codex], budget: { max_ticks: 1.5 } })[0]!.path).toBe('budget.max_ticks');
    expect(issues({ peers: [claude, codex], budget: { max_usd: -1 } })[0]!.path).toBe('budget.max_usd');
    expect(issues({ peers: [claude, codex], budget: { max_usd_mode: 'strict' } })[0]!.path).toBe('budget.max_usd_mode');
    expect(issues({ peers: [claude, codex], goals: { soft_consensus_required: 'yes' } })[0]!.path).toBe('goals.soft_consensus_required');
  });

  test('halt patterns must compile and are bounded', () => {
    expect(issues({ peers: [claude, codex], health: { halt_patterns: ['(unclosed'] } })[0]).toMatchObject({ path: 'health.halt_patterns.0' });
    expect(issues({ peers: [claude, codex], health: { error_patterns: Array(51).fill('x') } })[0]!.path).toBe('health.error_patterns');
    expect(issues({ peers: [claude, codex], health: { halt_patterns: ['x'.repeat(1025)] } })[0]!.path).toBe('health.halt_patterns.0');
  });

  test('egress entries: hosts, suffix wildcards and ports; no URLs or bare wildcards', () => {
    expect(issues({ peers: [claude, codex], egress: { allow: ['registry.npmjs.org', '*.pythonhosted.org', 'example.com:8443'] } })).toEqual([]);
    for (const bad of ['https://x.org', '*', 'a b', '*.']) {
      expect(issues({ peers: [claude, codex], egress: { allow: [bad] } })[0]!.path).toBe('egress.allow.0');
    }
  });

  test('verify commands need a cmd', () => {
    expect(issues({ peers: [claude, codex], verify: { commands: [{ name: 'x' }] } })[0]!.path).toBe('verify.commands.0.cmd');
    expect(issues({ peers: [claude, codex], verify: { timeout_s: 30, commands: [{ cmd: 'make test' }] } })).toEqual([]);
  });
});
