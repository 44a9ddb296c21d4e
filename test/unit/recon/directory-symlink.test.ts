/**
 * Recon and codemap read the peers' tree from the loop (pod) or the host: a directory the peers
 * swapped for a symlink earlier in a path (`src` -> somewhere outside) must not lead them outside
 * the tree. SECURITY.md, "Collaboration protocol", "Project text is data".
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCodemap } from '../../../src/codemap/codemap.ts';
import { renderRecon } from '../../../src/recon/recon.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A tree whose `src` and `lib/keys` are symlinks to a directory outside it holding source files. */
function treeWithDirectoryLinks(): { repo: string; files: string[] } {
  const base = mkdtempSync(join(tmpdir(), 'peers-dirlink-'));
  dirs.push(base);
  const outside = join(base, 'loop-secrets');
  mkdirSync(outside);
  writeFileSync(join(outside, 'main.py'), 'def leaked_outside_symbol():\n    return "runner key"\n');
  writeFileSync(join(outside, 'index.ts'), 'export function leakedTsSymbol(): string { return "x"; }\n');
  const repo = join(base, 'clone');
  mkdirSync(join(repo, 'lib'), { recursive: true });
  writeFileSync(join(repo, 'lib', 'ok.py'), 'def inside_symbol():\n    return 1\n');
  symlinkSync(outside, join(repo, 'src'));
  symlinkSync(outside, join(repo, 'lib', 'keys'));
  // The file list is HEAD's tree in the mirror, where `src/` and `lib/keys/` were directories.
  return { repo, files: ['lib/keys/main.py', 'lib/ok.py', 'src/index.ts', 'src/main.py'] };
}

test('a directory swapped for a symlink earlier in a path does not lead codemap outside the tree', () => {
  const { repo, files } = treeWithDirectoryLinks();
  const map = buildCodemap(repo, { files });
  const names = map.symbols.map((s) => s.id).join(' ');
  expect(names).toContain('inside_symbol');
  expect(names).not.toContain('leaked_outside_symbol');
  expect(names).not.toContain('leakedTsSymbol');
  expect(map.filesScanned).toBe(1);
});

test('a directory swapped for a symlink does not make recon list what is outside the tree', () => {
  const { repo, files } = treeWithDirectoryLinks();
  const md = renderRecon(repo, files);
  expect(md).not.toContain('`src/main.py`');
  expect(md).not.toContain('`src/index.ts`');
});
