/**
 * The help texts of the compiled binary (help-fast-path.ts). From the sources there are none: every
 * help goes to oclif. build.ts replaces this module with the texts oclif rendered at build time
 * (render-help.ts), as it replaces command-manifest.ts with the manifest.
 */
import type { PrerenderedHelp } from './help-fast-path.ts';

export function prerenderedHelp(): PrerenderedHelp {
  return { texts: [], byArgv: {} };
}
