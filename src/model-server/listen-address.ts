/** Parses `--listen`: `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback). Port 0 picks a free port. */
import { InputError } from '../cli/errors.ts';

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new InputError(`--listen ${value}: expected HOST:PORT, e.g. 127.0.0.1:8089`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
