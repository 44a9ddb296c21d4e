/**
 * `peers report` in Markdown from a run summary alone (no history read): kept for callers that
 * hold a summary already. The full report (commits, bug ledger, egress) is src/report/read-report.ts.
 */
import type { RunSummary } from './run-summary.ts';
import { buildReportModel } from '../report/report-model.ts';
import { renderMarkdown } from '../report/render-markdown.ts';
import type { RunHistory } from '../report/run-history.ts';

export { failureCauses, findingsOf, protocolEventCounts, tickCause } from '../report/tick-facts.ts';

export function reportMarkdown(r: RunSummary, projectName: string, history: RunHistory | null = null): string {
  return renderMarkdown(buildReportModel({ project: projectName, summary: r, history, egress: null, generatedAt: r.readAt }));
}
