/**
 * The command line of a benchmark: `--name value` options, repeatable ones, and `--no-write` (every
 * benchmark rewrites its BENCHMARKS.md section unless told not to). One reader for all of them.
 */
export type BenchArgs = {
  /** The value after `--name`, or undefined when absent or last. */
  flag(name: string): string | undefined;
  /** Every value given after a repeated `--name`. */
  all(name: string): string[];
  /** Whether `--name` (a switch) is present. */
  has(name: string): boolean;
  /** False with `--no-write`: print the section, leave BENCHMARKS.md alone. */
  write: boolean;
};

export function benchArgs(argv: string[] = process.argv.slice(2)): BenchArgs {
  const at = (name: string) => argv.indexOf(name);
  return {
    flag: (name) => (at(name) >= 0 ? argv[at(name) + 1] : undefined),
    all: (name) => argv.flatMap((a, i) => (a === name && argv[i + 1] !== undefined ? [argv[i + 1]!] : [])),
    has: (name) => argv.includes(name),
    write: !argv.includes('--no-write'),
  };
}
