/**
 * How to run "this same peers" from a child process: gate commands call `peers check …`, and that
 * must reach the binary (or dev checkout) that is running now, not whatever `peers` is on PATH.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeScratchDir } from './scratch-dir.ts';

/** `bun build --compile` serves the bundled entry from a virtual filesystem under /$bunfs/. */
export function isCompiledBinary(): boolean {
  const main = typeof Bun !== 'undefined' ? Bun.main : '';
  return main.startsWith('/$bunfs/') || main.startsWith('B:/~BUN/');
}

/**
 * Set, in a dev checkout only, to a compiled peers built from these very sources: the test suite
 * sets it (test/compiled-peers-preload.ts) when dist/peers's source fingerprint matches the working
 * tree, because a gate's `peers check` then starts in a fifth of the time the TypeScript sources
 * take. A compiled peers never reads it.
 */
export const DEV_SELF_BINARY_ENV = 'PEERS_DEV_SELF_BINARY';

/** Argv prefix that runs this peers: compiled → [binary]; dev → [bun, <repo>/src/main.ts] (or DEV_SELF_BINARY_ENV). */
export function selfCommand(): string[] {
  if (isCompiledBinary()) return [process.execPath];
  const built = process.env[DEV_SELF_BINARY_ENV];
  if (built) return [built];
  return [process.execPath, resolve(import.meta.dir, '..', 'main.ts')];
}

let binDir: string | undefined;

/** Writes an executable `peers` shim that runs this peers into the existing directory `dir`. */
export function writeSelfShim(dir: string): void {
  const shim = join(dir, 'peers');
  writeFileSync(shim, `#!/bin/sh\nexec ${selfCommand().map(shellQuote).join(' ')} "$@"\n`, { mode: 0o755 });
  chmodSync(shim, 0o755);
}

/**
 * A private directory holding an executable `peers` shim for this process, to prepend to PATH.
 * A fresh mkdtemp directory (mode 0700) rather than a fixed path, so nobody else sharing /tmp can
 * plant the shim; removed when the process exits. Private to the user, not to what the user's
 * processes run: a gate or `setup` (the peers' code) gets a shim of its own run instead
 * (src/gates/gate-env.ts), never this one on its PATH.
 */
export function selfBinDir(): string {
  if (binDir) return binDir;
  const dir = makeScratchDir('peers-self-');
  writeSelfShim(dir);
  process.once('exit', removeSelfBinDir);
  binDir = dir;
  return dir;
}

/** The directory selfBinDir made, if it did (a gate's PATH never keeps it: gate-env.ts). */
export function madeSelfBinDir(): string | undefined {
  return binDir;
}

/** Removes the shim directory now (bun test fires no 'exit' event, so test files call this). */
export function removeSelfBinDir(): void {
  if (binDir) rmSync(binDir, { recursive: true, force: true });
  binDir = undefined;
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
