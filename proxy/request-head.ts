/**
 * Reads and parses one HTTP/1.1 request head from a proxy client, within strict limits.
 *
 * The proxy parses the head itself (instead of an HTTP server library) so that every limit and
 * ambiguity is decided here, explicitly: an over-long request line, an oversized head, too many
 * headers, obsolete line folding, duplicate Host, and bare LF line endings are all refused, because
 * two parsers that disagree about a request are how smuggling starts.
 */
export type HeadLimits = { maxRequestLineBytes: number; maxHeaderBytes: number; maxHeaderCount: number };

export type RequestHead = {
  method: string;
  target: string;
  version: string;
  /** Header names lower-cased, in arrival order; values trimmed. */
  headers: [string, string][];
  /** Bytes received after the head (the start of a body or of tunnelled data). */
  rest: Buffer;
};

export class HeadError extends Error {
  constructor(readonly status: number, reason: string) {
    super(reason);
    this.name = 'HeadError';
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Checks the bytes received so far. Returns the parsed head once complete, null when more bytes
 * are needed; throws HeadError as soon as a limit is exceeded (without waiting for the rest).
 */
export function tryParseHead(buf: Buffer, limits: HeadLimits): RequestHead | null {
  const lineEnd = buf.indexOf('\r\n');
  const firstLineLen = lineEnd < 0 ? buf.length : lineEnd;
  if (firstLineLen > limits.maxRequestLineBytes) throw new HeadError(414, `request line longer than ${limits.maxRequestLineBytes} bytes`);
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > limits.maxHeaderBytes) throw new HeadError(431, `request head larger than ${limits.maxHeaderBytes} bytes`);
    return null;
  }
  if (end + 4 > limits.maxHeaderBytes) throw new HeadError(431, `request head larger than ${limits.maxHeaderBytes} bytes`);
  const text = buf.subarray(0, end).toString('latin1');
  const lines = text.split('\r\n');
  const requestLine = lines.shift()!;
  const parts = requestLine.split(' ');
  if (parts.length !== 3) throw new HeadError(400, 'malformed request line');
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) throw new HeadError(400, 'malformed method');
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') throw new HeadError(505, `unsupported protocol version ${version}`);
  if (lines.length > limits.maxHeaderCount) throw new HeadError(431, `more than ${limits.maxHeaderCount} header fields`);
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (line.includes('\n') || line.includes('\r')) throw new HeadError(400, 'bare CR or LF in the request head');
    if (/^[ \t]/.test(line)) throw new HeadError(400, 'obsolete header line folding refused');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HeadError(400, 'malformed header field');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HeadError(400, `malformed header name ${JSON.stringify(name.slice(0, 40))}`);
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const hosts = headers.filter(([n]) => n === 'host');
  if (hosts.length > 1) throw new HeadError(400, 'duplicate Host header');
  return { method, target, version, headers, rest: buf.subarray(end + 4) };
}

export function headerValue(head: RequestHead, name: string): string | undefined {
  return head.headers.find(([n]) => n === name)?.[1];
}

/** Splits `host:port` / `[v6]:port` authority text. Port is required when `defaultPort` is absent. */
export function splitAuthority(authority: string, defaultPort?: number): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
