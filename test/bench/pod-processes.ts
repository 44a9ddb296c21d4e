/**
 * Starts each long-running role of the sandbox pod the way the pod does (`peers sidecar egress|bridge|auth`,
 * `peers runner`, `peers loop`), here on the host without podman, and waits until it is ready.
 * Shared by the memory benchmark; nothing here measures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeBudgetPolicy } from '../../src/budget/budget-policy-file.ts';
import { formatProviderArg, runProviders } from '../../src/config/provider.ts';
import { AUTH_SIDECAR_ENV } from '../../sandbox/pod-env.ts';

export type Role = 'egress' | 'bridge' | 'auth' | 'auth with a provider' | 'setup runner' | 'gates runner' | 'workspace runner' | 'loop';
/** The pod's long-running processes, each once (sandbox/pod-spec.ts). */
export const POD_ROLES: readonly Role[] = ['egress', 'bridge', 'auth', 'setup runner', 'gates runner', 'workspace runner', 'loop'];
/** The same pod for a config with a `provider:` (its auth sidecar gets a `--provider`). */
export const POD_ROLES_WITH_PROVIDER: readonly Role[] = POD_ROLES.map((r) => (r === 'auth' ? 'auth with a provider' : r));

/**
 * The `--provider` argument `peers up` passes for a codex peer with `provider: openrouter`
 * (src/config/provider.ts runProviders, sandbox/pod-spec.ts), on a free port: the pod's 8100 may be
 * taken on the host.
 */
async function providerArg(): Promise<string> {
  const [upstream] = runProviders([{ name: 'a', tool: 'codex', provider: 'openrouter' }]);
  return formatProviderArg({ ...upstream!, port: await freePort() });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export type Started = { role: string; pid: number; stop(): Promise<void> };

function git(cwd: string, ...a: string[]): void {
  const r = Bun.spawnSync(['git', '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...a], { cwd, stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr.toString()}`);
}

/** A repository whose two peers each take a long turn (`sleep`), so the loop sits idle in tick 1. */
export function idleLoopRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  const peer = (name: string) => ({ name, tool: 'custom', argv: ['sleep', '600'], prompt_mode: 'stdin' });
  writeFileSync(join(repo, '.peers/config.yaml'), stringify({ peers: [peer('a'), peer('b')], health: { idle_timeout_s: 600, absolute_max_runtime_s: 900 } }));
  writeFileSync(join(repo, '.peers/goals.yaml'), stringify({ goals: [{ id: 'trivial', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }] }));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'bench');
  return repo;
}

function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Resolves when `ready` holds (checked every 20 ms on the stderr so far); rejects if the process fails to start or exits first. */
export function waitUntil(proc: ChildProcess, role: string, ready: (stderr: string) => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      clearTimeout(deadline);
      proc.off('exit', onExit);
      proc.off('error', onError);
      proc.stderr?.off('data', onData);
      if (error) reject(error);
      else resolve();
    };
    const check = async () => {
      if (!settled && (await ready(err))) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`${role} exited (${code}) before it was ready; stderr:\n${err}`));
    const onError = (error: Error) => finish(new Error(`${role} could not start: ${error.message}`));
    const onData = (b: Buffer) => (err += b.toString());
    const timer = setInterval(() => void check(), 20);
    const deadline = setTimeout(() => finish(new Error(`${role} not ready after ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
    proc.on('exit', onExit);
    proc.on('error', onError);
    proc.stderr?.on('data', onData);
  });
}

/** True once `pid` has a descendant (child or grandchild) running `sleep`: a fake peer's turn is under way. */
export function waitsOnSleep(pid: number): boolean {
  return childPids(pid).some((c) => commOf(c) === 'sleep' || childPids(c).some((g) => commOf(g) === 'sleep'));
}

export function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
}

/**
 * The role's command line as sandbox/pod-spec.ts writes it, with sockets and files under `dir`: the
 * egress proxy's two listeners (the workspace's and the auth sidecar's), the bridge and the setup and
 * gates runners' own bridges to the first, the auth sidecar to the second with its log file and the
 * budget policy `peers up` writes (src/budget/run-budget.ts: a USD cap, here $25).
 */
async function roleArgv(role: Role, dir: string): Promise<string[]> {
  const sock = (name: string) => join(dir, `${name}.sock`);
  switch (role) {
    case 'egress':
      return ['sidecar', 'egress', '--listen', `unix:${sock('egress')}`, '--vendor-listen', `unix:${sock('egress-vendor')}`, '--audit-log', join(dir, 'egress.jsonl')];
    case 'bridge':
      return ['sidecar', 'bridge', '--listen', '127.0.0.1:0', '--to', `unix:${sock('egress')}`];
    case 'auth':
      return authArgv(dir, `unix:${sock('egress-vendor')}`);
    case 'auth with a provider':
      return [...authArgv(dir, `unix:${sock('egress-vendor')}`), '--provider', await providerArg()];
    case 'setup runner':
      return ['runner', '--socket', sock('setup-runner'), '--bridge', `127.0.0.1:0=unix:${sock('egress')}`];
    case 'gates runner':
      return ['runner', '--socket', sock('gates-runner'), '--bridge', `127.0.0.1:0=unix:${sock('egress')}`];
    case 'workspace runner':
      return ['runner', '--socket', sock('workspace-runner')];
    case 'loop':
      return ['loop', idleLoopRepo(join(dir, 'loop')), '--state-dir', join(dir, 'loop/state')];
  }
}

/** The auth sidecar's command line in the pod, with the budget policy `peers up` writes (a $25 USD cap) and `extra` flags. */
export function authArgv(dir: string, egress: string, ...extra: string[]): string[] {
  const policy = join(dir, 'budget.json');
  writeBudgetPolicy(policy, { version: 1, resolved_at: new Date().toISOString(), max_tokens: null, max_usd: 25, max_usd_mode: 'hard', reason: 'bench', credentials: 'api-key', price_table: 'bench' });
  return ['sidecar', 'auth', '--port', 'anthropic=0', '--port', 'openai=0', '--egress', egress, '--usage-ledger', join(dir, 'usage.jsonl'), '--log-file', join(dir, 'auth.log'), '--budget-policy', policy, ...extra];
}

export const READY_LINE: Record<Exclude<Role, 'loop'>, RegExp> = {
  egress: /listening on/,
  bridge: /peers bridge .* -> /,
  auth: /auth sidecar listening/,
  'auth with a provider': /auth sidecar listening/,
  'setup runner': /peers runner: /,
  'gates runner': /peers runner: /,
  'workspace runner': /peers runner: /,
};

export type StartOptions = {
  env?: Record<string, string>;
  /** The auth sidecar's own environment (sandbox/pod-env.ts AUTH_SIDECAR_ENV); `{}` for a build from before it. */
  authEnv?: Readonly<Record<string, string>>;
  /**
   * Have oclif parse the command line, as every role was started before commands/pod-roles.ts: a
   * trailing `--` (which oclif reads as "no more flags" and the fast path leaves to oclif).
   */
  viaOclif?: boolean;
};

/** Starts `role` from `binary`, files under `dir` (one dir for the whole pod); resolves once it serves, or for the loop, waits on a peer. */
export async function startRole(binary: string, role: Role, dir: string, { env = {}, authEnv = AUTH_SIDECAR_ENV, viaOclif = false }: StartOptions = {}): Promise<Started> {
  mkdirSync(dir, { recursive: true });
  const argv = await roleArgv(role, dir);
  const proc = spawn(binary, viaOclif && role !== 'loop' ? [...argv, '--'] : argv, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    // Placeholder keys: the auth sidecar refuses to start without its upstreams' credentials.
    env: { ...process.env, ANTHROPIC_API_KEY: 'bench-placeholder', OPENAI_API_KEY: 'bench-placeholder', OPENROUTER_API_KEY: 'bench-placeholder', HOME: dir, XDG_STATE_HOME: join(dir, 'xdg-state'), ...(role.startsWith('auth') ? authEnv : {}), ...env },
  });
  await waitUntil(proc, role, role === 'loop' ? () => waitsOnSleep(proc.pid!) : (err) => READY_LINE[role].test(err));
  return { role, pid: proc.pid!, stop: stopper(proc) };
}

/**
 * Drops `path`'s pages from the page cache: written to disk first (a page still dirty cannot be
 * dropped), then GNU dd's `iflag=nocache count=0`. Read-only, so a binary another process runs is fine.
 */
export function dropPageCache(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const r = Bun.spawnSync(['dd', `if=${path}`, 'iflag=nocache', 'count=0', 'status=none'], { stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`dd (dropping ${path} from the page cache): ${r.stderr.toString()}`);
}

/** Resident set size of one process, in MiB (VmRSS of /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

/** Anonymous memory in MiB (the JavaScript heap, JIT code, buffers); the rest of RSS is mapped files, mostly the binary's pages. */
export function anonMiB(pid: number): number {
  const m = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  if (!m) throw new Error(`no Anonymous for ${pid}`);
  return Number(m[1]) / 1024;
}

/** Proportional set size in MiB: shared pages (the one binary every role maps) split between their users. */
export function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  if (!m) throw new Error(`no Pss for ${pid}`);
  return Number(m[1]) / 1024;
}
