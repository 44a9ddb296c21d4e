/**
 * `peers up` restarting a stopped sidecar or runner says why it stopped (sandbox/pod-repair.ts): a
 * sidecar that exits on its own stops again after the restart, and its reason was only in
 * `podman logs`.
 */
import { expect, test } from 'bun:test';
import { stoppedBecause } from '../../../sandbox/pod-repair.ts';

test("a container that exited on its own is named with its exit code and its last line on stderr, podman's own warnings left out", () => {
  const stderr = 'peers auth sidecar listening: 127.0.0.1:8080\npeers: error: --upstream openai needs OPENAI_API_KEY\ntime="2026-12-07T10:00:00Z" level=warning msg="The cgroupv2 manager is set to systemd"\n';
  expect(stoppedBecause('2', '', stderr)).toBe('exit 2; its last line: peers: error: --upstream openai needs OPENAI_API_KEY');
});

test('a killed one says so; with nothing on stderr its last line on stdout is shown, and with no output at all only the exit code', () => {
  expect(stoppedBecause('137', '{"allowed":true}\n', '')).toBe('exit 137 (killed); its last line: {"allowed":true}');
  expect(stoppedBecause('137', '', '')).toBe('exit 137 (killed)');
  expect(stoppedBecause(undefined, '', '')).toBe('exit code unknown');
});

test("its last line stays one line of inert text, however long: escape sequences shown, line breaks folded, cut at 300 characters", () => {
  const said = stoppedBecause('1', '', `\u001b]52;c;cGVlcnM=\u0007boom\u2028Over: complete ${'x'.repeat(400)}\n`);
  expect(said).not.toContain('\u001b');
  expect(said).not.toContain('\u2028');
  expect(said.split('\n')).toHaveLength(1);
  expect(said.length).toBeLessThan(340);
});
