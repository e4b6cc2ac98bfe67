# Settings shared by every script. Sourced, never run.
# The kernel series is pinned here and nowhere else. Linux 7.2 needs rustc >= 1.85.0 and
# bindgen >= 0.71.1, which is exactly what Debian trixie ships; check the tree's
# scripts/min-tool-version.sh before moving to a newer series.
INT3CALL_SERIES_DEFAULT=7.2
INT3CALL_SERIES=${INT3CALL_SERIES:-$INT3CALL_SERIES_DEFAULT}
# The series make check passes on (CI runs 7.2 on the base kernel, 7.3 on the debug one). Set-up refuses anything older than the
# minimum: the kernel crate's API moves every release, and we use recent parts of it
# (kernel::sync::atomic::Atomic, for one).
INT3CALL_SERIES_TESTED="7.2 7.3"
INT3CALL_SERIES_MIN=7.2
INT3CALL_SUITE=trixie
INT3CALL_CACHE=${INT3CALL_CACHE:-/var/cache/int3call}

# Packages that go into the sysroot (the kernel's Rust toolchain and build deps).
INT3CALL_SYSROOT_PKGS="rustc rust-src bindgen clang lld llvm libclang-dev build-essential bc bison flex
libelf-dev libssl-dev cpio kmod busybox-static python3 xz-utils zstd ca-certificates"

# Tools added to an existing sysroot on first use (not part of its key, so adding one does not
# rebuild the kernels): the kernel's own style checkers for `make check`, virtme-ng (`make vng`),
# rsync (the kselftest install uses it), and spin (the protocol model, scripts/model/).
INT3CALL_SYSROOT_TOOLS="rustfmt rust-clippy virtme-ng rsync udev iproute2 systemd-sysv spin"
# The emulator every guest runs on, from trixie-backports, at least INT3CALL_QEMU_MIN. QEMU's
# TCG before 11.0 (trixie's 10.0 included) runs the byte 0xd6 as SALC in 64-bit mode, where it
# must raise #UD (UDB). Linux 7.3.4's kCFI call checks jump to such a byte on a hash mismatch,
# so under QEMU 10.0 no kCFI check ever fires (kcfi-check.sh caught it; the fix is QEMU's
# "target/i386/tcg: mark more instructions that are invalid in 64-bit mode").
INT3CALL_QEMU_PKG=qemu-system-x86
INT3CALL_QEMU_MIN=1:11.0

INT3CALL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Which test kernel: base (scripts/kernel.config), debug (kernel-debug.config on top of it:
# lockdep, KASAN, hung-task and soft-lockup detectors) or unhardened (kernel-unhardened.config:
# IBT, kCFI and the mitigations off, for the bench only). Each has its own tree, module build
# and out/ folder, so they stay cached side by side.
INT3CALL_FLAVOUR=${INT3CALL_FLAVOUR:-base}
case $INT3CALL_FLAVOUR in
base) INT3CALL_OUT=$INT3CALL_TOP/out ;;
debug) INT3CALL_OUT=$INT3CALL_TOP/out/debug ;;
unhardened) INT3CALL_OUT=$INT3CALL_TOP/out/unhardened ;;
*) printf '[int3call] error: INT3CALL_FLAVOUR must be base, debug or unhardened, not %s\n' "$INT3CALL_FLAVOUR" >&2; exit 1 ;;
esac
# Another series keeps its own outputs (and module build, build-module.sh) beside the default's.
[ "$INT3CALL_SERIES" = "$INT3CALL_SERIES_DEFAULT" ] || INT3CALL_OUT=$INT3CALL_OUT/linux-$INT3CALL_SERIES

log() { printf '[int3call] %s\n' "$*" >&2; }
die() { printf '[int3call] error: %s\n' "$*" >&2; exit 1; }

# Short content hash used to key caches.
hash_of() { sha256sum | cut -c1-12; }

# The Debian mirror, read from the host's own apt sources (never written in the repo).
host_mirror() {
	local m
	m=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}'
	       grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
	         sed -E 's/\[[^]]*\]//' | awk '{print $2}'; } | grep -v -- '-security' | grep -E '/debian/?$' | head -n1)
	[ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list*; add one to the host's apt sources"
	printf '%s\n' "${m%/}"
}

# One sysroot serves every series: each series' linux-source is added to it on first use (the
# default series stays in the key, so existing caches keep their name).
sysroot_key() { printf '%s %s %s\n' "$INT3CALL_SUITE" "$INT3CALL_SERIES_DEFAULT" "$INT3CALL_SYSROOT_PKGS" | hash_of; }
sysroot_dir() { printf '%s/sysroot-%s-%s\n' "$INT3CALL_CACHE" "$INT3CALL_SUITE" "$(sysroot_key)"; }

# Run a command inside the sysroot, with /proc, /sys and /dev bound in a private mount
# namespace: the mounts vanish with the command, so concurrent runs (a module build beside a
# kernel build) never unmount each other's /proc, and nothing is left mounted.
in_sysroot() { sysroot_exec "" "$@"; }
# in_sysroot_sharing DIR ROOT CMD...: the same, with the host's DIR also seen at the same path
# inside (the guest runs: QEMU from the sysroot reads and writes out/).
in_sysroot_sharing() { mkdir -p "$2$1"; sysroot_exec "$@"; }
sysroot_exec() {
	unshare --mount --propagation private -- /bin/sh -ec '
		share=$1 root=$2; shift 2
		mount --bind /proc "$root/proc"
		mount --bind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		[ -z "$share" ] || mount --bind "$share" "$root$share"
		exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' in_sysroot "$@"
}

# The emulator for every guest run: the sysroot's QEMU (trixie's, pinned with the toolchain, so
# every host runs the same one), or INT3CALL_QEMU=host for the host's qemu-system-x86_64.
INT3CALL_QEMU=${INT3CALL_QEMU:-sysroot}
case $INT3CALL_QEMU in
sysroot | host) ;;
*) printf '[int3call] error: INT3CALL_QEMU must be sysroot or host, not %s\n' "$INT3CALL_QEMU" >&2; exit 1 ;;
esac

# The module's sources, relative to the top, one a line: rust/*.rs and rust/*.h, and the
# children of a module in its folder (rust/control/*.rs: the kernel's foo.rs + foo/ layout).
# rust/host/ is the host test crate, not part of the module.
module_sources() {
	(cd "$INT3CALL_TOP" && find rust -path rust/host -prune -o -type f \( -name '*.rs' -o -name '*.h' \) -print) | sort
}

# The selftests' test programs: every selftests/int3call/*.sh but the helpers. The Makefile's
# TEST_PROGS must list exactly these, and every runner must run them all (check.sh counts).
selftest_progs() {
	(cd "$INT3CALL_TOP/selftests/int3call" && ls ./*.sh) | sed 's|^\./||' |
		grep -vxE 'lib\.sh|ktap_fallback\.sh|run_tests\.sh' | sort
}

# What the debug kernel leaves to the base one: the busted variants and the bench pipeline
# check our verdict and our tables, not the kernel's state (and a cold CI must stay under an
# hour). Every other selftest runs on both kernels.
INT3CALL_DEBUG_OMITS="busted.sh bench_smoke.sh"
# The selftests the guest of the current flavour runs (the runner reads int3call_omit=).
guest_omits() { [ "$INT3CALL_FLAVOUR" = base ] || echo $INT3CALL_DEBUG_OMITS; }
guest_progs() { selftest_progs | grep -vxF -f <(guest_omits | tr ' ' '\n' | grep .; echo /); }

# The fragments of the current flavour, in merge order.
kernel_fragments() {
	echo "$INT3CALL_TOP/scripts/kernel.config"
	[ "$INT3CALL_FLAVOUR" = base ] || echo "$INT3CALL_TOP/scripts/kernel-$INT3CALL_FLAVOUR.config"
}
# The kernel tree lives inside the sysroot (so the chroot sees it), keyed by series and fragments.
kernel_key() { { printf '%s\n' "$INT3CALL_SERIES"; kernel_fragments | xargs cat; } | hash_of; }
kernel_rel() {
	local f=; [ "$INT3CALL_FLAVOUR" = base ] || f=$INT3CALL_FLAVOUR-
	printf '/build/linux-%s-%s%s\n' "$INT3CALL_SERIES" "$f" "$(kernel_key)"
}
