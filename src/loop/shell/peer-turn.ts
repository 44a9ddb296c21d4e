/**
 * One peer turn, observed: build the prompt, save it, run the peer through the PeerRunner with live
 * halt scanning (git hooks forced off in its environment), then gather what the pure judgeTurn
 * needs — classification, usage, the turn's commits and diff, gate-surface changes, test markers,
 * gates before and (for test-only turns) after, planted hooks, a moved anchor — and carry out its
 * verdict: revert the turn or restore HEAD. Attestation happens right after the turn, so reviews
 * and escape valves are credited to the peer whose tick made them.
 *
 * What a turn is given and returns: turn-context.ts; the fact reads beyond observeTurnGit
 * (baseline tag, justifications, bug owners, planted hooks): turn-fact-readers.ts.
 */
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic-write.ts';
import { buildPeerArgv } from '../../config/peer-argv.ts';
import type { PeerSpec } from '../../config/config-schema.ts';
import { turnMailmapControl, turnPathControl } from '../../git/history-controls.ts';
import { attestShas, readAttestations, readAttestationView } from '../../protocol/attestation.ts';
import { initialAntiCheatState, revertTurn } from '../../protocol/anti-cheat.ts';
import { testsAloneCommit } from '../../protocol/tests-alone.ts';
import { readGitExecSurface, withPeerGitOverrides } from '../../protocol/git-hook-guard.ts';
import { scanRangeForTestMarkers } from '../../protocol/test-markers.ts';
import { controlPlaneDiffReader } from '../../protocol/control-plane-guard.ts';
import { isTestOnly, testPathReader, turnDiff } from '../../protocol/turn-diff.ts';
import { inSourceCandidatesReader } from '../../protocol/in-source-tests.ts';
import { turnInSourceTests } from './in-source-test-edits.ts';
import { signalExitCode } from '../../proc/supervise.ts';
import { leftRunning } from '../left-running.ts';
import { compilePatterns, LiveScanner, scanLines, type PatternMatch } from '../../peer-output/halt-patterns.ts';
import { structuredStatus } from '../../peer-output/structured-events.ts';
import { limitFromOutput } from '../../peer-output/vendor-limit.ts';
import { turnUsageLimit } from '../peer-sleep.ts';
import { parseUsage } from '../../peer-output/usage.ts';
import { classifyTurn } from '../classify.ts';
import { explainFailure } from '../failure-cause.ts';
import { observeTurnGit } from './git-observe.ts';
import { judgeTurn, type TurnFacts } from '../judge-turn.ts';
import { restoreHead } from './workspace-head.ts';
import { compressOldLogs, PLAIN_LOGS_KEPT, TickLog, tickLogName } from './tick-log.ts';
import { writeLiveTurn, type LiveTurn } from '../../state/live-turn.ts';
import type { SupervisedResult } from '../../proc/supervise.ts';
import type { GitExecSurface } from '../../protocol/git-hook-guard.ts';
import type { TurnContext, TurnOutcome, TurnRequest } from './turn-context.ts';
import { bugOwners, changesCode, gateStates, justificationByOther, plantedHooks, tagSha } from './turn-fact-readers.ts';

export { compressOldLogs, PLAIN_LOGS_KEPT } from './tick-log.ts';

const pad = (n: number) => String(n).padStart(5, '0');
const tail = (s: string, n: number) => (s.length > n ? s.slice(-n) : s);

/** The turn's fields of its observation that are known before it runs. */
function turnBase(ctx: TurnContext, t: TurnRequest, tick: number, spec: PeerSpec, promptPath: string, argv: string[]) {
  return {
    tick,
    peer: t.peer,
    tool: spec.tool,
    turn_index: t.index,
    skeptic: t.skeptic,
    head_before: t.headBefore,
    // Relative to the state dir: the pod mounts it elsewhere than the host that runs `peers replay`.
    prompt_file: relative(ctx.paths.dir, promptPath),
    argv: argv.map((a) => (a.length > 512 ? `${a.slice(0, 512)}…[${a.length} chars]` : a)),
    ...(t.skeptic ? { skeptic_audits: t.audits, skeptic_self_unaudited: t.selfUnaudited } : {}),
  };
}
type TurnBase = ReturnType<typeof turnBase>;

const promptPathOf = (ctx: TurnContext, tick: number, peer: string) => join(ctx.paths.prompts, `tick-${pad(tick)}-${peer}.txt`);

/**
 * Runs one peer turn and closes it (closeTurn). `turn.json` records the turn until the loop has
 * recorded it (tick-loop.ts removes it): a turn the loop's stop cut short (SIGTERM: `peers down`)
 * is closed here all the same, as an interrupted turn; one a killed loop never closed is closed by
 * the next loop's start (closeInterruptedTurn).
 */
export async function runPeerTurn(ctx: TurnContext, t: TurnRequest): Promise<TurnOutcome> {
  const tick = t.state.tick + 1;
  const spec = ctx.config.peers.find((p) => p.name === t.peer) as PeerSpec;
  const promptPath = promptPathOf(ctx, tick, t.peer);
  writeFileAtomic(promptPath, t.prompt);
  const cmd = buildPeerArgv(spec, t.prompt, { hostEnv: ctx.env, providers: ctx.providers });
  const base = turnBase(ctx, t, tick, spec, promptPath, cmd.argv);
  if (cmd.missingEnv.length) {
    // A peer whose provider key is missing cannot work until the operator sets it.
    const reason = `missing environment for provider settings: ${cmd.missingEnv.join(', ')}`;
    return {
      gates: null,
      controlPlane: null,
      discardUncommitted: false,
      obs: {
        ...base,
        classification: 'process-fail', exit_code: null, ended_by: 'spawn-error', duration_ms: 0, success: false, credit: 0,
        soft_fail_reason: reason, halt: { reason, pattern: 'missing-env', snippet: reason, source: 'structured' }, matched: null,
        tokens_this_tick: 0, usd_this_tick: 0, head_after: t.headBefore, handoff_sha: null, dirty_paths: [], new_blocking_bugs: 0,
        truncated: false, truncated_streams: [], warnings_emitted: [...t.extraWarnings], stdout_tail: '', stderr_tail: reason, soft_status: null, anti_cheat: null, soft_reviews_ingested: 0, soft_reviews_rejected: 0, findings: [],
        cause: reason,
      },
    };
  }
  const h = ctx.config.health;
  const tagBefore = tagSha(ctx);
  // The git dir as the turn begins: the turn is judged on what it planted, not on an earlier turn's leftover.
  const gitExecBefore = t.state.git_exec_surface ? readGitExecSurface(ctx.repo, { allowGitFile: ctx.lenient }) : null;
  const scanner = new LiveScanner(compilePatterns(h.halt_patterns, h.error_patterns));
  // The output goes to the tick's log as it arrives (`peers logs -f --peer`), and the turn under
  // way is on record for `peers status` and the dashboard.
  const note = (line: string) => ctx.log(`peers: note: ${line}`);
  const live = new TickLog(ctx.paths.logs, tick, t.peer, h.output_cap_bytes, note);
  const logRel = (stream: 'stdout' | 'stderr') => relative(ctx.paths.dir, join(ctx.paths.logs, tickLogName(tick, t.peer, stream)));
  try {
    writeLiveTurn(ctx.paths.dir, {
      tick, peer: t.peer, tool: spec.tool, skeptic: t.skeptic, started_at: new Date().toISOString(), stdout_log: logRel('stdout'), stderr_log: logRel('stderr'),
      head_before: t.headBefore, turn_index: t.index, audits: t.audits,
    });
  } catch (error) {
    note(`could not record the turn under way: ${(error as Error).message}`);
  }
  const result = await ctx.runner.run(
    {
      peer: t.peer,
      argv: cmd.argv,
      // Hooks off for every peer process: a hook one peer plants must never rewrite another's commit.
      env: withPeerGitOverrides({ ...ctx.env, ...cmd.env }),
      stdin: cmd.stdin,
      cwd: ctx.peerCwd,
      idleTimeoutMs: h.idle_timeout_s * 1000,
      absoluteTimeoutMs: h.absolute_max_runtime_s * 1000,
      killGraceMs: h.kill_grace_s * 1000,
      maxStreamBytes: h.output_cap_bytes,
      // Nothing of this turn runs into the next one: a commit made then is credited to the peer
      // that has that turn, which never reads its own (marked-leftovers.ts).
      stopLeftovers: true,
      onOutput: (stream, text) => {
        live.write(stream, text);
        return scanner.feed(stream, text) ? 'kill' : undefined;
      },
    },
    ctx.signal,
  );
  live.finish(result);
  return closeTurn(ctx, t, { tick, spec, base, result, liveMatch: scanner.match, gitExecBefore, tagBefore });
}

/**
 * Closes the turn `turn.json` records, which a loop that stopped, crashed or was killed during it
 * never closed: what it left is judged as that peer's turn, interrupted (closeTurn), before any
 * other turn starts. Its output is in its tick logs; nothing of it is read back (`interrupted`
 * needs no classification of its own words).
 */
export async function closeInterruptedTurn(ctx: TurnContext, t: TurnRequest, live: LiveTurn): Promise<TurnOutcome> {
  const spec = ctx.config.peers.find((p) => p.name === t.peer) as PeerSpec;
  const promptPath = promptPathOf(ctx, live.tick, t.peer);
  let argv: string[] = [];
  try {
    argv = buildPeerArgv(spec, t.prompt, { hostEnv: ctx.env, providers: ctx.providers }).argv;
  } catch {}
  const base = turnBase(ctx, t, live.tick, spec, promptPath, argv);
  // How long it ran is unknown (the loop that ran it is gone): counted as none. Its spend, in the
  // pod, is in the sidecar's ledger, which the run's totals are read from anyway.
  const result: SupervisedResult = { exitCode: null, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, endedBy: 'aborted', durationMs: 0 };
  return closeTurn(ctx, t, { tick: live.tick, spec, base, result, liveMatch: null, gitExecBefore: null, tagBefore: tagSha(ctx) });
}

/**
 * What the turn left, observed and judged (judgeTurn), and the verdict carried out. A turn that
 * ended because the loop was stopped (`aborted`) is `interrupted`: judged like any turn without a
 * handoff (its commits stay, credited to it; what it left uncommitted is saved and discarded), never
 * a success, and not charged to the peer (tick.ts).
 */
async function closeTurn(
  ctx: TurnContext,
  t: TurnRequest,
  c: { tick: number; spec: PeerSpec; base: TurnBase; result: SupervisedResult; liveMatch: PatternMatch | null; gitExecBefore: GitExecSurface | null; tagBefore: string | null },
): Promise<TurnOutcome> {
  const { tick, spec, base, result, gitExecBefore, tagBefore } = c;
  const h = ctx.config.health;
  const interrupted = result.endedBy === 'aborted';
  const note = (line: string) => ctx.log(`peers: note: ${line}`);
  const patterns = compilePatterns(h.halt_patterns, h.error_patterns);
  const post = c.liveMatch ? null : (scanLines(result.stdout, patterns) ?? scanLines(result.stderr, patterns));
  const limit = turnUsageLimit((await ctx.vendorLimits?.()) ?? [], limitFromOutput(spec.tool, result.stdout, result.stderr, Date.now()));
  const classified = classifyTurn(result, { live: c.liveMatch, post }, structuredStatus(spec.tool, result.stdout), limit);
  const usageLimit = classified.classification === 'usage-limited' && limit ? { reset_at: limit.resetAtMs === null ? null : new Date(limit.resetAtMs).toISOString(), source: limit.source, message: limit.message } : null;
  const usage = parseUsage(spec.tool, result.stdout, result.stderr);
  const facts = await observeTurnGit(ctx.observer, ctx.workspace, t.headBefore);
  // Every git read below goes to the trusted mirror, never to the peers' repository.
  const repo = ctx.observer.mirror;
  const notes = [...t.extraWarnings];
  if (facts.unreadable) notes.push(`the run clone could not be imported after ${t.peer}'s turn, so none of it counts: ${facts.unreadable}`);
  if (facts.headAfter && !facts.rewritten) {
    try {
      // The turn's commits, as observeTurnGit listed them (`headBefore..headAfter`).
      // Closing an interrupted turn again (its loop killed while closing it): a commit already
      // noted (the loop's own revert) keeps its note.
      const noted = interrupted ? readAttestations(repo) : null;
      attestShas(repo, t.peer, facts.newCommits.map((c) => c.sha).filter((sha) => !noted?.has(sha)));
    } catch (error) {
      notes.push(`attestation skipped for ${t.peer}: ${(error as Error).message}`);
    }
  }
  const extended = Boolean(t.headBefore && facts.headAfter && !facts.rewritten && facts.headAfter !== t.headBefore);
  const baseline = t.state.baseline ?? undefined;
  // At the mirror's head by its id: the next tick's reads of the same range are answered from memory.
  const view = readAttestationView(repo, baseline, ctx.observer.head() ?? undefined);
  if (extended) ctx.history.shas(`${t.headBefore}..${facts.headAfter}`); // per-commit facts in one git call
  const tagAfter = tagSha(ctx);
  const controlPlane = controlPlaneDiffReader();
  const testPaths = testPathReader();
  // Unreadable here, the no-new-skip-markers gate still fails closed on the same range.
  const inSourceCandidates = inSourceCandidatesReader();
  const markers = extended ? scanRangeForTestMarkers(repo, t.headBefore!, facts.headAfter!, (l) => (controlPlane.line(l), testPaths.line(l), inSourceCandidates.line(l))) : undefined;
  // The whitespace-blind diff of the test-only rule, only when the range names a test path (or
  // could not be read): without one the turn has no test line to judge (turn-diff.ts, testPathReader).
  // Tests inside product files the turn changed (in-source-tests.ts), as records giving the code
  // the turn started from its tests: unreadable, the turn is judged by paths (convergence holds).
  // Only the files the marker diff shows may hold them: a turn touching none starts no git for them.
  const inSource = extended ? turnInSourceTests(repo, t.headBefore!, facts.headAfter!, markers === undefined ? undefined : inSourceCandidates.candidates()) : undefined;
  const diff = extended && (markers === undefined || testPaths.namesTests() || inSource?.paths.length) ? turnDiff(repo, t.headBefore!, facts.headAfter!, inSource) : undefined;
  // A skeptic's own commits of this tick: code among them is for another peer to audit (convergence.ts, advanceAuditMarks).
  const skepticChangedCode = t.skeptic && extended ? changesCode(repo, t.headBefore!, facts.headAfter!) : false;
  const turnFacts: TurnFacts = {
    peer: t.peer,
    classification: classified.classification,
    headBefore: t.headBefore,
    headAfter: facts.headAfter,
    rewritten: facts.rewritten,
    newCommits: facts.newCommits,
    dirtyPaths: facts.dirtyPaths,
    diff,
    surface: facts.newCommits.map((c) => ({ sha: c.sha, changes: ctx.history.surfaceOf(c.sha) })),
    markers: markers ?? [],
    gatesBefore: t.state.gates.head !== null && t.state.gates.head === t.headBefore ? gateStates(Object.entries(t.state.gates.results).map(([id, r]) => ({ id, state: r.state }))) : null,
    gatesAfter: null,
    justifiedByOther: justificationByOther(repo, t, view.peerOf),
    mailmapControl: extended ? turnMailmapControl(repo, facts.newCommits, facts.headAfter!) : undefined,
    pathControl: extended ? turnPathControl(repo, facts.newCommits, `${t.headBefore}..${facts.headAfter}`) : undefined,
    bugs: bugOwners(repo, facts.newCommits, baseline, view.peerOf),
    planted: await plantedHooks(ctx, t.state, tick, gitExecBefore),
    anchorMoved: tagAfter !== tagBefore ? { from: tagBefore, to: tagAfter } : null,
    antiCheat: t.state.anti_cheat[t.peer] ?? initialAntiCheatState(),
    reviews: {
      goals: ctx.softGoals,
      statuses: t.state.soft_status,
      peerOrder: t.state.peer_order,
      attestedPeer: view.peerOf,
      authorsUnderReview: (since, reviewSha) => ctx.history.authorsOfVote(since ?? baseline, reviewSha, view),
      changesCode: (sha) => ctx.history.changesWhatVotesRead(sha),
    },
  };
  let verdict = judgeTurn(turnFacts);
  // A test-only handoff: measure the gates at its HEAD, to see whether it turned a red gate green.
  let probed: TurnOutcome['gates'] = null;
  if (verdict.success && isTestOnly(diff) && !ctx.signal.aborted) {
    const results = await ctx.probeGates(facts.headAfter!);
    if (!ctx.signal.aborted) {
      probed = { head: facts.headAfter!, results };
      verdict = judgeTurn({ ...turnFacts, gatesBefore: ctx.gatesBeforeSettled?.(t.headBefore) ?? turnFacts.gatesBefore, gatesAfter: gateStates(results) });
    }
  }
  // A turn that changed source and tests, from red gates: measure the gates on the code it started
  // from with only its test changes, to see whether those alone turn a red gate green (tests-alone.ts).
  // A turn that changed the frozen contract is refused with that reason instead (tick-loop.ts).
  if (verdict.success && extended && diff && !isTestOnly(diff) && diff.testFiles.length > 0 && !ctx.signal.aborted && !ctx.touchesContract?.(facts.headAfter!)) {
    const known = turnFacts.gatesBefore;
    const side = known && !Object.values(known).includes('fail') ? undefined : testsAloneCommit(repo, t.headBefore!, facts.headAfter!, inSource);
    if (side) {
      // A gate known to pass before the turn cannot turn from red to green: not run again.
      const results = await ctx.probeGates(side.sha, known ? Object.keys(known).filter((id) => known[id] === 'pass') : []);
      const before = ctx.gatesBeforeSettled?.(t.headBefore) ?? turnFacts.gatesBefore;
      if (!ctx.signal.aborted && before) verdict = judgeTurn({ ...turnFacts, gatesBefore: before, testsAlone: { paths: side.paths, gates: gateStates(results) } });
    }
  }
  let headAfter = facts.headAfter;
  let reason = facts.unreadable ? `the run clone could not be imported: ${facts.unreadable}` : verdict.reason;
  // Interrupted: the run classification (the loop's own kill) says nothing of the peer; what it left does.
  if (interrupted) reason = interruptedReason(t.peer, facts.newCommits.length, facts.dirtyPaths.length, facts.unreadable ? reason : verdict.reason, classified.classification);
  let rewrittenRef: string | null = null;
  if (verdict.action.kind === 'revert') {
    const undo = await revertTurn(ctx.observer, ctx.workspace, verdict.action.since, verdict.action.reason);
    if (undo.method === 'failed') reason = `${reason} (revert failed: ${undo.error})`;
    headAfter = ctx.observer.head() ?? headAfter;
    probed = null;
  } else if (verdict.action.kind === 'restore') {
    const restored = await restoreHead({ mirror: repo, workspace: ctx.workspace }, tick, facts.headAfter, verdict.action.to);
    rewrittenRef = restored.rewrittenRef;
    if (restored.error) reason = `${reason}; HEAD could not be restored: ${restored.error}`;
    headAfter = ctx.observer.head();
  }
  const ownWarnings = [...verdict.warningsForPeer];
  const truncatedStreams = [...(result.stdoutTruncated ? ['stdout' as const] : []), ...(result.stderrTruncated ? ['stderr' as const] : [])];
  if (truncatedStreams.length) {
    ownWarnings.push(`peer ${t.peer}'s ${truncatedStreams.join(' and ')} exceeded the ${h.output_cap_bytes}-byte cap; head and tail kept, middle dropped. Print less (e.g. quieter test output).`);
  }
  const warnings = [...notes, ...verdict.warnings];
  // What it left running, stopped when it ended (src/proc/marked-leftovers.ts); fails closed.
  const left = leftRunning(t.peer, result);
  if (left) (warnings.push(left.note), ownWarnings.push(left.note));
  if (left?.failsTurn) reason = reason ? `${reason}; ${left.failsTurn}` : left.failsTurn;
  if (verdict.rescuedFromIdle) warnings.push(`peer ${t.peer} handed off but then went silent for ${h.idle_timeout_s}s and was stopped; consider raising health.idle_timeout_s.`);
  try {
    compressOldLogs(ctx.paths.logs, PLAIN_LOGS_KEPT);
  } catch (error) {
    note(`could not compress old tick logs: ${(error as Error).message}`);
  }
  const ok = verdict.success && !left?.failsTurn && !interrupted;
  const cheat = verdict.antiCheat;
  const cause = explainFailure({
    tool: spec.tool, program: base.argv[0] ?? '', success: ok, classification: classified.classification, endedBy: result.endedBy, exitCode: result.exitCode,
    spawnError: result.spawnError, halt: classified.halt, matched: classified.matched, stdout: result.stdout, stderr: result.stderr,
    committed: facts.headAfter !== t.headBefore, softFailReason: reason, idleTimeoutS: h.idle_timeout_s, absoluteTimeoutS: h.absolute_max_runtime_s,
    usageLimit,
  });
  if (interrupted) warnings.push(`tick ${tick}, ${reason}`);
  return {
    gates: probed,
    discardUncommitted: verdict.discardUncommitted,
    controlPlane: markers ? { head: facts.headAfter!, edits: controlPlane.edits() } : null,
    obs: {
      ...base,
      classification: classified.classification,
      exit_code: result.exitCode ?? signalExitCode(result.signal),
      ended_by: result.endedBy,
      duration_ms: Math.round(result.durationMs),
      success: ok,
      credit: verdict.credit,
      soft_fail_reason: reason,
      cause: interrupted ? reason : cause,
      ...(interrupted ? { interrupted: true } : {}),
      usage_limit: usageLimit,
      halt: classified.halt,
      matched: classified.matched,
      tokens_this_tick: usage.tokens,
      usd_this_tick: Math.round(usage.usd * 1e6) / 1e6,
      head_after: headAfter,
      ...(t.skeptic ? { skeptic_changed_code: skepticChangedCode } : {}),
      handoff_sha: verdict.handoffSha,
      dirty_paths: facts.dirtyPaths.slice(0, 200),
      new_blocking_bugs: verdict.newBlockingBugs,
      truncated: truncatedStreams.length > 0,
      truncated_streams: truncatedStreams,
      warnings_emitted: warnings,
      warnings_for_peer: ownWarnings,
      warnings_for_others: left ? [...verdict.warningsForOthers, left.note] : verdict.warningsForOthers,
      stdout_tail: tail(result.stdout, ok ? 200 : 400),
      stderr_tail: tail(result.stderr, ok ? 400 : 800),
      anti_cheat: cheat.action === 'none' && !t.state.anti_cheat[t.peer] ? null : { action: cheat.action, degrade: cheat.degrade, next: cheat.next },
      soft_reviews_ingested: verdict.soft.ingested.length,
      soft_reviews_rejected: verdict.soft.warnings.length,
      soft_status: verdict.soft.ingested.length || verdict.soft.staleVotes.length ? verdict.soft.statuses : null,
      findings: left ? [...verdict.findings, left.finding] : verdict.findings,
      blocked: verdict.blocked,
      rewritten_ref: rewrittenRef,
    },
  };
}

/**
 * Why an interrupted turn is not a handoff, and what became of its work. `judged` is the verdict's
 * own reason, kept when it names something the peer did (a rewrite, a control character, a hook)
 * rather than the loop's kill.
 */
function interruptedReason(peer: string, commits: number, dirty: number, judged: string | null, classification: string): string {
  const kept = [
    commits ? `its ${commits} commit${commits === 1 ? '' : 's'} stay${commits === 1 ? 's' : ''}, credited to ${peer}` : 'it made no commit',
    ...(dirty ? ['what it left uncommitted is saved as its leftover patch and discarded'] : []),
  ].join('; ');
  const own = judged && judged !== `run classification ${classification}` && !judged.startsWith('no commit by ') && !judged.startsWith('productive commit(s) this turn but no') ? `; ${judged}` : '';
  return `interrupted: the loop was stopped during ${peer}'s turn (peers down, a signal or a crash), so it did not hand off; ${kept}; not counted as ${peer}'s failure${own}`;
}
