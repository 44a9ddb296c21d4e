/**
 * Worst-case cost of pass_when's regex() on the largest input it ever sees (1 MiB of characters):
 * patterns that make a backtracking engine explode, next to a plain literal search as the baseline.
 *
 *   node_modules/.bin/bun test/bench/regex.ts
 */
import { compileRegex } from '../../src/pass-when/regex/matcher.ts';

const MiB = 1024 * 1024;
const cases: [string, string, string][] = [
  ['literal (baseline)', 'passed', 'x'.repeat(MiB)],
  ['(a+)+$ on a…ab', '(a+)+$', 'a'.repeat(MiB - 1) + 'b'],
  ['(x+x+)+y on x…x', '(x+x+)+y', 'x'.repeat(MiB)],
  ['(?i)\\d+ (passed|failed) on text', '(?i)\\d+ (passed|failed)', 'test result: ok. '.repeat(MiB / 17)],
  ['(a|aa)*c on a…a', '(a|aa)*c', 'a'.repeat(MiB)],
];
console.log('| pattern | input | time (ms) | result |\n| --- | ---: | ---: | --- |');
for (const [name, pattern, input] of cases) {
  const re = compileRegex(pattern);
  const t0 = performance.now();
  let result: string;
  try {
    result = String(re.search(input));
  } catch (error) {
    result = (error as Error).message;
  }
  console.log(`| \`${name.replaceAll('|', '\\|')}\` | ${input.length} | ${(performance.now() - t0).toFixed(0)} | ${result} |`);
}
