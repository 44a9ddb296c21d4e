/**
 * `peers status`, `ls` and `info` run without oclif when their command line is plain
 * (commands/plain-commands.ts). Each command line here runs through both paths in this process, on
 * the same project and environment: src/main.ts's oclif-free path, and the oclif command as the
 * binary runs it (in-process.ts). Output, errors and exit codes must be the same, byte for byte.
 * test/smoke/compiled-binary.sh checks that the compiled binary takes the oclif-free path.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { EventEmitter } from 'node:events';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { plainCommand, runPlainCommand } from '../../../commands/plain-commands.ts';
import { reportFatal } from '../../../src/cli/report-error.ts';
import { Captured, runInProcess } from './in-process.ts';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
let repo: string;
let bare: string;
let plainDir: string;
/** A run's state directory (a recorded run, copied): what status loads only when there is a run. */
let runState: string;
beforeAll(() => {
  repo = makeRepo(sb.root, 'proj');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  bare = makeRepo(sb.root, 'no-peers-here');
  plainDir = join(sb.root, 'not-a-repo');
  mkdirSync(plainDir);
  writeFileSync(join(plainDir, 'file'), 'x\n');
  runState = join(sb.root, 'recorded-run');
  cpSync(join(import.meta.dir, '../../fixtures/report/recorded-run'), runState, { recursive: true });
});
afterAll(() => sb.cleanup());

type Run = { code: number; stdout: string; stderr: string };

async function plainPath(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run | null> {
  const command = await plainCommand(argv, env);
  if (!command) return null;
  const [stdout, stderr] = [new Captured(), new Captured()];
  const code = await runPlainCommand(command, { stdout, stderr, stdin: Readable.from(['']), env, cwd, signals: new EventEmitter() }, async (e, io) => reportFatal(e, io));
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Both paths on one command line: [oclif-free, oclif]. */
async function bothPaths(argv: string[], where: { cwd?: string; env?: Record<string, string> } = {}): Promise<[Run | null, Run]> {
  const env = { ...sb.env, NO_COLOR: '1', ...where.env };
  const cwd = where.cwd ?? repo;
  return [await plainPath(argv, env, cwd), await runInProcess(argv, { env, cwd })];
}

test('status --watch --json on a run that is not running: one line, a JSON document with schema_version first, as every --json document', () => {
  const r = runPeers(['status', '--watch', '--json'], { cwd: repo, env: { ...sb.env, PEERS_STATE_DIR: runState } });
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  const doc = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(Object.keys(doc)[0]).toBe('schema_version');
  expect(doc.schema_version).toBe(1);
});

describe('status, ls and info without oclif', () => {
  const cases: { argv: string[]; cwd?: () => string; env?: Record<string, string>; code: number }[] = [
    { argv: ['status'], code: 0 },
    { argv: ['status', '--json'], code: 0 },
    { argv: ['status', '--interval', '3', '--state-dir=state'], code: 2 }, // no such state directory: a mistyped path
    { argv: ['status', '--state-dir', '../recorded-run'], code: 0 },
    { argv: ['status', '--state-dir', '../recorded-run', '--json'], code: 0 },
    { argv: ['status', '--dir', '../proj'], cwd: () => bare, code: 0 },
    { argv: ['status'], cwd: () => plainDir, code: 2 },
    { argv: ['status', '--json'], cwd: () => plainDir, code: 2 },
    { argv: ['status'], env: { PEERS_STATE_DIR: 'relative' }, code: 2 },
    { argv: ['ls'], code: 0 },
    { argv: ['ls', '--json'], code: 0 },
    { argv: ['ls', '--target', 'podman'], code: 0 },
    { argv: ['ls', '--context', 'prod'], code: 2 },
    { argv: ['ls', '--context=prod', '--json'], code: 2 },
    { argv: ['info'], code: 0 },
    { argv: ['info', '--json'], code: 0 },
    { argv: ['info', '--dir', 'proj'], cwd: () => sb.root, code: 0 },
    { argv: ['info'], cwd: () => bare, code: 2 },
    { argv: ['info', '--json'], cwd: () => bare, code: 2 },
  ];
  for (const c of cases) {
    test(`'peers ${c.argv.join(' ')}'${c.cwd ? ' elsewhere' : ''}${c.env ? ` with ${JSON.stringify(c.env)}` : ''}: same output and exit ${c.code} either way`, async () => {
      const [plain, oclif] = await bothPaths(c.argv, { cwd: c.cwd?.(), env: c.env });
      expect(plain).not.toBeNull();
      expect(plain).toEqual(oclif);
      expect(oclif.code).toBe(c.code);
      expect(oclif.stdout + oclif.stderr).not.toBe('');
    }, 60_000);
  }

  test('a command line that is not plain goes to oclif: an argument, a short flag, a bad value, help, a repeated flag, PEERS_CONTENT_TYPE', async () => {
    const env = { ...sb.env };
    for (const argv of [['status', 'proj'], ['status', '-C', repo], ['status', '-w'], ['status', '--interval', '0'], ['status', '--interval'], ['ls', '--target', 'nomad'], ['ls', '--help'], ['info', '--json', '--json'], ['info', '--no-json'], ['status', '--'], ['doctor']]) {
      expect(await plainCommand(argv, env)).toBeNull();
    }
    expect(await plainCommand(['status', '--json'], { ...env, PEERS_CONTENT_TYPE: 'json' })).toBeNull();
  });
});
