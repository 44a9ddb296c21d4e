/** Real throwaway git repositories for the protocol tests. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test Peer',
  GIT_AUTHOR_EMAIL: 'peer@test.local',
  GIT_COMMITTER_NAME: 'Test Peer',
  GIT_COMMITTER_EMAIL: 'peer@test.local',
};

export function sh(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export type Repo = {
  dir: string;
  /** Commits; like the loop, attests the commit to the peer its `Peer:` trailer names (unless `attest` says otherwise, or null for none). */
  commit(message: string, files?: Record<string, string | null>, attest?: string | null): string;
  head(): string;
  cleanup(): void;
};

export function makeRepo(): Repo {
  const dir = mkdtempSync(join(tmpdir(), 'peers-h7-'));
  sh(dir, ['init', '-q', '-b', 'main']);
  sh(dir, ['config', 'user.name', 'Test Peer']);
  sh(dir, ['config', 'user.email', 'peer@test.local']);
  sh(dir, ['config', 'commit.gpgsign', 'false']);
  return {
    dir,
    commit(message, files = {}, attest) {
      for (const [path, content] of Object.entries(files)) {
        const abs = join(dir, path);
        if (content === null) unlinkSync(abs);
        else {
          mkdirSync(dirname(abs), { recursive: true });
          writeFileSync(abs, content);
        }
      }
      sh(dir, ['add', '-A']);
      sh(dir, ['commit', '-q', '--allow-empty', '-m', message]);
      const sha = sh(dir, ['rev-parse', 'HEAD']).trim();
      const peer = attest === undefined ? /^Peer: (\S+)$/m.exec(message)?.[1] : attest;
      if (peer) sh(dir, ['notes', '--ref=peers-attest', 'add', '-f', '-m', peer, sha]);
      return sha;
    },
    head: () => sh(dir, ['rev-parse', 'HEAD']).trim(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A Bug-Report commit message in the protocol's shape. */
export function bugReport(id: string, severity: string, extra = '', peer = 'alice'): string {
  return `${id}: something breaks\n\n## Bug-Report\n{"id": "${id}", "severity": "${severity}", "fix_by": "bob", "location": "src/x.ts:42", "description": "crashes on empty input"}\n${extra}\n\nPeer: ${peer}\nBug-Report: ${id}`;
}

export function bugResolve(id: string, status = 'fixed', peer = 'bob'): string {
  return `Resolve ${id}: handled empty input\n\n## Bug-Resolution\n{"resolves": "${id}", "status": "${status}", "note": "guarded"}\n\nPeer: ${peer}\nBug-Resolves: ${id}`;
}
