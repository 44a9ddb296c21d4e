/**
 * `peers demo`: a sample project with a failing test, two real agent CLIs driven by the scripted
 * model server, the real loop and gates, to convergence; then the run's report and where to look
 * further. Picks the sandbox pod when it can run here, else the host with a one-line notice.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputError, PeersError } from '../../src/cli/errors.ts';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import type { UsageTotals } from '../../src/model-server/served-log.ts';
import { readReport } from '../../src/report/read-report.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';
import { DEMO_PEERS } from './demo-config.ts';
import { demoScenarioPath } from './demo-scenario.ts';
import { HostLauncher } from './host-launcher.ts';
import type { DemoLauncher, DemoLayout } from './launcher.ts';
import { PodLauncher } from './pod-launcher.ts';
import { formatProgress } from './progress.ts';
import type { DemoOutcome, DemoTick } from './demo-outcome.ts';
import { rootHandoff, runDemoAs } from './root-handoff.ts';
import { chownTree, isRoot } from './run-as-user.ts';
import { SAMPLE_NAME } from './sample-project.ts';
import { shellCommand } from '../../src/cli/shell-word.ts';

export type DemoOptions = {
  /** Where to put the demo (kept afterwards); default: a fresh temporary directory. */
  dir?: string;
  /** Keep the temporary directory after the run. */
  keep: boolean;
  /** 'auto' = the pod when it can run here, else the host. */
  where: 'auto' | 'pod' | 'host';
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Human-readable lines as the run goes (progress, notices). */
  print: (line: string) => void;
  /** Anything else a demo run as another user says (its warnings, its error message): the command's stderr. */
  warn: (line: string) => void;
};

/** Tokens the way the loop counts them: reasoning tokens are already part of output tokens. */
export function totalTokens(t: UsageTotals): number {
  return t.input_tokens + t.output_tokens + t.cache_read_tokens + t.cache_write_tokens;
}

/** --dir must be new or empty: the demo never mixes its files with someone else's. */
function checkDemoDir(dir: string | undefined): void {
  if (!dir) return;
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new InputError('the --dir directory is not empty', { location: { file: root }, hint: 'pass a new or empty directory to --dir, or leave --dir out for a temporary one' });
  }
}

function makeLayout(dir: string | undefined): { layout: DemoLayout; created: 'temp' | 'user' } {
  let root: string;
  if (dir) {
    checkDemoDir(dir);
    root = resolve(dir);
    mkdirSync(root, { recursive: true, mode: 0o755 });
  } else {
    root = mkdtempSync(join(tmpdir(), 'peers-demo-'));
  }
  const homes = join(root, 'homes');
  return {
    layout: { root, project: join(root, SAMPLE_NAME), state: join(root, 'state'), homes: { loop: join(homes, 'loop'), claude: join(homes, 'claude'), codex: join(homes, 'codex') } },
    created: dir ? 'user' : 'temp',
  };
}

/** The pod when it can run here; otherwise the host, with the reason the run is not sandboxed. */
export async function chooseLauncher(where: DemoOptions['where'], env: NodeJS.ProcessEnv): Promise<{ launcher: DemoLauncher; notice: string | null }> {
  if (where === 'host') return { launcher: new HostLauncher(), notice: 'running on the host as asked (--host): not sandboxed' };
  const pod = new PodLauncher(env);
  const why = await pod.unavailableReason();
  if (!why) return { launcher: pod, notice: null };
  if (where === 'pod') throw new PeersError(`cannot run the demo in the sandbox pod: ${why}`);
  return { launcher: new HostLauncher(), notice: `not sandboxed: ${why}; the peers run directly on this machine` };
}

export async function runDemo(o: DemoOptions): Promise<DemoOutcome> {
  const env = o.env ?? process.env;
  checkDemoDir(o.dir);
  let rootNotice: string | null = null;
  if (isRoot() && o.where !== 'host') {
    const r = rootHandoff(env);
    if ('handoff' in r) return handedBack(await runDemoAs(r.handoff, o));
    if (o.where === 'pod') throw new PeersError(`cannot run the demo in the sandbox pod: ${r.why}`);
    rootNotice = `not sandboxed: ${r.why}; the peers run directly on this machine`;
  }
  const { launcher, notice } = rootNotice ? { launcher: new HostLauncher() as DemoLauncher, notice: rootNotice } : await chooseLauncher(o.where, env);
  const { layout, created } = makeLayout(o.dir);
  const keep = o.keep || created === 'user';
  const ticks: DemoTick[] = [];
  if (notice) o.print(`peers demo: ${notice}`);
  o.print(`peers demo: sample project ${layout.project} (${launcher.kind === 'pod' ? 'in the sandbox pod' : 'on the host'}); claude and codex against the scripted model server`);
  let removeAtEnd = !keep;
  let stateDir: string | null = null;
  try {
    const result = await launcher.run({
      layout,
      env,
      signal: o.signal ?? new AbortController().signal,
      note: (line) => o.print(`peers demo: ${line}`),
      progress: (e) => {
        if (e.kind === 'tick') ticks.push(e);
        o.print(formatProgress(e));
      },
    });
    stateDir = result.stateDir;
    if (!existsSync(join(result.stateDir, 'state.json'))) {
      throw new PeersError(`the demo's loop stopped before its first tick (${result.stopReason ?? 'no stop reason'})`, { hint: `its last output:\n${result.loopOutputTail.trim()}` });
    }
    // The report `peers report` prints, the run's commits and bug ledger included (read from its mirror).
    const { model, summary } = readReport(result.stateDir, { project: SAMPLE_NAME, repo: layout.project });
    const report = renderMarkdown(model);
    writeFileAtomic(summary.paths.report, report);
    const served = Object.fromEntries(DEMO_PEERS.map((p) => [p, result.served[p]!]));
    const ok = result.stopReason === 'complete';
    if (!ok) removeAtEnd = false; // a failed demo is worth looking at
    const kept = !removeAtEnd;
    return {
      ok,
      launcher: launcher.kind,
      sandboxed: launcher.kind === 'pod',
      notice,
      stop_reason: result.stopReason,
      loop_exit_code: result.loopExitCode,
      project: layout.project,
      state_dir: result.stateDir,
      kept,
      ticks,
      tokens: { loop: summary.state.budget.spent_tokens, served: Object.values(served).reduce((n, t) => n + totalTokens(t), 0) },
      usd: { loop: summary.state.budget.spent_usd, served: Math.round(Object.values(served).reduce((n, t) => n + t.cost_usd, 0) * 1e6) / 1e6 },
      served,
      report,
      next_steps: kept ? nextSteps(layout.project, result.stateDir === layout.state ? layout.state : null, result.resultsBranch) : [`rerun with --keep (or --dir DIR) to keep the project and look further: peers status, peers report, git log`],
      ...(result.resultsBranch ? { results_branch: result.resultsBranch } : {}),
      ...(ok ? {} : { loop_output_tail: result.loopOutputTail }),
    };
  } catch (error) {
    // Keep what a failed run left to look at; a run refused before the project existed left nothing.
    if (existsSync(layout.project)) removeAtEnd = false;
    throw error;
  } finally {
    // A root run handed the tree to an unprivileged user; give it back so that the follow-up
    // commands (peers status, git log) run by the same root see a repository it owns.
    if (isRoot() && !removeAtEnd && existsSync(layout.root)) chownTree(layout.root, { user: 'root', uid: 0, gid: 0 });
    if (removeAtEnd) {
      rmSync(layout.root, { recursive: true, force: true });
      if (stateDir) await launcher.discard(layout, stateDir);
    }
  }
}

/**
 * A kept run of the unprivileged user, made usable by root: the tree goes back to root (git
 * refuses a repository owned by someone else) and the follow-up commands name the state
 * directory, which is under that user's home, not root's.
 */
function handedBack(outcome: DemoOutcome): DemoOutcome {
  if (!outcome.kept) return outcome;
  if (existsSync(outcome.project)) chownTree(dirname(outcome.project), { user: 'root', uid: 0, gid: 0 });
  return { ...outcome, next_steps: nextSteps(outcome.project, outcome.state_dir, outcome.results_branch) };
}

/** `stateDir` null = the project's default state directory, which the commands find by themselves. */
export function nextSteps(project: string, stateDir: string | null, branch?: string): string[] {
  const flag = stateDir ? ['--state-dir', stateDir] : [];
  // The one scenario a user of the binary alone has: `peers up --rehearse` needs one of their own.
  const scenario = demoScenarioPath(project);
  return [
    shellCommand('peers', 'status', project, ...flag),
    shellCommand('peers', 'report', project, ...flag),
    `${shellCommand('git', '-C', project)} log --format='%h %an: %s%n%(trailers:key=Peer,key=Peer-Status,key=Self-Review)'${branch ? ` ${branch}` : ''}`,
    shellCommand('cat', `${project}/.peers/config.yaml`, `${project}/.peers/goals.yaml`),
    ...(existsSync(scenario) ? [`${shellCommand('cp', scenario)} my-scenario.yaml   # what the model played; edit it for your project, then: peers up --rehearse my-scenario.yaml`] : []),
  ];
}
