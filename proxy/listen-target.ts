/** Where a sidecar listens: `HOST:PORT` or `unix:PATH` on the command line. */
import { InputError } from '../src/cli/errors.ts';

export type ListenTarget = { host: string; port: number } | { path: string; mode?: number };

export function parseListenTarget(text: string, flag = '--listen'): ListenTarget {
  if (text.startsWith('unix:')) {
    if (text.length <= 5) throw new InputError(`${flag} ${text}: expected unix:PATH`);
    return { path: text.slice(5) };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new InputError(`${flag} ${text}: expected HOST:PORT or unix:PATH`, { hint: 'e.g. --listen 127.0.0.1:3128 or --listen unix:/run/peers/egress.sock' });
  return { host: m[1] ?? m[2]!, port };
}
