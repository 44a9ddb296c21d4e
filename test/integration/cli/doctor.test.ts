import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

type Check = { id: string; status: string; detail: string; fix?: string; required: boolean };
function doctor(env: Record<string, string | undefined>): { code: number; checks: Check[]; ok: boolean; stderr: string } {
  const res = runPeers(['doctor', '--json'], { cwd: sb.root, env: { ...sb.env, ...env } });
  const report = JSON.parse(res.stdout);
  return { code: res.code, checks: report.checks, ok: report.ok, stderr: res.stderr };
}
const byId = (checks: Check[], id: string) => checks.find((c) => c.id === id);
const which = (p: string) => spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();

describe('peers doctor', () => {
  test('reports what this machine really has, and exits 1 exactly when a required check fails', () => {
    const r = doctor({});
    expect(byId(r.checks, 'git')!.status).toBe('ok');
    const podman = byId(r.checks, 'podman')!;
    if (which('podman')) {
      const version = spawnSync('podman', ['--version'], { encoding: 'utf8' }).stdout.trim();
      expect(podman).toMatchObject({ status: 'ok', detail: version });
      const image = spawnSync('podman', ['image', 'exists', 'localhost/peers-workspace:latest']).status === 0;
      expect(byId(r.checks, 'image')!.status).toBe(image ? 'ok' : 'fail');
      if (!image) expect(byId(r.checks, 'image')!.fix).toBe('peers image build');
    } else {
      expect(podman.status).toBe('fail');
    }
    expect(byId(r.checks, 'network-helper')!.status).toBe(which('slirp4netns') || which('pasta') ? 'ok' : 'fail');
    expect(r.ok).toBe(!r.checks.some((c) => c.required && c.status === 'fail'));
    expect(r.code).toBe(r.ok ? 0 : 1);
    for (const c of r.checks) if (c.status === 'fail') expect(c.fix).toBeTruthy();
  });

  test('without podman on PATH: podman fails with the install command, image is skipped, exit 1', () => {
    const bin = join(sb.root, 'only-git');
    mkdirSync(bin);
    symlinkSync(which('git'), join(bin, 'git'));
    const r = doctor({ PATH: bin });
    expect(byId(r.checks, 'git')!.status).toBe('ok');
    expect(byId(r.checks, 'podman')).toMatchObject({ status: 'fail', detail: 'podman is not on PATH', fix: 'sudo apt-get install -y podman uidmap slirp4netns fuse-overlayfs runc' });
    expect(byId(r.checks, 'image')!.status).toBe('skip');
    expect(byId(r.checks, 'network-helper')).toMatchObject({ status: 'fail', fix: 'sudo apt-get install -y slirp4netns' });
    // Not a warning: `peers up` runs the image's claude; the host's is only for logging in with it.
    expect(byId(r.checks, 'cli-claude')).toMatchObject({ status: 'skip', fix: 'npm install -g @anthropic-ai/claude-code', required: false });
    expect(byId(r.checks, 'cli-claude')!.detail).toBe("claude is not on PATH: `peers up` runs the workspace image's; install it here only to log in with it");
    expect(r.code).toBe(1);
  });

  test("a podman that does not answer (stale user namespace after a reboot): podman info fails with its fix, and the image is not called unbuilt", () => {
    const bin = join(sb.root, 'stale-podman');
    mkdirSync(bin);
    writeFileSync(join(bin, 'podman'), "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'podman version 4.3.1'; exit 0; }\necho 'Error: cannot re-exec process to join the existing user namespace' >&2\nexit 125\n", { mode: 0o755 });
    const r = doctor({ PATH: `${bin}:${process.env.PATH}` });
    expect(byId(r.checks, 'podman-info')).toMatchObject({ status: 'fail', fix: 'podman system migrate && podman info' });
    // `peers image build` would fail the same way: the image is not known to be missing.
    expect(byId(r.checks, 'image')).toMatchObject({ status: 'skip', detail: 'podman does not answer (podman image exists: exit 125): fix podman first (podman info above)' });
    expect(r.code).toBe(1);
  });

  test('the peer CLIs found on PATH are reported with their versions', () => {
    const bin = join(import.meta.dir, '../../../node_modules/.bin');
    const r = doctor({ PATH: `${bin}:${process.env.PATH}` });
    expect(byId(r.checks, 'cli-claude')!.detail).toMatch(/Claude Code/);
    expect(byId(r.checks, 'cli-codex')!.detail).toMatch(/^codex-cli \d/);
  });

  test('no registry yet: says none registered; a registered project with a broken config fails with its location', () => {
    const fresh = doctor({ XDG_CONFIG_HOME: join(sb.root, 'no-config') });
    expect(byId(fresh.checks, 'projects')!.detail).toContain('none registered');
    const repo = makeRepo(sb.root, 'proj');
    expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
    expect(byId(doctor({}).checks, `project:${repo}`)).toMatchObject({ status: 'ok', detail: '2 peers, 6 goals' });
    writeFileSync(join(repo, '.peers/config.yaml'), 'peers: []\nbudgt: {}\n');
    const broken = byId(doctor({}).checks, `project:${repo}`)!;
    expect(broken.status).toBe('fail');
    expect(broken.detail).toContain(`${repo}/.peers/config.yaml:2:1: unknown key 'budgt'; did you mean budget?`);
    expect(broken.fix).toBe(`\${EDITOR:-vi} ${repo}/.peers/config.yaml  # then: peers info -C ${repo}`);
  });

  test('as the unprivileged test user: rootless readiness is checked against /etc/subuid and /etc/subgid', () => {
    const user = process.env.PEERS_TEST_USER || 'peerstest';
    const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error(`test user ${user} does not exist: run test/setup.sh (as root) first`);
    const uid = Number(id.stdout.trim());
    const home = join(sb.root, 'unpriv-home');
    mkdirSync(home);
    chownSync(home, uid, uid);
    chownSync(sb.root, uid, uid);
    const bun = join(import.meta.dir, '../../../node_modules/.bin/bun');
    const res = spawnSync('runuser', ['-u', user, '--', 'env', `HOME=${home}`, `XDG_CONFIG_HOME=${home}/.config`, `PATH=${process.env.PATH}`, bun, join(import.meta.dir, '../../../src/main.ts'), 'doctor', '--json'], { cwd: home, encoding: 'utf8', timeout: 60_000 });
    const report = JSON.parse(res.stdout) as { checks: Check[] };
    expect(byId(report.checks, 'rootless')).toBeUndefined();
    for (const kind of ['subuid', 'subgid']) {
      const listed = readFileSync(`/etc/${kind}`, 'utf8').split('\n').filter((l) => l.startsWith(`${user}:`)).reduce((n, l) => n + Number(l.split(':')[2]), 0);
      const check = byId(report.checks, kind)!;
      expect(check.status).toBe(listed >= 65536 ? 'ok' : 'fail');
      expect(check.detail).toContain(`${user} has ${listed} subordinate`);
      if (check.status === 'fail') expect(check.fix).toBe(`sudo usermod --add-${kind}s 100000-165535 ${user} && podman system migrate`);
    }
  });

  test('text output prints each failing check with its fix', () => {
    const bin = join(sb.root, 'only-git');
    const res = runPeers(['doctor'], { cwd: sb.root, env: { ...sb.env, PATH: bin } });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAIL {2}podman +podman is not on PATH\n +fix: sudo apt-get install -y podman/);
    expect(res.stdout).toContain('some required checks failed');
  });
});
