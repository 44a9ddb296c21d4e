/**
 * Runs a peers command in this process, as `peers <argv>` would, on buffers instead of the
 * terminal: its IO, environment and working directory are handed to it (src/cli/command-io.ts).
 * The exit code comes from the same mapping the binary uses (src/cli/report-error.ts).
 */
import type { Config } from '@oclif/core';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { BaseCommand } from '../../../commands/base.ts';
import { COMMAND_LOADERS } from '../../../commands/index.ts';
import { loadConfig } from '../../../src/cli/bootstrap.ts';
import type { OutputStream } from '../../../src/cli/command-io.ts';

export type InProcessResult = { code: number; stdout: string; stderr: string };

/** A stream that keeps what is written (text or bytes); `isTTY`/`columns` as a terminal or a pipe would say. */
export class Captured implements OutputStream {
  private readonly chunks: Buffer[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  get text(): string {
    return this.bytes.toString('utf8');
  }
}

let config: Promise<Config> | undefined;

/** The command id `argv` starts with (`modes list` → `modes:list`) and the arguments after it. */
function splitCommand(argv: string[]): [string, string[]] {
  for (let n = Math.min(argv.length, 3); n > 0; n--) {
    const id = argv.slice(0, n).join(':');
    if (Object.hasOwn(COMMAND_LOADERS, id)) return [id, argv.slice(n)];
  }
  throw new Error(`no command in ${JSON.stringify(argv)}`);
}

export async function runInProcess(
  argv: string[],
  o: { env: NodeJS.ProcessEnv; cwd: string; stdin?: string; signals?: EventEmitter; stdout?: Captured; stderr?: Captured },
): Promise<InProcessResult> {
  config ??= loadConfig(COMMAND_LOADERS);
  const [id, args] = splitCommand(argv);
  const cfg = await config;
  // oclif types a loaded command as its abstract base; every entry of COMMAND_LOADERS is concrete.
  const Cmd = (await cfg.findCommand(id, { must: true }).load()) as unknown as new (argv: string[], config: Config) => unknown;
  const cmd = new Cmd(args, cfg);
  if (!(cmd instanceof BaseCommand)) throw new Error(`${id} is not a peers command`);
  const stdout = o.stdout ?? new Captured();
  const stderr = o.stderr ?? new Captured();
  const code = await cmd.runWith({ stdout, stderr, stdin: Readable.from([o.stdin ?? '']), env: o.env, cwd: o.cwd, signals: o.signals ?? new EventEmitter() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
