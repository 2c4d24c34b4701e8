#!/usr/bin/env bash
# guest-tests.sh: runs inside the test VM (started by run-tests-in-vm.sh through run-in-vm.sh):
# proves the guest has a cgroup v2 MiniRun can use, runs the already-built test assembly with a
# filter, and checks from the TRX results that the cgroup tests really ran.
#
#   bash tests/vm/guest-tests.sh FILTER
#
# Why each step:
# - preflight: the stage is only worth something if MiniRun sees a usable cgroup v2 here, so one
#   real container with --memory must read its own memory.max (cgroup-v2.rst, "memory.max");
# - `dotnet test <assembly>` (VSTest mode) instead of the project: no MSBuild evaluation, which
#   costs minutes of JIT under TCG; nothing is built or restored, no network is touched;
# - the TRX file (VSTest's results format: UnitTestResult testName/outcome) gives per-test
#   outcomes, so skipped cgroup tests are counted and named, and a stage whose cgroup tests were
#   all skipped fails (a VM stage that silently skips proves nothing);
# - MINIRUN_TEST_VM=1 for the tests: the AppArmor tests do not skip here (the kernel has AppArmor)
#   and fail if containers are not confined.
# Prints "MINIRUN-VM-TESTS: total=N passed=N failed=N skipped=N cgroup=N cgroup_skipped=N ..." last.
set -uo pipefail
filter="${1:?usage: guest-tests.sh FILTER}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

say() { echo "vm-tests: $*"; }
# Writable homes on the guest's tmpfs: /root is on the tmpfs overlay already; keep .NET's
# first-run files and any NuGet fallback there too, never on the (read-only) host.
# DOTNET_TieredPGO=0: no instrumented tier in between, less JIT work under TCG.
export HOME=/root DOTNET_CLI_HOME=/root DOTNET_TieredPGO=0 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$DOTNET_CLI_HOME" || { say "mkdir $DOTNET_CLI_HOME failed"; exit 125; }
# podman's and skopeo's state of their own (blob-info-cache-v1.boltdb, libpod): the host's
# /var/lib/containers comes through 9p with cache=loose, and a host podman writing its bolt
# database while the guest reads it gave torn pages ("panic: page 96 already freed").
mkdir -p /var/lib/containers && mount -t tmpfs -o mode=0700 vm-containers /var/lib/containers \
    || { say "mount tmpfs on /var/lib/containers failed"; exit 125; }

# ---- preflight ---------------------------------------------------------------------------------
say "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), cgroup v2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
for c in cpu cpuset io memory pids; do
    grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control || { say "preflight: controller $c is not enabled in /sys/fs/cgroup/cgroup.subtree_control"; exit 125; }
done
bin="$repo/artifacts/bin/minirun"
[ -x "$bin" ] || { say "preflight: $bin missing (build it on the host: ./minirun --version)"; exit 125; }
[ -d rootfs-fixtures/out/busybox ] || { say "preflight: rootfs-fixtures/out/busybox missing (rootfs-fixtures/build-busybox.sh on the host)"; exit 125; }
probe_root="$(mktemp -d /tmp/minirun-vm-probe.XXXXXX)"
"$bin" --root "$probe_root" load -i rootfs-fixtures/out/busybox >/dev/null \
    || { say "preflight: minirun load -i rootfs-fixtures/out/busybox failed"; exit 125; }
probe="$("$bin" --root "$probe_root" run --rm --memory 64m busybox cat /sys/fs/cgroup/memory.max 2>&1)"
rm -rf "$probe_root"
if [ "$probe" != 67108864 ]; then
    say "preflight: minirun run --memory 64m did not get a 64 MiB cgroup v2 limit (read: $probe)"
    exit 125
fi
say "preflight: minirun run --memory 64m reads memory.max = 67108864 inside: cgroup v2 is usable"
# AppArmor: Debian's kernel has it (like the students' Ubuntu), guest-init.sh mounts securityfs,
# apparmor_parser is the host's (.ci/install-deps.sh). Not a preflight failure when absent: the
# AppArmor tests then fail by name instead of skipping, because this variable tells them they are
# in the throwaway VM (Security/AppArmorFactAttribute.cs), where they may also unload profiles.
export MINIRUN_TEST_VM=1
aa_enabled="$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo absent)"
say "AppArmor: module enabled=$aa_enabled, securityfs $([ -d /sys/kernel/security/apparmor ] && echo mounted || echo 'NOT mounted'), $(command -v apparmor_parser >/dev/null && apparmor_parser --version | head -n1 || echo 'apparmor_parser NOT installed (.ci/install-deps.sh installs it)')"

# ---- the tests ---------------------------------------------------------------------------------
# Debug, RuntimeIdentifier linux-x64 (Directory.Build.props): bin/Debug/net10.0/linux-x64/
dll="$(compgen -G 'tests/MiniRun.Tests/bin/Debug/net10.0/*/MiniRun.Tests.dll' | head -n1)"
[ -n "$dll" ] || { say "tests/MiniRun.Tests is not built (dotnet build tests/MiniRun.Tests on the host)"; exit 125; }
results="$(mktemp -d /tmp/minirun-vm-results.XXXXXX)"
say "dotnet test $dll --filter \"$filter\""
start=$(date +%s)
dotnet test "$dll" --filter "$filter" --logger "trx;LogFileName=vm.trx" --logger "console;verbosity=normal" \
    --results-directory "$results"
status=$?
say "dotnet test took $(( $(date +%s) - start )) s (guest clock), exit $status"

# ---- count from the TRX ------------------------------------------------------------------------
trx="$results/vm.trx"
if [ ! -f "$trx" ]; then
    say "no TRX results at $trx: dotnet test did not run the tests"
    exit $(( status == 0 ? 125 : status ))
fi
# one line per test: outcome<TAB>name (attributes in any order; names are XML-escaped)
outcomes="$(grep -o '<UnitTestResult [^>]*>' "$trx" | sed -n 's/.*testName="\([^"]*\)".*outcome="\([^"]*\)".*/\2\t\1/p;
    s/.*outcome="\([^"]*\)".*testName="\([^"]*\)".*/\1\t\2/p')"
count() { printf '%s\n' "$outcomes" | awk -F'\t' -v o="$1" -v re="$2" 'NF && (o == "" || $1 == o) && tolower($2) ~ re { n++ } END { print n + 0 }'; }
total=$(count "" .); passed=$(count Passed .); failed=$(count Failed .); skipped=$(count NotExecuted .)
cg=$(count "" cgroup); cg_skipped=$(count NotExecuted cgroup); cg_passed=$(count Passed cgroup)
# the tests against the real kernel's cgroup v2 (namespace MiniRun.Tests.CgroupV2): those are the
# ones a host without cgroup v2 skips, and the reason this stage exists
kcg=$(count "" '[.]cgroupv2[.]'); kcg_skipped=$(count NotExecuted '[.]cgroupv2[.]')
# the containers confined by AppArmor (Security/AppArmorConfinementTests, AppArmorReloadTests):
# they never skip here (MINIRUN_TEST_VM=1), counted so the summary shows they ran
aa=$(count "" 'apparmor(confinement|reload)tests'); aa_passed=$(count Passed 'apparmor(confinement|reload)tests')
if [ "$skipped" -gt 0 ]; then
    say "skipped tests:"
    printf '%s\n' "$outcomes" | awk -F'\t' '$1 == "NotExecuted" { print "  " $2 }'
fi
if [ "$failed" -gt 0 ]; then
    say "failed tests:"
    printf '%s\n' "$outcomes" | awk -F'\t' '$1 == "Failed" { print "  " $2 }'
fi
say "$total run: $passed passed, $failed failed, $skipped skipped; cgroup tests: $cg ($cg_passed passed, $cg_skipped skipped), of them in CgroupV2: $kcg ($kcg_skipped skipped); AppArmor confinement tests: $aa ($aa_passed passed)"
echo "MINIRUN-VM-TESTS: total=$total passed=$passed failed=$failed skipped=$skipped cgroup=$cg cgroup_skipped=$cg_skipped cgroupv2=$kcg cgroupv2_skipped=$kcg_skipped apparmor=$aa apparmor_passed=$aa_passed"
rm -rf "$results"
if [ "$cg" -eq 0 ]; then
    say "FAIL: no cgroup test matched the filter inside the VM"
    exit 1
fi
if [ "$cg_passed" -eq 0 ] || { [ "$kcg" -gt 0 ] && [ "$kcg" -eq "$kcg_skipped" ]; }; then
    say "FAIL: the cgroup tests were all skipped inside the VM, whose cgroup v2 is usable (see preflight): the stage proves nothing"
    exit 1
fi
exit "$status"
