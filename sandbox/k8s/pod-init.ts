/**
 * What a Kubernetes run's init container does before a Pod's containers start (`peers k8s init`,
 * transport.ts): make the claim subdirectories the containers mount, clear stale sockets where
 * this Pod listens, check the Pod is cut off from the network when it should be, then (run Pod)
 * wait for the sockets other Pods listen on and for the repository's delivery marker.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';
import { PeersError } from '../../src/cli/errors.ts';
import { removeTree } from '../../src/fs/remove-tree.ts';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import { RUNNER_KEY_BYTES } from '../runner-seal.ts';

export type InitOptions = {
  dirs: string[];
  freshDirs: string[];
  isolated: boolean;
  waitSockets: string[];
  /** HOST:PORT addresses to wait for (the bridge beside the loop). */
  waitTcp?: string[];
  awaitDelivery?: string;
  /** Each runner's key: from the Secret's file (this container's mount) into the runner's key dir. */
  runnerKeys?: { from: string; to: string }[];
  timeoutS: number;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** The probe of netcheck (injectable for tests). */
  reach?: (host: string, port: number, timeoutMs: number) => Promise<boolean>;
};

/** mkdir -p, refusing a symlink or a non-directory anywhere on the way (0700 for the last). */
export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new PeersError(`${path} is not a directory`);
}

/** Empties a directory (stale sockets of an earlier run), keeping the directory itself. */
export function emptyDir(path: string): void {
  ensureDir(path);
  // What an earlier run's peers left there may have any modes: removeTree takes them (SECURITY.md, "The loop's run state").
  for (const e of readdirSync(path)) removeTree(join(path, e));
}

/** True when a TCP connection to host:port opens within the timeout. */
export function tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * The isolation check: in a Pod every NetworkPolicy cuts off, the API server's service address
 * (which the kubelet gives every Pod) does not answer. If it does, the cluster's network plugin
 * does not enforce NetworkPolicy and the run must not start: the workspace would have the network.
 * Outside Kubernetes (podman playing the same YAML) there is no such address to probe.
 */
export async function checkIsolation(env: NodeJS.ProcessEnv, reach = tcpReachable): Promise<string> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = Number(env.KUBERNETES_SERVICE_PORT || 443);
  if (!host) return 'not on Kubernetes (no KUBERNETES_SERVICE_HOST): no address to probe';
  if (await reach(host, port, 3000)) {
    throw new PeersError(`this Pod reached the Kubernetes API at ${host}:${port}: the cluster does not enforce NetworkPolicy, so the run would have the network`, {
      hint: 'use a network plugin that enforces NetworkPolicy (Calico, Cilium, …); peers will not run without it',
    });
  }
  return `isolated: ${host}:${port} does not answer`;
}

async function waitFor(what: string, ready: () => Promise<boolean> | boolean, deadline: number, log: (l: string) => void): Promise<void> {
  let said = false;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new PeersError(`timed out waiting for ${what}`);
    if (!said) log(`waiting for ${what}`);
    said = true;
    await Bun.sleep(250);
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Leaves a runner its per-run key where it takes it (sandbox/runner-key.ts): the Secret is mounted
 * in this init container only, so no process of the runner's container (peer or gate code) can
 * read the key once the runner has taken it and removed the file.
 */
export function placeRunnerKey(from: string, to: string): void {
  let key: string;
  try {
    key = readFileSync(from, 'utf8').trim();
  } catch (error) {
    throw new PeersError(`cannot read the runner key ${from}: ${(error as Error).message}`);
  }
  if (!new RegExp(`^[0-9a-f]{${RUNNER_KEY_BYTES * 2}}$`).test(key)) throw new PeersError(`the runner key in ${from} is malformed`);
  writeFileAtomic(to, key, 0o600);
}

export async function podInit(o: InitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutS * 1000;
  for (const k of o.runnerKeys ?? []) placeRunnerKey(k.from, k.to);
  for (const d of o.freshDirs) emptyDir(d);
  if (o.isolated) o.log(await checkIsolation(o.env, o.reach));
  // The run first: the other Pods' runners start only once it is in place. The directories go
  // after it, since the delivery replaces the trees it carries (run/, snapshot/, control/).
  if (o.awaitDelivery) {
    const marker = o.awaitDelivery;
    await waitFor(`the run's delivery (peers up streams it into the run Pod)`, () => existsSync(marker), deadline, o.log);
  }
  for (const d of o.dirs) ensureDir(d);
  // A listening socket, not a file: a stale one from an earlier run refuses connections.
  for (const s of o.waitSockets) await waitFor(`${s} to accept connections`, () => socketAnswers(s), deadline, o.log);
  for (const a of o.waitTcp ?? []) {
    const i = a.lastIndexOf(':');
    await waitFor(`${a} to accept connections`, () => tcpReachable(a.slice(0, i), Number(a.slice(i + 1)), 1000), deadline, o.log);
  }
  o.log('ready');
}
