/**
 * A user whose home directory they cannot write (a read-only NFS home, a locked-down CI account),
 * as an unprivileged user (root writes anywhere). `peers init` works and says where the project
 * registry could not go and what to set; `peers up` refuses with exit 2 and a hint that names the
 * variable to set, one directory at a time; following the hints, the run is prepared. Before, the
 * registry's hint said "fix or delete the file" (there was no file: its directory could not be
 * made), init's note named no path, and the state directory's hint named a `--state-dir` flag
 * `peers up` does not have. Only `up --clone-only`: no pod is started.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, PEERS_BIN, uid } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

let root = '';
let home = '';
let repo = '';

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-ro-home-');
  home = join(root, 'home');
  repo = join(root, 'src', 'lib');
  mkdirSync(join(repo, 'test'), { recursive: true });
  mkdirSync(home);
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'lib', version: '1.0.0', scripts: { test: 'node --test' } }, null, 2));
  writeFileSync(join(repo, 'test', 'lib.test.js'), "const test = require('node:test');\ntest('runs', () => {});\n");
  for (const dir of [root, join(root, 'src'), repo, join(repo, 'test'), home]) chownSync(dir, uid(), uid());
  for (const f of ['package.json', 'test/lib.test.js']) chownSync(join(repo, f), uid(), uid());
  const made = asUser(['sh', '-ec', 'git init -q && git add -A && git -c user.name=Dev -c user.email=dev@example.com commit -qm "a small lib"'], { cwd: repo, env: { HOME: home } });
  expect(made.code, made.stderr).toBe(0);
  chmodSync(home, 0o555);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test.skipIf(!need.ok)(`a read-only home: init works and says what it could not register, up says which variable to set${need.skipped}`, () => {
  const run = (args: string[], env: Record<string, string> = {}) => asUser([PEERS_BIN, ...args], { cwd: repo, env: { HOME: home, ...env } });

  const init = run(['init']);
  expect(init.code, init.stderr).toBe(0);
  const note = init.stdout.split('\n').find((l) => l.includes('could not register'));
  expect(note, init.stdout).toContain(join(home, '.config', 'peers'));
  expect(note).toContain('XDG_CONFIG_HOME');

  const noRegistry = run(['up', '--clone-only']);
  expect(noRegistry.code).toBe(2);
  expect(noRegistry.stderr).toContain(join(home, '.config', 'peers'));
  expect(noRegistry.stderr).toContain('XDG_CONFIG_HOME');
  expect(noRegistry.stderr).not.toContain('delete the file');

  const config = join(root, 'config');
  const noState = run(['up', '--clone-only'], { XDG_CONFIG_HOME: config });
  expect(noState.code).toBe(2);
  expect(noState.stderr).toContain(join(home, '.local', 'state', 'peers'));
  expect(noState.stderr).toContain('XDG_STATE_HOME');
  expect(noState.stderr).not.toContain('--state-dir');

  const state = join(root, 'state');
  const ready = run(['up', '--clone-only'], { XDG_CONFIG_HOME: config, XDG_STATE_HOME: state });
  expect(ready.code, ready.stderr).toBe(0);
  expect(ready.stdout).toContain(`run clone ready at ${join(state, 'peers')}`);
}, 120_000);
