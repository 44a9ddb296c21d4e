/**
 * What the host remembers about notifications, in `<state dir>.notify/`: a directory beside the
 * state dir rather than inside it, because the loop container mounts the state dir read-write and
 * nothing a container can write may choose the command the host runs. No container mounts it.
 *   armed.json      written by `peers up` from the operator's config: the settings to use and the
 *                   moment from which events count. Never re-read from the repository afterwards,
 *                   so nothing a peer commits to `.peers/config.yaml` can change the command the
 *                   host runs (SECURITY.md).
 *   sent/<id>.json  one file per event, created with O_EXCL before anything is sent: whichever
 *                   host process creates it sends, every other one skips, so an event is notified
 *                   at most once even with the watcher and `peers status` racing. The outcome of
 *                   the sending is then written into it atomically.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { assertSafeDir, writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { NotifySchema } from '../config/notify-schema.ts';

export const ArmedSchema = z.object({
  schema_version: z.literal(1),
  armed_at: z.string(),
  project: z.object({ name: z.string(), path: z.string() }),
  settings: NotifySchema,
});
export type Armed = z.infer<typeof ArmedSchema>;

export const notifyDir = (stateDir: string) => join(dirname(stateDir), `${basename(stateDir)}.notify`);
const armedPath = (stateDir: string) => join(notifyDir(stateDir), 'armed.json');
const sentDir = (stateDir: string) => join(notifyDir(stateDir), 'sent');
const sentPath = (stateDir: string, id: string) => join(sentDir(stateDir), `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`);

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertSafeDir(dir);
}

/** Arms notifications for the run `peers up` starts (or disarms them when the config has none). */
export function armNotifications(stateDir: string, project: Armed['project'], settings: Armed['settings'] | undefined, now = new Date()): void {
  if (!settings) {
    if (existsSync(armedPath(stateDir))) unlinkSync(armedPath(stateDir));
    return;
  }
  ensureDir(notifyDir(stateDir));
  const armed: Armed = { schema_version: 1, armed_at: now.toISOString(), project, settings };
  writeFileAtomic(armedPath(stateDir), `${JSON.stringify(armed, null, 2)}\n`);
}

/** The armed settings; null when not armed. A damaged file is an error the caller reports. */
export function readArmed(stateDir: string): Armed | null {
  const text = readTextIfExists(armedPath(stateDir), MiB);
  if (text === undefined) return null;
  return ArmedSchema.parse(JSON.parse(text));
}

/** Takes the event for this process; false when another one already has it. */
export function claimEvent(stateDir: string, id: string, record: unknown): boolean {
  ensureDir(sentDir(stateDir));
  let fd: number;
  try {
    fd = openSync(sentPath(stateDir, id), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify({ id, state: 'sending', record })}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

export type SendOutcome = { channel: 'command' | 'webhook'; ok: boolean; detail: string };

export function recordSent(stateDir: string, id: string, record: unknown, outcomes: SendOutcome[], at = new Date()): void {
  writeFileAtomic(sentPath(stateDir, id), `${JSON.stringify({ id, state: outcomes.every((o) => o.ok) ? 'sent' : 'failed', at: at.toISOString(), outcomes, record }, null, 2)}\n`);
}

export function isClaimed(stateDir: string, id: string): boolean {
  return existsSync(sentPath(stateDir, id));
}

/** Every recorded notification (for `peers status` and tests). */
export function sentNotifications(stateDir: string): Array<{ id: string; state: string; at?: string; outcomes?: SendOutcome[] }> {
  let names: string[] = [];
  try {
    names = readdirSync(sentDir(stateDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      return [JSON.parse(readTextIfExists(join(sentDir(stateDir), n), MiB) ?? 'null')];
    } catch {
      return [];
    }
  });
}

/** One line for `peers status` when notifications are armed: what was sent, and the last failure. */
export function notifyStatusLine(stateDir: string): string | undefined {
  let armed: Armed | null;
  try {
    armed = readArmed(stateDir);
  } catch (error) {
    return `Notifications: cannot read ${armedPath(stateDir)} (${(error as Error).message.split('\n')[0]}): run \`peers up\` again to re-arm them`;
  }
  if (!armed) return undefined;
  const to = [armed.settings.command ? `command ${armed.settings.command[0]}` : '', armed.settings.webhook ? `webhook ${new URL(armed.settings.webhook).origin}` : ''].filter(Boolean).join(' and ');
  const records = sentNotifications(stateDir).sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  const failed = records.filter((r) => r.state === 'failed');
  const lastFailure = failed.at(-1)?.outcomes?.find((o) => !o.ok)?.detail;
  return `Notifications: to ${to} on ${armed.settings.on.join(', ')}; ${records.length - failed.length} sent, ${failed.length} failed${lastFailure ? ` (last: ${lastFailure})` : ''}`;
}
