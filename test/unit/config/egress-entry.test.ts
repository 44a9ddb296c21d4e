/**
 * An allow-list entry the egress sidecar would refuse is refused where the user wrote it:
 * config.yaml's `egress.allow` (file, line, column, exit 2) and `peers up --allow` (exit 2), before
 * any pod starts. Before, `--allow https://sum.golang.org/x` or `allow: ["10.0.0.1"]` passed `up`,
 * the egress container exited at start, and the run waited "degraded: egress down" for good.
 * The message says what to write instead of a URL.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { allowEntryProblem, assertAllowFlags } from '../../../src/config/egress-entry.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { z } from 'zod';
import { parseAllowEntry } from '../../../proxy/egress-policy.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-egress-entry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ENTRIES = [
  'registry.npmjs.org', '*.pythonhosted.org', 'example.com:8443', 'EXAMPLE.com.', 'proxy.golang.org:443',
  'https://proxy.golang.org/mod', 'pypi.org/simple', 'http://example.com', 'user@host.org', 'a b', 'a,b', '',
  '10.0.0.1', '10.0.0.1:443', '127.1', '0x7f.1', '2130706433', '[::1]', '::1', 'fe80::1', 'a:b',
  '*', '*.', '*.com', 'a.*.com', 'x*.com', '-bad.com', 'bad-.com', `${'a'.repeat(64)}.com`, 'host:0', 'host:70000', 'host:99999',
];

describe('egress allow-list entries', () => {
  test('the config and the sidecar agree on every entry', () => {
    for (const entry of ENTRIES) {
      let sidecar: string | undefined;
      try {
        parseAllowEntry(entry);
      } catch (error) {
        sidecar = (error as Error).message;
      }
      expect([entry, allowEntryProblem(entry) === undefined]).toEqual([entry, sidecar === undefined]);
    }
  });

  test('a URL is refused with the host to write instead', () => {
    expect(allowEntryProblem('https://proxy.golang.org/mod')).toContain('write "proxy.golang.org"');
    expect(allowEntryProblem('pypi.org/simple')).toContain('write "pypi.org"');
    expect(allowEntryProblem('http://example.com')).toContain('write "example.com:80"');
    expect(allowEntryProblem('https://example.com:8443/x')).toContain('write "example.com:8443"');
    expect(allowEntryProblem('10.0.0.1')).toContain('IP addresses cannot be allow-listed');
  });

  test('config.yaml: an address or a URL in egress.allow is refused at load with its line and column', () => {
    const path = join(root, 'config.yaml');
    writeFileSync(path, 'peers:\n  - { name: a, tool: claude, argv: [claude, -p] }\n  - { name: b, tool: codex, argv: [codex, exec, "-"] }\negress:\n  allow: [pypi.org, "10.0.0.1", "https://proxy.golang.org/mod"]\n');
    let err: unknown;
    try {
      loadConfigFile(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    const text = (err as InputError).format();
    expect(text).toContain(`${path}:5:21: egress.allow[1]: egress entry "10.0.0.1" IP addresses cannot be allow-listed`);
    expect(text).toContain('egress.allow[2]: egress entry "https://proxy.golang.org/mod" must be "host"');
    expect(text).toContain('write "proxy.golang.org"');
  });

  test("the JSON Schema editors read still has the entry's shape", () => {
    const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as unknown as { properties: { egress: { properties: { allow: { items: { pattern: string } } } } } };
    const pattern = new RegExp(schema.properties.egress.properties.allow.items.pattern);
    expect(['pypi.org', '*.golang.org:443'].map((e) => pattern.test(e))).toEqual([true, true]);
    expect(['https://pypi.org', 'pypi.org/simple', 'a b'].map((e) => pattern.test(e))).toEqual([false, false, false]);
  });

  test('peers up --allow: a bad entry is refused (exit 2) before anything starts', () => {
    expect(() => assertAllowFlags(['pypi.org', '*.golang.org:443'])).not.toThrow();
    let err: unknown;
    try {
      assertAllowFlags(['pypi.org', 'https://sum.golang.org/x']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toBe('--allow "https://sum.golang.org/x": must be "host", "*.suffix", optionally with ":port" (no scheme, path or spaces): write "sum.golang.org"');
  });
});
