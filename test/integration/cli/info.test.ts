import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, runPeers, STACK_LINE } from './peers-cli.ts';
import { budgetPolicyPath, writeBudgetPolicy } from '../../../src/budget/budget-policy-file.ts';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { loadProject } from '../../../src/config/load.ts';
import { acquireRunLock } from '../../../src/state/run-lock.ts';
import { stateDirFor, statePaths } from '../../../src/state/paths.ts';

const sb = makeSandbox();
let repo: string;
beforeAll(() => {
  repo = makeRepo(sb.root, 'proj');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
});
afterAll(() => sb.cleanup());

/** No git identity in the sandbox (GIT_CONFIG_GLOBAL=/dev/null, no system config): the default. */
const defaultAuthor = (peer: string) => ({ name: `${peer} (peers)`, email: `${peer}@peers.invalid`, source: { name: 'default', email: 'default' } });
const identityEnv = (peer: string) => ({ GIT_AUTHOR_NAME: `${peer} (peers)`, GIT_AUTHOR_EMAIL: `${peer}@peers.invalid`, GIT_COMMITTER_NAME: `${peer} (peers)`, GIT_COMMITTER_EMAIL: `${peer}@peers.invalid` });

describe('peers info', () => {
  test('--json on what `peers init` writes for an npm project with a lockfile: the setup is in the document (it was an internal error, exit 70)', () => {
    const npm = makeRepo(sb.root, 'npm-lib', { commits: 0 });
    writeFileSync(join(npm, 'package.json'), JSON.stringify({ name: 'npm-lib', version: '1.0.0', scripts: { test: 'node --test' } }));
    writeFileSync(join(npm, 'package-lock.json'), JSON.stringify({ name: 'npm-lib', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'npm-lib', version: '1.0.0' } } }));
    expect(runPeers(['init'], { cwd: npm, env: sb.env }).stdout).toContain('  setup: npm ci\n');
    const res = runPeers(['info', '--json'], { cwd: npm, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ repo: npm, setup: 'npm ci', egress: { allow: ['registry.npmjs.org'] } });
  });

  test("who each peer commits as: git_author, else the user's git identity, else the default", () => {
    const path = join(repo, '.peers/config.yaml');
    const original = readFileSync(path, 'utf8');
    try {
      let text = runPeers(['info'], { cwd: repo, env: sb.env }).stdout;
      expect(text).toContain('      commits as: claude (peers) <claude@peers.invalid> (default: no git identity found; set git_author or git config user.name/user.email)');
      writeFileSync(path, original.replace('    prompt_mode: stdin\n', '    prompt_mode: stdin\n    git_author: { name: "claude (peers)" }\n'));
      spawnSync('git', ['-C', repo, 'config', 'user.name', 'Ada Lovelace']);
      spawnSync('git', ['-C', repo, 'config', 'user.email', 'ada@example.com']);
      text = runPeers(['info'], { cwd: repo, env: sb.env }).stdout;
      expect(text).toContain('      commits as: claude (peers) <ada@example.com> (name from git_author, email from your git identity)');
      expect(text).toContain('      commits as: Ada Lovelace <ada@example.com> (your git identity)');
      const info = JSON.parse(runPeers(['info', '--json'], { cwd: repo, env: sb.env }).stdout);
      expect(info.peers[0].git_author).toEqual({ name: 'claude (peers)', email: 'ada@example.com', source: { name: 'config', email: 'user' } });
      expect(info.peers[0].env.GIT_COMMITTER_EMAIL).toBe('ada@example.com');
    } finally {
      writeFileSync(path, original);
      spawnSync('git', ['-C', repo, 'config', '--unset', 'user.name']);
      spawnSync('git', ['-C', repo, 'config', '--unset', 'user.email']);
    }
  });

  test('--json: peers with the exact argv, goals split hard/soft, budget, USD-cap mode with reason', () => {
    const res = runPeers(['info', '--json'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    const info = JSON.parse(res.stdout);
    expect(info.repo).toBe(repo);
    expect(info.peers).toEqual([
      { name: 'claude', tool: 'claude', prompt_mode: 'stdin', argv: ['claude', '-p', '--dangerously-skip-permissions', '--output-format', 'stream-json', '--verbose'], prompt_on_stdin: true, env: { ...identityEnv('claude'), PEERS_PEER_NAME: 'claude' }, missing_env: [], git_author: defaultAuthor('claude') },
      { name: 'codex', tool: 'codex', prompt_mode: 'stdin', argv: ['codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '-'], prompt_on_stdin: true, env: { ...identityEnv('codex'), PEERS_PEER_NAME: 'codex' }, missing_env: [], git_author: defaultAuthor('codex') },
    ]);
    expect(info.goals.hard.map((g: { id: string }) => g.id)).toEqual(['self-review-on-handoff', 'bug-hunt-clean', 'placeholder-replace-me']);
    expect(info.goals.soft).toEqual([
      { id: 'bug-hunt-round-1', reviewer: 'both', consensus_needed: 2 },
      { id: 'bug-hunt-round-2', reviewer: 'both', consensus_needed: 2 },
      { id: 'test-coverage-3-class', reviewer: 'other', consensus_needed: 2 },
    ]);
    expect(info.goals.hard[2]).toEqual({ id: 'placeholder-replace-me', cmd: 'false', pass_when: 'exit_code == 0', timeout_s: 120, cacheable: false, expensive: false, retry_on_fail: 0 });
    expect(info.budget).toEqual({ max_ticks: 200, max_runtime_s: 21600, max_consecutive_failures: 5, max_usd: 50, max_usd_mode: 'auto' });
    // What `peers up` (API keys, the default) would decide: the pod bills both peers through keys.
    expect(info.usd_cap).toEqual({ mode: 'hard', reason: 'auto: claude, codex bill through an API key', max_usd: 50, source: 'as peers up would decide it (API keys)' });
  });

  test("a finished rehearsal's budget policy is not the next run's: info shows what the next peers up decides; the rehearsal's while it runs", () => {
    // What `peers up --rehearse` leaves in the state directory (written the way up writes it).
    const stateDir = stateDirFor(repo, sb.env);
    mkdirSync(stateDir, { recursive: true });
    const { config } = loadProject(repo);
    writeBudgetPolicy(budgetPolicyPath(stateDir), resolveBudgetPolicy({ config, credentials: 'model-server', env: {} }));
    try {
      const after = JSON.parse(runPeers(['info', '--json'], { cwd: repo, env: sb.env }).stdout);
      expect(after.usd_cap).toEqual({ mode: 'hard', reason: 'auto: claude, codex bill through an API key', max_usd: 50, source: 'as peers up would decide it (API keys)' });
      // While a loop holds the run lock, its policy is the one the pod enforces.
      const lock = acquireRunLock(statePaths(stateDir).lock);
      try {
        const live = JSON.parse(runPeers(['info', '--json'], { cwd: repo, env: sb.env }).stdout);
        expect(live.usd_cap.reason).toBe('auto: the scripted model server stands in for API-key billing');
        expect(live.usd_cap.source).toStartWith('decided by peers up at ');
      } finally {
        lock.release();
      }
    } finally {
      rmSync(budgetPolicyPath(stateDir), { force: true });
    }
  });

  test('model and reasoning become real flags; with API keys the USD cap is hard', () => {
    const path = join(repo, '.peers/config.yaml');
    const original = readFileSync(path, 'utf8');
    try {
      writeFileSync(path, original.replace('# model: claude-opus-4-5', 'model: claude-opus-4-5').replace('# reasoning: high             # minimal', 'reasoning: high             # minimal').replace(/max_usd: 50 .*/, 'max_usd: 25'));
      const res = runPeers(['info', '--json'], { cwd: repo, env: { ...sb.env, ANTHROPIC_API_KEY: 'sk-ant-test' } });
      expect(res.stderr).toBe('');
      const info = JSON.parse(res.stdout);
      expect(info.peers[0].argv).toEqual(['claude', '-p', '--dangerously-skip-permissions', '--output-format', 'stream-json', '--verbose', '--model', 'claude-opus-4-5']);
      expect(info.peers[1].argv).toEqual(['codex', 'exec', '-c', 'model_reasoning_effort="high"', '--json', '--dangerously-bypass-approvals-and-sandbox', '-']);
      expect(info.usd_cap).toEqual({ mode: 'hard', reason: 'auto: claude, codex bill through an API key', max_usd: 25, source: 'as peers up would decide it (API keys)' });
      const text = runPeers(['info'], { cwd: repo, env: { ...sb.env, ANTHROPIC_API_KEY: 'sk-ant-test' } }).stdout;
      expect(text).toContain('max_usd_mode=hard (auto: claude, codex bill through an API key) — as peers up would decide it (API keys)');
      expect(text).toContain("codex exec -c 'model_reasoning_effort=\"high\"' --json --dangerously-bypass-approvals-and-sandbox - < prompt");
      expect(text).not.toContain('sk-ant-test');
    } finally {
      writeFileSync(path, original);
    }
  });

  test('text output names every peer command and goal', () => {
    const res = runPeers(['info'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('claude -p --dangerously-skip-permissions --output-format stream-json --verbose < prompt');
    expect(res.stdout).toContain('goals:   6 (3 hard, 3 soft)');
    expect(res.stdout).toContain('  - soft: test-coverage-3-class (reviewer=other, consensus_needed=2)');
  });

  test('works from a subdirectory and with -C', () => {
    mkdirSync(join(repo, 'src'), { recursive: true });
    expect(runPeers(['info', '--json'], { cwd: join(repo, 'src'), env: sb.env }).code).toBe(0);
    expect(JSON.parse(runPeers(['info', '--json', '-C', repo], { cwd: sb.root, env: sb.env }).stdout).repo).toBe(repo);
  });

  test('outside a peers project: exit 2 with a hint to run peers init', () => {
    const other = makeRepo(sb.root, 'not-initialised');
    const res = runPeers(['info'], { cwd: other, env: sb.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`no .peers/ directory in ${other}`);
    expect(res.stderr).toContain('hint: run `peers init`');
    expect(res.stderr).not.toMatch(STACK_LINE);
  });
});

describe('peers schema and peers modes list', () => {
  test('peers schema prints exactly what init wrote', () => {
    for (const kind of ['config', 'goals']) {
      const res = runPeers(['schema', kind], { cwd: sb.root, env: sb.env });
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(readFileSync(join(repo, `.peers/schema/${kind}.schema.json`), 'utf8'));
    }
    expect(runPeers(['schema', 'state'], { cwd: sb.root, env: sb.env }).code).toBe(2);
  });

  test('modes list names every mode; the default mode\'s goals are the ones plain init writes', () => {
    const res = runPeers(['modes', 'list', '--json'], { cwd: sb.root, env: sb.env });
    expect(res.code).toBe(0);
    const modes = JSON.parse(res.stdout).modes;
    expect(modes.map((m: { name: string }) => m.name)).toEqual(['default', 'audit', 'thorough', 'describe', 'document', 'implement']);
    const info = JSON.parse(runPeers(['info', '--json'], { cwd: repo, env: sb.env }).stdout);
    expect(modes[0].hard).toEqual(info.goals.hard.map((g: { id: string }) => g.id));
    expect(modes[0].soft).toEqual(info.goals.soft.map((g: { id: string }) => g.id));
    const text = runPeers(['modes', 'list'], { cwd: sb.root, env: sb.env }).stdout.trim().split('\n');
    expect(text[0]).toMatch(/^MODE +WHAT IT DOES$/);
    expect(text[1]).toStartWith('default ');
    expect(text).toContain('           needs audit; stacks with audit, document');
  });
});
