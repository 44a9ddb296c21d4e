/**
 * What `peers init` reads of a project on disk (projectFilesAt): a path that runs through a file
 * is no file. A Python project with modules directly under `src/` (`src/shapes.py`) made init's
 * src-layout question (`src/<entry>/__init__.py` for every entry) throw ENOTDIR, and `peers init`
 * ended in exit 70 on an ordinary project.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectProject } from '../../../src/config/detect-project.ts';
import { projectFilesAt } from '../../../src/mode-registry/init-project.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

test('modules directly under src/ (no package directory) are read, and a path through a file is no file', () => {
  const repo = tempDir('project-files-');
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src/shapes.py'), 'def parse_size(s):\n    return s\n');
  mkdirSync(join(repo, 'tests'));
  writeFileSync(join(repo, 'tests/test_shapes.py'), 'from shapes import parse_size\n\n\ndef test_parse():\n    assert parse_size("1x2")\n');
  writeFileSync(join(repo, 'pyproject.toml'), '[project]\nname = "shapes"\nversion = "0.1.0"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n');
  const files = projectFilesAt(repo);
  expect(files.exists('src/shapes.py/__init__.py')).toBe(false);
  expect(files.read('src/shapes.py/__init__.py')).toBeUndefined();
  expect(files.list('src/shapes.py')).toEqual([]);
  const found = detectProject(files);
  expect(found.gates.map((g) => g.cmd)).toContain('python3 -m pytest -q');
});
