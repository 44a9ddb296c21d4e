/**
 * The binary prints prerendered help (src/cli/help-fast-path.ts) only for the terminal oclif rendered
 * it for: 80 columns and no colour. These tests hold the two predicates to oclif's own rules: the
 * width to oclif's screen.ts, the colour to what ansis (oclif's colour library) decides in a process
 * started with that environment. test/smoke/compiled-binary.sh compares the printed texts with oclif's.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { helpKey, mayAskForHelp, oclifHelpUncoloured, oclifHelpWidthIs80, prerenderedHelpFor, USER_AGENT_MARK, type PrerenderedHelp } from '../../src/cli/help-fast-path.ts';

const ROOT = join(import.meta.dir, '../..');
const pipe = { isTTY: false };

/** 1 when ansis colours in a fresh process (stdout a pipe) with exactly `env`, else 0. (Written, not logged: Bun colours logged numbers under FORCE_COLOR.) */
function ansisLevel(env: Record<string, string>): number {
  const r = Bun.spawnSync([process.execPath, '-e', "import a from 'ansis'; process.stdout.write(a.bold('x') === 'x' ? '0' : '1')"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return Number(r.stdout.toString().trim());
}

describe('the colour rule', () => {
  const cases: Record<string, string>[] = [
    {},
    { NO_COLOR: '1' },
    { NO_COLOR: '' },
    { FORCE_COLOR: '1' },
    { FORCE_COLOR: '0' },
    { FORCE_COLOR: 'false' },
    { FORCE_COLOR: 'true' },
    { NO_COLOR: '1', FORCE_COLOR: '3' },
    { COLORTERM: 'truecolor' },
    { COLORTERM: 'yes' },
    { CI: '1' },
    { CI: 'true', GITHUB_ACTIONS: 'true' },
    { TF_BUILD: 'True' },
    { TEAMCITY_VERSION: '2024' },
    { TERM: 'xterm-256color' },
    { PM2_HOME: '/x', pm_id: '1' },
  ];
  for (const env of cases) {
    test(`never claims no colour where ansis colours (${JSON.stringify(env)}, stdout a pipe)`, () => {
      if (oclifHelpUncoloured(env, pipe)) expect(ansisLevel(env)).toBe(0);
    });
  }
  test('claims no colour for a plain pipe and for NO_COLOR, so the fast path is taken where it matters', () => {
    expect(oclifHelpUncoloured({}, pipe)).toBe(true);
    expect(oclifHelpUncoloured({ NO_COLOR: '1' }, { isTTY: true })).toBe(true);
    expect(oclifHelpUncoloured({}, { isTTY: true })).toBe(false);
  });
});

describe("oclif's help width", () => {
  test('is 80 for a pipe, an 80-column terminal or one whose width is unknown; never when OCLIF_COLUMNS sets it', () => {
    expect(oclifHelpWidthIs80({}, pipe)).toBe(true);
    expect(oclifHelpWidthIs80({}, { isTTY: true, columns: 80 })).toBe(true);
    expect(oclifHelpWidthIs80({}, { isTTY: true, columns: 0 })).toBe(true);
    expect(oclifHelpWidthIs80({}, { isTTY: true, columns: 120 })).toBe(false);
    expect(oclifHelpWidthIs80({}, { isTTY: true, columns: 30 })).toBe(false);
    expect(oclifHelpWidthIs80({ OCLIF_COLUMNS: '80' }, pipe)).toBe(false);
    expect(oclifHelpWidthIs80({ OCLIF_COLUMNS: 'wide' }, pipe)).toBe(true);
  });
});

describe('prerenderedHelpFor', () => {
  const help: PrerenderedHelp = { texts: ['STATUS HELP\n', `VERSION\n  ${USER_AGENT_MARK}\n`], byArgv: { [helpKey(['status', '--help'])]: 0, [helpKey(['--help'])]: 1 } };
  const plain = {};
  test('prints the text rendered for exactly this command line', () => {
    expect(prerenderedHelpFor(['status', '--help'], help, plain, pipe, () => 'ua')).toBe('STATUS HELP\n');
    expect(prerenderedHelpFor(['status', '--help', '--json'], help, plain, pipe, () => 'ua')).toBeUndefined();
    expect(prerenderedHelpFor(['statsu', '--help'], help, plain, pipe, () => 'ua')).toBeUndefined();
  });
  test("fills in this machine's user agent, and leaves to oclif a machine where only oclif can tell it", () => {
    expect(prerenderedHelpFor(['--help'], help, plain, pipe, () => 'peers/1 linux-x64 node-v1')).toBe('VERSION\n  peers/1 linux-x64 node-v1\n');
    expect(prerenderedHelpFor(['--help'], help, plain, pipe, () => undefined)).toBeUndefined();
  });
  test('leaves to oclif another terminal, a coloured one, or a pod process that must start its lifeline', () => {
    expect(prerenderedHelpFor(['status', '--help'], help, plain, { isTTY: true, columns: 132 }, () => 'ua')).toBeUndefined();
    expect(prerenderedHelpFor(['status', '--help'], help, { FORCE_COLOR: '1' }, pipe, () => 'ua')).toBeUndefined();
    expect(prerenderedHelpFor(['status', '--help'], help, { PEERS_LIFELINE: '/run/x' }, pipe, () => 'ua')).toBeUndefined();
  });
  test('the embedded texts are loaded only for a command line that may ask for help', () => {
    expect(mayAskForHelp(['status'])).toBe(false);
    expect(mayAskForHelp(['ls', '--json'])).toBe(false);
    for (const argv of [[], ['help'], ['status', '-h'], ['modes', 'list', '--help']]) expect(mayAskForHelp(argv)).toBe(true);
  });
});
