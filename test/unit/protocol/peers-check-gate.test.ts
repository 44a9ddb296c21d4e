/**
 * Which gates may share the checkout as setup left it (src/protocol/peers-check-gate.ts): only a
 * command that is exactly `peers check <id>` of a built-in check that runs none of the project's
 * code. Every other gate gets its own copy (SECURITY.md, "Each gate starts from the state right
 * after setup"), so a check wrongly listed here would let the peers' code reach the others.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHECKS } from '../../../modes/checks/index.ts';
import { CHECKS_RUNNING_NO_PROJECT_CODE, runsNoPeerCode } from '../../../src/protocol/peers-check-gate.ts';

const CHECKS_DIR = resolve(import.meta.dir, '../../../modes/checks');
/** The checks that run the project's commands (its test suite, its linter and type checker). */
const RUN_PROJECT_CODE = ['lint-clean', 'no-prior-regression', 'type-clean'];

test('every built-in check is classified: a new one shares nothing until someone lists it', () => {
  expect([...CHECKS_RUNNING_NO_PROJECT_CODE, ...RUN_PROJECT_CODE].sort()).toEqual(Object.keys(CHECKS).sort());
});

test('the modules that run project commands (run-command.ts) are exactly those of the unlisted checks', () => {
  // Which check modules import the command runner: only these may run the project's code.
  const importers = [...new Bun.Glob('**/*.ts').scanSync(CHECKS_DIR)].filter((f) => f !== 'run-command.ts' && /run-command(\.ts)?['"]/.test(readFileSync(join(CHECKS_DIR, f), 'utf8')));
  expect([...importers].sort()).toEqual(['no-prior-regression.ts', 'project-tool-check.ts']);
  const source = readFileSync(join(CHECKS_DIR, 'project-tool-check.ts'), 'utf8');
  for (const id of RUN_PROJECT_CODE) expect(CHECKS_RUNNING_NO_PROJECT_CODE).not.toContain(id);
  expect(source).toContain('lintClean');
  expect(source).toContain('typeClean');
});

test('only the exact command `peers check <id>` of a listed check shares the checkout', () => {
  expect(runsNoPeerCode({ cmd: 'peers check bug-tdd' })).toBe(true);
  expect(runsNoPeerCode({ cmd: '  peers  check   no-new-skip-markers  ' })).toBe(true);
  for (const cmd of ['peers check no-prior-regression', 'peers check lint-clean', 'peers check bug-tdd && npm test', 'peers check bug-tdd; ./evil.sh', 'peers check bug-tdd --json', 'peers check not-a-check', 'npm test', 'peers check']) {
    expect({ cmd, shares: runsNoPeerCode({ cmd }) }).toEqual({ cmd, shares: false });
  }
});
