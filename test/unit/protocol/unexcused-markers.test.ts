import { afterEach, expect, test } from 'bun:test';
import { unexcusedMarkers } from '../../../src/protocol/unexcused-markers.ts';
import { makeRepo, type Repo } from './git-fixture.ts';

let repo: Repo;
afterEach(() => repo?.cleanup());

test('a run that started before the first commit: every commit is judged, and a skip nobody excused holds', () => {
  repo = makeRepo();
  repo.commit('first', { 'tests/test_a.py': 'def test_a():\n    assert 1\n' });
  const head = repo.commit('skip it', { 'tests/test_a.py': 'import pytest\n\n@pytest.mark.skip(reason="later")\ndef test_a():\n    assert 1\n' });
  const found = unexcusedMarkers(repo.dir, undefined, head);
  expect(found.ok).toBe(true);
  expect(found.ok && found.bad.map((v) => `${v.finding.file}:${v.finding.line}:${v.finding.kind}`)).toEqual(['tests/test_a.py:3:skip']);
});

test('from the root with nothing marked: clean', () => {
  repo = makeRepo();
  const head = repo.commit('first', { 'tests/test_a.py': 'def test_a():\n    assert 1\n', 'calc.py': 'def add(a, b):\n    return a + b\n' });
  expect(unexcusedMarkers(repo.dir, undefined, head)).toEqual({ ok: true, net: 0, bad: [] });
});
