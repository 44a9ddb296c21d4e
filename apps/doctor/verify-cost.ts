/**
 * What the project's last `peers verify` says about the night ahead (src/gates/verify-record.ts):
 * whether setup works, whether the gates pass, how long they take (every tick that makes a new
 * commit pays that again), and gates that run close to their timeout.
 */
import type { PeersConfig } from '../../src/config/config-schema.ts';
import { hardGoals, type GoalsFile } from '../../src/config/goals-schema.ts';
import type { VerifyRecord } from '../../src/gates/verify-record.ts';
import { shellCommand } from '../../src/cli/shell-word.ts';

export type VerifyFinding = { status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string };

/** A gate that used more than this share of its timeout may time out on a slower night. */
const NEAR_TIMEOUT = 0.8;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function verifyFinding(
  project: string,
  record: VerifyRecord | 'unreadable' | undefined,
  head: string | undefined,
  config: PeersConfig,
  goals: GoalsFile,
): VerifyFinding {
  const rerun = shellCommand('peers', 'verify', '-C', project);
  if (record === undefined) return { status: 'warn', detail: 'never verified: nobody knows yet whether the gates pass or what they cost per tick', fix: rerun };
  if (record === 'unreadable') return { status: 'warn', detail: '.peers/verify.json is unreadable', fix: rerun };
  const when = `last verify of ${record.head.slice(0, 8)} (${record.finished_at})`;
  const moved = head && head !== record.head ? '; HEAD has moved since (run `peers verify` again to be sure)' : '';
  if (record.setup?.state === 'fail') {
    return { status: 'fail', detail: `${when}: setup \`${record.setup.cmd}\` failed, so no gate can run${moved}`, fix: `${rerun}  # its output shows npm's (or pip's…) error; see .peers/VERIFY.md` };
  }
  const timeoutOf = new Map(hardGoals(goals).map((g) => [g.id, g.timeout_s ?? config.goals.timeout_s]));
  const near = record.gates.filter((g) => g.kind === 'hard' && timeoutOf.has(g.id) && g.duration_ms > NEAR_TIMEOUT * 1000 * timeoutOf.get(g.id)!);
  const slowest = [...record.gates].sort((a, b) => b.duration_ms - a.duration_ms)[0];
  const cost = `the gates took ${secs(record.duration_ms)}${record.setup ? ` (setup ${secs(record.setup.duration_ms)})` : ''}${slowest ? `, slowest ${slowest.id} ${secs(slowest.duration_ms)}` : ''}; each tick with a new commit pays this again`;
  const red = record.gates.filter((g) => g.state === 'fail');
  if (red.length) {
    return {
      status: 'warn',
      detail: `${when}: ${red.length} of ${record.gates.length} gate(s) red (${red.map((g) => g.id).join(', ')}): expected if the peers are to make them pass, not if a gate cannot pass${moved}; ${cost}`,
      fix: `${rerun}  # see .peers/VERIFY.md for what each failure printed`,
    };
  }
  if (near.length) {
    const list = near.map((g) => `${g.id} ${secs(g.duration_ms)} of ${timeoutOf.get(g.id)} s`).join(', ');
    return { status: 'warn', detail: `${when} passed, but close to the timeout: ${list}${moved}`, fix: `raise timeout_s of ${near.map((g) => g.id).join(', ')} in .peers/goals.yaml` };
  }
  return { status: 'ok', detail: `${when} passed: ${cost}${moved}` };
}
