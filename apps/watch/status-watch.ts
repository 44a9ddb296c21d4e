/**
 * `peers status --watch`: the status redrawn every few seconds until the run stops or Ctrl-C.
 * On a terminal it draws on the alternate screen (the shell's screen comes back untouched) with
 * flicker-free frames (terminal-frame.ts), then prints the last status on the normal screen so it
 * stays in the scrollback. Not on a terminal (a pipe, a log file) it prints the status again only
 * when it changed; with --json one JSON object per line. A run that is not running when the watch
 * starts is shown once.
 */
import { abortOnStopSignal } from '../../src/cli/stop-signal.ts';
import { rawOutput, type OutputStream, type SignalSource } from '../../src/cli/command-io.ts';
import { jsonForTerminal, terminalText } from '../../src/cli/terminal-text.ts';
import { SCHEMA_VERSION } from '../../src/cli/json-output/output-schemas.ts';
import { projectJson, projectText, type ProjectView } from '../project-view.ts';
import { ESC, renderFrame } from './terminal-frame.ts';

export type WatchOptions = {
  read: () => Promise<ProjectView>;
  intervalMs: number;
  json?: boolean;
  /** The command's stdout; a terminal that emits 'resize' gets a frame redrawn at its new size. */
  out: OutputStream;
  /** The command's stop signals: SIGINT or SIGTERM ends the watch. */
  signals: SignalSource;
  now?: () => Date;
};

const running = (v: ProjectView) => v.project.status === 'running';

function frame(v: ProjectView, o: WatchOptions, note: string): string[] {
  const at = (o.now ?? (() => new Date()))().toISOString().replace('T', ' ').slice(0, 19);
  return [`peers status ${v.project.name} — ${note} — ${at}`, '', ...projectText(v)];
}

type Resizes = { on(event: 'resize', listener: () => void): unknown; off(event: 'resize', listener: () => void): unknown };
const resizes = (out: OutputStream): out is OutputStream & Resizes => typeof (out as Partial<Resizes>).on === 'function' && typeof (out as Partial<Resizes>).off === 'function';

export function watchStatus(o: WatchOptions): Promise<number> {
  return abortOnStopSignal(o.signals, (stop) => watchUntil(o, stop));
}

async function watchUntil(o: WatchOptions, stop: AbortSignal): Promise<number> {
  const out = o.out;
  const tty = Boolean(out.isTTY) && !o.json;
  let wake: (() => void) | undefined;
  const onResize = () => wake?.();
  let last = '';
  let view: ProjectView | undefined;
  // The screen is drawn with escape sequences of its own, so frames go to the raw stream, from text
  // made safe here (command-io.ts): a stop reason or a gate id is shown, never obeyed.
  const screen = rawOutput(out);
  const draw = (lines: string[]) => screen.write(renderFrame(lines.map(terminalText), out.columns ?? 80, out.rows ?? 24));
  if (tty) {
    screen.write(ESC.altScreenOn + ESC.hideCursor);
    if (resizes(out)) out.on('resize', onResize);
  }
  try {
    while (!stop.aborted) {
      view = await o.read();
      const ended = !running(view);
      if (tty) draw(frame(view, o, ended ? 'the run is not running' : `every ${Math.round(o.intervalMs / 1000)}s, Ctrl-C to stop watching`));
      else {
        // Each line a document of its own, schema_version first, as every --json document (README, JSON output).
        const text = o.json ? jsonForTerminal(JSON.stringify({ schema_version: SCHEMA_VERSION, ...projectJson(view) })) : projectText(view).join('\n');
        if (text !== last) out.write(o.json ? `${text}\n` : `${last ? '\n' : ''}${text}\n`);
        last = text;
      }
      if (ended) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.intervalMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
        stop.addEventListener('abort', wake, { once: true });
      });
      wake = undefined;
    }
  } finally {
    if (tty) {
      if (resizes(out)) out.off('resize', onResize);
      screen.write(ESC.showCursor + ESC.altScreenOff);
      if (view) out.write(`${projectText(view).join('\n')}\n`);
    }
  }
  return 0;
}
