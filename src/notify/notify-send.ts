/**
 * Sends one notification from the host: the configured command (argv, no shell, the payload as
 * JSON on stdin, bounded in time and output) and/or a POST of the payload to the webhook (no
 * redirects followed: a 3xx is a failure to report, not a hop to an address nobody configured).
 */
import { homedir } from 'node:os';
import { PEERS_VERSION } from '../cli/version.ts';
import { supervise } from '../proc/supervise.ts';
import { payloadEnv, type NotifyPayload } from './notify-events.ts';
import type { NotifySettings } from '../config/notify-schema.ts';
import type { SendOutcome } from './notify-store.ts';

const clip = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 300);

async function runCommand(argv: string[], payload: NotifyPayload, timeoutS: number): Promise<SendOutcome> {
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const r = await supervise({
    argv,
    cwd: process.env.HOME || homedir(),
    env: { ...env, ...payloadEnv(payload) },
    stdin: `${JSON.stringify(payload)}\n`,
    absoluteTimeoutMs: timeoutS * 1000,
    killGraceMs: 2000,
    maxStreamBytes: 64 * 1024,
  });
  if (r.endedBy === 'spawn-error') return { channel: 'command', ok: false, detail: `could not start ${argv[0]}: ${r.spawnError}` };
  if (r.endedBy === 'absolute-timeout') return { channel: 'command', ok: false, detail: `${argv[0]} took longer than ${timeoutS}s and was stopped` };
  return { channel: 'command', ok: r.exitCode === 0, detail: `${argv[0]} exited ${r.exitCode ?? r.signal}${r.exitCode === 0 ? '' : `: ${clip(r.stderr || r.stdout)}`}` };
}

async function postWebhook(url: string, payload: NotifyPayload, timeoutS: number): Promise<SendOutcome> {
  const where = new URL(url).origin;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `peers/${PEERS_VERSION}` },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutS * 1000),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { channel: 'webhook', ok: res.status >= 200 && res.status < 300, detail: `${where} answered ${res.status}` };
  } catch (error) {
    return { channel: 'webhook', ok: false, detail: `${where}: ${clip((error as Error).message)}` };
  }
}

export async function sendNotification(s: NotifySettings, payload: NotifyPayload): Promise<SendOutcome[]> {
  const out: SendOutcome[] = [];
  if (s.command) out.push(await runCommand(s.command, payload, s.timeout_s));
  if (s.webhook) out.push(await postWebhook(s.webhook, payload, s.timeout_s));
  return out;
}
