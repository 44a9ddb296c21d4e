/**
 * `no-secrets`: no credential-shaped string in any file
 * git would commit (tracked, or untracked and not ignored). Symlinks and files over 2 MiB are
 * findings too, since they cannot be scanned honestly. Exact `path:line:label` triples in
 * `.secrets-allowlist` are exempt (for test fixtures that must contain a fake key).
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { readTextBeneath } from '../../src/fs/read-beneath.ts';
import { MiB, readTextIfExists } from '../../src/fs/safe-read.ts';
import { openCheckRepo } from './check-repo.ts';
import type { Check } from './types.ts';
import { shownName } from '../../src/cli/terminal-text.ts';

export const SECRET_PATTERNS: Array<{ label: string; re: RegExp }> = [
  { label: 'AWS access key id', re: /AKIA[0-9A-Z]{16}/ },
  { label: 'private key', re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { label: 'password', re: /password\s*[:=]\s*['"][^'"]{6,}/i },
  { label: 'API key', re: /api[_-]?key\s*[:=]\s*['"][a-z0-9_-]{16,}/i },
  { label: 'GitHub PAT', re: /ghp_[A-Za-z0-9]{30,}/ },
  { label: 'OpenAI-style secret', re: /sk-[A-Za-z0-9]{20,}/ },
];
const SKIP_PARTS = new Set(['.git', '__pycache__', '.pytest_cache', 'node_modules', '.venv', 'venv', '.peers']);
const FILE_LIMIT = 2 * MiB;

export type SecretFinding = { path: string; line: number; label: string };

export function scanTextForSecrets(path: string, text: string): SecretFinding[] {
  const out: SecretFinding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const p of SECRET_PATTERNS) if (p.re.test(line)) out.push({ path, line: i + 1, label: p.label });
  });
  return out;
}

function readAllowlist(root: string): Set<string> {
  let text: string | undefined;
  try {
    text = readTextIfExists(join(root, '.secrets-allowlist'), 64 * 1024);
  } catch {
    return new Set();
  }
  const allowed = new Set<string>();
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(.+):(\d+):(.+)$/.exec(line);
    if (m) allowed.add(`${m[1]}:${m[2]}:${m[3]}`);
  }
  return allowed;
}

export function scanRepoForSecrets(root: string): SecretFinding[] {
  const files = openCheckRepo(root).gitOk(['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean);
  const allow = readAllowlist(root);
  const findings: SecretFinding[] = [];
  for (const rel of [...new Set(files)]) {
    if (rel.split('/').some((part) => SKIP_PARTS.has(part))) continue;
    const abs = join(root, rel);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue; // deleted in the working tree
    }
    if (st.isSymbolicLink()) findings.push({ path: rel, line: 0, label: 'symlink (not scanned)' });
    else if (!st.isFile()) continue;
    else if (st.size > FILE_LIMIT) findings.push({ path: rel, line: 0, label: 'file over 2 MiB (not scanned)' });
    else {
      // Read without leaving the tree (read-beneath.ts): the lstat above followed every directory
      // of the path, and a directory swapped for a symlink would have this check scan, and report
      // on, a file outside it. Such a path is a symlink finding like the leaf's own.
      let text: string;
      try {
        text = readTextBeneath(root, rel, FILE_LIMIT);
      } catch {
        findings.push({ path: rel, line: 0, label: 'symlink (not scanned)' });
        continue;
      }
      findings.push(...scanTextForSecrets(rel, text));
    }
  }
  return findings.filter((f) => !allow.has(`${f.path}:${f.line}:${f.label}`));
}

export const noSecrets: Check = {
  description: 'No credential-shaped strings (AWS, private keys, passwords, API keys, GitHub and OpenAI tokens) in files git would commit.',
  async run(repoDir) {
    const findings = scanRepoForSecrets(repoDir);
    if (findings.length === 0) return { pass: true, report: 'no-secrets: clean' };
    return {
      pass: false,
      report: [`no-secrets: ${findings.length} finding(s) (exempt one with a "path:line:label" line in .secrets-allowlist)`, ...findings.map((f) => `  ${shownName(f.path)}:${f.line}: ${f.label}`)].join('\n'),
    };
  },
};
