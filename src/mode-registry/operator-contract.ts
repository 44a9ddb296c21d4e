/**
 * The operator's two ways to change implement mode's frozen contract (contract.ts), each logged in
 * .peers/contracts.log with a reason:
 *   peers amend      — another acceptance (or e2e) command, files re-pinned at HEAD or unpinned;
 *   peers ack-block  — accept a [BLOCKED] plan step as it stands.
 * Both refuse when goals.yaml and the log already disagree (someone edited the contract by hand),
 * and both take effect when the loop next starts (it enforces the goals it snapshotted).
 */
import { join } from 'node:path';
import { InputError } from '../cli/errors.ts';
import { loadGoalsFile } from '../config/load.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextCapped, readTextIfExists } from '../fs/safe-read.ts';
import { git } from '../git/git.ts';
import { appendContractsLog, contractFromGoals, contractLogProblem, CONTRACTS_LOG, isPinnablePath, withContract, type Contract, type Pin } from './contract.ts';
import { shellCommand } from '../cli/shell-word.ts';

export const REASON_MIN = 10;

type Loaded = { goalsPath: string; logPath: string; goalsText: string; contract: Contract };

function loadContract(repo: string): Loaded {
  const goalsPath = join(repo, '.peers', 'goals.yaml');
  const logPath = join(repo, '.peers', CONTRACTS_LOG);
  const goals = loadGoalsFile(goalsPath);
  const contract = contractFromGoals(goals);
  if (!contract) throw new InputError('this project has no acceptance contract (goals.yaml has no acceptance-pass goal)', { location: { file: goalsPath }, hint: 'contracts belong to implement mode: peers init --modes implement --plan PLAN.md' });
  const problem = contractLogProblem(readTextIfExists(logPath, MiB), contract);
  if (problem) throw new InputError(problem, { location: { file: logPath }, hint: 'put goals.yaml back as the log records it (or start over with peers init --force --modes implement --plan PLAN.md)' });
  return { goalsPath, logPath, goalsText: readTextCapped(goalsPath, 2 * MiB), contract };
}

function checkReason(reason: string): string {
  const r = reason.replace(/\s+/g, ' ').trim();
  if (r.length < REASON_MIN) throw new InputError(`--reason must say why, in ${REASON_MIN}+ characters`, { hint: '--reason "the spec changed: dates are ISO 8601 now"' });
  return r;
}

function save(l: Loaded, next: Contract, body: string): void {
  writeFileAtomic(l.goalsPath, withContract(l.goalsText, next), 0o644);
  appendContractsLog(l.logPath, body, next);
}

export type AmendRequest = { acceptance?: string; e2e?: string; files?: string[]; unpin?: string[]; reason: string };

export function amendContract(repo: string, req: AmendRequest): { before: Contract; after: Contract } {
  const reason = checkReason(req.reason);
  const l = loadContract(repo);
  if (req.acceptance === undefined && req.e2e === undefined && !req.files?.length && !req.unpin?.length) {
    throw new InputError('nothing to amend', { hint: 'pass --acceptance CMD, --e2e CMD, --file PATH (re-pin at HEAD) or --unpin PATH' });
  }
  if (req.e2e !== undefined && l.contract.e2e === undefined) throw new InputError('the plan has no e2e command to amend', { hint: 'e2e commands belong to web and gui surfaces' });
  const pins = new Map(l.contract.pins.map((p) => [p.path, p.blob]));
  for (const path of req.unpin ?? []) {
    if (!pins.delete(path)) throw new InputError(`${path} is not pinned`, { hint: `pinned: ${[...pins.keys()].join(', ') || 'nothing'}` });
  }
  for (const path of req.files ?? []) {
    if (!isPinnablePath(path)) throw new InputError(`${path}: a pinned path is relative, without "..", of letters, digits and . _ @ + / -`);
    const blob = git(repo, ['rev-parse', '--verify', '--quiet', `HEAD:${path}`]);
    if (blob.code !== 0) throw new InputError(`${path} is not committed at HEAD`, { hint: `commit it first: the contract pins committed content (${shellCommand('git', 'add', path)} && git commit)` });
    if (git(repo, ['diff', '--quiet', 'HEAD', '--', path]).code !== 0) throw new InputError(`${path} has uncommitted changes`, { hint: 'commit them first: the contract pins what HEAD holds' });
    pins.set(path, blob.stdout.trim());
  }
  const after: Contract = {
    ...l.contract,
    ...(req.acceptance !== undefined ? { acceptance: req.acceptance.trim() } : {}),
    ...(req.e2e !== undefined ? { e2e: req.e2e.trim() } : {}),
    pins: [...pins].map(([path, blob]): Pin => ({ path, blob })),
  };
  if (!after.acceptance) throw new InputError('--acceptance must be a command');
  const what = [req.acceptance !== undefined ? `acceptance: ${after.acceptance}` : '', req.e2e !== undefined ? `e2e: ${after.e2e}` : '', req.files?.length ? `pinned: ${req.files.join(', ')}` : '', req.unpin?.length ? `unpinned: ${req.unpin.join(', ')}` : ''].filter(Boolean).join('; ');
  save(l, after, `amend ${what} | reason: ${reason}`);
  return { before: l.contract, after };
}

/** Marks of a step in PLAN.md texts: where a `[BLOCKED]` mark for it was found. */
export function blockedIn(text: string | undefined, step: string): boolean {
  return new RegExp(`^-\\s*\\[BLOCKED\\]\\s*\\[${step}\\]`, 'm').test(text ?? '');
}

export function ackBlock(repo: string, step: string, reasonText: string): { contract: Contract; foundIn: string } {
  if (!/^STEP-[1-9]\d*$/.test(step)) throw new InputError(`"${step}" is not a step id`, { hint: 'peers ack-block STEP-2 --reason "…"' });
  const reason = checkReason(reasonText);
  const l = loadContract(repo);
  if (l.contract.acked.includes(step)) throw new InputError(`${step} is already acknowledged`, { location: { file: l.logPath } });
  // The run's plan is committed: the repository's HEAD, or the results branch peers fetched.
  const places = ['HEAD', ...git(repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/peers/']).stdout.split('\n').filter(Boolean)];
  const foundIn = places.find((ref) => blockedIn(git(repo, ['show', `${ref}:PLAN.md`]).stdout, step));
  if (!foundIn) throw new InputError(`${step} is not [BLOCKED] in PLAN.md at ${places.join(' or ')}`, { hint: 'a peer marks a step it cannot do as "- [BLOCKED] [STEP-N] …" with its reason; only such a step can be acknowledged' });
  const next: Contract = { ...l.contract, acked: [...l.contract.acked, step] };
  save(l, next, `ack-block ${step} (at ${foundIn}) | reason: ${reason}`);
  return { contract: next, foundIn };
}
