/** The recorded run of test/fixtures/report/record.ts as a report model. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { readEgressLines } from '../../../src/report/egress-summary.ts';
import { buildReportModel } from '../../../src/report/report-model.ts';
import type { RunHistory } from '../../../src/report/run-history.ts';

export const RECORDED_RUN = resolve(import.meta.dir, '../../fixtures/report/recorded-run');

export function recordedModel() {
  const history = JSON.parse(readFileSync(resolve(RECORDED_RUN, 'history.json'), 'utf8')) as RunHistory;
  return buildReportModel({ project: 'app', summary: readRunSummary(RECORDED_RUN), history, egress: readEgressLines(RECORDED_RUN), generatedAt: '2026-12-05T07:00:00.000Z' });
}
