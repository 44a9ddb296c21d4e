/**
 * exec with stdin over both channel protocols an API server may speak (kube-stand-in.ts): v5,
 * where the end of stdin is a close frame and the command's exit status follows; and v4 (older
 * API servers), which has no such frame: closing the socket there would lose the exit status, so
 * stdin stays open and a command that stops reading by itself still reports how it ended.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { KubeCluster } from '../../../sandbox/k8s/kube-client.ts';
import { KubeStandIn } from './kube-stand-in.ts';

const savedKubeconfig = process.env.KUBECONFIG;
let root: string;
const servers: KubeStandIn[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-exec-channel-'));
});

afterAll(() => {
  for (const s of servers) s.stop();
  rmSync(root, { recursive: true, force: true });
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
});

/** A cluster speaking only `protocols`, with one running Pod `p` (container `c`) in namespace `ns`. */
async function clusterSpeaking(protocols: string[]): Promise<{ api: KubeStandIn; cluster: KubeCluster }> {
  const api = new KubeStandIn(join(root, protocols[0]!), protocols).start();
  servers.push(api);
  const config = join(root, `${protocols[0]}.kubeconfig`);
  writeFileSync(config, api.kubeconfig('t0ken'));
  process.env.KUBECONFIG = config;
  const cluster = await KubeCluster.connect();
  await cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  return { api, cluster };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => (text += b.toString()));
  return { stream, text: () => text };
}

describe('exec with stdin over the API\'s channel protocols', () => {
  test('v5: the end of stdin reaches the command (close frame), then its exit status comes back', async () => {
    const { api, cluster } = await clusterSpeaking(['v5.channel.k8s.io']);
    const out = collect();
    const r = await cluster.exec('ns', 'p', 'c', ['/bin/sh', '-c', 'cat; exit 4'], { stdin: Readable.from([Buffer.from('all of '), Buffer.from('stdin')]), stdout: out.stream });
    expect(r).toEqual({ code: 4, message: expect.stringContaining('exit status 4') });
    expect(out.text()).toBe('all of stdin');
    expect(api.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces/ns/pods/p/exec', protocol: 'v5.channel.k8s.io', query: { stdin: 'true', container: 'c', command: ['/bin/sh', '-c', 'cat; exit 4'] } });
  });

  test('v4: stdin is not ended by closing the socket, so a command that reads what it needs still reports its exit status', async () => {
    const { api, cluster } = await clusterSpeaking(['v4.channel.k8s.io']);
    const out = collect();
    const r = await cluster.exec('ns', 'p', 'c', ['/bin/sh', '-c', 'head -c 5; exit 3'], { stdin: Readable.from([Buffer.from('hello, framed world')]), stdout: out.stream });
    expect(r.code).toBe(3);
    expect(out.text()).toBe('hello');
    expect(api.requests.at(-1)).toMatchObject({ protocol: 'v4.channel.k8s.io' });
  });

  test('a command that fails on a v4 server is a non-zero exit, never a lost connection', async () => {
    const { cluster } = await clusterSpeaking(['v4.channel.k8s.io']);
    const err = collect();
    const r = await cluster.exec('ns', 'p', 'c', ['/bin/sh', '-c', 'echo refused >&2; exit 2'], { stdin: Readable.from([Buffer.from('x')]), stderr: err.stream });
    expect(r.code).toBe(2);
    expect(err.text()).toBe('refused\n');
  });
});
