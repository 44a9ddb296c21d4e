/** `peers logs` after `peers down`: the loop's console as podman kept it in loop.log (k8s-file lines). */
import { expect, test } from 'bun:test';
import { k8sLogText } from '../../../sandbox/logs.ts';

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
