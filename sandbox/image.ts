/**
 * The workspace image. `buildWorkspaceImage` runs `podman build` of the repository's Containerfile
 * with the CLI versions pinned in package.json. Machines that reach no image registry (CI,
 * air-gapped hosts) pass an offline base made with debootstrap + `podman import` (OFFLINE_BASE_HINT;
 * test/setup.d/podman.sh does exactly that). The build is skipped when the image already exists.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isRegularFile } from '../src/cli/input-file.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeersError } from '../src/cli/errors.ts';
import { imageExists, podman } from './podman.ts';
import CONTAINERFILE from '../Containerfile' with { type: 'text' };
import PACKAGE_JSON from '../package.json' with { type: 'json' };

export const WORKSPACE_IMAGE = 'localhost/peers-workspace:latest';
export const OFFLINE_BASE_IMAGE = 'localhost/peers-base:bookworm';
export const DEFAULT_BASE_IMAGE = 'docker.io/library/debian:bookworm-slim';
export const OFFLINE_BASE_HINT = `sudo debootstrap --variant=minbase bookworm /tmp/rootfs && sudo tar -C /tmp/rootfs -c . | podman import - ${OFFLINE_BASE_IMAGE}, then peers image build --base ${OFFLINE_BASE_IMAGE}`;

/** The CLI versions baked into the image: the ones this peers release was tested with. */
export function pinnedCliVersions(): { claude: string; codex: string; opencode: string } {
  const pkg = PACKAGE_JSON as { devDependencies: Record<string, string>; optionalTools: Record<string, string> };
  return { claude: pkg.devDependencies['@anthropic-ai/claude-code']!, codex: pkg.devDependencies['@openai/codex']!, opencode: pkg.optionalTools['opencode-ai']! };
}

export type Progress = (line: string) => void;

/** `podman build` of the embedded Containerfile (the binary carries it; no checkout needed). */
/**
 * CA certificates the build must trust: an explicit file, else the bundle Node is told to trust on
 * this host (NODE_EXTRA_CA_CERTS / SSL_CERT_FILE), which is how TLS-inspecting proxies are set up.
 */
export function hostCaFile(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  for (const f of [explicit, env.NODE_EXTRA_CA_CERTS, env.SSL_CERT_FILE]) {
    // A directory, FIFO or device in one of these variables is skipped like a missing file.
    if (f && isRegularFile(f)) return f;
  }
  if (explicit) throw new PeersError(`CA file not found: ${explicit}`, { exitCode: 2 });
  return undefined;
}

/**
 * What the image is built from: the Containerfile, the pinned CLI versions and the base. Stored as
 * a label, so an upgraded peers (new Containerfile or CLI pins) rebuilds a stale image by itself.
 */
export function imageRecipe(base: string): string {
  const v = pinnedCliVersions();
  return createHash('sha256').update(JSON.stringify([CONTAINERFILE, v.claude, v.codex, v.opencode, base])).digest('hex').slice(0, 16);
}

async function recipeOf(tag: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const r = await podman(['image', 'inspect', '--format', '{{index .Labels "peers.recipe"}}', tag], { env });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Null when the image matches this peers; otherwise a one-line warning for the user. */
/**
 * Whether the workspace image exists and, if so, whether it was built for another peers version
 * (a warning to show): one `podman image inspect` answers both.
 */
export async function workspaceImageState(tag: string, env: NodeJS.ProcessEnv): Promise<{ exists: boolean; stale: string | null }> {
  const r = await podman(['image', 'inspect', '--format', '{{index .Labels "peers.recipe"}} {{index .Labels "peers.base"}}', tag], { env });
  if (r.code !== 0) return { exists: false, stale: null };
  const [recipe, base] = r.stdout.trim().split(' ');
  if (base && recipe === imageRecipe(base)) return { exists: true, stale: null };
  return { exists: true, stale: `${tag} was built for another peers version (Containerfile or CLI pins differ); rebuild it with \`peers image build${base && base !== DEFAULT_BASE_IMAGE ? ` --base ${base}` : ''}\`` };
}

/** The warning for an image built for another peers version; null for a current or missing one. */
export async function staleImageWarning(tag: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  return (await workspaceImageState(tag, env)).stale;
}

export async function buildWorkspaceImage(opts: { base: string; tag?: string; progress: Progress; force?: boolean; caFile?: string; env: NodeJS.ProcessEnv }): Promise<{ tag: string; seconds: number; skipped: boolean }> {
  const tag = opts.tag ?? WORKSPACE_IMAGE;
  const started = Date.now();
  const recipe = imageRecipe(opts.base);
  const current = await recipeOf(tag, opts.env);
  if (!opts.force && current === recipe) return { tag, seconds: 0, skipped: true };
  if (current !== null && current !== recipe) opts.progress(`${tag} was built from an older recipe; rebuilding`);
  if (!(await imageExists(opts.base, opts.env)) && opts.base.startsWith('localhost/')) {
    throw new PeersError(`base image ${opts.base} does not exist`, { hint: OFFLINE_BASE_HINT });
  }
  const ctx = mkdtempSync(join(tmpdir(), 'peers-image-'));
  try {
    await Bun.write(join(ctx, 'Containerfile'), CONTAINERFILE);
    const ca = hostCaFile(opts.caFile, opts.env);
    writeFileSync(join(ctx, 'extra-ca.crt'), ca ? readFileSync(ca) : '');
    if (ca) opts.progress(`trusting the build host's CA certificates from ${ca}`);
    const v = pinnedCliVersions();
    const args = [
      'build', '--network=host', '--layers', '-f', join(ctx, 'Containerfile'), '-t', tag,
      '--build-arg', `BASE=${opts.base}`,
      '--label', `peers.recipe=${recipe}`,
      '--label', `peers.base=${opts.base}`,
      '--build-arg', `CLAUDE_CODE_VERSION=${v.claude}`,
      '--build-arg', `CODEX_VERSION=${v.codex}`,
      '--build-arg', `OPENCODE_VERSION=${v.opencode}`,
      ctx,
    ];
    const r = await podman(args, { env: opts.env, onLine: (l) => /^STEP \d+\/\d+|^COMMIT|^Successfully/.test(l) && opts.progress(l.slice(0, 160)) });
    if (r.code !== 0) throw new PeersError(`podman build failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
    return { tag, seconds: (Date.now() - started) / 1000, skipped: false };
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
