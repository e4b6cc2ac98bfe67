#!/usr/bin/env bash
# Install the host packages int3call needs, only when they are missing.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
[ "$INT3CALL_QEMU" != host ] || command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v unshare >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
# The host tests of the selftests' shell helpers run them in busybox sh, as the guest does.
command -v busybox >/dev/null || need+=(busybox)
[ ${#need[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing host packages: ${need[*]} (install them as root)"
log "installing host packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
