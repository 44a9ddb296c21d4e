/**
 * `peers status` of a real run whose peers failed the way a new user's trial did: a claude-kind
 * peer whose vendor refused its key (stream-json `result`, `is_error`, subtype `success`), and a
 * peer that exits 0 without handing off. Its health lines read in plain words and agree with
 * themselves (src/loop/peer-health-words.ts).
 */
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { formatStatus } from '../../../src/report/status-text.ts';
import { loop, makeProject, writeConfig, type Project, type ProjectSpec } from './harness.ts';

let p: Project | undefined;
afterAll(() => p?.cleanup());

test('an auth refusal reads as one, with what to check; a turn that exited 0 without a handoff is a failed last turn', async () => {
  const spec: ProjectSpec = { peers: { bob: 'always-handoff', alice: 'always-handoff' }, budget: { max_ticks: 4 } };
  p = makeProject(spec);
  const refused = join(p.root, 'refused.sh');
  writeFileSync(refused, `#!/bin/sh\ncat >/dev/null\necho '{"type":"result","subtype":"success","is_error":true,"result":"Invalid API key · Please run /login"}'\nexit 1\n`);
  const idle = join(p.root, 'exits-0.sh');
  writeFileSync(idle, '#!/bin/sh\ncat >/dev/null\necho "nothing to do"\nexit 0\n');
  for (const f of [refused, idle]) chmodSync(f, 0o755);
  writeConfig(p, { ...spec, peerExtra: { alice: { tool: 'claude', argv: ['sh', refused] }, bob: { argv: ['sh', idle] } } });
  await loop(p, { maxTicks: 4 });
  const text = formatStatus(readRunSummary(p.stateDir));
  const alice = text.split('\n').find((l) => l.startsWith('  alice:'))!;
  const bob = text.split('\n').find((l) => l.startsWith('  bob:'))!;
  expect(alice).toContain('alice: unavailable (authentication failed ("Invalid API key · Please run /login"): check alice\'s API key or CLI login, then `peers up --reset-peer alice`)');
  expect(alice).toContain('last turn failed (api-error)');
  expect(alice).not.toMatch(/structured|success/);
  expect(bob).toContain('last turn failed (exited 0 without a handoff)');
  expect(bob).not.toMatch(/last success|last=/);
}, 60_000);
