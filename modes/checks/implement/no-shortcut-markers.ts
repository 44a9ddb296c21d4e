/**
 * `no-shortcut-markers`: no source line added since the run began admits it is unfinished —
 * TODO, FIXME, XXX, HACK, STUB, PLACEHOLDER, or a "not implemented" stub (Python
 * NotImplementedError, Rust todo!/unimplemented!, `throw new Error("not implemented")`). Lines that
 * were there at the run's start are not this run's shortcuts. A line carrying `JUSTIFIED: <why>`
 * passes once a peer other than the one that wrote it approved the commit that added it.
 */
import { languageOf } from '../../../src/codemap/codemap.ts';
import { NOISE_DIRS } from '../../../src/git/repo-files.ts';
import { baselineOrFail, describeBaseline, notVouchedWhy } from '../baseline-or-fail.ts';
import { openCheckRepo } from '../check-repo.ts';
import type { Check } from '../types.ts';
import { shownName } from '../../../src/cli/terminal-text.ts';

const STUBS = /\bNotImplementedError\b|\braise NotImplemented\b|\b(?:todo|unimplemented)!\s*\(|not implemented/i;
/** The words are markers only in capitals, as written; "todo" in prose or a name is not one. */
const WORDS = /\b(?:TODO|FIXME|XXX|HACK|STUB|PLACEHOLDER)\b/;

export function shortcutMarker(line: string): string | undefined {
  return STUBS.exec(line)?.[0] ?? WORDS.exec(line)?.[0];
}

const LISTED = 40;

export const noShortcutMarkers: Check = {
  description: 'No source line added since the run began is a TODO/FIXME/XXX/HACK/STUB or a "not implemented" stub, unless JUSTIFIED and approved by another peer.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: true, report: 'shortcut-markers: no commits yet' };
    const base = baselineOrFail(repo, 'shortcut-markers');
    if ('pass' in base) return base;
    const paths = repo.git(['diff', '--name-only', '-z', '--no-renames', '--diff-filter=AM', base.sha, head]).stdout.split('\0').filter((p) => p && languageOf(p) && !p.split('/').some((d) => NOISE_DIRS.has(d)));
    const bad: string[] = [];
    for (const path of paths) {
      let blame: string[] | undefined;
      for (const added of repo.addedLines(base.sha, head, path)) {
        const marker = shortcutMarker(added.text);
        if (!marker) continue;
        const where = `  ${shownName(path)}:${added.line}: ${marker}: ${added.text.trim().slice(0, 100)}`;
        if (!/JUSTIFIED:\s*\S/.test(added.text)) {
          bad.push(where);
          continue;
        }
        blame ??= repo.blame(head, path);
        const sha = blame[added.line - 1];
        const writer = sha ? repo.peerOf(sha) : undefined;
        const v = sha ? repo.vouched(sha, new Set(writer ? [writer] : [])) : undefined;
        if (!sha || !v || !v.counts) bad.push(`${where} — JUSTIFIED, but ${sha ? notVouchedWhy(sha, writer) : 'its commit is unknown'}`);
      }
    }
    if (bad.length === 0) return { pass: true, report: `shortcut-markers: none added since ${describeBaseline(base)}` };
    return { pass: false, report: [`shortcut-markers: ${bad.length} added since ${describeBaseline(base)}:`, ...bad.slice(0, LISTED), ...(bad.length > LISTED ? [`  … and ${bad.length - LISTED} more`] : [])].join('\n') };
  },
};
