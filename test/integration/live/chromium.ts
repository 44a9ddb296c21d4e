/**
 * Headless Chromium (Debian's `chromium`, test/apt-packages.txt) driven over the DevTools protocol:
 * enough of it to open a page, read its DOM, collect console errors (CSP violations included) and
 * take a screenshot. A small client over Bun's WebSocket instead of a browser-automation package.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Pending = { resolve(v: unknown): void; reject(e: Error): void };
type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { message: string }; sessionId?: string };

export type Page = {
  goto(url: string): Promise<void>;
  /** Evaluates an expression in the page and returns its (JSON) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy; returns its value. */
  waitFor<T>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  screenshot(): Promise<Buffer>;
  /** Console errors, uncaught exceptions and browser log errors (e.g. a CSP violation) so far. */
  errors: string[];
};

export type Browser = { page(): Promise<Page>; close(): Promise<void> };

export const CHROMIUM = process.env.PEERS_TEST_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'peers-chromium-'));
  const proc = Bun.spawn(
    [CHROMIUM, '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { stdout: 'ignore', stderr: 'pipe' },
  );
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const dec = new TextDecoder();
    (async () => {
      for await (const chunk of proc.stderr) {
        seen += dec.decode(chunk);
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
        if (m) return resolve(m[1]!);
      }
      reject(new Error(`chromium exited before listening: ${seen.slice(-2000)}`));
    })();
  });
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot connect to ${wsUrl}`));
  });
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(m: Message) => void>();
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data)) as Message;
    if (m.id !== undefined && pending.has(m.id)) {
      const p = pending.get(m.id)!;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result);
      return;
    }
    for (const l of listeners) l(m);
  };
  const send = <T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  return {
    async page(): Promise<Page> {
      const { targetId } = await send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
      const errors: string[] = [];
      let loaded: (() => void) | undefined;
      listeners.add((m) => {
        if (m.sessionId !== sessionId) return;
        const p = m.params ?? {};
        if (m.method === 'Page.loadEventFired') loaded?.();
        if (m.method === 'Runtime.consoleAPICalled' && p.type === 'error') errors.push(`console: ${JSON.stringify(p.args)}`);
        if (m.method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
        if (m.method === 'Log.entryAdded' && (p.entry as { level?: string })?.level === 'error') errors.push(`log: ${(p.entry as { text?: string }).text}`);
      });
      await Promise.all(['Page.enable', 'Runtime.enable', 'Log.enable'].map((c) => send(c, {}, sessionId)));
      const evaluate = async <T>(expression: string): Promise<T> => {
        const r = await send<{ result: { value?: T }; exceptionDetails?: unknown }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
        if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
        return r.result.value as T;
      };
      return {
        errors,
        async goto(url) {
          const done = new Promise<void>((resolve) => (loaded = resolve));
          await send('Page.navigate', { url }, sessionId);
          await done;
        },
        evaluate,
        async waitFor<T>(expression: string, what: string, timeoutMs = 30_000): Promise<T> {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const v = await evaluate<T>(expression);
            if (v) return v;
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
            await Bun.sleep(100);
          }
        },
        async screenshot() {
          const { data } = await send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
          return Buffer.from(data, 'base64');
        },
      };
    },
    async close() {
      ws.close();
      proc.kill();
      await proc.exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A PNG's width and height, from its IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
