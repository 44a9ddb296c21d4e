# shellcheck shell=bash
# The real-CLI tests (test/integration/real-cli/) run `claude` and `codex` from node_modules as the
# unprivileged test user (Claude Code refuses --dangerously-skip-permissions as root). Sourced as
# root by test/setup.sh from the repository root; idempotent.
model_server_setup() {
  local user=${PEERS_TEST_USER:-peerstest}
  id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"

  # The user must be able to reach node_modules/.bin: give every ancestor of the checkout the
  # search (x) bit for others, nothing more (no read, so directory listings stay private).
  local dir
  dir=$(pwd -P)
  while [ "$dir" != "/" ]; do
    if [ "$(stat -c %A "$dir" | cut -c10)" != "x" ] && [ "$(stat -c %A "$dir" | cut -c10)" != "t" ]; then
      echo "model-server.sh: chmod o+x $dir (so $user can run the pinned CLIs)"
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done

  # Fail here, with a clear message, rather than in the middle of the test suite.
  local bin
  for bin in claude codex; do
    if ! runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$(pwd -P)/node_modules/.bin/$bin" --version >/dev/null 2>&1; then
      echo "model-server.sh: $user cannot run node_modules/.bin/$bin (is npm ci complete, node on PATH?)" >&2
      return 1
    fi
  done
}
model_server_setup
