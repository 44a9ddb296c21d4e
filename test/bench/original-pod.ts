/**
 * The long-running processes of the Python original's sandbox (github.com/c0decave/peers, a checkout
 * given by the caller): tinyproxy as its egress proxy, its auth proxy, and its loop (`peers run`)
 * idle in a peer's turn. Started on the host like pod-processes.ts starts ours, for the memory
 * benchmark. Needs a Python with PyYAML, and tinyproxy on PATH for the proxy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { stopper, waitUntil, waitsOnSleep, type Started } from './pod-processes.ts';

export type OriginalRole = 'egress (tinyproxy)' | 'auth proxy' | 'loop';
export const ORIGINAL_ROLES: readonly OriginalRole[] = ['egress (tinyproxy)', 'auth proxy', 'loop'];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

function must(argv: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

/** A repository the original's own `peers init` set up, its two peers a long `sleep`. */
function idleOriginalRepo(dir: string, env: NodeJS.ProcessEnv, python: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  must(['git', 'init', '-q', '-b', 'main'], repo, env);
  must(['git', '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '--allow-empty', '-m', 'bench'], repo, env);
  must([python, '-m', 'peers', 'init'], repo, env);
  // Only the peers change: each is a `sleep` reading its prompt from stdin.
  const script = 'import sys,yaml\np=".peers/config.yaml"\nc=yaml.safe_load(open(p))\nfor q in c["peers"]:\n  q["argv"]=["sleep","600"]; q["prompt_mode"]="stdin"\nyaml.safe_dump(c,open(p,"w"))\n';
  must([python, '-c', script], repo, env);
  return repo;
}

export async function startOriginalRole(checkout: string, role: OriginalRole, dir: string, python = 'python3'): Promise<Started> {
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, PYTHONPATH: join(checkout, 'src'), HOME: dir, PYTHONDONTWRITEBYTECODE: undefined };
  if (role === 'loop') {
    const repo = idleOriginalRepo(join(dir, 'loop'), env, python);
    const proc = spawn(python, ['-m', 'peers', 'run'], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
    await waitUntil(proc, role, () => waitsOnSleep(proc.pid!), 60_000);
    return { role, pid: proc.pid!, stop: stopper(proc) };
  }
  const port = await freePort();
  if (role === 'auth proxy') {
    const tokenFile = join(dir, 'claude.json');
    writeFileSync(tokenFile, JSON.stringify({ claudeAiOauth: { accessToken: 'bench-placeholder', refreshToken: 'bench-placeholder', expiresAt: 4102444800000 } }));
    const proc = spawn(python, ['-m', 'auth_proxy.server', '--port', String(port), '--token-file', tokenFile], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    await waitUntil(proc, role, () => accepts(port));
    return { role, pid: proc.pid!, stop: stopper(proc) };
  }
  // The original's proxy container runs tinyproxy with an allow-list filter; this is the same shape.
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(join(dir, 'filter'), '^api\\.anthropic\\.com$\n');
  writeFileSync(conf, [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 600', 'Allow 127.0.0.1', 'ConnectPort 443', `Filter "${join(dir, 'filter')}"`, 'FilterDefaultDeny Yes', 'FilterType ere', 'LogLevel Error', `LogFile "${join(dir, 'tinyproxy.log')}"`, ''].join('\n'));
  // tinyproxy, started as root, drops to nobody and must still reach its files.
  chmodSync(dir, 0o1777);
  const proc = spawn('tinyproxy', ['-d', '-c', conf], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  await waitUntil(proc, role, () => accepts(port));
  return { role, pid: proc.pid!, stop: stopper(proc) };
}
