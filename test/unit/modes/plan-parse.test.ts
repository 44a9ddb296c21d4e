import { describe, expect, test } from 'bun:test';
import { formatPlanIssues, parsePlan } from '../../../src/mode-registry/plan/plan-parse.ts';

const GOOD = `# Greeter

## Meta
surfaces: [cli, lib]
acceptance: node --test test/acceptance.test.js   # the whole line is the command
acceptance_files: [test/acceptance.test.js]
convergence_n: 3   # three clean ticks

## Architecture
- one module, no dependencies

## Steps
- [x] [STEP-1] Greet by name (abc1234)
  - touches: src/greet.js, test/greet.test.js
- [PARTIAL] [STEP-2] Greet in French
  - touches: [src/greet.js]
  - depends: STEP-1
- [BLOCKED] [STEP-3] Read the name from LDAP
  - trivial: yes
- [ ] [STEP-4] Document it
  - pure_documentation: true
`;

function issuesOf(text: string): string {
  const r = parsePlan(text);
  if (r.ok) throw new Error('expected the plan to be refused');
  return formatPlanIssues('PLAN.md', r.issues);
}

describe('PLAN.md parsing', () => {
  test('a valid plan gives every step its state, commit, touches and dependencies', () => {
    const r = parsePlan(GOOD);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.title).toBe('Greeter');
    expect(r.plan.meta).toMatchObject({ surfaces: ['cli', 'lib'], acceptance_files: ['test/acceptance.test.js'], convergence_n: 3 });
    // A "#" in a command is part of the command, never a comment.
    expect(r.plan.meta.acceptance).toBe('node --test test/acceptance.test.js   # the whole line is the command');
    expect(r.plan.steps.map((s) => [s.id, s.state, s.sha, s.line])).toEqual([
      ['STEP-1', 'done', 'abc1234', 13],
      ['STEP-2', 'partial', undefined, 15],
      ['STEP-3', 'blocked', undefined, 18],
      ['STEP-4', 'open', undefined, 20],
    ]);
    expect(r.plan.steps[1]).toMatchObject({ touches: ['src/greet.js'], depends: ['STEP-1'] });
    expect(r.plan.steps[2]!.trivial).toBe(true);
    expect(r.plan.architecture).toEqual(['one module, no dependencies']);
  });

  test('every schema problem is reported at once, each with its line', () => {
    const text = `# X
## Meta
surfaces: [cli, tv]
## Steps
- [ ] [STEP-1] a
- [ ] [STEP-3] b
  - touches: src/b.js
  - depends: STEP-9
  - tuches: y
`;
    expect(issuesOf(text).split('\n')).toEqual([
      'PLAN.md:2: Meta needs "acceptance:" (the command that passes once the feature is done)',
      'PLAN.md:3: surfaces: each surface must be one of cli, web, lib, gui, api',
      'PLAN.md:5: STEP-1 must list the files it touches (  - touches: src/a.ts, test/a.test.ts), or say trivial: true / pure_documentation: true',
      'PLAN.md:6: steps are numbered 1..n in order: expected STEP-2, found STEP-3',
      'PLAN.md:8: STEP-3 depends on STEP-9, which is not a step of this plan',
      'PLAN.md:9: unknown step key tuches (known: touches, depends, rationale, trivial, pure_refactor, pure_documentation)',
    ]);
  });

  test('a dependency cycle is named', () => {
    const text = `# X\n## Meta\nsurfaces: [cli]\nacceptance: true\n## Steps\n- [ ] [STEP-1] a\n  - touches: a\n  - depends: STEP-2\n- [ ] [STEP-2] b\n  - touches: b\n  - depends: STEP-1\n`;
    expect(issuesOf(text)).toContain('dependency cycle: STEP-1 -> STEP-2 -> STEP-1');
  });

  test('a peer cannot acknowledge its own block: [BLOCKED-ACK] is refused, naming peers ack-block', () => {
    const text = `# X\n## Meta\nsurfaces: [cli]\nacceptance: true\n## Steps\n- [BLOCKED-ACK] [STEP-1] a\n  - touches: a\n`;
    expect(issuesOf(text)).toBe('PLAN.md:6: unknown mark [BLOCKED-ACK]: only the operator acknowledges a block, with `peers ack-block STEP-N --reason …`');
  });

  test('web and gui surfaces need an e2e command; paths with ".." or shell characters are refused', () => {
    const text = `# X\n## Meta\nsurfaces: [web]\nacceptance: true\nacceptance_files: [../secret.txt]\n## Steps\n- [ ] [STEP-1] a\n  - touches: src/$(rm).js\n`;
    const out = issuesOf(text);
    expect(out).toContain('PLAN.md:2: e2e: a web or gui surface needs an e2e: command');
    expect(out).toContain('PLAN.md:5: acceptance_files: must be a relative path');
    expect(out).toContain('PLAN.md:8: touches: must be a relative path');
  });

  test('an empty file, a missing title, missing sections and duplicate sections are refused', () => {
    expect(issuesOf('')).toBe('PLAN.md:1: PLAN.md is empty: it must start with "# <Feature name>"');
    expect(issuesOf('## Meta\n')).toContain('PLAN.md:1: PLAN.md must start with "# <Feature name>"');
    expect(issuesOf('# X\n## Meta\nsurfaces: [cli]\nacceptance: true\n')).toContain('missing section "## Steps"');
    expect(issuesOf(`${GOOD}\n## Meta\n`)).toContain('duplicate section "## Meta"');
  });

  test('a malformed step line is pointed at instead of ignored', () => {
    expect(issuesOf('# X\n## Meta\nsurfaces: [cli]\nacceptance: true\n## Steps\n- [ ] STEP-1 forgot the brackets\n')).toContain('PLAN.md:6: not a step line');
  });
});
