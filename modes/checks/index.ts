/** The built-in checks behind the default goals, by the id `peers check <id>` takes. */
import { bugHuntClean } from './bug-hunt-clean.ts';
import { bugTdd } from './bug-tdd.ts';
import { noNewSkipMarkers } from './no-new-skip-markers.ts';
import { noSecrets } from './no-secrets.ts';
import { selfReviewOnHandoff } from './self-review-on-handoff.ts';
import { testCoverage3Class } from './test-coverage-3-class.ts';
import type { Check } from './types.ts';

export type { Check, CheckResult } from './types.ts';

export const CHECKS: Readonly<Record<string, Check>> = {
  'self-review-on-handoff': selfReviewOnHandoff,
  'bug-hunt-clean': bugHuntClean,
  'bug-tdd': bugTdd,
  'no-secrets': noSecrets,
  'no-new-skip-markers': noNewSkipMarkers,
  'test-coverage-3-class': testCoverage3Class,
};

export function checkIds(): string[] {
  return Object.keys(CHECKS).sort();
}
