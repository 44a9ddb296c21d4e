/** `peers logs` after `peers down`: the loop's console as podman kept it in loop.log (k8s-file lines). */
import { expect, test } from 'bun:test';
import { containerLogsArgs, isPodmanDiagnostic, k8sLogText, PodmanStderrSplitter } from '../../../sandbox/logs.ts';

test('k8s-file lines become the console text: streams interleaved in order, partial lines joined, junk skipped', () => {
  const raw = [
    '2026-12-05T01:38:50.780363278+00:00 stderr F peers: tick 1 peer=claude starting...',
    '2026-12-05T01:38:51.000000000+00:00 stderr P peers: tick 1 handoff ',
    '2026-12-05T01:38:51.100000000+00:00 stderr F head=1a2b3c4d dur=41s',
    'not a log line',
    '2026-12-05T01:38:52.000000000+00:00 stdout F Stopped: complete',
    '2026-12-05T01:38:52.000000000+00:00 stdout F ',
    '',
  ].join('\n');
  expect(k8sLogText(raw)).toBe('peers: tick 1 peer=claude starting...\npeers: tick 1 handoff head=1a2b3c4d dur=41s\nStopped: complete\n\n');
});

test("podman logs argv: --attach's bound is the moment `up` began, to the millisecond, rounded down (podman keeps the lines after it)", () => {
  const upStartedAt = new Date(Date.UTC(2026, 11, 7, 3, 40, 5, 123) + 0.9);
  expect(containerLogsArgs({ name: 'peers-app-loop', follow: true, since: upStartedAt })).toEqual(['logs', '-f', '--since', '2026-12-07T03:40:05.123Z', 'peers-app-loop']);
  // `peers logs` (-f): the whole log, every `up`'s.
  expect(containerLogsArgs({ name: 'peers-app-loop', follow: true })).toEqual(['logs', '-f', 'peers-app-loop']);
  expect(containerLogsArgs({ name: 'peers-app-loop', follow: false })).toEqual(['logs', 'peers-app-loop']);
  // --attach to a run already running: its recent lines, from its loop's start on.
  expect(containerLogsArgs({ name: 'peers-app-loop', follow: true, since: upStartedAt, tail: 20 })).toEqual(['logs', '-f', '--since', '2026-12-07T03:40:05.123Z', '--tail', '20', 'peers-app-loop']);
});

test("podman logs' stderr: the container's lines are log (stdout), podman's own warnings and error are not (stderr); split lines are judged whole", () => {
  const s = new PodmanStderrSplitter();
  const a = s.push('peers: tick 2 peer=bob star');
  expect(a).toEqual({ log: '', diagnostics: '' });
  const b = s.push('ting...\ntime="2026-12-07T03:38:45Z" level=error msg="User-selected graph driver \\"vfs\\" overwritten"\nWARN[0000] cgroupv2 not enabled\npeers: error: a loop line\nError: no container with name or ID "x" found\npartial');
  expect(b.log).toBe('peers: tick 2 peer=bob starting...\npeers: error: a loop line\n');
  expect(b.diagnostics).toBe('time="2026-12-07T03:38:45Z" level=error msg="User-selected graph driver \\"vfs\\" overwritten"\nWARN[0000] cgroupv2 not enabled\nError: no container with name or ID "x" found\n');
  // A last line without its newline (the container printed it so) is still shown when podman ends.
  expect(s.end()).toEqual({ log: 'partial', diagnostics: '' });
  expect(isPodmanDiagnostic('peers: tick 1 no-handoff -- Error: boom')).toBe(false);
});
