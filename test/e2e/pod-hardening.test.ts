/**
 * The pod's egress split and container hardening, on a real rootless pod started by `peers up`, as
 * a peer in the workspace would try to break them (docs/ARCHITECTURE.md, SECURITY.md):
 *   - the workspace's proxy (127.0.0.1:3128) refuses the vendor APIs, while the auth sidecar, through
 *     its own egress socket, reaches the vendor and gets an answer;
 *   - no container can create a user namespace (unshare, clone), and pod members share no IPC;
 *   - the pids/memory limits are what `peers doctor` says they are on this host;
 *   - a connection flood from the workspace keeps the audit log under its cap.
 *
 * The vendor cannot be the internet here. As in sandbox-pod.test.ts, the egress container is
 * recreated with the argv `peers up` gives it plus the TEST-ONLY resolver table (accepted only with
 * PEERS_EGRESS_TEST_MODE=1, proxy/test-resolve.ts): api.anthropic.com and upstream.test resolve to
 * the egress container's own loopback, where a stand-in vendor answers TLS on 443 with a
 * certificate made here (test-only: the egress container may bind 443, and the auth container, also
 * recreated from its planned argv, trusts that certificate through NODE_EXTRA_CA_CERTS). Everything
 * else on the path — workspace → bridge → workspace socket, auth → vendor socket, the allow-lists,
 * the audit log — is the product's.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDropMarker, ROTATED_SUFFIX } from '../../src/fs/size-capped-log.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(90_000);

const UPSTREAM = 'upstream.test:8099';
const VENDOR = 'api.anthropic.com';
const CANARY = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
const AUDIT_CAP = 64 * 1024;

let root: string;
let repo: string;
let certs: string;
let env: Record<string, string>;
let key: string;

const peers = (args: string[], timeoutMs = 180_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const cname = (role: string) => `peers-${key}-${role}`;
/** Every container `peers up` starts: the pod's members and the ones beside it. */
const ROLES = ['workspace', 'setup', 'gates', 'loop', 'auth', 'bridge', 'egress'];
const inspect = (role: string) => JSON.parse(podmanAsUser(['inspect', '--type', 'container', cname(role)]).stdout)[0];
const execIn = (role: string, script: string) => podmanAsUser(['exec', cname(role), 'sh', '-c', script], 90_000);
const nodeIn = (role: string, js: string) => podmanAsUser(['exec', cname(role), 'node', '-e', js], 90_000);
const auditPath = () => join(root, 'state', 'peers', key, 'sidecars', 'egress', 'egress.jsonl');
type Audit = { listener: string; host: string; port: number; decision: string; reason: string; status: number };
const readAudit = (): Audit[] =>
  [auditPath() + ROTATED_SUFFIX, auditPath()].flatMap((p) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : [])).filter((l) => !parseDropMarker(l)).map((l) => JSON.parse(l) as Audit);
async function until<T>(probe: () => T, ok: (v: T) => boolean, tries = 60, ms = 250): Promise<T> {
  let v = probe();
  for (let i = 0; i < tries && !ok(v); i++) {
    await Bun.sleep(ms);
    v = probe();
  }
  return v;
}

/** A CONNECT from the workspace through its proxy, 127.0.0.1:3128: the status line, or the reply to `request` inside the tunnel. */
const connectFromWorkspace = (target: string, request = '') =>
  nodeIn(
    'workspace',
    `const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT ${target} HTTP/1.1\\r\\nHost: ${target}\\r\\n\\r\\n'));
     let buf='',sent=false;s.setTimeout(15000,()=>{console.log(buf||'timeout');process.exit()});
     s.on('data',d=>{buf+=d;if(!sent&&buf.includes('\\r\\n\\r\\n')){if(!buf.startsWith('HTTP/1.1 200')||!${JSON.stringify(request)}){console.log(buf.split('\\r\\n')[0]);process.exit()}sent=true;buf='';s.write(${JSON.stringify(request)})}});
     s.on('end',()=>{console.log(JSON.stringify(buf));process.exit()});s.on('error',e=>{console.log(e.code);process.exit()})`,
  ).stdout.trim();

/** Recreates a container from the argv `peers up` planned for it, with test-only additions. */
function recreate(role: string, createOpts: string[], trailing: string[], withKeys = false): void {
  const plan = JSON.parse(peers(['up', '--dry-run', 'podman', '--json', '--allow', UPSTREAM]).stdout) as { create_containers: { role: string; argv: string[] }[] };
  const argv = plan.create_containers.find((c) => c.role === role)!.argv;
  expect(argv).toContain(cname(role));
  expect(podmanAsUser(['rm', '-f', '-t', '0', cname(role)]).code).toBe(0);
  // Secrets are passed by name (`--env NAME`): podman takes their values from its own environment.
  const created = asUser(['podman', argv[0]!, ...createOpts, ...argv.slice(1), ...trailing], { env: withKeys ? { ANTHROPIC_API_KEY: CANARY, OPENAI_API_KEY: CANARY } : {} });
  expect(created.code, created.stderr).toBe(0);
  expect(podmanAsUser(['start', cname(role)]).code).toBe(0);
}

beforeAll(async () => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-hardening-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: CANARY, OPENAI_API_KEY: CANARY };
  const setup = asUser(
    [
      'sh',
      '-ec',
      `cd ${root} && git init -q app && cd app && git config user.email t@e && git config user.name t && ${PEERS_BIN} init >/dev/null
       echo ok > committed.txt && git add -A && git commit -qm init`,
    ],
    { env },
  );
  expect(setup.stderr).toBe('');
  repo = join(root, 'app');
  // Two peers that stay busy, so the loop keeps running while we look at the pod.
  const cfg = readFileSync(join(repo, '.peers/config.yaml'), 'utf8').replace(/^peers:\n(?:  .*\n|    .*\n)*/m, 'peers:\n  - name: alpha\n    tool: custom\n    argv: ["sleep", "600"]\n  - name: beta\n    tool: custom\n    argv: ["sleep", "600"]\n');
  writeFileSync(join(repo, '.peers/config.yaml'), cfg);
  certs = join(root, 'certs');
  mkdirSync(certs);
  const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-days', '2', '-subj', `/CN=${VENDOR}`, '-addext', `subjectAltName=DNS:${VENDOR}`], { encoding: 'utf8' });
  expect(cert.status, cert.stderr).toBe(0);
  for (const f of ['', 'key.pem', 'cert.pem']) chownSync(join(certs, f), uid(), uid());

  const r = peers(['up', '--allow', UPSTREAM]);
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);

  // Test-only egress: the resolver table, port 443 for the stand-in vendor, a small audit cap.
  const certMount = ['--mount', `type=bind,source=${certs},destination=/certs,ro=true`];
  recreate('egress', ['--env', 'PEERS_EGRESS_TEST_MODE=1', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=443', ...certMount], [
    '--test-resolve', `${UPSTREAM.split(':')[0]}=127.0.0.1`, '--test-resolve', `${VENDOR}=127.0.0.1`, '--audit-log-max-bytes', String(AUDIT_CAP),
  ]);
  podmanAsUser(['exec', '-d', cname('egress'), 'node', '-e', `require('http').createServer((q,r)=>r.end('hello from the e2e upstream')).listen(8099,'127.0.0.1')`]);
  podmanAsUser([
    'exec', '-d', '--env', `CANARY=${CANARY}`, cname('egress'), 'node', '-e',
    `const fs=require('fs');require('https').createServer({key:fs.readFileSync('/certs/key.pem'),cert:fs.readFileSync('/certs/cert.pem')},(q,r)=>{
       let b='';q.on('data',d=>b+=d);q.on('end',()=>{fs.appendFileSync('/tmp/vendor-saw.txt',q.method+' '+q.url+' key='+(q.headers['x-api-key']===process.env.CANARY?'real':'other:'+q.headers['x-api-key'])+'\\n');
       r.setHeader('content-type','application/json');r.end(JSON.stringify({id:'msg_e2e',type:'message',role:'assistant',model:'claude-sonnet-4-5',content:[{type:'text',text:'hello from the stand-in vendor'}],stop_reason:'end_turn',usage:{input_tokens:3,output_tokens:5}}))})}).listen(443,'127.0.0.1')`,
  ]);
  // The auth sidecar trusts the stand-in's certificate (test-only); everything else as planned.
  recreate('auth', ['--env', 'NODE_EXTRA_CA_CERTS=/certs/cert.pem', ...certMount], [], true);
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('vendors only through the auth sidecar', () => {
  test('from the workspace, CONNECT api.anthropic.com:443 through 127.0.0.1:3128 is refused (403) and audited, while a project host answers', async () => {
    const allowed = await until(() => connectFromWorkspace(UPSTREAM, `GET / HTTP/1.1\r\nHost: ${UPSTREAM}\r\nConnection: close\r\n\r\n`), (v) => v.includes('hello from'));
    expect(allowed).toContain('hello from the e2e upstream');
    // The name resolves (test table) to a vendor that is listening: only the policy stands in the way.
    expect(connectFromWorkspace(`${VENDOR}:443`)).toBe('HTTP/1.1 403 Forbidden');
    for (const other of ['api.openai.com:443', 'chatgpt.com:443', 'platform.claude.com:443']) expect(connectFromWorkspace(other)).toBe('HTTP/1.1 403 Forbidden');
    const audit = await until(readAudit, (a) => a.some((r) => r.host === VENDOR));
    expect(audit.find((r) => r.host === VENDOR)).toMatchObject({ listener: 'workspace', port: 443, decision: 'deny', status: 403 });
    expect(audit.find((r) => r.host === VENDOR)!.reason).toContain(`host ${VENDOR} is not on the egress allow-list`);
    expect(audit.filter((r) => r.host === 'upstream.test').map((r) => [r.listener, r.decision])).toContainEqual(['workspace', 'allow']);
    expect(execIn('egress', 'cat /tmp/vendor-saw.txt 2>/dev/null; true').stdout).toBe('');
  });

  test('the auth sidecar reaches the vendor through its own egress socket: the workspace\'s request is answered, with the real key injected', async () => {
    const ask = () =>
      nodeIn(
        'workspace',
        `fetch('http://127.0.0.1:8080/v1/messages',{method:'POST',headers:{'content-type':'application/json','x-api-key':process.env.ANTHROPIC_API_KEY,'anthropic-version':'2023-06-01'},body:JSON.stringify({model:'claude-sonnet-4-5',max_tokens:5,messages:[{role:'user',content:'hi'}]})})
         .then(r=>r.text().then(t=>console.log(r.status+' '+t))).catch(e=>console.log('ERR '+e.message))`,
      ).stdout.trim();
    const answer = await until(ask, (v) => v.startsWith('200 '), 20, 500);
    expect(answer).toStartWith('200 ');
    expect(answer).toContain('hello from the stand-in vendor');
    expect(execIn('egress', 'cat /tmp/vendor-saw.txt').stdout).toBe('POST /v1/messages key=real\n');
    const audit = await until(readAudit, (a) => a.some((r) => r.listener === 'sidecar'));
    expect(audit.filter((r) => r.listener === 'sidecar').map((r) => [r.host, r.port, r.decision])).toContainEqual([VENDOR, 443, 'allow']);
    // The ledger saw the reply's usage (the vendor path is the metered path).
    const ledger = readFileSync(join(root, 'state', 'peers', key, 'sidecars', 'auth', 'usage.jsonl'), 'utf8');
    expect(ledger).toContain('"input_tokens":3');
    // Its per-request log is the size-capped file beside the ledger, not the container log.
    const authLog = readFileSync(join(root, 'state', 'peers', key, 'sidecars', 'auth', 'auth.log'), 'utf8');
    expect(authLog).toMatch(/Z anthropic POST \/v1\/messages 200 \d+ms model=claude-sonnet-4-5 in=3 out=5/);
  });

  test('only the egress and auth containers mount the vendor socket\'s directory (auth read-only); the workspace sees no socket but its own', () => {
    const holders = ['loop', 'workspace', 'setup', 'gates', 'auth', 'bridge', 'egress'].flatMap((role) =>
      (inspect(role).Mounts as { Destination: string; RW: boolean }[]).filter((m) => m.Destination === '/run/peers/egress-auth').map((m) => `${role}:${m.RW ? 'rw' : 'ro'}`),
    );
    expect(holders.sort()).toEqual(['auth:ro', 'egress:rw']);
    // Its own runner socket dir, the loop's lifeline (read-only: it can connect, not replace it),
    // and its runner's key dir, empty: the runner took the loop's key before it served anything.
    expect(execIn('workspace', 'ls /run/peers').stdout.trim().split('\n')).toEqual(['lifeline', 'workspace', 'workspace-key']);
    expect(execIn('workspace', 'ls -A /run/peers/workspace-key | wc -l').stdout.trim()).toBe('0');
    expect(execIn('auth', 'rm -f /run/peers/egress-auth/egress.sock; echo rm=$?').stdout).toContain('rm=1');
  });
});

describe.skipIf(!need.ok)('container hardening', () => {
  test('every container, the setup container included, runs with no capabilities, no privilege gain, seccomp filtering and a read-only root', () => {
    for (const role of ROLES) {
      const r = execIn(role, 'grep -E "^(CapEff|CapPrm|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\\t " " "; touch /usr/peers-ro-probe 2>/dev/null; echo "rootfs-write=$?"');
      expect(`${role}\n${r.stdout.trim()}`).toBe(`${role}\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nNoNewPrivs: 1\nSeccomp: 2\nrootfs-write=1`);
    }
  });

  test('no container can create a user namespace: unshare -Ur and clone(CLONE_NEWUSER) fail; ordinary forks and threads work', () => {
    for (const role of ROLES) {
      const r = execIn(role, 'unshare -Ur true; echo "unshare=$?"');
      expect(`${role} ${r.stdout.trim()}`).toBe(`${role} unshare=1`);
      expect(r.stderr).toContain('unshare failed: Operation not permitted');
    }
    // clone(2) with CLONE_NEWUSER|SIGCHLD (x86_64 syscall 56), then a plain fork, then clone3 (435).
    const perl = execIn(
      'workspace',
      `perl -e 'my $r = syscall(56, 0x10000011, 0, 0, 0, 0); exit 0 if $r == 0; print "newuser=$r ", ($r < 0 ? "$!" : "created"), "\\n"; wait;
                my $f = syscall(56, 17, 0, 0, 0, 0); exit 0 if $f == 0; print "fork=", ($f > 0 ? "ok" : "$!"), "\\n"; wait;
                print "clone3=", syscall(435, 0, 0), " $!\\n"'`,
    ).stdout;
    expect(perl).toContain('newuser=-1 Operation not permitted');
    expect(perl).toContain('fork=ok');
    expect(perl).toContain('clone3=-1 Function not implemented');
    const threads = nodeIn('workspace', `const {Worker}=require('worker_threads');new Worker('require("worker_threads").parentPort.postMessage(6*7)',{eval:true}).on('message',m=>console.log('worker '+m));require('child_process').execFileSync('git',['--version'],{stdio:'inherit'})`);
    expect(threads.stdout).toContain('worker 42');
    expect(threads.stdout).toContain('git version');
  });

  test('the workspace shares no IPC with the auth sidecar: its SysV segment and /dev/shm file are invisible there (and the other way round)', () => {
    const ns = (role: string) => execIn(role, 'readlink /proc/self/ns/ipc /proc/self/ns/net').stdout.trim().split('\n');
    const [wsIpc, wsNet] = ns('workspace');
    const [authIpc, authNet] = ns('auth');
    expect(wsNet).toBe(authNet); // the one loopback they must share
    expect(wsIpc).not.toBe(authIpc);
    const made = execIn('workspace', 'ipcmk -M 4096 && ipcmk -Q && echo from-the-workspace > /dev/shm/peer-drop && ipcs -m -q | grep -c "^0x"');
    expect(made.code, made.stderr).toBe(0);
    expect(Number(made.stdout.trim().split('\n').at(-1))).toBe(2);
    const seen = execIn('auth', 'ipcs -m -q | grep -c "^0x"; ls -A /dev/shm; true');
    expect(seen.stdout.trim()).toBe('0');
    execIn('auth', 'ipcmk -M 4096 >/dev/null && echo from-auth > /dev/shm/auth-drop');
    expect(execIn('workspace', 'ls -A /dev/shm').stdout.trim()).toBe('peer-drop');
    expect(execIn('workspace', 'ipcs -m | grep -c "^0x"').stdout.trim()).toBe('1');
  });

  test('pids and memory limits are what `peers doctor` says they are on this host', () => {
    const doctor = asUser([PEERS_BIN, 'doctor', '--json'], { cwd: repo, timeoutMs: 90_000 });
    const check = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks.find((c) => c.id === 'limits')!;
    const ws = inspect('workspace').HostConfig;
    const nproc = Number(execIn('workspace', 'grep "Max processes" /proc/1/limits').stdout.trim().split(/\s+/)[2]);
    if (check.status === 'ok') {
      expect(ws.PidsLimit).toBe(4096);
      expect(ws.Memory).toBe(4096 * 1024 * 1024);
      expect(execIn('workspace', 'cat /sys/fs/cgroup/pids.max').stdout.trim()).toBe('4096');
    } else {
      expect(check.status).toBe('warn');
      expect(check.detail).toContain(`workspace ${nproc}`);
      expect(nproc).toBe(16384);
    }
  });
});

describe.skipIf(!need.ok)('audit log bounded', () => {
  test('a connection flood from the workspace keeps the audit log under its cap; the marker counts the dropped records; peers logs --egress shows them', async () => {
    const before = readAudit().length;
    const flood = nodeIn(
      'workspace',
      `const net=require('net');let done=0,refused=0,next=0;const N=2000;
       const one=()=>{if(next>=N)return;const i=next++;const s=net.connect(3128,'127.0.0.1',()=>s.write('CONNECT flood-'+i+'.example:443 HTTP/1.1\\r\\nHost: flood-'+i+'.example:443\\r\\n\\r\\n'));
         let b='';s.on('data',d=>b+=d);s.on('error',()=>{});s.on('close',()=>{if(b.startsWith('HTTP/1.1 403'))refused++;if(++done===N)console.log('refused '+refused);else one()})};
       for(let k=0;k<24;k++)one()`,
    );
    expect(flood.stdout.trim()).toBe('refused 2000');
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    expect(size(auditPath()) + size(auditPath() + ROTATED_SUFFIX)).toBeLessThanOrEqual(AUDIT_CAP);
    expect(before).toBeGreaterThan(0);
    const marker = () => parseDropMarker(readFileSync(auditPath(), 'utf8').split('\n')[0]!)?.dropped_total ?? 0;
    // Every record the proxy wrote is either still there or counted as dropped (the last ones
    // are written just after their client saw the refusal: wait for them, never for more).
    const accounted = await until(() => readAudit().length + marker(), (n) => n >= before + 2000, 40, 100);
    expect(marker()).toBeGreaterThan(0);
    expect(accounted).toBe(before + 2000);
    const shown = peers(['logs', '--egress']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`"dropped_total":${marker()}`);
    expect(shown.stdout).toContain('"host":"flood-1999.example"');
  });
});
