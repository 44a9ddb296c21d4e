/**
 * `peers up` hands the user's git identity to the loop container (PEERS_GIT_USER_*), which gives it
 * to the peers as GIT_AUTHOR_* and GIT_COMMITTER_*: the pod has no ~/.gitconfig of its own. With no
 * identity on the host nothing is handed over and the peers commit under the default.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '../../..');
const MAIN = join(ROOT, 'src/main.ts');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-up-identity-'));
  mkdirSync(join(dir, 'home'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No identity anywhere but what a test writes into this HOME. */
const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'cfg'), XDG_STATE_HOME: join(dir, 'state'), GIT_CONFIG_NOSYSTEM: '1', PEERS_PODMAN: '/nonexistent/podman' });
const peers = (args: string[], cwd: string) => spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: env() });
const loopLine = (out: string) => out.split('\n').find((l) => l.includes('--name peers-') && / --name peers-\S+-loop /.test(l)) ?? '';

function project(): string {
  const repo = mkdtempSync(join(dir, 'repo-'));
  spawnSync('git', ['init', '-q'], { cwd: repo, env: env() });
  expect(peers(['init'], repo).status).toBe(0);
  return repo;
}

// `up` mounts the compiled binary into the pod, so even --dry-run needs dist/peers (`bun build.ts`).
test.skipIf(!existsSync(join(ROOT, 'dist/peers')))("the user's git identity goes to the loop container; none when git knows none", () => {
  const repo = project();
  const bare = peers(['up', '--dry-run', 'podman', repo], repo);
  expect(bare.status).toBe(0);
  expect(loopLine(bare.stdout)).toContain('--env PEERS_STATE_DIR=');
  expect(loopLine(bare.stdout)).not.toContain('PEERS_GIT_USER');
  writeFileSync(join(dir, 'home', '.gitconfig'), '[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n');
  try {
    const line = loopLine(peers(['up', '--dry-run', 'podman', repo], repo).stdout);
    expect(line).toContain("--env 'PEERS_GIT_USER_NAME=Ada Lovelace' --env PEERS_GIT_USER_EMAIL=ada@example.com");
    // Only the loop: the workspace gets the identity per turn, through the runner, with the peer's env.
    const others = peers(['up', '--dry-run', 'podman', repo], repo).stdout.split('\n').filter((l) => l.startsWith('podman create') && l !== line);
    for (const l of others) expect(l).not.toContain('PEERS_GIT_USER');
  } finally {
    rmSync(join(dir, 'home', '.gitconfig'));
  }
  // An identity set only in the repository's own .git/config reaches the peers the same way; the run
  // clone carries none of the user's config (sandbox/run-clone.ts), so this is the only way it can.
  spawnSync('git', ['config', 'user.name', 'Repo Local'], { cwd: repo, env: env() });
  spawnSync('git', ['config', 'user.email', 'local@example.com'], { cwd: repo, env: env() });
  expect(loopLine(peers(['up', '--dry-run', 'podman', repo], repo).stdout)).toContain("--env 'PEERS_GIT_USER_NAME=Repo Local' --env PEERS_GIT_USER_EMAIL=local@example.com");
  // Five cold starts of the compiled CLI: over bun's default 5 s on a loaded machine.
}, 60_000);
