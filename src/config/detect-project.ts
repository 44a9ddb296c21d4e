/**
 * What `peers init` proposes from the project it finds: the test command as a hard gate with a
 * `pass_when` that means something for that runner (tests ran and none failed, not only exit 0),
 * a `setup:` that installs dependencies from the lockfile, the package registries the gates need
 * through the egress proxy, and notes on what the workspace image lacks. Pure: it sees the
 * repository only through `ProjectFiles`, so every rule is tested on file contents alone.
 */
import type { ProjectFiles, ProposedGate } from './detected-ecosystem.ts';
import { detectTop } from './detect-ecosystems.ts';
import { detectSubdirectories, suiteGateIds } from './detect-monorepo.ts';
import { ciChecks, ciChecksNote } from './ci-checks.ts';

export type { ProjectFiles, ProposedGate } from './detected-ecosystem.ts';

export type ProjectProposal = {
  /** Ecosystems found, in the order their gates appear. */
  kinds: string[];
  gates: ProposedGate[];
  setup?: string;
  /** `goals.stuck_halt_gates` for config.yaml when no suite's gate is `tests-pass` (prefixed monorepo suites). */
  stuckHaltGates?: string[];
  egress: string[];
  notes: string[];
};

export function detectProject(files: ProjectFiles): ProjectProposal {
  const top = detectTop(files);
  // A top without a suite of its own (nothing, or a workspace root whose package.json runs no
  // tests) gets its packages' suites; one with a suite is the proposal (its packages are its business).
  const nested = top.some((f) => f.tests) ? [] : detectSubdirectories(files, top.some((f) => f.workspaceRoot));
  const found = nested.some((f) => f.tests) ? [...top, ...nested] : top.length ? top : nested;
  const suites = found.some((f) => f.tests);
  const gates: ProposedGate[] = [];
  const suiteIds = suiteGateIds(found);
  found.forEach((f, i) => {
    if (f.tests) gates.push({ id: suiteIds[i]!, ...f.tests });
    for (const g of f.extra) if (!gates.some((x) => x.id === g.id)) gates.push(g);
  });
  const suiteGates = suiteIds.filter((id): id is string => id !== undefined);
  const setups = found.map((f) => f.setup).filter((s): s is string => Boolean(s));
  // Checks the project's own CI runs beside its tests, named with the file (ci-checks.ts).
  const ci = ciChecksNote(ciChecks(files, gates.map((g) => g.cmd)));
  return {
    kinds: found.map((f) => f.kind),
    gates,
    ...(setups.length ? { setup: setups.join(' && ') } : {}),
    // The stuck-gate detector watches `tests-pass` by default: prefixed suites are named to it.
    ...(suiteGates.length && !suiteGates.includes('tests-pass') ? { stuckHaltGates: [...suiteGates, 'no-prior-regression'] } : {}),
    egress: [...new Set(found.flatMap((f) => f.egress))],
    notes: [...found.flatMap((f) => [...(suites || !f.noTests ? [] : [f.noTests]), ...f.notes]), ...(files.exists('.gitmodules') ? [SUBMODULES_NOTE] : []), ...(/\bfilter=lfs\b/.test(files.read('.gitattributes') ?? '') ? [LFS_NOTE] : []), ...(ci ? [ci] : [])],
  };
}

/**
 * Git LFS keeps a file's content outside the repository and commits a small pointer; the run clone
 * and the gates' checkouts are made without LFS filters (no git-lfs in the image, no LFS server on
 * the allow-list), so the peers and the gates see the pointer text.
 */
export const LFS_NOTE =
  'the repository uses Git LFS (filter=lfs in .gitattributes): the peers and the gates get the pointer files, not their content, so tests that read those files fail in a run; commit what the tests need as ordinary files, or leave those tests out of the gates';

/**
 * The run clone and the gates' clean checkout come from the trusted mirror, which holds this
 * repository's commits only (docs/ARCHITECTURE.md): a submodule is an empty directory there, so
 * tests that pass in the user's working tree fail in `peers verify` and in the pod.
 */
export const SUBMODULES_NOTE =
  'the repository has git submodules (.gitmodules): the peers and the gates get this repository\'s commits only, and each submodule is an empty directory there, so tests that need a submodule\'s files fail; commit what the tests need into this repository, or have the project\'s setup commands fetch it (with its host added to egress.allow)';
