/**
 * The context written before tick 1 (no model call): recon.md, CODEMAP.yaml and codemap.md in the
 * run's state dir. Each part can be switched off (`--no-recon`, `--no-codemap`), and a failure is
 * a warning: a run must not die because a README was unreadable.
 */
import { runCodemap, type CodemapResult } from '../codemap/codemap.ts';
import { runRecon } from './recon.ts';

export type RunContextResult = { recon?: { path: string; bytes: number }; codemap?: CodemapResult; warnings: string[] };

export function prepareRunContext(repoDir: string, stateDir: string, opts: { recon?: boolean; codemap?: boolean } = {}): RunContextResult {
  const out: RunContextResult = { warnings: [] };
  if (opts.recon !== false) {
    try {
      out.recon = runRecon(repoDir, stateDir);
    } catch (error) {
      out.warnings.push(`recon skipped: ${(error as Error).message}`);
    }
  }
  if (opts.codemap !== false) {
    try {
      out.codemap = runCodemap(repoDir, stateDir);
    } catch (error) {
      out.warnings.push(`codemap skipped: ${(error as Error).message}`);
    }
  }
  return out;
}
