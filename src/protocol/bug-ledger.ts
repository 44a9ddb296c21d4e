/**
 * The bug ledger: every bug filed, resolved, deferred or reproduced, rebuilt from git history on
 * each read. History is the only store, so a peer cannot edit the ledger
 * except by committing, and every rule below is applied to what was committed.
 *
 * `buildLedger` is a pure function over commits listed NEWEST FIRST; `readLedger` is the thin git
 * adapter. Newest-first matters: a newer re-filing of an id reopens a bug whose older resolution
 * would otherwise close it.
 *
 * A deferral (Bug-Defer, or Bug-Resolves with status deferred) is an escape valve: it closes a bug
 * only when attested to a peer other than the bug's `fix_by` in every filing of its id
 * (approvals.ts) — the peer that should fix it cannot excuse itself, nor re-file it for another. Who filed, fixed or deferred comes from the loop's attestation,
 * never from a `Peer:` trailer.
 */
import { listCommits, type Commit } from '../git/commits.ts';
import { headSha } from '../git/git.ts';
import { approvalHint, attestedByAnother, type AttestationView } from './approvals.ts';
import { readAttestationView } from './attestation.ts';
import { jsonBlocks } from './json-blocks.ts';
import { foldLineBreaks } from '../cli/terminal-text.ts';

export const SEVERITIES = ['crit', 'high', 'med', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const BLOCKING_SEVERITIES: ReadonlySet<Severity> = new Set(['crit', 'high', 'med']);
export const RESOLUTION_STATUSES = ['fixed', 'deferred', 'wontfix', 'duplicate', 'invalid'] as const;
export type ResolutionStatus = (typeof RESOLUTION_STATUSES)[number];
/** Only these close a bug; wontfix/duplicate/invalid keep it open until a human re-triages it. */
export const CLOSING_STATUSES: ReadonlySet<ResolutionStatus> = new Set(['fixed', 'deferred']);

export type Resolution = { status: ResolutionStatus; sha: string; note: string; resolvedBy?: string; position: number };

export type BugReport = {
  id: string;
  severity: Severity;
  title: string;
  description: string;
  fixBy?: string;
  location?: string;
  file?: string;
  function?: string;
  cwe?: string;
  /** The commit of the newest filing of this id. */
  sha: string;
  foundBy?: string;
  /** 'open' or the resolution status; `open` is the flag to gate on. */
  status: 'open' | ResolutionStatus;
  open: boolean;
  resolution?: Resolution;
  /** Reproduce commits, newest first. */
  reproduceShas: string[];
  /** Position in history of the filing (0 = oldest commit), for ordering rules. */
  position: number;
};

export type Ledger = {
  reports: BugReport[];
  warnings: string[];
  /** Reproduce commits by bug id with their history positions (0 = oldest), oldest first. */
  reproduces: Map<string, Array<{ sha: string; position: number }>>;
};

const SEVERITY_RANK: Record<Severity, number> = { crit: 4, high: 3, med: 2, low: 1, info: 0 };
const LEGACY_REPRODUCE = /^TDD:\s*reproducer for\s+(\S+)/i;

export function normalizeSeverity(v: unknown): Severity | undefined {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : undefined;
}

export function severityRank(s: Severity): number {
  return SEVERITY_RANK[s];
}

/**
 * Anti-decoy selection: among the body's JSON objects whose `id` equals the bug id, the one
 * with the highest severity. Blocks naming another id never count, so a second "low" block cannot
 * downgrade a crit, and an unrelated block cannot stand in for a missing one.
 */
export function selectReportBlock(message: string, bugId: string): { block: Record<string, unknown>; severity: Severity; knownSeverity: boolean } | undefined {
  let best: { block: Record<string, unknown>; severity: Severity; knownSeverity: boolean } | undefined;
  for (const { value } of jsonBlocks(message)) {
    if (value.id !== bugId) continue;
    const sev = normalizeSeverity(value.severity);
    const cand = { block: value, severity: sev ?? 'info', knownSeverity: sev !== undefined };
    if (!best || SEVERITY_RANK[cand.severity] > SEVERITY_RANK[best.severity]) best = cand;
  }
  return best;
}

function firstBlockNaming(message: string, bugId: string, keys: string[]): Record<string, unknown> | undefined {
  return jsonBlocks(message).find(({ value }) => keys.some((k) => value[k] === bugId))?.value;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/**
 * The status a `Bug-Resolves: <id>` in `message` records: its first JSON block naming the id
 * (`resolves` or `id`) says it, `fixed` when none does, `invalid` for a status outside the list.
 */
export function resolutionStatusOf(message: string, id: string): ResolutionStatus {
  const b = firstBlockNaming(message, id, ['resolves', 'id']) ?? {};
  const raw = (str(b.status) ?? 'fixed').trim().toLowerCase();
  return (RESOLUTION_STATUSES as readonly string[]).includes(raw) ? (raw as ResolutionStatus) : 'invalid';
}

/** Builds the ledger from commits listed newest first. */
export function buildLedger(commitsNewestFirst: Commit[], view: AttestationView): Ledger {
  const warnings: string[] = [];
  const reports = new Map<string, BugReport>();
  /** Candidate resolutions per id, newest first; the newest one that counts wins. */
  const resolutions = new Map<string, Resolution[]>();
  const reproduces = new Map<string, Array<{ sha: string; position: number }>>();
  /**
   * Every peer any filing of an id names to fix it (null for a filing that names nobody: then the
   * deferring peer itself is taken to own it). A deferral must come from a peer none of them names: the newest filing alone let the peer that had to fix
   * a bug re-file it under the same id with `fix_by` another peer, then defer it itself.
   */
  const owners = new Map<string, Set<string | null>>();
  const n = commitsNewestFirst.length;

  commitsNewestFirst.forEach((c, i) => {
    const position = n - 1 - i;
    const short = c.sha.slice(0, 8);
    // Asked only of the commits that file or close a bug: for a commit before the baseline the
    // answer costs a git process, and a history of 40,000 commits made that a 120 s gate.
    let attested: { peer: string | undefined } | undefined;
    const peerOfCommit = (): string | undefined => (attested ??= { peer: view.peerOf(c.sha) }).peer;

    for (const rawId of c.trailers.all('Bug-Report')) {
      const id = rawId.trim();
      if (!id) continue;
      const sel = selectReportBlock(c.message, id);
      owners.set(id, new Set([...(owners.get(id) ?? []), str(sel?.block.fix_by) ?? null]));
      const existing = reports.get(id);
      if (existing) {
        warnings.push(`${id} is filed again in ${short}; the newest filing (${existing.sha.slice(0, 8)}) is kept`);
        if (sel && SEVERITY_RANK[sel.severity] > SEVERITY_RANK[existing.severity]) {
          warnings.push(`${id}: older filing ${short} has severity ${sel.severity} > ${existing.severity}; the highest severity gates`);
          existing.severity = sel.severity;
        }
        continue;
      }
      if (!sel) warnings.push(`${id} (${short}) has no JSON block with "id": "${id}"; treated as info`);
      else if (!sel.knownSeverity) warnings.push(`${id} (${short}) has severity ${JSON.stringify(sel.block.severity)} outside crit|high|med|low|info; treated as info`);
      const b = sel?.block ?? {};
      const location = str(b.location);
      reports.set(id, {
        id,
        severity: sel?.severity ?? 'info',
        title: str(b.title) ?? c.subject,
        description: str(b.description) ?? '',
        fixBy: str(b.fix_by),
        location,
        file: str(b.file) ?? (location ? location.split(':')[0] : undefined),
        function: str(b.function),
        cwe: str(b.cwe),
        sha: c.sha,
        foundBy: peerOfCommit(),
        status: 'open',
        open: true,
        reproduceShas: [],
        position,
      });
    }

    const closeWith = (id: string, make: () => Resolution, kind: string): void => {
      const rep = reports.get(id);
      if (rep && rep.sha !== c.sha) {
        warnings.push(`${kind} ${id} in ${short} ignored: ${id} was filed again later (${rep.sha.slice(0, 8)}), treating the bug as reopened`);
        return;
      }
      resolutions.set(id, [...(resolutions.get(id) ?? []), make()]);
    };

    for (const rawId of c.trailers.all('Bug-Resolves')) {
      const id = rawId.trim();
      if (!id) continue;
      closeWith(id, () => {
        const b = firstBlockNaming(c.message, id, ['resolves', 'id']) ?? {};
        const status = resolutionStatusOf(c.message, id);
        if (status === 'invalid' && str(b.status)?.trim().toLowerCase() !== 'invalid') {
          warnings.push(`Bug-Resolves ${id} in ${short}: status ${JSON.stringify(b.status)} is not fixed|deferred|wontfix|duplicate|invalid; recorded as invalid`);
        }
        return { status, sha: c.sha, note: str(b.note) ?? '', resolvedBy: peerOfCommit(), position };
      }, 'Bug-Resolves');
    }

    for (const rawId of c.trailers.all('Bug-Defer')) {
      const id = rawId.trim();
      if (!id) continue;
      closeWith(id, () => {
        const b = firstBlockNaming(c.message, id, ['defers', 'id']) ?? {};
        const note = str(b.reason) ?? str(b.note) ?? '';
        if (!note) warnings.push(`Bug-Defer ${id} in ${short} gives no reason`);
        return { status: 'deferred', sha: c.sha, note, resolvedBy: peerOfCommit(), position };
      }, 'Bug-Defer');
    }

    const reproIds = c.trailers.all('Bug-Reproduce').map((v) => v.trim()).filter(Boolean);
    const legacy = LEGACY_REPRODUCE.exec(c.subject);
    if (legacy?.[1]) reproIds.push(legacy[1]);
    for (const id of new Set(reproIds)) {
      const list = reproduces.get(id) ?? [];
      list.unshift({ sha: c.sha, position });
      reproduces.set(id, list);
    }
  });

  for (const [id, candidates] of resolutions) {
    const rep = reports.get(id);
    if (!rep) {
      const res = candidates[0]!;
      warnings.push(`${res.status === 'deferred' ? 'Bug-Defer' : 'Bug-Resolves'} ${id} in ${res.sha.slice(0, 8)} names a bug that was never filed`);
      continue;
    }
    const res = candidates.find((r) => {
      if (r.status !== 'deferred') return true;
      const named = [...(owners.get(id) ?? [null])];
      const mustFix = named.map((o) => o ?? r.resolvedBy ?? '');
      const owner = mustFix.find((o) => !attestedByAnother(view, r.sha, o).counts);
      if (owner === undefined) return true;
      warnings.push(`deferral of ${id} in ${r.sha.slice(0, 8)} does not count: it is vouched for only by ${owner || 'an unattested commit'}, who must fix the bug; ${approvalHint(r.sha)}`);
      return false;
    });
    if (!res) continue;
    for (const older of candidates.slice(candidates.indexOf(res) + 1)) warnings.push(`resolution of ${id} in ${older.sha.slice(0, 8)} ignored: already resolved by a newer commit`);
    rep.resolution = res;
    rep.status = res.status;
    rep.open = !CLOSING_STATUSES.has(res.status);
  }
  for (const [id, list] of reproduces) {
    const rep = reports.get(id);
    if (rep) rep.reproduceShas = list.map((r) => r.sha).reverse();
  }
  const sorted = [...reports.values()].sort((a, b) => b.position - a.position);
  return { reports: sorted, warnings, reproduces };
}

/**
 * Reads the ledger of `repo` at HEAD (or at `head`, a commit the caller already read), with the
 * run's attestations (commits before `baseline` are the operator's). An empty repository has an
 * empty ledger.
 */
export function readLedger(repo: string, baseline?: string, head?: string): Ledger {
  const at = head ?? headSha(repo);
  if (!at) return { reports: [], warnings: [], reproduces: new Map() };
  return buildLedger(listCommits(repo, at, { newestFirst: true }), readAttestationView(repo, baseline, at));
}

export type LedgerSummary = {
  total: number;
  openBlocking: number;
  fixed: number;
  deferred: number;
  reproduced: number;
  /** Open bugs by severity. */
  openBySeverity: Record<Severity, number>;
  /** All reported bugs by severity. */
  bySeverity: Record<Severity, number>;
};

export function summarizeLedger(ledger: Ledger): LedgerSummary {
  const zero = (): Record<Severity, number> => ({ crit: 0, high: 0, med: 0, low: 0, info: 0 });
  const s: LedgerSummary = { total: 0, openBlocking: 0, fixed: 0, deferred: 0, reproduced: 0, openBySeverity: zero(), bySeverity: zero() };
  for (const r of ledger.reports) {
    s.total++;
    s.bySeverity[r.severity]++;
    if (r.open) s.openBySeverity[r.severity]++;
    if (r.open && BLOCKING_SEVERITIES.has(r.severity)) s.openBlocking++;
    if (r.status === 'fixed') s.fixed++;
    if (r.status === 'deferred') s.deferred++;
    if (r.reproduceShas.length > 0) s.reproduced++;
  }
  return s;
}

/** Open bugs with crit/high/med severity, most severe first. */
export function openBlockingBugs(ledger: Ledger): BugReport[] {
  return ledger.reports.filter((r) => r.open && BLOCKING_SEVERITIES.has(r.severity)).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

/**
 * How many new blocking (or weak-fix/shallow-fix flag) reports the commits carry. The loop
 * uses it after each tick: zero keeps the clean-tick streak going, anything else resets it, which
 * is also how a skeptic tick that finds a bug resets convergence.
 */
export function countNewBlockingReports(commits: Commit[]): number {
  let count = 0;
  for (const c of commits) {
    for (const raw of c.trailers.all('Bug-Report')) {
      const id = raw.trim();
      if (/^(weak-fix|shallow-fix):/i.test(id)) count++;
      else if (BLOCKING_SEVERITIES.has(selectReportBlock(c.message, id)?.severity ?? 'info')) count++;
    }
  }
  return count;
}

/** The one-line header `peers bugs` and the bug-hunt-clean check print. */
export function formatLedgerHeader(s: LedgerSummary): string {
  const o = s.openBySeverity;
  return `bug-hunt: ${s.openBlocking} blocking open (crit=${o.crit} high=${o.high} med=${o.med} low=${o.low} info=${o.info}); ${s.total} total reported, ${s.fixed} fixed, ${s.deferred} deferred, ${s.reproduced} have reproduce-tests`;
}

/**
 * One line per bug (`peers bugs`, the open blocking bugs in a peer's prompt): the title, location
 * and fix_by are a peer's JSON, and a line break in them printed a `closed:` section or another
 * bug's line of the peer's making (SECURITY.md, "A peer's words reach the operator's terminal as text").
 */
export function formatBugLine(r: BugReport): string {
  const what = r.title || r.description.slice(0, 60);
  return foldLineBreaks(`  [${r.severity}] ${r.id} (${r.sha.slice(0, 8)}, fix_by=${r.fixBy ?? r.foundBy ?? '?'}, @ ${r.location ?? '?'}): ${what}${statusSuffix(r)}`);
}

function statusSuffix(r: BugReport): string {
  if (r.status === 'open') return '';
  return r.open ? ` — ${r.status} (still open until re-triaged)` : ` — ${r.status}`;
}
