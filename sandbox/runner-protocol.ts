/**
 * The runner protocol: how the loop container asks a runner container (workspace, gates) to run a
 * process. JSON, one message per line, over a filesystem Unix socket on a volume shared only by
 * the loop and that runner. One connection carries one invocation:
 *
 *   loop → runner   {"type":"run", argv, env, cwd, stdin?, limits}
 *   runner → loop   {"type":"started", pid}
 *                   {"type":"output", stream, text}          (as it happens)
 *                   {"type":"streaming-stopped", afterBytes}  (a flood: the rest only in the result)
 *                   {"type":"exit", result: SupervisedResult}  then the runner closes
 *   loop → runner   {"type":"kill"}   graceful stop: SIGTERM to the group, grace, SIGKILL
 *   a dropped connection also stops the process: a dead loop must not leave peers running.
 * With a per-run key (runner-key.ts) every runner → loop message is sealed (runner-seal.ts).
 */
// zod's functional build: the runner runs for hours in its container and needs only these
// schemas, and the full build would hold ~5 MiB more of it in memory (BENCHMARKS.md, Memory).
import * as z from 'zod/mini';
import type { SupervisedResult } from '../src/proc/supervise.ts';

const positiveInt = z.int().check(z.positive());

export const RunLimitsSchema = z.object({
  idleTimeoutMs: z.optional(positiveInt),
  absoluteTimeoutMs: z.optional(positiveInt),
  killGraceMs: z.optional(z.int().check(z.nonnegative())),
  maxStreamBytes: z.optional(positiveInt),
});

export const RunRequestSchema = z.object({
  type: z.literal('run'),
  argv: z.array(z.string()).check(z.minLength(1)),
  /** Overlaid on the runner container's own environment (which carries the proxy and vendor URLs). */
  env: z._default(z.record(z.string(), z.string()), {}),
  cwd: z.string().check(z.minLength(1)),
  stdin: z.optional(z.string()),
  limits: z._default(RunLimitsSchema, {}),
  /** A peer turn: the runner stops what it leaves running, also outside its process group. */
  stopLeftovers: z.optional(z.boolean()),
  /** Makes every request line unique, so a sealed answer (runner-seal.ts) answers this one only. */
  nonce: z.optional(z.string()),
});
export const KillRequestSchema = z.object({ type: z.literal('kill'), reason: z.optional(z.string()) });
export const ClientMessageSchema = z.discriminatedUnion('type', [RunRequestSchema, KillRequestSchema]);

export type RunRequest = z.infer<typeof RunRequestSchema>;
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ServerMessage =
  | { type: 'started' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'streaming-stopped'; afterBytes: number }
  | { type: 'exit'; result: SupervisedResult }
  | { type: 'error'; message: string };

/** A request line longer than this is refused (stdin prompts are large, but not unbounded). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function encode(msg: ClientMessage | ServerMessage): string {
  return `${JSON.stringify(msg)}\n`;
}

/** Splits a byte stream into lines; calls `onLine` for each complete one. Throws past the cap. */
export class LineDecoder {
  private buf = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    this.buf += chunk;
    if (this.buf.length > MAX_MESSAGE_BYTES) throw new Error(`runner message over ${MAX_MESSAGE_BYTES} bytes`);
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim()) this.onLine(line);
    }
  }
}
