/**
 * The image a Kubernetes run uses (`peers image build --push REGISTRY`): the workspace image plus
 * the peers binary and catatonit, because a cluster has no host path to mount the binary from.
 * Its tag pins the binary: `<version>-<first 12 hex of the binary's SHA-256>`, so `peers up
 * --target k8s` runs exactly the binary that started it (and an image built by another peers has
 * another tag instead of a silent mismatch). catatonit is the init podman's `--init` uses on this
 * machine (statically linked), PID 1 of every long-running container so orphans are reaped.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, PeersError } from '../../src/cli/errors.ts';
import { PEERS_VERSION } from '../../src/cli/version.ts';
import { imageExists, podman } from '../podman.ts';
import { INIT_BINARY } from './transport.ts';
import { PEERS_BIN_IN_CONTAINER } from '../pod-layout.ts';

export const PEERS_IMAGE_NAME = 'peers';
/** Where catatonit usually is on a podman host (containers.conf `init_path`). */
const CATATONIT_PATHS = ['/usr/libexec/podman/catatonit', '/usr/bin/catatonit', '/usr/local/libexec/podman/catatonit'];

export async function binaryDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function peersImageTag(version: string, digest: string): string {
  return `${version}-${digest.slice(0, 12)}`;
}

/** REGISTRY as `host[:port]/path`, no tag, no scheme; its canonical form (no trailing slash). */
export function checkRegistry(registry: string): string {
  const r = registry.replace(/\/+$/, '');
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/.test(r)) {
    throw new InputError(`${registry} is not a registry (expected host[:port][/path], e.g. registry.example.com/team)`);
  }
  return r;
}

/** `REGISTRY/peers:<version>-<digest>`. */
export function peersImageRef(registry: string, tag: string): string {
  return `${checkRegistry(registry)}/${PEERS_IMAGE_NAME}:${tag}`;
}

/** The image this binary runs as on a cluster. */
export async function imageForBinary(registry: string, binary: string): Promise<string> {
  return peersImageRef(registry, peersImageTag(PEERS_VERSION, await binaryDigest(binary)));
}

export function findCatatonit(explicit?: string): string {
  for (const p of [explicit, ...CATATONIT_PATHS]) if (p && existsSync(p)) return realpathSync(p);
  throw new PeersError('catatonit not found (the init podman --init uses)', { hint: 'install it (Debian: apt-get install catatonit) or pass --init-binary PATH' });
}

const CONTAINERFILE = (from: string, digest: string) => `FROM ${from}
COPY peers ${PEERS_BIN_IN_CONTAINER}
COPY catatonit ${INIT_BINARY}
LABEL peers.version="${PEERS_VERSION}" peers.binary.sha256="${digest}"
`;

/** Builds REGISTRY/peers:<tag> from the workspace image; pushes it when asked. */
export async function buildPeersImage(o: { workspaceImage: string; registry: string; binary: string; catatonit: string; push: boolean; progress: (l: string) => void; env: NodeJS.ProcessEnv }): Promise<{ ref: string; pushed: boolean }> {
  if (!(await imageExists(o.workspaceImage, o.env))) throw new PeersError(`the workspace image ${o.workspaceImage} does not exist`, { hint: 'peers image build (without --push) builds it' });
  const digest = await binaryDigest(o.binary);
  const ref = peersImageRef(o.registry, peersImageTag(PEERS_VERSION, digest));
  const ctx = mkdtempSync(join(tmpdir(), 'peers-k8s-image-'));
  try {
    copyFileSync(o.binary, join(ctx, 'peers'));
    copyFileSync(o.catatonit, join(ctx, 'catatonit'));
    writeFileSync(join(ctx, 'Containerfile'), CONTAINERFILE(o.workspaceImage, digest));
    o.progress(`building ${ref} (the workspace image + this peers binary)`);
    const b = await podman(['build', '--network=none', '-f', join(ctx, 'Containerfile'), '-t', ref, ctx], { env: o.env });
    if (b.code !== 0) throw new PeersError(`podman build failed (exit ${b.code}): ${(b.stderr || b.stdout).trim().split('\n').slice(-6).join('\n')}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  if (!o.push) return { ref, pushed: false };
  o.progress(`pushing ${ref}`);
  const p = await podman(['push', ref], { env: o.env });
  if (p.code !== 0) throw new PeersError(`podman push ${ref} failed (exit ${p.code}): ${p.stderr.trim().split('\n').slice(-4).join('\n')}`, { hint: 'log in first (podman login REGISTRY); an insecure local registry needs an entry in registries.conf' });
  return { ref, pushed: true };
}
