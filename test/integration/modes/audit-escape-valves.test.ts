/**
 * The audit checks whose escape valve is a line in a commit message (Breaking-API,
 * Dependency-Justification, Diff-Size-Waive): each holds the gate until the valve is written or
 * approved by a peer OTHER than the one whose change it excuses, as the loop attests them.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { TestRepo } from './repo-fixture.ts';

let repo: TestRepo;
afterEach(() => repo?.cleanup());

describe('api-stable', () => {
  test('a removed public function holds the gate; the remover cannot excuse it; another peer can', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'src/shapes.py': 'def area(w, h):\n    return w * h\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n\ndef _private():\n    pass\n' });
    repo.baseline();
    expect((await repo.check('api-stable')).pass).toBe(true);

    repo.commitAs('alice', 'Drop perimeter, change area', { 'src/shapes.py': 'def area(w, h, unit):\n    return w * h\n\ndef _private_too():\n    pass\n' });
    let r = await repo.check('api-stable');
    expect(r.pass).toBe(false);
    expect(r.report).toContain('src/shapes.py:perimeter (function, src/shapes.py:4): removed');
    expect(r.report).toContain('src/shapes.py:area (function, src/shapes.py:1): signature def area(w, h) → def area(w, h, unit)');
    expect(r.report).not.toContain('_private');

    // alice declares her own breaking change: it is hers to excuse, so it does not count yet.
    const decl = repo.commitAs('alice', 'Declare the break\n\nBreaking-API: perimeter: nobody calls it, the spec drops it\nBreaking-API: area: units are required now');
    r = await repo.check('api-stable');
    expect(r.pass).toBe(false);
    expect(r.report).toContain(`alice wrote it for its own change; another peer must approve commit ${decl.slice(0, 12)}`);

    repo.approve('bob', decl);
    r = await repo.check('api-stable');
    expect(r.report).toBe('api-stable: 2 breaking change(s) since ' + r.report.split(' since ')[1]);
    expect(r.pass).toBe(true);
  });

  test('TypeScript: a breaking change declared by the reviewing peer counts; new exports never break', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'src/api.ts': 'export function greet(name: string): string {\n  return `hi ${name}`;\n}\n' });
    repo.baseline();
    repo.commitAs('alice', 'Rename greet', { 'src/api.ts': 'export function hello(name: string): string {\n  return `hi ${name}`;\n}\nexport const VERSION = 2;\n' });
    expect((await repo.check('api-stable')).report).toContain('src/api.ts:greet (function, src/api.ts:1): removed — no "Breaking-API: greet: <why>" line');
    repo.commitAs('bob', 'Review: the rename is intended\n\nBreaking-API: src/api.ts:greet: renamed to hello as the spec says');
    expect((await repo.check('api-stable')).pass).toBe(true);
  });
});

describe('deps-justified', () => {
  test('an undisclosed npm dependency holds the gate, a self-justified one too, until another peer approves', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'package.json': JSON.stringify({ name: 'x', dependencies: { express: '^4' } }, null, 2) });
    repo.baseline();
    const add = repo.commitAs('alice', 'Use lodash', { 'package.json': JSON.stringify({ name: 'x', dependencies: { express: '^4', lodash: '^4' }, devDependencies: { '@types/lodash': '^4' } }, null, 2) });
    let r = await repo.check('deps-justified');
    expect(r.pass).toBe(false);
    expect(r.report).toContain('package.json: lodash — no "Dependency-Justification: lodash: <why, 10+ characters>" line');
    expect(r.report).toContain('package.json: @types/lodash');
    expect(r.report).not.toContain('express');

    const just = repo.commitAs('alice', 'Justify\n\nDependency-Justification: lodash: deep clone of nested config objects\nDependency-Justification: @types/lodash: types for the above');
    r = await repo.check('deps-justified');
    expect(r.report).toContain(`alice wrote it for its own change; another peer must approve commit ${just.slice(0, 12)}`);
    repo.approve('bob', just);
    expect((await repo.check('deps-justified')).pass).toBe(true);
    expect(add).toBeTruthy();
  });

  test('Cargo.toml, go.mod and pyproject.toml dependencies are read too; the reviewer may justify them', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'Cargo.toml': '[package]\nname = "x"\n\n[dependencies]\nserde = "1"\n', 'svc/go.mod': 'module x\n\ngo 1.19\n', 'tools/pyproject.toml': '[project]\nname = "t"\ndependencies = []\n' });
    repo.baseline();
    repo.commitAs('alice', 'Add deps', {
      'Cargo.toml': '[package]\nname = "x"\n\n[dependencies]\nserde = "1"\nregex = "1"\n',
      'svc/go.mod': 'module x\n\ngo 1.19\n\nrequire github.com/pkg/errors v0.9.1\n',
      'tools/pyproject.toml': '[project]\nname = "t"\ndependencies = [\n  "Requests>=2",\n]\n',
    });
    const r = await repo.check('deps-justified');
    expect(r.report).toContain('3 undisclosed dependency(ies)');
    for (const dep of ['Cargo.toml: regex', 'svc/go.mod: github.com/pkg/errors', 'tools/pyproject.toml: requests']) expect(r.report).toContain(`  ${dep} — `);
    expect(r.report).not.toContain('serde');
    repo.commitAs('bob', 'Reviewed the new dependencies\n\nDependency-Justification: regex: parsing the config grammar\nDependency-Justification: github.com/pkg/errors: wrapped errors with stacks\nDependency-Justification: requests: the HTTP client the tool needs');
    expect((await repo.check('deps-justified')).pass).toBe(true);
  });

  test('a requirements line that names no package by itself (a URL, an editable install, an included file, another index) still adds a dependency', async () => {
    // Options and URLs were skipped: alice pulled code in through each of these and the gate said
    // "no dependency added".
    repo = new TestRepo();
    repo.commit('start', { 'requirements.txt': 'requests==2.31\n' });
    repo.baseline();
    repo.commitAs('alice', 'Faster parsing', {
      'requirements.txt': [
        'requests==2.31',
        'git+https://github.com/evil/fastjson@v1#egg=fastjson',
        'https://example.com/dist/yamlish-1.0.tar.gz',
        '-e ./vendor/speedups',
        '-r extra/more.txt',
        '--extra-index-url https://pypi.example.com/simple',
        '--frobnicate',
        '',
      ].join('\n'),
      'extra/more.txt': 'leftpad\n',
    });
    const r = await repo.check('deps-justified');
    expect(r.pass).toBe(false);
    // Named as Python names are (PEP 503); a justification matches however it spells them.
    for (const dep of ['fastjson', 'yamlish-1-0-tar-gz', 'speedups', 'extra/more-txt', '-extra-index-url', '-frobnicate']) expect(r.report).toContain(`  requirements.txt: ${dep} — `);
    expect(r.report).not.toContain('requests');
    repo.commitAs('bob', 'Reviewed\n\n' + ['fastjson', 'yamlish-1.0.tar.gz', 'speedups', 'extra/more.txt', '--extra-index-url', '--frobnicate'].map((d) => `Dependency-Justification: ${d}: read it, it is what the parser needs`).join('\n'));
    expect((await repo.check('deps-justified')).pass).toBe(true);
  });
});

describe('diff-size-per-resolve', () => {
  const big = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `line ${i} ${tag}`).join('\n') + '\n';

  test('a 250-line fix holds the gate; a short or self-written waiver does not count; another peer\'s waiver does; lockfiles are exempt', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'src/parse.js': big(10, 'a') });
    repo.baseline();
    repo.commitAs('bob', 'BUG-1: parse loses lines\n\nBug-Report: BUG-1');
    const fix = repo.commitAs('alice', 'Resolve BUG-1\n\nBug-Resolves: BUG-1', { 'src/parse.js': big(250, 'b'), 'package-lock.json': big(900, 'lock') });
    let r = await repo.check('diff-size-per-resolve');
    expect(r.pass).toBe(false);
    expect(r.report).toContain(`${fix.slice(0, 8)} "Resolve BUG-1": src/parse.js +250/-10`);
    expect(r.report).not.toContain('package-lock.json');

    repo.commitAs('bob', `Waive\n\nDiff-Size-Waive: ${fix.slice(0, 12)}:src/parse.js\n{"reason": "too short"}`);
    expect((await repo.check('diff-size-per-resolve')).report).toContain('gives no reason of 40+ characters');
    const own = repo.commitAs('alice', `Waive my own\n\n{"reason": "the parser had to be rewritten: the old one could not stream"}\n\nDiff-Size-Waive: ${fix.slice(0, 12)}:src/parse.js`);
    expect((await repo.check('diff-size-per-resolve')).report).toContain(`alice wrote it for its own change; another peer must approve commit ${own.slice(0, 12)}`);
    repo.approve('bob', own);
    r = await repo.check('diff-size-per-resolve');
    expect(r.pass).toBe(true);
  });

  // Attack: git calls a file with a NUL byte binary and gives it no line count (`-\t-`), so one
  // NUL in a comment would let a fix rewrite 250 lines of a source file without a waiver.
  test('a NUL byte in the fixed file does not hide its 250 changed lines', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'src/parse.js': big(10, 'a') });
    repo.baseline();
    repo.commitAs('bob', 'BUG-1: parse loses lines\n\nBug-Report: BUG-1');
    const fix = repo.commitAs('alice', 'Resolve BUG-1\n\nBug-Resolves: BUG-1', { 'src/parse.js': `// \0\n${big(249, 'b')}` });
    const r = await repo.check('diff-size-per-resolve');
    expect(r.pass).toBe(false);
    expect(r.report).toContain(`${fix.slice(0, 8)} "Resolve BUG-1": src/parse.js +250/-10`);
  });
});
