#!/usr/bin/env bash
# run-all.sh: builds everything and runs every MiniRun test on this machine (as root), then the
# VM stage: the cgroup and container integration tests again inside a throwaway cgroup v2 VM.
#
#   sudo tests/run-all.sh [--no-vm] [dotnet test options...]
#
# Steps: install the Debian packages the tests need (.ci/install-deps.sh, a no-op when present),
# build the busybox fixture image (reproducible, cached), build the solution, then the NativeAOT
# binary through the ./minirun launcher (after the solution, so the launcher does not see the
# Debug build's generated obj/*.cs as newer sources), then `dotnet test --no-build` on the whole
# solution. Integration tests use temporary MiniRun roots under /tmp and remove them; nothing is
# written to /var/lib/minirun.
# Fuzz stage (docs/fuzzing.md): tests/fuzz/run-fuzz.sh, a short afl-fuzz run of every parser of
# untrusted input (about 3 minutes; MINIRUN_SKIP_FUZZ=1 skips it, CI never does).
# VM stage (docs/vm.md): tests/vm/run-tests-in-vm.sh (the tests under qemu, on Debian's kernel
# with a pure cgroup v2) and tests/vm/check-provision-in-vm.sh (the Vagrantfile validated, the
# students' provisioning script run twice offline in the VM). Developers may skip it with
# --no-vm or MINIRUN_SKIP_VM=1; CI (.ci/run) always runs it.
# Prints each stage's "N passed, N failed", the host's failing tests by name, and last the
# combined "N passed, N failed"; exits non-zero when any stage failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

vm=1
[ "${MINIRUN_SKIP_VM:-0}" = 1 ] && vm=0
if [ "${1:-}" = --no-vm ]; then vm=0; shift; fi

if [ "$(id -u)" != 0 ]; then
    echo "run-all: the tests create namespaces, mounts and device nodes: run as root (sudo tests/run-all.sh)" >&2
    exit 1
fi
.ci/install-deps.sh
rootfs-fixtures/build-busybox.sh >/dev/null
dotnet build MiniRun.sln --nologo -v quiet
./minirun --version >/dev/null

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
summary() { grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n1 || true; }

# ---- host suite ---------------------------------------------------------------------------------
start=$(date +%s)
set +e
dotnet test MiniRun.sln --no-build --nologo "$@" 2>&1 | tee "$log"
host_status=${PIPESTATUS[0]}
set -e
host_passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
host_failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
host_line="host: $host_passed passed, $host_failed failed ($(( $(date +%s) - start )) s)"
# the failing tests' names, repeated at the very end, where a CI log's tail shows them
host_failures="$(grep -a -E '^  Failed [A-Za-z]' "$log" | sed -E 's/^  Failed /run-all: host failed: /' | head -n 20 || true)"
echo "$host_passed passed, $host_failed failed"

# ---- fuzz stage (docs/fuzzing.md) ---------------------------------------------------------------
# Every parser of untrusted input under afl-fuzz for MINIRUN_FUZZ_SECONDS (default 20) per target,
# two at a time: about 3 minutes. Skip with MINIRUN_SKIP_FUZZ=1; CI always runs it.
fuzz_passed=0 fuzz_failed=0 fuzz_status=0 fuzz_line="fuzz: skipped (MINIRUN_SKIP_FUZZ=1)"
if [ "${MINIRUN_SKIP_FUZZ:-0}" != 1 ]; then
    start=$(date +%s)
    set +e
    tests/fuzz/run-fuzz.sh --seconds "${MINIRUN_FUZZ_SECONDS:-20}" 2>&1 | tee "$log"
    fuzz_status=${PIPESTATUS[0]}
    set -e
    s="$(grep -a -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 | sed 's/^fuzz: //')"
    if [ -z "$s" ]; then
        s="0 passed, 1 failed"    # the fuzz script stopped before its targets ran
        [ "$fuzz_status" -ne 0 ] || fuzz_status=1
    fi
    fuzz_passed=$(echo "$s" | awk '{print $1}') fuzz_failed=$(echo "$s" | awk '{print $3}')
    fuzz_line="fuzz: $s ($(( $(date +%s) - start )) s, exit $fuzz_status)"
fi

if [ "$vm" = 0 ]; then
    echo "run-all: $host_line"
    [ -z "$host_failures" ] || echo "$host_failures"
    echo "run-all: $fuzz_line"
    echo "run-all: VM stage skipped (--no-vm or MINIRUN_SKIP_VM=1); CI runs it"
    echo "$(( host_passed + fuzz_passed )) passed, $(( host_failed + fuzz_failed )) failed"
    [ "$host_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ]
    exit
fi

# ---- VM stage -----------------------------------------------------------------------------------
vm_passed=0 vm_failed=0 vm_status=0 stage_lines=()
for stage in tests/vm/run-tests-in-vm.sh tests/vm/check-provision-in-vm.sh; do
    echo "run-all: $stage"
    start=$(date +%s)
    set +e
    "$stage" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    s="$(summary "$log")"
    if [ -z "$s" ]; then
        s="0 passed, 1 failed"    # the stage did not get as far as its tests: count it as a failure
        [ "$status" -ne 0 ] || status=1
    fi
    # a stage that failed without a failing test (the VM preflight, the skip check) counts as one
    if [ "$status" -ne 0 ] && [ "$(echo "$s" | awk '{print $3}')" = 0 ]; then
        s="$(echo "$s" | awk '{print $1}') passed, 1 failed"
    fi
    [ "$status" -eq 0 ] || vm_status=$status
    vm_passed=$(( vm_passed + $(echo "$s" | awk '{print $1}') ))
    vm_failed=$(( vm_failed + $(echo "$s" | awk '{print $3}') ))
    stage_lines+=("$(basename "$stage" .sh): $s ($(( $(date +%s) - start )) s, exit $status)")
done

echo "run-all: $host_line"
[ -z "$host_failures" ] || echo "$host_failures"
echo "run-all: $fuzz_line"
printf 'run-all: %s\n' "${stage_lines[@]}"
echo "$(( host_passed + fuzz_passed + vm_passed )) passed, $(( host_failed + fuzz_failed + vm_failed )) failed"
[ "$host_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ] && [ "$vm_status" -eq 0 ]
