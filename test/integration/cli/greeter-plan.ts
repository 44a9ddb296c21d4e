/** The implement-mode plan and acceptance test that `peers init --modes implement` and `peers new` tests start from. */
export const PLAN = `# Greeter

## Meta
surfaces: [cli]
acceptance: node --test test/acceptance.test.js
acceptance_files: [test/acceptance.test.js]
convergence_n: 3

## Steps
- [ ] [STEP-1] Greet by name
  - touches: src/greet.js, test/greet.test.js
- [ ] [STEP-2] Greet in French
  - touches: src/greet.js
  - depends: STEP-1
`;
export const ACCEPTANCE = "const test = require('node:test');\nconst assert = require('node:assert');\ntest('greets', () => assert.equal(require('../src/greet.js')('Ada'), 'Hello, Ada!'));\n";
