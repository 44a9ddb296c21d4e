/**
 * TEST ONLY: a pod whose vendors are a local stand-in. The end-to-end test of subscription logins
 * (test/e2e/pod-subscriptions.test.ts) must run the product's real path — the workspace's CLIs →
 * the auth sidecar with the user's login files → the egress proxy's vendor listener → TLS to
 * api.anthropic.com, chatgpt.com and the OAuth token hosts — without the internet. It needs three
 * exceptions, all here and all refused unless PEERS_EGRESS_TEST_MODE=1 is set in `peers up`'s own
 * environment as well (the same double opt-in as `peers sidecar egress --test-resolve`,
 * proxy/test-resolve.ts; no command-line flag of `peers up` sets this option):
 *  - the egress container resolves the listed names from a table (`--test-resolve`, with the
 *    variable set in its own environment, so the sidecar re-checks the opt-in and says TEST MODE);
 *  - its slirp4netns network may reach the host's loopback at 10.0.2.2, where the stand-in listens;
 *  - the auth container trusts one extra CA (the stand-in's certificate) through NODE_EXTRA_CA_CERTS.
 * Everything else — the allow-lists, the address guard for every other name, the credential
 * mounts, which container sees what — is the pod `peers up` always builds.
 */
import { lstatSync } from 'node:fs';
import { InputError } from '../src/cli/errors.ts';
import { parseTestResolve, TEST_MODE_ENV } from '../proxy/test-resolve.ts';

export type TestUpstream = {
  /** `NAME=IP` entries for the egress proxy's resolver table (IP: usually HOST_LOOPBACK_FROM_EGRESS). */
  resolve: string[];
  /** A PEM certificate on the host the auth sidecar trusts in addition to the system's. */
  caFile: string;
};

/** How slirp4netns shows the host's 127.0.0.1 to a container started with allow_host_loopback. */
export const HOST_LOOPBACK_FROM_EGRESS = '10.0.2.2';
/** Where the stand-in's CA certificate is mounted in the auth container. */
export const TEST_CA_IN_AUTH = '/run/peers-test-ca/ca.pem';
export const EGRESS_TEST_NETWORK = 'slirp4netns:allow_host_loopback=true';

/** The option, checked: refused (exit 2) without the test-mode variable in `env`, or when malformed. */
export function checkTestUpstream(t: TestUpstream, env: NodeJS.ProcessEnv): TestUpstream {
  if (env[TEST_MODE_ENV] !== '1') {
    throw new InputError(`a test upstream is for the test suite only and is refused unless ${TEST_MODE_ENV}=1 is set`, { hint: 'a real run talks to the vendors; remove the test upstream' });
  }
  parseTestResolve(t.resolve, env); // the same syntax the egress sidecar will accept
  if (t.resolve.length === 0) throw new InputError('a test upstream needs at least one NAME=IP entry');
  let isFile = false;
  try {
    isFile = lstatSync(t.caFile).isFile();
  } catch {}
  if (!isFile) throw new InputError(`test upstream CA: not a regular file`, { location: { file: t.caFile } });
  if (t.caFile.includes(',')) throw new InputError('podman cannot mount a path containing a comma', { location: { file: t.caFile } });
  return t;
}
