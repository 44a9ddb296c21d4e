/**
 * What execvp would find for argv[0], decided before a child starts. Supervised children are
 * started through a guard shell (parent-death-guard.ts) whose `exec` would turn a missing program
 * into an ordinary exit 127; looking it up first keeps the distinct `spawn-error` that tells a user
 * "this CLI is not installed" apart from "this CLI failed".
 */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';

export type Lookup = { ok: true; path: string } | { ok: false; code: 'ENOENT' | 'EACCES'; message: string };

function executable(path: string): 'yes' | 'not-executable' | 'missing' {
  // Most PATH entries lack the program: a missing one is answered without an exception (making one
  // costs more than the stat; a supervised start looks through PATH every time).
  let st;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch {
    return 'missing';
  }
  if (st === undefined) return 'missing';
  if (!st.isFile()) return 'not-executable';
  try {
    accessSync(path, constants.X_OK);
    return 'yes';
  } catch {
    return 'not-executable';
  }
}

/** execvp's search: a name with a slash is a path (from `cwd`); otherwise each PATH entry in turn. */
export function lookupProgram(program: string, cwd: string, pathVar: string | undefined): Lookup {
  const fail = (code: 'ENOENT' | 'EACCES'): Lookup => ({ ok: false, code, message: `spawn ${program} ${code}` });
  if (program === '') return fail('ENOENT');
  if (program.includes('/')) {
    const path = resolve(cwd, program);
    const found = executable(path);
    return found === 'yes' ? { ok: true, path } : fail(found === 'missing' ? 'ENOENT' : 'EACCES');
  }
  let sawNotExecutable = false;
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const path = resolve(cwd, dir || '.', program);
    const found = executable(path);
    if (found === 'yes') return { ok: true, path };
    if (found === 'not-executable') sawNotExecutable = true;
  }
  return fail(sawNotExecutable ? 'EACCES' : 'ENOENT');
}
