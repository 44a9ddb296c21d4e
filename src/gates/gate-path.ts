/**
 * The PATH a gate and `setup` run with: a `peers` shim of their own first (`peers check <id>`
 * gates run this very binary), then the user's PATH without its relative entries. Gates run in a checkout
 * of the peers' commit, so a relative entry (`./bin`, the Rails binstub idiom; `node_modules/.bin`;
 * an empty entry, which means the current directory) made a file the peers committed the program a
 * gate runs: a `bin/node` printing a green summary passed the suite and nobody had to approve it
 * (SECURITY.md, "Gates judge committed content only"). A project's own tools are the gate's
 * surface and are reached by path (`./gradlew`, `npx`, `PATH="$PWD/…:$PATH"` in the command).
 */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** `userPath`'s absolute entries, in order (its default when it has none). Pure. */
export function absolutePathEntries(userPath: string | undefined): string[] {
  const kept = (userPath ?? DEFAULT_PATH).split(':').filter((e) => e.startsWith('/'));
  return kept.length ? kept : DEFAULT_PATH.split(':');
}

/**
 * The PATH of one gate run or setup: its own `peers` shim's directory first (gate-env.ts), then the
 * user's absolute entries without `leave` (the process's shared shim, which a gate could rewrite). Pure.
 */
export function gatePath(shimDir: string, userPath: string | undefined, leave?: string): string {
  return [shimDir, ...absolutePathEntries(userPath).filter((e) => e !== leave)].join(':');
}
