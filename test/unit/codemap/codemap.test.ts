import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildCodemap, runCodemap, selfCheckCodemap } from '../../../src/codemap/codemap.ts';
import { renderCodemapDigest } from '../../../src/codemap/digest.ts';
import { parseGo, parseRust } from '../../../src/codemap/parse-go-rust.ts';
import { parsePython } from '../../../src/codemap/parse-python.ts';
import { parseTypeScript } from '../../../src/codemap/parse-ts.ts';
import type { Repo } from '../protocol/git-fixture.ts';
import { pythonRepo, typescriptRepo } from './fixtures.ts';

let repo: Repo;
const dirs: string[] = [];
afterEach(() => {
  repo?.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sig = (map: ReturnType<typeof buildCodemap>) => Object.fromEntries(map.symbols.map((s) => [s.id, `${s.kind} @${s.line}: ${s.signature}`]));

describe('codemap of a TypeScript repository', () => {
  test('lists every exported symbol and public method with line and signature, and nothing from comments, strings or tests', () => {
    repo = typescriptRepo();
    const map = buildCodemap(repo.dir);
    expect(sig(map)).toEqual({
      'src/cart.ts:Cart': 'class @7: class Cart<T extends { sku: string }>',
      'src/cart.ts:Cart.add': 'method @11: add(item: T, qty = 1): this',
      'src/cart.ts:Cart.constructor': 'method @10: constructor(readonly owner: string)',
      'src/cart.ts:Cart.empty': 'method @20: static empty<U extends { sku: string }>(): Cart<U>',
      'src/cart.ts:Cart.total': 'method @16: async total(prices: Map<string, Money>): Promise<Money>',
      'src/money.ts:Currency': 'type @1: type Currency = "EUR" | "USD"',
      'src/money.ts:Money': 'interface @2: interface Money',
      'src/money.ts:Rounding': 'enum @8: enum Rounding',
      'src/money.ts:ZERO': 'const @6: const ZERO: Money',
      'src/money.ts:add': 'const @7: const add = (a: Money, b: Money): Money =>',
      'src/money.ts:alsoLocal': 'function @14: function alsoLocal()',
      'src/money.ts:format': 'function @9: function format(m: Money, digits = 2): string',
    });
  });

  test('runCodemap writes CODEMAP.yaml and a byte-capped codemap.md', () => {
    repo = typescriptRepo();
    const out = mkdtempSync(join(tmpdir(), 'peers-h7-out-'));
    dirs.push(out);
    const res = runCodemap(repo.dir, out);
    expect(res).toMatchObject({ symbols: 12, filesScanned: 3, digestLevel: 'signatures', selfCheck: 'self-check CLEAN (12 entries grounded)' });
    // An entry whose line does not hold its name is reported as drift.
    const fake = { id: 'src/money.ts:Ghost', kind: 'function' as const, name: 'Ghost', file: 'src/money.ts', line: 3, signature: 'function Ghost()' };
    expect(selfCheckCodemap(repo.dir, [fake]).verdict).toBe('self-check 1 DRIFT: src/money.ts:3 Ghost');
    const yaml = parse(readFileSync(join(out, 'CODEMAP.yaml'), 'utf8'));
    expect(yaml.entries[0]).toEqual({ id: 'src/cart.ts:Cart', kind: 'class', file: 'src/cart.ts', line: 7, signature: 'class Cart<T extends { sku: string }>' });
    const md = readFileSync(join(out, 'codemap.md'), 'utf8');
    expect(md).toContain('## src/money.ts');
    expect(md).toContain('  function format(m: Money, digits = 2): string  (:9)');
    expect(md).toContain('    add(item: T, qty = 1): this  (:11)');
  });
});

describe('codemap of CommonJS JavaScript', () => {
  test('exports.x assignments and module.exports objects make symbols public', () => {
    const src = "'use strict';\nfunction parse(text) { return text; }\nclass Lexer { next() {} }\nfunction internal() {}\nexports.tokenize = function tokenize(src, { strict = false } = {}) { return []; };\nmodule.exports = { parse, Lexer };\n";
    expect(parseTypeScript(src, 'lib.js').map((s) => `${s.id}:${s.line}:${s.signature}`)).toEqual([
      'lib.js:parse:2:function parse(text)',
      'lib.js:Lexer:3:class Lexer',
      'lib.js:Lexer.next:3:next()',
      'lib.js:tokenize:5:exports.tokenize = function tokenize(src, { strict = false } = {})',
    ]);
  });
});

describe('signatures', () => {
  test('comments inside a signature are dropped, while // inside a string default stays', () => {
    const src = 'export function fetchUrl(\n  url = "http://example.test/x", // where\n  /** ms */ timeout = 5,\n): Promise<string> {}\nexport type Mode =\n  | "a" // first\n  | "b";\n';
    expect(parseTypeScript(src, 'a.ts').map((s) => s.signature)).toEqual(['function fetchUrl(url = "http://example.test/x", timeout = 5): Promise<string>', 'type Mode = | "a" | "b"']);
  });
});

describe('codemap of a Python repository', () => {
  test('top-level defs and classes, public methods, decorators, async and multi-line signatures, docstring summaries', () => {
    repo = pythonRepo();
    const map = buildCodemap(repo.dir);
    expect(sig(map)).toEqual({
      'src/inventory/store.py:Store': 'class @8: class Store',
      'src/inventory/store.py:Store.load': 'method @18: async def load(self, key: str, default: bytes = b"{}") -> bytes',
      'src/inventory/store.py:Store.size': 'method @15: @property def size(self) -> int',
      'src/inventory/store.py:open_store': 'function @29: def open_store(path: str = "./data:x", *, readonly: bool = False) -> Store',
    });
    expect(map.symbols.find((s) => s.name === 'Store')!.summary).toBe('Keeps items on disk.');
    expect(map.symbols.find((s) => s.name === 'load')!.summary).toBe('Load one item.');
    expect(map.symbols.find((s) => s.name === 'open_store')!.summary).toBe('Open a store.');
  });
});

describe('Python __all__', () => {
  test('a literal __all__ limits the public symbols to the names it lists', () => {
    const src = '__all__ = [\n    "Public",\n    "helper",\n]\n\nclass Public:\n    def m(self): pass\n\nclass NotListed:\n    def n(self): pass\n\ndef helper(): pass\ndef other(): pass\n';
    expect(parsePython(src, 'm.py').map((s) => s.id)).toEqual(['m.py:Public', 'm.py:Public.m', 'm.py:helper']);
  });
});

describe('Go and Rust', () => {
  test('Go: exported var and const', () => {
    expect(parseGo('package p\nconst MaxSize = 10 // bytes\nvar Default = New()\nvar hidden = 1\n', 'p.go').map((s) => `${s.kind}:${s.signature}`)).toEqual(['const:const MaxSize = 10', 'variable:var Default = New()']);
  });

  test('Go: exported funcs, methods with receivers, types (grouped too); unexported and raw-string text ignored', () => {
    const src = 'package s\n// func Commented() {}\nvar x = `func InRaw() {}`\ntype Store struct{ p string }\ntype (\n\tKey string\n\tlocal int\n)\nfunc New(p string) (*Store, error) { return nil, nil }\nfunc (s *Store) Get(k Key) string { return "" }\nfunc helper() {}\n';
    expect(parseGo(src, 'a.go').map((s) => `${s.id}:${s.line}:${s.signature}`)).toEqual([
      'a.go:New:9:func New(p string) (*Store, error)',
      'a.go:Store.Get:10:func (s *Store) Get(k Key) string',
      'a.go:Store:4:type Store struct',
      'a.go:Key:6:type Key string',
    ]);
  });

  test('Rust: pub items, impl methods, trait methods; pub(crate), private fns and strings ignored', () => {
    const src = 'const S: &str = r#"pub fn in_raw() {}"#;\npub struct Store { p: String }\npub(crate) fn internal() {}\nfn private() {}\nimpl Store {\n    pub fn new(p: &str) -> Self { let c = \'{\'; todo!() }\n    fn hidden(&self) {}\n}\npub trait Load {\n    fn load(&self) -> Option<String>;\n}\n';
    expect(parseRust(src, 'lib.rs').map((s) => `${s.id}:${s.line}:${s.signature}`)).toEqual([
      'lib.rs:Store:2:pub struct Store',
      'lib.rs:Store.new:6:pub fn new(p: &str) -> Self',
      'lib.rs:Load:9:pub trait Load',
      'lib.rs:Load.load:10:fn load(&self) -> Option<String>',
    ]);
  });
});

describe('codemap.md digest', () => {
  const many = Array.from({ length: 3000 }, (_, i) => ({ id: `f${i % 300}.ts:sym${i}`, kind: 'function' as const, name: `sym${i}`, file: `src/f${i % 300}.ts`, line: i + 1, signature: `function sym${i}(a: number, b: string): Promise<void>` }));

  test('degrades from signatures to names to counts to stay under the cap', () => {
    expect(renderCodemapDigest(many.slice(0, 10)).level).toBe('signatures');
    expect(renderCodemapDigest(many.slice(0, 600)).level).toBe('names');
    const big = renderCodemapDigest(many);
    expect(big.level).toBe('counts');
    expect(Buffer.byteLength(big.text)).toBeLessThanOrEqual(25_000);
    const tiny = renderCodemapDigest(many, 2_000);
    expect(tiny.level).toBe('counts-truncated');
    expect(Buffer.byteLength(tiny.text)).toBeLessThanOrEqual(2_000);
    expect(tiny.text).toMatch(/…\[\+\d+ more files in CODEMAP.yaml\]/);
  });

  test('an empty project says so', () => {
    expect(renderCodemapDigest([]).text).toContain('_(empty — no public symbols found)_');
  });
});
