/** The ecosystems `peers init` looks for in one directory, in the order their gates are proposed (detect-project.ts). */
import type { Found, ProjectFiles } from './detected-ecosystem.ts';
import { detectNode } from './detect-node.ts';
import { detectPython } from './detect-python.ts';
import { detectGo, detectMake, detectRust } from './detect-rust-go-make.ts';

/** The ecosystems found at the top of `files` (make only when none of the others is there). */
export function detectTop(files: ProjectFiles): Found[] {
  const known = [detectNode(files), detectPython(files), detectRust(files), detectGo(files)].filter((f): f is Found => f !== undefined);
  const make = known.length ? undefined : detectMake(files);
  return make ? [make] : known;
}
