/**
 * The per-run keys of the runners (runner-seal.ts). `peers up` makes one per runner, on the host,
 * before it starts (or restarts) that runner's container, and writes it twice: into the state dir
 * (`runner-keys.json`, mounted in the loop only), where the loop reads it for every request, and
 * into a directory only that runner's container mounts, where the runner, before it serves anything
 * (so before any peer or gate code runs), takes it and removes the file. From then on the peers
 * cannot read it: the loop's container shares no process namespace with theirs, and the runner
 * cannot be traced (src/proc/non-dumpable.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { RUNNER_KEY_BYTES } from './runner-seal.ts';

export const RUNNER_KEY_FILE = 'key';
/** In the state dir: the loop's copy of every runner's key, by role. */
export const RUNNER_KEYS_FILE = 'runner-keys.json';

const HEX = new RegExp(`^[0-9a-f]{${RUNNER_KEY_BYTES * 2}}$`);

/**
 * `peers up`: a new key for each runner role given (role → its key directory on the host), written
 * where the runner takes it and into the loop's copy (the other roles' keys kept).
 */
export function issueRunnerKeys(stateDir: string, keyDirs: Record<string, string>): void {
  const path = join(stateDir, RUNNER_KEYS_FILE);
  let keys: Record<string, string> = {};
  try {
    keys = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
  } catch {
    keys = {};
  }
  for (const [role, dir] of Object.entries(keyDirs)) {
    const key = randomBytes(RUNNER_KEY_BYTES).toString('hex');
    writeFileAtomic(join(dir, RUNNER_KEY_FILE), key, 0o600);
    keys[role] = key;
  }
  writeFileAtomic(path, `${JSON.stringify(keys)}\n`, 0o600);
}

/** The loop: the current key of a runner role; throws (the request then fails closed) when there is none. */
export function readRunnerKey(keysFile: string, role: string): Buffer {
  const key = (JSON.parse(readFileSync(keysFile, 'utf8')) as Record<string, unknown>)[role];
  if (typeof key !== 'string' || !HEX.test(key)) throw new Error(`no key for the ${role} runner in ${keysFile} (\`peers up\` writes it)`);
  return Buffer.from(key, 'hex');
}

/** The runner: waits for its key, takes it and removes the file; throws past the deadline or on a malformed key. */
export async function takeRunnerKey(dir: string, timeoutMs: number): Promise<Buffer> {
  const path = join(dir, RUNNER_KEY_FILE);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`no runner key at ${path} after ${Math.round(timeoutMs / 1000)} s (\`peers up\` writes it before it starts the runner)`);
    await Bun.sleep(50);
  }
  const text = readFileSync(path, 'utf8').trim();
  unlinkSync(path);
  if (!HEX.test(text)) throw new Error(`the runner key at ${path} is malformed`);
  return Buffer.from(text, 'hex');
}
