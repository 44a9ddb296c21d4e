/**
 * The document mode's gates: CODEMAP.yaml and ARCHITECTURE.md as committed at HEAD, held against
 * the codemap of HEAD's own source (src/codemap/codemap-at.ts), so a map that drifts from the code fails.
 */
import { architectureFindings, ARCHITECTURE_FILE, CODEMAP_FILE, completenessFindings, groundingFindings, parseCodemapFile, signatureFindings, summaryFindings, type CodemapEntry, type Finding } from '../../../src/mode-registry/document/codemap-file.ts';
import type { CodeSymbol } from '../../../src/codemap/types.ts';
import { openCheckRepo, type CheckRepo } from '../check-repo.ts';
import { codemapAt } from '../../../src/codemap/codemap-at.ts';
import type { Check, CheckResult } from '../types.ts';

const LISTED = 40;

function committedText(repo: CheckRepo, head: string, path: string): string | { error: string } {
  const entry = repo.tree(head).find((e) => e.path === path);
  if (!entry) return { error: `${path} is not committed` };
  if (entry.mode === '120000') return { error: `${path} is a symlink; commit the file itself` };
  return repo.blobs([entry.blob]).get(entry.blob) ?? '';
}

function report(id: string, findings: Finding[], clean: string): CheckResult {
  if (findings.length === 0) return { pass: true, report: `${id}: ${clean}` };
  return { pass: false, report: [`${id}: ${findings.length} finding(s)`, ...findings.slice(0, LISTED).map((f) => `  ${f}`), ...(findings.length > LISTED ? [`  … and ${findings.length - LISTED} more`] : [])].join('\n') };
}

function mapCheck(id: string, description: string, judge: (entries: CodemapEntry[], real: CodeSymbol[]) => Finding[], clean: string): Check {
  return {
    description,
    async run(repoDir) {
      const repo = openCheckRepo(repoDir);
      const head = repo.head();
      if (!head) return { pass: false, report: `${id}: no commits yet` };
      const text = committedText(repo, head, CODEMAP_FILE);
      if (typeof text !== 'string') return { pass: false, report: `${id}: ${text.error}` };
      const parsed = parseCodemapFile(text);
      if ('error' in parsed) return { pass: false, report: `${id}: ${parsed.error}` };
      return report(id, judge(parsed.entries, codemapAt(repo, head)), clean);
    },
  };
}

export const codemapGrounded = mapCheck('codemap-grounded', 'Every CODEMAP.yaml entry is a real public symbol at its real kind, file and line.', groundingFindings, 'every entry is grounded');
export const codemapSignatureMatch = mapCheck('codemap-signature-match', 'Every CODEMAP.yaml signature is the source signature.', signatureFindings, 'every signature matches');
export const codemapComplete = mapCheck('codemap-complete', 'Every public symbol has a CODEMAP.yaml entry.', completenessFindings, 'every public symbol is mapped');
export const codemapSummariesComplete = mapCheck('codemap-summaries-complete', 'Every CODEMAP.yaml entry has a real summary.', (e) => summaryFindings(e), 'every entry is summarised');

export const architectureGrounded: Check = {
  description: 'ARCHITECTURE.md has no unwritten section, its [[anchors]] are public symbols, and every source directory is anchored.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'architecture-grounded: no commits yet' };
    const text = committedText(repo, head, ARCHITECTURE_FILE);
    if (typeof text !== 'string') return { pass: false, report: `architecture-grounded: ${text.error}` };
    if (text.length > 4 * 1024 * 1024) return { pass: false, report: `architecture-grounded: ${ARCHITECTURE_FILE} is over 4 MiB` };
    return report('architecture-grounded', architectureFindings(text, codemapAt(repo, head)), 'every anchor is grounded and every source directory is covered');
  },
};
