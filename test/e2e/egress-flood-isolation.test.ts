/**
 * A peer that floods its egress proxy cannot starve the gates of theirs (SECURITY.md, "Egress
 * proxy", "Limits"). The proxy's caps (1024 open connections, 256 tunnels) are per listener; the
 * workspace's bridge and the setup and gates runners' bridges all reached the same workspace
 * listener, so a peer holding 1100 half-sent CONNECTs during its turn made every install of
 * `setup` and every fetch of a gate answer "503 too many open connections": the other peer's
 * commit failed its gates for the flood (and gate code could starve the peers the same way).
 *
 * Real pod (`peers up` as the unprivileged test user): alpha's turn is the flood itself, a node
 * script in the workspace; from the setup and gates containers we ask the proxy for a host that is
 * not allowed and expect its policy answer (403: the request was read), never the capacity 503.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(240_000);

/** Holds 1100 connections to the proxy, each with an unfinished CONNECT, opening a new one for each the proxy closes. */
const FLOOD = `const net=require('net');
function one(){const s=net.connect(3128,'127.0.0.1',()=>s.write('CONNECT example.com:443 HTTP/1.1\\r\\n'));s.on('error',()=>{});s.on('close',()=>setTimeout(one,20))}
for(let i=0;i<1100;i++)one();setTimeout(()=>{},1e9)`;
const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ${JSON.stringify(['node', '-e', FLOOD])}
  - name: beta
    tool: custom
    argv: ["sleep", "600"]
health:
  idle_timeout_s: 600
`;
const GOALS = `goals:
  - id: ok
    type: hard
    cmd: "true"
    pass_when: exit_code == 0
`;

let root: string;
let repo: string;
let env: Record<string, string>;
let key = '';

const cname = (role: string) => `peers-${key}-${role}`;
/** From a container: the proxy's status line and reason for a host that is not on the allow-list. */
const askProxy = (role: string) =>
  podmanAsUser(['exec', cname(role), 'node', '-e', `const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT not-allowed.example:443 HTTP/1.1\\r\\nHost: not-allowed.example:443\\r\\n\\r\\n'));
    let b='';s.setTimeout(15000,()=>{console.log('timeout');process.exit()});s.on('data',d=>b+=d);s.on('close',()=>console.log(b.split('\\r\\n')[0]+' | '+(b.split('\\r\\n\\r\\n')[1]||'').trim()));s.on('error',e=>console.log(e.code))`]).stdout.trim();

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'flood', config: CONFIG, goals: GOALS }));
  const r = asUser([PEERS_BIN, 'up'], { cwd: repo, env, timeoutMs: 180_000 });
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
});

afterAll(() => {
  if (!need.ok) return;
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('a peer flooding its egress proxy', () => {
  test('fills its own listener (503), while setup and gates still get the proxy\'s answer', () => {
    // The flood is alpha's turn: wait until it holds the workspace's listener.
    const end = Date.now() + 120_000;
    let own = askProxy('workspace');
    while (!own.startsWith('HTTP/1.1 503') && Date.now() < end) {
      Bun.sleepSync(500);
      own = askProxy('workspace');
    }
    expect(own).toContain('503 Service Unavailable | peers-egress: too many open connections');
    for (const role of ['setup', 'gates']) expect(`${role}: ${askProxy(role)}`).toBe(`${role}: HTTP/1.1 403 Forbidden | peers-egress: host not-allowed.example is not on the egress allow-list (add it to egress.allow in .peers/config.yaml)`);
    // The workspace is still flooding: its own request is still refused for capacity.
    expect(askProxy('workspace')).toContain('503');
  });
});
