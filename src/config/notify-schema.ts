/**
 * `notify:` in config.yaml: how the host tells the operator that a run needs them. The schema is
 * the single source of the setting's type, its messages and its JSON Schema (config-schema.ts
 * includes it). Each notification goes to a command run on the host and/or a webhook the host
 * POSTs to; the pod never sends anything (it has no network for it).
 */
import { z } from 'zod';

/**
 * complete        the run ended `complete`
 * limit           it stopped at a cap (a budget cap, --max-ticks): raise it or run again
 * halted          every peer, or a peer it cannot do without, is down (HALTED.md)
 * needs-operator  the peers declared the task impossible, a gate is stuck, the spend cannot be
 *                 read, the loop crashed or was killed
 * stopped         stopped on request (`peers down`, Ctrl-C)
 * rate-limited    a vendor rate limit makes the loop wait (once per streak)
 */
export const NOTIFY_EVENTS = ['complete', 'limit', 'halted', 'needs-operator', 'stopped', 'rate-limited'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export const DEFAULT_NOTIFY_EVENTS: NotifyEvent[] = ['complete', 'limit', 'halted', 'needs-operator', 'rate-limited'];

const webhookUrl = z
  .string()
  .trim()
  .refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'a webhook must be an http:// or https:// URL without user:password@');

export const NotifySchema = z
  .strictObject({
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Command the host runs for each notification, as argv (no shell): the payload arrives as JSON on its stdin, and PEERS_NOTIFY_EVENT, PEERS_NOTIFY_PROJECT, PEERS_NOTIFY_OUTCOME, PEERS_NOTIFY_TEXT in its environment.'),
    webhook: webhookUrl.optional().describe('URL the host POSTs each notification to, as JSON (the payload; its `text` field suits Slack-style hooks).'),
    on: z.array(z.enum(NOTIFY_EVENTS)).min(1).default(DEFAULT_NOTIFY_EVENTS).describe('Which events notify: complete, limit, halted, needs-operator, stopped, rate-limited (default: all but stopped).'),
    timeout_s: z.number().int().positive().max(300).default(15).describe('How long the command or the webhook may take.'),
  })
  .refine((n) => n.command !== undefined || n.webhook !== undefined, 'notify needs a command, a webhook, or both')
  .describe('Notifications when a run stops, halts, waits for a limit or needs the operator; sent by peers on the host, never from the pod.');

export type NotifySettings = z.output<typeof NotifySchema>;
