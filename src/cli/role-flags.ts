/**
 * Flags as plain data, for the commands the pod runs for hours (`peers sidecar egress|bridge|auth`,
 * `peers runner`) and the commands people run most (`status`, `ls`, `info`: commands/plain-commands.ts). Loading oclif costs every process that does it about 12 MiB of memory for good
 * (BENCHMARKS.md, Memory), which a sidecar does not need to read a few flags: src/main.ts starts
 * these roles with `parseRoleArgv` below, and their oclif commands build their flags from the same
 * specs (oclif-flags.ts), so help, the manifest and every error message stay oclif's.
 *
 * `parseRoleArgv` accepts only command lines whose meaning is beyond doubt (`--name value`,
 * `--name=value`, `--flag`, `--no-flag`, valid values, required flags present) and answers null for
 * anything else: `--help`, an unknown or repeated flag, a bad value, a positional argument. Then
 * main.ts hands the same argv to oclif, which prints its usual message and exit code. So this
 * parser never produces an error of its own, and what it accepts it reads as oclif would
 * (test/unit/cli/role-flags.test.ts holds it to that).
 */

/** `char`: the flag's one-letter form (`-C`), for oclif; parseRoleArgv leaves such tokens to oclif. */
type Described = { description: string; hidden?: boolean; helpValue?: string; char?: string };

export type StringFlagSpec = Described & {
  kind: 'string';
  default?: string;
  options?: readonly string[];
  required?: boolean;
  /** Read from this environment variable when the flag is absent. */
  env?: string;
  /** Exactly one flag of this group must be given. */
  exactlyOne?: readonly string[];
};
/** A string flag that may be repeated (oclif `multiple: true`); absent means `default`. */
export type StringListFlagSpec = Described & { kind: 'strings'; default: readonly string[]; options?: readonly string[] };
export type IntegerFlagSpec = Described & { kind: 'integer'; default?: number; min?: number; max?: number };
export type BooleanFlagSpec = Described & { kind: 'boolean'; default?: boolean; allowNo?: boolean; exactlyOne?: readonly string[] };
export type FlagSpec = StringFlagSpec | StringListFlagSpec | IntegerFlagSpec | BooleanFlagSpec;
export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<F> = F extends { kind: 'strings' }
  ? string[]
  : F extends { kind: 'string' }
    ? F extends { default: string } | { required: true }
      ? string
      : string | undefined
    : F extends { kind: 'integer' }
      ? F extends { default: number }
        ? number
        : number | undefined
      : F extends { default: boolean }
        ? boolean
        : boolean | undefined;

/** The parsed values of a spec, typed as oclif would type them. */
export type FlagValues<S extends FlagSpecs> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** `--name value` pairs and `--flag`s of `spec` in `argv`; null when oclif has to decide (see above). */
export function parseRoleArgv<S extends FlagSpecs>(argv: readonly string[], spec: S, env: NodeJS.ProcessEnv = process.env): FlagValues<S> | null {
  const given = new Map<string, string | boolean | string[]>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('--') || token === '--') return null;
    const eq = token.indexOf('=');
    const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    const flag = Object.hasOwn(spec, name) ? spec[name]! : undefined;
    if (flag === undefined || flag.kind === 'boolean') {
      // `--flag` or `--no-flag`; booleans take no `=value`.
      const negated = flag === undefined && name.startsWith('no-') ? name.slice(3) : undefined;
      const bool = flag ?? (negated !== undefined && Object.hasOwn(spec, negated) ? spec[negated] : undefined);
      if (eq >= 0 || bool?.kind !== 'boolean' || (negated !== undefined && !bool.allowNo)) return null;
      const key = negated ?? name;
      if (given.has(key)) return null;
      given.set(key, negated === undefined);
      continue;
    }
    let value: string;
    if (eq >= 0) value = token.slice(eq + 1);
    else {
      const next = argv[++i];
      if (next === undefined) return null;
      value = next;
    }
    // A value that looks like a flag, or none at all, is oclif's to judge.
    if (value === '' || value.startsWith('-')) return null;
    if (flag.kind === 'string' || flag.kind === 'strings') {
      if (flag.options && !flag.options.includes(value)) return null;
    } else if (!/^\d{1,15}$/.test(value) || (flag.min !== undefined && Number(value) < flag.min) || (flag.max !== undefined && Number(value) > flag.max)) return null;
    if (flag.kind === 'strings') {
      const list = (given.get(name) as string[] | undefined) ?? [];
      list.push(value);
      given.set(name, list);
    } else {
      if (given.has(name)) return null;
      given.set(name, value);
    }
  }

  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec)) {
    const raw = given.get(name);
    switch (flag.kind) {
      case 'strings':
        values[name] = raw ?? [...flag.default];
        break;
      case 'string': {
        const fromEnv = flag.env ? env[flag.env] : undefined;
        const value = (raw as string | undefined) ?? (fromEnv ? fromEnv : undefined) ?? flag.default;
        if (raw === undefined && fromEnv && flag.options && !flag.options.includes(fromEnv)) return null;
        if (value === undefined && flag.required) return null;
        values[name] = value;
        break;
      }
      case 'integer':
        values[name] = raw === undefined ? flag.default : Number(raw);
        break;
      case 'boolean':
        values[name] = raw ?? flag.default;
        break;
    }
  }
  for (const flag of Object.values(spec)) {
    if ('exactlyOne' in flag && flag.exactlyOne && flag.exactlyOne.filter((n) => values[n] !== undefined).length !== 1) return null;
  }
  return values as FlagValues<S>;
}
