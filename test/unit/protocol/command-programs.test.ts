/**
 * Which words of a goal's command are programs it runs (src/protocol/command-programs.ts): the
 * gate's own program is its surface, what it inspects is the product.
 */
import { expect, test } from 'bun:test';
import { programWords, shellTokens } from '../../../src/protocol/command-programs.ts';

test('tokens: quotes joined into their word, operators apart, redirections dropped', () => {
  expect(shellTokens(`node "scripts/a b.mjs" 2>&1 | tee 'out file' && echo "x\\"y"; ls>/dev/null &`)).toEqual(['node', 'scripts/a b.mjs', '|', 'tee', 'out file', '&&', 'echo', 'x"y', ';', 'ls', '&']);
});

test("programs: each simple command's command word, an interpreter's script, a shell's -c command read again", () => {
  expect(programWords('./ci/check.sh && node scripts/a.mjs | grep ok')).toEqual(['./ci/check.sh', 'node', 'scripts/a.mjs', 'grep']);
  expect(programWords(`sh -c 'python3 -W error verify.py'`)).toEqual(['sh', 'python3', 'error']);
  expect(programWords('FOO=1 nice -n 19 timeout 30 deno run -A tools/x.ts')).toEqual(['deno', 'tools/x.ts']);
  // Inline code and modules run no script file.
  expect(programWords(`node -e "require('./index.js')" && python3 -m pytest tests/`)).toEqual(['node', 'python3']);
  expect(programWords('test -f notes/a.md && cat notes/a.md')).toEqual(['test', 'cat']);
});
