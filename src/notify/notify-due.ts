/**
 * One pass of the host's notifier: read the run's log, find the events owed since notifications
 * were armed, and send each one not already claimed (notify-store.ts) with the run's figures.
 * Called by the watcher `peers up` starts, and by `peers status` to catch up when no watcher ran
 * (a reboot, a host-only run). Never called in the pod: the loop has no part in it.
 */
import { readRunSummary } from '../report/run-summary.ts';
import { buildReportModel } from '../report/report-model.ts';
import { readRunLog, type ExitLine, type TickLine } from '../state/run-log.ts';
import { probeRunLock } from '../state/run-lock.ts';
import { statePaths } from '../state/paths.ts';
import { buildPayload, dueEvents, type DueEvent, type PayloadContext } from './notify-events.ts';
import { sendNotification } from './notify-send.ts';
import { claimEvent, isClaimed, readArmed, recordSent, type Armed } from './notify-store.ts';

export type NotifyPass = { armed: boolean; running: boolean; sent: Array<{ id: string; event: string; ok: boolean }>; stopSeen: boolean };

function context(stateDir: string, armed: Armed, e: DueEvent, lastStop: DueEvent | undefined, ticks: TickLine[]): PayloadContext {
  const summary = readRunSummary(stateDir);
  const model = buildReportModel({ project: armed.project.name, summary, history: null, egress: null, generatedAt: new Date().toISOString() });
  const openGates = Object.entries(summary.state.gates.results).filter(([, g]) => g.state !== 'pass').map(([id]) => id);
  const rated = e.event === 'rate-limited' ? ticks.find((t) => t.tick === e.tick) : undefined;
  return {
    project: { ...armed.project, state_dir: stateDir },
    run: { tick: e.tick, usd: model.budget.usd.spent, tokens: model.budget.tokens.spent, open_gates: openGates },
    // The report's explanation describes the run as it is now: it fits the latest stop only.
    why: lastStop && e.id === lastStop.id ? model.outcome.why : [],
    ...(rated ? { rateLimit: { peer: String(rated.peer), wait_s: Math.round(Number(rated.backoff_ms) / 1000) } } : {}),
  };
}

export async function notifyDue(stateDir: string, now = () => new Date()): Promise<NotifyPass> {
  const armed = readArmed(stateDir);
  const paths = statePaths(stateDir);
  // A lock that cannot be probed throws: guessing "not running" would report a live run as killed.
  const running = probeRunLock(paths.lock).held;
  if (!armed) return { armed: false, running, sent: [], stopSeen: false };
  const log = readRunLog(paths.runs);
  const ticks = log.lines.filter((l): l is TickLine => l.event === 'tick');
  const exits = log.lines.filter((l): l is ExitLine => l.event === 'exit');
  const due = dueEvents({ ticks, exits, running, armedAt: armed.armed_at });
  const lastStop = [...due].reverse().find((e) => e.event !== 'rate-limited');
  const sent: NotifyPass['sent'] = [];
  for (const e of due) {
    if (!armed.settings.on.includes(e.event) || isClaimed(stateDir, e.id)) continue;
    const payload = buildPayload(e, context(stateDir, armed, e, lastStop, ticks), now());
    if (!claimEvent(stateDir, e.id, payload)) continue;
    const outcomes = await sendNotification(armed.settings, payload);
    recordSent(stateDir, e.id, payload, outcomes, now());
    sent.push({ id: e.id, event: e.event, ok: outcomes.every((o) => o.ok) });
  }
  return { armed: true, running, sent, stopSeen: lastStop !== undefined };
}
