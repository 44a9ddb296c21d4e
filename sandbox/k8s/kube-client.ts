/**
 * The one place peers talks to a Kubernetes API server, through @kubernetes/client-node (its
 * kubeconfig handling: contexts, certificates, tokens, exec credential plugins; its typed API
 * calls; its exec channel protocol). Two adapters make it run inside the Bun binary as it does on
 * Node: HTTP goes through Bun's fetch with the kubeconfig's TLS material (Bun's built-in `undici`
 * ignores the dispatcher client-node passes), and exec's websocket is Bun's own WebSocket with the
 * same headers and TLS. Loaded only for `--target k8s` and projects registered on a cluster.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import {
  CoreV1Api,
  createConfiguration,
  Exec,
  KubeConfig,
  NetworkingV1Api,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
  type V1ConfigMap,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Secret,
  type V1Status,
} from '@kubernetes/client-node';
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { InputError, PeersError } from '../../src/cli/errors.ts';
import type { K8sObject } from './k8s-render.ts';

type Tls = { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean; serverName?: string };
export type ExecResult = { code: number; message?: string };
export type ApplyResult = 'created' | 'replaced' | 'kept';

const FIELD_MANAGER = 'peers';

function httpStatus(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function apiMessage(e: unknown): string {
  const body = (e as { body?: unknown })?.body;
  try {
    const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string } | undefined);
    if (parsed?.message) return parsed.message;
  } catch {
    // not JSON: fall through
  }
  return (e as Error)?.message?.split('\n')[0] ?? String(e);
}

export class KubeCluster {
  private constructor(
    private readonly kc: KubeConfig,
    private readonly tls: Tls,
    private readonly core: CoreV1Api,
    private readonly net: NetworkingV1Api,
    readonly context: string,
    readonly server: string,
  ) {}

  /** The kubeconfig's context (default: its current one): KUBECONFIG, ~/.kube/config, or in-cluster. */
  static async connect(o: { context?: string } = {}): Promise<KubeCluster> {
    const kc = new KubeConfig();
    try {
      kc.loadFromDefault();
    } catch (e) {
      throw new InputError(`cannot read your kubeconfig: ${(e as Error).message}`, { hint: 'set KUBECONFIG or create ~/.kube/config (kubectl config view shows what peers reads)' });
    }
    if (o.context) {
      if (!kc.getContexts().some((c) => c.name === o.context)) throw new InputError(`no context named ${o.context} in your kubeconfig`, { hint: `kubectl config get-contexts lists them: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}` });
      kc.setCurrentContext(o.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new InputError('your kubeconfig has no current cluster', { hint: 'kubectl config use-context NAME, or pass --context NAME' });
    // client-node refuses plain HTTP unless TLS checks are off: said here as the input error it is.
    if (cluster.server.startsWith('http://') && !cluster.skipTLSVerify) {
      throw new InputError(`the cluster of context ${kc.getCurrentContext()} is served over plain HTTP (${cluster.server}): credentials would cross the network in the clear`, { hint: 'use the https:// address of the API server in your kubeconfig' });
    }
    const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string } = {};
    await kc.applyToHTTPSOptions(opts);
    const tls: Tls = { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, serverName: opts.servername };
    const httpApi = wrapHttpLibrary({
      async send(req) {
        const res = await fetch(req.getUrl(), { method: req.getHttpMethod(), body: req.getBody() as string | undefined, headers: req.getHeaders(), signal: req.getSignal(), tls } as RequestInit);
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        return new ResponseContext(res.status, headers, { text: () => res.text(), binary: async () => Buffer.from(await res.arrayBuffer()), stream: () => res.body });
      },
    });
    const configuration = createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: kc }, httpApi });
    return new KubeCluster(kc, tls, new CoreV1Api(configuration), new NetworkingV1Api(configuration), kc.getCurrentContext(), cluster.server);
  }

  /** A failed call as a PeersError that says what was refused and why. */
  private fail(what: string, e: unknown): PeersError {
    const status = httpStatus(e);
    if (status === undefined) return new PeersError(`cannot reach the Kubernetes API at ${this.server} (${what}): ${(e as Error)?.message ?? e}`, { hint: `check the context (${this.context}) and your network` });
    const hint = status === 401 ? 'your kubeconfig credentials were refused: log in to the cluster again' : status === 403 ? 'your account lacks a permission peers needs: README, "Running on Kubernetes", lists the Role' : undefined;
    return new PeersError(`Kubernetes refused ${what} (HTTP ${status}): ${apiMessage(e)}`, { hint });
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.fail(what, e);
    }
  }

  /** Undefined on 404. */
  private async maybe<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
    try {
      return await f();
    } catch (e) {
      if (httpStatus(e) === 404) return undefined;
      throw this.fail(what, e);
    }
  }

  async namespaceExists(name: string): Promise<boolean> {
    return (await this.maybe(`reading namespace ${name}`, () => this.core.readNamespace({ name }))) !== undefined;
  }

  /**
   * Creates an object; one that exists is replaced (Secret, ConfigMap, NetworkPolicy: they follow
   * the run's config) or kept (Namespace, PersistentVolumeClaim: a resumed run keeps its state).
   * A Pod must not exist (the caller removes a dead one first). Unknown fields are refused
   * (fieldValidation=Strict), so a field a cluster's version does not know never passes silently.
   */
  async apply(obj: K8sObject): Promise<ApplyResult> {
    const name = obj.metadata!.name!;
    const namespace = obj.metadata!.namespace!;
    const common = { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' };
    const what = `creating ${obj.kind} ${name}`;
    const created = async (f: () => Promise<unknown>, replace?: () => Promise<unknown>): Promise<ApplyResult> => {
      try {
        await f();
        return 'created';
      } catch (e) {
        if (httpStatus(e) !== 409) throw this.fail(what, e);
        if (!replace) return 'kept';
        await this.call(`replacing ${obj.kind} ${name}`, replace);
        return 'replaced';
      }
    };
    switch (obj.kind) {
      case 'Namespace':
        return created(() => this.core.createNamespace({ body: obj as V1Namespace, ...common }));
      case 'PersistentVolumeClaim':
        return created(() => this.core.createNamespacedPersistentVolumeClaim({ namespace, body: obj as V1PersistentVolumeClaim, ...common }));
      case 'Secret':
        return created(() => this.core.createNamespacedSecret({ namespace, body: obj as V1Secret, ...common }), () => this.core.replaceNamespacedSecret({ name, namespace, body: obj as V1Secret, ...common }));
      case 'ConfigMap':
        return created(() => this.core.createNamespacedConfigMap({ namespace, body: obj as V1ConfigMap, ...common }), () => this.core.replaceNamespacedConfigMap({ name, namespace, body: obj as V1ConfigMap, ...common }));
      case 'NetworkPolicy':
        return created(() => this.net.createNamespacedNetworkPolicy({ namespace, body: obj as V1NetworkPolicy, ...common }), () => this.net.replaceNamespacedNetworkPolicy({ name, namespace, body: obj as V1NetworkPolicy, ...common }));
      case 'Pod':
        await this.call(what, () => this.core.createNamespacedPod({ namespace, body: obj as V1Pod, ...common }));
        return 'created';
      default:
        throw new PeersError(`peers does not apply ${(obj as { kind?: string }).kind}`);
    }
  }

  /** Pods matching a label selector, in one namespace or (undefined) the whole cluster. */
  async listPods(namespace: string | undefined, labelSelector: string): Promise<V1Pod[]> {
    const list = namespace
      ? await this.call(`listing Pods in ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector }))
      : await this.call('listing Pods in every namespace', () => this.core.listPodForAllNamespaces({ labelSelector }));
    return list.items;
  }

  async readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    return this.maybe(`reading Pod ${name}`, () => this.core.readNamespacedPod({ namespace, name }));
  }

  /** Deletes an object of the run; one already gone is fine. */
  async remove(kind: 'Pod' | 'Secret' | 'ConfigMap' | 'NetworkPolicy' | 'PersistentVolumeClaim' | 'Namespace', namespace: string, name: string, graceS?: number): Promise<boolean> {
    const what = `deleting ${kind} ${name}`;
    const r = await this.maybe<unknown>(what, (): Promise<unknown> => {
      switch (kind) {
        case 'Pod':
          return this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: graceS });
        case 'Secret':
          return this.core.deleteNamespacedSecret({ namespace, name });
        case 'ConfigMap':
          return this.core.deleteNamespacedConfigMap({ namespace, name });
        case 'NetworkPolicy':
          return this.net.deleteNamespacedNetworkPolicy({ namespace, name });
        case 'PersistentVolumeClaim':
          return this.core.deleteNamespacedPersistentVolumeClaim({ namespace, name });
        case 'Namespace':
          return this.core.deleteNamespace({ name });
      }
    });
    return r !== undefined;
  }

  /**
   * Runs argv in a container (the API's exec over a websocket, channel protocol v5 or v4) with
   * optional stdin; resolves with its exit code once the command's status arrives. The end of
   * stdin is sent only where the protocol can say it (v5's close frame): on v4 (older API servers)
   * client-node would close the socket instead, and the command's exit status would be lost, so
   * there stdin stays open and the command must stop reading by itself (a delivery is framed with
   * its length for that reason, delivery.ts).
   */
  async exec(namespace: string, pod: string, container: string, argv: string[], io: { stdin?: Readable; stdout?: Writable; stderr?: Writable } = {}): Promise<ExecResult> {
    const tls = this.tls;
    const socketFactory = (uri: string, protocols: string[], opts: { headers?: Record<string, string> }) => {
      const ws = new WebSocket(uri, { protocols, headers: opts.headers, tls } as unknown as string[]);
      (ws as unknown as { binaryType: string }).binaryType = 'nodebuffer';
      return ws as never;
    };
    const exec = new Exec(this.kc, new WebSocketHandler(this.kc, socketFactory));
    const stdin = io.stdin ? new PassThrough() : null;
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      const done = (r: ExecResult) => {
        if (!settled) resolve(r);
        settled = true;
      };
      exec
        .exec(namespace, pod, container, argv, io.stdout ?? null, io.stderr ?? null, stdin, false, (s: V1Status) => done(execStatus(s)))
        .then((ws) => {
          if (io.stdin && stdin) io.stdin.pipe(stdin, { end: (ws as { protocol?: string }).protocol === 'v5.channel.k8s.io' });
          ws.addEventListener('close', () => done({ code: -1, message: 'the exec connection closed before the command reported its exit' }));
          ws.addEventListener('error', () => done({ code: -1, message: 'the exec connection failed' }));
        })
        .catch((e: unknown) => {
          settled = true;
          reject(this.fail(`exec in ${pod}/${container}`, e));
        });
    });
  }

  /** A container's log (GET …/log), streamed to `out`; with `follow` until the container ends or `signal` aborts. */
  async logs(namespace: string, pod: string, container: string, out: Writable, o: { follow: boolean; signal?: AbortSignal }): Promise<void> {
    const headers: Record<string, string> = {};
    const opts: { headers?: Record<string, string> } = { headers };
    await this.kc.applyToHTTPSOptions(opts);
    const url = `${this.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?container=${encodeURIComponent(container)}${o.follow ? '&follow=true' : ''}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: opts.headers, signal: o.signal, tls: this.tls } as RequestInit);
    } catch (e) {
      if (o.signal?.aborted) return;
      throw this.fail(`reading the log of ${pod}/${container}`, e);
    }
    if (!res.ok) throw this.fail(`reading the log of ${pod}/${container}`, { code: res.status, body: await res.text() });
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    } catch (e) {
      if (!o.signal?.aborted) throw this.fail(`reading the log of ${pod}/${container}`, e);
    }
  }
}

/** An exec's final status → exit code (Success 0; NonZeroExitCode carries it in its causes). */
export function execStatus(s: V1Status): ExecResult {
  if (s.status === 'Success') return { code: 0 };
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message && /^\d+$/.test(cause.message) ? Number(cause.message) : 1;
  return { code, message: s.message };
}
