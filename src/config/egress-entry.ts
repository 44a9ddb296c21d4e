/**
 * What is wrong with an egress allow-list entry, said when the entry is read (config.yaml's
 * `egress.allow`, `peers up --allow`), so a bad one is refused before the pod starts: the egress
 * sidecar refuses it too (proxy/egress-policy.ts, parseAllowEntry, the authority), but there it can
 * only fail to start, and the run waits degraded for an egress that never comes.
 * The rules here are the sidecar's; test/unit/config/egress-entry.test.ts holds the two to the same
 * verdict on every entry it tries.
 */
import { isIP } from 'node:net';
import { InputError } from '../cli/errors.ts';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The `host[:port]` a URL-shaped entry (`https://proxy.golang.org/mod`, `pypi.org/simple`) meant, if any. */
function meantHost(text: string): string | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//.test(text) ? text : `https://${text}`);
    if (!url.hostname || url.hostname.includes('*')) return undefined;
    const defaultPort = url.protocol === 'http:' ? '80' : '443';
    const port = url.port && url.port !== '443' ? url.port : url.protocol === 'http:' ? defaultPort : '';
    return port ? `${url.hostname}:${port}` : url.hostname;
  } catch {
    return undefined;
  }
}

/** Why `raw` is not an allow-list entry, with what to write instead where that is clear; undefined when it is one. */
export function allowEntryProblem(raw: string): string | undefined {
  const text = raw.trim().toLowerCase();
  if (text.length === 0) return 'is empty';
  if (/[\s,/@]/.test(text)) {
    const host = /[\s,]/.test(text) ? undefined : meantHost(text);
    const instead = host ? `: write "${host}"` : '';
    return `must be "host", "*.suffix", optionally with ":port" (no scheme, path or spaces)${instead}`;
  }
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(text)!;
  const hostPart = m[1]!.replace(/\.$/, '');
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return `port ${m[2]} is out of range 1-65535`;
  const wildcard = hostPart.startsWith('*.');
  const name = wildcard ? hostPart.slice(2) : hostPart;
  if (name.includes('*')) return 'a wildcard is only allowed as the whole first label ("*.example.com")';
  // An address, or a name whose last label is numeric (no top-level domain is): the sidecar checks
  // where a name resolves, which an allowed address would bypass.
  if (isIP(name.replace(/^\[|\]$/g, '').replace(/%.*$/, '')) || /^(0x[0-9a-f]*|[0-9]+)$/i.test(name.split('.').filter(Boolean).pop() ?? '')) return 'IP addresses cannot be allow-listed; list the host name';
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) return 'is not a valid host name';
  if (wildcard && !name.includes('.')) return 'a wildcard must cover a registered domain ("*.example.com"), not a whole top-level domain';
  return undefined;
}

/** `peers up --allow` entries: the first bad one is refused (exit 2) with what to write instead. */
export function assertAllowFlags(entries: readonly string[]): void {
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem) throw new InputError(`--allow ${JSON.stringify(entry)}: ${problem}`, { hint: 'entries are "host" or "*.suffix", optionally ":port" (443 by default), e.g. --allow proxy.golang.org' });
  }
}
