#!/usr/bin/env bash
# Copies dist/peers alone into an empty directory and exercises it there, so nothing beside the
# binary (package.json, node_modules, templates) can be what makes it work. Prints TAP-like lines.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cp "$here/dist/peers" "$work/peers"
cd "$work"
# A fresh user: nothing from the CI machine's home (registry, credentials, git identity) is used or touched.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.local/state" NO_COLOR=1
mkdir -p "$HOME"
n=0; failed=0
check() { # check NAME CMD...
  local name=$1; shift
  n=$((n + 1))
  if out=$("$@" 2>&1); then echo "ok $n - $name"; else echo "not ok $n - $name"; echo "$out" | sed 's/^/#   /' | tail -20; failed=$((failed + 1)); fi
}
check "--version" sh -c './peers --version | grep -Eq "^peers [0-9]+\.[0-9]+\.[0-9]+"'
check "--help" ./peers --help
check "no warnings on --help" sh -c '! ./peers --help 2>&1 >/dev/null | grep -qi warn'
# Every command's --help, hidden ones included (ids come from the binary itself): exit 0, nothing on
# stderr (no warnings), and an EXAMPLES section (oclif's own `help` command has none to give).
ids=$(./peers commands --json 2>/dev/null | grep -Eo '"id": *"[^"]+"' | sed 's/.*"id": *"//; s/"$//' | tr ':' '+')
check "the binary lists its commands" test "$(echo "$ids" | wc -w)" -ge 20
for id in $ids; do
  cmd=$(echo "$id" | tr '+' ' ')
  check "$cmd --help: examples, no warnings" sh -c "out=\$(./peers $cmd --help 2>help.err) && test ! -s help.err && { [ '$cmd' = help ] || echo \"\$out\" | grep -q '^EXAMPLES'; }"
done
# Help comes from text oclif rendered at build time (src/cli/help-fast-path.ts), printed without loading
# oclif: DEBUG=* makes oclif log to stderr as it loads, so silence there means oclif never ran. The text
# must be oclif's own: OCLIF_COLUMNS=80 sends the same command line through oclif at the same width.
check "--help and help are answered without oclif (DEBUG=* logs nothing)" sh -c "for c in --help -h help 'status --help' 'help status' 'modes list -h'; do test -z \"\$(DEBUG='*' ./peers \$c 2>&1 >/dev/null)\" || exit 1; done"
check "the oclif path is what OCLIF_COLUMNS=80 takes (DEBUG=* logs)" sh -c "DEBUG='*' OCLIF_COLUMNS=80 ./peers status --help 2>&1 >/dev/null | grep -q oclif"
for line in '' --help -h help modes+--help image+-h help+modes $(echo "$ids" | sed 's/^/help+/'); do
  cmd=$(echo "$line" | tr '+' ' ')
  check "'peers $cmd' prints oclif's help, byte for byte, with its exit code" sh -c "a=\$(./peers $cmd 2>&1; echo \"exit \$?\") && b=\$(OCLIF_COLUMNS=80 ./peers $cmd 2>&1; echo \"exit \$?\") && [ \"\$a\" = \"\$b\" ]"
done
for id in $ids; do
  cmd=$(echo "$id" | tr '+' ' ')
  check "'peers $cmd --help' and '-h' print oclif's help, byte for byte" sh -c "for h in --help -h; do a=\$(./peers $cmd \$h 2>&1; echo \"exit \$?\") && b=\$(OCLIF_COLUMNS=80 ./peers $cmd \$h 2>&1; echo \"exit \$?\") && [ \"\$a\" = \"\$b\" ] || exit 1; done"
done
source "$here/test/smoke/scratch-repo.sh"

# status, ls and info with a plain command line run without oclif (commands/plain-commands.ts):
# DEBUG=* makes oclif log as it loads, so an empty stderr means oclif never ran. A short flag is oclif's.
check "status, ls, info (and --json) run without oclif (DEBUG=* logs nothing, exit 0)" sh -c "cd '$scratch' && for c in status ls info 'status --json' 'ls --json' 'info --json'; do test -z \"\$(DEBUG='*' '$work/peers' \$c 2>&1 >/dev/null)\" || exit 1; done"
check "the oclif path is what a short flag takes (status -C .: DEBUG=* logs)" sh -c "cd '$scratch' && DEBUG='*' '$work/peers' status -C . 2>&1 >/dev/null | grep -q oclif"

# The TypeScript compiler is not in the binary, nor oclif's tsconfig reader that requires it (build.ts
# stubs the reader): a diagnostic key found only in typescript.js, and the parser the reader calls.
check "the binary contains neither the TypeScript compiler nor oclif's tsconfig reader" sh -c "! grep -a -q -e 'Cannot_find_name_0_2304' -e 'parseConfigFileTextToJson' ./peers"
# Nor does any command try to load it at run time: a module named `typescript` in the working directory
# (where a compiled binary resolves a package it lacks; a peer can write one into the repository)
# records that it was loaded. NODE_ENV=development is when oclif would look for TypeScript sources.
decoy="$work/decoy"
mkdir -p "$decoy/node_modules/typescript"
echo '{"name":"typescript","version":"5.9.3","main":"index.js"}' > "$decoy/node_modules/typescript/package.json"
echo "require('fs').writeFileSync('$work/typescript-loaded', 'yes'); module.exports = {};" > "$decoy/node_modules/typescript/index.js"
echo '{"name":"decoy"}' > "$decoy/package.json"
echo '{}' > "$decoy/tsconfig.json"
git -C "$decoy" init -q
check "no command loads a 'typescript' module (decoy in the working directory, NODE_ENV=development)" sh -c "cd '$decoy' && for c in --help 'status --help' status ls info 'status -C .' 'info --json' 'commands --json' 'help status' 'help'; do NODE_ENV=development '$work/peers' \$c >/dev/null 2>&1; done; test ! -e '$work/typescript-loaded'"

# A compiled Bun executable would read .env and bunfig.toml from its working directory; peers runs in
# repositories the peers write to. Neither may reach it (build.ts turns every autoload off).
hostile="$work/hostile"
mkdir -p "$hostile"
git -C "$hostile" init -q
printf 'PEERS_STATE_DIR=%s\n' "$hostile/state-from-dotenv" > "$hostile/.env"
printf 'preload = ["./preload.js"]\n' > "$hostile/bunfig.toml"
echo "require('fs').writeFileSync('$work/preload-ran', 'yes');" > "$hostile/preload.js"
check "a bunfig.toml preload in the working directory is not run" sh -c "cd '$hostile' && '$work/peers' status >/dev/null 2>&1; '$work/peers' --version >/dev/null; test ! -e '$work/preload-ran'"
check "a .env in the working directory does not set peers' environment" sh -c "cd '$hostile' && out=\$('$work/peers' status --json) && echo \"\$out\" | grep -q '\"state_dir\"' && ! echo \"\$out\" | grep -q state-from-dotenv"
check "a positional argument is never read from stdin (echo x | peers status)" sh -c "cd '$hostile' && echo no-such-project | '$work/peers' status >/dev/null"

# Release artifacts for every target (Bun fetches each target's runtime from the npm registry).
check "build.ts --release emits linux-x64, linux-arm64, darwin-x64, darwin-arm64" sh -c "cd '$here' && node_modules/.bin/bun build.ts --release >/dev/null 2>&1"
check "release binaries are ELF for linux, Mach-O for darwin; linux-x64 runs" sh -c "
  [ \"\$(od -An -tx1 -N4 '$here/dist/release/peers-linux-x64' | tr -d ' ')\" = 7f454c46 ] &&
  [ \"\$(od -An -tx1 -N4 '$here/dist/release/peers-linux-arm64' | tr -d ' ')\" = 7f454c46 ] &&
  [ \"\$(od -An -tx1 -N4 '$here/dist/release/peers-darwin-x64' | tr -d ' ')\" = cffaedfe ] &&
  [ \"\$(od -An -tx1 -N4 '$here/dist/release/peers-darwin-arm64' | tr -d ' ')\" = cffaedfe ] &&
  '$here/dist/release/peers-linux-x64' --version | grep -q '^peers '"
rm -rf "$work"
[ "$failed" = 0 ]
