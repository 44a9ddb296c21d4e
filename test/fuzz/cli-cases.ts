/**
 * Fuzz cases for the peers CLI, drawn from the command manifest the binary itself reports
 * (`peers commands --json --hidden`), so a new command or flag is fuzzed without touching this
 * file. A case is an argv, an environment, a working directory and at most one broken file.
 *
 * Commands marked `controls_runs` (they start or stop pods, servers or long runs) only ever get
 * input that must fail validation before any side effect: an unknown flag, a value outside a
 * flag's options, a project that does not exist, or one of the known-invalid values below.
 */
import { join } from 'node:path';
import { MUTATIONS, type Mutation } from './file-mutations.ts';
import type { Random } from './seeded-random.ts';
import type { World } from './fuzz-world.ts';

export type ManifestFlag = { name: string; char: string | null; type: 'boolean' | 'option'; options: string[] | null; multiple: boolean; required: boolean; hidden: boolean };
export type ManifestArg = { name: string; required: boolean; options: string[] | null };
export type ManifestCommand = { id: string; controls_runs: boolean; flags: ManifestFlag[]; args: ManifestArg[] };

export type FuzzCase = {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** A file made unusable before the run (restored after). */
  broken?: { path: string; mutation: Mutation };
  /** Input on stdin (most cases: none, EOF at once). */
  stdin?: string;
  /** A controls_runs command: this case must fail, with exit 2 and before any side effect. */
  mustFail: boolean;
};

const TEXT = [
  '', ' ', 'abc', '0', '-1', '1', '2', '3', '1.5', '-0', '1e309', 'NaN', 'Infinity', '99999999999999999999', '0x10', '٣', 'é', '--', '-', '--json',
  '%s%n', '$(id)', "'", '"', '\\', 'a=b', 'x:y', '127.0.0.1:0', 'unix:/nonexistent/sock', 'https://example.invalid', 'all', 'x'.repeat(20_000), '\u202e\u0007',
];

/** Paths: the world's projects, odd filesystem objects, system files, relative forms. */
function paths(w: World): string[] {
  return [
    w.repoA, w.repoB, w.stateB, join(w.repoA, '.peers'), join(w.repoA, 'README.md'), w.scenario, w.registry,
    ...Object.values(w.odd), '/', '/dev/null', '/dev/zero', '/nonexistent/x', '.', '..', 'nonexistent-relative', '~', join(w.root, 'a b\tc'),
  ];
}

function names(): string[] {
  return ['repo-a', 'repo-b', 'nosuch', 'REPO-A', 'repo-a/', '.', '-repo'];
}

function value(rnd: Random, w: World): string {
  const r = rnd.next();
  if (r < 0.45) return rnd.pick(TEXT);
  if (r < 0.85) return rnd.pick(paths(w));
  return rnd.pick(names());
}

/** Environment variables peers reads, each given something odd. */
function oddEnv(rnd: Random, w: World): Record<string, string | undefined> {
  const key = rnd.pick(['PEERS_STATE_DIR', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'HOME', 'TMPDIR', 'PEERS_PODMAN', 'CODEX_HOME', 'ANTHROPIC_API_KEY', 'PEERS_BUDGET_MAX_USD', 'PEERS_BUDGET_MAX_TOKENS', 'NO_COLOR', 'PEERS_TEST_USER', 'USER']);
  const v = rnd.chance(0.15) ? undefined : rnd.chance(0.5) ? rnd.pick(paths(w)) : rnd.pick(TEXT);
  return { [key]: v };
}

function flagArgv(f: ManifestFlag, v: () => string, rnd: Random): string[] {
  const name = f.char && rnd.chance(0.3) ? `-${f.char}` : `--${f.name}`;
  if (f.type === 'boolean') return rnd.chance(0.1) ? [`${name}=${v()}`] : [name];
  const val = f.options && rnd.chance(0.5) ? rnd.pick(f.options) : v();
  return rnd.chance(0.3) && name.startsWith('--') ? [`${name}=${val}`] : rnd.chance(0.05) ? [name] : [name, val];
}

/** A poison that oclif or the command refuses before doing anything. */
function poison(c: ManifestCommand, rnd: Random): string[] {
  const withOptions = c.flags.filter((f) => f.type === 'option' && f.options);
  const r = rnd.next();
  if (r < 0.5 || !withOptions.length) return [rnd.pick(['--no-such-flag', '--zzz=1', '-Z'])];
  const f = rnd.pick(withOptions);
  return [`--${f.name}`, `not-one-of-${f.options!.join('-')}`];
}

/**
 * Command-specific inputs that must fail validation before the command does anything (each is a
 * documented refusal). A case may add more of them, never anything that could make it valid.
 */
function knownInvalid(id: string, w: World, rnd: Random): { argv: string[]; stdin?: string } | undefined {
  const missing = join(w.root, 'no-such-project');
  const table: Record<string, () => { argv: string[]; stdin?: string }> = {
    up: () => rnd.pick([{ argv: [missing] }, { argv: [w.odd.file] }, { argv: [w.odd.plainDir] }, { argv: ['--max-usd', rnd.pick(['abc', '-1', '0', 'NaN', '1e309'])] }, { argv: ['--max-ticks', rnd.pick(['0', '-3', 'x'])] }]),
    down: () => rnd.pick([{ argv: [missing] }, { argv: [w.odd.file] }, { argv: ['nosuch-name'] }, { argv: ['--grace', rnd.pick(['-1', 'x'])] }]),
    loop: () => rnd.pick([{ argv: [missing] }, { argv: [w.odd.plainDir] }, { argv: [w.odd.devZeroLink] }, { argv: [w.repoA, '--max-usd', rnd.pick(['abc', '-1', '0'])] }, { argv: [w.repoA, '--max-ticks', '0'] }]),
    'model-server': () => ({ argv: ['--scenario', rnd.pick([w.scenario, missing, w.odd.fifo, w.odd.devZeroLink, w.odd.huge, w.odd.plainDir]), '--listen', rnd.pick(['nonsense', '1.2.3.4.5:1', '127.0.0.1:99999', ''])] }),
    runner: () => ({ argv: ['--probe-gates', '--repo', w.odd.plainDir], stdin: rnd.pick(['', 'not json', '{}', '[]', '{"head":1}', 'null', '{"goals":"x"}']) }),
    'sidecar:bridge': () => ({ argv: ['--to', rnd.pick(['nonsense', 'host:0', 'host:99999', '']), '--listen', rnd.pick(['127.0.0.1:0', 'unix:/x'])] }),
    'sidecar:egress': () => ({ argv: ['--listen', `unix:${join(w.root, 'egress.sock')}`, ...rnd.pick([['--allow-file', rnd.pick([missing, w.odd.fifo, w.odd.plainDir, w.odd.devZeroLink])], ['--config', rnd.pick([missing, w.odd.fifo, w.odd.huge, join(w.repoA, 'README.md')])], ['--allow', rnd.pick(['10.0.0.1', 'a b'])]])] }),
    'sidecar:auth': () => ({ argv: ['--max-usd', rnd.pick(['abc', '-1', 'NaN'])] }),
    demo: () => ({ argv: ['--host', '--pod'] }),
    'image:build': () => ({ argv: ['--ca-file', rnd.pick([missing, w.odd.fifo, w.odd.plainDir])] }),
  };
  return table[id]?.();
}

/** A plausible value for a required argument, so a state case reaches the reader, not the arg parser. */
function plausibleArg(a: ManifestArg, w: World, rnd: Random): string {
  if (a.options) return rnd.pick(a.options);
  if (a.name === 'tick') return rnd.pick(['1', '2']);
  if (a.name === 'id') return 'bug-hunt-clean';
  return rnd.pick([w.repoB, 'repo-b']);
}

/**
 * One broken file a user or a peer can write, then a command that is not controls_runs, run the
 * plain way (the project's own directory, no odd flags): every reader meets every kind of damage.
 */
function stateCase(commands: ManifestCommand[], w: World, rnd: Random): FuzzCase {
  const c = rnd.pick(commands.filter((x) => !x.controls_runs && x.id !== 'help'));
  const target = rnd.pick([...w.stateFiles, w.stateB, w.registry, `${w.registry}.lock`, ...w.controlFiles]);
  const argv = [...c.id.split(':'), ...c.args.filter((a) => a.required).map((a) => plausibleArg(a, w, rnd))];
  if (rnd.chance(0.3) && c.flags.some((f) => f.name === 'json')) argv.push('--json');
  const cwd = target.startsWith(w.repoA) ? w.repoA : w.repoB;
  return { argv, env: {}, cwd, broken: { path: target, mutation: rnd.pick(MUTATIONS) }, mustFail: false };
}

export function makeCase(commands: ManifestCommand[], w: World, rnd: Random): FuzzCase {
  if (rnd.chance(0.4)) return stateCase(commands, w, rnd);
  const c = rnd.pick(commands);
  const v = () => value(rnd, w);
  const words = c.id.split(':');
  const argv: string[] = [];
  // Positional arguments: sometimes too few, sometimes one too many.
  const nArgs = rnd.int(c.args.length + 2);
  for (let i = 0; i < nArgs; i++) argv.push(c.args[i]?.options && rnd.chance(0.5) ? rnd.pick(c.args[i]!.options!) : v());
  for (let n = rnd.int(4); n > 0; n--) {
    const f = rnd.chance(0.9) && c.flags.length ? rnd.pick(c.flags) : undefined;
    const at = rnd.int(argv.length + 1);
    argv.splice(at, 0, ...(f ? flagArgv(f, v, rnd) : [rnd.pick(['--bogus', '-q', '--', '--help', '-h'])]));
  }
  const env = rnd.chance(0.2) ? oddEnv(rnd, w) : {};
  const cwd = rnd.chance(0.8) ? rnd.pick([w.repoA, w.repoB, w.repoB]) : rnd.pick([w.odd.plainDir, w.root, '/']);
  let broken: FuzzCase['broken'];
  if (rnd.chance(0.35)) {
    const target = rnd.pick([...w.stateFiles, ...w.stateFiles, w.registry, w.registry, ...w.controlFiles, w.scenario, w.stateB]);
    broken = { path: target, mutation: rnd.pick(MUTATIONS) };
  }
  if (!c.controls_runs) return { argv: [...words, ...argv], env, cwd, broken, mustFail: false };
  // Validation only: a known-invalid input or a poison, plus what was drawn above.
  const invalid = rnd.chance(0.6) ? knownInvalid(c.id, w, rnd) : undefined;
  const bad = invalid?.argv ?? poison(c, rnd);
  // A drawn --help would print help and exit 0 before validation: fine, but not what we test here.
  const extra = argv.filter((a) => !['--help', '-h', '--'].includes(a));
  return { argv: [...words, ...(invalid ? bad : [...extra, ...bad])], env, cwd, broken, stdin: invalid?.stdin, mustFail: true };
}
