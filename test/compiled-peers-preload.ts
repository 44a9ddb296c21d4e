/**
 * Preloaded by `bun test` (bunfig.toml). Gates call `peers check …` through a shim that runs "this
 * same peers" (src/proc/self-exec.ts); in the tests that is the TypeScript sources, ~0.4 s of CPU
 * per call, and the loop tests make thousands of them. Where dist/peers was built from exactly the
 * sources in the working tree (its fingerprint, source-stamp.ts, written by build.ts, matches), the
 * shim runs it instead: the same code, compiled, as users run it, in a fifth of the time. After any
 * edit outside test/ the fingerprint differs and the sources run, so no test judges stale code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_SELF_BINARY_ENV } from '../src/proc/self-exec.ts';
import { SOURCE_STAMP_FILE, sourceStamp } from '../source-stamp.ts';

const root = join(import.meta.dir, '..');
const binary = join(root, 'dist/peers');
const stampFile = join(root, SOURCE_STAMP_FILE);

/** dist/peers where its recorded fingerprint is that of the sources now; else null. */
export function freshCompiledPeers(): string | null {
  if (!existsSync(binary) || !existsSync(stampFile)) return null;
  const now = sourceStamp(root);
  return now !== null && readFileSync(stampFile, 'utf8').trim() === now ? binary : null;
}

if (process.env[DEV_SELF_BINARY_ENV] === undefined) {
  const fresh = freshCompiledPeers();
  if (fresh) process.env[DEV_SELF_BINARY_ENV] = fresh;
  // CI builds the binary before the tests (test/setup.sh): say so if it does not match, as the
  // suite then takes minutes longer.
  else if (process.env.PEERS_REQUIRE_ALL === '1') console.warn(`tests: ${binary} is missing or was not built from these sources (${SOURCE_STAMP_FILE}); the gates run the TypeScript sources`);
}
