import { describe, expect, test } from 'bun:test';
import { declaredDependencies, justificationsIn, manifestKind, namesMatch } from '../../../src/mode-registry/dependency-manifests.ts';

const deps = (path: string, text: string) => [...declaredDependencies(path, text)].sort();

describe('dependency manifests', () => {
  test('package.json: every dependency section, names as written (scoped too)', () => {
    const text = JSON.stringify({ dependencies: { lodash: '^4' }, devDependencies: { '@types/node': '*' }, optionalDependencies: { fsevents: '*' }, peerDependencies: { react: '*' }, scripts: { test: 'x' } });
    expect(deps('package.json', text)).toEqual(['@types/node', 'fsevents', 'lodash', 'react']);
  });

  test('requirements files: names without versions, extras or markers; an included file, a URL and an option that is not inert named by themselves', () => {
    expect(deps('requirements-dev.txt', '# tools\nRequests[socks]>=2.0 ; python_version > "3"\n-r base.txt\nzope.interface==5\nhttps://x/y.whl\nFlask_Login\n--pre\n--index-url=https://mirror/simple\n')).toEqual(['-index-url', 'base-txt', 'flask-login', 'requests', 'y-whl', 'zope-interface']);
  });

  test('pyproject.toml: PEP 621 (multi-line), optional dependencies, dependency groups, build requires, Poetry', () => {
    const text = `[build-system]
requires = ["setuptools>=61", "wheel"]

[project]
name = "x"
dependencies = [
  "httpx>=0.27",  # a comment with "quotes"
  'attrs',
]

[project.optional-dependencies]
cli = ["click"]

[dependency-groups]
test = ["pytest>=8"]

[tool.poetry.dependencies]
python = "^3.11"
pendulum = "^3"

[tool.poetry.group.dev.dependencies.black]
version = "^24"

[tool.ruff]
select = ["E"]
`;
    expect(deps('pyproject.toml', text)).toEqual(['attrs', 'black', 'click', 'httpx', 'pendulum', 'pytest', 'setuptools', 'wheel']);
  });

  test('Cargo.toml: normal, dev, build, target and workspace tables, and [dependencies.name] tables', () => {
    const text = `[package]\nname = "x"\n\n[dependencies]\nserde = { version = "1", features = ["derive"] }\nregex = "1"\n\n[dev-dependencies]\nproptest = "1"\n\n[target.'cfg(unix)'.dependencies]\nnix = "0.27"\n\n[dependencies.tokio]\nversion = "1"\n\n[features]\ndefault = []\n`;
    expect(deps('Cargo.toml', text)).toEqual(['nix', 'proptest', 'regex', 'serde', 'tokio']);
  });

  test('go.mod: require lines and blocks, indirect ones left out', () => {
    const text = 'module x\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.9.1\n\nrequire (\n\tgolang.org/x/sync v0.7.0\n\tgithub.com/davecgh/go-spew v1.1.1 // indirect\n)\n';
    expect(deps('go.mod', text)).toEqual(['github.com/pkg/errors', 'golang.org/x/sync']);
  });

  test('vendored and build directories hold no manifest of the project', () => {
    expect(manifestKind('node_modules/x/package.json')).toBeUndefined();
    expect(manifestKind('vendor/y/go.mod')).toBeUndefined();
    expect(manifestKind('web/package.json')).toBe('npm');
    expect(manifestKind('requirements/dev.txt')).toBe('python');
  });

  test('justification lines anywhere in a message, matched however the name is spelt', () => {
    const js = justificationsIn('abc', 'Add HTTP client\n\nDependency-Justification: Flask_Login: session handling the spec asks for\nDependency-Justification: lodash,: deep clone\n');
    expect(js.map((j) => j.name)).toEqual(['Flask_Login', 'lodash']);
    expect(namesMatch('Flask_Login', 'flask-login')).toBe(true);
    expect(namesMatch('lodash', 'lodash')).toBe(true);
    expect(namesMatch('lodash', 'lodash-es')).toBe(false);
  });
});
