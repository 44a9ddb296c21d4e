#!/usr/bin/env bash
# Prepares a fresh Debian machine to build and test peers: Debian packages, the pinned npm
# toolchain (Bun included), the compiled binary, and an unprivileged user for the tests that must
# not run as root (Claude Code refuses --dangerously-skip-permissions as root; rootless podman).
# Idempotent: safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else echo "setup: run as root (or install sudo)" >&2; exit 2; fi
fi

packages=$(grep -v '^\s*#' test/apt-packages.txt | grep -v '^\s*$' | tr '\n' ' ')
missing=""
for p in $packages; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund --loglevel=error

# Tools pinned in package.json's "optionalTools" rather than devDependencies: opencode-ai lists a
# prebuilt package per platform as optional dependencies, and the registry reachable here does not
# serve all of them, so `npm ci` cannot validate it in the lock file. Installed without touching it.
optional=$(node -p 'Object.entries(require("./package.json").optionalTools || {}).map(([n, v]) => n + "@" + v).join(" ")')
if [ -n "$optional" ]; then
  echo "setup: npm install (optional tools) $optional"
  npm install --no-save --no-audit --no-fund --loglevel=error $optional
fi

echo "setup: building dist/peers"
node_modules/.bin/bun build.ts >/dev/null

# Unprivileged test user (uid 1500 unless taken). Tests find it via PEERS_TEST_USER.
TEST_USER=${PEERS_TEST_USER:-peerstest}
if [ "$(id -u)" = 0 ] && ! id "$TEST_USER" >/dev/null 2>&1; then
  useradd -m -s /bin/bash "$TEST_USER"
fi
if [ "$(id -u)" = 0 ] && [ -d /etc/subuid ] || [ -f /etc/subuid ]; then
  grep -q "^$TEST_USER:" /etc/subuid 2>/dev/null || echo "$TEST_USER:200000:65536" >> /etc/subuid
  grep -q "^$TEST_USER:" /etc/subgid 2>/dev/null || echo "$TEST_USER:200000:65536" >> /etc/subgid
fi

# Extra setup steps contributed by subsystems (each file is sourced, in name order).
for extra in test/setup.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "setup: $(basename "$extra")"
  # shellcheck disable=SC1090
  source "$extra"
done
echo "setup: done"
