/**
 * The per-run key of one runner (runner-seal.ts). The loop makes it when it starts and writes it
 * into a directory only it and that runner's container mount; the runner, before it serves
 * anything (so before any peer or gate code runs), waits for the file, reads it and removes it.
 * From then on the key lives only in the two processes' memory: the loop's container shares no
 * process namespace with the others, and the runner is not traceable (src/proc/non-dumpable.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNNER_KEY_BYTES } from './runner-seal.ts';

export const RUNNER_KEY_FILE = 'key';

/** The loop: a new key, written (atomically, 0600) where the runner takes it. */
export function writeRunnerKey(dir: string): Buffer {
  const key = randomBytes(RUNNER_KEY_BYTES);
  const tmp = join(dir, `.${RUNNER_KEY_FILE}.${process.pid}`);
  rmSync(tmp, { force: true });
  writeFileSync(tmp, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  renameSync(tmp, join(dir, RUNNER_KEY_FILE));
  return key;
}

/** The runner: waits for the key the loop writes, takes it and removes the file; throws past the deadline or on a malformed key. */
export async function takeRunnerKey(dir: string, timeoutMs: number): Promise<Buffer> {
  const path = join(dir, RUNNER_KEY_FILE);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`no runner key at ${path} after ${Math.round(timeoutMs / 1000)} s (the loop writes it when it starts)`);
    await Bun.sleep(50);
  }
  const text = readFileSync(path, 'utf8').trim();
  unlinkSync(path);
  if (!new RegExp(`^[0-9a-f]{${RUNNER_KEY_BYTES * 2}}$`).test(text)) throw new Error(`the runner key at ${path} is malformed`);
  return Buffer.from(text, 'hex');
}

const made = new Map<string, Buffer>();

/**
 * The loop's key for the runner whose key directory is `dir` (the `PEERS_RUNNER_*_KEY_DIR` that
 * `peers up` sets): made and written once per loop process, the same key for every later request.
 */
export function loopRunnerKey(dir: string | undefined): Buffer | undefined {
  if (!dir) return undefined;
  let key = made.get(dir);
  if (!key) {
    key = writeRunnerKey(dir);
    made.set(dir, key);
  }
  return key;
}
