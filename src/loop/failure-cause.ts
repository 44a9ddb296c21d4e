/**
 * Why a tick failed, in one line a user can act on: `git: no identity`, `claude: command not
 * found (exit 127)`, `claude refused to run as root`, `401 invalid API key`, or the first
 * meaningful line the peer printed. Drawn only from what the turn produced (classification, exit,
 * output, whether HEAD moved); shown in the loop's console line, runs.jsonl, state.json, `peers
 * status`, `peers logs` and the report. Informational: it never decides anything, so a peer that
 * prints a misleading message can at worst mislabel its own failed turn.
 */
import { AUTH_TEXT } from '../peer-output/auth-refusal.ts';
import { errorBlobs, withoutUnreachableCode } from '../peer-output/structured-events.ts';
import type { Classification, Verdict } from './classify.ts';

export type TurnFacts = {
  tool: string;
  /** The executable the peer's argv starts with. */
  program: string;
  success: boolean;
  classification: Classification;
  endedBy: string;
  exitCode: number | null;
  spawnError?: string;
  halt: Verdict['halt'];
  matched: Verdict['matched'];
  stdout: string;
  stderr: string;
  /** HEAD moved during the turn (a commit was made). */
  committed: boolean;
  /** The handoff verdict's reason (no commit, no trailers, …); null when it passed. */
  softFailReason: string | null;
  idleTimeoutS: number;
  absoluteTimeoutS: number;
  /** The usage limit that ended the turn (classification usage-limited). */
  usageLimit?: { reset_at: string | null; message: string } | null;
};

export const MAX_CAUSE_CHARS = 200;

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;

/** What git prints when it cannot tell who is committing (commit, merge, revert, notes, stash). */
const GIT_NO_IDENTITY = /unable to auto-detect email address|Please tell me who you are|(?:Author|Committer) identity unknown|empty ident name|no email was given and auto-detection is disabled|no name was given and auto-detection is disabled/;

/** Other git failures that stop a commit, by what git says → what the line says. */
const GIT_COMMIT_FAILURES: [RegExp, string][] = [
  [/gpg failed to sign the data|error: cannot run gpg|ssh-keygen.*failed to sign/i, 'git: commit signing failed (commit.gpgsign is set but no key is usable)'],
  [/Unable to create '[^']*index\.lock': File exists/, 'git: index.lock exists (another git process, or a crashed one)'],
  [/fatal: not a git repository/, 'git: not a git repository (the peer ran outside the project)'],
];

const ROOT_REFUSAL = /--dangerously-skip-permissions cannot be used with root\/sudo privileges/;
const QUOTA_TEXT = /usage[ _-]?limit|quota|hit your usage limit|credit balance is too low|insufficient[ _-]?(?:quota|credits?|funds)/i;
const FORBIDDEN_TEXT = /\b403\b|forbidden|permission[ _-]?denied/i;

/** Lines that say nothing about a failure: progress chatter, deprecation notices, blank art. */
const NOISE = [
  /^\(node:\d+\) (?:\[\w+\] )?(?:Deprecation|Experimental)?Warning/,
  /^\(Use `node --trace-/,
  /^npm (?:WARN|notice)\b/,
  /^Reading (?:prompt|additional input) from stdin/i,
  /^[\s\-=_*#~.|+│─╭╮╰╯]*$/,
];
const MEANINGFUL = /\b(?:error|fatal|failed|failure|denied|not found|refused|cannot|can't|unable|invalid|unauthori[sz]ed|forbidden|exception|panic|abort(?:ed)?|killed|no such)\b/i;

/** One printable line, cut to `max` characters. */
export function oneLine(text: string, max = MAX_CAUSE_CHARS): string {
  const flat = text.replace(ANSI, '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The first line of `text` that looks like an error, else the first line that is not noise. */
export function firstMeaningfulLine(text: string): string | undefined {
  const lines = text
    .replace(ANSI, '')
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !NOISE.some((n) => n.test(l)));
  const line = lines.find((l) => MEANINGFUL.test(l)) ?? lines[0];
  return line === undefined ? undefined : oneLine(line);
}

/** The output line holding `snippet` (JSON lines stay as they are), else the snippet itself. */
function lineContaining(text: string, snippet: string): string {
  if (!snippet) return snippet;
  const line = text.split(/\r?\n/).find((l) => l.includes(snippet));
  return line && line.length <= 1000 && !line.trimStart().startsWith('{') ? line : snippet;
}

const base = (program: string) => program.split('/').pop() || program;

/** `httpStatus`: what the CLI's own status event reported (claude's api_error_status), if anything. */
function apiCause(text: string, fallback: string, httpStatus?: number): string {
  const status = httpStatus !== undefined ? String(httpStatus) : /\b(401|403|429|5\d\d)\b/.exec(text)?.[1];
  if (AUTH_TEXT.test(text)) {
    if (status === '403') return '403 forbidden: the credential is not allowed to do this';
    if (/not[ _-]?(?:logged|signed)[ _-]?in|run \/login/i.test(text)) return 'not logged in (log in with the CLI on the host, or use an API key)';
    return status === '401' ? '401 invalid API key' : 'invalid API key (authentication failed)';
  }
  if (QUOTA_TEXT.test(text)) return `usage limit reached: ${oneLine(text, 150)}`;
  if (FORBIDDEN_TEXT.test(text)) return `403 forbidden: ${oneLine(text, 150)}`;
  return `${fallback}${status ? ` (${status})` : ''}: ${oneLine(text, 150)}`;
}

/** null for a successful tick; otherwise one line, at most MAX_CAUSE_CHARS characters. */
export function explainFailure(f: TurnFacts): string | null {
  if (f.success) return null;
  const cmd = base(f.program);
  const output = `${f.stderr}\n${f.stdout}`;

  if (f.halt?.pattern === 'missing-env') return oneLine(f.halt.reason);
  if (f.endedBy === 'spawn-error' || f.exitCode === 127 || f.exitCode === 126) {
    if (f.exitCode === 126 || /EACCES/.test(f.spawnError ?? '')) return `${cmd}: permission denied (exit 126)`;
    // A shell names the command it could not find (`sh: 1: claude: not found`, `bash: claude: command not found`).
    const missing = /(?:^|: )([^\s:]+): (?:command )?not found\s*$/m.exec(f.stderr)?.[1];
    if (f.exitCode === 127 || /ENOENT/.test(f.spawnError ?? '')) return `${missing ? base(missing) : cmd}: command not found (exit 127)`;
    if (f.endedBy === 'spawn-error') return oneLine(`${cmd}: could not start: ${f.spawnError ?? 'unknown error'}`);
  }
  if (ROOT_REFUSAL.test(f.stderr) || (f.tool === 'claude' && ROOT_REFUSAL.test(f.stdout))) return 'claude refused to run as root (run peers as an unprivileged user)';
  const httpStatus = errorBlobs(f.tool, f.stdout).find((b) => b.status !== undefined)?.status;
  if (f.halt) return apiCause(f.halt.snippet || f.halt.reason, 'halted', httpStatus);
  // A pattern's snippet is only what the pattern matched: the whole line says more.
  const said = f.matched ? lineContaining(output, f.matched.snippet) : undefined;
  if (f.classification === 'usage-limited') {
    const when = f.usageLimit?.reset_at ? `resets ${f.usageLimit.reset_at.replace(/\.\d{3}Z$/, 'Z')}` : 'no reset time given';
    return oneLine(`usage limit reached (${when})${f.usageLimit?.message ? `: ${f.usageLimit.message}` : ''}`);
  }
  if (f.classification === 'vendor-unreachable') return oneLine(`vendor unreachable: ${(f.matched ? withoutUnreachableCode(f.matched.snippet) : 'no connection to the vendor')}`);
  if (f.classification === 'rate-limited') return `rate limited${said ? `: ${oneLine(said, 150)}` : ''}`;
  if (f.classification === 'api-error') return said ? apiCause(said, 'API error', httpStatus) : 'API error';
  if (f.endedBy === 'idle-timeout' && !f.committed) return `no output for ${f.idleTimeoutS}s: stopped (health.idle_timeout_s)`;
  if (f.endedBy === 'absolute-timeout') return `turn ran longer than ${f.absoluteTimeoutS}s: stopped (health.absolute_max_runtime_s)`;
  if (!f.committed) {
    if (GIT_NO_IDENTITY.test(output)) return 'git: no identity (set git_author in config.yaml, or user.name/user.email in git config)';
    for (const [re, cause] of GIT_COMMIT_FAILURES) if (re.test(output)) return cause;
  }
  if (f.classification === 'process-fail') {
    // An agent CLI in JSON mode reports its API error in its events, not on stderr (claude's
    // `result` with is_error, codex's turn.failed): a budget refusal's 402 read only "claude exited 1".
    const reported = errorBlobs(f.tool, f.stdout).map((b) => firstMeaningfulLine(b.text)).findLast(Boolean);
    const line = firstMeaningfulLine(f.stderr) ?? reported ?? firstMeaningfulLine(f.tool === 'custom' ? f.stdout : '');
    const how = f.exitCode === null ? 'was killed' : `exited ${f.exitCode}`;
    return oneLine(`${cmd} ${how}${line ? `: ${line}` : ''}`);
  }
  if (f.softFailReason) return oneLine(f.softFailReason);
  return oneLine(`${cmd}: ${f.classification}`);
}
