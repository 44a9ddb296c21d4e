/**
 * A user who installed peers and runs its commands in their repository before `peers init` (or
 * after deleting `.peers/`): every command that needs the project set up says so and names
 * `peers init`. Before, `peers status` said "Open gates: none (all green)" and "start one with
 * `peers up`" (which then refused: no .peers/), `peers report` and `peers replay` said to start a
 * run with `peers up`, and `peers pause` said to restore config.yaml or `peers init --force`.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

describe('commands in a repository peers was never set up in', () => {
  const repo = makeRepo(sb.root, 'plain-lib');
  const run = (args: string[]) => runPeers(args, { cwd: repo, env: sb.env });

  test('status: not set up, and what to run (not "all green", not `peers up`)', () => {
    const r = run(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('all green');
    expect(r.stdout).not.toContain('start one with `peers up');
    expect(r.stdout).toContain(`Not set up for peers: run \`peers init ${repo}\` first`);
  });

  test('report, replay and pause: exit 2, naming `peers init`', () => {
    for (const args of [['report'], ['replay', '1'], ['pause', 'claude']]) {
      const r = run(args);
      expect(r.stderr, args.join(' ')).toContain(`no .peers/ directory in ${repo}`);
      expect(r.stderr, args.join(' ')).toContain('hint: run `peers init` in the repository first');
      expect(r.code, args.join(' ')).toBe(2);
    }
  });

  test('once init has run, status says no run yet and how to start one', () => {
    expect(run(['init']).code).toBe(0);
    const r = run(['status']);
    expect(r.stdout).toContain(`No run yet: start one with \`peers up ${repo}\``);
  });
});
