/**
 * A state directory whose path has a ':' (XDG_STATE_HOME=~/my:state): podman hands the loop's log
 * path to conmon as `k8s-file:PATH`, and conmon cuts it at the ':' — the loop's console was written
 * to `~/my`, a file beside the state dir (a file of the user's, if one has that name), and `peers
 * logs` and `up --attach` showed nothing (seen as the unprivileged user). Refused before anything.
 */
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

test('peers up refuses a state directory with a colon in its path, naming it and the variable, before it makes anything', () => {
  const repo = makeRepo(sb.root, 'app');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  const state = join(sb.root, 'my:state');
  mkdirSync(state);
  const up = runPeers(['up'], { cwd: repo, env: { ...sb.env, XDG_STATE_HOME: state } });
  expect(up.code).toBe(2);
  expect(up.stderr).toContain(`peers: the state directory ${join(state, 'peers')}/app-`);
  expect(up.stderr).toContain(`has a ':' in its path, which podman's log driver cannot take (it would write the loop's console to ${join(sb.root, 'my')})`);
  expect(up.stderr).toContain('hint: point XDG_STATE_HOME (or PEERS_STATE_DIR) at a directory whose path has no ":"');
  expect(existsSync(join(state, 'peers'))).toBe(false);
}, 60_000);
