/**
 * Small real projects, one per language, for the mode runs: the same little library (area,
 * perimeter, parse_size) with happy/edge/sad tests, its own linter where the language has one, and
 * the same bug (a size with three parts is accepted) — plus the files the scripted peers copy in:
 * a reproducing test, the fix, and for implement a two-step plan with its acceptance test.
 */
import type { Files } from './repo-fixture.ts';

export type Lang = 'python' | 'js' | 'go' | 'rust';
export type AuditProject = { start: Files; reproduce: Files; fix: Files; location: string };

const PY_SHAPES = (check: string) => `"""Rectangles: area, perimeter and "WxH" sizes."""


def area(w, h):
    return w * h


def perimeter(w, h):
    return 2 * (w + h)


def parse_size(text):
    parts = text.split("x")
    if ${check}:
        raise ValueError("expected WxH")
    return int(parts[0]), int(parts[1])
`;

const JS_SHAPES = (check: string) => `export const area = (w, h) => w * h;
export const perimeter = (w, h) => 2 * (w + h);
export function parseSize(text) {
  const parts = text.split('x');
  if (${check}) throw new Error('expected WxH');
  return [Number(parts[0]), Number(parts[1])];
}
`;

const GO_SHAPES = (check: string) => `// Package shapes computes with rectangles.
package shapes

import (
	"errors"
	"strconv"
	"strings"
)

// Area of a w by h rectangle.
func Area(w, h int) int { return w * h }

// Perimeter of a w by h rectangle.
func Perimeter(w, h int) int { return 2 * (w + h) }

// ParseSize reads "WxH".
func ParseSize(text string) (int, int, error) {
	parts := strings.Split(text, "x")
	if ${check} {
		return 0, 0, errors.New("expected WxH")
	}
	w, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, err
	}
	h, err := strconv.Atoi(parts[1])
	return w, h, err
}
`;

const RUST_SHAPES = (check: string) => `//! Rectangles: area, perimeter and "WxH" sizes.

pub fn area(w: u32, h: u32) -> u32 {
    w * h
}

pub fn perimeter(w: u32, h: u32) -> u32 {
    2 * (w + h)
}

pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let parts: Vec<&str> = text.split('x').collect();
    if ${check} {
        return Err("expected WxH".to_string());
    }
    let w = parts[0].parse::<u32>().map_err(|e| e.to_string())?;
    let h = parts[1].parse::<u32>().map_err(|e| e.to_string())?;
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_ok() {
        assert_eq!(area(3, 4), 12);
    }

    #[test]
    fn area_zero_edge() {
        assert_eq!(area(0, 4), 0);
    }

    #[test]
    fn parse_size_invalid_error() {
        assert!(parse_size("x").is_err());
    }
}
`;

export const AUDIT: Record<Lang, AuditProject> = {
  python: {
    start: {
      'pyproject.toml': '[project]\nname = "shapes"\nversion = "0.1.0"\ndependencies = []\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n',
      'src/shapes.py': PY_SHAPES('len(parts) < 2'),
      'tests/test_shapes.py': 'import pytest\nfrom shapes import area, parse_size\n\n\ndef test_area_ok():\n    assert area(3, 4) == 12\n\n\ndef test_area_zero_edge():\n    assert area(0, 4) == 0\n\n\ndef test_parse_size_invalid_error():\n    with pytest.raises(ValueError):\n        parse_size("x")\n',
    },
    reproduce: { 'tests/test_bug1.py': 'import pytest\nfrom shapes import parse_size\n\n\ndef test_parse_size_three_parts_rejected():\n    with pytest.raises(ValueError):\n        parse_size("3x4x5")\n' },
    fix: { 'src/shapes.py': PY_SHAPES('len(parts) != 2') },
    location: 'src/shapes.py:14',
  },
  js: {
    start: {
      'package.json': `${JSON.stringify({ name: 'shapes', version: '1.0.0', type: 'module', scripts: { test: 'node --test', lint: 'node lint.js' } }, null, 2)}\n`,
      'lint.js': "import { readFileSync } from 'node:fs';\nconst bad = ['src/shapes.js'].filter((f) => /\\bvar\\b/.test(readFileSync(f, 'utf8')));\nfor (const f of bad) console.error(`${f}: use const or let, not var`);\nprocess.exit(bad.length ? 1 : 0);\n",
      'src/shapes.js': JS_SHAPES('parts.length < 2'),
      'test/shapes.test.js': "import test from 'node:test';\nimport assert from 'node:assert';\nimport { area, parseSize } from '../src/shapes.js';\n\ntest('area ok', () => assert.equal(area(3, 4), 12));\ntest('area zero edge', () => assert.equal(area(0, 4), 0));\ntest('parseSize invalid error', () => assert.throws(() => parseSize('5')));\n",
    },
    reproduce: { 'test/bug1.test.js': "import test from 'node:test';\nimport assert from 'node:assert';\nimport { parseSize } from '../src/shapes.js';\n\ntest('parseSize rejects three parts', () => assert.throws(() => parseSize('3x4x5')));\n" },
    fix: { 'src/shapes.js': JS_SHAPES('parts.length !== 2') },
    location: 'src/shapes.js:5',
  },
  go: {
    start: {
      'go.mod': 'module example.com/shapes\n\ngo 1.19\n',
      'shapes.go': GO_SHAPES('len(parts) < 2'),
      'shapes_test.go': 'package shapes\n\nimport "testing"\n\nfunc TestAreaOk(t *testing.T) {\n\tif Area(3, 4) != 12 {\n\t\tt.Fatal("3x4")\n\t}\n}\n\nfunc TestAreaZeroEdge(t *testing.T) {\n\tif Area(0, 4) != 0 {\n\t\tt.Fatal("0x4")\n\t}\n}\n\nfunc TestParseSizeInvalidError(t *testing.T) {\n\tif _, _, err := ParseSize("x"); err == nil {\n\t\tt.Fatal("x accepted")\n\t}\n}\n',
    },
    reproduce: { 'bug1_test.go': 'package shapes\n\nimport "testing"\n\nfunc TestParseSizeThreePartsRejected(t *testing.T) {\n\tif _, _, err := ParseSize("3x4x5"); err == nil {\n\t\tt.Fatal("3x4x5 accepted")\n\t}\n}\n' },
    fix: { 'shapes.go': GO_SHAPES('len(parts) != 2') },
    location: 'shapes.go:19',
  },
  rust: {
    start: {
      'Cargo.toml': '[package]\nname = "shapes"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n',
      '.gitignore': 'target/\n',
      'src/lib.rs': RUST_SHAPES('parts.len() < 2'),
    },
    reproduce: { 'tests/bug1.rs': '#[test]\nfn parse_size_three_parts_rejected() {\n    assert!(shapes::parse_size("3x4x5").is_err());\n}\n' },
    fix: { 'src/lib.rs': RUST_SHAPES('parts.len() != 2') },
    location: 'src/lib.rs:12',
  },
};

/** audit, held: the public perimeter() is gone and a dependency appears, neither disclosed. */
export const AUDIT_BREAK: Files = {
  'src/shapes.py': PY_SHAPES('len(parts) < 2').replace(/def perimeter\(w, h\):\n {4}return 2 \* \(w \+ h\)\n\n\n/, ''),
  'pyproject.toml': '[project]\nname = "shapes"\nversion = "0.1.0"\ndependencies = ["requests>=2"]\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n',
};

const para = (word: string) => Array.from({ length: 10 }, (_, i) => `The ${word} statement ${i} states one concrete property of the shapes library.`).join(' ');

export const DESCRIBE_DOCS: Files = {
  'SPEC.md': `# Shapes: specification\n\n## Threat Model\n${para('threat')}\n\n## Invariants\n${para('invariant')}\n\n## API\n${para('api')}\n`,
  'ARCHITECTURE.md': `# Shapes: architecture\n\n## Components\n${para('component')}\n\n## Data Flow\n${para('flow')}\n`,
  'DESIGN.md': `# Shapes: design\n\n## Decisions\n${para('decision')}\n\n## Tradeoffs\n${para('tradeoff')}\n`,
};

/** document, held: a signature changes and CODEMAP.yaml is not updated. */
export const DOCUMENT_DRIFT: Record<Lang, Files> = {
  python: { 'src/shapes.py': PY_SHAPES('len(parts) < 2').replace('def area(w, h):', 'def area(w, h, scale=1):') },
  js: { 'src/shapes.js': JS_SHAPES('parts.length < 2').replace('export const area = (w, h) => w * h;', 'export const area = (w, h, scale = 1) => w * h * scale;') },
  go: { 'shapes.go': GO_SHAPES('len(parts) < 2').replace('func Area(w, h int) int { return w * h }', 'func Area(w, h, scale int) int { return w * h * scale }') },
  rust: { 'src/lib.rs': RUST_SHAPES('parts.len() < 2').replace('pub fn area(w: u32, h: u32) -> u32 {\n    w * h', 'pub fn area(w: u32, h: u32, scale: u32) -> u32 {\n    w * h * scale') },
};

export type ImplementProject = { start: Files; plan: string; step1: Files; step2: Files; weaken: Files };

const plan = (acceptance: string, file: string, touches1: string, touches2: string) => `# Greeter

## Meta
surfaces: [lib]
acceptance: ${acceptance}
acceptance_files: [${file}]
convergence_n: 2

## Steps
- [ ] [STEP-1] Greet a person by name
  - touches: ${touches1}
- [ ] [STEP-2] Greet in French
  - touches: ${touches2}
  - depends: STEP-1
`;

/** implement's project (implement-mode-runs.test.ts says why one language serves). */
export const IMPLEMENT: { js: ImplementProject } = {
  js: {
    start: { 'package.json': '{"name":"greeter","version":"1.0.0","type":"module","scripts":{"test":"node --test"}}\n', 'test/acceptance.test.js': "import test from 'node:test';\nimport assert from 'node:assert';\nimport { greet } from '../src/greet.js';\n\ntest('greets ok', () => assert.equal(greet('Ada'), 'Hello, Ada!'));\ntest('greets empty edge', () => assert.equal(greet(''), 'Hello, stranger!'));\ntest('greets in french ok', () => assert.equal(greet('Ada', 'fr'), 'Bonjour, Ada !'));\ntest('unknown language error', () => assert.throws(() => greet('Ada', 'xx')));\n" },
    plan: plan('node --test test/acceptance.test.js', 'test/acceptance.test.js', 'src/greet.js', 'src/greet.js'),
    step1: { 'src/greet.js': "export function greet(name, lang = 'en') {\n  if (lang !== 'en') throw new Error(`unknown language ${lang}`);\n  return `Hello, ${name || 'stranger'}!`;\n}\n" },
    step2: { 'src/greet.js': "const FORMS = { en: (n) => `Hello, ${n}!`, fr: (n) => `Bonjour, ${n} !` };\nexport function greet(name, lang = 'en') {\n  const form = FORMS[lang];\n  if (!form) throw new Error(`unknown language ${lang}`);\n  return form(name || (lang === 'fr' ? 'inconnu' : 'stranger'));\n}\n" },
    weaken: { 'test/acceptance.test.js': "import test from 'node:test';\ntest('greets ok', () => {});\n" },
  },
};
