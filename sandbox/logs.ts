/**
 * `peers logs`: the loop's console (or, with --egress, the egress proxy's audit log). Both live in
 * the state dir and so survive `peers down`: podman writes the loop container's output to
 * `loop.log` (k8s-file format, pod-spec.ts), appending across `up`s. `-f` follows the running
 * loop through podman. The audit log is size-capped: its older half (`egress.jsonl.1`) is shown
 * first, then the current file, whose first line says how many records rotation dropped, if any.
 * The log shown is the command's output: every line of it goes to stdout, whichever stream the
 * loop wrote it to (its progress lines are on its stderr), so `peers logs | grep tick` and
 * `peers logs > file` have it all, as `kubectl logs` does on Kubernetes; stderr carries only what
 * peers itself says (errors, hints, "nothing more to follow") and the readers' own errors and
 * warnings (podman's are told from the container's lines it replays: PodmanStderrSplitter). Podman
 * and the followers run in the command's environment, and a stop signal of the command (Ctrl-C)
 * ends the following (src/cli/command-io.ts).
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
import { archivedRunWords } from '../src/state/run-archive.ts';
import { shellWord } from '../src/cli/shell-word.ts';
import { abortOnStopSignal } from '../src/cli/stop-signal.ts';
import { exitCodeFor, parseStopReason, readStopReason } from '../src/state/stop-reason.ts';
import { containerName } from './pod-layout.ts';
import { containerRunning, containerStartedAt, podman, podmanBin, PodmanMissing } from './podman.ts';
import { fileThere } from '../src/fs/file-there.ts';
import { scriptEnds } from '../src/model-server/served-log.ts';
import { scenarioRanOut, stoppedByFailedTurns } from '../src/loop/scenario-ran-out.ts';

/**
 * The console text of a k8s-file log as written: `<time> <stream> <F|P> <text>` lines, P marking a
 * partial line (joined to the next). Both streams, in the order written.
 */
export function k8sLogText(raw: string): string {
  let out = '';
  for (const line of raw.split('\n')) {
    const m = /^\S+ (?:stdout|stderr) ([FP]) ?(.*)$/.exec(line);
    if (m) out += m[1] === 'P' ? m[2]! : `${m[2]}\n`;
  }
  return out;
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
  if (file && fileThere(file, { what: 'loop output', hint: 'check the state directory `peers status --json` names (state_dir)' }) && !(o.follow && exists)) {
    o.io.stdout.write(k8sLogText(readTextIfExists(file, 256 * MiB) ?? ''));
    if (o.follow) o.io.stderr.write('peers logs: the loop is not running; nothing more to follow\n');
    return 0;
  }
  if (!exists) {
    // `peers report` has a run's history only when a run saved one; before that, the way forward is to start it.
    const ran = o.stateDir !== undefined && existsSync(statePaths(o.stateDir).state);
    // Reset since: the run's output went with its archive (src/state/run-archive.ts), not "never started".
    const archived = !o.egress && !ran && o.stateDir !== undefined ? archivedRunWords(o.stateDir) : undefined;
    if (archived) {
      throw new PeersError(`no loop output for this project's current run: ${archived.message}`, {
        hint: `${archived.loopLog ? `its loop output: ${archived.loopLog}; ` : ''}its report: \`peers report --state-dir ${shellWord(archived.latest.path)}\`; \`peers up\` starts a new run`,
      });
    }
    throw new PeersError(`no ${o.egress ? 'egress' : 'loop'} output for this project yet (never started${o.egress ? ', or removed by peers down' : ''})`, { hint: ran ? 'the run history stays in `peers report`' : 'start a run with `peers up` (`peers up --attach` follows it from the start)' });
  }
  return (await run([podmanBin(o.io.env), ...containerLogsArgs({ name, follow: o.follow })], o.io, 'container-log')).code;
}

/**
 * `podman logs` of a container: with `since`, only the lines logged after that moment. The bound
 * is `--since` to the millisecond, rounded down: podman keeps the lines timed strictly after it
 * (each line's time is the nanosecond it was written), so every line written from that moment on is in.
 */
export function containerLogsArgs(o: { name: string; follow: boolean; since?: Date; tail?: number }): string[] {
  return ['logs', ...(o.follow ? ['-f'] : []), ...(o.since ? ['--since', o.since.toISOString()] : []), ...(o.tail !== undefined ? ['--tail', String(o.tail)] : []), o.name];
}

/** The lines `up --attach` shows of a run that was already running before it follows: the recent ones. */
const ATTACH_RECENT_LINES = 20;

/** `cat` of a FIFO or a device planted in the state dir would wait or read forever. */
function refuseIfNotRegular(log: string): void {
  if (!isRegularFile(log) || lstatSync(log).isSymbolicLink()) throw new InputError(`${log}: the egress audit log is not a regular file`, { location: { file: log }, hint: 'move it aside; the egress proxy writes a new one' });
}

/**
 * `peers up --attach`: follows the loop until it stops, then says how it ended and returns the
 * run's exit code (0 for complete). Ctrl-C detaches (the run goes on) and returns 0. `upStartedAt`
 * is the moment that `up` began, before it made or started anything: loop.log keeps every earlier
 * `up`'s output (a resumed run's), and a bound taken before this start cannot cut this session's
 * first lines, while the earlier sessions ended (`peers down`) before it. A run that was already
 * running (`alreadyRunning`) shows its last lines first, from its loop's start on (from nothing
 * it began with, an attach looked hung until the next tick).
 */
export async function attachToRun(o: { project: string; stateDir: string; upStartedAt: Date; alreadyRunning?: boolean; log: (line: string) => void; io: LogIO }): Promise<number> {
  const since = Date.now();
  const name = containerName(o.project, 'loop');
  const loopStart = o.alreadyRunning ? await containerStartedAt(name, o.io.env) : null;
  const argv = o.alreadyRunning
    ? containerLogsArgs({ name, follow: true, ...(loopStart ? { since: new Date(loopStart) } : {}), tail: ATTACH_RECENT_LINES })
    : containerLogsArgs({ name, follow: true, since: o.upStartedAt });
  const { stopped } = await run([podmanBin(o.io.env), ...argv], o.io, 'container-log');
  if (stopped) {
    o.log('detached; the run goes on (peers status, peers logs -f)');
    return 0;
  }
  const stop = readStopReason(statePaths(o.stateDir).stopReason);
  // A reason older than this attach belongs to an earlier start (1 s: the file's own clock).
  const fresh = stop && Date.parse(stop.at) >= since - 1000;
  // A terminal's Ctrl-C reaches `podman logs` too, which may end before this process takes its
  // own SIGINT: the loop container, still running, says the run goes on (not a crash).
  if (!fresh && (await containerRunning(name, o.io.env))) {
    o.log('stopped following (podman logs ended); the run goes on (peers status, peers logs -f)');
    return 0;
  }
  if (!stop || !fresh) {
    o.log('the loop stopped without a stop reason (crashed?): peers status, peers logs');
    return 1;
  }
  o.log(`the run stopped: ${stop.reason} (peers status, peers report)`);
  // A rehearsal past its script: its last turns said only "no commit"; the scenario is why.
  const ends = stoppedByFailedTurns(stop.reason) ? scriptEnds(join(o.stateDir, 'rehearsal', 'served.jsonl')) : [];
  if (ends.length) o.log(`${scenarioRanOut(ends)}: the turns after that got no scripted reply and made no commit; add ticks to it (peers report says more)`);
  return exitCodeFor(parseStopReason(stop.reason));
}

/**
 * podman's own diagnostics on its stderr, as opposed to the container's stderr it replays there:
 * its logrus lines (`time="…" level=warning msg="…"`, or `WARN[0000] …` on a terminal) and its
 * final `Error: …`. A container line shaped like one goes to stderr too; it is still shown.
 */
export function isPodmanDiagnostic(line: string): boolean {
  return /^time="[^"]*" level=[a-z]+ msg=/.test(line) || /^(?:Error: |(?:WARN|ERRO|INFO|DEBU|FATA)\[\d+\] )/.test(line);
}

/**
 * Splits what `podman logs` writes on its stderr: the container's lines are log (stdout), podman's
 * diagnostics are not (stderr). Whole lines only, so a line is judged once; `end` flushes the rest.
 */
export class PodmanStderrSplitter {
  private pending = '';
  push(text: string): { log: string; diagnostics: string } {
    const all = this.pending + text;
    const cut = all.lastIndexOf('\n') + 1;
    this.pending = all.slice(cut);
    return this.route(all.slice(0, cut));
  }
  end(): { log: string; diagnostics: string } {
    const rest = this.pending;
    this.pending = '';
    return this.route(rest);
  }
  private route(lines: string): { log: string; diagnostics: string } {
    let log = '';
    let diagnostics = '';
    for (const line of lines.split(/(?<=\n)/)) {
      if (isPodmanDiagnostic(line)) diagnostics += line;
      else log += line;
    }
    return { log, diagnostics };
  }
}

/**
 * Runs a reader (podman logs, tail, cat) onto the command's streams until it ends or the command
 * gets a stop signal, which ends the reader (SIGTERM) and never the run. `stopped`: a signal ended it.
 * A 'container-log' reader (`podman logs`) replays the container's stderr on its own stderr: that is
 * log, so it goes to stdout, and only podman's own diagnostics stay on stderr (PodmanStderrSplitter).
 */
function run(argv: string[], io: LogIO, kind: 'file' | 'container-log' = 'file'): Promise<{ code: number; stopped: boolean }> {
  return abortOnStopSignal(io.signals, (signal) =>
    new Promise((resolve, reject) => {
      const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: io.env });
      const stop = () => c.kill('SIGTERM');
      signal.addEventListener('abort', stop, { once: true });
      c.stdout.setEncoding('utf8').on('data', (text: string) => io.stdout.write(text));
      const splitter = kind === 'container-log' ? new PodmanStderrSplitter() : undefined;
      const routed = (r: { log: string; diagnostics: string }) => {
        if (r.log) io.stdout.write(r.log);
        if (r.diagnostics) io.stderr.write(r.diagnostics);
      };
      c.stderr.setEncoding('utf8').on('data', (text: string) => (splitter ? routed(splitter.push(text)) : io.stderr.write(text)));
      c.on('error', (e: NodeJS.ErrnoException) => {
        signal.removeEventListener('abort', stop);
        reject(e.code === 'ENOENT' ? new PeersError(`${argv[0]} not found`, { hint: 'install podman (Debian: apt-get install podman uidmap slirp4netns catatonit runc)' }) : e);
      });
      c.on('close', (code) => {
        signal.removeEventListener('abort', stop);
        if (splitter) routed(splitter.end());
        resolve({ code: code ?? 0, stopped: signal.aborted });
      });
    }),
  );
}
