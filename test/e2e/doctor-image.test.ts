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

test.skipIf(!need.ok)('a custom peer whose CLI is not in the image fails doctor by name; one whose CLI is there passes', () => {
  const env = { XDG_CONFIG_HOME: join(root, 'config-custom'), XDG_STATE_HOME: join(root, 'state-custom') };
  // The user's own CLI as a third peer (aider, installed on their machine, not in the image), and
  // a custom peer the image can run (its ripgrep stands in for a CLI the user built the image with).
  const custom = `  - name: aider\\n    tool: custom\\n    argv: [aider, --yes, --message, "{PROMPT}"]\\n    prompt_mode: argv-substitute\\n  - name: searcher\\n    tool: custom\\n    argv: [rg, "{PROMPT}"]\\n    prompt_mode: argv-substitute\\n`;
  const setup = asUser(['sh', '-ec', `cd ${root} && git init -q custom && cd custom && ${PEERS_BIN} init >/dev/null && sed -i 's/^peers:$/peers:\\n${custom}/' .peers/config.yaml && ${PEERS_BIN} info >/dev/null`], { env });
  expect(setup.stderr).toBe('');
  const r = asUser([PEERS_BIN, 'doctor', '--json'], { cwd: root, env, timeoutMs: 170_000 });
  const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
  const cli = checks.filter((c) => c.id.startsWith('cli:'));
  expect(cli.map((c) => [c.id.split(':').at(-1), c.status])).toEqual([['aider', 'fail']]);
  expect(cli[0]!.detail).toContain('aider is not in the workspace image, so every turn of aider would fail');
});
