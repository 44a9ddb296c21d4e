/**
 * `peers logs`: the loop's console (or, with --egress, the egress proxy's audit log). Both live in
 * the state dir and so survive `peers down`: podman writes the loop container's output to
 * `loop.log` (k8s-file format, pod-spec.ts), appending across `up`s. `-f` follows the running
 * loop through podman. The audit log is size-capped: its older half (`egress.jsonl.1`) is shown
 * first, then the current file, whose first line says how many records rotation dropped, if any.
 * Output goes to the command's streams, podman and the followers run in the command's environment,
 * and a stop signal of the command (Ctrl-C) ends the following (src/cli/command-io.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandIO } from '../src/cli/command-io.ts';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { isRegularFile } from '../src/cli/input-file.ts';
import { MiB, readTextIfExists } from '../src/fs/safe-read.ts';
import { ROTATED_SUFFIX } from '../src/fs/size-capped-log.ts';
import { statePaths } from '../src/state/paths.ts';
import { abortOnStopSignal } from '../src/cli/stop-signal.ts';
import { exitCodeFor, parseStopReason, readStopReason } from '../src/state/stop-reason.ts';
import { containerName } from './pod-layout.ts';
import { podman, podmanBin, PodmanMissing } from './podman.ts';

export type LogChunk = { stream: 'stdout' | 'stderr'; text: string };

/** A k8s-file log as written: `<time> <stream> <F|P> <text>` lines, P marking a partial line. */
export function k8sLogChunks(raw: string): LogChunk[] {
  const out: LogChunk[] = [];
  for (const line of raw.split('\n')) {
    const m = /^\S+ (stdout|stderr) ([FP]) ?(.*)$/.exec(line);
    if (!m) continue;
    out.push({ stream: m[1] as LogChunk['stream'], text: m[2] === 'P' ? m[3]! : `${m[3]}\n` });
  }
  return out;
}

/** The console text of a k8s-file log, both streams in the order written. */
export function k8sLogText(raw: string): string {
  return k8sLogChunks(raw).map((c) => c.text).join('');
}

/** What of its command a log reader uses: where it writes, the environment podman runs in, Ctrl-C. */
export type LogIO = Pick<CommandIO, 'stdout' | 'stderr' | 'env' | 'signals'>;

export async function followLogs(o: { project: string; follow: boolean; egress: boolean; stateDir?: string; io: LogIO }): Promise<number> {
  if (o.egress && o.stateDir) {
    const log = join(o.stateDir, 'sidecars', 'egress', 'egress.jsonl');
    if (!existsSync(log)) throw new PeersError(`no egress audit log yet (${log})`, { hint: 'it appears once the run made its first outbound request' });
    const older = log + ROTATED_SUFFIX;
    for (const f of existsSync(older) ? [older, log] : [log]) refuseIfNotRegular(f);
    if (existsSync(older)) {
      const { code } = await run(['cat', older], o.io);
      if (code !== 0) return code;
    }
    // -F follows the name, so a rotation while following moves on to the new file.
    return (await run(o.follow ? ['tail', '-n', '+1', '-F', log] : ['cat', log], o.io)).code;
  }
  const name = containerName(o.project, o.egress ? 'egress' : 'loop');
  const file = o.stateDir && !o.egress ? statePaths(o.stateDir).loopLog : undefined;
  // Without podman no container of it runs: the saved output (or "never started") is the answer.
  const exists = await podman(['container', 'exists', name], { env: o.io.env }).then(
    (r) => r.code === 0,
    (e: unknown) => {
      if (e instanceof PodmanMissing) return false;
      throw e;
    },
  );
  // Following needs the container; reading does not (the file has every `up`'s output, also after down).
  if (file && existsSync(file) && !(o.follow && exists)) {
    // Each line to the stream it came from, as `podman logs` does.
    const out = o.io;
    for (const c of k8sLogChunks(readTextIfExists(file, 256 * MiB) ?? '')) (c.stream === 'stdout' ? out.stdout : out.stderr).write(c.text);
    if (o.follow) out.stderr.write('peers logs: the loop is not running; nothing more to follow\n');
    return 0;
  }
  if (!exists) {
    // `peers report` has a run's history only when a run saved one; before that, the way forward is to start it.
    const ran = o.stateDir !== undefined && existsSync(statePaths(o.stateDir).state);
    throw new PeersError(`no ${o.egress ? 'egress' : 'loop'} output for this project yet (never started${o.egress ? ', or removed by peers down' : ''})`, { hint: ran ? 'the run history stays in `peers report`' : 'start a run with `peers up` (`peers up --attach` follows it from the start)' });
  }
  return (await run([podmanBin(o.io.env), 'logs', ...(o.follow ? ['-f'] : []), name], o.io)).code;
}

/** `cat` of a FIFO or a device planted in the state dir would wait or read forever. */
function refuseIfNotRegular(log: string): void {
  if (!isRegularFile(log) || lstatSync(log).isSymbolicLink()) throw new InputError(`${log}: the egress audit log is not a regular file`, { location: { file: log }, hint: 'move it aside; the egress proxy writes a new one' });
}

/**
 * `peers up --attach`: follows the loop until it stops, then says how it ended and returns the
 * run's exit code (0 for complete). Ctrl-C detaches (the run goes on) and returns 0.
 */
export async function attachToRun(o: { project: string; stateDir: string; log: (line: string) => void; io: LogIO }): Promise<number> {
  const since = Date.now();
  const { stopped } = await run([podmanBin(o.io.env), 'logs', '-f', containerName(o.project, 'loop')], o.io);
  if (stopped) {
    o.log('detached; the run goes on (peers status, peers logs -f)');
    return 0;
  }
  const stop = readStopReason(statePaths(o.stateDir).stopReason);
  // A reason older than this attach belongs to an earlier start (1 s: the file's own clock).
  if (!stop || Date.parse(stop.at) < since - 1000) {
    o.log('the loop stopped without a stop reason (crashed?): peers status, peers logs');
    return 1;
  }
  o.log(`the run stopped: ${stop.reason} (peers status, peers report)`);
  return exitCodeFor(parseStopReason(stop.reason));
}

/**
 * Runs a reader (podman logs, tail, cat) onto the command's streams until it ends or the command
 * gets a stop signal, which ends the reader (SIGTERM) and never the run. `stopped`: a signal ended it.
 */
function run(argv: string[], io: LogIO): Promise<{ code: number; stopped: boolean }> {
  return abortOnStopSignal(io.signals, (signal) =>
    new Promise((resolve, reject) => {
      const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: io.env });
      const stop = () => c.kill('SIGTERM');
      signal.addEventListener('abort', stop, { once: true });
      c.stdout.setEncoding('utf8').on('data', (text: string) => io.stdout.write(text));
      c.stderr.setEncoding('utf8').on('data', (text: string) => io.stderr.write(text));
      c.on('error', (e: NodeJS.ErrnoException) => {
        signal.removeEventListener('abort', stop);
        reject(e.code === 'ENOENT' ? new PeersError(`${argv[0]} not found`, { hint: 'install podman (Debian: apt-get install podman uidmap slirp4netns catatonit runc)' }) : e);
      });
      c.on('close', (code) => {
        signal.removeEventListener('abort', stop);
        resolve({ code: code ?? 0, stopped: signal.aborted });
      });
    }),
  );
}
