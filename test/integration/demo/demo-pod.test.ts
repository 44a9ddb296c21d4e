/**
 * `peers demo --pod`: the same demo inside the real rootless podman pod, run by the compiled
 * binary as the unprivileged test user (H6's e2e helper prepares podman and the workspace image,
 * as test/setup.sh does in CI). The scripted model server joins the pod on its loopback, so the
 * peers' API traffic never leaves it; the run converges, and afterwards nothing of it is left:
 * no container, no temporary directory, no state directory, no registry entry.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoScenario } from '../../../src/demo/demo-scenario.ts';
import { ZERO_USAGE } from '../../../src/model-server/scenario-schema.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid } from '../../e2e/podman-user.ts';

let scratch: string;

beforeAll(() => {
  ensurePodmanReady();
  scratch = mkdtempSync(join(tmpdir(), 'peers-demo-pod-'));
  chmodSync(scratch, 0o755);
  chownSync(scratch, uid(), uid());
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scenarioTokens(): number {
  const s = demoScenario();
  let n = 0;
  for (const p of Object.values(s.peers))
    for (const t of p.ticks)
      for (const r of t.replies) {
        if ('fault' in r) continue;
        const u = r.usage ?? s.default_usage ?? ZERO_USAGE;
        n += u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
      }
  return n;
}

test('converges inside the sandbox pod, then leaves nothing behind: no container, state or registry entry', () => {
  const run = asUser([PEERS_BIN, 'demo', '--pod', '--json'], { timeoutMs: 85_000, env: { TMPDIR: scratch } });
  if (run.code !== 0) console.error(run.stderr.slice(-3000), run.stdout.slice(-2000));
  expect(run.code).toBe(0);
  const out = JSON.parse(run.stdout);
  expect(out).toMatchObject({ ok: true, launcher: 'pod', sandboxed: true, notice: null, stop_reason: 'complete', kept: false });
  expect(run.stderr).toContain('(network: none)');
  expect(out.ticks.map((t: { peer: string; result: string }) => `${t.peer}:${t.result}`)).toEqual(['claude:handoff', 'codex:handoff', 'claude:handoff']);
  expect(out.ticks.at(-1).gates).toEqual({ 'tests-pass': 'pass', 'self-review-on-handoff': 'pass' });
  expect(out.tokens).toEqual({ loop: scenarioTokens(), served: scenarioTokens() });
  expect(out.report).toContain('**Outcome:** complete');

  // `peers down` ran and the demo forgot the project: nothing of it is left anywhere.
  const key = String(out.state_dir).split('/').pop()!;
  const left = podmanAsUser(['ps', '--all', '--filter', `label=peers.project=${key}`, '--format', '{{.Names}}']);
  expect(left.code).toBe(0);
  expect(left.stdout.trim()).toBe('');
  expect(existsSync(out.state_dir)).toBe(false);
  expect(readdirSync(scratch)).toEqual([]);
  const registry = asUser(['sh', '-c', 'cat "${XDG_CONFIG_HOME:-$HOME/.config}/peers/projects.json" 2>/dev/null || true']).stdout;
  expect(registry).not.toContain(out.project);
}, 90_000); // typically 22-40 s; headroom for a loaded CI machine
