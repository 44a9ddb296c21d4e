/**
 * The claude and codex executables the host demo runs: a checkout's pinned node_modules/.bin
 * copies first (the versions the tests prove), else whatever is on PATH.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PeersError } from '../../src/cli/errors.ts';
import { pinnedCliVersions } from '../../sandbox/image.ts';
import type { DemoPeer } from './demo-config.ts';

const PACKAGES: Record<DemoPeer, string> = { claude: '@anthropic-ai/claude-code', codex: '@openai/codex' };

export function findPeerClis(env: NodeJS.ProcessEnv = process.env): Record<DemoPeer, string> {
  const pinned = pinnedCliVersions();
  const out = {} as Record<DemoPeer, string>;
  const missing: { peer: DemoPeer; pkg: string }[] = [];
  for (const peer of ['claude', 'codex'] as const) {
    // Source run: the checkout around this file. Compiled (import.meta.dir is virtual, /$bunfs/…):
    // a checkout's dist/peers finds the checkout's node_modules next to dist/.
    const candidates = [resolve(import.meta.dir, '..', '..', 'node_modules', '.bin', peer), resolve(dirname(process.execPath), '..', 'node_modules', '.bin', peer)];
    const found = candidates.find((c) => existsSync(c)) ?? Bun.which(peer, { PATH: env.PATH ?? '' });
    if (found) out[peer] = found;
    else missing.push({ peer, pkg: `${PACKAGES[peer]}@${pinned[peer].replace(/^[\^~]/, '')}` });
  }
  if (missing.length) {
    throw new PeersError(`peers demo on the host needs the claude and codex CLIs; not found on PATH: ${missing.map((m) => m.peer).join(', ')}`, {
      hint: `install them: npm install -g ${missing.map((m) => m.pkg).join(' ')}   (or let the demo use the sandbox pod: peers image build)`,
    });
  }
  return out;
}
