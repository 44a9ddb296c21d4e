/**
 * The hidden commands as the pod runs them: real processes of this binary, the egress proxy on a
 * Unix socket with the system resolver and the product address guard, the bridge in front of it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { rawExchange, sleep, startUpstream, type Upstream } from './helpers.ts';

const repo = join(import.meta.dir, '../../..');
const bun = process.execPath;
let dir: string;
let up: Upstream;
let egress: ChildProcess;
let bridge: ChildProcess;
let egressErr = '';
const bridgePort = 20000 + Math.floor(Math.random() * 20000);

function startCmd(args: string[], onErr: (t: string) => void): ChildProcess {
  const p = spawn(bun, [join(repo, 'src/main.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stderr!.on('data', (d) => onErr(String(d)));
  return p;
}

/** One request over a Unix socket; resolves with everything the proxy sent before closing. */
function rawUnix(sock: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    let t = '';
    c.on('data', (d) => (t += d));
    c.on('close', () => resolve(t));
    c.on('error', () => resolve(t));
    c.write(text);
    setTimeout(() => c.destroy(), 8000);
  });
}

async function waitFor(cond: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the sidecar to start');
    await sleep(50);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-sidecar-cmd-'));
  up = await startUpstream();
  egress = startCmd(['sidecar', 'egress', '--listen', `unix:${join(dir, 'egress.sock')}`, '--allow', `localhost:${up.port}`, '--audit-log', join(dir, 'egress.jsonl')], (t) => (egressErr += t));
  let bridgeErr = '';
  bridge = startCmd(['sidecar', 'bridge', '--listen', `127.0.0.1:${bridgePort}`, '--to', `unix:${join(dir, 'egress.sock')}`], (t) => (bridgeErr += t));
  await waitFor(() => egressErr.includes('listening on') && bridgeErr.includes('peers bridge'));
}, 30000);

afterAll(async () => {
  for (const p of [bridge, egress]) if (p.exitCode === null) p.kill('SIGTERM');
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('peers sidecar egress + bridge', () => {
  test('an allow-listed name that really resolves to loopback is refused by the product guard', async () => {
    const r = await rawExchange(bridgePort, `CONNECT localhost:${up.port} HTTP/1.1\r\nHost: localhost:${up.port}\r\n\r\n`);
    expect(r.text).toStartWith('HTTP/1.1 403');
    expect(r.text).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(up.connections).toBe(0);
  });

  test('refusals are written to the audit log file and the proxy stops cleanly on SIGTERM', async () => {
    await rawExchange(bridgePort, 'CONNECT exfil.example:443 HTTP/1.1\r\nHost: exfil.example:443\r\n\r\n');
    const exited = new Promise<number | null>((r) => egress.on('exit', (code) => r(code)));
    egress.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = readFileSync(join(dir, 'egress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.host, l.decision, l.status])).toEqual([['localhost', 'deny', 403], ['exfil.example', 'deny', 403]]);
    expect(egressErr).toContain(`localhost:${up.port}`);
  });

  test('with --vendor-listen, the vendor APIs are reachable only from the sidecar listener', async () => {
    let err = '';
    const split = startCmd(['sidecar', 'egress', '--listen', `unix:${join(dir, 'ws.sock')}`, '--vendor-listen', `unix:${join(dir, 'auth.sock')}`, '--allow', 'registry.npmjs.org', '--audit-log', join(dir, 'split.jsonl')], (t) => (err += t));
    await waitFor(() => (err.match(/listening on/g) ?? []).length === 2);
    const ask = (sock: string, authority: string) => new Promise<string>((resolve) => {
      const c = net.connect(sock);
      let t = '';
      c.on('data', (d) => (t += d));
      c.on('close', () => resolve(t));
      c.on('error', () => resolve(t));
      c.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
      setTimeout(() => c.destroy(), 8000);
    });
    const fromWorkspace = await ask(join(dir, 'ws.sock'), 'api.anthropic.com:443');
    expect(fromWorkspace).toStartWith('HTTP/1.1 403');
    expect(fromWorkspace).toContain('api.anthropic.com is not on the egress allow-list');
    // The sidecar listener lets it past the policy (what follows depends on this machine's DNS).
    expect(await ask(join(dir, 'auth.sock'), 'api.anthropic.com:443')).not.toStartWith('HTTP/1.1 403');
    const projectFromSidecar = await ask(join(dir, 'auth.sock'), 'registry.npmjs.org:443');
    expect(projectFromSidecar).toStartWith('HTTP/1.1 403');
    const exited = new Promise((r) => split.on('exit', r));
    split.kill('SIGTERM');
    await exited;
    const lines = readFileSync(join(dir, 'split.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.listener, l.host])).toEqual([['workspace', 'api.anthropic.com'], ['sidecar', 'api.anthropic.com'], ['sidecar', 'registry.npmjs.org']]);
  }, 30000);

  test('with --no-vendor-hosts (the demo and rehearsals), neither listener lets a vendor host or an OAuth host past the policy', async () => {
    let err = '';
    const closed = startCmd(['sidecar', 'egress', '--listen', `unix:${join(dir, 'ws2.sock')}`, '--vendor-listen', `unix:${join(dir, 'auth2.sock')}`, '--no-vendor-hosts', '--oauth-hosts', '--audit-log', join(dir, 'closed.jsonl')], (t) => (err += t));
    await waitFor(() => (err.match(/listening on/g) ?? []).length === 2);
    expect(err).toContain('(workspace) listening on');
    expect(err.match(/allowed: nothing/g)).toHaveLength(2);
    for (const sock of ['ws2.sock', 'auth2.sock'])
      for (const host of ['api.anthropic.com', 'api.openai.com', 'chatgpt.com', 'platform.claude.com']) {
        const reply = await rawUnix(join(dir, sock), `CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`);
        expect(`${sock} ${host} ${reply.split('\r\n')[0]}`).toBe(`${sock} ${host} HTTP/1.1 403 Forbidden`);
      }
    const exited = new Promise((r) => closed.on('exit', r));
    closed.kill('SIGTERM');
    await exited;
  }, 30000);
});

// Five cold starts of the CLI: on a loaded machine each can take over a second.
test('bad startup input is exit 2 naming the file (and line), never a hang or a crash', () => {
  const bad = mkdtempSync(join(tmpdir(), 'peers-egress-bad-'));
  try {
    writeFileSync(join(bad, 'allow.txt'), '# project hosts\nregistry.npmjs.org\n10.0.0.1\n');
    writeFileSync(join(bad, 'config.yaml'), 'peers: [\n');
    spawnSync('mkfifo', [join(bad, 'fifo.txt')]);
    const cases: [string[], string][] = [
      [['--allow-file', join(bad, 'allow.txt')], `${join(bad, 'allow.txt')}:3: egress allow-list entry "10.0.0.1": IP addresses cannot be allow-listed`],
      [['--allow-file', join(bad, 'fifo.txt')], `${join(bad, 'fifo.txt')}: --allow-file: is not a regular file`],
      [['--allow-file', join(bad, 'missing.txt')], `${join(bad, 'missing.txt')}: --allow-file: no such file`],
      [['--config', join(bad, 'config.yaml')], `${join(bad, 'config.yaml')}:2:1: YAML syntax error`],
      [['--audit-log', join(bad, 'no-such-dir', 'egress.jsonl')], `${join(bad, 'no-such-dir', 'egress.jsonl')}: --audit-log: its directory does not exist`],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(bun, [join(repo, 'src/main.ts'), 'sidecar', 'egress', '--listen', `unix:${join(bad, 'egress.sock')}`, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(`${args.join(' ')} → ${r.status}`).toBe(`${args.join(' ')} → 2`);
      expect(r.stderr).toStartWith(`peers: ${message}`);
      expect(r.stderr).not.toContain('internal error');
    }
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
}, 60000);
