/**
 * One rule in one place: every git process peers starts on the host or in the loop is started by
 * src/git/git.ts, which chooses its flags (SAFE_GIT_FLAGS, HERMETIC_GIT_FLAGS) and its environment
 * (hermeticGitEnv, withoutGitVars, withoutRedirectingGitVars). A call site that spawned git itself
 * would read a repository a peer wrote with the repository's own configuration (SECURITY.md, "Host
 * commands honour no repository configuration"). This scans the sources for git started any other
 * way; the few exceptions are listed with why each is not git on the peers' data.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { HERMETIC_GIT_FLAGS, SAFE_GIT_FLAGS, withoutGitVars, withoutRedirectingGitVars, WORKSPACE_GIT_FLAGS } from '../../../src/git/git.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const DIRS = ['src', 'commands', 'sandbox', 'apps', 'modes', 'auth-proxy', 'proxy'];

/** Files allowed to start git themselves, and why that is not git on data a peer wrote. */
const ALLOWED: Record<string, string> = {
  'src/git/git-spawn-sync.ts': "the adapter's process runner: it runs only the argv and environment git.ts built (GitSpawnPlan)",
  'src/config/git-identity.ts': "`git config --get-regexp ^user.` in the user's repository before any peer runs (a config read runs no program)",
  'apps/doctor/prefetch-probe.ts': '`git --version`, in no repository',
  'apps/doctor/doctor-checks.ts': "`git rev-parse HEAD` through the doctor's probe, in the user's registered checkout",
  'sandbox/k8s/fetch-back.ts': "git in the cluster's read-only reader container, on the run's mirror (peers' config), with no system or global config",
  'src/git/workspace-git.ts': "git in the workspace (the peers' own sandbox), through the runner, with WORKSPACE_GIT_FLAGS (checked below)",
};

/** git started other than through git.ts: spawn/exec with 'git' as the program, or an argv beginning with 'git'. */
const RAW_GIT = [/\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*['"`]git['"`\s]/, /\[\s*['"]git['"]\s*[,\]]/, /['"]git['"]\s*,\s*['"]-[cC]['"]/, /Bun\.spawn(?:Sync)?\(\s*\[\s*['"]git['"]/];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...sources(p));
    } else if (/\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('every git call goes through src/git/git.ts', () => {
  test('no source file starts git itself, but the listed exceptions', () => {
    const found: string[] = [];
    for (const d of DIRS) {
      const dir = join(ROOT, d);
      try {
        statSync(dir);
      } catch {
        continue;
      }
      for (const file of sources(dir)) {
        const rel = relative(ROOT, file);
        const lines = readFileSync(file, 'utf8').split('\n');
        lines.forEach((line, i) => {
          // Comments, and commands shown to the user (shellCommand quotes them for printing).
          if (/^\s*(\*|\/\/)/.test(line) || /shellCommand\(\s*'git'/.test(line)) return;
          if (RAW_GIT.some((re) => re.test(line)) && !(rel in ALLOWED)) found.push(`${rel}:${i + 1}: ${line.trim().slice(0, 160)}`);
        });
      }
    }
    expect(found).toEqual([]);
  });

  test('the scan finds what it looks for (each pattern, and every allowed file still needs its exception)', () => {
    for (const line of ["spawnSync('git', ['log'])", "execFileSync(\"git\", args)", "runner.run({ argv: ['git', 'status'] })", "['env', 'HOME=/tmp', 'git', '-c', 'x=y']", "Bun.spawn(['git', 'log'])"]) expect([line, RAW_GIT.some((re) => re.test(line))]).toEqual([line, true]);
    for (const rel of Object.keys(ALLOWED)) {
      const text = readFileSync(join(ROOT, rel), 'utf8');
      expect([rel, RAW_GIT.some((re) => re.test(text))]).toEqual([rel, true]);
    }
  });

  test('the workspace\'s git scripts carry the flags of every call (one rule, also where git runs in the workspace)', () => {
    const ws = readFileSync(join(ROOT, 'src/git/workspace-git.ts'), 'utf8');
    expect(ws).toContain("const WS_GIT = ['git', ...WORKSPACE_GIT_FLAGS].join(' ');");
    for (const f of WORKSPACE_GIT_FLAGS) expect(SAFE_GIT_FLAGS).toContain(f);
    // Every git in its scripts is WS_GIT: no bare `git ` starts a line or follows a pipe or `if`.
    const scripts = [...ws.matchAll(/= `([^`]*)`;/g)].map((m) => m[1]!).join('\n');
    expect(scripts.split('\n').filter((l) => /(^|[|;&]\s*|\bif\s+|\bxargs -0 -r\s+)git\s/.test(l))).toEqual([]);
  });

  test('peer data is read with hooks, fsmonitor, pagers, editors, credentials and submodule recursion off', () => {
    const flags = HERMETIC_GIT_FLAGS.filter((f) => f !== '-c');
    for (const f of SAFE_GIT_FLAGS.filter((x) => x !== '-c')) expect(flags).toContain(f);
    for (const f of ['core.hooksPath=/dev/null', 'core.fsmonitor=false', 'core.pager=cat', 'core.attributesFile=/dev/null', 'credential.helper=', 'log.showSignature=false', 'protocol.allow=never', 'submodule.recurse=false', 'core.editor=false']) expect(flags).toContain(f);
  });

  test('the user\'s shell: no GIT_* reaches git reading a view but who commits; nothing that points git at another repository reaches any call', () => {
    const shell = { PATH: '/bin', GIT_DIR: '/x', GIT_WORK_TREE: '/x', GIT_INDEX_FILE: '/x', GIT_OBJECT_DIRECTORY: '/x', GIT_ALTERNATE_OBJECT_DIRECTORIES: '/x', GIT_CONFIG_PARAMETERS: "'core.pager'='x'", GIT_CONFIG_COUNT: '1', GIT_EXTERNAL_DIFF: 'x', GIT_EXEC_PATH: '/x', GIT_AUTHOR_NAME: 'A', GIT_COMMITTER_EMAIL: 'c@c' };
    expect(withoutGitVars(shell)).toEqual({ PATH: '/bin', GIT_AUTHOR_NAME: 'A', GIT_COMMITTER_EMAIL: 'c@c' });
    // The user's own repository keeps the user's configuration (GIT_CONFIG_*), never another repository.
    expect(withoutRedirectingGitVars(shell)).toEqual({ PATH: '/bin', GIT_CONFIG_PARAMETERS: "'core.pager'='x'", GIT_CONFIG_COUNT: '1', GIT_AUTHOR_NAME: 'A', GIT_COMMITTER_EMAIL: 'c@c' });
  });
});
