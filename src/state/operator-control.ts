/**
 * The operator's live controls of a run: which peers are paused and the run's max runtime. The
 * host writes them (`peers pause|resume`, `peers up --max-runtime +6h`) to `control/operator.json`
 * in the state dir; the loop reads the file before every tick. In the pod the loop sees that
 * directory read-only and no other container mounts the state dir, so no peer can pause, resume
 * or extend anything (SECURITY.md, "Operator controls").
 *
 * Fail closed: a control file that exists but cannot be read or does not validate holds the run
 * (the loop waits and says why) instead of being ignored; a missing file means no controls.
 */
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/safe-read.ts';

export const CONTROL_VERSION = 1;
const CONTROL_READ_LIMIT = 64 * 1024;

export const OperatorControlSchema = z
  .object({
    version: z.literal(CONTROL_VERSION),
    /** Paused peers: they get no turn (not even as the skeptic) until resumed. */
    paused: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/), z.object({ since: z.string() }).strict()).default({}),
    /** The run's runtime cap in seconds (peer turn time, as budget.max_runtime_s), replacing the config's. */
    max_runtime_s: z.number().int().positive().optional(),
    updated_at: z.string(),
  })
  .strict();
export type OperatorControl = z.infer<typeof OperatorControlSchema>;

export type ControlRead = { ok: true; control: OperatorControl | null } | { ok: false; error: string };

export function emptyControl(now = new Date()): OperatorControl {
  return { version: CONTROL_VERSION, paused: {}, updated_at: now.toISOString() };
}

/** Parses the file's text (undefined: no file). */
export function parseControl(text: string | undefined): ControlRead {
  if (text === undefined) return { ok: true, control: null };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  const parsed = OperatorControlSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { ok: true, control: parsed.data };
}

/** Reads the control file without following a symlink; any failure is a ControlRead error. */
export function readControl(path: string): ControlRead {
  let text: string | undefined;
  try {
    text = readTextIfExists(path, CONTROL_READ_LIMIT);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return parseControl(text);
}

export function writeControl(path: string, control: OperatorControl): void {
  writeFileAtomic(path, `${JSON.stringify(OperatorControlSchema.parse(control), null, 2)}\n`);
}

/** The peers paused by the operator, in no particular order. */
export function pausedPeers(control: OperatorControl | null): string[] {
  return control ? Object.keys(control.paused) : [];
}

export function withPaused(control: OperatorControl | null, peer: string, paused: boolean, now = new Date()): OperatorControl {
  const base = control ?? emptyControl(now);
  const next = { ...base.paused };
  if (paused) next[peer] = base.paused[peer] ?? { since: now.toISOString() };
  else delete next[peer];
  return { ...base, paused: next, updated_at: now.toISOString() };
}

export function withMaxRuntime(control: OperatorControl | null, seconds: number, now = new Date()): OperatorControl {
  return { ...(control ?? emptyControl(now)), max_runtime_s: seconds, updated_at: now.toISOString() };
}
