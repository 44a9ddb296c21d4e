/**
 * The mode half of `peers init` (init-project.ts calls these three steps in order):
 *   prepare  decide everything, refuse bad input — nothing written yet (mode-install.ts);
 *   write    put SPEC.md/PLAN.md/seeds into the repository, pin the acceptance files, render
 *            goals.yaml and config.yaml (checked by their schemas: a render bug never ships);
 *   finish   after init's commit: the first entry of .peers/contracts.log.
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigSchema } from '../config/config-schema.ts';
import type { ProjectProposal } from '../config/detect-project.ts';
import { GoalsSchema } from '../config/goals-schema.ts';
import { renderConfig } from '../config/render-init.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { gitOk } from '../git/git.ts';
import { appendContractsLog, CONTRACTS_LOG, contractFromGoals, pinsArgs, type Contract, type Pin } from './contract.ts';
import { e2eGoal, prepareModeInstall, type ModeInstall } from './mode-install.ts';
import { renderModeConfig, renderModeGoals } from './render-mode-files.ts';

export type InstalledModes = { modes: string[]; lang?: string; committed: string[]; frozen: Pin[]; omitted: string[] };
export type WrittenModes = { goals: string; config: string; commitPaths: string[]; installed: InstalledModes; contract?: Contract };

function write(repo: string, install: ModeInstall, proposal: ProjectProposal, configTemplate: string): WrittenModes {
  for (const [rel, text] of install.repoFiles) writeFileAtomic(join(repo, rel), text, 0o644);
  const pins: Pin[] = install.frozen.map((path) => ({ path, blob: gitOk(repo, ['hash-object', '--', path]).trim() }));
  const plan = install.plan;
  const goals = renderModeGoals({
    modes: install.modes,
    proposal,
    vars: { lang: install.lang ?? '', acceptance: plan?.meta.acceptance ?? '', pins: pinsArgs(pins), acked: '' },
    omit: install.omit,
    insertAfter: plan?.meta.e2e ? { 'acceptance-pass': e2eGoal(plan.meta.e2e) } : undefined,
  });
  const config = renderModeConfig(renderConfig(configTemplate, proposal), install.modes, { convergence_n: plan?.meta.convergence_n });
  const goalsFile = GoalsSchema.parse(parse(goals));
  ConfigSchema.parse(parse(config));
  const committed = [...install.repoFiles.keys()];
  return {
    goals,
    config,
    commitPaths: [...new Set([...committed, ...install.frozen])],
    installed: { modes: install.modes.map((m) => m.name), ...(install.lang ? { lang: install.lang } : {}), committed, frozen: pins, omitted: [...install.omit] },
    contract: contractFromGoals(goalsFile),
  };
}

function finish(repo: string, written: WrittenModes): void {
  if (!written.contract) return;
  appendContractsLog(join(repo, '.peers', CONTRACTS_LOG), `init acceptance: ${written.contract.acceptance}`, written.contract);
}

export const installModeFiles = { prepare: prepareModeInstall, write, finish };
