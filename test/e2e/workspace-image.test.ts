/**
 * The workspace image as built by `peers image build` (test/setup.d/podman.sh builds it once per
 * machine from the offline debootstrap base): it carries the pinned peer CLIs and the gate tools,
 * not peers itself, and a second build is a no-op because the image records its recipe.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCliVersions, staleImageWarning } from '../../sandbox/image.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, TEST_USER, userEnv } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(120_000);
beforeAll(() => need.ok && ensurePodmanReady(), 20 * 60_000);

const inImage = (script: string) =>
  podmanAsUser(['run', '--rm', '--network=none', '--userns=keep-id', '--read-only', '--cap-drop=ALL', '--tmpfs', '/home/peer', '--entrypoint', '/bin/sh', 'localhost/peers-workspace:latest', '-c', script]);

describe.skipIf(!need.ok)('workspace image', () => {
  test('has the pinned claude, codex and opencode CLIs and the tools gates use', () => {
    const v = pinnedCliVersions();
    // opencode creates ~/.local at start; the --tmpfs HOME here is root-owned on podman 4.3 (keep-id).
    const r = inImage('claude --version; codex --version 2>/dev/null; HOME=$(mktemp -d) opencode --version 2>/dev/null; python3 -m pytest --version; rg --version | head -1; git --version; node --version; python3 -m venv --system-site-packages /tmp/v && /tmp/v/bin/pip --version && python3 -m pip --version');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${v.claude} (Claude Code)`);
    expect(r.stdout).toContain(`codex-cli ${v.codex}`);
    expect(r.stdout).toContain(v.opencode);
    expect(r.stdout).toMatch(/pytest \d/);
    expect(r.stdout).toMatch(/ripgrep \d/);
    expect(r.stdout).toMatch(/git version/);
    // A Python project's setup makes a venv and pip-installs its requirements into it.
    expect(r.stdout).toMatch(/pip \d+.*\/tmp\/v\//);
    expect(r.stdout).toMatch(/pip \d+.*python3/);
  });

  test('does not contain peers (it is mounted at run time) and has the unprivileged peer user', () => {
    const r = inImage('test -e /usr/local/bin/peers && echo HAS-PEERS; getent passwd peer');
    expect(r.stdout).not.toContain('HAS-PEERS');
    expect(r.stdout).toContain('peer:x:1000:1000');
  });

  test('a second `peers image build` with the same recipe does nothing', () => {
    const t0 = Date.now();
    const r = asUser([PEERS_BIN, 'image', 'build', '--base', 'localhost/peers-base:bookworm']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('is up to date');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(podmanAsUser(['image', 'inspect', '--format', '{{index .Labels "peers.recipe"}}', 'localhost/peers-workspace:latest']).stdout.trim()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe.skipIf(!need.ok)("the image's PATH", () => {
  /**
   * The Containerfile's own PATH instruction, built on a base whose PATH has a toolchain outside the
   * Debian directories (as golang:… has /usr/local/go/bin): `peers image build --base` must keep it.
   * Only that instruction is built, so the test takes seconds, not the whole image's minutes.
   */
  test('extends the base image PATH instead of replacing it', () => {
    const pathLine = readFileSync(join(import.meta.dir, '..', '..', 'Containerfile'), 'utf8').split('\n').find((l) => /^ENV .*\bPATH=/.test(l));
    expect(pathLine).toBeDefined();
    const dir = mkdtempSync('/var/tmp/peers-path-test-');
    chmodSync(dir, 0o755);
    const base = 'localhost/peers-path-test-base:1';
    const built = 'localhost/peers-path-test:1';
    try {
      writeFileSync(join(dir, 'Base'), 'FROM localhost/peers-base:bookworm\nRUN mkdir -p /opt/tool/bin && printf \'#!/bin/sh\\necho tool-from-base\\n\' > /opt/tool/bin/basetool && chmod 755 /opt/tool/bin/basetool\nENV PATH=/opt/tool/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
      writeFileSync(join(dir, 'Containerfile'), `ARG BASE\nFROM \${BASE}\n${pathLine}\n`);
      expect(podmanAsUser(['build', '-q', '-f', join(dir, 'Base'), '-t', base, dir], 120_000).code).toBe(0);
      for (const b of [base, 'localhost/peers-base:bookworm']) {
        const r = podmanAsUser(['build', '-q', '--build-arg', `BASE=${b}`, '-f', join(dir, 'Containerfile'), '-t', built, dir], 120_000);
        expect(r.code).toBe(0);
        const run = podmanAsUser(['run', '--rm', '--network=none', '--entrypoint', '/bin/sh', built, '-c', 'echo "PATH=$PATH"; command -v basetool && basetool; command -v sh']);
        const path = /PATH=(.*)/.exec(run.stdout)?.[1] ?? '';
        // Never an empty entry (the working directory) and always the directories the image fills.
        expect(path.split(':')).not.toContain('');
        expect(path.split(':')).toEqual(expect.arrayContaining(['/usr/local/bin', '/usr/bin', '/bin']));
        if (b === base) {
          expect(path.startsWith('/opt/tool/bin:')).toBe(true);
          expect(run.stdout).toContain('tool-from-base');
        }
        // Removed at once: a second build under the same tag would leave this one dangling.
        podmanAsUser(['rmi', '-f', built]);
      }
    } finally {
      podmanAsUser(['rmi', '-f', built, base]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!need.ok)('stale image detection', () => {
  test('an image built from another recipe is reported by staleImageWarning, the current one is not', async () => {
    // Run podman as the test user through a tiny wrapper, the way `peers` itself would run it.
    const wrapper = `/var/lib/peers-test/bin/podman-as-${TEST_USER}`;
    writeFileSync(wrapper, `#!/bin/sh\nexec runuser -u ${TEST_USER} -- env -i ${Object.entries(userEnv()).map(([k, v]) => `${k}=${v}`).join(' ')} podman "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PEERS_PODMAN: wrapper };
    try {
      expect(await staleImageWarning('localhost/peers-workspace:latest', env)).toBeNull();
      expect(podmanAsUser(['tag', 'localhost/peers-base:bookworm', 'localhost/peers-stale-test:1']).code).toBe(0);
      expect(await staleImageWarning('localhost/peers-stale-test:1', env)).toContain('peers image build');
    } finally {
      podmanAsUser(['rmi', 'localhost/peers-stale-test:1']);
      rmSync(wrapper, { force: true });
    }
  });
});
