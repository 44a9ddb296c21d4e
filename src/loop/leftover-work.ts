/**
 * Work a turn left uncommitted is discarded before any other peer works.
 *
 * Everything the loop knows about who wrote a change comes from attestation: a commit is credited
 * to the peer whose turn made it. A tree left dirty breaks that: the next peer commits "everything"
 * (the prompt tells it to: uncommitted work does not count) and so commits the previous peer's
 * edit under its own name. Its reviewer never saw that edit (nothing was committed, so no CHANGES
 * section showed it), the committer's own later prompts never show its own commits, and the real
 * author then reviews "the other peer's change" with a vote that counts: a special case of the
 * tested input ended a run `complete` that way (SECURITY.md, "Done means done", and
 * `test/integration/cheats/leftover-work.test.ts`). So every turn that leaves uncommitted or
 * untracked files fails (handoff-check.ts) and its leftovers are removed from the working tree
 * (ignored files and the operator's `.peers/` stay; a copy is saved first, shell/leftover-patch.ts),
 * and the report names them.
 */
import type { Finding } from '../protocol/findings.ts';

const SHOWN = 20;

/** The finding for a turn that left `dirtyPaths`, or null when it left the tree clean. */
export function leftoverFinding(peer: string, dirtyPaths: string[]): Finding | null {
  if (dirtyPaths.length === 0) return null;
  const shown = dirtyPaths.slice(0, SHOWN).join(', ') + (dirtyPaths.length > SHOWN ? `, … (+${dirtyPaths.length - SHOWN})` : '');
  return {
    kind: 'uncommitted-left',
    detail: `${peer} left uncommitted changes in the working tree: ${shown}`,
    action: 'discarded before the next turn, a copy kept in the state directory\'s leftovers/ as a patch: uncommitted work never counts, and never reaches another peer\'s commit',
  };
}
