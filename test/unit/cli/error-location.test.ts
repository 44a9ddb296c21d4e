/**
 * An error located at a file whose message opens with that file said it twice:
 * `peers: /tmp/x: /tmp/x is not a git repository`. One rule, in PeersError.format (src/cli/errors.ts):
 * the path is said once; a located message that does not name its file keeps `file:line:col: `.
 */
import { expect, test } from 'bun:test';
import { InputError } from '../../../src/cli/errors.ts';
import { reportFatal } from '../../../src/cli/report-error.ts';

function stderrOf(e: Error): { text: string; code: number } {
  let text = '';
  const code = reportFatal(e, { stderr: { write: (s: string) => ((text += s), true) } as never, env: { NO_COLOR: '1' } });
  return { text, code };
}

test('a message that names its file says the path once', () => {
  const r = stderrOf(new InputError('/tmp/x is not a git repository', { location: { file: '/tmp/x' }, hint: '`git init`' }));
  expect(r.code).toBe(2);
  expect(r.text).toBe('peers: /tmp/x is not a git repository\n  hint: `git init`\n');
});

test('a message that does not name its file, or is located at a line, keeps the compiler-style prefix', () => {
  expect(new InputError('unknown key passwhen', { location: { file: '/p/goals.yaml', line: 5, column: 5 } }).format()).toBe('/p/goals.yaml:5:5: unknown key passwhen');
  expect(new InputError('is empty', { location: { file: '/p/goals.yaml' } }).format()).toBe('/p/goals.yaml: is empty');
});
