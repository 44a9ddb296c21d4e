import { describeProject, formatProjectView } from '../src/config/describe-project.ts';
import { readUserGitIdentity, userIdentityEnv } from '../src/config/git-identity.ts';
import { loadProject } from '../src/config/load.ts';
import { homeDir } from '../src/state/env-dirs.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';
import type { PeersConfig } from '../src/config/config-schema.ts';
import { detectBilling } from '../src/config/usd-cap-mode.ts';
import { readPolicyIfPresent, resolveBudgetPolicy } from '../src/budget/budget-policy.ts';
import { stateDirFor } from '../src/state/paths.ts';
import { missingApiKeys } from '../sandbox/credential-check.ts';

/**
 * The budget decision `info` shows is the one the pod enforces: the policy of the last `peers up`
 * when there is one, else what `peers up` would resolve (with API keys when they are set, with the
 * CLI logins when only those exist).
 */
function budgetView(repo: string, config: PeersConfig, env: NodeJS.ProcessEnv, home: string) {
  const upPolicy = readPolicyIfPresent(stateDirFor(repo, env));
  const logins = config.peers.some((p) => detectBilling(p.tool, {}, home) === 'oauth');
  const credentials = upPolicy?.credentials ?? (missingApiKeys(config, env).length && logins ? 'oauth-file' : 'api-key');
  const p = upPolicy ?? resolveBudgetPolicy({ config, credentials, env });
  const source = upPolicy ? `decided by peers up at ${upPolicy.resolved_at}` : `as peers up would decide it (${credentials === 'api-key' ? 'API keys' : '--credentials oauth-file'})`;
  return { mode: p.max_usd_mode, reason: p.reason, max_usd: p.max_usd, max_tokens: p.max_tokens, source };
}

export default class Info extends BaseCommand {
  static override summary = 'Show the resolved configuration: peers, goals and budget.';
  static override description =
    'Show the resolved configuration: each peer with the exact command it will run, the goals, the budget, and whether max_usd is enforced (and why) — as `peers up` decided it for the current run, or would decide it.';
  static override args = { project: projectArg() };
  static override examples = ['<%= config.bin %> info', '<%= config.bin %> info --json', '<%= config.bin %> info -C ~/src/my-project'];
  static override flags = { ...projectDirFlag() };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Info);
    const repo = projectFrom(args.project, flags.dir, this.io);
    const project = loadProject(repo);
    // The identity `peers up` would hand to the peers: read the same way, from this repository.
    const env = { ...this.io.env, ...userIdentityEnv(readUserGitIdentity(repo)) };
    const home = homeDir(this.io.env);
    const view = describeProject({ repo, ...project, env, homeDir: home, budget: budgetView(repo, project.config, this.io.env, home) });
    if (!this.jsonEnabled()) for (const line of formatProjectView(view)) this.log(line);
    return view;
  }
}
