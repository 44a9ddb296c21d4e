/** describe and document mode gates on real repositories: the committed files decide, not the working tree. */
import { afterEach, describe, expect, test } from 'bun:test';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { seedArchitecture, seedCodemap } from '../../../src/mode-registry/document/codemap-file.ts';
import { codemapAt } from '../../../src/codemap/codemap-at.ts';
import { openCheckRepo } from '../../../modes/checks/check-repo.ts';
import { TestRepo } from './repo-fixture.ts';

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const para = (word: string, n = 12) => Array.from({ length: n }, (_, i) => `${word} sentence ${i} explains one concrete property of the system.`).join(' ');
const SPEC = `# Spec\n\n## Threat Model\n${para('threat')}\n\n## Invariants\n${para('invariant')}\n\n## API\n${para('api')}\n`;
const ARCH = `# Architecture\n\n## Components\n${para('component')}\n\n## Data Flow\n${para('flow')}\n`;
const DESIGN = `# Design\n\n## Decisions\n${para('decision')}\n\n## Tradeoffs\n${para('tradeoff')}\n`;

describe('describe mode', () => {
  test('files present and sections written; a symlink or a thin section fails, naming the file', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'README.md': 'x\n' });
    repo.baseline();
    expect((await repo.check('description-files-present')).report).toContain('SPEC.md: missing');
    repo.write({ 'real.md': SPEC });
    symlinkSync('real.md', join(repo.dir, 'SPEC.md'));
    repo.commitAs('alice', 'docs', { 'ARCHITECTURE.md': ARCH, 'DESIGN.md': DESIGN.replace(para('tradeoff'), 'short') });
    expect((await repo.check('description-files-present')).report).toContain('SPEC.md: a symlink; commit the document itself');
    const sections = await repo.check('description-sections-present');
    expect(sections.report).toContain('DESIGN.md: "## Tradeoffs" has 5 characters, fewer than 50');
    expect(sections.report).toContain('SPEC.md: missing');
  });

  test('converged only after the last two doc commits of the run are refinements', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'README.md': 'x\n' });
    repo.baseline();
    repo.commitAs('alice', 'write the docs', { 'SPEC.md': SPEC, 'ARCHITECTURE.md': ARCH, 'DESIGN.md': DESIGN });
    let r = await repo.check('description-converged', { n: 2 });
    expect(r.report).toContain('1/2 commits touched the description files');
    repo.commitAs('bob', 'add a section', { 'DESIGN.md': `${DESIGN}\n## Limits\n${para('limit')}\n` });
    r = await repo.check('description-converged', { n: 2 });
    expect(r.report).toContain('adds section(s) "## Limits"');
    repo.commitAs('alice', 'reword one line', { 'SPEC.md': SPEC.replace('threat sentence 0', 'threat sentence zero') });
    repo.commitAs('bob', 'fix a typo', { 'ARCHITECTURE.md': ARCH.replace('component sentence 1', 'component sentence one') });
    r = await repo.check('description-converged', { n: 2 });
    expect(r).toEqual({ pass: true, report: 'description-converged: the last 2 commits to the description files were refinements' });
  });

  // Attack: git gives a file with a NUL byte no line count, so a rewrite carrying one would read as 0 lines changed.
  test('a NUL byte in a description file does not make a rewrite of it read as a refinement', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'README.md': 'x\n', 'SPEC.md': SPEC, 'ARCHITECTURE.md': ARCH, 'DESIGN.md': DESIGN });
    repo.baseline();
    repo.commitAs('alice', 'reword one line', { 'SPEC.md': SPEC.replace('threat sentence 0', 'threat sentence zero') });
    const lines = Array.from({ length: 120 }, (_, i) => `component note ${i} says one more thing about the system.`).join('\n');
    repo.commitAs('bob', 'extend the architecture', { 'ARCHITECTURE.md': `${ARCH}\0\n${lines}\n` });
    const r = await repo.check('description-converged', { n: 2 });
    expect(r.report).toContain('"extend the architecture" adds 121 lines');
    expect(r.pass).toBe(false);
  });
});

describe('document mode', () => {
  const SRC = {
    'src/store.ts': 'export class Store {\n  get(key: string): string | undefined {\n    return undefined;\n  }\n}\n',
    'src/util/parse.py': 'def parse(text):\n    return text.split()\n',
  };

  test('the seeded map is grounded and complete; summaries, drift and ARCHITECTURE.md anchors are held to the source', async () => {
    repo = new TestRepo();
    repo.commit('start', SRC);
    const symbols = codemapAt(openCheckRepo(repo.dir), repo.baseline());
    repo.commitAs('alice', 'seed', { 'CODEMAP.yaml': seedCodemap(symbols), 'ARCHITECTURE.md': seedArchitecture(symbols, 'demo') });
    expect((await repo.check('codemap-grounded')).pass).toBe(true);
    expect((await repo.check('codemap-complete')).pass).toBe(true);
    expect((await repo.check('codemap-signature-match')).pass).toBe(true);
    expect((await repo.check('codemap-summaries-complete')).report).toContain('src/util/parse.py:parse: no summary');
    expect((await repo.check('architecture-grounded')).report).toContain('a section still says <!-- TODO: write this section -->');

    // The source moves on: the map drifts, and a new function is missing from it.
    repo.commitAs('bob', 'change the code', { 'src/util/parse.py': '\ndef parse(text, sep):\n    return text.split(sep)\n\ndef join(parts):\n    return " ".join(parts)\n' });
    expect((await repo.check('codemap-grounded')).report).toContain('src/util/parse.py:parse: the source has function at src/util/parse.py:2, the map says function at src/util/parse.py:1');
    expect((await repo.check('codemap-signature-match')).report).toContain('src/util/parse.py:parse: signature is def parse(text, sep)');
    expect((await repo.check('codemap-complete')).report).toContain('src/util/parse.py:join: missing');

    const now = codemapAt(openCheckRepo(repo.dir), 'HEAD');
    const summarised = seedCodemap(now).replace(/summary: ""/g, 'summary: "Returns what the caller asked for, or undefined when absent."');
    const arch = '# demo\n\n## Overview\nStorage lives in [[src/store.ts:Store]] and text is split by [[src/util/parse.py:parse]].\n';
    repo.commitAs('alice', 'document', { 'CODEMAP.yaml': summarised, 'ARCHITECTURE.md': arch });
    for (const id of ['codemap-grounded', 'codemap-complete', 'codemap-signature-match', 'codemap-summaries-complete', 'architecture-grounded']) {
      const r = await repo.check(id);
      expect([id, r.pass, r.report]).toEqual([id, true, r.report]);
    }
  });
});
