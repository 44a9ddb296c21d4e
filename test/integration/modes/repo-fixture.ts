/**
 * Real git repositories for the mode checks: commits made "in a peer's tick" carry the loop's
 * attestation note (refs/notes/peers-attest), exactly as the loop writes it after a turn; the
 * baseline is the `peers-baseline` tag `peers init` puts on the starting commit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CHECKS, type CheckOptions, type CheckResult } from '../../../modes/checks/index.ts';

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

export function git(cwd: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export type Files = Record<string, string | null>;

export class TestRepo {
  readonly dir: string;
  constructor(prefix = 'peers-modes-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    git(this.dir, ['init', '-q', '-b', 'main']);
  }

  write(files: Files): void {
    for (const [path, content] of Object.entries(files)) {
      const abs = join(this.dir, path);
      if (content === null) unlinkSync(abs);
      else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
      }
    }
  }

  /** A commit by the operator (no attestation). */
  commit(message: string, files: Files = {}): string {
    this.write(files);
    git(this.dir, ['add', '-A']);
    git(this.dir, ['commit', '-q', '--allow-empty', '-m', message]);
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  /** A commit made in `peer`'s tick: attested by a note, as the loop does. */
  commitAs(peer: string, message: string, files: Files = {}): string {
    // `Peer:` joins the message's trailer block when it ends with one.
    const last = message.trimEnd().split('\n\n').pop() ?? '';
    const trailers = message.includes('\n\n') && last.split('\n').every((l) => /^[A-Za-z][A-Za-z0-9-]+: /.test(l));
    const sha = this.commit(`${message.trimEnd()}${trailers ? '\n' : '\n\n'}Peer: ${peer}`, files);
    git(this.dir, ['notes', '--ref=peers-attest', 'add', '-f', '-m', peer, sha]);
    return sha;
  }

  /** A review commit by `peer` approving `sha`. */
  approve(peer: string, sha: string): string {
    return this.commitAs(peer, `Review ${sha.slice(0, 8)}\n\n## Review\n{"pass": true, "notes": "read it, it holds"}\n\nPeer-Review-Of: ${sha.slice(0, 12)}`);
  }

  baseline(): string {
    git(this.dir, ['tag', '-f', 'peers-baseline', 'HEAD']);
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  async check(id: string, opts: CheckOptions = {}): Promise<CheckResult> {
    const check = CHECKS[id];
    if (!check) throw new Error(`no check ${id}`);
    return check.run(this.dir, opts);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
