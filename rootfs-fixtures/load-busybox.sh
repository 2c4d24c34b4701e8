#!/usr/bin/env bash
# load-busybox.sh: make sure MiniRun's store holds the embedded `busybox` image (no network).
#
# Builds the fixture OCI layout (build-busybox.sh, reproducible and cached) and loads it with
# `minirun load -i` unless the store already has busybox:latest. Honours MINIRUN_ROOT / --root.
# Usage: rootfs-fixtures/load-busybox.sh [--root DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build-busybox.sh" >/dev/null
if ! "$here/../minirun" "$@" images | awk 'NR > 1 && $1 == "busybox" && $2 == "latest" { found = 1 } END { exit !found }'; then
    "$here/../minirun" "$@" load -i "$here/out/busybox"
fi
