/**
 * The sandbox for real: `peers up` as an unprivileged user starts the rootless podman pod, and we
 * check what docs/ARCHITECTURE.md promises by inspecting the running containers (podman inspect, /proc inside
 * them), never by trusting the argv we generated. One pod serves the whole file (~3 s warm start);
 * the last tests stop it with `peers down`. Needs the workspace image (test/setup.d/podman.sh
 * builds it once per machine; ensurePodmanReady repeats that when missing).
 *
 * The allowed-host check needs an upstream without the internet: the egress container is replaced
 * by one with the same argv plus the TEST-ONLY `--test-resolve upstream.test=127.0.0.1` (accepted
 * only with PEERS_EGRESS_TEST_MODE=1; see proxy/test-resolve.ts), and a small server runs on the
 * egress container's own loopback. Everything else on the path (workspace → bridge → egress socket
 * → allow-list → audit log) is the product's.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

// Each test drives podman a few times (~1 s per exec on a loaded 2-core machine).
setDefaultTimeout(60_000);

/** The test upstream's name (mapped by the test-mode egress) and port (on the egress loopback). */
const UPSTREAM = 'upstream.test:8099';
const CANARY_ANTHROPIC = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
const CANARY_OPENAI = `sk-openai-canary-${Math.random().toString(36).slice(2)}`;

let root: string;
let repo: string;
let env: Record<string, string>;
let key: string;
let upSeconds = 0;

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const cname = (role: string) => `peers-${key}-${role}`;
const inspect = (role: string) => JSON.parse(podmanAsUser(['inspect', '--type', 'container', cname(role)]).stdout)[0];
const execIn = (role: string, script: string, timeoutMs = 60_000) => podmanAsUser(['exec', cname(role), 'sh', '-c', script], timeoutMs);
const nodeIn = (role: string, js: string) => podmanAsUser(['exec', cname(role), 'node', '-e', js], 60_000);
const probeJs = (port: number) =>
  `const s=require('net').connect(${port},'127.0.0.1');s.on('data',d=>{console.log('REACHED '+d);process.exit()});s.on('error',e=>{console.log(e.code);process.exit()})`;
/** A server "a peer left running" in the workspace; returns once the workspace itself reaches it. */
function startWorkspaceServer(port: number): void {
  podmanAsUser(['exec', '-d', cname('workspace'), 'node', '-e', `require('net').createServer(s=>s.end('tests pass\\n')).listen(${port},'127.0.0.1')`]);
  let seen = '';
  for (let i = 0; i < 25 && !seen.startsWith('REACHED'); i++) {
    seen = nodeIn('workspace', probeJs(port)).stdout.trim();
    if (!seen.startsWith('REACHED')) Bun.sleepSync(200);
  }
  expect(seen).toBe('REACHED tests pass');
}
const clone = () => join(root, 'state', 'peers', key, 'run', 'clone');
const lsJson = () => (JSON.parse(peers(['ls', '--json']).stdout).projects as { path: string; status: string; stop_reason: string | null }[]).find((p) => p.path === repo)!;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: CANARY_ANTHROPIC, OPENAI_API_KEY: CANARY_OPENAI };
  const setup = asUser(
    [
      'sh',
      '-ec',
      `cd ${root} && git init -q app && cd app && git config user.email t@e && git config user.name t && ${PEERS_BIN} init >/dev/null
       echo secret-goal > .peers/PRIVATE.txt
       echo ok > committed.txt
       git add -A && git commit -qm init`,
    ],
    { env },
  );
  expect(setup.stderr).toBe('');
  repo = join(root, 'app');
  // Two peers that just stay busy, so the loop keeps running while we look at the pod.
  const cfg = readFileSync(join(repo, '.peers/config.yaml'), 'utf8').replace(/^peers:\n(?:  .*\n|    .*\n)*/m, 'peers:\n  - name: alpha\n    tool: custom\n    argv: ["sleep", "600"]\n  - name: beta\n    tool: custom\n    argv: ["sleep", "600"]\n');
  writeFileSync(join(repo, '.peers/config.yaml'), cfg);
  const t0 = Date.now();
  const r = peers(['up', '--allow', UPSTREAM]);
  upSeconds = (Date.now() - t0) / 1000;
  expect(r.stderr).toContain('creating pod');
  // One warning only: the placeholder gate `peers init` left (this project has no test suite);
  // none about the image, which matches this peers (its recipe label). Whether the vendors' hosts
  // resolve is this machine's DNS (a machine without it is warned), not the pod's.
  const warnings = r.stderr.split('\n').filter((l) => l.includes('warning') && !l.includes('warning: vendor host '));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('placeholder-replace-me is still the placeholder');
  expect(r.code).toBe(0);
  key = podKeyOf(r.stderr);
  console.log(`e2e: peers up (warm image) took ${upSeconds.toFixed(1)} s`);
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});


/**
 * JS for the loop's container: `keyed(role, msg)` is the request line as the loop sends it, sealed
 * with that runner's per-run key (sandbox/runner-seal.ts authRequest; the keys file is the loop's).
 */
const KEYED_JS = `const keyed=(role,msg)=>{const line=JSON.stringify(msg);const k=JSON.parse(require('fs').readFileSync(process.env.PEERS_RUNNER_KEYS,'utf8'))[role];return JSON.stringify({request:line,auth:require('crypto').createHmac('sha256',Buffer.from(k,'hex')).update('request:'+line).digest('hex')})+'\\n'};`;

describe.skipIf(!need.ok)('pod topology, as podman reports it', () => {
  test('workspace, auth, bridge in one pod without network; loop, setup and gates alone without network; egress alone with one', () => {
    const pod = JSON.parse(podmanAsUser(['pod', 'inspect', `peers-${key}`]).stdout);
    const podInfo = Array.isArray(pod) ? pod[0] : pod;
    const names = (podInfo.Containers as { Name: string }[]).map((c) => c.Name).filter((n) => !n.endsWith('-infra')).sort();
    expect(names).toEqual(['auth', 'bridge', 'workspace'].map(cname).sort());
    expect(JSON.stringify(podInfo.InfraConfig)).not.toContain('slirp4netns');
    expect(inspect('workspace').HostConfig.NetworkMode).toMatch(/^container:/);
    for (const role of ['setup', 'gates', 'loop']) {
      expect(inspect(role).Pod).toBe('');
      expect(inspect(role).HostConfig.NetworkMode).toBe('none');
    }
    for (const role of ['setup', 'gates', 'loop', 'workspace']) expect(execIn(role, 'ls /sys/class/net').stdout.trim()).toBe('lo');
    const egress = inspect('egress');
    expect(egress.Pod).toBe('');
    expect(egress.HostConfig.NetworkMode).toBe('slirp4netns');
  });

  test('every container: read-only root, no capabilities at all, no-new-privileges, runs as the user', () => {
    for (const role of ['loop', 'workspace', 'setup', 'gates', 'auth', 'bridge', 'egress']) {
      const c = inspect(role);
      expect(c.HostConfig.ReadonlyRootfs).toBe(true);
      expect(c.HostConfig.SecurityOpt).toContain('no-new-privileges');
      if (c.State.Running) {
        const st = execIn(role, 'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs)" /proc/1/status; id -u').stdout;
        expect(st).toMatch(/CapEff:\s+0+\n/);
        expect(st).toMatch(/CapBnd:\s+0+\n/);
        expect(st).toMatch(/NoNewPrivs:\s+1/);
        expect(st.trim().split('\n').at(-1)).toBe(String(uid()));
      }
    }
  });

  test('limits: memory and pids via cgroups where available, else an nproc ulimit', () => {
    const c = inspect('workspace');
    const cg = podmanAsUser(['info', '--format', '{{.Host.CgroupsVersion}}']).stdout.trim();
    if (cg === 'v2') {
      expect(c.HostConfig.Memory).toBeGreaterThan(0);
      expect(c.HostConfig.PidsLimit).toBeGreaterThan(0);
    } else {
      const nproc = execIn('workspace', 'grep "Max processes" /proc/1/limits').stdout.trim().split(/\s+/)[2];
      expect(Number(nproc)).toBeGreaterThan(0);
      expect(Number(nproc)).toBeLessThan(100_000);
    }
  });

  test('the peers binary is mounted read-only in every container; nobody can replace it', () => {
    for (const role of ['loop', 'workspace', 'auth']) {
      const m = (inspect(role).Mounts as { Destination: string; RW: boolean }[]).find((x) => x.Destination === '/usr/local/bin/peers');
      expect(m?.RW).toBe(false);
    }
    expect(execIn('workspace', 'echo x > /usr/local/bin/peers').code).not.toBe(0);
    expect(execIn('workspace', 'touch /etc/x').stderr).toContain('Read-only file system');
  });

  test('the peer CLIs get a writable HOME and /tmp (scratch tmpfs owned by the user) on the read-only root', () => {
    const r = execIn('workspace', 'mkdir -p "$HOME/.config/x" && touch "$HOME/.claude.json" /tmp/scratch && stat -c "%U %a" "$HOME" && echo writable');
    expect(r.stdout).toContain('writable');
    expect(r.stdout).not.toMatch(/^root /m);
  });
});

describe.skipIf(!need.ok)('isolation from the workspace', () => {
  test('no network: direct TCP (v4, v6), UDP and DNS all fail; only loopback exists', () => {
    const r = nodeIn(
      'workspace',
      `const net=require('net'),dns=require('dns'),dgram=require('dgram'),os=require('os');
       const tcp=(host,port)=>new Promise(r=>{const s=net.connect({host,port});s.setTimeout(3000);s.on('connect',()=>{s.destroy();r('CONNECTED')});s.on('error',e=>r(e.code));s.on('timeout',()=>{s.destroy();r('timeout')})});
       (async()=>{const o={};
         o.tcp4=await tcp('1.1.1.1',443); o.tcp6=await tcp('2606:4700:4700::1111',443);
         o.dns=await new Promise(r=>dns.lookup('deb.debian.org',(e,a)=>r(e?e.code:'RESOLVED '+a)));
         o.udp=await new Promise(r=>{const s=dgram.createSocket('udp4');s.send('x',53,'8.8.8.8',e=>{s.close();r(e?e.code:'SENT')})});
         o.ifaces=Object.keys(os.networkInterfaces());
         console.log(JSON.stringify(o))})()`,
    );
    const o = JSON.parse(r.stdout);
    expect(o.tcp4).toBe('ENETUNREACH');
    expect(o.tcp6).toBe('ENETUNREACH');
    expect(o.dns).not.toMatch(/^RESOLVED/);
    expect(o.udp).not.toBe('SENT');
    expect(o.ifaces).toEqual(['lo']);
  });

  test('through the proxy: an allowed host answers (local test upstream), a disallowed one is refused, both audited', () => {
    // Same egress container as `peers up` makes it, plus the test-only resolver override.
    const plan = JSON.parse(peers(['up', '--dry-run', 'podman', '--json', '--allow', UPSTREAM]).stdout) as { create_containers: { role: string; argv: string[] }[] };
    const argv = plan.create_containers.find((c) => c.role === 'egress')!.argv;
    expect(argv).toContain(cname('egress'));
    expect(podmanAsUser(['rm', '-f', '-t', '0', cname('egress')]).code).toBe(0);
    const created = podmanAsUser([argv[0]!, '--env', 'PEERS_EGRESS_TEST_MODE=1', ...argv.slice(1), '--test-resolve', `${UPSTREAM.split(':')[0]}=127.0.0.1`]);
    expect(created.code, created.stderr).toBe(0);
    expect(podmanAsUser(['start', cname('egress')]).code).toBe(0);
    podmanAsUser(['exec', '-d', cname('egress'), 'node', '-e', `require('http').createServer((q,r)=>r.end('hello from the e2e upstream: '+q.method+' '+q.url)).listen(8099,'127.0.0.1')`]);
    const connect = (target: string, request: string) =>
      nodeIn(
        'workspace',
        `const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT ${target} HTTP/1.1\\r\\nHost: ${target}\\r\\n\\r\\n'));
         let buf='',sent=false;s.setTimeout(15000,()=>{console.log(buf||'timeout');process.exit()});
         s.on('data',d=>{buf+=d;if(!sent&&buf.includes('\\r\\n\\r\\n')){if(!buf.startsWith('HTTP/1.1 200')){console.log(buf.split('\\r\\n')[0]);process.exit()}sent=true;buf='';s.write(${JSON.stringify(request)})}});
         s.on('end',()=>{console.log(JSON.stringify(buf));process.exit()});s.on('error',e=>{console.log(e.code);process.exit()})`,
      ).stdout.trim();
    // The egress and its upstream take a moment to listen: retry the allowed request briefly.
    let allowed = '';
    for (let i = 0; i < 20 && !allowed.includes('hello from'); i++) {
      allowed = connect(UPSTREAM, `GET /from-the-workspace HTTP/1.1\r\nHost: ${UPSTREAM}\r\nConnection: close\r\n\r\n`);
      if (!allowed.includes('hello from')) Bun.sleepSync(300);
    }
    expect(allowed).toContain('hello from the e2e upstream');
    const answer = JSON.parse(allowed) as string;
    expect(answer).toStartWith('HTTP/1.1 200 OK');
    expect(answer).toContain('hello from the e2e upstream: GET /from-the-workspace');
    expect(connect('example.com:443', '')).toMatch(/^HTTP\/1\.1 403/);
    // Mapped for the test does not mean allowed: another port of the same name is refused.
    expect(connect('upstream.test:443', '')).toMatch(/^HTTP\/1\.1 403/);
    const auditPath = join(root, 'state', 'peers', key, 'sidecars', 'egress', 'egress.jsonl');
    const readAudit = () => readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string; port: number; decision: string; reason?: string });
    // A tunnel's record is written when it closes, a moment after the client saw the end.
    for (let i = 0; i < 25 && !readAudit().some((a) => a.host === 'upstream.test' && a.decision === 'allow'); i++) Bun.sleepSync(200);
    const audit = readAudit();
    const denied = audit.find((a) => a.host === 'example.com')!;
    expect(denied.decision).toBe('deny');
    expect(denied.reason).toContain('not on the egress allow-list');
    expect(audit.filter((a) => a.host === 'upstream.test').map((a) => [a.port, a.decision])).toContainEqual([8099, 'allow']);
    expect(audit.filter((a) => a.host === 'upstream.test').map((a) => [a.port, a.decision])).toContainEqual([443, 'deny']);
  });

  test('a server a peer leaves running in the workspace is invisible to the gates container and the loop (no shared loopback)', () => {
    startWorkspaceServer(5055);
    expect(nodeIn('gates', probeJs(5055)).stdout.trim()).toBe('ECONNREFUSED');
    expect(nodeIn('loop', probeJs(5055)).stdout.trim()).toBe('ECONNREFUSED');
  });

  test('gates judge the committed HEAD only: uncommitted files and a leftover workspace server do not make them pass', () => {
    execIn('workspace', 'echo sneaky > /work/uncommitted.txt');
    startWorkspaceServer(5056);
    const head = asUser(['git', '-C', repo, 'rev-parse', 'HEAD']).stdout.trim();
    const goal = (id: string, cmd: string) => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 });
    // The loop's two steps by hand: a checkout from the mirror in the setup container, the gates in
    // the gates container. The runners seal what they answer (sandbox/runner-seal.ts); this stand-in
    // for the loop opens the seal without checking it.
    const call = (socketVar: string, argv: string[], stdin: unknown) => {
      const r = nodeIn(
        'loop',
        `${KEYED_JS}const s=require('net').connect(process.env.${socketVar});let buf='';
         s.on('connect',()=>s.write(keyed('${socketVar === 'PEERS_RUNNER_SETUP' ? 'setup' : 'gates'}',{type:'run',argv:${JSON.stringify(argv)},cwd:'/tmp',env:{},stdin:${JSON.stringify(JSON.stringify(stdin))},limits:{}})));
         s.on('data',d=>buf+=d);s.on('end',()=>{const m=buf.trim().split('\\n').map(JSON.parse).map(m=>m.sealed?JSON.parse(m.sealed):m).find(m=>m.type==='exit');console.log(JSON.stringify(m.result))})`,
      );
      const result = JSON.parse(r.stdout);
      expect(result.exitCode, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    };
    const prepared = call('PEERS_RUNNER_SETUP', ['/usr/local/bin/peers', 'runner', '--prepare-checkout'], { head });
    expect(prepared.dir).toStartWith('/checkouts/');
    const results = call('PEERS_RUNNER_GATES', ['/usr/local/bin/peers', 'runner', '--probe-gates'], {
      dir: prepared.dir,
      head,
      timeoutS: 30,
      jobs: 3,
      goals: [
        goal('committed-file', 'grep -qx ok committed.txt'),
        goal('uncommitted-file', 'test -f uncommitted.txt'),
        goal('leftover-server', `node -e "require('net').connect(5056,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"`),
      ],
    }) as { id: string; state: string }[];
    expect(Object.fromEntries(results.map((g) => [g.id, g.state]))).toEqual({ 'committed-file': 'pass', 'uncommitted-file': 'fail', 'leftover-server': 'fail' });
    expect(existsSync(join(clone(), 'uncommitted.txt'))).toBe(true);
    expect(existsSync(join(repo, 'uncommitted.txt'))).toBe(false);
  });

  test('gates reach the egress proxy through their own private bridge (for `setup`), and it polices them', () => {
    const r = nodeIn(
      'gates',
      `const s=require('net').connect(3128,'127.0.0.1',()=>s.write('CONNECT example.com:443 HTTP/1.1\\r\\nHost: example.com:443\\r\\n\\r\\n'));s.on('data',d=>{console.log(String(d).split('\\r\\n')[0]);process.exit()});s.on('error',e=>{console.log(e.code);process.exit()})`,
    );
    expect(r.stdout.trim()).toBe('HTTP/1.1 403 Forbidden');
  });

  test('gate code cannot remove or replace the egress socket (read-only for all but egress)', () => {
    // The gates' own listener (egress-gates), the one their bridge reaches.
    const r = execIn('gates', 'test -S /run/peers/egress-gates/egress.sock && echo present; rm -f /run/peers/egress-gates/egress.sock; echo rm=$?; touch /run/peers/egress-gates/fake; echo touch=$?; test -e /run/peers/egress || echo no-workspace-listener');
    expect(r.stdout).toContain('present');
    expect(r.stdout).toContain('no-workspace-listener');
    expect(r.stdout).toContain('rm=1');
    expect(r.stdout).toContain('touch=1');
    expect(r.stderr).toContain('Read-only file system');
  });

  test('the workspace cannot read .peers/, the state dir, or the gates socket; the loop cannot change the snapshot', () => {
    expect(execIn('workspace', 'cat /work/.peers/PRIVATE.txt').code).not.toBe(0);
    // An empty, read-only, root-owned tmpfs lies over it: nothing to read, nothing to plant.
    expect(execIn('workspace', 'ls -A /work/.peers').stdout.trim()).toBe('');
    expect(execIn('workspace', 'touch /work/.peers/goals.yaml').code).not.toBe(0);
    expect(execIn('workspace', 'ls /state').code).not.toBe(0);
    // Its own runner socket dir, the loop's lifeline (read-only: it can connect, not replace it) and
    // its runner's key dir (the runner takes the key from it before it serves).
    expect(execIn('workspace', 'ls /run/peers').stdout.trim().split('\n')).toEqual(['lifeline', 'workspace', 'workspace-key']);
    // …while the run clone is writable there (and only the clone: the user's tree never sees it).
    expect(execIn('workspace', 'touch /work/peer-was-here && echo ok').stdout.trim()).toBe('ok');
    expect(existsSync(join(clone(), 'peer-was-here'))).toBe(true);
    expect(existsSync(join(repo, 'peer-was-here'))).toBe(false);
    // The loop has the state dir but not the user's repository, and its snapshot is read-only.
    expect(execIn('loop', 'ls /state').stdout).toContain('snapshot');
    expect(execIn('loop', 'ls -A /work 2>/dev/null; true').stdout.trim()).toBe('');
    expect(execIn('loop', 'grep -c alpha /state/snapshot/config.yaml').stdout.trim()).not.toBe('0');
    const w = execIn('loop', 'echo "goals: []" > /state/snapshot/goals.yaml');
    expect(w.code).not.toBe(0);
    expect(w.stderr).toContain('Read-only file system');
    expect(execIn('loop', 'touch /state/snapshot/new').code).not.toBe(0);
  });

  test('the loop runs processes in the workspace over the runner socket (real protocol, across containers)', () => {
    const r = nodeIn(
      'loop',
      `${KEYED_JS}const s=require('net').connect(process.env.PEERS_RUNNER_WORKSPACE);let buf='';
       s.on('connect',()=>s.write(keyed('workspace',{type:'run',argv:['sh','-c','for f in /proc/[0-9]*/cmdline; do tr "\\\\0" " " < $f; echo; done | grep -c "^/usr/local/bin/[p]eers runner --socket /run/peers/workspace/runner.sock"; echo "base=$ANTHROPIC_BASE_URL"; ls -A /work/.peers | wc -l; cat'],cwd:'/work',env:{},stdin:'from-the-loop',limits:{}})));
       s.on('data',d=>buf+=d);s.on('end',()=>{const msgs=buf.trim().split('\\n').map(JSON.parse).map(m=>m.sealed?JSON.parse(m.sealed):m);console.log(JSON.stringify(msgs.find(m=>m.type==='exit').result))})`,
    );
    const result = JSON.parse(r.stdout);
    expect(result.endedBy).toBe('exit');
    expect(result.exitCode).toBe(0);
    const [runners, base, peersEntries, stdin] = (result.stdout as string).trim().split('\n');
    // The workspace's own runner (its PID namespace is its own: the loop is not visible there).
    expect(runners).toBe('1');
    expect(base).toBe('base=http://127.0.0.1:8080');
    expect(peersEntries!.trim()).toBe('0');
    expect(stdin).toBe('from-the-loop');
  });

  test('no credential anywhere in the workspace: environment, processes, files', () => {
    const scan = execIn('workspace', `env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; grep -rs -l -e sk-ant-canary -e sk-openai-canary /work /home /tmp /run /etc 2>/dev/null; true`).stdout;
    expect(scan).not.toContain(CANARY_ANTHROPIC);
    expect(scan).not.toContain(CANARY_OPENAI);
    expect(scan).toContain('ANTHROPIC_BASE_URL=http://127.0.0.1:8080');
    // The keys did reach the auth sidecar (so the scan above was looking for something real).
    const auth = inspect('auth').Config.Env as string[];
    expect(auth).toContain(`ANTHROPIC_API_KEY=${CANARY_ANTHROPIC}`);
    for (const role of ['loop', 'workspace', 'setup', 'gates', 'bridge', 'egress']) expect(JSON.stringify(inspect(role).Config.Env)).not.toContain('canary');
  });
});

describe.skipIf(!need.ok)('lifecycle', () => {
  test('ls shows the project running; logs show the loop and the egress audit; up again changes nothing', () => {
    expect(lsJson().status).toBe('running');
    // `peers status NAME` reconciles with podman the same way (the registry name is the basename).
    const st = peers(['status', 'app', '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ name: 'app', path: repo, status: 'running' });
    expect(JSON.parse(st.stdout).containers.find((c: { role: string }) => c.role === 'loop').status).toBe('running');
    expect(peers(['logs']).stdout).toContain('tick 1');
    expect(peers(['logs', '--egress']).stdout).toContain('"host":"example.com"');
    const r = peers(['up']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('already running');
  });

  let repoBefore = '';
  test('a killed loop shows as crashed', () => {
    // What a peer plants in its clone while it runs (checked after `down`, below; the workspace
    // stops with the loop, so it is planted now).
    repoBefore = asUser(['sh', '-c', `cd ${repo} && cat .git/config; ls -A .git/hooks`]).stdout;
    execIn('workspace', `mkdir -p /work/.git/hooks && printf '#!/bin/sh\\necho pwned\\n' > /work/.git/hooks/post-checkout && chmod +x /work/.git/hooks/post-checkout && git -C /work config core.fsmonitor "touch /tmp/pwned"`);
    podmanAsUser(['kill', cname('loop')]);
    expect(lsJson().status).toBe('crashed');
    expect(JSON.parse(peers(['status', '--json']).stdout).status).toBe('crashed');
  });

  test('down removes everything; what a peer plants in its clone never reaches the user\'s repository, and down says so', () => {
    const before = repoBefore;
    const t0 = Date.now();
    const r = peers(['down', '--grace', '5']);
    console.log(`e2e: peers down took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('your repository: unchanged since `peers up`');
    expect(existsSync(join(clone(), '.git/hooks/post-checkout'))).toBe(true);
    expect(existsSync(join(repo, '.git/hooks/post-checkout'))).toBe(false);
    expect(asUser(['git', '-C', repo, 'config', '--local', '--get', 'core.fsmonitor']).code).toBe(1);
    expect(asUser(['sh', '-c', `cd ${repo} && cat .git/config; ls -A .git/hooks`]).stdout).toBe(before);
    expect(podmanAsUser(['ps', '-a', '--filter', `label=peers.project=${key}`, '--format', '{{.Names}}']).stdout.trim()).toBe('');
    expect(podmanAsUser(['pod', 'exists', `peers-${key}`]).code).not.toBe(0);
    // The loop was killed before this down, so the run stays marked crashed, not stopped.
    expect(lsJson().status).toBe('crashed');
  });

  test('up after down starts again; down during a tick stops the loop cleanly (stopped, interrupted); --purge drops the gate cache', () => {
    expect(peers(['up']).code).toBe(0);
    expect(lsJson().status).toBe('running');
    Bun.sleepSync(1500);
    expect(podmanAsUser(['volume', 'exists', `peers-${key}-gates-cache`]).code).toBe(0);
    const r = peers(['down', '--grace', '10', '--purge']);
    expect(r.code).toBe(0);
    expect(podmanAsUser(['volume', 'exists', `peers-${key}-gates-cache`]).code).not.toBe(0);
    const row = lsJson();
    expect(row.stop_reason).toBe('interrupted');
    expect(row.status).toBe('stopped');
  });

  test('down leaves nothing behind even when a container is already gone (podman rm of a missing name)', () => {
    expect(peers(['up']).code).toBe(0);
    expect(podmanAsUser(['rm', '-f', '-t', '0', cname('gates')]).code).toBe(0);
    expect(podmanAsUser(['rm', '-f', '-t', '0', cname('setup')]).code).toBe(0);
    expect(peers(['down', '--grace', '5']).code).toBe(0);
    expect(podmanAsUser(['ps', '-a', '--filter', `label=peers.project=${key}`, '--format', '{{.Names}}']).stdout.trim()).toBe('');
    expect(podmanAsUser(['pod', 'exists', `peers-${key}`]).code).not.toBe(0);
  });
});
