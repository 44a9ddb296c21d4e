/**
 * `peers image build --push REGISTRY` through the podman adapter (PEERS_PODMAN): the image of
 * this binary is built from the workspace image with the compiled peers inside, tagged
 * `<version>-<digest of the binary>`, pushed under that exact tag, and it is the tag `peers up
 * --target k8s --registry REGISTRY` runs. podman stands in as a recorder here because pushing
 * needs a registry, which is not reachable offline; what podman does with the invocation is its own.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS_VERSION } from '../../../src/cli/version.ts';
import { makeRepo, makeSandbox, runPeers, type Sandbox } from '../cli/peers-cli.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const REGISTRY = 'registry.example.com:5000/team';
let sb: Sandbox;
let rec: string;
let podmanEnv: Record<string, string>;
let digest: string;

/** A podman that records each invocation (NUL-separated argv, one per line) and what a build was given. */
const FAKE_PODMAN = `#!/bin/sh
n=$(wc -l < "$REC/calls" 2>/dev/null || echo 0)
printf '%s\\0' "$@" >> "$REC/calls"; printf '\\n' >> "$REC/calls"
if [ "$1" = build ]; then
  eval "ctx=\\\${$#}"
  while [ $# -gt 0 ]; do [ "$1" = -f ] && cp "$2" "$REC/Containerfile.$n"; shift; done
  [ -f "$ctx/peers" ] && sha256sum "$ctx/peers" | cut -d' ' -f1 > "$REC/peers.sha256.$n"
  [ -f "$ctx/catatonit" ] && cp "$ctx/catatonit" "$REC/catatonit.$n"
fi
if [ "$1" = push ] && [ -n "$FAKE_PUSH_FAILS" ]; then echo "Error: writing blob: unauthorized: authentication required" >&2; exit 125; fi
if [ "$1" = image ] && [ "$2" = inspect ]; then exit 125; fi
exit 0
`;

const calls = (): string[][] =>
  readFileSync(join(rec, 'calls'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\0').slice(0, -1));

beforeAll(() => {
  sb = makeSandbox();
  rec = mkdtempSync(join(tmpdir(), 'peers-podman-rec-'));
  writeFileSync(join(rec, 'podman'), FAKE_PODMAN);
  chmodSync(join(rec, 'podman'), 0o755);
  writeFileSync(join(rec, 'catatonit'), 'the init binary');
  podmanEnv = { ...sb.env, PEERS_PODMAN: join(rec, 'podman'), REC: rec };
  if (!existsSync(join(ROOT, 'dist', 'peers'))) throw new Error('dist/peers is missing: run `bun build.ts` first');
  digest = createHash('sha256').update(readFileSync(join(ROOT, 'dist', 'peers'))).digest('hex');
});

afterAll(() => {
  sb?.cleanup();
  if (rec) rmSync(rec, { recursive: true, force: true });
});

describe('peers image build --push REGISTRY', () => {
  test('builds REGISTRY/peers:<version>-<binary digest> from the workspace image with this binary inside, then pushes exactly that tag', () => {
    writeFileSync(join(rec, 'calls'), '');
    const r = runPeers(['image', 'build', '--push', REGISTRY, '--init-binary', join(rec, 'catatonit'), '--json'], { cwd: sb.root, env: podmanEnv });
    expect(r.code, r.stderr).toBe(0);
    const ref = `${REGISTRY}/peers:${PEERS_VERSION}-${digest.slice(0, 12)}`;
    expect(JSON.parse(r.stdout).kubernetes).toEqual({ ref, pushed: true });
    const all = calls();
    const k8sBuild = all.findIndex((a) => a[0] === 'build' && a.includes(ref));
    expect(k8sBuild).toBeGreaterThanOrEqual(0);
    const b = all[k8sBuild]!;
    expect(b.slice(0, 3)).toEqual(['build', '--network=none', '-f']);
    expect(b.slice(4, 6)).toEqual(['-t', ref]);
    // Pushed once, after the build, under the tag it was built with, nothing else pushed.
    expect(all.filter((a) => a[0] === 'push')).toEqual([['push', ref]]);
    expect(all.findIndex((a) => a[0] === 'push')).toBeGreaterThan(k8sBuild);
    // What went into the image: the workspace image, this very binary, the init, the digest as a label.
    const containerfile = readFileSync(join(rec, `Containerfile.${k8sBuild}`), 'utf8');
    expect(containerfile).toStartWith('FROM localhost/peers-workspace:latest\n');
    expect(containerfile).toContain(`peers.binary.sha256="${digest}"`);
    expect(containerfile).toContain(`peers.version="${PEERS_VERSION}"`);
    expect(readFileSync(join(rec, `peers.sha256.${k8sBuild}`), 'utf8').trim()).toBe(digest);
    expect(readFileSync(join(rec, `catatonit.${k8sBuild}`), 'utf8')).toBe('the init binary');
  });

  test('the pushed tag is the one `peers up --target k8s --registry REGISTRY` runs in every Pod', () => {
    const repo = makeRepo(sb.root, 'app');
    const init = runPeers(['init'], { cwd: repo, env: sb.env });
    expect(init.code, init.stderr).toBe(0);
    const dry = runPeers(['up', '--dry-run', 'k8s', '--registry', REGISTRY, '--json'], { cwd: repo, env: sb.env });
    expect(dry.code, dry.stderr).toBe(0);
    const images = new Set(
      (JSON.parse(dry.stdout).objects as { kind: string; spec?: { containers: { image: string }[]; initContainers?: { image: string }[] } }[])
        .filter((o) => o.kind === 'Pod')
        .flatMap((o) => [...o.spec!.containers, ...(o.spec!.initContainers ?? [])].map((c) => c.image)),
    );
    expect(images).toEqual(new Set([`${REGISTRY}/peers:${PEERS_VERSION}-${digest.slice(0, 12)}`]));
  });

  test('a refused push is an error naming the tag and podman\'s reason, pointing at podman login', () => {
    writeFileSync(join(rec, 'calls'), '');
    const r = runPeers(['image', 'build', '--push', REGISTRY, '--init-binary', join(rec, 'catatonit')], { cwd: sb.root, env: { ...podmanEnv, FAKE_PUSH_FAILS: '1' } });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(70);
    expect(r.stderr).toContain(`podman push ${REGISTRY}/peers:${PEERS_VERSION}-${digest.slice(0, 12)} failed (exit 125)`);
    expect(r.stderr).toContain('unauthorized: authentication required');
    expect(r.stderr).toContain('podman login REGISTRY');
  });

  test('a registry that is not host[:port][/path] is refused before anything is built (exit 2)', () => {
    writeFileSync(join(rec, 'calls'), '');
    const r = runPeers(['image', 'build', '--push', 'https://Registry.Example.com/team', '--init-binary', join(rec, 'catatonit')], { cwd: sb.root, env: podmanEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('https://Registry.Example.com/team is not a registry');
    expect(calls()).toEqual([]);
  });
});
