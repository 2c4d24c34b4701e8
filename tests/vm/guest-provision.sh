#!/usr/bin/env bash
# guest-provision.sh: runs inside the test VM (started by check-provision-in-vm.sh): exercises the
# students' provisioning script, vagrant/provision.sh, everywhere but its downloads.
#
#   bash tests/vm/guest-provision.sh
#
# Why: the Vagrant VM cannot be booted here (no VirtualBox/libvirt/Hyper-V, no internet), but its
# provisioning script can run as root on a cgroup v2 kernel whose / is a throwaway tmpfs overlay:
# offline mode (MINIRUN_PROVISION_OFFLINE=1: no apt-get update/install, no .NET download, fails
# naming anything missing) with the host's packages and .NET SDK seen through 9p. Run twice: the
# first must install /usr/local/bin/minirun and load busybox, the second must change nothing
# (idempotence), and the installed copy must run a container with a cgroup v2 limit.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
say() { echo "vm-provision: $*"; }
fail() { echo "vm-provision: FAIL: $*"; exit 1; }

export MINIRUN_SRC="$repo" MINIRUN_PROVISION_OFFLINE=1 MINIRUN_ROOT=/var/lib/minirun-vm
target=/usr/local/bin/minirun
[ ! -e "$target" ] || fail "$target exists before provisioning (the guest overlay should not have it)"
# the launcher (./minirun) rebuilds when a source file is newer than the binary: a NativeAOT build
# under TCG would take far longer than this check may, so refuse early, naming the file (the
# launcher's own rule: tools/newer-source.sh)
newer="$(tools/newer-source.sh artifacts/bin/minirun)"
[ -z "$newer" ] || fail "$newer is newer than artifacts/bin/minirun, so provision.sh would rebuild MiniRun inside the VM: run ./minirun --version on the host first"

for run in 1 2; do
    say "run $run: MINIRUN_PROVISION_OFFLINE=1 vagrant/provision.sh"
    bash vagrant/provision.sh > /tmp/provision.out 2>&1; rc=$?
    out="$(cat /tmp/provision.out)"
    printf '%s\n' "$out" | sed 's/^/  /'
    [ "$rc" -eq 0 ] || fail "run $run of vagrant/provision.sh exited $rc"
    printf '%s\n' "$out" | grep -q '^provision: cgroup v2: active' || fail "run $run: provision.sh did not report cgroup v2 as active"
    if [ "$run" = 1 ]; then
        printf '%s\n' "$out" | grep -q "^provision: minirun: installed $target" || fail "run 1 did not install $target"
        first_mtime=$(stat -c %Y.%i "$target")
    else
        printf '%s\n' "$out" | grep -q "^provision: minirun: $target already up to date" || fail "run 2 reinstalled $target (not idempotent)"
        [ "$(stat -c %Y.%i "$target")" = "$first_mtime" ] || fail "run 2 replaced $target (not idempotent)"
    fi
done
cmp -s "$target" artifacts/bin/minirun || fail "$target differs from artifacts/bin/minirun"
mem="$("$target" run --rm --memory 32m busybox cat /sys/fs/cgroup/memory.max 2>&1)"
[ "$mem" = 33554432 ] || fail "$target run --rm --memory 32m busybox cat /sys/fs/cgroup/memory.max printed: $mem"
say "ok: provision.sh installed $target, ran twice (the second changed nothing), and '$target run --memory 32m' reads memory.max = $mem"
