import { describe, expect, test } from 'bun:test';
import type { CodeSymbol } from '../../../src/codemap/types.ts';
import { anchorsIn, architectureFindings, completenessFindings, groundingFindings, parseCodemapFile, seedArchitecture, seedCodemap, signatureFindings, summaryFindings } from '../../../src/mode-registry/document/codemap-file.ts';
import { sections, substantive } from '../../../modes/checks/describe/description.ts';

const SYMS: CodeSymbol[] = [
  { id: 'src/a.py:parse', kind: 'function', name: 'parse', file: 'src/a.py', line: 3, signature: 'def parse(text)' },
  { id: 'src/b/c.py:Store.get', kind: 'method', name: 'get', parent: 'Store', file: 'src/b/c.py', line: 9, signature: 'def get(self, key)' },
];

describe('document mode rules', () => {
  test('the seeded CODEMAP.yaml parses, is grounded and complete, and waits for summaries', () => {
    const parsed = parseCodemapFile(seedCodemap(SYMS));
    if ('error' in parsed) throw new Error(parsed.error);
    expect(groundingFindings(parsed.entries, SYMS)).toEqual([]);
    expect(signatureFindings(parsed.entries, SYMS)).toEqual([]);
    expect(completenessFindings(parsed.entries, SYMS)).toEqual([]);
    expect(summaryFindings(parsed.entries)).toEqual(['src/a.py:parse: no summary', 'src/b/c.py:Store.get: no summary']);
  });

  test('drift is named: a moved line, a changed signature, an invented symbol, a missing one, lazy summaries', () => {
    const entries = [
      { id: 'src/a.py:parse', kind: 'function' as const, file: 'src/a.py', line: 4, signature: 'def parse(text, strict)', summary: 'parse' },
      { id: 'src/a.py:ghost', kind: 'function' as const, file: 'src/a.py', line: 1, summary: 'TODO' },
    ];
    expect(groundingFindings(entries, SYMS)).toEqual(['src/a.py:parse: the source has function at src/a.py:3, the map says function at src/a.py:4', 'src/a.py:ghost: no such public symbol in the source']);
    expect(signatureFindings(entries, SYMS)).toEqual(['src/a.py:parse: signature is def parse(text), the map says def parse(text, strict)']);
    expect(completenessFindings(entries, SYMS)).toEqual(['src/b/c.py:Store.get: missing (method at src/b/c.py:9)']);
    expect(summaryFindings(entries)).toEqual(['src/a.py:parse: summary "parse" is a placeholder or under three words', 'src/a.py:ghost: summary "TODO" is a placeholder or under three words']);
    expect(parseCodemapFile('entries: [{id: x}]')).toMatchObject({ error: expect.stringContaining('does not match its schema') });
  });

  test('ARCHITECTURE.md: the seed is unwritten; anchors must be real; every directory anchored; fenced examples ignored', () => {
    const seed = seedArchitecture(SYMS, 'demo');
    expect(architectureFindings(seed, SYMS)).toEqual(['a section still says <!-- TODO: write this section -->', 'src/ has public symbols but no [[anchor]] to any of them', 'src/b/ has public symbols but no [[anchor]] to any of them']);
    const written = '# demo\n\n```\n[[not/checked:here]]\n```\n\nParsing starts in [[src/a.py:parse]]; lookups go through [[src/b/c.py:Store.get]] and [[src/x.py:nope]].\n';
    expect(anchorsIn(written)).toEqual(['src/a.py:parse', 'src/b/c.py:Store.get', 'src/x.py:nope']);
    expect(architectureFindings(written, SYMS)).toEqual(['[[src/x.py:nope]] is not a public symbol of the source (a CODEMAP id such as [[src/a.py:parse]])']);
  });
});

describe('describe mode rules', () => {
  test('sections run to the next "## " (### stays inside); a repeated heading keeps the last body', () => {
    const s = sections('# T\n## API\nold\n## Invariants\nalways\n### detail\nmore\n## API\nnew body\n');
    expect(s.get('Invariants')).toBe('always\n### detail\nmore');
    expect(s.get('API')).toBe('new body');
  });

  test('substantive: a new section, 100+ added lines, or a rewrite deleting half — but a one-line rewording is a refinement', () => {
    expect(substantive({ added: 1, deleted: 1, newHeadings: [] })).toBeUndefined();
    expect(substantive({ added: 30, deleted: 10, newHeadings: [] })).toBeUndefined();
    expect(substantive({ added: 0, deleted: 3, newHeadings: [] })).toBeUndefined();
    expect(substantive({ added: 100, deleted: 0, newHeadings: [] })).toBe('adds 100 lines');
    expect(substantive({ added: 5, deleted: 30, newHeadings: [] })).toBe('deletes 30 of 35 changed lines');
    expect(substantive({ added: 2, deleted: 0, newHeadings: ['Limits'] })).toBe('adds section(s) "## Limits"');
  });
});
