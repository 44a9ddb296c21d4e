/**
 * Whether the workspace image has the programs a project's gates and `setup` start. The gates of
 * a run run in that image (git, Node.js and npm, Python with pytest, the peer CLIs: Containerfile),
 * not on the host, so `peers verify` passing on the host says nothing about `go test` or `cargo
 * test` in the pod: there the gate fails with `go: not found` on every tick, and the run can never
 * complete. One rule, used by `peers doctor` (apps/doctor/gate-programs.ts) and by `peers up`,
 * which refuses such a run before it makes the pod (sandbox/image-toolchains.ts).
 */
import { basename } from 'node:path';
import { PROJECT_PYTHON, pythonToolOf, pythonToolSetup, type PythonTool } from '../config/python-tool.ts';

/** Programs whose absence from the image is judged (a gate's own scripts, `sh -c …`, are not). */
export const TOOLCHAIN_PROGRAMS = [
  'go', 'cargo', 'rustc', 'make', 'cmake', 'gcc', 'cc', 'g++', 'clang', 'node', 'npm', 'npx', 'pnpm', 'yarn', 'bun', 'deno',
  'python3', 'python', 'pip', 'pip3', 'pytest', 'uv', 'poetry', 'tox', 'java', 'mvn', 'gradle', 'ruby', 'bundle', 'rake', 'php', 'composer', 'dotnet',
] as const;

/** The shell line (for the image probe) that prints `program<TAB>path` per toolchain program, the path empty when missing. */
export const PROGRAMS_SCRIPT = `for p in ${TOOLCHAIN_PROGRAMS.join(' ')}; do printf 'program:%s\\t%s\\n' "$p" "$(command -v "$p" 2>/dev/null)"; done`;

/** The programs the image has, from PROGRAMS_SCRIPT's output. */
export function parseImagePrograms(stdout: string): Set<string> {
  const have = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^program:([^\t]+)\t(.+)$/.exec(line);
    if (m && m[2]!.trim()) have.add(m[1]!);
  }
  return have;
}

const WRAPPERS = new Set(['env', 'exec', 'time', 'nice', 'timeout', 'command', 'xargs']);

/** The programs a shell command starts from PATH (or an absolute path): the first word of each simple command, past assignments and wrappers. */
export function programsOf(cmd: string): string[] {
  const out: string[] = [];
  for (const segment of cmd.split(/&&|\|\||[;|&\n()]/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || WRAPPERS.has(words[i]!) || (words[i - 1] === 'timeout' && /^\d/.test(words[i]!)) || words[i]!.startsWith('-'))) i++;
    const word = words[i];
    // `PATH="$PWD/…:$PATH" pnpm test`: the program comes first from a directory setup filled in the checkout (package-manager.ts).
    if (words.slice(0, i).some((w) => /^PATH=["']?\$PWD\//.test(w))) continue;
    // A relative path (`.venv/bin/python`, `./run-tests`) is the project's own, made by setup or committed: not judged.
    if (!word || (word.includes('/') && !word.startsWith('/'))) continue;
    if (!out.includes(basename(word))) out.push(basename(word));
  }
  return out;
}

export type Goalish = { id: string; type: string; cmd?: string };

/** One command (setup, or a hard gate) that starts known programs the image lacks. */
export type LackingCommand = { what: string; cmd: string; missing: string[] };

/** The setup and hard gates that start a known toolchain program the image lacks, and those programs. */
export function lackingToolchains(goals: readonly Goalish[], setup: string | undefined, imageHas: ReadonlySet<string>): { lacking: LackingCommand[]; programs: string[] } {
  const known = new Set<string>(TOOLCHAIN_PROGRAMS);
  const lacking: LackingCommand[] = [];
  const programs: string[] = [];
  const commands = [...(setup ? [{ what: 'setup', cmd: setup }] : []), ...goals.filter((g) => g.type === 'hard' && g.cmd).map((g) => ({ what: `gate ${g.id}`, cmd: g.cmd! }))];
  for (const { what, cmd } of commands) {
    const missing = programsOf(cmd).filter((p) => known.has(p) && !imageHas.has(p));
    for (const p of missing) if (!programs.includes(p)) programs.push(p);
    if (missing.length) lacking.push({ what, cmd, missing });
  }
  return { lacking, programs };
}

/** Whether the image can judge any command of these (none starts a known toolchain program: no need to ask it). */
export function startsKnownToolchain(goals: readonly Goalish[], setup: string | undefined): boolean {
  return lackingToolchains(goals, setup, new Set()).lacking.length > 0;
}

/** `gate tests-pass (\`go test ./...\`) needs go`, joined with `; `. */
export function describeLacking(lacking: readonly LackingCommand[]): string {
  return lacking.map((l) => `${l.what} (\`${l.cmd.length > 60 ? `${l.cmd.slice(0, 57)}...` : l.cmd}\`) needs ${l.missing.join(', ')}`).join('; ');
}

/** Base images whose PATH holds a toolchain (README: the image keeps the base's PATH). */
const BASE_EXAMPLES: Record<string, string> = { go: 'golang:1.22-bookworm keeps /usr/local/go/bin', cargo: 'rust:1-bookworm keeps /usr/local/cargo/bin', rustc: 'rust:1-bookworm keeps /usr/local/cargo/bin' };

export type ProjectFiles = { exists(path: string): boolean; read?(path: string): string | undefined };

/**
 * uv and Poetry need not be in the image: setup can install them into the checkout and the gates
 * run the venv they fill (src/config/python-tool.ts). A config written before `peers init` proposed
 * that still says `uv run pytest`; the fix is the lines init proposes now, pinned from `files`.
 */
function pythonToolFix(missing: readonly string[], files: ProjectFiles | undefined): string {
  const tool = missing.find((p): p is PythonTool => p === 'uv' || p === 'poetry');
  if (!tool) return '';
  const project = files && pythonToolOf(files) === tool ? files : { exists: (p: string) => p === `${tool}.lock` };
  return `. ${tool} need not be in the image: in .peers/config.yaml, setup: ${pythonToolSetup(tool, project)}; in .peers/goals.yaml, the gate runs ${PROJECT_PYTHON} -m pytest -q (what \`peers init\` proposes now)`;
}

/**
 * What to do about missing programs, said the same by doctor and up (and README): a bookworm base
 * that has them on its PATH (the Containerfile extends the base's PATH), or another gate.
 * `files`: the project's files, to pin uv or Poetry in the fix as init would.
 */
export function toolchainFix(programs: readonly string[], files?: ProjectFiles): string {
  const examples = [...new Set(programs.map((p) => BASE_EXAMPLES[p]).filter(Boolean))];
  const example = examples.length ? `; e.g. ${examples.join(', ')}` : '';
  return `build the image on a Debian bookworm base that has ${programs.join(', ')} on its PATH (the image keeps the base's PATH${example}): peers image build --force --base IMAGE; or change the gate in .peers/goals.yaml${pythonToolFix(programs, files)}`;
}

/**
 * Why `peers up` must not start this run (null: it may): a hard gate or setup starts a toolchain
 * program the image lacks, so every tick's gate fails and the run ends stuck, its ticks paid for.
 * The same rule as doctor's `gate toolchains` line (lackingToolchains); a program it cannot judge
 * (a script in the repo, `sh -c …`) is never refused.
 */
export function toolchainRefusal(image: string, goals: readonly Goalish[], setup: string | undefined, imageHas: ReadonlySet<string>, files?: ProjectFiles): { message: string; hint: string } | null {
  const { lacking, programs } = lackingToolchains(goals, setup, imageHas);
  if (lacking.length === 0) return null;
  return {
    message: `the workspace image ${image} has no ${programs.join(', ')}, and the run's gates run there: ${describeLacking(lacking)}. Such a gate would fail on every tick with "${programs[0]}: not found" and the run could not complete (peers verify ran it on this machine); nothing was started`,
    hint: toolchainFix(programs, files),
  };
}
