#!/usr/bin/env bash
# .ci/install-deps.sh - installs the Debian packages that MiniRun's tests, fixtures and benchmarks
# need on a fresh Debian 12 machine (as root, with only the package registries reachable),
# including the VM stage's qemu (its kernel is fetched later by tests/vm/run-in-vm.sh with
# apt-get download into a cache, never installed).
#
# Why: a new machine has nothing but the .NET SDK; the project's own files must install the rest.
# Idempotent: when every package is already installed it does nothing (no apt-get update, no
# network). Otherwise it runs `apt-get update` and installs only what is missing. Quiet: one line
# on success; on failure one line naming the step and the last apt message, and a non-zero exit.
# It does NOT install the .NET SDK.
#
# Follows: apt-get(8), dpkg-query(1); package names from Debian 12 "bookworm".
set -euo pipefail

packages=(
    busybox-static   # rootfs-fixtures/build-busybox.sh: the image's /bin/busybox
    runc crun        # reference runtimes (bench/, conformance checks)
    podman containerd    # tests/MiniRun.Tests/Oci: engines that drive minirun-oci (conmon, netavark, the runc shim come along)
    libseccomp2      # linux.seccomp is compiled with libseccomp (loaded only when a spec asks for seccomp)
    apparmor         # apparmor_parser: the test VM (whose userland is this host's) loads minirun-default with it;
                     # harmless on a kernel without AppArmor: its scripts and apparmor.service load nothing there
    hyperfine jq     # bench/run-start.sh
    skopeo umoci     # rootfs-fixtures/check-busybox.sh: independent OCI layout readers
    gcc libc6-dev make   # NativeAOT linking, the C clone stage, bench/hide-cgroup2.c
    zlib1g-dev       # NativeAOT link dependency on some SDK versions
    iproute2         # ip: network namespace / veth tests
    nftables         # nft: MiniRun's own table `ip minirun` (src/MiniRun/Network/NftFirewall.cs; docs/dependencies.md)
    socat            # tests/MiniRun.Tests/Network: a UDP server in a test network namespace (busybox nc has no UDP)
    util-linux       # unshare, nsenter, findmnt, mount
    procps           # ps, pgrep in tests
    libcap2-bin      # capsh: the security lab decodes capability masks (docs/labs, SecurityLabTests)
    tar gzip zstd    # layer fixtures (gzip and zstd compressed)
    afl++            # tests/fuzz/run-fuzz.sh: afl-fuzz drives the SharpFuzz targets (docs/fuzzing.md)
    ca-certificates  # dotnet restore over HTTPS
    docker-registry  # tests/MiniRun.Tests/Registry: the distribution registry the pull tests talk to
    apache2-utils    # htpasswd -B: bcrypt users for the basic-auth registry in those tests
    curl             # registry harness tests: raw distribution API requests
    debootstrap      # bench/run-pull.sh: a Debian minbase rootfs as the ~50 MB image to pull
    # the VM stage (tests/vm/, docs/vm.md): qemu, its qboot firmware, the initramfs tools
    qemu-system-x86 qemu-system-data   # qemu-system-x86_64 (TCG); /usr/share/qemu/qboot.rom
    cpio xz-utils kmod                 # initramfs archive; the kernel's xz payload; modprobe/depmod
    git              # vagrant/provision.sh (checked offline in the VM) requires it installed
    vagrant          # tests/vm/check-provision-in-vm.sh: vagrant validate --ignore-provider
)

fail() { echo "install-deps: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "must run as root"
command -v apt-get >/dev/null || fail "apt-get not found: this script is for Debian"

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

log=$(mktemp /tmp/install-deps.XXXXXX.log)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-qq -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)

apt-get "${apt_opts[@]}" update >"$log" 2>&1 \
    || fail "apt-get update failed: $(grep -E '^(E|W):' "$log" | tail -n1)"
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1 \
    || fail "apt-get install ${missing[*]} failed: $(grep -E '^E:' "$log" | tail -n1)"

# Check that the commands the scripts call are really there now.
for c in busybox runc crun podman conmon containerd ctr containerd-shim-runc-v2 hyperfine jq skopeo umoci gcc make ip unshare findmnt zstd \
         docker-registry htpasswd curl debootstrap qemu-system-x86_64 cpio xz modprobe depmod nft socat \
         git vagrant apparmor_parser afl-fuzz; do
    command -v "$c" >/dev/null || fail "$c is still missing after installing ${missing[*]}"
done
echo "install-deps: installed ${missing[*]}"
