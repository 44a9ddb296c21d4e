/** `peers down` signals the loop through its pidfile only while the PID is still that loop's init (sandbox/loop-pid.ts). */
import { expect, test } from 'bun:test';
import { loopInitPid } from '../../../sandbox/loop-pid.ts';

const proc = (cmdline: string[], env: string[] = ['HOME=/home/peer', 'PEERS_PROJECT=app-1234']) => ({ cmdline: `${cmdline.join('\0')}\0`, environ: `${env.join('\0')}\0` });
const loopInit = ['/run/podman-init', '--', '/usr/local/bin/peers', 'loop', '/state/run/clone', '--state-dir', '/state'];

test('the PID is taken while it names podman\'s init running this project\'s loop', () => {
  expect(loopInitPid('4242\n', proc(loopInit), 'app-1234')).toBe(4242);
  expect(loopInitPid('4242', proc(['/usr/libexec/podman/catatonit', ...loopInit.slice(1)]), 'app-1234')).toBe(4242);
});

test('a PID now naming anything else is not signalled: another process, another runner, another project\'s loop, garbage', () => {
  expect(loopInitPid('4242', proc(['/usr/bin/vim', 'notes']), 'app-1234')).toBeNull();
  expect(loopInitPid('4242', proc(['/run/podman-init', '--', '/usr/local/bin/peers', 'runner', '--socket', 'x']), 'app-1234')).toBeNull();
  expect(loopInitPid('4242', proc(['/usr/local/bin/peers', 'loop', '/state/run/clone']), 'app-1234')).toBeNull();
  expect(loopInitPid('4242', proc(loopInit, ['PEERS_PROJECT=other-9999']), 'app-1234')).toBeNull();
  expect(loopInitPid('4242', proc(loopInit, ['PEERS_PROJECT=app-12345']), 'app-1234')).toBeNull();
  for (const bad of ['', '0', '-1', '42x', '1 2', '99999999999']) expect(loopInitPid(bad, proc(loopInit), 'app-1234')).toBeNull();
});
