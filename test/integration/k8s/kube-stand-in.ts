/**
 * A stand-in for a Kubernetes API server and the node behind it, for the calls `peers up --target
 * k8s`, `status`, `logs` and `down` make, speaking the real REST shapes: objects created with
 * POST (201, 409 AlreadyExists as a Status), replaced with PUT, read and listed by label selector
 * (PodList), deleted (the object back, 404 NotFound as a Status), a container's log (text/plain,
 * chunked while `follow=true`), and exec as the API server serves it: a websocket upgrade of GET
 * …/pods/NAME/exec?command=…&container=…, subprotocol v5.channel.k8s.io (v4 when v5 is not
 * offered), one byte of channel before each frame (0 stdin, 1 stdout, 2 stderr, 3 the final
 * Status, 255 close-a-channel in v5).
 *
 * The "node" runs a Pod's containers as far as the client can see them: an exec runs its command
 * on this machine with the container's mounts mapped onto directories (a claim is one directory
 * shared by every Pod mounting it, with its subPath), so `peers k8s unpack`, `peers k8s pack`
 * and git run for real on what the client delivered; `/usr/local/bin/peers` is the compiled
 * binary the image would carry. A run Pod's init container completes once the delivery marker it
 * waits for (`--await-delivery`) exists, as the real one does. What a loop would do (commit,
 * log, stop on SIGTERM) the test does through `onExec`, `appendLog` and `setContainer`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { V1ContainerStatus, V1Pod, V1Status } from '@kubernetes/client-node';
import type { ServerWebSocket } from 'bun';

export type SeenRequest = { method: string; path: string; query: Record<string, string | string[]>; auth: string | null; body?: unknown; protocol?: string };
export type ContainerState = 'waiting' | 'running' | { exitCode: number };
type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown }; [k: string]: unknown };
type ExecData = { ns: string; pod: string; container: string; argv: string[]; protocol: string; child?: ChildProcess };
/** What a test answers in place of running a command (e.g. the loop's PID 1 receiving SIGTERM). */
export type ExecHook = (e: { ns: string; pod: string; container: string; argv: string[] }) => { code: number; stdout?: string } | undefined;

const PEERS_BIN_IN_IMAGE = '/usr/local/bin/peers';
const COMPILED_PEERS = resolve(import.meta.dir, '..', '..', '..', 'dist', 'peers');
const SUPPORTED_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const status = (code: number, reason: string, message: string) =>
  Response.json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }, { status: code });

/** Where each collection lives: /api/v1/… for the core group, /apis/networking.k8s.io/v1/… for policies. */
const COLLECTION = /^\/(?:api\/v1|apis\/networking\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/(namespaces|pods|secrets|configmaps|persistentvolumeclaims|networkpolicies)(?:\/([^/]+))?(?:\/(log|exec))?$/;

function selects(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string];
    return labels?.[k] === v;
  });
}

export class KubeStandIn {
  readonly requests: SeenRequest[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly containers = new Map<string, ContainerState>();
  private readonly logs = new Map<string, { text: string; followers: Set<ReadableStreamDefaultController<Uint8Array>> }>();
  private server!: ReturnType<typeof Bun.serve<ExecData>>;
  onExec: ExecHook = () => undefined;

  /**
   * `root` holds the node's directories: claims/<claim>, pods/<pod>/<volume>. `protocols`: the
   * exec subprotocols this server speaks, best first (an API server before v5 speaks v4 only).
   */
  constructor(
    readonly root: string,
    private readonly protocols: string[] = SUPPORTED_PROTOCOLS,
  ) {}

  private cert = '';

  get url(): string {
    return `https://127.0.0.1:${this.server.port}`;
  }

  /** Serves HTTPS with a certificate of its own (client-node refuses plain HTTP), trusted through the kubeconfig. */
  start(): this {
    const tls = join(this.root, 'tls');
    mkdirSync(tls, { recursive: true });
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tls, 'key.pem'), '-out', join(tls, 'cert.pem'), '-days', '1', '-subj', '/CN=kube-stand-in', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl could not make the stand-in's certificate: ${r.stderr}`);
    this.cert = readFileSync(join(tls, 'cert.pem'), 'utf8');
    this.server = Bun.serve<ExecData>({
      port: 0,
      hostname: '127.0.0.1',
      // A followed log stays open as long as its container runs.
      idleTimeout: 0,
      tls: { cert: this.cert, key: readFileSync(join(tls, 'key.pem'), 'utf8') },
      fetch: (req, server) => this.handle(req, server),
      websocket: {
        open: (ws) => this.startExec(ws),
        message: (ws, msg) => this.execInput(ws, typeof msg === 'string' ? Buffer.from(msg) : msg),
        close: (ws) => {
          // v4 has no close frame for stdin: the client closes the socket.
          ws.data.child?.stdin?.end();
        },
      },
    });
    return this;
  }

  stop(): void {
    this.server.stop(true);
  }

  /** A kubeconfig for this server: one context, its CA, a bearer token. */
  kubeconfig(token: string): string {
    return `apiVersion: v1
kind: Config
current-context: stand-in
contexts:
  - name: stand-in
    context: { cluster: local, user: u }
clusters:
  - name: local
    cluster: { server: "${this.url}", certificate-authority-data: ${Buffer.from(this.cert).toString('base64')} }
users:
  - name: u
    user: { token: ${token} }
`;
  }

  /** Objects of a kind as stored (what was applied). */
  stored(kind: string): Obj[] {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }

  claimDir(claim: string): string {
    return join(this.root, 'claims', claim);
  }

  setContainer(pod: string, container: string, state: ContainerState): void {
    this.containers.set(`${pod}/${container}`, state);
    const followers = this.logs.get(`${pod}/${container}`)?.followers;
    if (typeof state !== 'object' || !followers) return;
    // The container ended: every followed log ends with it.
    for (const c of followers) c.close();
    followers.clear();
  }

  appendLog(pod: string, container: string, text: string): void {
    const l = this.log(pod, container);
    l.text += text;
    for (const c of l.followers) c.enqueue(new TextEncoder().encode(text));
  }

  followers(pod: string, container: string): number {
    return this.log(pod, container).followers.size;
  }

  private log(pod: string, container: string) {
    const k = `${pod}/${container}`;
    if (!this.logs.has(k)) this.logs.set(k, { text: '', followers: new Set() });
    return this.logs.get(k)!;
  }

  private async handle(req: Request, server: Bun.Server<ExecData>): Promise<Response | undefined> {
    const url = new URL(req.url);
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(k);
      query[k] = k === 'command' ? all : all[0]!;
    }
    const text = req.method === 'GET' ? '' : await req.text();
    const seen: SeenRequest = { method: req.method, path: url.pathname, query, auth: req.headers.get('authorization'), ...(text ? { body: JSON.parse(text) } : {}) };
    this.requests.push(seen);
    const m = COLLECTION.exec(url.pathname);
    if (!m) return status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`);
    const [, ns, resource, name, sub] = m as unknown as [string, string | undefined, string, string | undefined, string | undefined];

    if (sub === 'exec') {
      const offered = (req.headers.get('sec-websocket-protocol') ?? '').split(',').map((s) => s.trim());
      const protocol = this.protocols.find((p) => offered.includes(p));
      seen.protocol = protocol;
      if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !protocol) return status(400, 'BadRequest', 'Upgrade request required');
      const argv = query.command as string[];
      const container = query.container as string;
      if (!this.podSpec(ns!, name!)?.containers.concat(this.podSpec(ns!, name!)?.initContainers ?? []).some((c) => c.name === container)) return status(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
      if (!this.isRunning(ns!, name!, container)) return status(400, 'BadRequest', `container ${container} is not running`);
      server.upgrade(req, { data: { ns: ns!, pod: name!, container, argv, protocol }, headers: { 'Sec-WebSocket-Protocol': protocol } });
      return undefined;
    }
    if (sub === 'log') return this.podLog(ns!, name!, String(query.container), query.follow === 'true');

    const collectionKey = `${resource}/${ns ?? ''}`;
    const key = (n: string) => `${collectionKey}/${n}`;
    if (req.method === 'POST' && !name) {
      const body = JSON.parse(text) as Obj;
      if (this.objects.has(key(body.metadata.name))) return status(409, 'AlreadyExists', `${resource} "${body.metadata.name}" already exists`);
      const stored = { ...body, metadata: { ...body.metadata, ...(ns ? { namespace: ns } : {}), uid: crypto.randomUUID(), resourceVersion: String(this.requests.length), creationTimestamp: new Date().toISOString() } };
      this.objects.set(key(body.metadata.name), stored);
      if (resource === 'pods') this.schedule(stored);
      return Response.json(this.withStatus(stored), { status: 201 });
    }
    if (req.method === 'PUT' && name) {
      if (!this.objects.has(key(name))) return status(404, 'NotFound', `${resource} "${name}" not found`);
      const stored = JSON.parse(text) as Obj;
      this.objects.set(key(name), stored);
      return Response.json(stored);
    }
    if (req.method === 'DELETE' && name) {
      const o = this.objects.get(key(name));
      if (!o) return status(404, 'NotFound', `${resource} "${name}" not found`);
      this.objects.delete(key(name));
      if (resource === 'pods') for (const c of this.podSpec(ns!, name, o)?.containers ?? []) this.setContainer(name, c.name, { exitCode: 137 });
      return Response.json(resource === 'pods' ? this.withStatus(o) : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource } });
    }
    if (req.method === 'GET' && name) {
      const o = this.objects.get(key(name));
      return o ? Response.json(this.withStatus(o)) : status(404, 'NotFound', `${resource} "${name}" not found`);
    }
    if (req.method === 'GET') {
      const items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(`${resource}/`) && (!ns || o.metadata.namespace === ns) && selects(query.labelSelector as string | undefined, o.metadata.labels)).map(([, o]) => this.withStatus(o));
      const kind = { pods: 'PodList', namespaces: 'NamespaceList' }[resource as string] ?? 'List';
      return Response.json({ kind, apiVersion: 'v1', metadata: { resourceVersion: String(this.requests.length) }, items });
    }
    return status(405, 'MethodNotAllowed', `${req.method} is not supported on ${url.pathname}`);
  }

  private podSpec(ns: string, pod: string, o = this.objects.get(`pods/${ns}/${pod}`)) {
    return (o as V1Pod | undefined)?.spec;
  }

  /** A new Pod: its init container runs; a Pod without one that waits for a delivery starts at once. */
  private schedule(o: Obj): void {
    const spec = (o as V1Pod).spec!;
    const name = o.metadata.name;
    for (const c of spec.initContainers ?? []) this.setContainer(name, c.name, awaitsDelivery(c.command) ? 'running' : { exitCode: 0 });
    const initDone = (spec.initContainers ?? []).every((c) => typeof this.containers.get(`${name}/${c.name}`) === 'object');
    for (const c of spec.containers) this.setContainer(name, c.name, initDone ? 'running' : 'waiting');
  }

  /** The init container that waits for the delivery ends once its marker exists (as `peers k8s init` does). */
  private progress(ns: string, pod: string): void {
    const spec = this.podSpec(ns, pod);
    if (!spec) return;
    for (const c of spec.initContainers ?? []) {
      if (this.containers.get(`${pod}/${c.name}`) !== 'running') continue;
      const marker = awaitsDelivery(c.command);
      if (marker && existsSync(this.hostPath(ns, pod, c.name, marker))) {
        this.setContainer(pod, c.name, { exitCode: 0 });
        for (const k of spec.containers) if (this.containers.get(`${pod}/${k.name}`) === 'waiting') this.setContainer(pod, k.name, 'running');
      }
    }
  }

  private isRunning(ns: string, pod: string, container: string): boolean {
    this.progress(ns, pod);
    return this.containers.get(`${pod}/${container}`) === 'running';
  }

  private withStatus(o: Obj): Obj {
    if (o.kind !== 'Pod') return o;
    const ns = o.metadata.namespace!;
    const name = o.metadata.name;
    this.progress(ns, name);
    const spec = (o as V1Pod).spec!;
    const started = new Date(o.metadata.creationTimestamp as string);
    const statusOf = (c: { name: string; image?: string }): V1ContainerStatus => {
      const s = this.containers.get(`${name}/${c.name}`) ?? 'waiting';
      const state =
        s === 'running'
          ? { running: { startedAt: started } }
          : s === 'waiting'
            ? { waiting: { reason: 'PodInitializing' } }
            : { terminated: { exitCode: s.exitCode, reason: s.exitCode === 0 ? 'Completed' : 'Error', startedAt: started, finishedAt: new Date() } };
      return { name: c.name, image: c.image ?? '', imageID: '', ready: s === 'running', restartCount: 0, started: s === 'running', state };
    };
    const initDone = (spec.initContainers ?? []).every((c) => typeof this.containers.get(`${name}/${c.name}`) === 'object');
    return {
      ...o,
      status: {
        phase: initDone ? 'Running' : 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        ...(spec.initContainers ? { initContainerStatuses: spec.initContainers.map(statusOf) } : {}),
        containerStatuses: spec.containers.map(statusOf),
      },
    };
  }

  /** GET …/log: what the container wrote; with follow=true the response stays open until it ends. */
  private podLog(ns: string, pod: string, container: string, follow: boolean): Response {
    if (!this.podSpec(ns, pod)) return status(404, 'NotFound', `pods "${pod}" not found`);
    const l = this.log(pod, container);
    if (!follow) return new Response(l.text, { headers: { 'content-type': 'text/plain' } });
    const ended = typeof this.containers.get(`${pod}/${container}`) === 'object';
    let me: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        me = c;
        if (l.text) c.enqueue(new TextEncoder().encode(l.text));
        if (ended) c.close();
        else l.followers.add(c);
      },
      cancel: () => {
        l.followers.delete(me);
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' } });
  }

  /** A path inside a container → the node directory its mount maps to. */
  private hostPath(ns: string, pod: string, container: string, path: string): string {
    const spec = this.podSpec(ns, pod)!;
    const c = [...(spec.initContainers ?? []), ...spec.containers].find((x) => x.name === container)!;
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
    for (const m of mounts) {
      if (path !== m.mountPath && !path.startsWith(`${m.mountPath}/`)) continue;
      const v = spec.volumes!.find((x) => x.name === m.name)!;
      const base = v.persistentVolumeClaim ? this.claimDir(v.persistentVolumeClaim.claimName) : join(this.root, 'pods', pod, v.name);
      mkdirSync(base, { recursive: true });
      return join(base, m.subPath ?? '', path.slice(m.mountPath.length));
    }
    return join(this.root, 'pods', pod, `${container}-root`, path);
  }

  /** argv as the container sees it → argv on this machine: mount paths mapped, the image's peers binary. */
  private hostArgv(d: ExecData): string[] {
    const spec = this.podSpec(d.ns, d.pod)!;
    const c = [...(spec.initContainers ?? []), ...spec.containers].find((x) => x.name === d.container)!;
    const mountPaths = (c.volumeMounts ?? []).map((m) => m.mountPath).sort((a, b) => b.length - a.length);
    // One pass: a mapped path is never mapped again.
    const anyMount = new RegExp(`(^|[=\\s'"])(${mountPaths.map((mp) => mp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?=$|[/\\s'"])`, 'g');
    const mapArg = (arg: string) => (arg === PEERS_BIN_IN_IMAGE ? COMPILED_PEERS : mountPaths.length ? arg.replace(anyMount, (_, pre: string, mp: string) => pre + this.hostPath(d.ns, d.pod, d.container, mp)) : arg);
    return d.argv.map(mapArg);
  }

  private frame(channel: number, data: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from([channel]), data]);
  }

  private finish(ws: ServerWebSocket<ExecData>, code: number, message?: string): void {
    const s: V1Status =
      code === 0
        ? { metadata: {}, status: 'Success' }
        : { metadata: {}, status: 'Failure', message: message ?? `command terminated with non-zero exit code: error executing command [${ws.data.argv.join(' ')}]: exit status ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
    ws.send(this.frame(3, Buffer.from(JSON.stringify(s))));
    ws.close(1000);
    this.progress(ws.data.ns, ws.data.pod);
  }

  private startExec(ws: ServerWebSocket<ExecData>): void {
    const d = ws.data;
    const hooked = this.onExec({ ns: d.ns, pod: d.pod, container: d.container, argv: d.argv });
    if (hooked) {
      if (hooked.stdout) ws.send(this.frame(1, Buffer.from(hooked.stdout)));
      this.finish(ws, hooked.code);
      return;
    }
    const argv = this.hostArgv(d);
    const home = this.hostPath(d.ns, d.pod, d.container, '/tmp');
    mkdirSync(home, { recursive: true });
    const child = spawn(argv[0]!, argv.slice(1), { cwd: home, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, NO_COLOR: '1' } });
    d.child = child;
    child.stdin!.on('error', () => undefined);
    child.stdout!.on('data', (b: Buffer) => ws.send(this.frame(1, b)));
    child.stderr!.on('data', (b: Buffer) => ws.send(this.frame(2, b)));
    child.on('error', (e) => {
      ws.send(this.frame(2, Buffer.from(`${e.message}\n`)));
      this.finish(ws, 126);
    });
    child.on('close', (code) => this.finish(ws, code ?? 1));
  }

  private execInput(ws: ServerWebSocket<ExecData>, msg: Buffer): void {
    const child = ws.data.child;
    if (!child || !msg.length) return;
    if (msg[0] === 0) child.stdin!.write(msg.subarray(1));
    else if (msg[0] === 255 && msg[1] === 0 && ws.data.protocol === 'v5.channel.k8s.io') child.stdin!.end();
  }
}

/** The delivery marker an init container waits for (`peers k8s init --await-delivery PATH`). */
function awaitsDelivery(command: string[] | undefined): string | undefined {
  const i = command?.indexOf('--await-delivery') ?? -1;
  return i >= 0 ? command![i + 1] : undefined;
}
