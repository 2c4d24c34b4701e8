#!/usr/bin/env bash
# run-tests-in-vm.sh: the VM stage of the test suite. Runs the cgroup tests and the container
# integration tests, already built on the host, as root inside the throwaway cgroup v2 VM
# (run-in-vm.sh), prints their output and "N passed, N failed" on the host, and exits with their
# result.
#
#   sudo tests/vm/run-tests-in-vm.sh [--filter EXPR] [--mem MB] [--cpus N] [--timeout S]
#
# Why: the development machines and most CI hosts have no usable cgroup v2 (platform-facts.md §3),
# so the resource-limit code is only really exercised on a kernel of its own. guest-tests.sh does
# the work inside: a preflight container with --memory, `dotnet test` on the built assembly
# (no build, no restore, no network), and the skip count from the TRX results.
#
# Which tests: every test whose name contains "Cgroup" (the Cgroups and CgroupV2 namespaces, and
# integration tests such as the cgroup namespace one), plus FullyQualifiedName~W for each word W
# (AppArmor: the guest's kernel has AppArmor and this host's does not, so confined containers are
# tested only here; guest-tests.sh sets MINIRUN_TEST_VM=1 so those tests fail rather than skip)
# in MINIRUN_VM_TESTS (default "Integration Lifecycle Exec Health AppArmor") minus
# FullyQualifiedName!~X for each X in MINIRUN_VM_TESTS_EXCLUDE (default "StartStress ExitStatus
# UsernsRemap Compose": 2000 starts, and CLI exit codes that do not depend on the kernel, cost more
# minutes under TCG than the stage has; --userns=remap idmaps the layers, and the guest's Debian 6.1
# kernel cannot idmap the tmpfs-backed overlay its /tmp is on (tmpfs since 6.3): it refuses in one
# line naming mount_setattr; compose's integration tests build images and run bridge networks in
# a namespace, none of it cgroup-dependent, for minutes; the host suite runs all four). --filter replaces the whole expression (VSTest).
# Needs on the host, built: artifacts/bin/minirun (./minirun --version), rootfs-fixtures/out/busybox
# (rootfs-fixtures/build-busybox.sh) and the test assembly (dotnet build tests/MiniRun.Tests);
# tests/run-all.sh does all three. Exit: the tests' result; 125 when the VM or the preflight
# failed; 2 for a usage error. See docs/vm.md.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

mem=3072
cpus=2
timeout_s=1500    # 25 min: the stage takes 5-12 min under emulation (AppArmor tests included), more on a loaded machine; CI has 90
filter=
usage() { echo "usage: $0 [--filter EXPR] [--mem MB] [--cpus N] [--timeout S]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --filter) filter="${2:?}"; shift 2 ;;
        --mem) mem="${2:?}"; shift 2 ;;
        --cpus) cpus="${2:?}"; shift 2 ;;
        --timeout) timeout_s="${2:?}"; shift 2 ;;
        *) usage ;;
    esac
done
if [ -z "$filter" ]; then
    include=() exclude=()
    for w in ${MINIRUN_VM_TESTS-Integration Lifecycle Exec Health AppArmor}; do include+=("FullyQualifiedName~$w"); done
    for w in ${MINIRUN_VM_TESTS_EXCLUDE-StartStress ExitStatus UsernsRemap Compose}; do exclude+=("FullyQualifiedName!~$w"); done
    # every cgroup test, always; the other groups minus the exclusions
    filter="FullyQualifiedName~Cgroup"
    if [ ${#include[@]} -gt 0 ]; then
        rest="($(IFS='|'; echo "${include[*]}"))"
        [ ${#exclude[@]} -eq 0 ] || rest="$rest&$(IFS='&'; echo "${exclude[*]}")"
        filter="$filter|($rest)"
    fi
fi
[ "$(id -u)" = 0 ] || { echo "run-tests-in-vm: run as root (sudo $0)" >&2; exit 125; }
missing=()
[ -x artifacts/bin/minirun ] || missing+=("artifacts/bin/minirun (./minirun --version)")
[ -d rootfs-fixtures/out/busybox ] || missing+=("rootfs-fixtures/out/busybox (rootfs-fixtures/build-busybox.sh)")
compgen -G 'tests/MiniRun.Tests/bin/Debug/net10.0/*/MiniRun.Tests.dll' >/dev/null \
    || missing+=("the test assembly (dotnet build tests/MiniRun.Tests)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'run-tests-in-vm: build first (tests/run-all.sh does): %s\n' "${missing[@]}" >&2
    exit 125
fi

log="$(mktemp /var/tmp/minirun-vm-tests.XXXXXX)"
trap 'rm -f "$log"' EXIT
echo "run-tests-in-vm: booting the cgroup v2 VM (--mem $mem --cpus $cpus), filter: $filter"
start=$(date +%s)
set +e
MINIRUN_VM_TIMES=1 tests/vm/run-in-vm.sh --mem "$mem" --cpus "$cpus" --timeout "$timeout_s" -- \
    bash tests/vm/guest-tests.sh "$filter" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
wall=$(( $(date +%s) - start ))

line="$(grep -a '^MINIRUN-VM-TESTS: ' "$log" | tail -n1 || true)"
val() { printf '%s\n' "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
if [ -n "$line" ]; then
    echo "run-tests-in-vm: $(val total) tests in the VM: $(val passed) passed, $(val failed) failed, $(val skipped) skipped (cgroup tests: $(val cgroup), skipped $(val cgroup_skipped); AppArmor confinement tests: $(val apparmor), passed $(val apparmor_passed)); wall time ${wall} s, exit $status"
    echo "$(val passed) passed, $(val failed) failed"
else
    echo "run-tests-in-vm: the tests did not report (exit $status) after ${wall} s; the VM's console log: ${MINIRUN_VM_CACHE:-/var/cache/minirun-vm}/console-last.log"
    [ "$status" -ne 0 ] || status=125
fi
exit "$status"
