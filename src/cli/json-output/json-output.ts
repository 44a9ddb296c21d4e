/**
 * One JSON style for every `--json` output: an object with `schema_version` first, snake_case keys,
 * money rounded (money.ts), and a shape checked against the command's zod schema
 * (output-schemas.ts, the single source: `peers schema <command>` prints it as JSON Schema).
 *
 * Money is found by name, one rule for every command: a number is US dollars when a key on its path
 * is `usd`, starts with `usd_` or ends with `_usd` (`spend.usd`, `budget.usd.cap`, `usd_this_tick`).
 */
import type { z } from 'zod';
import { PeersError } from '../errors.ts';
import { usd } from './money.ts';
import { OUTPUT_SCHEMAS, SCHEMA_VERSION, type OutputName } from './output-schemas.ts';

export const isMoneyKey = (key: string) => key === 'usd' || key.startsWith('usd_') || key.endsWith('_usd');

/** `value` with every money number rounded. */
export function roundMoney(value: unknown, inMoney = false): unknown {
  if (typeof value === 'number') return inMoney && Number.isFinite(value) ? usd(value) : value;
  if (Array.isArray(value)) return value.map((v) => roundMoney(v, inMoney));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundMoney(v, inMoney || isMoneyKey(k))]));
  return value;
}

export function hasOutputSchema(command: string): command is OutputName {
  return Object.hasOwn(OUTPUT_SCHEMAS, command);
}

/**
 * The document `peers <command> --json` prints. A result that does not match its schema is a bug in
 * peers (exit 70 with the path that is wrong), never a silently different shape.
 */
export function jsonOutput(command: string, result: unknown): Record<string, unknown> {
  if (!hasOutputSchema(command)) throw new Error(`no JSON output schema for '${command}' (src/cli/json-output/output-schemas.ts)`);
  const schema: z.ZodType = OUTPUT_SCHEMAS[command];
  const parsed = schema.safeParse(roundMoney(result));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${command} --json: the output does not match its schema at ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return { schema_version: SCHEMA_VERSION, ...(parsed.data as Record<string, unknown>) };
}

/** The JSON of a failed command: `{ schema_version, error: { message, exit_code, location, hint } }`. */
export function jsonError(error: PeersError): Record<string, unknown> {
  return { schema_version: SCHEMA_VERSION, error: { message: error.message, exit_code: error.exitCode, location: error.location ?? null, hint: error.hint ?? null } };
}
