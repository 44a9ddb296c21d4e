/**
 * `peers info`: its flags (plain data, src/cli/role-flags.ts) and what it does with them. info.ts is
 * its oclif command (help, the project argument, every error); src/main.ts runs a plain command line
 * without loading oclif (plain-commands.ts).
 */
import { describeProject, formatProjectView } from '../src/config/describe-project.ts';
import { readUserGitIdentity, userIdentityEnv } from '../src/config/git-identity.ts';
import { loadProject } from '../src/config/load.ts';
import { homeDir } from '../src/state/env-dirs.ts';
import type { PeersConfig } from '../src/config/config-schema.ts';
import { detectBilling } from '../src/config/usd-cap-mode.ts';
import { resolveBudgetPolicy } from '../src/budget/budget-policy.ts';
import { readPolicyIfPresent } from '../src/budget/budget-policy-file.ts';
import { stateDirFor, statePaths } from '../src/state/paths.ts';
import { probeRunLock } from '../src/state/run-lock.ts';
import { missingApiKeys } from '../sandbox/credential-check.ts';
import type { CommandOutput } from '../src/cli/json-output/command-output.ts';
import type { FlagSpecs, FlagValues } from '../src/cli/role-flags.ts';
import { PROJECT_DIR_FLAGS, projectFrom } from './project-flags.ts';

export const INFO_FLAGS = { ...PROJECT_DIR_FLAGS } as const satisfies FlagSpecs;

/**
 * The budget decision `info` shows is the one the pod enforces: the policy of the last `peers up`
 * when there is one, else what `peers up` would resolve (with API keys when they are set, with the
 * CLI logins when only those exist). A rehearsal's policy (the scripted model server's) counts only
 * while its loop runs (it holds the run lock): a real run never continues a rehearsal, so once it
 * is over the user's next `peers up` decides anew, and that is what info shows.
 */
function budgetView(repo: string, config: PeersConfig, env: NodeJS.ProcessEnv, home: string) {
  const stateDir = stateDirFor(repo, env);
  const last = readPolicyIfPresent(stateDir);
  const upPolicy = last?.credentials === 'model-server' && !probeRunLock(statePaths(stateDir).lock).held ? undefined : last;
  const logins = config.peers.some((p) => detectBilling(p.tool, {}, home) === 'oauth');
  const credentials = upPolicy?.credentials ?? (missingApiKeys(config, env).length && logins ? 'oauth-file' : 'api-key');
  const p = upPolicy ?? resolveBudgetPolicy({ config, credentials, env });
  const source = upPolicy ? `decided by peers up at ${upPolicy.resolved_at}` : `as peers up would decide it (${credentials === 'api-key' ? 'API keys' : '--credentials oauth-file'})`;
  return { mode: p.max_usd_mode, reason: p.reason, max_usd: p.max_usd, max_tokens: p.max_tokens, source };
}

export async function runInfo(project: string | undefined, flags: FlagValues<typeof INFO_FLAGS>, out: CommandOutput): Promise<unknown> {
  const { io } = out;
  const repo = projectFrom(project, flags.dir, io);
  const loaded = loadProject(repo);
  // The identity `peers up` would hand to the peers: read the same way, from this repository.
  const env = { ...io.env, ...userIdentityEnv(readUserGitIdentity(repo)) };
  const home = homeDir(io.env);
  const view = describeProject({ repo, ...loaded, env, homeDir: home, budget: budgetView(repo, loaded.config, io.env, home) });
  for (const line of formatProjectView(view)) out.log(line);
  return view;
}
