/**
 * Whether the workspace image has the programs a project's gates and `setup` start. The gates of
 * a run run in that image (git, Node.js and npm, Python with pytest, the peer CLIs: Containerfile),
 * not on the host, so `peers verify` passing on the host says nothing about `go test` or `cargo
 * test` in the pod: there the gate fails with `go: not found` on every tick, and the run can never
 * complete. Doctor asks the image about the toolchains peers knows by name and says so before the
 * night is spent.
 */
import { basename } from 'node:path';
import { PROJECT_PYTHON, pythonToolOf, pythonToolSetup, type PythonTool } from '../../src/config/python-tool.ts';
import type { DoctorCheck } from './doctor-check.ts';

/** Programs whose absence from the image doctor reports (a gate's own scripts are not judged). */
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

type Goalish = { id: string; type: string; cmd?: string };

/** The doctor line for one project: which gates (and setup) start a known program the image lacks. */
/**
 * uv and Poetry need not be in the image: setup can install them into the checkout and the gates
 * run the venv they fill (src/config/python-tool.ts). A config written before `peers init` proposed
 * that still says `uv run pytest`; the fix is the lines init proposes now, pinned from `files`.
 */
function pythonToolFix(missing: string[], files: Files | undefined): string {
  const tool = missing.find((p): p is PythonTool => p === 'uv' || p === 'poetry');
  if (!tool) return '';
  const project = files && pythonToolOf(files) === tool ? files : { exists: (p: string) => p === `${tool}.lock` };
  return `. ${tool} need not be in the image: in .peers/config.yaml, setup: ${pythonToolSetup(tool, project)}; in .peers/goals.yaml, the gate runs ${PROJECT_PYTHON} -m pytest -q (what \`peers init\` proposes now)`;
}

type Files = { exists(path: string): boolean; read?(path: string): string | undefined };

/** `files`: the project's files, to pin uv or Poetry in the fix as init would. */
export function gateProgramsCheck(path: string, goals: readonly Goalish[], setup: string | undefined, imageHas: Set<string>, files?: Files): DoctorCheck {
  const known = new Set<string>(TOOLCHAIN_PROGRAMS);
  const lacking: string[] = [];
  const programs = new Set<string>();
  const commands = [...(setup ? [{ what: 'setup', cmd: setup }] : []), ...goals.filter((g) => g.type === 'hard' && g.cmd).map((g) => ({ what: `gate ${g.id}`, cmd: g.cmd! }))];
  for (const { what, cmd } of commands) {
    const missing = programsOf(cmd).filter((p) => known.has(p) && !imageHas.has(p));
    for (const p of missing) programs.add(p);
    if (missing.length) lacking.push(`${what} (\`${cmd.length > 60 ? `${cmd.slice(0, 57)}...` : cmd}\`) needs ${missing.join(', ')}`);
  }
  const title = '  gate toolchains';
  if (lacking.length === 0) return { id: `gate-programs:${path}`, title, status: 'ok', detail: 'every toolchain the gates and setup start is in the workspace image', required: false };
  const names = [...programs].join(', ');
  return {
    id: `gate-programs:${path}`,
    title,
    status: 'fail',
    detail: `the workspace image has no ${names}, and in a run the gates run there (peers verify ran them on this machine): ${lacking.join('; ')}. Such a gate fails on every tick with "${[...programs][0]}: not found" and the run cannot complete`,
    fix: `build the image on a Debian bookworm base that has ${names} in /usr/local/bin or /usr/bin: peers image build --force --base IMAGE; or change the gate in .peers/goals.yaml${pythonToolFix([...programs], files)}`,
    required: true,
  };
}
