/**
 * The report as one self-contained HTML file (`peers report --html`): inline CSS and SVG charts,
 * no script and no external resource, so it opens offline and a Content-Security-Policy of
 * `default-src 'none'` holds. Every text that came from a peer (commit subjects, causes, findings,
 * egress hosts) goes through htmlText (src/cli/inert-html.ts): escaped, its hidden characters shown. Long lists are collapsed (`<details>`), never cut: every tick, commit
 * and finding is in the file.
 */
import { notRun, parseSetupFailed } from '../gates/not-run.ts';
import { spendLines } from '../budget/spend-view.ts';
import type { ReportModel } from './report-model.ts';
import { UNNAMED_REPOSITORY } from './outcome.ts';
import { esc, htmlText } from '../cli/inert-html.ts';
import { gateTimelineChart, spendChart } from './svg-chart.ts';
import { blocksOf, gateSeconds } from './tick-series.ts';

const HTML_TICK_BLOCK = 100;
/**
 * Nothing loads, whatever the page says: no script, frame, font, image, connection or prefetch; no
 * <base> to re-point links; no form to submit. A missed escape still fetches nothing. (A
 * `<meta http-equiv=refresh>` is outside any CSP's reach: only the escaping keeps it out.)
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}h3{font-size:1rem}
code{font:12px ui-monospace,monospace;background:#f3f4f6;padding:0 .2rem;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:.2rem .45rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.outcome{font-size:1.1rem;padding:.5rem .8rem;border-radius:6px;background:#f6f8fa;border-left:6px solid #8c959f}
.outcome.good{border-color:#1a7f37}.outcome.bad{border-color:#cf222e}.outcome.running{border-color:#0969da}
nav a{margin-right:.8rem}details{margin:.4rem 0}summary{cursor:pointer}
.chart{max-width:100%;height:auto;margin:.5rem 0}.chart .axis{stroke:#8c959f}.chart .label{font-size:11px;fill:#57606a}
.chart .cumulative{fill:none;stroke:#0969da;stroke-width:2}.chart .cap{stroke:#cf222e;stroke-dasharray:6 4}.chart .cap-label{fill:#cf222e}
.chart .bars rect{fill:#54aeff}.seg.pass{fill:#2da44e}.seg.fail{fill:#cf222e}.seg.unknown{fill:#d0d7de}
.failed{background:#fff5f5}.muted{color:#57606a}pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:12px}
`;

const money = (x: number) => `$${x.toFixed(x < 1 ? 4 : 2)}`;
const short = (s: string | null | undefined) => (s ? s.slice(0, 8) : '');
const td = (v: unknown, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${htmlText(v)}</td>`;
const num = (v: unknown) => td(v, 'num');
const table = (head: string[], rows: string[], id = '') => `<table${id ? ` id="${id}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
const list = (items: string[]) => (items.length ? `<ul>${items.map((i) => `<li>${htmlText(i)}</li>`).join('')}</ul>` : '');
const codeList = (items: string[]) => `<ul>${items.map((i) => `<li>${htmlText(i).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`).join('')}</ul>`;

export function renderHtml(m: ReportModel): string {
  const o = m.outcome;
  const cls = o.status === 'running' ? 'running' : o.reason === 'complete' ? 'good' : o.needs_operator || o.status === 'killed' ? 'bad' : '';
  const body: string[] = [
    `<header><h1>peers report — ${htmlText(m.project)}</h1>`,
    `<p class="outcome ${cls}" id="outcome"><strong>Outcome:</strong> ${htmlText(o.status === 'stopped' ? `${o.reason} (${o.at})` : o.headline)}</p>${list(o.why)}`,
    `<p>${m.totals.ticks} ticks, ${m.totals.handoffs} handed off, ${m.totals.failed} failed · spent ${htmlText(money(m.budget.usd.spent))}, ${m.budget.tokens.spent} tokens${m.halted ? ` · <strong>HALTED:</strong> ${htmlText(m.halted.reason)}` : ''}</p>`,
    '<nav><a href="#result">Result</a><a href="#bugs">Bugs</a><a href="#gates">Gates</a><a href="#spend">Spend</a><a href="#peers">Peers</a><a href="#cheats">Anti-cheat</a><a href="#egress">Egress</a><a href="#ticks">Ticks</a><a href="#stops">Stops</a></nav></header>',
  ];
  if (m.blocked) body.push(`<section id="blocked"><h2>${m.blocked.confirmed_by ? 'Blocked: the peers agree the task cannot be done as specified' : 'Blocked declaration (not confirmed yet)'}</h2>${list([`${m.blocked.by} (tick ${m.blocked.at_tick}, ${short(m.blocked.sha)}): ${m.blocked.reason}`, ...(m.blocked.confirmed_by ? [`confirmed by ${m.blocked.confirmed_by}: ${m.blocked.confirm_reason ?? ''}`] : [])])}</section>`);
  body.push(result(m), bugs(m), gates(m), spend(m), peers(m), cheats(m), egress(m), ticks(m));
  body.push(`<section id="stops"><h2>Stops</h2>${m.stops.length ? list(m.stops.map((e) => `${e.ts} — ${e.reason} after ${e.ticks_in_run} tick(s) in that run (tick ${e.tick})`)) : '<p>(none yet)</p>'}${m.warnings.length ? `<h3>Pending warnings</h3>${list(m.warnings)}` : ''}${m.skipped_lines ? `<p class="muted">${m.skipped_lines} unreadable line(s) of runs.jsonl were skipped.</p>` : ''}</section>`);
  body.push(`<footer class="muted"><p>Generated ${htmlText(m.generated_at)} from ${htmlText(m.state_dir)}.</p></footer>`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}"><meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width,initial-scale=1"><title>peers report — ${htmlText(m.project)}</title><style>${STYLE}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

function result(m: ReportModel): string {
  const r = m.results;
  if (!r) return '<section id="result"><h2>Result</h2><p>The run\'s commits could not be read (no repository or mirror found for this state directory).</p></section>';
  const s = r.source;
  const out = [`<section id="result"><h2>Result</h2><p>${s.kind === 'mirror' ? 'Branch' : 'Committed on'} ${s.kind === 'repository' && !s.repo ? htmlText(UNNAMED_REPOSITORY) : `<code>${htmlText(s.branch ?? (s.kind === 'mirror' ? `peers/${m.project}` : 'HEAD'))}</code>`}, ${htmlText(short(s.base) || '(start)')} → ${htmlText(short(s.head) || '(none)')}: ${r.commits_total} commit(s), ${r.diffstat.files.length} file(s) changed, +${r.diffstat.insertions} −${r.diffstat.deletions}</p>`];
  out.push(list(r.errors), '<h3>How to take the result</h3>', codeList(r.merge));
  if (r.diffstat.files.length) {
    const files = [...r.diffstat.files].sort((a, b) => (b.insertions ?? 0) + (b.deletions ?? 0) - ((a.insertions ?? 0) + (a.deletions ?? 0)));
    out.push(`<details${files.length <= 30 ? ' open' : ''}><summary>Files changed (${files.length})</summary>${table(['file', '+', '−'], files.map((f) => `<tr>${td(f.path)}${num(f.insertions ?? 'bin')}${num(f.deletions ?? 'bin')}</tr>`), 'files')}</details>`);
  }
  if (r.commits.length) {
    const rows = [...r.commits].reverse().map((c) => `<tr>${td(short(c.sha))}${td(c.peer ?? '(unattested)')}${td(c.subject)}${num(c.files)}${num(c.insertions)}${num(c.deletions)}${td(c.date)}</tr>`);
    out.push(`<details${rows.length <= 60 ? ' open' : ''}><summary>Commits (${r.commits.length}${r.commits_total > r.commits.length ? ` newest of ${r.commits_total}` : ''})</summary>${table(['commit', 'peer', 'subject', 'files', '+', '−', 'date'], rows, 'commits')}</details>`);
  }
  return `${out.join('')}</section>`;
}

function bugs(m: ReportModel): string {
  if (!m.bugs) return '<section id="bugs"><h2>Bug ledger</h2><p>Not available: the run\'s history could not be read.</p></section>';
  const b = m.bugs;
  const rows = b.entries.map((e) => `<tr${e.open ? ' class="failed"' : ''}>${td(e.id)}${td(e.severity)}${td(e.status)}${td(e.found_by ?? '?')}${td(e.fix_by ?? '')}${td(e.resolved_by ?? '')}${td(e.title)}${td(e.resolution_note ?? '')}</tr>`);
  return `<section id="bugs"><h2>Bug ledger</h2><p>${b.opened} filed · ${b.fixed} fixed · ${b.deferred} deferred · ${b.open} open (${b.open_blocking} blocking)</p>${rows.length ? table(['bug', 'severity', 'status', 'filed by', 'fix by', 'resolved by', 'title', 'resolution'], rows, 'bug-ledger') : ''}${b.warnings.length ? `<details><summary>Ledger notes (${b.warnings.length})</summary>${list(b.warnings)}</details>` : ''}</section>`;
}

function gates(m: ReportModel): string {
  const g = m.gates;
  const ids = [...new Set([...Object.keys(g.current), ...g.timelines.map((t) => t.id)])];
  const rows = ids.map((id) => {
    const cur = g.current[id];
    const tl = g.timelines.find((t) => t.id === id);
    return `<tr${cur?.state === 'fail' ? ' class="failed"' : ''}>${td(id)}${td(cur && notRun(cur) ? 'not run' : (cur?.state ?? tl?.last_state ?? 'unknown'))}${num(`${tl?.red_ticks ?? 0} of ${m.ticks.length}`)}${num(g.red_streak[id] ?? 0)}${td(tl?.first_red ?? '')}${td(tl?.transitions ?? 0)}</tr>`;
  });
  // Setup failed: no gate ran; said once, not as each gate's failure (src/gates/not-run.ts).
  const setupFailure = Object.values(g.current).map((r) => parseSetupFailed(r.diagnostic)).find(Boolean);
  const diag = Object.entries(g.current).filter(([, r]) => r.state === 'fail' && r.diagnostic.trim() && !(setupFailure && notRun(r)));
  return [
    `<section id="gates"><h2>Gates${g.head ? ` at ${htmlText(short(g.head))}` : ''}</h2>`,
    table(['gate', 'state', 'ticks ended red', 'red evaluations in a row now', 'first red after tick', 'changes'], rows, 'gates-table'),
    m.ticks.length && g.timelines.length ? `<h3>Timeline: state at the commit each tick left</h3>${gateTimelineChart(g.timelines, m.ticks.map((t) => t.tick))}` : '',
    gateTime(m),
    setupFailure ? `<h3>Setup failed, so no gate ran</h3><p><code>${htmlText(setupFailure.setup)}</code> failed; every gate counts red until it passes.</p><pre>${htmlText(setupFailure.failure.trim().slice(0, 4000).replace(/\\n/g, '\n'))}</pre>` : '',
    diag.map(([id, r]) => `<h3>Why ${htmlText(id)} fails</h3><pre>${htmlText(r.diagnostic.trim().slice(0, 4000).replace(/\\n/g, '\n'))}</pre>`).join(''),
    Object.keys(g.soft).length ? `<h3>Soft goals (passing reviews / needed)</h3>${list(Object.entries(g.soft).map(([id, v]) => `${id}: ${v}`))}` : '',
    '</section>',
  ].join('');
}

/** What each tick spent in gates before the turn, and what the expensive gates did in the background. */
function gateTime(m: ReportModel): string {
  const rows = m.gates.time;
  if (!rows.length) return '';
  const total = (f: (r: (typeof rows)[number]) => number) => gateSeconds(rows.reduce((n, r) => n + f(r), 0));
  const trs = [...rows].reverse().map((r) => {
    const finished = r.background.map((b) => `${b.id}@${short(b.head)} ${b.state} ${gateSeconds(b.duration_ms)}`).join(', ');
    const running = r.running ? `${r.running.ids.join(', ')}@${short(r.running.head)}` : '';
    return `<tr>${num(r.tick)}${td(r.peer)}${num(gateSeconds(r.sync_ms))}${td(r.sync.join(', '))}${td(finished || '—')}${td(running || '—')}</tr>`;
  });
  return `<h3>Gate time per tick</h3><p>In all: ${htmlText(total((r) => r.sync_ms))} in gates before the turns, ${htmlText(total((r) => r.background_ms))} in expensive gates in the background while peers worked.</p><details${trs.length <= 60 ? ' open' : ''}><summary>Per tick (${trs.length}, newest first)</summary>${table(['tick', 'peer', 'gates before the turn', 'which', 'background (finished: gate@commit)', 'still running'], trs, 'gate-time')}</details>`;
}

function spend(m: ReportModel): string {
  const b = m.budget;
  const s = m.spend.series;
  const rows = [
    `<tr>${td('ticks')}${num(b.ticks.spent)}${num(b.ticks.cap ?? '∞')}</tr>`,
    `<tr>${td('runtime (s)')}${num(`${b.runtime_s.spent} (wasted ${b.wasted_runtime_s})`)}${num(b.runtime_s.cap ?? '∞')}</tr>`,
    `<tr>${td('tokens')}${num(b.tokens.spent)}${num(b.tokens.cap ?? '∞')}</tr>`,
    `<tr>${td('USD')}${num(b.usd.spent.toFixed(4))}${num(`${b.usd.cap ?? '∞'}${b.usd.mode ? ` (${b.usd.mode})` : ''}`)}</tr>`,
  ];
  return [
    '<section id="spend"><h2>Spend</h2>',
    table(['measure', 'spent', 'cap'], rows, 'budget'),
    list(spendLines(m.bill)),
    s.length ? spendChart({ id: 'chart-usd', title: 'USD: cumulative against the cap, and per tick', points: s.map((p) => ({ tick: p.tick, value: p.usd, total: p.usd_total })), cap: m.spend.caps.usd, fmt: money }) : '',
    s.length ? spendChart({ id: 'chart-tokens', title: 'Tokens: cumulative against the cap, and per tick', points: s.map((p) => ({ tick: p.tick, value: p.tokens, total: p.tokens_total })), cap: m.spend.caps.tokens, fmt: (x) => String(Math.round(x)) }) : '',
    '</section>',
  ].join('');
}

function peers(m: ReportModel): string {
  const rows = m.peers.map((p) => `<tr>${td(p.name)}${td(p.state + (p.reason ? ` (${p.reason})` : ''))}${num(`${p.handoffs}/${p.turns}`)}${td(p.last_turn)}${num(p.tokens)}${num(p.usd.toFixed(4))}${num(p.cli_tokens ?? '')}${num(p.cli_usd !== undefined ? p.cli_usd.toFixed(4) : '')}</tr>`);
  const causes = m.peers
    .filter((p) => p.failures.length)
    .map((p) => `<details${p.failures.length <= 15 ? ' open' : ''}><summary>${htmlText(p.name)}: why its ticks failed (${p.failures.length} cause(s))</summary>${table(['cause', 'ticks', 'last tick'], p.failures.map((f) => `<tr>${td(f.cause)}${num(f.count)}${num(f.last_tick)}</tr>`))}</details>`);
  const all = m.failure_causes;
  const why = all.length ? `<h3>Why ticks failed</h3><details${all.length <= 15 ? ' open' : ''}><summary>${all.length} cause(s), ${all.reduce((n, f) => n + f.count, 0)} failed tick(s)</summary>${table(['cause', 'ticks', 'peers', 'last tick'], all.map((f) => `<tr>${td(f.cause)}${num(f.count)}${td(f.peers.join(', '))}${num(f.lastTick)}</tr>`), 'failure-causes')}</details>` : '';
  return `<section id="peers"><h2>Peers</h2>${table(['peer', 'state', 'handed off / turns', 'last turn', 'tokens', 'USD', 'CLI-reported tokens', 'CLI-reported USD'], rows, 'peers-table')}${causes.join('')}${why}</section>`;
}

function cheats(m: ReportModel): string {
  const e = m.cheats.events;
  const f = m.cheats.findings;
  const rows = f.map((x) => `<tr>${num(x.tick)}${td(x.peer)}${td(x.kind)}${td(x.detail)}${td(x.action)}</tr>`);
  return [
    '<section id="cheats"><h2>Anti-cheat: what the loop caught and what it did</h2>',
    `<p>control-plane edits ${e.controlPlaneEdits} · test markers ${e.testMarkers} · anti-cheat warnings / reverts / justified test-only turns ${e.antiCheatWarnings} / ${e.antiCheatReverts} / ${e.antiCheatJustified}</p>`,
    f.length
      ? `${table(['kind', 'count'], m.cheats.by_kind.map((k) => `<tr>${td(k.title)}${num(k.count)}</tr>`))}<details${f.length <= 50 ? ' open' : ''}><summary>Every finding (${f.length})</summary>${table(['tick', 'peer', 'cheat', 'what was seen', 'what the loop did'], rows, 'findings')}</details>`
      : '<p>None: no tick tried to get past the gates, the reviews or the history.</p>',
    '</section>',
  ].join('');
}

function egress(m: ReportModel): string {
  const e = m.egress;
  if (!e) return '<section id="egress"><h2>Egress</h2><p>No egress audit log in this state directory (a host run, or the pod made no outbound connection).</p></section>';
  const rows = e.destinations.map((d) => `<tr${d.decision !== 'allow' ? ' class="failed"' : ''}>${td(d.decision)}${td(`${d.host}:${d.port}`)}${num(d.count)}${num(`${d.bytes_up} / ${d.bytes_down}`)}${td(d.reasons.map((r) => `${r.reason} (${r.count})`).join('; '))}${td(d.last_at)}</tr>`);
  return `<section id="egress"><h2>Egress</h2>${e.error ? `<p>${htmlText(e.error)}</p>` : ''}<p>${e.records} connection(s): ${e.allowed} allowed, ${e.denied} refused${e.errors ? `, ${e.errors} failed` : ''}${e.dropped ? ` · ${e.dropped} older record(s) dropped by the log's size cap` : ''}</p>${rows.length ? table(['decision', 'destination', 'connections', 'bytes up / down', 'why refused', 'last'], rows, 'egress-table') : ''}</section>`;
}

function ticks(m: ReportModel): string {
  const blocks = blocksOf(m.ticks, HTML_TICK_BLOCK);
  const head = ['tick', 'time', 'peer', 'result', 'classification', 'dur (s)', 'tokens', 'USD', 'head', 'note'];
  const parts = blocks.map((blk, i) => {
    const rows = blk.map((t) => `<tr${t.success ? '' : ' class="failed"'}>${num(t.tick)}${td(t.ts)}${td(t.peer)}${td(t.success ? 'handoff' : 'failed')}${td(t.classification)}${num(t.duration_s)}${num(t.tokens)}${num(t.usd.toFixed(4))}${td(short(t.head))}${td(`${t.note}${t.truncated ? ' (output truncated)' : ''}`)}</tr>`);
    const failed = blk.filter((t) => !t.success).length;
    return `<details class="tick-block"${i === blocks.length - 1 ? ' open' : ''}><summary>Ticks ${blk[0]!.tick}–${blk.at(-1)!.tick}: ${blk.length - failed} handed off, ${failed} failed</summary>${table(head, rows)}</details>`;
  });
  return `<section id="ticks"><h2>Ticks (${m.ticks.length})</h2>${parts.join('') || '<p>No tick yet.</p>'}</section>`;
}
