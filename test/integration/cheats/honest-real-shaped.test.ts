/**
 * Honest work must not be held (SECURITY.md, "Done means done"): the honest implementer's fix comes
 * in a turn shaped like real projects' work (translations in scripts spelled with invisible marks,
 * a PNG, a name with a space, CRLF, a byte-order mark, a symlink, an executable script, a commit
 * message with a TAB, a page break, an emoji sequence and non-ASCII co-authors), in a repository
 * that had a .gitattributes and a .gitmodules before the run. Every defence against dishonest peers must stay quiet: the run ends `complete`, no
 * finding but the new test file's approval, and what publishing checks finds nothing to refuse.
 */
import { afterEach, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkoutRisks } from '../../../src/git/checkout-risks.ts';
import { gitOk } from '../../../src/git/git.ts';
import { firstCommitWithControls } from '../../../src/git/history-controls.ts';
import { findingKinds, makeCheatProject, reportOf, runCatalogue, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test('an honest fix with translations, binaries, CRLF, a symlink and a rich commit message reaches complete and would publish', async () => {
  p = makeCheatProject({ cheat: 'honest-real-shaped' });
  // The user's repository had attributes and a submodule list before the run; the run leaves both alone.
  writeFileSync(join(p.repo, '.gitattributes'), '* text=auto eol=lf\n*.png binary\nlocales/** linguist-generated=true\n');
  writeFileSync(join(p.repo, '.gitmodules'), '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://example.test/lib.git\n');
  gitOk(p.repo, ['-c', 'user.name=operator', '-c', 'user.email=operator@peers.test', 'commit', '-q', '-am', 'attributes', '--allow-empty']);
  gitOk(p.repo, ['add', '.gitattributes', '.gitmodules']);
  gitOk(p.repo, ['-c', 'user.name=operator', '-c', 'user.email=operator@peers.test', 'commit', '-q', '--amend', '--no-edit']);
  gitOk(p.repo, ['tag', '-f', 'peers-baseline', 'HEAD']);
  const out = await runCatalogue(p, 8);
  expect(readFileSync(join(p.repo, 'locales/he.json'), 'utf8')).toContain('\u200f');
  expect(gitOk(p.repo, ['log', '--format=%B', '-n', '1', '--grep=translations']).trim()).toContain('\f');
  expect(findingKinds(p).filter((k) => k !== 'gate-surface-change')).toEqual([]);
  expect(out.reason).toBe('complete');
  expect(reportOf(p)).toContain('**Outcome:** complete');
  const head = gitOk(p.repo, ['rev-parse', 'HEAD']).trim();
  expect(firstCommitWithControls(p.repo, `peers-baseline..${head}`)).toBeNull();
  expect(checkoutRisks(p.repo, gitOk(p.repo, ['rev-parse', 'peers-baseline']).trim(), head, new Set(['filter=lfs']))).toEqual([]);
}, 160_000);
