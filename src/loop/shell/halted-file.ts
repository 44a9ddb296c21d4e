/**
 * `HALTED.md`: what an operator finds in the morning when every peer went down. A peer's health
 * reason quotes what its CLI printed: inert here (src/cli/inert-markdown.ts), as in the report.
 */
import { mdText } from '../../cli/inert-markdown.ts';
import { writeFileAtomic } from '../../fs/atomic-write.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { healthReasonWords, lastTurnWords } from '../peer-health-words.ts';

export function haltedMarkdown(state: LoopState, reason: string, runsPath: string): string {
  const lines = [
    `# Peers loop halted: ${mdText(reason, 500)}`,
    '',
    `Tick: ${state.tick}`,
    `Whose turn was next: ${state.peer_order[state.turn_index]}`,
    '',
    '## Peer health',
    '',
    ...state.peer_order.map((p) => {
      const h = state.peers[p]!;
      return `- ${mdText(p)}: ${h.state}, ${h.recent_runs.reduce((a, r) => a + (1 - r), 0)} of its last ${h.recent_runs.length} turns failed, last turn ${mdText(lastTurnWords(h))}${h.reason ? `; why: ${mdText(healthReasonWords(p, h.reason), 2000)}` : ''}`;
    }),
    '',
    '## What to do',
    '',
    `1. Read the last ticks in ${runsPath} (stderr_tail / stdout_tail say what the CLIs printed).`,
    '2. Check each CLI\'s authentication and quota; adjust health.idle_timeout_s or the halt patterns if they fired wrongly.',
    '3. Bring peers back: `peers loop --reset-peer <name>` (or `--reset-peer all`), or change .peers/config.yaml —',
    '   a changed config is taken as the operator having acted and every peer starts healthy again.',
    '',
  ];
  return lines.join('\n');
}

export function writeHaltedFile(path: string, state: LoopState, reason: string, runsPath: string): void {
  writeFileAtomic(path, haltedMarkdown(state, reason, runsPath));
}
