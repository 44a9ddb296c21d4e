/**
 * `peers report` in Markdown from a run summary alone (no history read): kept for callers that
 * hold a summary already. The full report (commits, bug ledger, egress) is read-report.ts.
 */
import type { RunSummary } from './run-summary.ts';
import { buildReportModel } from './report-model.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { RunHistory } from './run-history.ts';

export { failureCauses, findingsOf, protocolEventCounts, tickCause } from './tick-facts.ts';

export function reportMarkdown(r: RunSummary, projectName: string, history: RunHistory | null = null): string {
  return renderMarkdown(buildReportModel({ project: projectName, summary: r, history, egress: null, generatedAt: r.readAt }));
}
