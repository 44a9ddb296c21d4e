#!/usr/bin/env bash
# Copies dist/peers alone into an empty directory and exercises it there, so nothing beside the
# binary (package.json, node_modules, templates) can be what makes it work. Prints TAP-like lines.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cp "$here/dist/peers" "$work/peers"
cd "$work"
n=0; failed=0
check() { # check NAME CMD...
  local name=$1; shift
  n=$((n + 1))
  if out=$("$@" 2>&1); then echo "ok $n - $name"; else echo "not ok $n - $name"; echo "$out" | sed 's/^/#   /' | tail -20; failed=$((failed + 1)); fi
}
check "--version" sh -c './peers --version | grep -Eq "^peers [0-9]+\.[0-9]+\.[0-9]+"'
check "--help" ./peers --help
check "no warnings on --help" sh -c '! ./peers --help 2>&1 >/dev/null | grep -qi warn'
# Every command's --help (ids come from the binary itself).
for id in $(./peers commands --json 2>/dev/null | grep -Eo '"id": *"[^"]+"' | sed 's/.*"id": *"//; s/"$//' | tr ':' ' ' | tr ' ' '+'); do
  cmd=$(echo "$id" | tr '+' ' ')
  check "$cmd --help" sh -c "./peers $cmd --help >/dev/null"
done
[ -x "$here/test/smoke/scratch-repo.sh" ] && source "$here/test/smoke/scratch-repo.sh"
rm -rf "$work"
[ "$failed" = 0 ]
