/**
 * `peers doctor` as the unprivileged user asks the real workspace image which peer CLIs it holds:
 * the versions it reports are the ones `peers image build` pinned, and every peer of a registered
 * project whose CLI is in the image passes. Real rootless podman, real image, compiled binary.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCliVersions } from '../../sandbox/image.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, uid } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(180_000);

let root: string;
beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-doctor-');
  chownSync(root, uid(), uid());
});
afterAll(() => need.ok && rmSync(root, { recursive: true, force: true }));

type Check = { id: string; status: string; detail: string };

test.skipIf(!need.ok)('the CLIs in the workspace image, with the pinned versions', () => {
  const env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state') };
  const setup = asUser(['sh', '-ec', `cd ${root} && git init -q app && cd app && ${PEERS_BIN} init >/dev/null`], { env });
  expect(setup.stderr).toBe('');
  const r = asUser([PEERS_BIN, 'doctor', '--json'], { cwd: root, env, timeoutMs: 170_000 });
  const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
  const v = pinnedCliVersions();
  const clis = checks.find((c) => c.id === 'image-clis')!;
  expect(clis.status).toBe('ok');
  expect(clis.detail).toContain(`claude ${v.claude} (Claude Code)`);
  expect(clis.detail).toContain(`codex codex-cli ${v.codex}`);
  expect(clis.detail).toContain(`opencode ${v.opencode}`);
  // The project's claude and codex peers run CLIs the image has: no per-peer CLI problem.
  expect(checks.filter((c) => c.id.startsWith('cli:'))).toEqual([]);
});
