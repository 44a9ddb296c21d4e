/**
 * The layers of docs/ARCHITECTURE.md ("Layers") hold in the code: the import graph of `src/`, `apps/`
 * and `sandbox/`, folded to the folders that list names, has no cycle, and no folder imports one
 * listed above it. The graph is read from the sources (every relative import and export specifier,
 * static or dynamic, type-only included), so it is the graph the bundler and the reader see.
 * The command tree (commands/) sits at the top beside the entry point: nothing of src/, apps/ or
 * sandbox/ but the entry point (src/main.ts) imports it.
 * The engine's core (the files of src/loop itself) does no I/O: no file, process, socket or clock
 * module or global, and nothing from the shell folders.
 */
import { describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '../..');
const CHECKED_ROOTS = ['src', 'apps', 'sandbox'];
/** Every part of the code, for the folder-cycle check: the layered ones and the command tree, proxies and mode checks. */
const ALL_ROOTS = [...CHECKED_ROOTS, 'commands', 'proxy', 'auth-proxy', 'modes'];

/** The folders of the Layers list, top first (the first word of each line of its `layers` block). */
function layersFromArchitecture(markdown: string): string[] {
  const block = /^```layers\n([\s\S]*?)^```/m.exec(markdown);
  if (!block) throw new Error('docs/ARCHITECTURE.md has no ```layers block');
  return (block[1] ?? '').split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((w) => w !== '');
}

/** The listed folder a file belongs to: the longest listed path that is the file or one of its parents. */
function layerOf(file: string, layers: string[]): string | undefined {
  let best: string | undefined;
  for (const l of layers) if ((file === l || file.startsWith(`${l}/`)) && (best === undefined || l.length > best.length)) best = l;
  return best;
}

const SPECIFIER = /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Every import specifier of a TypeScript source, packages and built-ins included (imports inside comments and strings too: a false edge fails loudly, a missed one would not). */
function allSpecifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter((s) => s !== '');
}

/** Relative import specifiers of a TypeScript source. */
function importSpecifiers(source: string): string[] {
  return allSpecifiers(source).filter((s) => s.startsWith('.'));
}

type Edge = { from: string; to: string; fromFile: string; toFile: string };

/** Edges between the folders `folderOf` gives (undefined: the file is in none); `files` are repository-relative. */
function folderEdges(files: Map<string, string>, folderOf: (file: string) => string | undefined): { edges: Edge[]; unplaced: string[] } {
  const edges: Edge[] = [];
  const unplaced: string[] = [];
  for (const [file, source] of files) {
    const from = folderOf(file);
    if (!from) {
      unplaced.push(file);
      continue;
    }
    for (const spec of importSpecifiers(source)) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
      // Only files of the checked roots: a specifier inside a string that names no file here (the
      // demo's sample project) is not an import of ours.
      if (!files.has(target)) continue;
      const to = folderOf(target);
      if (to && to !== from) edges.push({ from, to, fromFile: file, toFile: target });
    }
  }
  return { edges, unplaced };
}

/** Strongly connected components of more than one folder (Tarjan), each sorted. */
function folderCycles(edges: Edge[]): string[][] {
  const out = new Map<string, Set<string>>();
  for (const e of edges) out.set(e.from, (out.get(e.from) ?? new Set()).add(e.to));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (;;) {
      const w = stack.pop() as string;
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1) cycles.push(scc.sort());
  };
  for (const v of [...out.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Imports from a folder into one listed above it (a lower index is higher up). */
function upwardImports(edges: Edge[], layers: string[]): string[] {
  return edges.filter((e) => layers.indexOf(e.to) < layers.indexOf(e.from)).map((e) => `${e.fromFile} imports ${e.toFile} (${e.from} is below ${e.to})`);
}

function checkedSources(roots: string[] = CHECKED_ROOTS): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...roots], { cwd: ROOT, encoding: 'utf8' });
  const files = new Map<string, string>();
  for (const f of listed.split('\0')) if (/\.(ts|tsx|mts)$/.test(f) && !f.endsWith('.d.ts') && existsSync(join(ROOT, f))) files.set(f, readFileSync(join(ROOT, f), 'utf8'));
  return files;
}

/** The entry point: it hands argv to a command or a pod role, so it alone may import the command tree. */
const ENTRY = 'src/main.ts';
const COMMAND_TREE = 'commands';

/** Imports of the command tree from the checked files other than the entry point. */
function commandTreeImports(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    if (file === ENTRY) continue;
    for (const spec of importSpecifiers(source)) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
      if (target === COMMAND_TREE || target.startsWith(`${COMMAND_TREE}/`)) found.push(`${file} imports ${target}`);
    }
  }
  return found;
}

describe('the layers of docs/ARCHITECTURE.md', () => {
  const layers = layersFromArchitecture(readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8'));
  const files = checkedSources();
  const { edges, unplaced } = folderEdges(files, (f) => layerOf(f, layers));

  test('every folder of src/, apps/ and sandbox/ has its line in the list, and every line names a folder that exists', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(unplaced).toEqual([]);
    expect(layers.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
    expect(new Set(layers).size).toBe(layers.length);
  });

  test('no two folders of the code (every directory of every part, the pod roles and checks too) import each other, directly or through others', () => {
    // Every directory is a folder of its own here: a file's folder is its directory. A folder and
    // its own sub-folders are one part (commands/ lists commands/k8s/, whose commands extend its base).
    const nested = (a: string, b: string) => a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    const byDirectory = folderEdges(checkedSources(ALL_ROOTS), dirname).edges.filter((e) => !nested(e.from, e.to));
    const cycles = folderCycles(byDirectory).map((scc) => {
      const inside = byDirectory.filter((e) => scc.includes(e.from) && scc.includes(e.to));
      return `${scc.join(' <-> ')}: ${inside.map((e) => `${e.fromFile} -> ${e.toFile}`).join(', ')}`;
    });
    expect(cycles).toEqual([]);
  });

  test('no folder imports a folder listed above it', () => {
    expect(upwardImports(edges, layers)).toEqual([]);
  });

  test('nothing in src/, apps/ or sandbox/ but the entry point (src/main.ts) imports the command tree (commands/)', () => {
    expect(files.has(ENTRY)).toBe(true);
    expect(commandTreeImports(files)).toEqual([]);
  });
});

/** The engine's core: the files of src/loop itself (its sub-folders are layers of their own). */
const CORE = 'src/loop';
/** Where processes, files, git and the pod are handled: the core imports none of them. */
const SHELL_FOLDERS = ['src/loop/shell', 'sandbox', 'apps', 'commands'];
/** Modules that reach files, processes, sockets or the host: Node's and Bun's. */
const IO_MODULE = /^(?:node:)?(?:fs|fs\/promises|child_process|net|dgram|http|https|http2|os|worker_threads|cluster|readline|tty)$|^bun$/;
/** I/O and the clock through globals: Bun's spawn and file APIs, process.*, reading the clock. */
const IO_GLOBAL = /\bBun\.(?:(?:spawn|spawnSync|file|write|connect|listen|serve)\b|\$)|\bprocess\.|\bDate\.now\(|\bperformance\.now\(|new Date\(\)/g;
/** A clock injected as a parameter with the current time as its default is still injected. */
const INJECTED_CLOCK = /\bnow\s*=\s*new Date\(\)/g;

/** What makes a core file impure: an I/O module, an import from a shell folder, or I/O and the clock through globals. */
function coreViolations(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    if (dirname(file) !== CORE) continue;
    for (const spec of allSpecifiers(source)) {
      if (IO_MODULE.test(spec)) found.push(`${file} imports ${spec}`);
      if (!spec.startsWith('.')) continue;
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
      const shell = SHELL_FOLDERS.find((f) => target === f || target.startsWith(`${f}/`));
      if (shell) found.push(`${file} imports ${target} (shell: ${shell})`);
    }
    for (const m of source.replace(INJECTED_CLOCK, '').matchAll(IO_GLOBAL)) found.push(`${file} uses ${m[0]}`);
  }
  return found;
}

describe('the engine core (src/loop) does no I/O', () => {
  test('no file of src/loop imports fs, child_process, sockets or bun, calls Bun.spawn or process.*, reads the clock, or imports the shell', () => {
    const files = checkedSources();
    expect([...files.keys()].filter((f) => dirname(f) === CORE).length).toBeGreaterThan(15);
    expect(coreViolations(files)).toEqual([]);
  });

  test('the check finds each kind of I/O in a core file, and accepts an injected clock', () => {
    const at = (name: string) => `${CORE}/${name}`;
    const found = coreViolations(
      new Map([
        [at('a.ts'), "import { readFileSync } from 'node:fs';\nimport { spawn } from 'child_process';\nimport { $ } from 'bun';"],
        [at('b.ts'), "import { runLoop } from './shell/loop-runner.ts';\nconst p = await import('../../sandbox/pod.ts');"],
        [at('c.ts'), 'const p = Bun.spawn(["git"]);\nconst o = await Bun.$`git status`;\nconst e = process.env.HOME;\nconst t = Date.now();\nconst d = new Date();'],
        [at('clean.ts'), "import type { LoopState } from '../state/state-schema.ts';\nexport function f(s: LoopState, now = new Date()) { return Date.parse(s.started_at) < now.getTime(); }"],
        ['src/loop/shell/runner.ts', "import { readFileSync } from 'node:fs';"],
      ]),
    );
    expect(found).toEqual([
      'src/loop/a.ts imports node:fs',
      'src/loop/a.ts imports child_process',
      'src/loop/a.ts imports bun',
      'src/loop/b.ts imports src/loop/shell/loop-runner.ts (shell: src/loop/shell)',
      'src/loop/b.ts imports sandbox/pod.ts (shell: sandbox)',
      'src/loop/c.ts uses Bun.spawn',
      'src/loop/c.ts uses Bun.$',
      'src/loop/c.ts uses process.',
      'src/loop/c.ts uses Date.now(',
      'src/loop/c.ts uses new Date()',
    ]);
  });
});

describe('the graph reader', () => {
  const layers = ['top', 'mid', 'low', 'low/deep'];
  const graph = (sources: Record<string, string>) => folderEdges(new Map(Object.entries(sources)), (f) => layerOf(f, layers));

  test('reads static, re-exported, type-only, side-effect and dynamic imports; skips packages and names of no file', () => {
    const { edges } = graph({
      'top/a.ts': [
        "import { x } from '../mid/b.ts';",
        "import type { T } from '../low/c.ts';",
        "export { y } from '../low/deep/d.ts';",
        "import '../mid/b.ts';",
        "const m = await import('../low/c.ts');",
        "import { z } from 'zod';",
        "const text = `import { chunk } from '../src/chunk.mjs';`;",
      ].join('\n'),
      'mid/b.ts': '',
      'low/c.ts': '',
      'low/deep/d.ts': '',
    });
    expect(edges.map((e) => `${e.from}->${e.to}`)).toEqual(['top->mid', 'top->low', 'top->low/deep', 'top->mid', 'top->low']);
  });

  test('finds a cycle through a third folder, and an import from a lower folder into a higher one', () => {
    const { edges } = graph({ 'top/a.ts': "import '../mid/b.ts';", 'mid/b.ts': "import '../low/c.ts';", 'low/c.ts': "import { a } from '../top/a.ts';" });
    expect(folderCycles(edges)).toEqual([['low', 'mid', 'top']]);
    expect(upwardImports(edges, layers)).toEqual(['low/c.ts imports top/a.ts (low is below top)']);
  });

  test('finds a static, type-only or dynamic import of the command tree from anywhere but the entry point', () => {
    const found = commandTreeImports(
      new Map([
        ['src/cli/roles.ts', "const m = await import('../../commands/runner-role.ts');"],
        ['sandbox/x.ts', "import type { UpFlags } from '../commands/run-flags.ts';"],
        ['apps/y.ts', "import { COMMAND_LOADERS } from '../commands/index.ts';\nimport { z } from '../src/commands-like.ts';"],
        [ENTRY, "import { podRole } from '../commands/pod-roles.ts';"],
      ]),
    );
    expect(found).toEqual(['src/cli/roles.ts imports commands/runner-role.ts', 'sandbox/x.ts imports commands/run-flags.ts', 'apps/y.ts imports commands/index.ts']);
  });

  test('a file in no listed folder is reported, not skipped', () => {
    expect(graph({ 'elsewhere/x.ts': "import '../top/a.ts';", 'top/a.ts': '' }).unplaced).toEqual(['elsewhere/x.ts']);
  });
});
