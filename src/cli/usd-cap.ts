/**
 * The one parser for a spending cap given on a command line (`--max-usd`): `up`, `loop` and the
 * auth sidecar (through oclif or the pod's oclif-free start, commands/pod-roles.ts) hold it to the
 * config file's rule for budget.max_usd. No oclif import: the sidecar's fast start loads this.
 */
import { InputError } from './errors.ts';

/** A spending cap in US dollars as the command line gives it: a finite number above zero, else exit 2. */
export function parseUsdCap(text: string): number {
  // Decimal only: Number() also reads 0x10 as 16, 1e3 as 1000 and '' as 0, none of which a user means by dollars.
  const value = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) throw new InputError(`--max-usd must be a positive number of US dollars, got ${text}`, { hint: 'e.g. --max-usd 5' });
  return value;
}
