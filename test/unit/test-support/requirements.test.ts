/**
 * The prerequisite gate of the heavy tests: a missing prerequisite is a skip with its reason on a
 * developer's machine, and an error where everything must be present (PEERS_REQUIRE_ALL=1, CI).
 */
import { describe, expect, test } from 'bun:test';
import { decide, probe, requireAll, requires } from '../../requirements.ts';

describe('test prerequisites', () => {
  test('all present: the tests run, nothing is said', () => {
    expect(decide({ root: {}, podman: {} }, false)).toEqual({ ok: true, reason: '', skipped: '' });
    expect(decide({ root: {}, claude: {} }, true).ok).toBe(true);
  });

  test('one missing: a skip that names what and why, in the describe name', () => {
    const v = decide({ root: {}, podman: { reason: 'podman is not installed' } }, false);
    expect(v.ok).toBe(false);
    expect(v.skipped).toBe(' [skipped: podman: podman is not installed]');
  });

  test('with PEERS_REQUIRE_ALL=1 a missing prerequisite is an error, not a skip', () => {
    expect(() => decide({ codex: {}, claude: { reason: 'node_modules/.bin/claude is missing' } }, true)).toThrow(
      'PEERS_REQUIRE_ALL=1 but a test prerequisite is missing — claude: node_modules/.bin/claude is missing',
    );
    expect(requireAll({ PEERS_REQUIRE_ALL: '1' })).toBe(true);
    expect(requireAll({})).toBe(false);
  });

  test('the probes see this machine as it is: not root is a reason, root is none', () => {
    expect(probe('root').reason === undefined).toBe(process.getuid?.() === 0);
  });

  // Where everything must be present (CI sets PEERS_REQUIRE_ALL=1), every heavy test must run here.
  test.if(requireAll())('PEERS_REQUIRE_ALL=1: root, rootless podman and the three real CLIs are all present', () => {
    expect(requires('root', 'podman', 'claude', 'codex', 'opencode').ok).toBe(true);
  });
});
