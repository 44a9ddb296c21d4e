/**
 * `podman info` is asked once per host and remembered (sandbox/podman-host.ts), but never past a
 * change of what it answers from: the podman executable, a containers.conf, the boot. Each lookup
 * runs in its own process (the cache on disk is what a later `peers up` sees); podman is a script
 * that counts its calls and answers like `podman info --format json`.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MODULE = resolve(import.meta.dir, '../../../sandbox/podman-host.ts');
let dir: string;
let podman: string;
let calls: string;

function writePodman(cgroupVersion: string): void {
  const info = { host: { cgroupVersion, cgroupControllers: ['memory', 'pids'], security: { seccompEnabled: true, seccompProfilePath: '/usr/share/containers/seccomp.json' } } };
  writeFileSync(podman, `#!/bin/sh\necho "$*" >> ${calls}\n[ "$1" = info ] && echo '${JSON.stringify(info)}'\nexit 0\n`);
  chmodSync(podman, 0o755);
}

/** The facts and cgroupLimitsAvailable as a new process sees them. */
function lookup(): { facts: { cgroupVersion?: string; seccompProfilePath?: string }; limits: boolean } {
  const script = `const m = await import(${JSON.stringify(MODULE)}); console.log(JSON.stringify({ facts: await m.podmanHostFacts(process.env), limits: await m.cgroupLimitsAvailable(process.env) }));`;
  const r = Bun.spawnSync([process.execPath, '-e', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), XDG_RUNTIME_DIR: join(dir, 'run'), XDG_CONFIG_HOME: join(dir, 'cfg'), PEERS_PODMAN: podman },
  });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}
const infoCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((l) => l.startsWith('info')).length : 0);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-podman-host-'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  mkdirSync(join(dir, 'cfg', 'containers'), { recursive: true });
  podman = join(dir, 'podman');
  calls = join(dir, 'calls');
  writePodman('v2');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the first lookup asks podman; the next ones read the cache, with the same answer', () => {
  const first = lookup();
  expect(first.facts.cgroupVersion).toBe('v2');
  expect(first.facts.seccompProfilePath).toBe('/usr/share/containers/seccomp.json');
  expect(first.limits).toBe(true);
  expect(infoCalls()).toBe(1);
  expect(lookup()).toEqual(first);
  expect(lookup()).toEqual(first);
  expect(infoCalls()).toBe(1);
});

test('a new or edited containers.conf of the user asks podman again', () => {
  const before = infoCalls();
  writeFileSync(join(dir, 'cfg', 'containers', 'containers.conf'), '[engine]\n');
  lookup();
  expect(infoCalls()).toBe(before + 1);
  lookup();
  expect(infoCalls()).toBe(before + 1);
  writeFileSync(join(dir, 'cfg', 'containers', 'containers.conf'), '[engine]\ncgroup_manager = "cgroupfs"\n');
  lookup();
  expect(infoCalls()).toBe(before + 2);
});

test('another podman executable is asked, and its answer replaces the cached one', () => {
  const before = infoCalls();
  writePodman('v1'); // a new podman: on cgroup v1 the limits do not apply
  const after = lookup();
  expect(infoCalls()).toBe(before + 1);
  expect(after.facts.cgroupVersion).toBe('v1');
  expect(after.limits).toBe(false);
});

test('two podman executables keep their own answers: going back to the first asks podman nothing', () => {
  const wrapper = join(dir, 'podman-wrapper');
  const lookupWith = (exe: string) => {
    const saved = podman;
    podman = exe;
    try {
      return lookup();
    } finally {
      podman = saved;
    }
  };
  writeFileSync(wrapper, `#!/bin/sh\nexec ${podman} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const before = infoCalls();
  const direct = lookup();
  const viaWrapper = lookupWith(wrapper);
  expect(infoCalls()).toBe(before + 1); // the wrapper's first lookup (the direct one is cached)
  expect(lookup()).toEqual(direct);
  expect(lookupWith(wrapper)).toEqual(viaWrapper);
  expect(infoCalls()).toBe(before + 1);
  // The newest answer is where a build reading one entry looks for it.
  const file = JSON.parse(readFileSync(join(dir, 'run', 'peers', 'podman-host.json'), 'utf8'));
  expect(file.facts).toEqual(viaWrapper.facts);
});

test('a cache whose key does not match this host is not used', () => {
  const file = join(dir, 'run', 'peers', 'podman-host.json');
  const cached = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ key: `${cached.key}-another-boot`, facts: { ...cached.facts, cgroupVersion: 'v2' } }));
  const before = infoCalls();
  expect(lookup().facts.cgroupVersion).toBe('v1');
  expect(infoCalls()).toBe(before + 1);
});
