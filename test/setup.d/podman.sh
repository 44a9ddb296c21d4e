# shellcheck shell=bash
# Rootless podman for the unprivileged test user (sourced as root by test/setup.sh; idempotent).
# Debian 12 CI machines run a cgroup v1 hybrid hierarchy as root without a login session, so:
#  - runc, not crun (crun refuses the hybrid hierarchy), cgroupfs instead of systemd, file events;
#  - an XDG_RUNTIME_DIR made by hand (no systemd-logind session for `runuser`);
#  - ulimits set explicitly (podman's default nproc/nofile raise fails inside nested sandboxes);
#  - /dev/net/tun usable by the user so slirp4netns can give the egress container its network;
#  - native rootless overlayfs (kernel >= 5.13) when the kernel has it, fuse-overlayfs otherwise
#    (with /dev/fuse opened up; minimal CI kernels ship it 0600).
# Then the offline base image is built once (debootstrap + podman import) and the workspace image
# on top of it, both cached in the user's storage across runs.
podman_setup() {
  local user=${PEERS_TEST_USER:-peerstest}
  local uid home
  uid=$(id -u "$user") || { echo "podman.sh: user $user missing" >&2; return 1; }
  home=$(getent passwd "$user" | cut -d: -f6)

  local ids_changed=0
  grep -q "^$user:" /etc/subuid || { echo "$user:200000:65536" >> /etc/subuid; ids_changed=1; }
  grep -q "^$user:" /etc/subgid || { echo "$user:200000:65536" >> /etc/subgid; ids_changed=1; }

  if [ -c /dev/net/tun ]; then chmod 0666 /dev/net/tun; fi

  install -d -m 0700 -o "$user" -g "$user" "/run/user/$uid"
  install -d -m 0755 -o "$user" -g "$user" "$home/.config" "$home/.config/containers"
  cat > "$home/.config/containers/containers.conf" <<CONF
# Written by peers test/setup.d/podman.sh
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  local kmaj kmin
  IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
  if [ "$kmaj" -gt 5 ] || { [ "$kmaj" = 5 ] && [ "$kmin" -ge 13 ]; }; then
    printf '# Written by peers test/setup.d/podman.sh\n[storage]\ndriver = "overlay"\n' > "$home/.config/containers/storage.conf"
  else
    [ -c /dev/fuse ] && chmod 0666 /dev/fuse
    printf '# Written by peers test/setup.d/podman.sh\n[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n' > "$home/.config/containers/storage.conf"
  fi
  chown "$user:$user" "$home/.config/containers/containers.conf" "$home/.config/containers/storage.conf"
  # New subuid ranges only reach an existing podman user namespace after a migrate. So does a
  # machine restored from a snapshot: /run is not always a tmpfs, so the runtime directory can
  # survive a reboot naming a pause process that is gone ("invalid internal status").
  if [ "$ids_changed" = 1 ] || ! peers_as_test_user podman info >/dev/null 2>&1; then
    peers_as_test_user podman system migrate >/dev/null 2>&1 || true
  fi
  if ! peers_as_test_user podman info >/dev/null 2>&1; then
    echo "podman.sh: rootless podman does not work for $user; its own words:" >&2
    peers_as_test_user podman info 2>&1 | grep -v 'not a shared mount' | tail -5 >&2
    return 1
  fi
}

# The offline base (debootstrap, ~30 s) and the workspace image (first build ~4 min, then cached
# in the test user's storage). Images are kept across runs; the binary used for the build is a
# copy the test user can read (the checkout may live under /root).
podman_images() {
  local bindir=/var/lib/peers-test/bin
  install -d -m 0755 "$bindir"
  install -m 0755 dist/peers "$bindir/peers"
  if ! peers_as_test_user podman image exists localhost/peers-base:bookworm; then
    local t0 rootfs mirror
    t0=$(date +%s)
    rootfs=$(mktemp -d /var/tmp/peers-base.XXXXXX)
    mirror=$(grep -hoE '^(URIs:|deb)\s+(\[[^]]*\]\s+)?https?://\S+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | grep -v security | head -1 | grep -oE 'https?://\S+' || true)
    debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
    rm -f "$rootfs"/var/cache/apt/archives/*.deb
    chmod 0755 "$rootfs"
    tar -C "$rootfs" -c . | peers_as_test_user podman import -q - localhost/peers-base:bookworm >/dev/null
    rm -rf "$rootfs"
    echo "podman.sh: offline base image built in $(( $(date +%s) - t0 ))s"
  fi
  local t1
  t1=$(date +%s)
  peers_as_test_user "$bindir/peers" image build --base localhost/peers-base:bookworm
  # The first keep-id container of a new image copies its layers with shifted ownership (15-45 s);
  # pay that here once rather than inside the first e2e test.
  peers_as_test_user podman run --rm --network=none --userns=keep-id --entrypoint /bin/true localhost/peers-workspace:latest
  echo "podman.sh: workspace image ready in $(( $(date +%s) - t1 ))s"
}

# Run a command as the test user with a clean, complete rootless-podman environment.
peers_as_test_user() {
  local user=${PEERS_TEST_USER:-peerstest}
  local uid home
  uid=$(id -u "$user"); home=$(getent passwd "$user" | cut -d: -f6)
  (cd / && runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
    XDG_RUNTIME_DIR="/run/user/$uid" PATH=/usr/local/bin:/usr/bin:/bin \
    ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} ${SSL_CERT_FILE:+SSL_CERT_FILE="$SSL_CERT_FILE"} "$@")
}

podman_setup
podman_images
