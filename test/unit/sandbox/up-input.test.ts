/**
 * `peers up` / `down` / `logs` on bad input fail before any podman call, with exit 2, the path, and
 * the next command to run (real CLI process, real directories).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requires } from '../../requirements.ts';

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
let dir: string;
/** Every CLI run gets a scratch HOME and XDG dirs: no test writes the developer's own registry or state. */
const isolated = () => ({ HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'cfg'), XDG_STATE_HOME: join(dir, 'state') });
const peers = (args: string[], cwd = dir) =>
  spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...isolated(), PEERS_PODMAN: '/nonexistent/podman' } });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-up-input-'));
  mkdirSync(join(dir, 'plain'));
  mkdirSync(join(dir, 'repo'));
  spawnSync('git', ['init', '-q'], { cwd: join(dir, 'repo') });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('up/down input errors', () => {
  test('a directory that is not a git repository', () => {
    const r = peers(['up', join(dir, 'plain')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'plain')} is not a git repository`);
    expect(r.stderr).not.toContain('    at ');
  });

  test('a repository without .peers/ points at peers init', () => {
    const r = peers(['up', join(dir, 'repo')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no .peers/ directory');
    expect(r.stderr).toContain('peers init');
  });

  test('an unknown project name points at peers ls', () => {
    const r = peers(['down', 'no-such-project']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no project named 'no-such-project'");
    expect(r.stderr).toContain('peers ls');
  });

  test('a state dir path with a comma (inexpressible in podman --mount) is refused up front; the repository is never mounted, so its path may have one', () => {
    const repo = join(dir, 'a,b');
    mkdirSync(repo);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    spawnSync(process.execPath, [MAIN, 'init'], { cwd: repo, env: { ...process.env, ...isolated() } });
    const ok = peers(['up', '--dry-run', 'podman', repo]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.split(' ').filter((a) => a.startsWith('type=bind') && a.includes('a,b'))).toEqual([]);
    const r = spawnSync(process.execPath, [MAIN, 'up', '--dry-run', 'podman', repo], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...isolated(), XDG_STATE_HOME: join(dir, 'st,ate'), PEERS_PODMAN: '/nonexistent/podman' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('podman cannot mount a path containing a comma');
    // The runners' socket and key dirs are bind mounts from the user's cache too.
    const cache = spawnSync(process.execPath, [MAIN, 'up', '--dry-run', 'podman', repo], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...isolated(), XDG_CACHE_HOME: join(dir, 'ca,che'), PEERS_PODMAN: '/nonexistent/podman' } });
    expect(cache.status).toBe(2);
    expect(cache.stderr).toContain(`podman cannot mount a path containing a comma: ${join(dir, 'ca,che')}`);
  }, 30_000);

  test('--max-usd must be a positive number', () => {
    const r = peers(['up', join(dir, 'repo'), '--max-usd', 'lots']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--max-usd must be a positive number');
  });
});

describe('up without an API key', () => {
  const initProject = (name: string) => {
    const repo = join(dir, name);
    mkdirSync(repo);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    spawnSync(process.execPath, [MAIN, 'init'], { cwd: repo, env: { ...process.env, ...isolated() } });
    return repo;
  };
  /** The CLI with exactly these vendor keys set (none of the developer's own), podman unreachable. */
  const upWithKeys = (repo: string, keys: Record<string, string>, extra: string[] = []) => {
    const env: Record<string, string | undefined> = { ...process.env, ...isolated(), PEERS_PODMAN: '/nonexistent/podman', ...keys };
    for (const k of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']) if (!(k in keys)) delete env[k];
    return spawnSync(process.execPath, [MAIN, 'up', repo, ...extra], { encoding: 'utf8', env: env as NodeJS.ProcessEnv });
  };

  test('the default claude + codex peers without keys: exit 2 naming both variables, before any podman call', () => {
    const repo = initProject('nokeys');
    const r = upWithKeys(repo, {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(repo, '.peers/config.yaml')}: no API key for the configured peers: ANTHROPIC_API_KEY (for claude) and OPENAI_API_KEY (for codex) are not set`);
    expect(r.stderr).toContain('hint: export ANTHROPIC_API_KEY=… OPENAI_API_KEY=…');
    expect(r.stderr).toContain('--credentials oauth-file');
    expect(r.stderr).not.toContain('podman');
    expect(r.stderr).not.toContain('    at ');
  });

  test('only the missing one is named; with both set the key check passes (and root is refused next)', () => {
    const repo = initProject('onekey');
    const half = upWithKeys(repo, { ANTHROPIC_API_KEY: 'sk-ant-test' });
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('OPENAI_API_KEY (for codex) is not set');
    expect(half.stderr).not.toContain('ANTHROPIC_API_KEY (');
    const both = upWithKeys(repo, { ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_API_KEY: 'sk-test' });
    expect(both.stderr).not.toContain('no API key');
    if (process.getuid?.() === 0) expect(both.stderr).toContain('refuses to run as root');
  });

  test('a key that is set but empty, ends in a pasted line break or is wrapped in quotes: exit 2 saying which and how, before any podman call', () => {
    // Each would reach the vendor as a key it refuses (or a header Node cannot send): every turn a 401.
    const repo = initProject('badkeys');
    const empty = upWithKeys(repo, { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: 'sk-test' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('ANTHROPIC_API_KEY (for claude) is set but empty');
    const newline = upWithKeys(repo, { ANTHROPIC_API_KEY: 'sk-ant-test\n', OPENAI_API_KEY: 'sk-test' });
    expect(newline.status).toBe(2);
    expect(newline.stderr).toContain('ANTHROPIC_API_KEY (for claude) ends with a line break or spaces');
    expect(newline.stderr).not.toContain('sk-ant-test');
    const quoted = upWithKeys(repo, { ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_API_KEY: '"sk-test"' });
    expect(quoted.status).toBe(2);
    expect(quoted.stderr).toContain('OPENAI_API_KEY (for codex) is wrapped in quotes');
    expect(quoted.stderr).not.toContain('sk-test');
    for (const r of [empty, newline, quoted]) expect(r.stderr).not.toContain('podman');
  });

  test('--credentials oauth-file does not ask for API keys', () => {
    const repo = initProject('oauth');
    const r = upWithKeys(repo, {}, ['--credentials', 'oauth-file']);
    expect(r.stderr).not.toContain('no API key');
  });

  test('--credentials oauth-file still refuses a broken key set beside the login (the sidecar would take it over the login)', () => {
    const repo = initProject('oauth-badkey');
    const r = upWithKeys(repo, { ANTHROPIC_API_KEY: 'sk-ant-test\n' }, ['--credentials', 'oauth-file']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ANTHROPIC_API_KEY (for claude) ends with a line break or spaces');
    expect(r.stderr).not.toContain('sk-ant-test');
  });
});

const root = requires('root');

describe.skipIf(!root.ok)(`up refuses root${root.skipped}`, () => {
  test('as root, up explains that the pod is rootless (exit 2); CI runs the suite as root', () => {
    const repo = join(dir, 'rooted');
    mkdirSync(repo);
    spawnSync('git', ['init', '-q'], { cwd: repo });
    spawnSync(process.execPath, [MAIN, 'init'], { cwd: repo, env: { ...process.env, ...isolated() } });
    const r = spawnSync(process.execPath, [MAIN, 'up', repo], { encoding: 'utf8', env: { ...process.env, ...isolated(), PEERS_PODMAN: '/nonexistent/podman', ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_API_KEY: 'sk-test' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('refuses to run as root');
  });
});

describe('up --dry-run (no podman needed)', () => {
  const project = () => {
    const repo = mkdtempSync(join(dir, 'dry-'));
    spawnSync('git', ['init', '-q'], { cwd: repo });
    spawnSync(process.execPath, [MAIN, 'init'], { cwd: repo, env: { ...process.env, ...isolated() } });
    return repo;
  };
  const authLine = (out: string) => out.split('\n').find((l) => l.includes(' sidecar auth ')) ?? '';

  test('the plan, as text and as --json, starts the pod (its infra) after creating it and before any container', () => {
    const repo = project();
    const text = peers(['up', '--dry-run', 'podman', repo]);
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.split('\n').filter((l) => l.startsWith('podman '));
    expect(lines[0]).toMatch(/^podman pod create /);
    expect(lines[1]).toMatch(/^podman pod start peers-/);
    expect(lines.slice(2).every((l) => l.startsWith('podman create '))).toBe(true);
    const json = peers(['up', '--dry-run', 'podman', '--json', repo]);
    expect(json.status, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as { create_pod: string[]; start_pod: string[] };
    expect(plan.start_pod).toEqual(['pod', 'start', plan.create_pod[plan.create_pod.indexOf('--name') + 1]!]);
  });

  test('a hard budget.max_usd in config.yaml is enforced at the auth sidecar; --max-usd overrides it', () => {
    const repo = project();
    const cfg = join(repo, '.peers/config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^ {2}max_usd: .*$/m, '  max_usd: 7').replace(/^ {2}max_usd_mode: auto.*$/m, '  max_usd_mode: hard'));
    const plain = peers(['up', '--dry-run', 'podman', repo]).stdout;
    expect(plain).toContain('# budget: max_usd $7 (hard: explicit max_usd_mode=hard)');
    // The sidecar and the loop read that one policy file; the sidecar's copy is read-only.
    expect(authLine(plain)).toContain('--budget-policy /run/peers/budget.json');
    expect(authLine(plain)).toMatch(/type=bind,source=[^ ]*\/budget\.json,destination=\/run\/peers\/budget\.json,ro=true/);
    const loopLine = plain.split('\n').find((l) => l.includes(' loop /state/run/clone ')) ?? '';
    expect(loopLine).toContain('--budget-policy /state/budget.json --usage-ledger /run/peers/auth-usage/usage.jsonl');
    // One file: the auth sidecar's bind is the budget.json in the state dir the loop mounts at /state.
    const stateDir = /type=bind,source=([^ ,]+),destination=\/state(?=[ ,])/.exec(loopLine)?.[1];
    const policy = /type=bind,source=([^ ,]+),destination=\/run\/peers\/budget\.json/.exec(authLine(plain))?.[1];
    expect(policy).toBe(join(stateDir!, 'budget.json'));
    expect(peers(['up', '--dry-run', 'podman', '--max-usd', '3', repo]).stdout).toContain('# budget: max_usd $3 (hard: peers up --max-usd 3)');
  }, 60_000);

  test('--rehearse: the model server is a pod member and no credential of the user\'s enters the pod, though the shell has them', () => {
    const repo = project();
    const r = spawnSync(process.execPath, [MAIN, 'up', '--dry-run', 'podman', '--rehearse', 'x.yaml', repo], { encoding: 'utf8', env: { ...process.env, ...isolated(), PEERS_PODMAN: '/nonexistent/podman', ANTHROPIC_API_KEY: 'sk-ant-users-own', OPENAI_API_KEY: 'sk-users-own' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(' model-server --scenario /model-server/scenario.yaml');
    expect(authLine(r.stdout)).toContain('--model-server 127.0.0.1:8090');
    // By name (no "="): a key from the shell. The workspace's placeholders are written out and are no key.
    expect(r.stdout).not.toMatch(/--env (ANTHROPIC|OPENAI)_API_KEY(\s|$)/m);
    expect(r.stdout).toContain('--no-vendor-hosts');
    // The same project for real: the keys go to the auth container, by name.
    const real = spawnSync(process.execPath, [MAIN, 'up', '--dry-run', 'podman', repo], { encoding: 'utf8', env: { ...process.env, ...isolated(), PEERS_PODMAN: '/nonexistent/podman', ANTHROPIC_API_KEY: 'sk-ant-users-own', OPENAI_API_KEY: 'sk-users-own' } });
    expect(authLine(real.stdout)).toContain('--env ANTHROPIC_API_KEY');
    expect(real.stdout).not.toContain(' model-server ');
  }, 60_000);

  test('the configuration `peers init` writes has a USD cap; without any cap, up warns; --dry-run k8s prints the Pods', () => {
    const repo = project();
    expect(peers(['up', '--dry-run', 'podman', repo]).stdout).toContain('# budget: max_usd $50 (hard: auto: claude, codex bill through an API key)');
    const cfg = join(repo, '.peers/config.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^ {2}max_usd: .*$/m, ''));
    const uncapped = peers(['up', '--dry-run', 'podman', repo]).stdout;
    expect(uncapped).toContain('# warning: this run has no spending cap');
    const k8s = peers(['up', '--dry-run', 'k8s', '--registry', 'registry.example.com/team', repo]);
    expect(k8s.status).toBe(0);
    expect(k8s.stdout).toContain('kind: NetworkPolicy');
  }, 60_000);
});
