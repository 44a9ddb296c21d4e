/**
 * Whether the workspace image has the programs a project's gates and `setup` start. The gates of
 * a run run in that image (git, Node.js and npm, Python with pytest, the peer CLIs: Containerfile),
 * not on the host, so `peers verify` passing on the host says nothing about `go test` or `cargo
 * test` in the pod: there the gate fails with `go: not found` on every tick, and the run can never
 * complete. Doctor asks the image about the toolchains peers knows by name and says so before the
 * night is spent; the rule is src/gates/gate-toolchains.ts, which `peers up` uses too.
 */
import { describeLacking, lackingToolchains, toolchainFix, type Goalish, type ProjectFiles } from '../../src/gates/gate-toolchains.ts';
import type { DoctorCheck } from './doctor-check.ts';

export { parseImagePrograms, programsOf, PROGRAMS_SCRIPT, TOOLCHAIN_PROGRAMS } from '../../src/gates/gate-toolchains.ts';

/** The doctor line for one project: which gates (and setup) start a known program the image lacks. `files`: the project's files, to pin uv or Poetry in the fix as init would. */
export function gateProgramsCheck(path: string, goals: readonly Goalish[], setup: string | undefined, imageHas: Set<string>, files?: ProjectFiles): DoctorCheck {
  const { lacking, programs } = lackingToolchains(goals, setup, imageHas);
  const title = '  gate toolchains';
  if (lacking.length === 0) return { id: `gate-programs:${path}`, title, status: 'ok', detail: 'every toolchain the gates and setup start is in the workspace image', required: false };
  const names = programs.join(', ');
  return {
    id: `gate-programs:${path}`,
    title,
    status: 'fail',
    detail: `the workspace image has no ${names}, and in a run the gates run there (peers verify ran them on this machine): ${describeLacking(lacking)}. Such a gate fails on every tick with "${programs[0]}: not found" and the run cannot complete`,
    fix: toolchainFix(programs, files),
    required: true,
  };
}
