/**
 * The lifeline (sandbox/lifeline.ts) on real Unix sockets: the other containers' processes learn
 * that the loop is gone however it ends — a clean exit, SIGKILL — and also when it never came; a
 * flood of connections cannot take the loop's file descriptors.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { holdLifeline, loopExitWatch, watchLifeline } from '../../../sandbox/lifeline.ts';
import { waitFor } from '../../wait-for.ts';

const dirs: string[] = [];
function socketPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'peers-lifeline-'));
  dirs.push(d);
  return join(d, 'loop.sock');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lostPromise(path: string, o: { waitMs?: number } = {}): { lost: Promise<string>; connected: Promise<void> } {
  let resolveLost!: (why: string) => void;
  let resolveConnected!: () => void;
  const lost = new Promise<string>((r) => (resolveLost = r));
  const connected = new Promise<void>((r) => (resolveConnected = r));
  watchLifeline(path, { waitMs: o.waitMs, pollMs: 20, onLost: resolveLost, onConnected: resolveConnected });
  return { lost, connected };
}

describe('the lifeline', () => {
  test('a watcher that started before the loop connects once it listens, and hears when the loop closes it', async () => {
    const path = socketPath();
    let lostWhy: string | null = null;
    const w = lostPromise(path);
    void w.lost.then((why) => (lostWhy = why));
    await Bun.sleep(100); // the loop container starts last: the watcher is already polling
    const line = await holdLifeline(path);
    await w.connected;
    expect(lostWhy).toBeNull();
    await line.close();
    expect(await w.lost).toBe('the loop has stopped');
  });

  test('a loop process killed with SIGKILL drops the line too (the kernel closes it)', async () => {
    const path = socketPath();
    const script = `import { holdLifeline } from ${JSON.stringify(resolve(import.meta.dir, '../../../sandbox/lifeline.ts'))}; await holdLifeline(${JSON.stringify(path)}); console.log('holding'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    const w = lostPromise(path);
    await w.connected;
    let lost = false;
    void w.lost.then(() => (lost = true));
    // An absence (the line holds while the loop lives): watch it for a while; nothing to wait for.
    await Bun.sleep(200);
    expect(lost).toBe(false);
    child.kill('SIGKILL');
    expect(await w.lost).toBe('the loop has stopped');
  });

  test('a loop that never listens: the watcher gives up after its wait and says so', async () => {
    const path = socketPath();
    const w = lostPromise(path, { waitMs: 300 });
    expect(await w.lost).toContain('never started listening');
  });

  test('a flood of connections (a peer in the workspace can connect) is capped; the line still drops for the real watchers', async () => {
    const path = socketPath();
    const line = await holdLifeline(path);
    const w = lostPromise(path);
    await w.connected;
    const flood: Socket[] = [];
    let closedByLoop = 0;
    for (let i = 0; i < 100; i++) {
      const s = connect(path);
      s.on('error', () => {});
      s.resume(); // a refused line is told so before it closes (see the test of peers down below)
      s.on('close', () => closedByLoop++);
      flood.push(s);
    }
    // All but the first 31 extra connections are closed by the loop at once.
    await waitFor('the loop to close the refused connections', () => closedByLoop >= 100 - 31);
    expect(closedByLoop).toBe(100 - 31);
    await line.close();
    expect(await w.lost).toBe('the loop has stopped');
    for (const s of flood) s.destroy();
    expect(existsSync(path)).toBe(false);
  });

  test('the loop learns which container died and when it is back: a role is down while no connection holds it', async () => {
    const path = socketPath();
    const line = await holdLifeline(path, ['egress', 'auth']);
    const watch = (role: string) => {
      let connected!: () => void;
      const ready = new Promise<void>((r) => (connected = r));
      const w = watchLifeline(path, { role, pollMs: 20, onLost: () => {}, onConnected: connected });
      return { ready, stop: () => w.stop() };
    };
    const egress = watch('egress');
    const auth = watch('auth');
    await Promise.all([egress.ready, auth.ready]);
    await waitFor('every member to be reported up', () => line.down().length === 0);
    // The container dies: its connection closes, and the loop is told.
    let changed = line.changed();
    egress.stop();
    await changed;
    await waitFor('the egress member to be reported down', () => line.down().join() === 'egress');
    // Restarted (peers up): it connects again and the role is back.
    changed = line.changed();
    const again = watch('egress');
    await again.ready;
    await changed;
    await waitFor('every member to be reported up', () => line.down().length === 0);
    auth.stop();
    again.stop();
    await waitFor('auth and egress to be reported down', () => line.down().join() === 'auth,egress');
    await line.close();
  });

  test('a peer naming a role it does not hold cannot make the loop think a live container died', async () => {
    const path = socketPath();
    const line = await holdLifeline(path, ['egress']);
    let connected!: () => void;
    const ready = new Promise<void>((r) => (connected = r));
    const registered = line.changed();
    const real = watchLifeline(path, { role: 'egress', pollMs: 20, onLost: () => {}, onConnected: connected });
    await ready;
    await registered;
    // The workspace connects as a role of no container of this pod, and with junk: ignored.
    const ignored = ['model-server\n', 'x'.repeat(100)].map((text) => {
      const s = connect(path);
      s.on('error', () => {});
      s.write(text);
      return s;
    });
    // It connects as egress beside the real one, then drops: egress is still held.
    let changed = line.changed();
    const fake = connect(path);
    fake.on('error', () => {});
    fake.write('egress\n');
    await changed;
    changed = line.changed();
    fake.destroy();
    for (const s of ignored) s.destroy();
    await changed;
    expect(line.down()).toEqual([]);
    // Only the real egress's departure makes it down.
    changed = line.changed();
    real.stop();
    await changed;
    expect(line.down()).toEqual(['egress']);
    await line.close();
  });

  test('a container is named to the loop only once it serves, and the loop\'s start waits for every one of them', async () => {
    const path = socketPath();
    const line = await holdLifeline(path, ['setup', 'gates']);
    let serveSetup!: () => void;
    let serveGates!: () => void;
    const connected: Promise<void>[] = [];
    const watch = (role: string, ready: Promise<void>) => {
      let c!: () => void;
      connected.push(new Promise<void>((r) => (c = r)));
      return watchLifeline(path, { role, ready, pollMs: 20, onLost: () => {}, onConnected: c });
    };
    const setup = watch('setup', new Promise<void>((r) => (serveSetup = r)));
    const gates = watch('gates', new Promise<void>((r) => (serveGates = r)));
    await Promise.all(connected);
    let started: string[] | undefined;
    void line.started(new AbortController().signal, 30_000).then((missing) => (started = missing));
    // Connected (they stop with the loop from now on) but not serving: the loop does not count them.
    const counted = line.changed();
    serveSetup();
    await counted; // setup named itself; gates is still connected without a name
    await Bun.sleep(0);
    expect(started).toBeUndefined();
    serveGates();
    await waitFor('the start to see every container serving', () => started !== undefined);
    expect(started).toEqual([]);
    // One that never serves: the start gives up after its wait and names it; a stop request ends it at once.
    const late = await holdLifeline(socketPath(), ['auth']);
    expect(await late.started(new AbortController().signal, 100)).toEqual(['auth']);
    // From then on it is down, like a container that died: the run holds until it serves.
    expect(late.down()).toEqual(['auth']);
    const stopped = await holdLifeline(socketPath(), ['auth']);
    const stop = new AbortController();
    const waiting = stopped.started(stop.signal, 60_000);
    stop.abort();
    expect(await waiting).toEqual(['auth']);
    expect(stopped.down()).toEqual([]);
    setup.stop();
    gates.stop();
    await Promise.all([line.close(), late.close(), stopped.close()]);
  });

  test('a start over some roles (the first gate probe\'s) resolves once those serve, while the others still start', async () => {
    const path = socketPath();
    const line = await holdLifeline(path, ['setup', 'gates', 'workspace']);
    let serveWorkspace!: () => void;
    const watchers = [
      watchLifeline(path, { role: 'setup', pollMs: 20, onLost: () => {} }),
      watchLifeline(path, { role: 'gates', pollMs: 20, onLost: () => {} }),
      watchLifeline(path, { role: 'workspace', ready: new Promise<void>((r) => (serveWorkspace = r)), pollMs: 20, onLost: () => {} }),
    ];
    let all: string[] | undefined;
    void line.started(new AbortController().signal, 30_000).then((missing) => (all = missing));
    // egress is not a role of this pod: the start over [setup, gates, egress] does not wait for it.
    expect(await line.started(new AbortController().signal, 5_000, ['setup', 'gates', 'egress'])).toEqual([]);
    expect(all).toBeUndefined();
    serveWorkspace();
    await waitFor('the whole start to see the workspace serving', () => all !== undefined);
    expect(all).toEqual([]);
    // A role of the subset that never serves is named, and down from then on; the others are not.
    const late = await holdLifeline(socketPath(), ['gates', 'auth']);
    expect(await late.started(new AbortController().signal, 100, ['gates'])).toEqual(['gates']);
    expect(late.down()).toEqual(['gates']);
    for (const w of watchers) w.stop();
    await Promise.all([line.close(), late.close()]);
  });

  test('peers down learns the loop\'s exit from the line; a line the loop refuses is never taken for an exit', async () => {
    const path = socketPath();
    expect(await loopExitWatch(path)).toBeNull(); // nothing listens: down falls back to podman stop
    const script = `import { holdLifeline } from ${JSON.stringify(resolve(import.meta.dir, '../../../sandbox/lifeline.ts'))}; await holdLifeline(${JSON.stringify(path)}); console.log('holding'); process.on('SIGTERM', () => setTimeout(() => process.exit(0), 100)); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    const watch = (await loopExitWatch(path))!;
    expect(await watch.exited(200)).toBe('timeout'); // the loop lives
    // A peer takes every other slot: the next line is refused, and says so.
    const flood: Socket[] = [];
    for (let i = 0; i < 31; i++) {
      const s = connect(path);
      s.on('error', () => {});
      flood.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
    }
    const refused = (await loopExitWatch(path))!;
    expect(await refused.exited(10_000)).toBe('refused');
    child.kill('SIGTERM');
    expect(await watch.exited(10_000)).toBe('exited');
    expect(child.exitCode ?? (await new Promise((r) => child.once('exit', r)))).toBe(0);
    for (const s of flood) s.destroy();
  });
});
