/**
 * Output that cannot be written (`peers ls > file` on a full disk; /dev/full is one) is an error
 * on stderr naming standard output, exit 1: never exit 0 with the output lost (a script's
 * `peers bugs --json > bugs.json` then reads a truncated file as the answer), never exit 70
 * "internal error", never a stack trace. A reader that goes away (EPIPE: `peers status | head -1`)
 * still ends the output silently (fd-output.ts).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, STACK_LINE } from './peers-cli.ts';

const sb = makeSandbox();
let repo: string;
beforeAll(() => {
  repo = makeRepo(sb.root, 'app');
});
afterAll(() => sb.cleanup());

const BUN = join(import.meta.dir, '../../../node_modules/.bin/bun');
const MAIN = join(import.meta.dir, '../../../src/main.ts');

async function toFullDisk(args: string[]): Promise<{ code: number; stderr: string }> {
  const full = openSync('/dev/full', 'w');
  try {
    const child = Bun.spawn([BUN, MAIN, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1', PEERS_DEBUG: '', ...sb.env }, stdin: 'ignore', stdout: full, stderr: 'pipe' });
    const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
    return { code, stderr };
  } finally {
    closeSync(full);
  }
}

test('a full disk under stdout: exit 1 naming standard output, for the commands oclif runs and those it does not, and for --version', async () => {
  // ls starts without oclif (plain-commands.ts), schema and bugs with it; --version before either (main.ts).
  const runs = await Promise.all([['ls'], ['ls', '--json'], ['schema', 'config'], ['bugs', '--json'], ['--version']].map(toFullDisk));
  for (const r of runs) {
    expect(r.stderr).toContain('peers: cannot write standard output: ENOSPC: no space left on device');
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.code).toBe(1);
  }
}, 60_000);
