/**
 * Assembles the egress sidecar from its command-line inputs: the allow-list (defaults, the
 * project's `egress.allow`, extra entries), the system resolver, the product address guard (no
 * test override here) and the audit sink; `peers sidecar egress` is a thin wrapper around this.
 */
import { lstatSync } from 'node:fs';
import { InputError } from '../src/cli/errors.ts';
import { UnsafePathError } from '../src/fs/atomic-write.ts';
import { FileTooLargeError, MiB, readTextCapped } from '../src/fs/safe-read.ts';
import { AddressGuard } from './address-guard.ts';
import { type AuditSink, type EgressAuditRecord, JsonlAuditLog } from './audit-log.ts';
import { AllowEntryError, DEFAULT_EGRESS_ALLOW, EgressPolicy, OAUTH_REFRESH_ALLOW } from './egress-policy.ts';
import type { EgressLimits } from './egress-options.ts';
import { EgressServer } from './egress-server.ts';
import { parseListenTarget } from './listen-target.ts';
import { type Resolver, SystemResolver } from './resolver.ts';
import { parseTestResolve, TestExemptGuard, TestOverrideResolver } from './test-resolve.ts';

export type EgressSidecarInput = {
  listen: string;
  /**
   * A second listener for the auth sidecar alone. When set, the vendor API hosts (and the OAuth
   * token hosts) are served only there, and the workspace listener gets only the project's own
   * entries: an agent then cannot reach the vendor APIs with a key of its own (an exfiltration
   * channel), since the credential sidecar is the only client that needs them.
   */
  vendorListen?: string;
  /**
   * A listener with the same allow-list as `listen` for the setup and gates runners. The caps
   * (connections, tunnels) are per listener: on one shared listener a peer's flood from the
   * workspace answered every install and fetch of the gates with 503 (SECURITY.md, "Egress proxy").
   */
  gatesListen?: string;
  configPath?: string;
  allowFile?: string;
  allow: string[];
  oauthHosts: boolean;
  /**
   * The hosts of the run's providers (src/config/provider.ts): served beside the vendor hosts, so
   * on the auth sidecar's listener only when there is one.
   */
  vendorAllow?: string[];
  /**
   * Serve the vendor API hosts at all (default true). False for the demo and rehearsals, whose
   * model is a server inside the pod: then nothing outside the pod is a default destination.
   */
  vendorHosts?: boolean;
  auditLog?: string;
  /** The audit log's cap on disk (both files together); see src/fs/size-capped-log.ts. */
  auditLogMaxBytes?: number;
  limits: Partial<EgressLimits>;
  /** TEST ONLY (proxy/test-resolve.ts): `NAME=IP` entries, refused unless PEERS_EGRESS_TEST_MODE=1 in `env`. */
  testResolve?: string[];
  env?: NodeJS.ProcessEnv;
};

/** Reads an allow-list file: one entry per line, `#` comments and blank lines ignored. */
export function readAllowFile(path: string): { entries: string[]; lines: number[] } {
  const entries: string[] = [];
  const lines: number[] = [];
  readStartupFile(path, '--allow-file').split('\n').forEach((raw, i) => {
    const t = raw.replace(/#.*$/, '').trim();
    if (!t) return;
    entries.push(t);
    lines.push(i + 1);
  });
  return { entries, lines };
}

/** A file named on the command line: a bad one is bad input (exit 2), and a FIFO must not hang startup. */
function readStartupFile(path: string, flag: string): string {
  const bad = (why: string, hint = `pass a regular file to ${flag}`) => new InputError(`${flag}: ${why}`, { location: { file: path }, hint });
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    throw bad((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  if (!st.isFile()) throw bad(st.isSymbolicLink() ? 'is a symlink' : 'is not a regular file');
  try {
    return readTextCapped(path, MiB);
  } catch (e) {
    if (e instanceof FileTooLargeError || e instanceof UnsafePathError) throw bad(e.message);
    throw bad((e as Error).message);
  }
}

type Source = { entries: readonly string[]; where: (i: number) => { file: string; line?: number } };

type VendorChoice = Pick<EgressSidecarInput, 'oauthHosts' | 'vendorHosts' | 'vendorAllow'>;

function vendorSources({ oauthHosts, vendorHosts, vendorAllow }: VendorChoice): Source[] {
  if (vendorHosts === false) return [];
  const sources: Source[] = [{ entries: DEFAULT_EGRESS_ALLOW, where: () => ({ file: 'built-in defaults' }) }];
  if (oauthHosts) sources.push({ entries: OAUTH_REFRESH_ALLOW, where: () => ({ file: 'built-in OAuth hosts' }) });
  if (vendorAllow?.length) sources.push({ entries: vendorAllow, where: () => ({ file: '--vendor-allow' }) });
  return sources;
}

/** Every entry parsed, or an InputError naming where it came from (exit 2, never a crash). */
function validated(sources: Source[]): EgressPolicy {
  for (const s of sources) {
    s.entries.forEach((e, i) => {
      try {
        EgressPolicy.fromLists([e]);
      } catch (err) {
        if (err instanceof AllowEntryError) throw new InputError(`egress allow-list entry ${JSON.stringify(e)}: ${err.message.replace(/^egress\.allow\[\d+\] "[^"]*": /, '')}`, { location: s.where(i), hint: 'entries are "host", "*.suffix", optionally ":port" (443 by default)' });
        throw err;
      }
    });
  }
  return EgressPolicy.fromLists(...sources.map((s) => s.entries));
}

/** The vendor-only policy of the auth sidecar's listener. */
export function buildVendorPolicy(choice: VendorChoice): EgressPolicy {
  return validated(vendorSources(choice));
}

/**
 * The project's `egress.allow` from a config.yaml. The config loader (a YAML parser, the schemas)
 * is loaded only when a config is given: the pod passes its entries as `--allow` flags, and the
 * long-running sidecar should not carry the loader's memory for nothing.
 */
async function configAllow(path: string): Promise<readonly string[]> {
  const { loadConfigFile } = await import('../src/config/load.ts');
  return loadConfigFile(path).egress.allow;
}

type PolicyInput = Pick<EgressSidecarInput, 'configPath' | 'allowFile' | 'allow' | 'oauthHosts' | 'vendorHosts' | 'vendorAllow'> & {
  /** The entries of `configPath`, read by configAllow. */
  configEntries?: readonly string[];
};

/** The project's entries, plus the vendor defaults unless they are served on a listener of their own. */
export function buildPolicy(input: PolicyInput, withVendorHosts = true): EgressPolicy {
  const sources: Source[] = withVendorHosts ? vendorSources(input) : [];
  if (input.configPath && input.configEntries) {
    const path = input.configPath;
    sources.push({ entries: input.configEntries, where: () => ({ file: path }) });
  }
  if (input.allowFile) {
    const path = input.allowFile;
    const f = readAllowFile(path);
    sources.push({ entries: f.entries, where: (i) => ({ file: path, line: f.lines[i] }) });
  }
  sources.push({ entries: input.allow, where: () => ({ file: '--allow' }) });
  return validated(sources);
}

/** Audit records go to the JSONL file, or to stdout (the container's log) when no file is given. */
export function auditSinkFor(path: string | undefined, write: (line: string) => void, capBytes?: number): AuditSink {
  if (path) {
    try {
      return new JsonlAuditLog(path, capBytes);
    } catch (e) {
      if (e instanceof RangeError) throw new InputError(`--audit-log-max-bytes: ${e.message}`);
      // A missing directory or a planted symlink is a wrong flag, not a crash.
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'its directory does not exist' : (e as Error).message;
      throw new InputError(`--audit-log: ${why}`, { location: { file: path }, hint: 'point --audit-log at a file in an existing directory you own' });
    }
  }
  return { record: (r: EgressAuditRecord) => write(JSON.stringify(r)), close: () => {} };
}

export type RunningEgress = { listeners: { name: string; address: string; policy: EgressPolicy }[]; stop(): Promise<void> };

export async function startEgressSidecar(input: EgressSidecarInput, write: (line: string) => void): Promise<RunningEgress> {
  const split = input.vendorListen !== undefined;
  const configEntries = input.configPath ? await configAllow(input.configPath) : undefined;
  const projectPolicy = buildPolicy({ ...input, configEntries }, !split);
  const plan = [{ name: split ? 'workspace' : 'egress', target: parseListenTarget(input.listen), policy: projectPolicy }];
  if (input.gatesListen !== undefined) plan.push({ name: 'gates', target: parseListenTarget(input.gatesListen, '--gates-listen'), policy: projectPolicy });
  if (split) plan.push({ name: 'sidecar', target: parseListenTarget(input.vendorListen!, '--vendor-listen'), policy: buildVendorPolicy(input) });
  const testTable = parseTestResolve(input.testResolve ?? [], input.env ?? process.env);
  const audit = auditSinkFor(input.auditLog, write, input.auditLogMaxBytes);
  const resolver: Resolver = testTable ? new TestOverrideResolver(testTable, new SystemResolver()) : new SystemResolver();
  const guard = testTable ? new TestExemptGuard(testTable) : new AddressGuard();
  const servers: EgressServer[] = [];
  const listeners: RunningEgress['listeners'] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.close()));
    audit.close();
  };
  try {
    for (const l of plan) {
      const server = new EgressServer({ policy: l.policy, resolver, guard, audit, limits: input.limits, name: l.name });
      servers.push(server);
      listeners.push({ name: l.name, address: await server.listen(l.target), policy: l.policy });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { listeners, stop };
}
