/**
 * The one wait for Ctrl-C / `podman stop` every long-running command uses (src/cli/stop-signal.ts):
 * the first signal ends the wait or aborts the work, and no listener outlives the command.
 */
import { describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { abortOnStopSignal, untilStopSignal } from '../../../src/cli/stop-signal.ts';

const listeners = (e: EventEmitter) => e.listenerCount('SIGINT') + e.listenerCount('SIGTERM');

describe('untilStopSignal', () => {
  test.each(['SIGINT', 'SIGTERM'] as const)('resolves with %s and removes both listeners', async (name) => {
    const signals = new EventEmitter();
    const waiting = untilStopSignal(signals);
    expect(listeners(signals)).toBe(2);
    signals.emit(name);
    expect(await waiting).toBe(name);
    expect(listeners(signals)).toBe(0);
  });

  test('does not resolve before a signal arrives', async () => {
    const signals = new EventEmitter();
    let done = false;
    void untilStopSignal(signals).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    signals.emit('SIGTERM');
    await Promise.resolve();
    expect(done).toBe(true);
  });

  test('a real SIGTERM ends a process waiting on it, which then runs its cleanup and exits 0', async () => {
    const script = `import { untilStopSignal } from ${JSON.stringify(join(import.meta.dir, '../../../src/cli/stop-signal.ts'))};
      const stopped = untilStopSignal(process);
      // Ready once the handler is in (one event-loop turn: the runtime installs it then).
      setImmediate(() => console.log('ready'));
      console.log('stopped by ' + (await stopped));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((out += d), out.includes('ready') && resolve())));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).toContain('stopped by SIGTERM');
    expect(code).toBe(0);
  });
});

describe('abortOnStopSignal', () => {
  test('the first signal aborts the work; the work finishes its cleanup; then the listeners go', async () => {
    const signals = new EventEmitter();
    const result = abortOnStopSignal(signals, (signal) => new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('cleaned up'))));
    expect(listeners(signals)).toBe(2);
    signals.emit('SIGINT');
    // A second signal during cleanup is taken, not left to kill the process.
    signals.emit('SIGTERM');
    expect(await result).toBe('cleaned up');
    expect(listeners(signals)).toBe(0);
  });

  test('work that ends by itself (or throws) leaves no listener behind and its signal unaborted', async () => {
    const signals = new EventEmitter();
    let seen: AbortSignal | undefined;
    expect(await abortOnStopSignal(signals, async (s) => ((seen = s), 42))).toBe(42);
    expect(seen?.aborted).toBe(false);
    await expect(abortOnStopSignal(signals, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(listeners(signals)).toBe(0);
  });
});
