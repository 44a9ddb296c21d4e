/**
 * `peers dashboard` during a scripted run: a real loop (fake peers working in visible steps) on a
 * registered project, the dashboard's page in headless Chromium updating as the run advances, the
 * drill-down, and the server refusing requests without its token or with a foreign Host.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDashboard, type Dashboard } from '../../../apps/dashboard/server.ts';
import { stateDirFor } from '../../../src/state/paths.ts';
import { ensureRegistered } from '../../../sandbox/registry.ts';
import { makeProject, REPO_ROOT, type Project } from '../loop/harness.ts';
import { launchChromium, pngSize, type Browser } from './chromium.ts';

let browser: Browser;
let p: Project | undefined;
let dashboard: Dashboard | undefined;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await dashboard?.stop();
  p?.cleanup();
});

const stepping = { env: { STEPS: '6', STEP_DELAY: '0.4' } };

test('the page shows the registered run live: who works on what, the tick advancing, then the stop; the drill-down has the peers and gates', async () => {
  p = makeProject({ peers: { alice: 'slow-steps', bob: 'slow-steps' }, peerExtra: { alice: stepping, bob: stepping }, goals: [{ id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' }] });
  const env = { ...process.env, HOME: p.root, XDG_CONFIG_HOME: join(p.root, 'config'), XDG_STATE_HOME: join(p.root, 'state-home') };
  const entry = await ensureRegistered(p.repo, env);
  const loop = Bun.spawn([process.execPath, join(REPO_ROOT, 'src/main.ts'), 'loop', p.repo, '--state-dir', stateDirFor(p.repo, env), '--max-ticks', '3', '--backoff-base-ms', '10'], { stdout: 'ignore', stderr: 'ignore', env });
  dashboard = startDashboard({ env, cacheMs: 200 });
  const page = await browser.page();
  await page.goto(dashboard.url);

  const row = `document.querySelector('#projects tr.project')`;
  const first = await page.waitFor<{ tick: number; now: string }>(
    `(() => { const r = ${row}; if (!r || !r.querySelector('.status-running')) return null;
       const now = r.cells[3].textContent; const m = /tick (\\d+): (alice|bob) for \\d+s.*step \\d of 6 by (alice|bob)/.exec(now);
       return m ? { tick: Number(m[1]), now } : null; })()`,
    'a running row saying which peer works on which step',
    60_000,
  );
  expect(await page.evaluate<string>(`${row}.cells[0].textContent`)).toBe(entry.name!);
  // The page redraws by itself as the run advances: a later turn appears without a reload.
  await page.waitFor(`(() => { const m = /tick (\\d+):/.exec(${row}.cells[3].textContent); return m && Number(m[1]) > ${first.tick}; })()`, 'a later turn', 60_000);

  await page.evaluate(`${row}.click()`);
  await page.waitFor(`document.getElementById('detail-name')`, 'the drill-down');
  expect(await page.evaluate<string[]>(`[...document.querySelectorAll('#peers tbody tr td:first-child')].map((c) => c.textContent)`)).toEqual(['alice', 'bob']);
  expect(await page.evaluate<string>(`document.querySelector('#gates tbody tr').dataset.gate`)).toBe('never-green');

  await loop.exited;
  await page.evaluate(`document.getElementById('back').click()`);
  await page.waitFor(`(() => { const r = ${row}; return r && /stopped \\(max_ticks\\)/.test(r.cells[1].textContent) && r.cells[2].textContent === '3'; })()`, 'the stopped run at tick 3', 30_000);
  expect(pngSize(await page.screenshot()).width).toBeGreaterThan(300);
  expect(page.errors).toEqual([]);
}, 180_000);

test('the server answers only with its token and its own Host, and only reads', async () => {
  dashboard = startDashboard({ env: { ...process.env, XDG_CONFIG_HOME: '/nonexistent-peers-test' } });
  const base = `http://127.0.0.1:${dashboard.port}`;
  expect((await fetch(`${base}/`)).status).toBe(403);
  expect((await fetch(`${base}/t/${'x'.repeat(dashboard.token.length)}/api/projects`)).status).toBe(403);
  const ok = await fetch(`${dashboard.url}api/projects`);
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect((await fetch(`${dashboard.url}api/projects`, { headers: { host: `attacker.example:${dashboard.port}` } })).status).toBe(421);
  expect((await fetch(`${dashboard.url}api/projects`, { method: 'POST' })).status).toBe(405);
});
