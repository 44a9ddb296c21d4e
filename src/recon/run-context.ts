/**
 * The context written before tick 1 (no model call): recon.md, CODEMAP.yaml and codemap.md in the
 * run's state dir. Each part can be switched off (`--no-recon`, `--no-codemap`), and a failure is
 * a warning: a run must not die because a README was unreadable.
 */
import { runCodemap, type CodemapResult } from '../codemap/codemap.ts';
import { runRecon } from './recon.ts';

export type RunContextResult = { recon?: { path: string; bytes: number }; codemap?: CodemapResult; warnings: string[] };

/**
 * `files`: the project's files when the caller knows them (the loop lists HEAD's tree from its
 * trusted mirror: no git runs in a repository a peer can write); else recon asks git or walks.
 */
export function prepareRunContext(repoDir: string, stateDir: string, opts: { recon?: boolean; codemap?: boolean; files?: string[] } = {}): RunContextResult {
  const out: RunContextResult = { warnings: [] };
  if (opts.recon !== false) {
    try {
      out.recon = runRecon(repoDir, stateDir, opts.files);
    } catch (error) {
      out.warnings.push(`recon skipped: ${(error as Error).message}`);
    }
  }
  if (opts.codemap !== false) {
    try {
      out.codemap = runCodemap(repoDir, stateDir, opts.files);
    } catch (error) {
      out.warnings.push(`codemap skipped: ${(error as Error).message}`);
    }
  }
  return out;
}
