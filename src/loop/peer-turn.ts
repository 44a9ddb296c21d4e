/**
 * One peer turn, observed: build the prompt, save it, run the peer through the PeerRunner with live
 * halt scanning, then collect everything the pure finalizeTick needs (classification, usage, git
 * facts, handoff verdict, soft reviews, warnings) into a TickObservation. Attestation happens here,
 * right after the turn, so soft reviews are credited to the peer whose tick made them.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MiB, readFileCapped } from '../fs/safe-read.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { buildPeerArgv } from '../config/peer-argv.ts';
import type { PeerSpec, PeersConfig } from '../config/config-schema.ts';
import type { SoftGoal } from '../config/goals-schema.ts';
import { attestCommits, attestedPeerLookup } from '../protocol/attestation.ts';
import { countNewBlockingReports } from '../protocol/bug-ledger.ts';
import { decideAntiCheat, findJustification, initialAntiCheatState, revertTurn, turnDiffStats } from '../protocol/anti-cheat.ts';
import type { RunObserver } from '../git/run-observer.ts';
import type { WorkspaceGit } from '../git/workspace-git.ts';
import { formatMarkerFinding, scanRangeForTestMarkers } from '../protocol/test-markers.ts';
import { ingestReviews, type SoftStatus } from '../protocol/soft-reviews.ts';
import type { PeerRunner } from '../peers/peer-runner.ts';
import { signalExitCode } from '../proc/supervise.ts';
import { compilePatterns, LiveScanner, scanLines } from '../peers/halt-patterns.ts';
import { structuredStatus } from '../peers/structured-events.ts';
import { parseUsage } from '../peers/usage.ts';
import type { LoopState } from '../state/state-schema.ts';
import type { StatePaths } from '../state/paths.ts';
import { classifyTurn } from './classify.ts';
import { checkHandoff } from './handoff-check.ts';
import { observeTurnGit } from './git-observe.ts';
import type { TickObservation } from './tick.ts';

export type TurnContext = {
  /** The trusted mirror every git read goes to (never the peers' repository). */
  observer: RunObserver;
  /** git in the peers' repository, run in the workspace (status, moving HEAD). */
  workspace: WorkspaceGit;
  /** Where the peer runs (the clone as the runner sees it: `/work` in the pod). */
  peerCwd: string;
  paths: StatePaths;
  config: PeersConfig;
  softGoals: SoftGoal[];
  runner: PeerRunner;
  signal: AbortSignal;
  env: Record<string, string>;
};

export type TurnRequest = { state: LoopState; peer: string; index: number; skeptic: boolean; prompt: string; headBefore: string | null; extraWarnings: string[] };

const pad = (n: number) => String(n).padStart(5, '0');
const tail = (s: string, n: number) => (s.length > n ? s.slice(-n) : s);

export async function runPeerTurn(ctx: TurnContext, t: TurnRequest): Promise<TickObservation | 'aborted'> {
  const tick = t.state.tick + 1;
  const spec = ctx.config.peers.find((p) => p.name === t.peer) as PeerSpec;
  const promptPath = join(ctx.paths.prompts, `tick-${pad(tick)}-${t.peer}.txt`);
  writeFileAtomic(promptPath, t.prompt);
  const cmd = buildPeerArgv(spec, t.prompt, { hostEnv: ctx.env });
  const base = {
    tick,
    peer: t.peer,
    tool: spec.tool,
    turn_index: t.index,
    skeptic: t.skeptic,
    head_before: t.headBefore,
    // Relative to the state dir: the pod mounts it elsewhere than the host that runs `peers replay`.
    prompt_file: relative(ctx.paths.dir, promptPath),
    argv: cmd.argv.map((a) => (a.length > 512 ? `${a.slice(0, 512)}…[${a.length} chars]` : a)),
  };
  if (cmd.missingEnv.length) {
    // A peer whose provider key is missing cannot work until the operator sets it.
    const reason = `missing environment for provider settings: ${cmd.missingEnv.join(', ')}`;
    return {
      ...base,
      classification: 'process-fail', exit_code: null, ended_by: 'spawn-error', duration_ms: 0, success: false, credit: 0,
      soft_fail_reason: reason, halt: { reason, pattern: 'missing-env', snippet: reason, source: 'structured' }, matched: null,
      tokens_this_tick: 0, usd_this_tick: 0, head_after: t.headBefore, handoff_sha: null, dirty_paths: [], new_blocking_bugs: 0,
      truncated: false, truncated_streams: [], warnings_emitted: [...t.extraWarnings], stdout_tail: '', stderr_tail: reason, soft_status: null, anti_cheat: null, soft_reviews_ingested: 0, soft_reviews_rejected: 0,
    };
  }
  const h = ctx.config.health;
  const scanner = new LiveScanner(compilePatterns(h.halt_patterns, h.error_patterns));
  const result = await ctx.runner.run(
    {
      peer: t.peer,
      argv: cmd.argv,
      env: { ...ctx.env, ...cmd.env },
      stdin: cmd.stdin,
      cwd: ctx.peerCwd,
      idleTimeoutMs: h.idle_timeout_s * 1000,
      absoluteTimeoutMs: h.absolute_max_runtime_s * 1000,
      killGraceMs: h.kill_grace_s * 1000,
      maxStreamBytes: h.output_cap_bytes,
      onOutput: (stream, text) => (scanner.feed(stream, text) ? 'kill' : undefined),
    },
    ctx.signal,
  );
  if (result.endedBy === 'aborted') return 'aborted';
  const patterns = compilePatterns(h.halt_patterns, h.error_patterns);
  const post = scanner.match ? null : (scanLines(result.stdout, patterns) ?? scanLines(result.stderr, patterns));
  const verdict = classifyTurn(result, { live: scanner.match, post }, structuredStatus(spec.tool, result.stdout));
  const usage = parseUsage(spec.tool, result.stdout, result.stderr);
  const facts = await observeTurnGit(ctx.observer, ctx.workspace, t.headBefore);
  const repo = ctx.observer.mirror;
  const warnings = [...t.extraWarnings];
  if (facts.unreadable) warnings.push(`the run clone could not be imported after ${t.peer}'s turn, so none of it counts: ${facts.unreadable}`);
  if (facts.headAfter && !facts.rewritten) {
    try {
      attestCommits(repo, t.peer, t.headBefore ?? undefined, facts.headAfter);
    } catch (error) {
      warnings.push(`attestation skipped for ${t.peer}: ${(error as Error).message}`);
    }
  }
  // New skip/xfail/only markers and disabled or deleted tests (issue 4): named with file:line in
  // runs.jsonl, in the next prompt, and in this peer's own next prompt, whatever else the turn did.
  const markerWarnings: string[] = [];
  if (t.headBefore && facts.headAfter && !facts.rewritten) {
    try {
      for (const f of scanRangeForTestMarkers(repo, t.headBefore, facts.headAfter)) markerWarnings.push(`test-marker: ${formatMarkerFinding(f)}`);
    } catch (error) {
      warnings.push(`test-marker scan skipped for ${t.peer}: ${(error as Error).message}`);
    }
  }
  warnings.push(...markerWarnings);
  const handoff = checkHandoff({ peer: t.peer, classification: verdict.classification, newCommits: facts.newCommits, headBefore: t.headBefore, rewritten: facts.rewritten, dirtyPaths: facts.dirtyPaths });
  // Anti-cheat (baseline §16): a handoff that only touched tests is warned once, then reverted.
  const cheat = decideAntiCheat(t.state.anti_cheat[t.peer] ?? initialAntiCheatState(), {
    success: handoff.success,
    stats: handoff.success && t.headBefore && facts.headAfter ? turnDiffStats(repo, t.headBefore, facts.headAfter) : undefined,
    justification: findJustification(facts.newCommits),
  });
  // Warnings about the peer's own conduct wait for its next prompt; the rest go to the next prompt.
  const ownWarnings: string[] = [...markerWarnings];
  // An accepted justification is for the counterpart to audit; warn/revert notices are for the peer itself.
  if (cheat.warning) (cheat.action === 'accept-justified' ? warnings : ownWarnings).push(cheat.warning);
  let headAfter = facts.headAfter;
  let softFailReason = facts.unreadable ? `the run clone could not be imported: ${facts.unreadable}` : handoff.reason;
  let success = handoff.success;
  if (cheat.action === 'revert' && t.headBefore) {
    const undo = await revertTurn(ctx.observer, ctx.workspace, t.headBefore, cheat.reason ?? 'test-only turn');
    success = false;
    softFailReason = `anti-cheating revert: ${cheat.reason}${undo.method === 'failed' ? ` (revert failed: ${undo.error})` : ''}`;
    headAfter = ctx.observer.head() ?? headAfter;
  }
  // A reverted turn's reviews do not count: the work they vouched for is gone.
  const reverted = cheat.action === 'revert' && t.headBefore !== null;
  const soft = ingestReviews(reverted ? [] : facts.newCommits, ctx.softGoals, t.state.soft_status as unknown as Record<string, SoftStatus>, t.state.peer_order, attestedPeerLookup(repo));
  warnings.push(...soft.warnings);
  const droppedReviews = reverted ? facts.newCommits.filter((c) => c.trailers.get('Peer-Review-Of') !== undefined).length : 0;
  if (droppedReviews) warnings.push(`${droppedReviews} soft review(s) by ${t.peer} not counted: they were part of the reverted turn`);
  const truncatedStreams = [...(result.stdoutTruncated ? ['stdout' as const] : []), ...(result.stderrTruncated ? ['stderr' as const] : [])];
  if (truncatedStreams.length) {
    ownWarnings.push(`peer ${t.peer}'s ${truncatedStreams.join(' and ')} exceeded the ${h.output_cap_bytes}-byte cap; head and tail kept, middle dropped. Print less (e.g. quieter test output).`);
  }
  if (handoff.rescuedFromIdle) warnings.push(`peer ${t.peer} handed off but then went silent for ${h.idle_timeout_s}s and was stopped; consider raising health.idle_timeout_s.`);
  if (facts.rewritten) warnings.push(`peer ${t.peer} rewrote history (amend/rebase/reset); the turn failed. History may only be extended.`);
  writePeerLogs(ctx.paths, tick, t.peer, result.stdout, result.stderr);
  const ok = success;
  return {
    ...base,
    classification: verdict.classification,
    exit_code: result.exitCode ?? signalExitCode(result.signal),
    ended_by: result.endedBy,
    duration_ms: Math.round(result.durationMs),
    success: ok,
    credit: success ? 1 : cheat.action === 'revert' ? 0 : handoff.credit,
    soft_fail_reason: softFailReason,
    halt: verdict.halt,
    matched: verdict.matched,
    tokens_this_tick: usage.tokens,
    usd_this_tick: Math.round(usage.usd * 1e6) / 1e6,
    head_after: headAfter,
    handoff_sha: success ? handoff.handoffSha : null,
    dirty_paths: facts.dirtyPaths.slice(0, 200),
    new_blocking_bugs: facts.rewritten ? 0 : countNewBlockingReports(facts.newCommits),
    truncated: truncatedStreams.length > 0,
    truncated_streams: truncatedStreams,
    warnings_emitted: warnings,
    warnings_for_peer: ownWarnings,
    stdout_tail: tail(result.stdout, ok ? 200 : 400),
    stderr_tail: tail(result.stderr, ok ? 400 : 800),
    anti_cheat: cheat.action === 'none' && !t.state.anti_cheat[t.peer] ? null : { action: cheat.action, degrade: cheat.degrade, next: cheat.next },
    soft_reviews_ingested: soft.ingested.length,
    soft_reviews_rejected: soft.warnings.length,
    soft_status: soft.ingested.length ? (soft.statuses as unknown as Record<string, Record<string, unknown>>) : null,
  };
}

/** Plain per-tick logs kept; older ones are gzipped (each stream is capped, so this bounds disk use). */
export const PLAIN_LOGS_KEPT = 400;

function writePeerLogs(paths: StatePaths, tick: number, peer: string, stdout: string, stderr: string): void {
  for (const [ext, text] of [['stdout', stdout], ['stderr', stderr]] as const) {
    if (!text) continue;
    try {
      writeFileAtomic(join(paths.logs, `tick-${pad(tick)}-${peer}.${ext}.log`), text);
    } catch (error) {
      process.stderr.write(`peers: note: could not write the ${ext} log of tick ${tick}: ${(error as Error).message}\n`);
    }
  }
  try {
    compressOldLogs(paths.logs, PLAIN_LOGS_KEPT);
  } catch (error) {
    process.stderr.write(`peers: note: could not compress old tick logs: ${(error as Error).message}\n`);
  }
}

/** Gzips the oldest plain `tick-*.log` files beyond `keep` (names sort by tick number). */
export function compressOldLogs(dir: string, keep: number): void {
  const plain = readdirSync(dir).filter((n) => n.startsWith('tick-') && n.endsWith('.log')).sort();
  for (const name of plain.slice(0, Math.max(0, plain.length - keep))) {
    const path = join(dir, name);
    writeFileAtomic(`${path}.gz`, Bun.gzipSync(new Uint8Array(readFileCapped(path, 64 * MiB))));
    unlinkSync(path);
  }
}
