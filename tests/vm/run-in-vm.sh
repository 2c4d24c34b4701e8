#!/usr/bin/env bash
# run-in-vm.sh: runs one command as root inside a throwaway qemu VM on Debian's packaged kernel,
# whose cgroup v2 has cpu, cpuset, io, memory and pids, and exits with the command's exit code.
#
#   tests/vm/run-in-vm.sh [--mem MB] [--cpus N] [--timeout S] [--accel auto|tcg|kvm] -- COMMAND...
#
# Why: the development machines have a hybrid cgroup layout without v2 controllers, so the cgroup
# tests need a kernel of their own. The VM sees the host's / read-only (virtio-9p) under a tmpfs
# overlay, so the worktree, .NET and the built minirun are there without any image. COMMAND runs
# in the current directory (under /tmp too: the guest mounts its own tmpfs there and binds the
# directory back at the same path)
# with MINIRUN_ROOT=/var/lib/minirun-vm, a real tmpfs. Its stdout/stderr come back on serial
# ports ttyS1/ttyS2; kernel and init messages go to ttyS0, kept in $cache/console-last.log.
#
# The kernel is fetched with `apt-get download` (the version linux-image-amd64 depends on) and
# unpacked with dpkg-deb -x into the cache (MINIRUN_VM_CACHE, default /var/cache/minirun-vm); it is
# never installed. Its xz payload is unpacked once into an ELF vmlinux booted through PVH with the
# qboot firmware (~2 s boot under TCG instead of ~6 s). See docs/vm.md; qemu(1), qemu-9p docs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MINIRUN_VM_CACHE:-/var/cache/minirun-vm}"
mem=1024
cpus=2
timeout_s=900
accel="${MINIRUN_VM_ACCEL:-auto}"
# modules loaded in the guest, with their dependencies resolved by modprobe --show-depends
# (MINIRUN_VM_MODULES adds more, e.g. "tun"; each costs boot time under TCG). The guest cannot
# autoload (its /lib/modules is the host's kernel's), so the nftables expressions MiniRun's
# bridge network uses are listed: nat chains, dnat/masquerade, ct state, fib daddr type local.
modules="virtio_pci 9pnet_virtio 9p overlay veth bridge br_netfilter nf_tables nft_chain_nat nft_nat nft_masq nft_ct nft_fib_ipv4 ${MINIRUN_VM_MODULES:-}"

usage() { echo "usage: $0 [--mem MB] [--cpus N] [--timeout S] [--accel auto|tcg|kvm] -- COMMAND..." >&2; exit 2; }
die() { echo "run-in-vm: $*" >&2; exit 125; }

while [ $# -gt 0 ]; do
    case "$1" in
        --mem) mem="${2:?}"; shift 2 ;;
        --cpus) cpus="${2:?}"; shift 2 ;;
        --timeout) timeout_s="${2:?}"; shift 2 ;;
        --accel) accel="${2:?}"; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage ;;
        *) usage ;;
    esac
done
[ $# -gt 0 ] || usage
case "$mem$cpus$timeout_s" in *[!0-9]*) die "--mem, --cpus and --timeout take whole numbers" ;; esac
[ "$mem" -ge 256 ] || die "--mem $mem: the guest needs at least 256 MB (the kernel alone is 65 MB)"
[ "$(id -u)" = 0 ] || die "run as root (apt-get, the cache in $cache, and the command runs as root in the guest)"

# ---- host packages (idempotent) ------------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -e /usr/share/qemu/qboot.rom ] || need+=(qemu-system-data)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -x switch_root >/dev/null || need+=(busybox-static)
command -v xz >/dev/null || need+=(xz-utils)
command -v cpio >/dev/null || need+=(cpio)
command -v modprobe >/dev/null || need+=(kmod)
if [ ${#need[@]} -gt 0 ]; then
    echo "run-in-vm: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2 \
        || die "apt-get install ${need[*]} failed"
fi
case "$(file -b /bin/busybox 2>/dev/null || echo static)" in *dynamically*) die "/bin/busybox is not static: install busybox-static" ;; esac

# ---- kernel and initramfs, cached --------------------------------------------------------------
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
# apt-cache is slow (seconds on a busy machine): ask again only when apt's lists changed
kpkg_file="$cache/kernel-package"
if [ -s "$kpkg_file" ] && [ "$kpkg_file" -nt /var/lib/apt/lists ] && [ "$kpkg_file" -nt /var/cache/apt/pkgcache.bin ]; then
    kpkg="$(cat "$kpkg_file")"
else
    kernel_dep() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1; }
    kpkg="$(kernel_dep)"
    if [ -z "$kpkg" ]; then
        # a fresh machine (or container image) may have no apt lists at all
        echo "run-in-vm: apt knows no linux-image-amd64: running apt-get update" >&2
        apt-get -qq -o DPkg::Lock::Timeout=300 update >&2 || die "apt-get update failed"
        kpkg="$(kernel_dep)"
    fi
    [ -n "$kpkg" ] && echo "$kpkg" > "$kpkg_file"
fi
[ -n "$kpkg" ] || die "apt-cache depends linux-image-amd64: no linux-image-<version>-amd64 dependency (apt-get update?)"
kver="${kpkg#linux-image-}"
kdir="$cache/$kver"
if [ ! -f "$kdir/.unpacked" ]; then
    echo "run-in-vm: fetching $kpkg into $kdir" >&2
    rm -rf "$kdir"; mkdir -p "$kdir"
    if ! (cd "$kdir" && apt-get download "$kpkg" >/dev/null 2>&1); then
        # stale lists name a version the mirror no longer has: refresh once and ask again
        echo "run-in-vm: apt-get download $kpkg failed: running apt-get update and retrying" >&2
        apt-get -qq -o DPkg::Lock::Timeout=300 update >&2 || die "apt-get update failed"
        rm -f "$kpkg_file"
        die_hint="$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)"
        [ "$die_hint" = "$kpkg" ] || die "apt-get update: linux-image-amd64 now depends on $die_hint, not $kpkg: run again"
        (cd "$kdir" && apt-get download "$kpkg" >&2) || die "apt-get download $kpkg failed"
    fi
    dpkg-deb -x "$kdir"/"$kpkg"_*.deb "$kdir/root" || die "dpkg-deb -x $kpkg failed"
    depmod -b "$kdir/root" "$kver" || die "depmod -b $kdir/root $kver failed"
    rm -f "$kdir"/*.deb
    touch "$kdir/.unpacked"
fi
if [ ! -f "$kdir/vmlinux" ]; then
    # bzImage = setup code + compressed ELF; find the xz stream and unpack it (trailing data is fine)
    bz="$kdir/root/boot/vmlinuz-$kver"
    off="$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1 || true)"
    [ -n "$off" ] || die "no xz payload in $bz"
    tail -c +"$((off + 1))" "$bz" | xz -dc 2>/dev/null > "$kdir/vmlinux.tmp" || true
    [ "$(head -c 4 "$kdir/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] || die "unpacking $bz did not give an ELF vmlinux"
    mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
fi
modfiles="$(for m in $modules; do modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" 2>/dev/null || echo "missing $m"; done \
    | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')"
key="$( { echo "$kver"; echo "$modfiles"; sha256sum /bin/busybox "$here/guest-init.sh" "$here/guest-run.sh"; } | sha256sum | cut -c1-16)"
initrd="$kdir/initramfs-$key.cpio"
if [ ! -f "$initrd" ]; then
    echo "run-in-vm: building $initrd" >&2
    staging="$(mktemp -d)"
    mkdir -p "$staging/bin" "$staging/modules"
    cp /bin/busybox "$staging/bin/busybox"
    cp "$here/guest-init.sh" "$staging/init"; chmod 755 "$staging/init"
    cp "$here/guest-run.sh" "$staging/guest-run.sh"
    : > "$staging/modules.list"
    for f in $modfiles; do
        cp "$f" "$staging/modules/"; basename "$f" >> "$staging/modules.list"
    done
    (cd "$staging" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$initrd.tmp"
    rm -rf "$staging"
    rm -f "$kdir"/initramfs-*.cpio
    mv "$initrd.tmp" "$initrd"
fi

# ---- accelerator ----------------------------------------------------------------------------
kvm_works() {
    # kvm_pvm (this project's dev machines) only runs PVM guest kernels: Debian's kernel hangs
    [ -e /sys/module/kvm_pvm ] && return 1
    [ -w /dev/kvm ] || return 1
    local probe="$cache/kvm-probe.$(cat /proc/sys/kernel/random/boot_id)"
    [ -f "$probe" ] && { [ "$(cat "$probe")" = yes ]; return; }
    rm -f "$cache"/kvm-probe.*
    # a real boot within 20 s: the kernel must get as far as looking for init (and panic: no initrd)
    timeout -k 2 20 qemu-system-x86_64 -accel kvm -cpu host -machine q35 -m 256 -nodefaults \
        -no-user-config -display none -no-reboot -bios /usr/share/qemu/qboot.rom \
        -kernel "$kdir/vmlinux" -append "console=ttyS0 panic=-1 rdinit=/nonexistent" \
        -serial file:"$probe.log" </dev/null >/dev/null 2>&1 || true
    if grep -q 'Kernel panic' "$probe.log" 2>/dev/null; then echo yes; else echo no; fi > "$probe"
    rm -f "$probe.log"
    [ "$(cat "$probe")" = yes ]
}
case "$accel" in
    tcg) accel_args=(-accel tcg,thread=multi -cpu max) ;;
    kvm) accel_args=(-accel kvm -cpu host) ;;
    auto) if kvm_works; then accel_args=(-accel kvm -cpu host); else accel_args=(-accel tcg,thread=multi -cpu max); fi ;;
    *) usage ;;
esac
flock -u 9

# ---- the job ----------------------------------------------------------------------------------
job="$(mktemp -d /var/tmp/minirun-vm-job.XXXXXX)"
qpid=
cleanup() {
    if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; fi
    if [ -n "${catout:-}" ]; then kill "$catout" "$caterr" 2>/dev/null || true; fi
    wait 2>/dev/null
    rm -rf "$job"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
{
    echo "# the job's command, run by /bin/bash in the guest (written by run-in-vm.sh)"
    printf 'export PATH=%q\n' "$PATH"
    echo 'export HOME=/root TERM=dumb LANG=C.UTF-8 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1'
    echo 'export MINIRUN_ROOT=/var/lib/minirun-vm'
    [ -n "${DOTNET_ROOT:-}" ] && printf 'export DOTNET_ROOT=%q\n' "$DOTNET_ROOT"
    printf 'cd %q || exit 125\n' "$PWD"
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$job/cmd.sh"
# The guest mounts its own tmpfs on /tmp; a working directory under /tmp (a CI clone, say) is
# bound back over it at the same path (guest-run.sh).
case "$PWD/" in /tmp/*) printf '%s' "$PWD" > "$job/workdir" ;; esac
mkfifo "$job/stdout" "$job/stderr"
cat "$job/stdout" & catout=$!
cat "$job/stderr" >&2 & caterr=$!

start=$(date +%s.%N)
timeout -k 5 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" -machine q35 -m "$mem" -smp "$cpus" \
    -nodefaults -no-user-config -display none -no-reboot \
    -bios /usr/share/qemu/qboot.rom -kernel "$kdir/vmlinux" -initrd "$initrd" \
    -append "console=ttyS0 ${MINIRUN_VM_KERNEL_LOG:-quiet loglevel=4} panic=-1 cgroup_no_v1=all cryptomgr.notests i8042.noaux i8042.nokbd mitigations=off lpj=10000000 no_timer_check audit=0 minirun_vm.job=$job" \
    -chardev file,id=con,path="$job/console.log" -serial chardev:con \
    -chardev file,id=out,path="$job/stdout" -serial chardev:out \
    -chardev file,id=err,path="$job/stderr" -serial chardev:err \
    -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    </dev/null >"$job/qemu.log" 2>&1 &
qpid=$!
set +e
wait "$qpid"; qrc=$?
qpid=
wait "$catout" "$caterr"
set -e
end=$(date +%s.%N)

mv "$job/console.log" "$cache/console-last.log" 2>/dev/null || true
rc="$(sed -n 's/^MINIRUN-VM-EXIT: \([0-9]*\).*/\1/p' "$cache/console-last.log" 2>/dev/null | tail -n1)"
if [ -z "$rc" ]; then
    [ "$qrc" = 124 ] && echo "run-in-vm: timed out after ${timeout_s}s (--timeout)" >&2
    echo "run-in-vm: the VM ended (qemu exit $qrc) without reporting the command's exit code; console log: $cache/console-last.log" >&2
    sed 's/^/qemu: /' "$job/qemu.log" >&2
    tail -n 20 "$cache/console-last.log" >&2 2>/dev/null
    exit 125
fi
if [ -n "${MINIRUN_VM_TIMES:-}" ]; then
    # guest uptimes printed by guest-run.sh beside its markers
    up_start="$(sed -n 's/^MINIRUN-VM-START \([0-9.]*\).*/\1/p' "$cache/console-last.log")"
    up_end="$(sed -n 's/^MINIRUN-VM-EXIT: [0-9]* \([0-9.]*\).*/\1/p' "$cache/console-last.log")"
    awk -v s="$start" -v e="$end" -v us="$up_start" -v ue="$up_end" 'BEGIN {
        printf "run-in-vm: kernel boot to command %.1f s (guest clock), command %.1f s, total %.1f s (wall, qemu start to exit)\n", us, ue - us, e - s }' >&2
fi
exit "$rc"
