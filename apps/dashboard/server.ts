/**
 * `peers dashboard`: a local web page showing every registered project live. It listens on
 * 127.0.0.1 only, on a random port unless told otherwise, and answers only under `/t/<token>/`,
 * a random 192-bit token printed with the URL: another local user or a web page in the browser
 * cannot read it without the token. It also refuses a Host header other than its own address
 * (DNS rebinding) and anything but GET. Responses carry a strict CSP, no-referrer (the token is
 * in the URL) and no-store. Read-only: nothing here changes a run.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { APP_CSS, APP_JS, INDEX_HTML } from './page.ts';
import { projectDetail, projectsSnapshot, type ProjectsSnapshot } from './dashboard-data.ts';

export const DASHBOARD_HOST = '127.0.0.1';

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

export type Dashboard = { url: string; port: number; token: string; stop(): Promise<void> };

export type DashboardOptions = {
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** Tests pass a fixed token; otherwise a fresh random one per start. */
  token?: string;
  /** How long one snapshot of every project is reused by concurrent pollers. */
  cacheMs?: number;
};

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function reply(status: number, body: string, type = 'text/plain; charset=utf-8'): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': type } });
}

export function startDashboard(o: DashboardOptions = {}): Dashboard {
  const env = o.env ?? process.env;
  const token = o.token ?? randomBytes(24).toString('base64url');
  const cacheMs = o.cacheMs ?? 750;
  let cached: { at: number; value: Promise<ProjectsSnapshot> } | undefined;
  const snapshot = () => {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), value: projectsSnapshot(env) };
    return cached.value;
  };
  let port = 0;
  const server = Bun.serve({
    hostname: DASHBOARD_HOST,
    port: o.port ?? 0,
    async fetch(req) {
      const url = new URL(req.url);
      const host = req.headers.get('host') ?? '';
      if (host !== `${DASHBOARD_HOST}:${port}` && host !== `localhost:${port}`) return reply(421, 'wrong host\n');
      const m = /^\/t\/([A-Za-z0-9_-]+)(\/.*)$/.exec(url.pathname);
      if (!m || !sameToken(m[1]!, token)) return reply(403, 'this dashboard needs the URL with its token (printed by `peers dashboard`)\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'read-only\n');
      const path = m[2]!;
      try {
        if (path === '/') return reply(200, INDEX_HTML, 'text/html; charset=utf-8');
        if (path === '/app.js') return reply(200, APP_JS, 'text/javascript; charset=utf-8');
        if (path === '/app.css') return reply(200, APP_CSS, 'text/css; charset=utf-8');
        if (path === '/api/projects') return reply(200, JSON.stringify(await snapshot()), 'application/json');
        if (path === '/api/project') {
          const detail = await projectDetail(url.searchParams.get('path') ?? '', env);
          return detail ? reply(200, JSON.stringify(detail), 'application/json') : reply(404, 'no such registered project\n');
        }
        return reply(404, 'not found\n');
      } catch (error) {
        return reply(500, `${(error as Error).message}\n`);
      }
    },
  });
  port = server.port ?? 0;
  return {
    url: `http://${DASHBOARD_HOST}:${port}/t/${token}/`,
    port,
    token,
    stop: async () => {
      await server.stop(true);
    },
  };
}
