#!/usr/bin/env bash
# vagrant/provision.sh: turns a fresh Ubuntu 24.04 VM into a machine that runs MiniRun.
#
# What it does, as root, each step skipped when already done (safe to run any number of times):
#   1. apt: the build dependencies of the NativeAOT binary and of the busybox fixture;
#   2. the .NET 10 SDK (apt: Ubuntu's own archive, else Canonical's ppa:dotnet/backports; or a
#      local SDK tarball);
#   3. builds MiniRun with the repository's launcher (`./minirun --version` builds
#      artifacts/bin/minirun) and installs a copy as /usr/local/bin/minirun;
#   4. loads the embedded busybox image (rootfs-fixtures/load-busybox.sh, no network);
#   5. says whether cgroup v2 is active (resource limits need it).
# Why: the course VM (Vagrantfile) must give every student the same working `sudo minirun`.
# The test dependencies are not installed here: tests/run-all.sh installs them (.ci/install-deps.sh).
#
# Environment:
#   MINIRUN_SRC                 the repository (default /vagrant, the Vagrant synced folder)
#   MINIRUN_PROVISION_OFFLINE=1 never download: no apt-get update/install, no .NET download;
#                               everything must already be installed (fails naming what is missing)
#   MINIRUN_DOTNET_TARBALL=F    install the .NET SDK from this local dotnet-sdk-10.0.*-linux-x64.tar.gz
#                               (into /usr/local/share/dotnet) instead of apt; works offline
#   MINIRUN_INSTALL_PREFIX=DIR  where bin/minirun (and share/dotnet) go (default /usr/local)
#   MINIRUN_ROOT                MiniRun's store for the busybox image (default /var/lib/minirun)
#
# Follows: apt-get(8), dpkg-query(1), add-apt-repository(1), stat(1) (%T: cgroup2fs), the
# kernel's Documentation/admin-guide/cgroup-v2.rst, and Microsoft's "Install .NET on Ubuntu".
set -euo pipefail

src=${MINIRUN_SRC:-/vagrant}
offline=${MINIRUN_PROVISION_OFFLINE:-0}
tarball=${MINIRUN_DOTNET_TARBALL:-}
prefix=${MINIRUN_INSTALL_PREFIX:-/usr/local}

say() { echo "provision: $*"; }
die() { echo "provision: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root (sudo $0)"
[[ -x $src/minirun ]] || die "MiniRun sources not found: $src/minirun is missing (set MINIRUN_SRC)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Ubuntu 24.04 (or Debian)"

export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
apt_opts=(-qq -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
log=$(mktemp /tmp/minirun-provision.XXXXXX.log)
trap 'rm -f "$log"' EXIT

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
apt_updated=0
apt_update() {
    ((apt_updated)) && return 0
    apt-get "${apt_opts[@]}" update >"$log" 2>&1 \
        || die "apt-get update failed: $(grep -E '^(E|W):' "$log" | tail -n1)"
    apt_updated=1
}
apt_install() {
    apt_update
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "$@" >"$log" 2>&1 \
        || die "apt-get install $* failed: $(grep -E '^E:' "$log" | tail -n1)"
}

# 1. Build dependencies: gcc/libc6-dev/zlib1g-dev link the NativeAOT binary and compile the C
#    clone stage; make for bench/; busybox-static is the fixture image's /bin/busybox; git, curl,
#    ca-certificates for cloning and HTTPS (NuGet restore, pulls); iproute2 for `ip` in exercises.
packages=(gcc make libc6-dev zlib1g-dev busybox-static git curl ca-certificates iproute2 tar gzip
          nftables libseccomp2)   # nft: the bridge network's NAT and published ports (docs/networking.md)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
    say "build dependencies: all ${#packages[@]} packages already installed"
elif [[ $offline == 1 ]]; then
    die "offline mode: packages missing and downloads are off: ${missing[*]}"
else
    apt_install "${missing[@]}"
    say "build dependencies: installed ${missing[*]}"
fi

# 2. The .NET 10 SDK.
# The newest 10.x SDK version, from `dotnet --list-sdks` (answered by the native host, no JIT:
# `dotnet --version` starts the SDK's managed code, seconds on a slow VM).
sdk_version() { "$1" --list-sdks 2>/dev/null | awk '/^10\./ { v = $1 } END { print v }'; }
find_dotnet() {
    local d
    for d in "$(command -v dotnet 2>/dev/null || true)" /usr/bin/dotnet /usr/lib/dotnet/dotnet \
             /usr/share/dotnet/dotnet "$prefix/bin/dotnet" "$prefix/share/dotnet/dotnet"; do
        [[ -n $d && -x $d ]] && "$d" --list-sdks 2>/dev/null | grep -q '^10\.' && { echo "$d"; return 0; }
    done
    return 1
}
if dotnet=$(find_dotnet); then
    say ".NET SDK: $(sdk_version "$dotnet") already installed ($dotnet)"
elif [[ -n $tarball ]]; then
    [[ -f $tarball ]] || die "MINIRUN_DOTNET_TARBALL: $tarball: no such file"
    mkdir -p "$prefix/share/dotnet" "$prefix/bin"
    tar -xzf "$tarball" -C "$prefix/share/dotnet" || die "unpack .NET SDK $tarball into $prefix/share/dotnet failed"
    ln -sfn "$prefix/share/dotnet/dotnet" "$prefix/bin/dotnet"
    dotnet=$(find_dotnet) || die "the tarball $tarball holds no .NET 10 SDK"
    say ".NET SDK: $(sdk_version "$dotnet") installed from $tarball"
elif [[ $offline == 1 ]]; then
    die "offline mode: no .NET 10 SDK found and downloads are off (install one, or set MINIRUN_DOTNET_TARBALL)"
else
    # Ubuntu 24.04 builds .NET itself; Microsoft publishes no packages for 24.04 at
    # packages.microsoft.com. dotnet-sdk-10.0 comes from the Ubuntu archive (noble-updates) when it
    # is there, else from Canonical's backports PPA (ppa:dotnet/backports).
    apt_update
    if [[ -z $(apt-cache policy dotnet-sdk-10.0 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" { print $2 }') ]]; then
        os_id=$(sed -n 's/^ID=//p' /etc/os-release 2>/dev/null | tr -d '"')
        [[ $os_id == ubuntu ]] || die "dotnet-sdk-10.0 is not in this machine's apt sources and ppa:dotnet/backports is for Ubuntu only (set MINIRUN_DOTNET_TARBALL)"
        installed software-properties-common || apt_install software-properties-common
        add-apt-repository -y ppa:dotnet/backports >"$log" 2>&1 \
            || die "add-apt-repository ppa:dotnet/backports failed: $(tail -n1 "$log")"
        apt_updated=0
        say ".NET SDK: dotnet-sdk-10.0 not in the Ubuntu archive; using ppa:dotnet/backports"
    fi
    apt_install dotnet-sdk-10.0
    dotnet=$(find_dotnet) || die "dotnet-sdk-10.0 installed but no .NET 10 SDK found"
    say ".NET SDK: $(sdk_version "$dotnet") installed with apt (dotnet-sdk-10.0)"
fi
# The launcher looks for `dotnet` on PATH (and a few fixed places): make sure it finds this one.
PATH="$(dirname "$dotnet"):$PATH"
export PATH

# 3. Build MiniRun (the launcher rebuilds only when sources changed) and install a copy, so
#    /usr/local/bin/minirun keeps working when the synced folder is not mounted.
"$src/minirun" --version >/dev/null || die "build MiniRun with $src/minirun failed (see the lines above)"
built=$src/artifacts/bin/minirun
[[ -x $built ]] || die "build MiniRun: $built missing after a successful build"
target=$prefix/bin/minirun
mkdir -p "$prefix/bin"
if [[ -f $target && ! -L $target ]] && cmp -s "$built" "$target"; then
    say "minirun: $target already up to date ($("$target" --version))"
else
    rm -f "$target"    # a symlink left by hand must not make install write through it
    install -m 0755 "$built" "$target"
    say "minirun: installed $target ($("$target" --version))"
fi
# minirun-oci: the same binary under runc's command line, for podman and containerd (docs/oci.md).
if [[ "$(readlink "$prefix/bin/minirun-oci" 2>/dev/null)" != minirun ]]; then
    ln -sfn minirun "$prefix/bin/minirun-oci"
    say "minirun: linked $prefix/bin/minirun-oci -> minirun"
fi

# 3b. minirun-boot.service: after a reboot, containers with --restart always/unless-stopped come back.
unit=/etc/systemd/system/minirun-boot.service
if [[ -f $unit ]] && cmp -s "$src/vagrant/minirun-boot.service" "$unit"; then
    say "minirun-boot.service: already installed"
else
    install -m 0644 "$src/vagrant/minirun-boot.service" "$unit"
    say "minirun-boot.service: installed $unit"
fi
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload && systemctl enable minirun-boot.service >/dev/null 2>&1 \
        && say "minirun-boot.service: enabled (runs \`minirun boot\` at start-up)" \
        || say "minirun-boot.service: could not be enabled (systemctl failed); run 'systemctl enable minirun-boot.service'"
else
    say "minirun-boot.service: systemd is not running here; not enabled"
fi

# 4. The embedded busybox image (built from busybox-static, no registry).
"$src/rootfs-fixtures/load-busybox.sh" >/dev/null || die "load the busybox image with $src/rootfs-fixtures/load-busybox.sh failed"
say "busybox image: loaded in ${MINIRUN_ROOT:-/var/lib/minirun}"

# 5. cgroup v2: Ubuntu 24.04 boots with the unified hierarchy only. Say clearly either way.
fstype=$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo missing)
if [[ $fstype == cgroup2fs ]]; then
    say "cgroup v2: active (/sys/fs/cgroup is cgroup2fs; controllers: $(tr '\n' ' ' </sys/fs/cgroup/cgroup.controllers 2>/dev/null | sed 's/ *$//'))"
else
    say "cgroup v2: NOT active (/sys/fs/cgroup is $fstype, not cgroup2fs): containers run, but resource limits (--memory, --cpus, --pids-limit...) will fail"
fi
say "done: try 'sudo minirun run --rm -it busybox sh' (or 'sudo minirun run -it alpine sh' with internet access)"
