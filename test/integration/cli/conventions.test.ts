/**
 * CLI conventions a user brings from gh and docker compose: -h, did-you-mean, colour only
 * on a terminal (NO_COLOR and --no-color respected; a real pty via `script`), table headers, full
 * one-sentence summaries, one way to name a project, and golden --help of a few commands.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapLimited } from '../../../src/gates/gate-engine.ts';
import { makeRepo, makeSandbox, runPeers, runPeersAsync } from './peers-cli.ts';

const sb = makeSandbox();
let repo: string;
type Cmd = { id: string; hidden: boolean; summary: string };
let commands: Cmd[];
beforeAll(() => {
  repo = makeRepo(sb.root, 'app');
  commands = (JSON.parse(runPeers(['commands', '--json', '--hidden'], { cwd: repo, env: sb.env }).stdout) as { commands: Cmd[] }).commands;
});
afterAll(() => sb.cleanup());

const peers = (args: string[], env: Record<string, string> = {}) => runPeers(args, { cwd: repo, env: { ...sb.env, ...env } });
const BUN = join(import.meta.dir, '../../../node_modules/.bin/bun');
const MAIN = join(import.meta.dir, '../../../src/main.ts');
/** Runs peers on a pseudo-terminal (util-linux `script`), as a user's shell does. */
function onTty(args: string, env: Record<string, string | undefined> = {}): string {
  const r = spawnSync('script', ['-qec', `${BUN} ${MAIN} ${args}`, '/dev/null'], { cwd: repo, env: { ...process.env, ...sb.env, TERM: 'xterm-256color', NO_COLOR: undefined, ...env } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}
const ESC = '\u001b[';

describe('-h and summaries', () => {
  test('-h prints the same help as --help on every command', async () => {
    // Two runs per command, each a CLI start-up of a few hundred ms of CPU, and independent (help
    // reads and writes no state): four at a time keep both cores of a CI machine busy.
    const ids = commands.filter((c) => c.id !== 'help').map((c) => c.id);
    const runs = await mapLimited(ids.flatMap((id) => [[id, '--help'], [id, '-h']] as const), 4, ([id, flag]) => runPeersAsync([...id.split(':'), flag], { cwd: repo, env: sb.env }));
    ids.forEach((id, i) => {
      const [long, short] = [runs[2 * i]!, runs[2 * i + 1]!];
      expect(short.code, id).toBe(0);
      expect(short.stdout, id).toBe(long.stdout);
    });
  }, 120_000);

  test('every command has a full one-sentence summary (never cut mid-sentence)', () => {
    for (const c of commands) {
      expect(c.summary, c.id).toMatch(/^[A-Z].*[.!?]$/);
      expect(c.summary.includes('\n'), c.id).toBe(false);
      // The first line of the command's --help, which oclif prints as it is: it fits 80 columns.
      expect(c.summary.length, c.id).toBeLessThanOrEqual(78);
    }
  });
});

describe('did you mean', () => {
  test('a mistyped command: one line naming the closest command, exit 2', () => {
    const r = peers(['stauts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("peers: unknown command 'stauts'. Did you mean 'status'?\n");
    expect(peers(['modes', 'lsit']).stderr).toBe("peers: unknown command 'modes lsit'. Did you mean 'modes list'?\n");
    expect(peers(['xyzzy']).stderr).toBe("peers: unknown command 'xyzzy' (peers --help lists the commands)\n");
  });

  test('a mistyped flag: one line naming the closest flag of that command, exit 2', () => {
    const r = peers(['status', '--jsno']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("peers: unknown flag '--jsno' for 'status'. Did you mean '--json'?\n");
    expect(peers(['logs', '--folow']).stderr).toBe("peers: unknown flag '--folow' for 'logs'. Did you mean '--follow'?\n");
  });
});

describe('command-line mistakes', () => {
  test("every kind oclif's parser refuses: one line naming what, the command and its --help, exit 2", async () => {
    const cases: [string[], string][] = [
      [['up', '--max-usd'], "--max-usd needs a value for 'up' (see `peers up --help`)"],
      [['up', '--target', 'docker'], "--target for 'up' does not take 'docker'; it takes one of: podman, k8s (see `peers up --help`)"],
      [['status', '-C', repo, '-C', repo], "--dir is given more than once for 'status'; give it once (see `peers status --help`)"],
      [['init', 'a', 'b', 'c'], "unexpected arguments 'b', 'c' for 'init' (see `peers init --help`)"],
      [['ls', 'extra'], "unexpected argument 'extra' for 'ls' (see `peers ls --help`)"],
      [['modes', 'list', 'x', 'y'], "unexpected arguments 'x', 'y' for 'modes list' (see `peers modes list --help`)"],
      [['check'], "missing argument ID for 'check' (see `peers check --help`)"],
      [['ack-block', 'STEP-1'], "missing required flag --reason for 'ack-block' (see `peers ack-block --help`)"],
      [['down', '--nope'], "unknown flag '--nope' for 'down' (peers down --help lists its flags)"],
      [['help', 'nosuch'], "unknown command 'nosuch' (peers --help lists the commands)"],
      [['help', '--bogus'], "unknown flag '--bogus' (see `peers --help`)"],
      [['--bogus'], "unknown flag '--bogus' (see `peers --help`)"],
    ];
    const runs = await mapLimited(cases, 4, ([argv]) => runPeersAsync(argv, { cwd: repo, env: sb.env }));
    cases.forEach(([argv, line], i) => {
      expect({ argv, code: runs[i]!.code, stderr: runs[i]!.stderr, stdout: runs[i]!.stdout }).toEqual({ argv, code: 2, stderr: `peers: ${line}\n`, stdout: '' });
    });
  }, 120_000);
});

describe('colour', () => {
  test('on a terminal: the table header is bold and errors are red', () => {
    expect(onTty('commands')).toContain(`${ESC}1mCOMMAND`);
    expect(onTty('stauts')).toContain(`${ESC}31mpeers:`);
  }, 60_000);

  test('NO_COLOR, --no-color and a pipe each turn it off', () => {
    const plain = (out: string) => expect(out.includes(ESC)).toBe(false);
    plain(onTty('commands', { NO_COLOR: '1' }));
    plain(onTty('commands --no-color'));
    plain(onTty('stauts --no-color'));
    plain(peers(['modes', 'list'], { NO_COLOR: '' }).stdout);
    expect(onTty('modes list')).toContain(`${ESC}1mMODE`);
  }, 60_000);
});

describe('one way to name a project', () => {
  test('a path argument and -C DIR name the same project; both at once is refused', () => {
    const byArg = JSON.parse(peers(['status', repo, '--json']).stdout);
    const byDir = JSON.parse(runPeers(['status', '-C', repo, '--json'], { cwd: sb.root, env: sb.env }).stdout);
    expect(byDir.path).toBe(byArg.path);
    for (const cmd of [['bugs'], ['info'], ['verify'], ['report'], ['review'], ['reset'], ['logs'], ['check', 'no-secrets']]) {
      const r = runPeers([...cmd, '-C', join(sb.root, 'nowhere')], { cwd: sb.root, env: sb.env });
      expect(r.stderr, cmd.join(' ')).toContain(`${join(sb.root, 'nowhere')} does not exist`);
      expect(r.code).toBe(2);
    }
    const twice = peers(['status', repo, '-C', repo]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('the project is named twice');
  }, 60_000);
});

describe('golden --help', () => {
  const GOLDEN = join(import.meta.dir, 'golden');
  for (const cmd of [['status'], ['rm'], ['prune'], ['completion']]) {
    test(`peers ${cmd.join(' ')} --help matches golden/help-${cmd.join('-')}.txt`, () => {
      const out = peers([...cmd, '--help'], { COLUMNS: '100' }).stdout;
      const file = join(GOLDEN, `help-${cmd.join('-')}.txt`);
      if (process.env.UPDATE_GOLDEN) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, out);
      }
      expect(existsSync(file)).toBe(true);
      expect(out).toBe(readFileSync(file, 'utf8'));
    });
  }
});
