/**
 * What the heavier tests need from the machine — root, rootless podman for the test user, the real
 * `claude`/`codex`/`opencode` CLIs — and why it is missing when it is. A test file asks once:
 *
 *   const need = requires('root', 'podman');
 *   describe.skipIf(!need.ok)(`pod lifecycle${need.skipped}`, () => { ... });
 *
 * so a developer without podman sees a skip with its reason instead of a failure. With
 * PEERS_REQUIRE_ALL=1 (CI, where everything is installed) a missing prerequisite throws instead:
 * a skip there would hide a test that silently stopped running.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type Requirement = 'root' | 'podman' | 'claude' | 'codex' | 'opencode' | 'go';
/** `reason` is set exactly when the prerequisite is missing. */
export type Probe = { reason?: string };
export type Verdict = { ok: boolean; reason: string; skipped: string };

const REPO = resolve(import.meta.dir, '..');
const TEST_USER = process.env.PEERS_TEST_USER || 'peerstest';

function onPath(name: string): boolean {
  return Bun.which(name) !== null;
}

function listsUser(file: string, user: string): boolean {
  return existsSync(file) && readFileSync(file, 'utf8').split('\n').some((l) => l.startsWith(`${user}:`));
}

function probeRoot(): Probe {
  const uid = process.getuid?.();
  return uid === 0 ? {} : { reason: `not running as root (uid ${uid}): the test drives the unprivileged user ${TEST_USER} through runuser` };
}

function probePodman(): Probe {
  const root = probeRoot();
  if (root.reason) return root;
  if (!onPath('podman')) return { reason: 'podman is not installed (test/setup.sh installs it)' };
  if (!onPath('runuser')) return { reason: 'runuser is not installed (util-linux)' };
  if (!listsUser('/etc/passwd', TEST_USER)) return { reason: `test user ${TEST_USER} does not exist (test/setup.sh creates it)` };
  if (!listsUser('/etc/subuid', TEST_USER)) return { reason: `${TEST_USER} has no /etc/subuid range, so rootless podman cannot map its user namespace (test/setup.sh adds one)` };
  if (!onPath('newuidmap')) return { reason: 'newuidmap is not installed (package uidmap): rootless podman needs it' };
  return {};
}

function probeCli(name: 'claude' | 'codex' | 'opencode'): Probe {
  const bin = join(REPO, 'node_modules/.bin', name);
  try {
    accessSync(bin, constants.X_OK);
    return {};
  } catch {
    return { reason: `${bin} is missing: the real ${name} CLI is a devDependency (npm ci installs it)` };
  }
}

const PROBES: Record<Requirement, () => Probe> = {
  root: probeRoot,
  podman: probePodman,
  claude: () => probeCli('claude'),
  codex: () => probeCli('codex'),
  opencode: () => probeCli('opencode'),
  go: () => (onPath('go') ? {} : { reason: 'go is not installed (Debian package golang-go: test/setup.sh installs it)' }),
};

/** Each probe, run on this machine (memoised: files ask at import time). */
const seen = new Map<Requirement, Probe>();
export function probe(req: Requirement): Probe {
  if (!seen.has(req)) seen.set(req, PROBES[req]());
  return seen.get(req)!;
}

/**
 * The decision, pure: every probe ok → run; something missing → skip with the reasons, unless every
 * prerequisite is required (PEERS_REQUIRE_ALL=1), where it is an error naming what is missing.
 */
export function decide(probes: Partial<Record<Requirement, Probe>>, requireAll: boolean): Verdict {
  const missing = Object.entries(probes).flatMap(([req, p]) => (p?.reason ? [`${req}: ${p.reason}`] : []));
  if (missing.length === 0) return { ok: true, reason: '', skipped: '' };
  const reason = missing.join('; ');
  if (requireAll) throw new Error(`PEERS_REQUIRE_ALL=1 but a test prerequisite is missing — ${reason}`);
  return { ok: false, reason, skipped: ` [skipped: ${reason}]` };
}

export function requireAll(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PEERS_REQUIRE_ALL === '1';
}

/** The prerequisites of one test file, probed on this machine; see the header for use. */
export function requires(...reqs: Requirement[]): Verdict {
  const verdict = decide(Object.fromEntries(reqs.map((r) => [r, probe(r)])), requireAll());
  if (!verdict.ok) console.warn(`skipping: ${verdict.reason}`);
  return verdict;
}
