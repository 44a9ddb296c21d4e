/**
 * A gate or `setup` whose program is not installed where it runs: the shell says so in its own
 * words (`/bin/sh: 1: eval: go: not found`, exit 127), which reads like a failing test suite in a
 * status line. In a run the gates run in the workspace image, which has git, Node.js and npm,
 * Python with pytest, pip and venv, and the peer CLIs, and nothing else (Containerfile): a Go or Rust project's
 * gate fails there although `peers verify` on the host passes. This names the program and where
 * it is missing, so the user knows no peer turn can make that gate green.
 */

/**
 * The program a shell could not find, from its exit code and stderr; undefined when that is not why
 * it failed. A relative path (`.venv/bin/python`) is kept whole: it names a file of the checkout,
 * not a program of the machine; an absolute one is named by its last part.
 */
export function missingProgram(exitCode: number | null, stderr: string): string | undefined {
  if (exitCode !== 127) return undefined;
  // dash: `/bin/sh: 1: go: not found`; bash: `bash: line 1: go: command not found`.
  const m = /(?:^|: )([^\s:]+): (?:command )?not found\s*$/m.exec(stderr);
  const program = m?.[1];
  return program?.startsWith('/') ? program.split('/').pop() : program;
}

/**
 * The Python module `python -m MODULE` could not find (`/usr/bin/python3: No module named pytest`,
 * exit 1): the test runner is not installed for that interpreter, which no peer turn can change.
 * Read from both streams: a gate's `2>&1` puts it on stdout.
 */
export function missingPythonModule(exitCode: number | null, output: string): string | undefined {
  if (exitCode !== 1) return undefined;
  return /^\S*python[\d.]*: No module named ([\w.]+)\s*$/m.exec(output)?.[1];
}

export function missingPythonModuleNote(module: string): string {
  return `the Python module ${module} is not installed for the interpreter the gate runs ("No module named ${module}"): \`peers verify\` runs the gates with this machine's Python, and a run with the workspace image's (which has pytest); install ${module} where it is missing, or add it to the project's requirements for setup to install (\`peers doctor\` lists what the image lacks)`;
}

/**
 * The first words of a diagnostic for a program the shell could not find. One named by a path in
 * the checkout (a venv or node_modules that `setup` was to make) is missing from the checkout, not
 * from the image: saying "python is not installed" there sends the user to the wrong fix.
 */
export function missingProgramNote(program: string, what: 'the gate' | 'setup' = 'the gate'): string {
  if (BASH_ONLY.has(program)) return `${program}: not found (exit 127): \`${program}\` is bash, ${SH_NOT_BASH}`;
  if (program.includes('/')) {
    const fix = what === 'setup' ? 'make it earlier in `setup`, or commit it' : '`setup` in .peers/config.yaml makes it (a venv, node_modules), or commit it';
    return `${program}: not found (exit 127): ${what} names it by a path in the checkout, which the checkout does not have: ${fix}`;
  }
  return `${program}: command not found (exit 127): it is not installed where ${what} runs (in a run: the workspace image; \`peers doctor\` lists the gates' programs it lacks)`;
}

/** Builtins and keywords of bash that dash (sh on Debian, and in the image) does not have: `sh -c` reports them as missing commands. */
const BASH_ONLY = new Set(['[[', 'source', 'shopt', 'declare', 'typeset', 'pushd', 'popd', 'mapfile', 'readarray', 'let', 'function']);
const SH_NOT_BASH = "and every gate and setup runs as sh -c (dash): write it for sh (`.` for `source`, `[ … ]` for `[[ … ]]`), or run the command with bash: cmd: bash -c '…'";

/** dash refusing a bash-only `set -o` option (`set -o pipefail`): undefined for any other output. */
export function bashOptionNote(stderr: string): string | undefined {
  const option = /\bset: Illegal option -o (\w+)/.exec(stderr)?.[1];
  return option ? `\`set -o ${option}\` is bash, ${SH_NOT_BASH}` : undefined;
}

/**
 * A connection through the egress proxy that failed shows in a tool's output only as the proxy's
 * status: 403 when the host is not on the allow-list or resolves to an address the proxy refuses
 * (an internal mirror's private address: sandbox/egress-allow-addresses.ts) (`Tunnel connection failed: 403`, pip's
 * ProxyError, npm's E403), 502 when it is but the egress container could not reach it (a name that
 * does not resolve, a refused connection). The host and the reason are in the egress log. A client
 * that ignores HTTPS_PROXY (Node's built-in fetch, http and https) never reaches the proxy: in the
 * gates' network namespace it cannot even resolve a name (`getaddrinfo EAI_AGAIN`, Node's bare
 * `fetch failed`), which reads like a broken test although `peers verify` passes on a machine with
 * a network. Undefined when the output shows none of these. pip's "ProxyError" alone says nothing
 * of which: the status decides.
 */
/** A name lookup that failed (Node, glibc, curl/git, Go), or Node's fetch, which prints no cause. */
const NO_NETWORK = /\bgetaddrinfo (?:EAI_AGAIN|ENOTFOUND)\b|Temporary failure in name resolution|Name or service not known|Could not resolve host|\blookup \S+(?: on \S+)?: (?:no such host|server misbehaving)|\bfetch failed\b/;
const NO_NETWORK_NOTE =
  'no network (a host name not resolved, Node\'s "fetch failed"): a run\'s gates reach only egress.allow\'s hosts (setup too), through the egress proxy (HTTPS_PROXY=http://127.0.0.1:3128), which Node\'s built-in fetch, http and https ignore; a test that needs the internet fails there although `peers verify` passes: mock what it fetches or keep it out of the gates, or add its host to egress.allow and fetch through the proxy';

export function egressRefusalNote(output: string): string | undefined {
  if (/Tunnel connection failed: 403|\b403 Forbidden\b|CONNECT tunnel failed, response 403|\bE403\b/i.test(output)) {
    return 'a connection was refused with 403, which is what the egress proxy answers for a host not on the allow-list (or an allowed one whose name resolves to a private, loopback or reserved address, which it never connects to): `peers logs --egress` names the host and why; add a missing host to egress.allow in .peers/config.yaml (or `peers up --allow HOST`)';
  }
  if (/Tunnel connection failed: 50[24]|\b502 Bad Gateway\b|CONNECT tunnel failed, response 50[24]|\bE502\b/i.test(output)) {
    return 'a connection through the egress proxy failed with 502: the host is allowed, but the egress container could not reach it (its name did not resolve, or the connection was refused): `peers logs --egress` says which host and why; check that this machine reaches it (DNS, firewall, a proxy of your own)';
  }
  if (NO_NETWORK.test(output)) return NO_NETWORK_NOTE;
  return undefined;
}

/** Where a failed gate's diagnostic turns from what peers says of it (a note above) to the command's own result. */
export const PASS_WHEN_FALSE = 'pass_when returned False';

/**
 * A failed gate's diagnostic cut to `fit` for one line, the note peers put before its result kept
 * whole: the note is why (no network, a missing program), the output's head and tail only the
 * symptom, and cutting the note's end cut its fix (`peers status`, the loop's gate line).
 */
export function fitGateDiagnostic(diagnostic: string, fit: (text: string) => string): string {
  const at = diagnostic.indexOf(`; ${PASS_WHEN_FALSE}`);
  return at > 0 ? `${diagnostic.slice(0, at + 2).replace(/\s+/g, ' ')}${fit(diagnostic.slice(at + 2))}` : fit(diagnostic);
}
