/**
 * `peers report`: a Markdown summary of a run for the morning after — outcome (and, for a blocked
 * run, why), budget, peers, gates with the diagnostics of the failing ones, the cheats the loop
 * caught and what it did about each, the tick history and every stop. Pure function of the state
 * directory's contents.
 */
import { FindingSchema, FINDING_TITLES, type Finding } from '../protocol/findings.ts';
import type { RunSummary } from './run-summary.ts';
import { statusJson } from './run-summary.ts';
import { spendLines } from '../budget/spend-view.ts';

const cell = (s: unknown, max = 120) => String(s ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, max);

export function reportMarkdown(r: RunSummary, projectName: string): string {
  const j = statusJson(r);
  const out: string[] = [`# peers report — ${projectName}`, ''];
  out.push(`**Outcome:** ${j.last_stop ? `${j.last_stop.reason} (${j.last_stop.at})` : j.running ? 'running' : 'not stopped yet'}`);
  out.push(`**Ticks:** ${j.tick}, ${r.ticks.filter((t) => t.success).length} handed off · **Next up:** ${j.next_peer}${j.halted ? ` · **HALTED:** ${j.halted.reason}` : ''}`, '');
  const b0 = r.state.blocked;
  if (b0) {
    out.push(b0.confirmed_by ? '## Blocked: the peers agree the task cannot be done as specified' : '## Blocked declaration (not confirmed yet)', '');
    out.push(`- **${b0.by}** (tick ${b0.at_tick}, ${b0.sha.slice(0, 8)}): ${b0.reason}`);
    if (b0.confirmed_by) out.push(`- confirmed by **${b0.confirmed_by}**: ${b0.confirm_reason ?? ''}`, '', 'Decide what is right (the spec or the test), change the goals or the code, then run `peers up` again.');
    out.push('');
  }
  out.push('## Budget', '', '| measure | spent | cap |', '| --- | --- | --- |');
  const b = j.budget;
  out.push(`| ticks | ${b.ticks.spent} | ${b.ticks.cap ?? '∞'} |`);
  out.push(`| runtime (s) | ${b.runtime_s.spent} (wasted ${b.wasted_runtime_s}) | ${b.runtime_s.cap ?? '∞'} |`);
  out.push(`| tokens | ${b.tokens.spent} | ${b.tokens.cap ?? '∞'} |`);
  out.push(`| USD | ${b.usd.spent.toFixed(4)} | ${b.usd.cap ?? '∞'}${b.usd.mode ? ` (${b.usd.mode})` : ''} |`, '');
  out.push('## Spend', '', ...spendLines(j.bill).map((l) => `- ${l}`), '');
  const compare = Object.values(j.bill.per_peer).some((p) => p.cli_tokens !== undefined);
  out.push('## Peers', '', `| peer | state | handed off / turns | last | tokens | USD |${compare ? ' CLI-reported tokens | CLI-reported USD |' : ''}`, `| --- | --- | --- | --- | --- | --- |${compare ? ' --- | --- |' : ''}`);
  for (const [name, p] of Object.entries(j.peers)) {
    const c = j.bill.per_peer[name];
    const cliCols = compare ? ` ${c?.cli_tokens ?? ''} | ${c?.cli_usd !== undefined ? c.cli_usd.toFixed(4) : ''} |` : '';
    out.push(`| ${cell(name)} | ${cell(p.state + (p.reason ? ` (${p.reason})` : ''))} | ${p.successes}/${p.turns} | ${cell(p.last_classification)} | ${p.tokens} | ${p.usd.toFixed(4)} |${cliCols}`);
  }
  const failures = failureCauses(r.ticks);
  if (failures.length) {
    out.push('', '## Why ticks failed', '', '| cause | ticks | peers | last tick |', '| --- | --- | --- | --- |');
    for (const f of failures) out.push(`| ${cell(f.cause, 240)} | ${f.count} | ${cell(f.peers.join(', '))} | ${f.lastTick} |`);
  }
  out.push('', `## Gates${j.gates.head ? ` at ${j.gates.head.slice(0, 8)}` : ''}`, '', '| gate | state | red ticks | diagnostic |', '| --- | --- | --- | --- |');
  for (const [id, g] of Object.entries(j.gates.results)) out.push(`| ${cell(id)} | ${g.state} | ${j.gates.red_streak[id] ?? 0} | ${cell(g.state === 'fail' ? g.diagnostic : '')} |`);
  const failing = Object.entries(j.gates.results).filter(([, g]) => g.state === 'fail' && g.diagnostic.trim());
  if (failing.length) {
    out.push('', '### Why the failing gates fail', '');
    // Diagnostics quote the gate's output tail with escaped newlines; show them as lines.
    for (const [id, g] of failing) out.push(`**${id}**`, '', '```', g.diagnostic.trim().slice(0, 1500).replace(/\\n/g, '\n').replace(/```/g, "'''"), '```', '');
  }
  const soft = (r.ticks.at(-1)?.gates as { soft?: Record<string, string> } | undefined)?.soft ?? {};
  if (Object.keys(soft).length) {
    out.push('', '## Soft goals (passing reviews / needed)', '');
    for (const [id, v] of Object.entries(soft)) out.push(`- ${cell(id)}: ${cell(v)}`);
  }
  const events = protocolEventCounts(r.ticks);
  out.push('', '## Protocol events', '', '| event | count |', '| --- | --- |');
  out.push(`| control-plane (.peers/) edits detected | ${events.controlPlaneEdits} |`);
  out.push(`| test markers (skip/xfail/only, disabled or deleted tests) | ${events.testMarkers} |`);
  out.push(`| anti-cheat warnings / reverts / justified test-only turns | ${events.antiCheatWarnings} / ${events.antiCheatReverts} / ${events.antiCheatJustified} |`);
  const found = findingsOf(r.ticks);
  out.push('', '## Anti-cheat: what the loop caught and what it did', '');
  if (!found.length) out.push('None: no tick tried to get past the gates, the reviews or the history.');
  else {
    out.push('| kind | count |', '| --- | --- |');
    const counts = new Map<string, number>();
    for (const f of found) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    for (const [kind, n] of counts) out.push(`| ${cell(FINDING_TITLES[kind as Finding['kind']])} | ${n} |`);
    out.push('', '| tick | peer | cheat | what was seen | what the loop did |', '| --- | --- | --- | --- | --- |');
    for (const f of found.slice(-200)) out.push(`| ${f.tick} | ${cell(f.peer)} | ${cell(f.kind)} | ${cellLong(f.detail)} | ${cellLong(f.action)} |`);
  }
  out.push('', '## Ticks (last 50)', '', '| tick | peer | result | classification | dur (s) | tokens | USD | head | note |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const t of r.ticks.slice(-50)) {
    const head = typeof t.head_after === 'string' ? t.head_after.slice(0, 8) : '';
    const note = t.success ? (t.skeptic ? 'skeptic tick' : '') : tickCause(t);
    out.push(`| ${t.tick} | ${cell(t.peer)} | ${t.success ? 'handoff' : 'failed'} | ${t.classification} | ${Math.round(Number(t.duration_ms) / 1000)} | ${t.tokens_this_tick ?? 0} | ${Number(t.usd_this_tick ?? 0).toFixed(4)} | ${head} | ${cell(note, 240)}${t.truncated ? ' (output truncated)' : ''} |`);
  }
  out.push('', '## Stops', '');
  for (const e of r.exits) out.push(`- ${e.ts} — **${e.reason}** after ${e.ticks_in_run} tick(s) in that run (tick ${e.tick})`);
  if (!r.exits.length) out.push('- (none yet)');
  if (j.warnings.length) out.push('', '## Pending warnings', '', ...j.warnings.map((w) => `- ${w}`));
  if (r.log.skipped) out.push('', `_${r.log.skipped} unreadable line(s) of runs.jsonl were skipped._`);
  return `${out.join('\n')}\n`;
}

/** A failed tick's one-line cause; lines written before causes existed fall back to the handoff reason. */
export function tickCause(t: RunSummary['ticks'][number]): string {
  const cause = typeof t.cause === 'string' ? t.cause : typeof t.soft_fail_reason === 'string' ? t.soft_fail_reason : undefined;
  return cause ?? String(t.classification ?? 'failed');
}

/** Failed ticks grouped by cause, most frequent first: what to fix before the next night. */
export function failureCauses(ticks: RunSummary['ticks']): { cause: string; count: number; peers: string[]; lastTick: number }[] {
  const by = new Map<string, { cause: string; count: number; peers: string[]; lastTick: number }>();
  for (const t of ticks) {
    if (t.success) continue;
    const cause = tickCause(t);
    const entry = by.get(cause) ?? { cause, count: 0, peers: [], lastTick: 0 };
    entry.count++;
    if (!entry.peers.includes(String(t.peer))) entry.peers.push(String(t.peer));
    entry.lastTick = Math.max(entry.lastTick, Number(t.tick) || 0);
    by.set(cause, entry);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || b.lastTick - a.lastTick);
}

const cellLong = (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 400);

/** Every anti-cheat finding the ticks logged (lines from before findings existed have none). */
export function findingsOf(ticks: RunSummary['ticks']): Array<Finding & { tick: number; peer: string }> {
  const out: Array<Finding & { tick: number; peer: string }> = [];
  for (const t of ticks) {
    if (!Array.isArray(t.findings)) continue;
    for (const raw of t.findings as unknown[]) {
      const f = FindingSchema.safeParse(raw);
      if (f.success) out.push({ ...f.data, tick: t.tick, peer: t.peer });
    }
  }
  return out;
}

/** Protocol events over the whole run, counted from the warnings and verdicts each tick logged. */
export function protocolEventCounts(ticks: RunSummary['ticks']) {
  let controlPlaneEdits = 0;
  let testMarkers = 0;
  let antiCheatWarnings = 0;
  let antiCheatReverts = 0;
  let antiCheatJustified = 0;
  for (const t of ticks) {
    const warnings = Array.isArray(t.warnings_emitted) ? (t.warnings_emitted as unknown[]).filter((w): w is string => typeof w === 'string') : [];
    controlPlaneEdits += warnings.filter((w) => w.startsWith('control-plane edit detected')).length;
    testMarkers += warnings.filter((w) => w.startsWith('test-marker: ')).length;
    const action = (t.anti_cheat as { action?: string } | null | undefined)?.action;
    if (action === 'warn') antiCheatWarnings++;
    if (action === 'revert') antiCheatReverts++;
    if (action === 'accept-justified') antiCheatJustified++;
  }
  return { controlPlaneEdits, testMarkers, antiCheatWarnings, antiCheatReverts, antiCheatJustified };
}
