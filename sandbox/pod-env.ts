/**
 * The environment each container of the sandbox pod gets (docs/ARCHITECTURE.md, Processes and
 * trust boundaries; SECURITY.md, The sandbox pod): what every container is told (its home, project,
 * role and the lifeline), how the peers and gates reach the internet (only through the bridge) and
 * the vendors (only through the auth sidecar, with a placeholder key), what the loop needs to find
 * the runners and point the peers' CLIs, and the auth sidecar's own memory settings. Kept apart
 * from the pod's assembly (pod-spec.ts), which decides mounts and commands and takes these as they
 * are. Pure: nothing is read from the host here; no secret value is ever part of it (secretEnv
 * names are passed by name, pod-spec.ts).
 */

import { ANTHROPIC_BASE_URL_ENV, CODEX_BASE_URL_ENV } from '../src/config/peer-argv.ts';
import { SIDECAR_PLACEHOLDER_KEY } from '../src/config/provider.ts';
import { LIFELINE_DIR_NAME, LIFELINE_ENV, LIFELINE_SOCKET_NAME, ROLE_ENV } from './lifeline.ts';
import { AUTH_CHATGPT_PORT, AUTH_OPENAI_PORT, AUTH_PORT, HOME_IN_CONTAINER, PROXY_PORT, type Role, runnerSocketPath, SOCKETS_IN_CONTAINER, STATE_IN_CONTAINER } from './pod-layout.ts';
import { RUNNER_KEYS_FILE } from './runner-key.ts';

/**
 * The auth sidecar's environment beyond every container's:
 * - JavaScriptCore with no JIT at all (its interpreter only). Its work per request is native (TLS,
 *   JSON.parse of the body, the ledger's fsync); the JIT tiers kept their compilers' pages and the
 *   code they made resident, ~5 MiB of a sidecar that has served a few dozen requests, for ~0.5 ms
 *   less CPU per request (test/bench/auth-ttfb.ts, BENCHMARKS.md Memory).
 * - Bun's allocator (its mimalloc) discarding the free blocks inside still-used pages every time
 *   the thread goes idle, not at most once per 100 ms: after a burst of requests (each 100 KB body
 *   passes through a few copies: bytes, text, parsed JSON) the freed blocks otherwise stay
 *   resident, ~3.5 MiB of a sidecar that has served a few dozen requests, the same after hundreds
 *   (BENCHMARKS.md Memory). It costs ~0.6 ms more CPU per request and no time to first byte
 *   (BENCHMARKS.md Auth sidecar). Measured and not enough: an interval of 5 or 25 ms, a timer
 *   waking the idle sidecar after a burst, a full GC (the JavaScript heap is ~3 MB, all live).
 */
export const AUTH_SIDECAR_ENV: Readonly<Record<string, string>> = { BUN_JSC_useJIT: '0', MIMALLOC_PURGE_HOLES_MIN_INTERVAL: '0' };

const LIFELINE_PATH = `${SOCKETS_IN_CONTAINER}/${LIFELINE_DIR_NAME}/${LIFELINE_SOCKET_NAME}`;

/** Every container's environment, then its own (`own`). The role is what the container tells the
 *  loop over the lifeline (which ones are alive). */
export function containerEnv(project: string, role: Role, own: Record<string, string>): Record<string, string> {
  return { HOME: HOME_IN_CONTAINER, PEERS_PROJECT: project, [LIFELINE_ENV]: LIFELINE_PATH, [ROLE_ENV]: role, ...own };
}

// Peers and gates reach the internet only through the bridge, and the vendors only through auth.
/** The workspace's, setup's and gates' way out: the bridge (or their own) at 127.0.0.1:3128. */
export const PROXY_ENV: Readonly<Record<string, string>> = {
  HTTPS_PROXY: `http://127.0.0.1:${PROXY_PORT}`,
  HTTP_PROXY: `http://127.0.0.1:${PROXY_PORT}`,
  https_proxy: `http://127.0.0.1:${PROXY_PORT}`,
  http_proxy: `http://127.0.0.1:${PROXY_PORT}`,
  NO_PROXY: 'localhost,127.0.0.1,::1',
  no_proxy: 'localhost,127.0.0.1,::1',
};

/** The workspace's vendor endpoints: the auth sidecar's upstreams, with a placeholder for each key. */
export function vendorEnv(codexUpstream: 'openai' | 'chatgpt' | undefined) {
  return {
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${AUTH_PORT}`,
    ANTHROPIC_API_KEY: SIDECAR_PLACEHOLDER_KEY,
    // The ChatGPT upstream serves the Responses API at its root (auth-proxy/api-routes.ts).
    OPENAI_BASE_URL: codexUpstream === 'chatgpt' ? `http://127.0.0.1:${AUTH_CHATGPT_PORT}` : `http://127.0.0.1:${AUTH_OPENAI_PORT}/v1`,
    OPENAI_API_KEY: SIDECAR_PLACEHOLDER_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

/** The loop's own environment: `extra` (the user's git identity), the CLIs' sidecar URLs, the runners' sockets and keys. */
export function loopEnv(extra: Record<string, string> | undefined, codexUpstream: 'openai' | 'chatgpt' | undefined, runnerKeys: boolean): Record<string, string> {
  const vendor = vendorEnv(codexUpstream);
  return {
    ...extra,
    // codex ignores OPENAI_BASE_URL: the loop points it at the auth sidecar on its command line
    // (src/config/peer-argv.ts), at the route the workspace's OPENAI_BASE_URL names: the OpenAI
    // API, or with a ChatGPT login the sidecar's ChatGPT upstream (test/e2e/pod-subscriptions.test.ts).
    [CODEX_BASE_URL_ENV]: vendor.OPENAI_BASE_URL,
    // opencode's Anthropic base URL must end in /v1 (src/config/peer-argv.ts, opencodeArgv).
    [ANTHROPIC_BASE_URL_ENV]: vendor.ANTHROPIC_BASE_URL,
    PEERS_STATE_DIR: STATE_IN_CONTAINER,
    PEERS_RUNNER_WORKSPACE: runnerSocketPath('workspace'),
    PEERS_RUNNER_SETUP: runnerSocketPath('setup'),
    PEERS_RUNNER_GATES: runnerSocketPath('gates'),
    // The loop's copy of the runners' keys (sandbox/runner-key.ts), in its state dir.
    ...(runnerKeys ? { PEERS_RUNNER_KEYS: `${STATE_IN_CONTAINER}/${RUNNER_KEYS_FILE}` } : {}),
  };
}
