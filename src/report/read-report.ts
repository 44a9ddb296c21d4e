/**
 * The report's one read: the state directory's files (through the run summary), the run's history
 * (through `historySource`: the trusted mirror when the run has one, else the repository a host
 * run worked in) and the egress log, then the pure `buildReportModel`. Takes a directory, not a
 * project: where the state directory comes from (the host, a copy from a cluster) is the caller's.
 */
import { readRunSummary, type RunSummary } from '../loop/run-summary.ts';
import { readEgressLines } from './egress-summary.ts';
import { buildReportModel, type ReportModel } from './report-model.ts';
import { historySource, readRunHistory } from './run-history.ts';

export function readReport(stateDir: string, o: { project: string; repo?: string; now?: Date }): { model: ReportModel; summary: RunSummary } {
  const summary = readRunSummary(stateDir);
  const src = historySource(stateDir, o.repo, summary.state.baseline);
  const model = buildReportModel({
    project: o.project,
    summary,
    history: src ? readRunHistory(src) : null,
    egress: readEgressLines(stateDir),
    generatedAt: (o.now ?? new Date()).toISOString(),
  });
  return { model, summary };
}
