/**
 * The report's one read: the state directory's files (through the run summary), the run's history
 * (through `withHistorySource`: the run's trusted mirror, or a read-only view of the repository)
 * and the egress log, then the pure `buildReportModel`. Takes a directory, not a project: where
 * the state directory comes from (the host, a copy from a cluster) is the caller's.
 */
import { readRunSummary, type RunSummary } from './run-summary.ts';
import { readEgressLines } from './egress-summary.ts';
import { buildReportModel, type ReportModel } from './report-model.ts';
import { readRunHistory, withHistorySource } from './run-history.ts';

export function readReport(stateDir: string, o: { project: string; repo?: string; now?: Date }): { model: ReportModel; summary: RunSummary } {
  const summary = readRunSummary(stateDir);
  const model = buildReportModel({
    project: o.project,
    summary,
    history: withHistorySource(stateDir, o.repo, summary.state.baseline, (src) => readRunHistory(src)),
    egress: readEgressLines(stateDir),
    generatedAt: (o.now ?? new Date()).toISOString(),
  });
  return { model, summary };
}
