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
source "$here/test/smoke/scratch-repo.sh"

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
