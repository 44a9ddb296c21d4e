/**
 * The dashboard's page: a static shell, a stylesheet and one script, served from the token path
 * so every request carries the token. The script polls the JSON API and builds the page with
 * createElement/textContent only: project names, peer activity and causes are the peers' text and
 * are never parsed as markup (the server's CSP forbids inline script as a second line).
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>peers dashboard</title><link rel="icon" href="data:,"><link rel="stylesheet" href="app.css"></head>
<body><header><h1>peers</h1><span id="updated" class="muted">loading…</span><span id="error" class="error" hidden></span></header>
<main id="main"></main><script src="app.js"></script></body></html>
`;

export const APP_CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#fff}
header{display:flex;gap:1rem;align-items:baseline;padding:.6rem 1.2rem;border-bottom:1px solid #d0d7de}h1{font-size:1.2rem;margin:0}
main{padding:1rem 1.2rem}table{border-collapse:collapse;font-size:13px;margin:.4rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr.project{cursor:pointer}tr.project:hover{background:#f6f8fa}.muted{color:#57606a}.error{color:#cf222e}
.status-running{color:#0969da;font-weight:600}.status-stopped{color:#1a7f37}.status-crashed,.status-unreadable{color:#cf222e;font-weight:600}
.pass{color:#1a7f37}.fail{color:#cf222e}.activity{font:12px ui-monospace,monospace;color:#57606a}a{color:#0969da}
.timeline{display:flex;height:14px;width:420px;border:1px solid #d0d7de}.timeline span{display:block;height:100%}
.timeline .pass{background:#2da44e}.timeline .fail{background:#cf222e}.timeline .unknown{background:#d0d7de}
`;

export const APP_JS = `'use strict';
const POLL_MS = 2000;
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k === 'data') Object.assign(e.dataset, v); else if (k === 'width') e.style.width = v; else e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}
const money = (x) => '$' + Number(x || 0).toFixed(4);
function table(head, rows, attrs) {
  return el('table', attrs, el('thead', null, el('tr', null, ...head.map((h) => el('th', null, h)))), el('tbody', null, ...rows));
}
function nowCell(p) {
  const c = p.current_turn;
  if (!c) return el('td', { class: 'muted' }, p.status === 'running' ? 'between turns' : '-');
  return el('td', null, 'tick ' + c.tick + ': ', el('strong', { class: 'peer' }, c.peer), ' for ' + c.elapsed_s + 's',
    c.activity ? el('div', { class: 'activity' }, c.activity) : null);
}
function gatesCell(p) {
  // null: the goals file does not validate; which gates are open is unknown, never "all green".
  if (!Array.isArray(p.open_gates)) return el('td', { class: 'fail' }, 'unknown: ' + (p.goals_error || 'goals file invalid'));
  const open = p.open_gates;
  return el('td', { class: open.length ? 'fail' : 'pass' }, open.length ? 'open: ' + open.join(', ') : 'all green');
}
function renderList(data) {
  const rows = data.projects.map((p) => {
    const tr = el('tr', { class: 'project', data: { path: p.path } },
      el('td', null, el('a', { href: '#project=' + encodeURIComponent(p.path) }, p.name)),
      el('td', { class: 'status status-' + p.status }, p.status + (p.stop_reason ? ' (' + p.stop_reason + ')' : '')),
      el('td', { class: 'tick' }, p.tick === null || p.tick === undefined ? '-' : p.tick),
      nowCell(p),
      el('td', { class: 'spend' }, money(p.spend && p.spend.usd) + ', ' + ((p.spend && p.spend.tokens) || 0) + ' tokens'),
      gatesCell(p));
    tr.addEventListener('click', (ev) => { if (ev.target.tagName !== 'A') location.hash = 'project=' + encodeURIComponent(p.path); });
    return tr;
  });
  const main = document.getElementById('main');
  main.replaceChildren(data.projects.length
    ? table(['project', 'state', 'tick', 'now', 'spend', 'gates'], rows, { id: 'projects' })
    : el('p', null, 'No registered project yet: run peers init, then peers up, in a repository.'));
}
function renderDetail(d) {
  const s = d.status;
  const peers = Object.entries(s.peers || {}).map(([name, h]) => el('tr', null, el('td', null, name), el('td', null, h.state + (h.reason ? ' (' + h.reason + ')' : '')),
    el('td', null, h.successes + '/' + h.turns), el('td', null, h.last_classification || '-'), el('td', null, h.tokens), el('td', null, money(h.usd)),
    el('td', null, h.last_failure ? 'tick ' + h.last_failure.tick + ': ' + h.last_failure.cause : '')));
  const gates = (d.gates || []).map((g) => {
    const bar = el('div', { class: 'timeline' });
    const total = d.ticks_total || 1;
    for (const seg of g.segments) bar.append(el('span', { class: seg.state, title: seg.state + ' ' + seg.from + '-' + seg.to, width: ((100 * (seg.to - seg.from + 1)) / total) + '%' }));
    const cur = (s.gates && s.gates.results && s.gates.results[g.id]) || null;
    return el('tr', { data: { gate: g.id } }, el('td', null, g.id), el('td', { class: cur ? cur.state : '' }, cur ? cur.state : g.last_state), el('td', null, g.red_ticks), el('td', null, bar));
  });
  const ticks = (d.ticks || []).map((t) => el('tr', { class: t.success ? '' : 'fail' }, el('td', null, t.tick), el('td', null, t.peer), el('td', null, t.success ? 'handoff' : 'failed'),
    el('td', null, t.duration_s + 's'), el('td', null, t.tokens), el('td', null, money(t.usd)), el('td', null, t.note)));
  const b = s.budget;
  const main = document.getElementById('main');
  main.replaceChildren(
    el('p', null, el('a', { href: '#', id: 'back' }, '← all projects')),
    el('h2', { id: 'detail-name' }, s.name || s.path),
    el('p', null, el('span', { class: 'status status-' + s.status }, s.status), ' · tick ', el('span', { id: 'detail-tick' }, s.tick), s.last_stop ? ' · last stop ' + s.last_stop.reason : '', d.outcome ? ' · ' + d.outcome.headline : ''),
    s.current_turn ? el('p', { id: 'current-turn' }, 'Now: ', el('strong', null, s.current_turn.peer), ' on tick ' + s.current_turn.tick + ' for ' + s.current_turn.elapsed_s + 's',
      s.current_turn.activity ? el('div', { class: 'activity' }, s.current_turn.activity) : null) : null,
    b ? el('p', null, 'Spend ' + money(b.usd.spent) + (b.usd.cap ? ' of ' + money(b.usd.cap) : '') + ', ' + b.tokens.spent + ' tokens' + (b.tokens.cap ? ' of ' + b.tokens.cap : '') + ', ' + b.ticks.spent + ' ticks') : null,
    el('h3', null, 'Peers'), table(['peer', 'state', 'handed off / turns', 'last', 'tokens', 'USD', 'last failure'], peers, { id: 'peers' }),
    el('h3', null, 'Gates'), table(['gate', 'now', 'red ticks', 'timeline'], gates, { id: 'gates' }),
    el('h3', null, 'Recent ticks (' + (d.ticks || []).length + ' of ' + (d.ticks_total || 0) + ')'), table(['tick', 'peer', 'result', 'duration', 'tokens', 'USD', 'note'], ticks, { id: 'ticks' }));
}
async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}
let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  const err = document.getElementById('error');
  try {
    const m = /^#project=(.+)$/.exec(location.hash);
    if (m) renderDetail(await getJson('api/project?path=' + encodeURIComponent(decodeURIComponent(m[1]))));
    else renderList(await getJson('api/projects'));
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    err.hidden = true;
  } catch (e) {
    err.textContent = String(e && e.message ? e.message : e);
    err.hidden = false;
  } finally {
    busy = false;
  }
}
window.addEventListener('hashchange', refresh);
refresh();
setInterval(refresh, POLL_MS);
`;
