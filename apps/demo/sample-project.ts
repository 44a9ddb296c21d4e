/**
 * The sample project `peers demo` works on: a tiny JavaScript library with one real bug
 * (`chunk()` drops the shorter last group), a test that fails because of it, and a SPEC.md
 * saying what is right. It is tested with Node's built-in runner (`node --test`), because
 * every machine that can run the claude and codex CLIs has Node, and nothing needs installing.
 *
 * The files here are also what `demo-scenario.yaml` edits: the scripted model's Edit of
 * `src/chunk.mjs` must find BUGGY_LOOP's condition verbatim; change them together.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import { gitOk } from '../../src/git/git.ts';
import { BASELINE_TAG } from '../../src/mode-registry/init-project.ts';

/** The line with the bug; the scenario's claude tick edits `start + size <= items.length` in it. */
const BUGGY_LOOP = '  for (let start = 0; start + size <= items.length; start += size) {';

export const SAMPLE_NAME = 'chunk-list';
export const SAMPLE_TEST_COMMAND = 'node --test';
export const INITIAL_COMMIT_SUBJECT = 'chunk(): split a list into groups, with its spec and tests';
/** Author of the initial commit; the peers commit under their own names (git_author in demo-config.ts). */
export const SAMPLE_AUTHOR = { name: 'peers demo', email: 'demo@peers.invalid' };

const SPEC = `# chunk-list

\`chunk(items, size)\` splits an array into consecutive groups of \`size\` elements.

1. Every element appears exactly once, in its original order.
2. Every group has exactly \`size\` elements, except the last one, which holds whatever is
   left (between 1 and \`size\` elements). Nothing is ever dropped.
3. An empty array gives an empty array of groups.
4. \`size\` must be a positive integer; anything else throws a \`RangeError\`.
5. The input array is never modified.

Run the tests with \`node --test\`.
`;

const LIBRARY = `/**
 * Splits \`items\` into consecutive groups of \`size\` elements (see SPEC.md).
 * @template T
 * @param {T[]} items
 * @param {number} size
 * @returns {T[][]}
 */
export function chunk(items, size) {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(\`size must be a positive integer, got \${size}\`);
  }
  const groups = [];
${BUGGY_LOOP}
    groups.push(items.slice(start, start + size));
  }
  return groups;
}
`;

const TESTS = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunk } from '../src/chunk.mjs';

test('splits into groups of the given size', () => {
  assert.deepEqual(chunk([1, 2, 3, 4], 2), [[1, 2], [3, 4]]);
});

test('keeps the shorter last group (SPEC rule 2)', () => {
  assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
});
`;

const PACKAGE_JSON = `${JSON.stringify({ name: SAMPLE_NAME, version: '0.1.0', private: true, type: 'module', scripts: { test: SAMPLE_TEST_COMMAND } }, null, 2)}\n`;

const README = `# chunk-list

A sample project made by \`peers demo\`: a small library with a bug and a failing test.
Two AI peers fix it, review each other, and stop when the gates in \`.peers/goals.yaml\` are green.
`;

/** Files of the initial commit, by path relative to the project root. */
export const SAMPLE_FILES: Readonly<Record<string, string>> = {
  'README.md': README,
  'SPEC.md': SPEC,
  'package.json': PACKAGE_JSON,
  'src/chunk.mjs': LIBRARY,
  'test/chunk.test.mjs': TESTS,
  // The control plane stays out of git, as `peers init` arranges it for real projects.
  '.gitignore': '.peers/\nnode_modules/\n',
};

export type ControlFiles = { configYaml: string; goalsYaml: string };

/**
 * Writes the sample project into `dir` (which must be empty or absent), makes it a git repository
 * with one commit tagged `peers-baseline`, and writes `.peers/config.yaml` and `.peers/goals.yaml`.
 * Returns the initial commit.
 */
export function writeSampleProject(dir: string, control: ControlFiles): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [rel, text] of Object.entries(SAMPLE_FILES)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true, mode: 0o755 });
    writeFileAtomic(join(dir, rel), text, 0o644);
  }
  gitOk(dir, ['init', '--quiet', '-b', 'main']);
  gitOk(dir, ['config', 'commit.gpgsign', 'false']);
  gitOk(dir, ['add', '--all']);
  // No identity is configured in the repository, as in a user's fresh clone on a machine without
  // ~/.gitconfig: the peers' commits get theirs from peers itself (src/config/git-identity.ts).
  const author = { GIT_AUTHOR_NAME: SAMPLE_AUTHOR.name, GIT_AUTHOR_EMAIL: SAMPLE_AUTHOR.email, GIT_COMMITTER_NAME: SAMPLE_AUTHOR.name, GIT_COMMITTER_EMAIL: SAMPLE_AUTHOR.email };
  gitOk(dir, ['commit', '--quiet', '--no-verify', '-m', INITIAL_COMMIT_SUBJECT], { env: author });
  gitOk(dir, ['update-ref', `refs/tags/${BASELINE_TAG}`, 'HEAD']); // not `git tag`: the user's tag.gpgSign would ask for a key
  writeControlFiles(dir, control);
  return gitOk(dir, ['rev-parse', 'HEAD']).trim();
}

export function writeControlFiles(dir: string, control: ControlFiles): void {
  mkdirSync(join(dir, '.peers'), { recursive: true, mode: 0o755 });
  writeFileAtomic(join(dir, '.peers', 'config.yaml'), control.configYaml, 0o644);
  writeFileAtomic(join(dir, '.peers', 'goals.yaml'), control.goalsYaml, 0o644);
}
