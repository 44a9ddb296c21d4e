/** The built-in checks behind the mode goals, by the id `peers check <id>` takes. */
import { apiStable } from './api-stable.ts';
import { bugHuntClean } from './bug-hunt-clean.ts';
import { bugTdd } from './bug-tdd.ts';
import { depsJustified } from './deps-justified.ts';
import { descriptionConverged, descriptionFilesPresent, descriptionSectionsPresent } from './describe/description.ts';
import { diffSizePerResolve } from './diff-size-per-resolve.ts';
import { architectureGrounded, codemapComplete, codemapGrounded, codemapSignatureMatch, codemapSummariesComplete } from './document/codemap-checks.ts';
import { checkoffByOtherPeer } from './implement/checkoff-by-other-peer.ts';
import { contractsUnchanged, deliveryReportComplete } from './implement/delivery-and-contract.ts';
import { honestyAudit } from './implement/honesty-audit.ts';
import { noShortcutMarkers } from './implement/no-shortcut-markers.ts';
import { planComplete, planOriginalPreserved, planStepTraceable } from './implement/plan-checks.ts';
import { noNewSkipMarkers } from './no-new-skip-markers.ts';
import { noPriorRegression } from './no-prior-regression.ts';
import { noSecrets } from './no-secrets.ts';
import { lintClean, typeClean } from './project-tool-check.ts';
import { selfReviewOnHandoff } from './self-review-on-handoff.ts';
import { testCoverage3Class } from './test-coverage-3-class.ts';
import type { Check } from './types.ts';

export type { Check, CheckOptions, CheckResult } from './types.ts';

export const CHECKS: Readonly<Record<string, Check>> = {
  'self-review-on-handoff': selfReviewOnHandoff,
  'bug-hunt-clean': bugHuntClean,
  'bug-tdd': bugTdd,
  'no-secrets': noSecrets,
  'no-new-skip-markers': noNewSkipMarkers,
  'test-coverage-3-class': testCoverage3Class,
  'lint-clean': lintClean,
  'type-clean': typeClean,
  'deps-justified': depsJustified,
  'api-stable': apiStable,
  'no-prior-regression': noPriorRegression,
  'diff-size-per-resolve': diffSizePerResolve,
  'description-files-present': descriptionFilesPresent,
  'description-sections-present': descriptionSectionsPresent,
  'description-converged': descriptionConverged,
  'codemap-grounded': codemapGrounded,
  'codemap-signature-match': codemapSignatureMatch,
  'codemap-complete': codemapComplete,
  'codemap-summaries-complete': codemapSummariesComplete,
  'architecture-grounded': architectureGrounded,
  'plan-complete': planComplete,
  'plan-original-preserved': planOriginalPreserved,
  'plan-step-traceable': planStepTraceable,
  'checkoff-by-other-peer': checkoffByOtherPeer,
  'delivery-report-complete': deliveryReportComplete,
  'contracts-unchanged': contractsUnchanged,
  'no-shortcut-markers': noShortcutMarkers,
  'honesty-audit': honestyAudit,
};

export function checkIds(): string[] {
  return Object.keys(CHECKS).sort();
}
