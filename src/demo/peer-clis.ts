/**
 * The claude and codex executables the host demo runs: a development checkout's pinned
 * node_modules/.bin copies first (the versions the tests prove), else whatever is on PATH.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PeersError } from '../cli/errors.ts';
import { pinnedCliVersions } from '../../sandbox/image.ts';
import type { DemoPeer } from './demo-config.ts';

const PACKAGES: Record<DemoPeer, string> = { claude: '@anthropic-ai/claude-code', codex: '@openai/codex' };

export function findPeerClis(env: NodeJS.ProcessEnv = process.env): Record<DemoPeer, string> {
  const pinned = pinnedCliVersions();
  const out = {} as Record<DemoPeer, string>;
  const missing: string[] = [];
  for (const peer of ['claude', 'codex'] as const) {
    // In the compiled binary import.meta.dir is virtual (/$bunfs/…), so this only finds a checkout.
    const dev = resolve(import.meta.dir, '..', '..', 'node_modules', '.bin', peer);
    const found = existsSync(dev) ? dev : Bun.which(peer, { PATH: env.PATH ?? '' });
    if (found) out[peer] = found;
    else missing.push(`${PACKAGES[peer]}@${pinned[peer].replace(/^[\^~]/, '')}`);
  }
  if (missing.length) {
    throw new PeersError(`peers demo on the host needs the ${missing.length === 2 ? 'claude and codex CLIs' : `${missing[0]!.startsWith('@anthropic') ? 'claude' : 'codex'} CLI`} on PATH`, {
      hint: `install them: npm install -g ${missing.join(' ')}   (or build the sandbox image: peers image build)`,
    });
  }
  return out;
}
