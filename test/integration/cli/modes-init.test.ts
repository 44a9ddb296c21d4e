/**
 * `peers init --modes`, `peers new`, `peers amend` and `peers ack-block` as a user runs them: the
 * real CLI, real repositories without a git identity, every refusal exit 2 with the fix and the
 * repository left as it was.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { gitIn, makeRepo, makeSandbox, runPeers, STACK_LINE } from './peers-cli.ts';
import { ACCEPTANCE, PLAN } from './greeter-plan.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());


function refused(res: { code: number; stderr: string }, ...parts: string[]) {
  expect(res.code).toBe(2);
  for (const p of parts) expect(res.stderr).toContain(p);
  expect(res.stderr).not.toMatch(STACK_LINE);
}

describe('peers init --modes', () => {
  test('audit,thorough on a Python project: language detected, mode gates written, thorough settings, lint/type left out with a note, --spec committed as SPEC.md', () => {
    const repo = makeRepo(sb.root, 'py');
    writeFileSync(join(repo, 'pyproject.toml'), '[project]\nname = "x"\n');
    const spec = join(sb.root, 'the-spec.md');
    writeFileSync(spec, '# x\n\nWhat the project must do: add two numbers.\n');
    // A SPEC.md of other content in the repository would be replaced: refused, nothing written.
    writeFileSync(join(repo, 'SPEC.md'), 'mine\n');
    refused(runPeers(['init', '--modes', 'audit,thorough', '--spec', spec], { cwd: repo, env: sb.env }), 'SPEC.md exists with other content; --spec would replace it');
    expect(existsSync(join(repo, '.peers'))).toBe(false);
    rmSync(join(repo, 'SPEC.md'));
    const res = runPeers(['init', '--modes', 'audit,thorough', '--spec', spec], { cwd: repo, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('modes: audit, thorough (language python)');
    expect(res.stdout).toContain('note: lint-clean left out: this python project has no linter configured');
    const goals = parse(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')).goals as Array<{ id: string; cmd?: string }>;
    const ids = goals.map((g) => g.id);
    expect(ids).toEqual(expect.arrayContaining(['tests-pass', 'deps-justified', 'api-stable', 'no-prior-regression', 'diff-size-per-resolve', 'skeptic-pass', 'aggressive-honesty']));
    expect(ids).not.toContain('lint-clean');
    expect(goals.find((g) => g.id === 'no-prior-regression')?.cmd).toBe('peers check no-prior-regression --lang python');
    const config = parse(readFileSync(join(repo, '.peers/config.yaml'), 'utf8'));
    expect(config.goals).toMatchObject({ convergence_n: 3, require_healthy_peers: true });
    expect(config.modes).toEqual(['audit', 'thorough']);
    // What init wrote is what `peers info` loads.
    expect(runPeers(['info', '--json'], { cwd: repo, env: sb.env }).code).toBe(0);
    // The spec is part of the project at the run's start, where every peer reads it.
    expect(gitIn(repo, ['show', 'peers-baseline:SPEC.md'])).toBe('# x\n\nWhat the project must do: add two numbers.');
  });

  test('refusals name the fix and leave the repository untouched', () => {
    const repo = makeRepo(sb.root, 'refuse');
    const head = gitIn(repo, ['rev-parse', 'HEAD']);
    refused(runPeers(['init', '--modes', 'describe,audit'], { cwd: repo, env: sb.env }), 'describe cannot be stacked with audit', 'hint: use --modes describe alone');
    refused(runPeers(['init', '--modes', 'thorough'], { cwd: repo, env: sb.env }), 'thorough needs audit', 'hint: use --modes audit,thorough');
    refused(runPeers(['init', '--modes', 'implement'], { cwd: repo, env: sb.env }), 'implement needs a plan');
    refused(runPeers(['init', '--modes', 'audit'], { cwd: repo, env: sb.env }), "cannot tell this project's language", 'hint: pass --lang js|ts|python|go|rust');
    refused(runPeers(['init', '--modes', 'audit', '--lang', 'cobol'], { cwd: repo, env: sb.env }), '--lang cobol is not a language peers knows');
    writeFileSync(join(sb.root, 'bad-plan.md'), '# X\n## Meta\nsurfaces: [tv]\n## Steps\n- [ ] [STEP-1] a\n  - touches: a.js\n');
    refused(runPeers(['init', '--modes', 'implement', '--plan', join(sb.root, 'bad-plan.md')], { cwd: repo, env: sb.env }), `${join(sb.root, 'bad-plan.md')}:3: surfaces: each surface must be one of cli, web, lib, gui, api`, `${join(sb.root, 'bad-plan.md')}:2: Meta needs "acceptance:"`);
    expect(existsSync(join(repo, '.peers'))).toBe(false);
    expect(gitIn(repo, ['rev-parse', 'HEAD'])).toBe(head);
    expect(gitIn(repo, ['status', '--porcelain'])).toBe('');
  });

  test('implement: the plan and its acceptance test are committed at the baseline, pinned, and logged; a passing acceptance is refused', () => {
    const repo = makeRepo(sb.root, 'impl');
    writeFileSync(join(repo, 'package.json'), '{"name":"greeter","scripts":{"test":"node --test"}}\n');
    mkdirSync(join(repo, 'test'));
    writeFileSync(join(repo, 'test/acceptance.test.js'), ACCEPTANCE);
    writeFileSync(join(sb.root, 'PLAN.md'), PLAN);
    const res = runPeers(['init', '--modes', 'implement', '--plan', join(sb.root, 'PLAN.md')], { cwd: repo, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('frozen acceptance contract: `node --test test/acceptance.test.js` and test/acceptance.test.js');
    expect(gitIn(repo, ['show', '--name-only', '--format=%s', 'peers-baseline'])).toBe('peers init: modes implement\n\n.gitignore\nPLAN.md\ntest/acceptance.test.js');
    const blob = gitIn(repo, ['rev-parse', 'peers-baseline:test/acceptance.test.js']);
    const goals = parse(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')).goals as Array<{ id: string; cmd?: string }>;
    expect(goals.find((g) => g.id === 'acceptance-pass')?.cmd).toBe('node --test test/acceptance.test.js');
    expect(goals.find((g) => g.id === 'contracts-unchanged')?.cmd).toBe(`peers check contracts-unchanged --pin test/acceptance.test.js=${blob}`);
    expect(parse(readFileSync(join(repo, '.peers/config.yaml'), 'utf8')).goals.convergence_n).toBe(3);
    expect(readFileSync(join(repo, '.peers/contracts.log'), 'utf8')).toMatch(/^[0-9a-f]{16} \S+ init acceptance: node --test test\/acceptance\.test\.js \| state: [0-9a-f]{64}\n$/);

    // The feature already exists: nothing to prove.
    const done = makeRepo(sb.root, 'done');
    mkdirSync(join(done, 'test'));
    writeFileSync(join(done, 'test/acceptance.test.js'), "require('node:test')('ok', () => {});\n");
    refused(runPeers(['init', '--modes', 'implement', '--plan', join(sb.root, 'PLAN.md')], { cwd: done, env: sb.env }), 'the acceptance command already passes', '--allow-passing-acceptance');
    expect(existsSync(join(done, '.peers'))).toBe(false);
  });

  test('amend and ack-block change the contract only with a reason, and only through the log', () => {
    const repo = join(sb.root, 'impl');
    refused(runPeers(['amend', '--acceptance', 'npm test', '--reason', 'short'], { cwd: repo, env: sb.env }), '--reason must say why');
    let res = runPeers(['amend', '--acceptance', 'node --test test/', '--reason', 'run every test file, the spec grew'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('peers down` then `peers up`');
    const goals = () => parse(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')).goals as Array<{ id: string; cmd?: string }>;
    expect(goals().find((g) => g.id === 'acceptance-pass')?.cmd).toBe('node --test test/');
    expect(readFileSync(join(repo, '.peers/contracts.log'), 'utf8').trim().split('\n')[1]).toContain('amend acceptance: node --test test/ | reason: run every test file, the spec grew');

    refused(runPeers(['ack-block', 'STEP-2', '--reason', 'needs a translator we do not have'], { cwd: repo, env: sb.env }), 'STEP-2 is not [BLOCKED] in PLAN.md at HEAD');
    writeFileSync(join(repo, 'PLAN.md'), PLAN.replace('- [ ] [STEP-2]', '- [BLOCKED] [STEP-2]'));
    gitIn(repo, ['commit', '-qam', 'peer marks STEP-2 blocked']);
    res = runPeers(['ack-block', 'STEP-2', '--reason', 'needs a translator we do not have'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(0);
    expect(goals().find((g) => g.id === 'plan-complete')?.cmd).toBe('peers check plan-complete --acked STEP-2');

    // A contract edited by hand (not through amend) is refused by amend, ack-block and the loop.
    const path = join(repo, '.peers/goals.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('cmd: node --test test/', 'cmd: "true"'));
    refused(runPeers(['amend', '--acceptance', 'x y', '--reason', 'trying to sneak past the log'], { cwd: repo, env: sb.env }), 'is not the one .peers/contracts.log:3 records');
    refused(runPeers(['loop', repo, '--max-ticks', '1', '--state-dir', join(sb.root, 'impl-state')], { cwd: repo, env: sb.env }), 'refusing to start: the acceptance contract in goals.yaml', 'only `peers amend` and `peers ack-block` change the contract');
  });
});

describe('peers new', () => {
  test('scaffolds a Rust project with git and a first commit, then installs the modes and registers it', () => {
    const res = runPeers(['new', 'calc', '--lang', 'rust', '--modes', 'audit,thorough'], { cwd: sb.root, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const dir = join(sb.root, 'calc');
    expect(readFileSync(join(dir, 'Cargo.toml'), 'utf8')).toContain('name = "calc"');
    expect(gitIn(dir, ['log', '--format=%an|%s'])).toBe('peers-init|peers init: add .peers/ to .gitignore\npeers-init|peers new: calc (rust)');
    const goals = readFileSync(join(dir, '.peers/goals.yaml'), 'utf8');
    expect(goals).toContain('cmd: peers check lint-clean --lang rust');
    expect(goals).toContain('cmd: peers check type-clean --lang rust');
    expect(JSON.parse(readFileSync(join(sb.home, '.config/peers/projects.json'), 'utf8')).projects.map((p: { path: string }) => p.path)).toContain(dir);
  });

  test('--lang without --modes (its own --help example): the skeleton, then a plain init that proposes the language\'s gate', () => {
    const res = runPeers(['new', 'tool', join(sb.root, 'tooldir'), '--lang', 'rust'], { cwd: sb.root, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const dir = join(sb.root, 'tooldir');
    expect(readFileSync(join(dir, 'Cargo.toml'), 'utf8')).toContain('name = "tool"');
    expect(gitIn(dir, ['log', '--format=%s'])).toBe('peers init: add .peers/ to .gitignore\npeers new: tool (rust)');
    expect(readFileSync(join(dir, '.peers/goals.yaml'), 'utf8')).toContain('cmd: cargo test');
  });

  test('implement with a plan from elsewhere: its acceptance files come along; a refused init leaves no directory', () => {
    const specDir = join(sb.root, 'specs');
    mkdirSync(join(specDir, 'test'), { recursive: true });
    writeFileSync(join(specDir, 'PLAN.md'), PLAN);
    writeFileSync(join(specDir, 'test/acceptance.test.js'), ACCEPTANCE);
    const res = runPeers(['new', 'greeter', '--lang', 'js', '--modes', 'implement', '--plan', join(specDir, 'PLAN.md')], { cwd: sb.root, env: sb.env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readFileSync(join(sb.root, 'greeter/test/acceptance.test.js'), 'utf8')).toBe(ACCEPTANCE);
    refused(runPeers(['new', 'nope', '--modes', 'implement'], { cwd: sb.root, env: sb.env }), 'implement needs a plan');
    refused(runPeers(['new', 'nope2', '--lang', 'js', '--modes', 'implement', '--plan', join(sb.root, 'bad-plan.md')], { cwd: sb.root, env: sb.env }), 'surfaces: each surface must be one of');
    expect(existsSync(join(sb.root, 'nope'))).toBe(false);
    expect(existsSync(join(sb.root, 'nope2'))).toBe(false);
    refused(runPeers(['new', 'greeter'], { cwd: sb.root, env: sb.env }), 'exists and is not empty');
  });
});
