/** Parses `--listen`: `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback). Port 0 picks a free port. */
import { isIP } from 'node:net';
import { InputError } from '../cli/errors.ts';

/** A host name as DNS allows it (labels of letters, digits and inner hyphens), or an IP address. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? (m[2] || '127.0.0.1')) : '';
  // `1.2.3.4.5` looks like a name to the pattern above; the socket layer fails on it with ENOTTY.
  const hostOk = m?.[1] !== undefined ? isIP(host) === 6 : isIP(host) === 4 || (HOST_NAME.test(host) && !/^[\d.]+$/.test(host));
  if (!m || port > 65535 || !hostOk) throw new InputError(`--listen ${value}: expected HOST:PORT, e.g. 127.0.0.1:8089`);
  return { host, port };
}
