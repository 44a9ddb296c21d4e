/**
 * The report as Markdown (`peers report`, REPORT.md). Lays out the report model; long histories
 * are summarised in blocks with the detail of the latest ticks, and every summary says where the
 * rest is, so nothing is silently cut. Peer-written text (subjects, causes, findings, a blocked
 * reason, a gate's output) is rendered inert (src/cli/inert-markdown.ts): no image, link, heading,
 * table or HTML of a peer's making, and a long text is cut with a note saying so.
 */
import { notRun, parseSetupFailed } from '../gates/not-run.ts';
import { spendLines } from '../budget/spend-view.ts';
import { mdBlock, mdCell, mdText } from '../cli/inert-markdown.ts';
import type { ReportModel, TickRow } from './report-model.ts';
import { UNNAMED_REPOSITORY } from './outcome.ts';
import { blocksOf, gateSeconds, type GateTimeline } from './tick-series.ts';

/** Up to this many ticks the table lists every one; beyond, blocks of TICK_BLOCK plus the last LAST_TICKS. */
export const FULL_TICK_TABLE = 60;
export const TICK_BLOCK = 50;
export const LAST_TICKS = 30;
const FULL_COMMIT_LIST = 60;
const TOP_FILES = 25;
const MAX_FINDINGS = 200;
const MAX_SEGMENTS = 24;
/** Rows of a cause table; the rest are counted in one last row. */
const MAX_CAUSES = 15;

/** A table cell of text a peer may have written: inert, on one line, at most `max` characters of it. */
export const cell = (s: unknown, max = 120) => mdCell(s, max);
const usd4 = (x: number) => x.toFixed(4);
const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 8) : '');
const range = (a: number, b: number) => (a === b ? `${a}` : `${a}–${b}`);

function tickRowLine(t: TickRow): string {
  return `| ${t.tick} | ${cell(t.peer)} | ${t.success ? 'handoff' : 'failed'} | ${t.classification} | ${t.duration_s} | ${t.tokens} | ${usd4(t.usd)} | ${short(t.head)} | ${cell(t.note, 240)}${t.truncated ? ' (output truncated)' : ''} |`;
}

function timelineText(g: GateTimeline): string {
  const segs = g.segments.map((s) => `${s.state} ${range(s.from, s.to)}`);
  if (segs.length <= MAX_SEGMENTS) return segs.join(' · ');
  const head = segs.slice(0, 8);
  const tail = segs.slice(-(MAX_SEGMENTS - 8));
  return `${head.join(' · ')} · … ${segs.length - head.length - tail.length} more changes (the HTML report draws them all) … · ${tail.join(' · ')}`;
}

export function renderMarkdown(m: ReportModel): string {
  const out: string[] = [`# peers report — ${mdText(m.project)}`, ''];
  const o = m.outcome;
  out.push(`**Outcome:** ${o.status === 'stopped' ? `${mdText(o.reason)} (${mdText(o.at)})` : mdText(o.headline)}`);
  for (const w of o.why) out.push(`> ${mdText(w, 2000)}`);
  if (o.why.length) out.push('');
  out.push(`**Ticks:** ${m.totals.ticks}, ${m.totals.handoffs} handed off · **Next up:** ${mdText(m.next_peer ?? '-')}${m.halted ? ` · **HALTED:** ${mdText(m.halted.reason, 2000)}` : ''}`, '');
  const b0 = m.blocked;
  if (b0) {
    out.push(b0.confirmed_by ? '## Blocked: the peers agree the task cannot be done as specified' : '## Blocked declaration (not confirmed yet)', '');
    out.push(`- **${mdText(b0.by)}** (tick ${b0.at_tick}, ${mdText(b0.sha.slice(0, 8))}): ${mdText(b0.reason, 4000)}`);
    if (b0.confirmed_by) out.push(`- confirmed by **${mdText(b0.confirmed_by)}**: ${mdText(b0.confirm_reason ?? '', 4000)}`, '', 'Decide what is right (the spec or the test), change the goals or the code, then run `peers up` again.');
    out.push('');
  }
  results(m, out);
  bugs(m, out);
  budget(m, out);
  peers(m, out);
  gates(m, out);
  cheats(m, out);
  egress(m, out);
  ticks(m, out);
  out.push('', '## Stops', '');
  for (const e of m.stops) out.push(`- ${mdText(e.ts)} — **${mdText(e.reason, 300)}** after ${e.ticks_in_run} tick(s) in that run (tick ${e.tick})`);
  if (!m.stops.length) out.push('- (none yet)');
  if (m.warnings.length) out.push('', '## Pending warnings', '', ...m.warnings.map((w) => `- ${mdText(w, 2000)}`));
  if (m.skipped_lines) out.push('', `_${m.skipped_lines} unreadable line(s) of runs.jsonl were skipped._`);
  return `${out.join('\n')}\n`;
}

function results(m: ReportModel, out: string[]): void {
  out.push('## Result', '');
  const r = m.results;
  if (!r) {
    out.push('The run\'s commits could not be read (no repository or mirror found for this state directory).', '');
    return;
  }
  const src = r.source;
  const where = src.kind === 'repository' && !src.repo ? UNNAMED_REPOSITORY : mdText(src.branch ?? (src.kind === 'mirror' ? `peers/${m.project}` : 'HEAD (detached)'));
  out.push(`- ${src.kind === 'mirror' ? 'Branch' : 'Committed on'}: ${where} · from ${short(src.base) || '(start)'} to ${short(src.head) || '(none)'}`);
  out.push(`- ${r.commits_total} commit(s); ${r.diffstat.files.length} file(s) changed, +${r.diffstat.insertions} −${r.diffstat.deletions}`);
  for (const e of r.errors) out.push(`- ${mdText(e, 2000)}`);
  out.push('', '### How to take the result', '', ...r.merge.map((l) => `- ${l}`), '');
  if (r.diffstat.files.length) {
    const files = [...r.diffstat.files].sort((a, b) => (b.insertions ?? 0) + (b.deletions ?? 0) - ((a.insertions ?? 0) + (a.deletions ?? 0)));
    out.push(`### Files changed${files.length > TOP_FILES ? ` (the ${TOP_FILES} with most changed lines of ${files.length})` : ''}`, '', '| file | + | − |', '| --- | --- | --- |');
    for (const f of files.slice(0, TOP_FILES)) out.push(`| ${cell(f.path, 200)} | ${f.insertions ?? 'bin'} | ${f.deletions ?? 'bin'} |`);
    if (files.length > TOP_FILES) out.push('', `_${files.length - TOP_FILES} more file(s): \`git diff --stat ${short(src.base)} ${short(src.head)}\`._`);
    out.push('');
  }
  if (r.commits.length) {
    const all = [...r.commits].reverse(); // oldest first
    const shown = all.length <= FULL_COMMIT_LIST ? all : [...all.slice(0, 10), ...all.slice(-40)];
    out.push('### Commits', '', '| commit | peer | subject | files | + | − |', '| --- | --- | --- | --- | --- | --- |');
    shown.forEach((c, i) => {
      if (all.length > FULL_COMMIT_LIST && i === 10) out.push(`| … | | ${all.length - 50} more commit(s): \`git log ${short(src.base)}..${short(src.head)}\` | | | |`);
      out.push(`| ${short(c.sha)} | ${cell(c.peer ?? '(unattested)')} | ${cell(c.subject, 160)} | ${c.files} | ${c.insertions} | ${c.deletions} |`);
    });
    if (r.commits_total > r.commits.length) out.push('', `_Only the newest ${r.commits.length} of ${r.commits_total} commits were read._`);
    out.push('');
  }
}

function bugs(m: ReportModel, out: string[]): void {
  out.push('## Bug ledger', '');
  if (!m.bugs) {
    out.push('_Not available: the run\'s history could not be read._', '');
    return;
  }
  const b = m.bugs;
  out.push(`${b.opened} filed · ${b.fixed} fixed · ${b.deferred} deferred · ${b.open} open (${b.open_blocking} blocking: crit/high/med)`, '');
  if (b.entries.length) {
    out.push('| bug | severity | status | filed by | fix by | resolved by | title |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const e of b.entries) out.push(`| ${cell(e.id)} | ${e.severity} | ${e.status} | ${cell(e.found_by ?? '?')} | ${cell(e.fix_by ?? '')} | ${cell(e.resolved_by ?? '')} | ${cell(e.title, 160)} |`);
    out.push('');
  }
  if (b.warnings.length) out.push('Ledger notes:', '', ...b.warnings.slice(0, 50).map((w) => `- ${mdText(w, 300)}`), ...(b.warnings.length > 50 ? [`- … ${b.warnings.length - 50} more`] : []), '');
}

function budget(m: ReportModel, out: string[]): void {
  const b = m.budget;
  out.push('## Budget', '', '| measure | spent | cap |', '| --- | --- | --- |');
  out.push(`| ticks | ${b.ticks.spent} | ${b.ticks.cap ?? '∞'} |`);
  out.push(`| runtime (s) | ${b.runtime_s.spent} (wasted ${b.wasted_runtime_s}) | ${b.runtime_s.cap ?? '∞'} |`);
  out.push(`| tokens | ${b.tokens.spent} | ${b.tokens.cap ?? '∞'} |`);
  out.push(`| USD | ${b.usd.spent.toFixed(4)} | ${b.usd.cap ?? '∞'}${b.usd.mode ? ` (${b.usd.mode})` : ''} |`, '');
  out.push('## Spend', '', ...spendLines(m.bill, (t) => mdText(t, 300)).map((l) => `- ${l}`), '');
  const series = m.spend.series;
  if (series.length) {
    const capNote = (x: number, cap: number | null) => (cap ? ` (${Math.round((100 * x) / cap)}% of cap)` : '');
    out.push(`### Spend over time (blocks of ${TICK_BLOCK} ticks; the HTML report charts every tick)`, '', '| ticks | tokens | USD | tokens so far | USD so far |', '| --- | --- | --- | --- | --- |');
    for (const blk of blocksOf(series, TICK_BLOCK)) {
      const last = blk.at(-1)!;
      out.push(`| ${range(blk[0]!.tick, last.tick)} | ${blk.reduce((n, p) => n + p.tokens, 0)} | ${usd4(blk.reduce((n, p) => n + p.usd, 0))} | ${last.tokens_total}${capNote(last.tokens_total, m.spend.caps.tokens)} | ${usd4(last.usd_total)}${capNote(last.usd_total, m.spend.caps.usd)} |`);
    }
    out.push('');
  }
}

function peers(m: ReportModel, out: string[]): void {
  const compare = m.peers.some((p) => p.cli_tokens !== undefined);
  out.push('## Peers', '', `| peer | state | handed off / turns | last turn | tokens | USD |${compare ? ' CLI-reported tokens | CLI-reported USD |' : ''}`, `| --- | --- | --- | --- | --- | --- |${compare ? ' --- | --- |' : ''}`);
  for (const p of m.peers) {
    const cliCols = compare ? ` ${p.cli_tokens ?? ''} | ${p.cli_usd !== undefined ? p.cli_usd.toFixed(4) : ''} |` : '';
    out.push(`| ${cell(p.name)} | ${cell(p.state + (p.reason ? ` (${p.reason})` : ''))} | ${p.handoffs}/${p.turns} | ${cell(p.last_turn)} | ${p.tokens} | ${p.usd.toFixed(4)} |${cliCols}`);
  }
  for (const p of m.peers.filter((x) => x.failures.length)) {
    out.push('', `### ${mdText(p.name)}: why its ticks failed`, '', '| cause | ticks | last tick |', '| --- | --- | --- |');
    for (const f of p.failures.slice(0, MAX_CAUSES)) out.push(`| ${cell(f.cause, 240)} | ${f.count} | ${f.last_tick} |`);
    const rest = p.failures.slice(MAX_CAUSES);
    if (rest.length) out.push(`| … ${rest.length} other cause(s), listed in the HTML report | ${rest.reduce((n, f) => n + f.count, 0)} | ${Math.max(...rest.map((f) => f.last_tick))} |`);
  }
  if (m.failure_causes.length) {
    out.push('', '## Why ticks failed', '', '| cause | ticks | peers | last tick |', '| --- | --- | --- | --- |');
    for (const f of m.failure_causes.slice(0, MAX_CAUSES)) out.push(`| ${cell(f.cause, 240)} | ${f.count} | ${cell(f.peers.join(', '))} | ${f.lastTick} |`);
    const rest = m.failure_causes.slice(MAX_CAUSES);
    if (rest.length) out.push(`| … ${rest.length} other cause(s), listed in the HTML report | ${rest.reduce((n, f) => n + f.count, 0)} | ${cell([...new Set(rest.flatMap((f) => f.peers))].join(', '))} | ${Math.max(...rest.map((f) => f.lastTick))} |`);
  }
}

function gates(m: ReportModel, out: string[]): void {
  const g = m.gates;
  const n = m.ticks.length;
  out.push('', `## Gates${g.head ? ` at ${g.head.slice(0, 8)}` : ''}`, '', '| gate | state | ticks ended red | red evaluations in a row now | diagnostic |', '| --- | --- | --- | --- | --- |');
  const ids = [...new Set([...Object.keys(g.current), ...g.timelines.map((t) => t.id)])];
  // Setup failed: no gate ran; said once below, not as each gate's failure (src/gates/not-run.ts).
  const setupFailure = Object.values(g.current).map((r) => parseSetupFailed(r.diagnostic)).find(Boolean);
  for (const id of ids) {
    const cur = g.current[id];
    const tl = g.timelines.find((t) => t.id === id);
    const skipped = cur && notRun(cur);
    out.push(`| ${cell(id)} | ${skipped ? 'not run' : (cur?.state ?? tl?.last_state ?? 'unknown')} | ${tl ? `${tl.red_ticks} of ${n}` : '0'} | ${g.red_streak[id] ?? 0} | ${cell(cur?.state === 'fail' ? (setupFailure && skipped ? 'setup failed (below)' : cur.diagnostic) : '')} |`);
  }
  if (g.timelines.length && n) {
    out.push('', '### Gate timeline (state at the commit each tick left)', '');
    for (const tl of g.timelines) out.push(`- **${mdText(tl.id)}**: ${timelineText(tl)}${tl.first_red !== null ? ` — first red after tick ${tl.first_red}, last after tick ${tl.last_red}` : ''}`);
  }
  gateTime(m, out);
  if (setupFailure) out.push('', '### Setup failed, so no gate ran', '', `\`${mdText(setupFailure.setup.replace(/`/g, "'"))}\` failed; every gate counts red until it passes.`, '', mdBlock(setupFailure.failure.trim().replace(/\\n/g, '\n'), 1500), '');
  const failing = Object.entries(g.current).filter(([, r]) => r.state === 'fail' && r.diagnostic.trim() && !(setupFailure && notRun(r)));
  if (failing.length) {
    out.push('', '### Why the failing gates fail', '');
    // Diagnostics quote the gate's output tail with escaped newlines; show them as lines.
    for (const [id, r] of failing) out.push(`**${mdText(id)}**`, '', mdBlock(r.diagnostic.trim().replace(/\\n/g, '\n'), 1500), '');
  }
  if (Object.keys(g.soft).length) {
    out.push('', '## Soft goals (passing reviews / needed)', '');
    for (const [id, v] of Object.entries(g.soft)) out.push(`- ${mdText(id)}: ${mdText(v)}`);
  }
}

/** The last ticks' gate time: what each tick spent in gates, and what ran beside the turn. */
const MAX_GATE_TIME_ROWS = 50;

function gateTime(m: ReportModel, out: string[]): void {
  const rows = m.gates.time;
  if (!rows.length) return;
  const sync = rows.reduce((n, r) => n + r.sync_ms, 0);
  const bg = rows.reduce((n, r) => n + r.background_ms, 0);
  out.push('', '### Gate time per tick', '', `In all: ${gateSeconds(sync)} in gates before the turns, ${gateSeconds(bg)} in expensive gates in the background while peers worked.`, '');
  out.push('| tick | peer | gates before the turn | background (finished: gate@commit) | still running |', '| --- | --- | --- | --- | --- |');
  const shown = rows.slice(-MAX_GATE_TIME_ROWS);
  if (shown.length < rows.length) out.push(`| … ${rows.length - shown.length} earlier tick(s): \`gate_time\` in runs.jsonl | | | | |`);
  for (const r of shown) {
    const finished = r.background.map((b) => `${b.id}@${b.head.slice(0, 8)} ${b.state} ${gateSeconds(b.duration_ms)}`).join(', ');
    const running = r.running ? `${r.running.ids.join(', ')}@${r.running.head.slice(0, 8)}` : '';
    out.push(`| ${r.tick} | ${cell(r.peer)} | ${gateSeconds(r.sync_ms)}${r.sync.length ? ` (${cell(r.sync.join(', '))})` : ''} | ${cell(finished || '—')} | ${cell(running || '—')} |`);
  }
}

function cheats(m: ReportModel, out: string[]): void {
  const e = m.cheats.events;
  out.push('', '## Protocol events', '', '| event | count |', '| --- | --- |');
  out.push(`| control-plane (.peers/) edits detected | ${e.controlPlaneEdits} |`);
  out.push(`| test markers (skip/xfail/only, disabled or deleted tests) | ${e.testMarkers} |`);
  out.push(`| anti-cheat warnings / reverts / justified test-only turns | ${e.antiCheatWarnings} / ${e.antiCheatReverts} / ${e.antiCheatJustified} |`);
  const found = m.cheats.findings;
  out.push('', '## Anti-cheat: what the loop caught and what it did', '');
  if (!found.length) {
    out.push('None: no tick tried to get past the gates, the reviews or the history.');
    return;
  }
  out.push('| kind | count |', '| --- | --- |');
  for (const k of m.cheats.by_kind) out.push(`| ${cell(k.title)} | ${k.count} |`);
  out.push('', '| tick | peer | cheat | what was seen | what the loop did |', '| --- | --- | --- | --- | --- |');
  if (found.length > MAX_FINDINGS) out.push(`| … | | | the first ${found.length - MAX_FINDINGS} of ${found.length} findings are in the HTML report and runs.jsonl | |`);
  for (const f of found.slice(-MAX_FINDINGS)) out.push(`| ${f.tick} | ${cell(f.peer)} | ${cell(f.kind)} | ${cell(f.detail, 400)} | ${cell(f.action, 400)} |`);
}

function egress(m: ReportModel, out: string[]): void {
  out.push('', '## Egress', '');
  const e = m.egress;
  if (!e) {
    out.push('No egress audit log in this state directory (a host run, or the pod made no outbound connection).');
    return;
  }
  if (e.error) out.push(mdText(e.error, 2000), '');
  out.push(`${e.records} connection(s): ${e.allowed} allowed, ${e.denied} refused${e.errors ? `, ${e.errors} failed` : ''}${e.first_at ? ` (${e.first_at} to ${e.last_at})` : ''}.`);
  if (e.dropped) out.push(`The log is size-capped: ${e.dropped} older record(s) were dropped before these.`);
  if (e.unreadable_lines) out.push(`${e.unreadable_lines} unreadable line(s) skipped.`);
  if (e.destinations.length) {
    out.push('', '| decision | destination | connections | bytes up / down | why refused |', '| --- | --- | --- | --- | --- |');
    for (const d of e.destinations.slice(0, 40)) out.push(`| ${d.decision} | ${cell(`${d.host}:${d.port}`)} | ${d.count} | ${d.bytes_up} / ${d.bytes_down} | ${cell(d.reasons.map((r) => `${r.reason} (${r.count})`).join('; '), 300)} |`);
    if (e.destinations.length > 40) out.push('', `_${e.destinations.length - 40} more destination(s): \`peers logs --egress\`._`);
  }
}

function ticks(m: ReportModel, out: string[]): void {
  const rows = m.ticks;
  const header = ['| tick | peer | result | classification | dur (s) | tokens | USD | head | note |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  if (rows.length <= FULL_TICK_TABLE) {
    out.push('', '## Ticks', '', ...header, ...rows.map(tickRowLine));
    return;
  }
  out.push('', `## Ticks (${rows.length}: summarised in blocks of ${TICK_BLOCK}, then the last ${LAST_TICKS} in full)`, '');
  out.push('| ticks | handed off | failed | peers | tokens | USD | gates changed |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const blk of blocksOf(rows, TICK_BLOCK)) {
    const first = blk[0]!.tick;
    const last = blk.at(-1)!.tick;
    const changed = m.gates.timelines.flatMap((g) => g.segments.filter((s) => s.from > first && s.from <= last).map((s) => `${g.id}→${s.state}@${s.from}`));
    const ok = blk.filter((t) => t.success).length;
    out.push(`| ${range(first, last)} | ${ok} | ${blk.length - ok} | ${cell([...new Set(blk.map((t) => t.peer))].join(', '))} | ${blk.reduce((n, t) => n + t.tokens, 0)} | ${usd4(blk.reduce((n, t) => n + t.usd, 0))} | ${cell(changed.join(', ') || '-', 300)} |`);
  }
  out.push('', `### The last ${LAST_TICKS} ticks`, '', ...header, ...rows.slice(-LAST_TICKS).map(tickRowLine));
  out.push('', `_Every tick is listed in \`peers report --html\` and in ${m.state_dir}/runs.jsonl._`);
}
