#!/usr/bin/env bash
# run-all.sh: builds everything and runs every MiniRun test on this machine (as root).
#
# Steps: install the Debian packages the tests need (.ci/install-deps.sh, a no-op when present),
# build the busybox fixture image (reproducible, cached), build the NativeAOT binary through the
# ./minirun launcher, then `dotnet test` on the whole solution. Integration tests use temporary
# MiniRun roots under /tmp and remove them; nothing is written to /var/lib/minirun.
# The last line is "N passed, N failed" summed over the test projects.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

if [ "$(id -u)" != 0 ]; then
    echo "run-all: the tests create namespaces, mounts and device nodes: run as root (sudo tests/run-all.sh)" >&2
    exit 1
fi
.ci/install-deps.sh
rootfs-fixtures/build-busybox.sh >/dev/null
./minirun --version >/dev/null

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test MiniRun.sln --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
echo "$passed passed, $failed failed"
exit "$status"
